"""`import_data` on hostile files: refused at once, in flat memory, with a clear message.

Each file is a small gzip that expands to 50 MB: a huge value where the
format has a small one. The import runs as a separate process so that its
peak memory can be measured (`ru_maxrss` of the children of a fresh
interpreter, which has no other children).
"""

import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from ctht_api.backup import FORMAT, FORMAT_VERSION, MAX_ROW_BYTES, record_models

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
EXPANDED = 50 * 1024 * 1024
PEAK_LIMIT_KB = 200 * 1024
MEASURE = """
import resource, subprocess, sys, time
started = time.monotonic()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
      round(time.monotonic() - started, 1))
print(done.stderr)
"""


def hostile_file(path: Path, before: str, filler: bytes, after: str) -> Path:
    """`before`, then `filler` repeated to 50 MB, then `after`; gzip, written as it goes."""
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(before.encode())
        chunk = filler * (1024 * 1024 // len(filler))
        for _ in range(EXPANDED // len(chunk)):
            out.write(chunk)
        out.write(after.encode())
    return path


def header(**extra) -> str:
    counts = {model._meta.label_lower: 0 for model in record_models()}
    fields = {"format": FORMAT, "format_version": FORMAT_VERSION, **extra, "counts": counts}
    return "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in fields.items())


def database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{settings['USER']}{password}@{host}:{port}/{settings['NAME']}"


def run_import(path: Path) -> tuple[int, int, float, str]:
    """Exit status, peak memory (kB), seconds and standard error of `manage.py import_data`."""
    env = {**os.environ, "DATABASE_URL": database_url()}
    command = [sys.executable, "manage.py", "import_data", str(path)]
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    first, _, stderr = measured.stdout.partition("\n")
    status, peak, seconds = first.split()
    return int(status), int(peak), float(seconds), stderr


HOSTILE = {
    "an array under an unknown header key": (
        header(junk="__FILL__").split('"__FILL__"')[0] + "[0",
        b",0",
        '], "models": {}}',
        "the header value 'junk' is larger than 1 MiB",
    ),
    "a string under an unknown header key": (
        header(junk="__FILL__").split('"__FILL__"')[0] + '"',
        b"x",
        '", "models": {}}',
        "the header value 'junk' is larger than 1 MiB",
    ),
    "a string under a known header key": (
        '{"format": "ctht-api-export", "format_version": 1, "app_version": "',
        b"x",
        '"}',
        "the header value 'app_version' is larger than 1 MiB",
    ),
    "a string in a row": (
        header() + ', "models": {"people.country": [{"code": "RS", "name": "',
        b"x",
        '"}]}}',
        f"people.country row 1 is larger than {MAX_ROW_BYTES // 1024 // 1024} MiB",
    ),
    "an array in a row": (
        header() + ', "models": {"people.country": [{"code": "RS", "junk": [0',
        b",0",
        "]}]}}",
        f"people.country row 1 is larger than {MAX_ROW_BYTES // 1024 // 1024} MiB",
    ),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_a_hostile_file_is_refused_fast_in_flat_memory(case, tmp_path):
    before, filler, after, message = HOSTILE[case]
    path = hostile_file(tmp_path / "hostile.json.gz", before, filler, after)
    assert path.stat().st_size < 1024 * 1024  # small on disk, 50 MB expanded

    started = time.monotonic()
    status, peak_kb, seconds, stderr = run_import(path)

    assert status != 0
    assert message in stderr, stderr
    assert "Traceback" not in stderr, stderr
    assert peak_kb < PEAK_LIMIT_KB, f"peak {peak_kb} kB"
    assert seconds < 10 and time.monotonic() - started < 15, seconds


def test_deep_nesting_in_a_row_is_refused(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text(header() + ', "models": {"people.country": [{"code": ' + "[" * 100_000)

    status, peak_kb, _, stderr = run_import(path)

    assert status != 0
    assert "nested deeper than" in stderr, stderr
    assert peak_kb < PEAK_LIMIT_KB
