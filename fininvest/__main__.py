from fininvest.launch import main

main()
