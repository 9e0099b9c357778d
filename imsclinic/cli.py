"""The `imsclinic` console command: manage.py with the project's settings, plus our commands.

`imsclinic serve`, `imsclinic demo`, `imsclinic segments`, ... are Django management commands, so
`imsclinic help` lists them all.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imsclinic.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["imsclinic", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
