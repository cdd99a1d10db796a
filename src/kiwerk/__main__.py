"""``python -m kiwerk``: the same as the ``kiwerk`` command."""

from kiwerk.interfaces.cli.app import main

if __name__ == "__main__":
    main()
