#!/usr/bin/env python
"""Django's manage.py; `imsclinic` is the same thing once the package is installed."""

from imsclinic.cli import main

if __name__ == "__main__":
    main()
