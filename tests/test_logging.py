"""Development logs read cleanly: each record is printed once, runserver's lines keep their time."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A fresh process configures logging from the settings as `manage.py runserver` does, then
# logs what Django logs for a 404 and for a request line.
CODE = """
import django, logging
django.setup()
logging.getLogger("django.request").warning("Not Found: %s", "/nope")
logging.getLogger("django.server").info('"GET /nope HTTP/1.1" 404 0')
logging.getLogger("events.record_version").warning("a project warning")
"""


def logged(**env) -> list[str]:
    process = subprocess.run(
        [sys.executable, "-c", CODE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "ctht_api.settings", **env},
    )
    return process.stderr.splitlines()


def test_each_record_is_printed_once_in_development():
    lines = logged(DEBUG="1")
    assert lines.count("Not Found: /nope") == 1, lines
    assert lines.count("a project warning") == 1, lines
    request_lines = [line for line in lines if '"GET /nope HTTP/1.1" 404 0' in line]
    assert len(request_lines) == 1, lines
    assert request_lines[0].startswith("["), "runserver's lines keep their time stamp"
    assert len(lines) == 3, lines


def test_each_record_is_printed_once_in_production():
    lines = logged(DEBUG="0")
    assert lines.count("Not Found: /nope") == 1, lines
    assert lines.count("a project warning") == 1, lines
