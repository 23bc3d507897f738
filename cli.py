"""Run the screening CLI from a checkout: ``python cli.py check "文案"``."""

from screening.cli import main

if __name__ == "__main__":
    main()
