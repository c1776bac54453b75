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


def test_production_refuses_to_start_without_secret_key():
    result = settings_in_subprocess(ALLOWED_HOSTS="api.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = settings_in_subprocess(SECRET_KEY="a-real-secret-from-the-environment")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is not set" in result.stderr


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
