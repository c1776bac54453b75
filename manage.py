#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctht_api.settings")
    from django.core.management import execute_from_command_line

    from ctht_api.preflight import exit_if_misconfigured

    # A one-line reason instead of a traceback; runserver also needs a real key.
    exit_if_misconfigured(serving=len(sys.argv) > 1 and sys.argv[1] == "runserver")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
