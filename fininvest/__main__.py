from fininvest.cli import main

main()
