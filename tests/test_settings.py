"""Settings come from the environment and refuse to run production without secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent


def settings_in_subprocess(**env) -> subprocess.CompletedProcess:
    """Import the settings with exactly these variables, as a fresh process would."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DATABASE_URL"}
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**clean, "DJANGO_SETTINGS_MODULE": "ctht_api.settings", **env},
    )


# What `secrets.token_urlsafe(50)` gives: long and random enough for Django's deploy check.
REAL_KEY = "Zq3v8XkP1bT0mWc7YhLr4NfE2sJd9GuA6oQiVxBnR5tKyHpM-_lCaDe3wFgS8zU1jO"


def production(*command: str, **env) -> subprocess.CompletedProcess:
    """Run a command as production would: DEBUG unset, only these variables."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"} and not k.startswith("SECURE_")
    }
    return subprocess.run(
        list(command),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, "DJANGO_SETTINGS_MODULE": "ctht_api.settings", **env},
    )


def assert_refused_in_one_line(result: subprocess.CompletedProcess, reason: str) -> None:
    """A non-zero exit and one line on stderr naming the variable: no traceback."""
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ctht-api: refusing to start: ")
    assert reason in lines[0]


def test_production_refuses_to_start_without_secret_key():
    result = settings_in_subprocess(ALLOWED_HOSTS="api.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = settings_in_subprocess(SECRET_KEY="a-real-secret-from-the-environment")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is not set" in result.stderr


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        pytest.param({"ALLOWED_HOSTS": "api.example.org"}, "SECRET_KEY is not set", id="no-key"),
        pytest.param({"SECRET_KEY": REAL_KEY}, "ALLOWED_HOSTS is not set", id="no-hosts"),
        pytest.param(
            {"SECRET_KEY": REAL_KEY, "ALLOWED_HOSTS": "api.example.org", "CSV_CHUNK_SIZE": "0"},
            "CSV_CHUNK_SIZE must be 1 or more",
            id="csv-chunk-of-nothing",
        ),
        pytest.param(
            {"SECRET_KEY": REAL_KEY, "ALLOWED_HOSTS": "a.example", "TOKEN_CACHE_SECONDS": "61"},
            "TOKEN_CACHE_SECONDS must be between 0 and 60",
            id="token-cache-too-long",
        ),
    ],
)
def test_manage_py_refuses_in_one_line(env: dict, reason: str):
    assert_refused_in_one_line(production(sys.executable, "manage.py", "check", **env), reason)


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("a-real-secret-from-the-environment", id="short"),
        pytest.param("x" * 64, id="few-distinct-characters"),
        pytest.param("django-insecure-" + REAL_KEY, id="django-insecure-prefix"),
    ],
)
def test_serving_refuses_a_weak_secret_key_in_one_line(key: str):
    # Importing the WSGI module is what gunicorn's workers (and any WSGI server) do.
    result = production(
        sys.executable,
        "-c",
        "import ctht_api.wsgi",
        SECRET_KEY=key,
        ALLOWED_HOSTS="api.example.org",
    )
    assert_refused_in_one_line(result, "SECRET_KEY is too weak")


def test_gunicorn_refuses_to_start_in_one_line_without_a_secret_key():
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    result = production(
        gunicorn,
        "--config",
        "gunicorn.conf.py",
        "--bind",
        "127.0.0.1:0",
        "ctht_api.wsgi",
        ALLOWED_HOSTS="api.example.org",
    )
    assert result.returncode != 0
    refusals = [line for line in result.stderr.splitlines() if "refusing to start" in line]
    assert refusals == [
        "ctht-api: refusing to start: SECRET_KEY is not set: set SECRET_KEY "
        "(or DEBUG=1 for local development)."
    ]
    assert "Traceback" not in result.stderr


def test_serving_accepts_a_real_secret_key():
    result = production(
        sys.executable,
        "-c",
        "import ctht_api.wsgi; print('ok')",
        SECRET_KEY=REAL_KEY,
        ALLOWED_HOSTS="api.example.org",
    )
    assert (result.returncode, result.stdout.strip()) == (0, "ok"), result.stderr


def test_deploy_check_passes_with_production_settings():
    """`check --deploy` finds nothing to warn about with DEBUG off and the defaults."""
    result = production(
        sys.executable,
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=REAL_KEY,
        ALLOWED_HOSTS="api.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_debug_runs_on_embedded_sqlite_under_var_by_default():
    result = settings_in_subprocess(DEBUG="1")
    assert result.returncode == 0, result.stderr
    debug, engine, name = result.stdout.split()
    assert (debug, engine, name) == (
        "True",
        "django.db.backends.sqlite3",
        str(ROOT / "var" / "db.sqlite3"),
    )


def test_database_url_selects_postgresql():
    result = settings_in_subprocess(DEBUG="1", DATABASE_URL="postgres://u@db.example:5432/ctht")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1:] == ["django.db.backends.postgresql", "ctht"]


@pytest.mark.django_db
def test_health_and_readiness_answer(client: Client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()["database"]) == (200, "ok")


@pytest.mark.django_db
def test_api_root_answers_and_unknown_version_is_404(client: Client):
    assert client.get("/api/v1/").status_code == 200
    assert client.get("/api/v9/").status_code == 404
