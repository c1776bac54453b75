"""The probes tell an orchestrator the truth about the process and the database."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client()
ready, alive = client.get("/readyz"), client.get("/healthz")
print(json.dumps([ready.status_code, ready.json(), alive.status_code]))
"""


def test_readiness_is_503_while_the_database_is_unreachable():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ctht_api.settings",
        "SECRET_KEY": "probe-only",
        "ALLOWED_HOSTS": "testserver",
        "DEBUG": "0",
        # Nothing listens on port 1: a real, refused connection.
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/ctht_api",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    ready_status, ready_body, alive_status = json.loads(result.stdout.strip().splitlines()[-1])
    assert (ready_status, ready_body["database"]) == (503, "unreachable")
    assert alive_status == 200


API_PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client()
answers = []
for url in ["/api/v1/statements/", "/api/v1/people/", "/api/v1/people/1/", "/api/v1/events/1/"]:
    response = client.get(url)
    answers.append([url, response.status_code, response["Content-Type"],
                    response.get("Retry-After"), response.json()])
print(json.dumps(answers))
"""


def test_api_answers_503_problem_while_the_database_is_unreachable():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ctht_api.settings",
        "SECRET_KEY": "probe-only",
        "ALLOWED_HOSTS": "testserver",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/ctht_api",
    }
    result = subprocess.run(
        [sys.executable, "-c", API_PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    for url, status, content_type, retry_after, body in json.loads(
        result.stdout.strip().splitlines()[-1]
    ):
        assert (status, content_type, retry_after) == (503, "application/problem+json", "5"), url
        assert body["status"] == 503
        assert "database is unreachable" in body["detail"]
        assert "Traceback" not in json.dumps(body)
