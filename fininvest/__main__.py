from fininvest.launch import main

if __name__ == "__main__":  # not when a spawned process imports it (goaml_halves)
    main()
