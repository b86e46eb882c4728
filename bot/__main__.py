"""`python -m bot` is `briefbot`."""

from bot.entry import main

if __name__ == "__main__":
    main()
