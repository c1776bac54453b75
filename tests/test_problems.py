"""Problem documents: each `type` is a page the service serves, errors get the right status.

The pages are walked from the catalogue and from real answers, so a problem the
code emits without a page, or a page that does not open, fails here.
"""

import json
import logging
import re

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import DatabaseError, connection
from django.test import Client
from rest_framework.test import APIClient

from ctht_api.problems import PROBLEM_TYPES
from tests.api.conftest import token_client
from tests.api.helpers import assert_problem
from tests.factories import StatementFactory, TopicFactory

PAGE = "http://testserver/api/problems/"
POSTGRES = "postgresql" in django_settings.DATABASES["default"]["ENGINE"]


def assert_page_serves_itself(response) -> str:
    """A 200 HTML page running under the CSP: no inline code, nothing from another host."""
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<script" not in html and "<style" not in html and " style=" not in html
    assert set(re.findall(r"https?://([^/\"'\s<>]+)", html)) <= {"testserver"}
    return html


@pytest.mark.parametrize("slug", sorted(PROBLEM_TYPES))
def test_every_problem_type_has_a_page_saying_what_to_do(client, slug):
    html = assert_page_serves_itself(client.get(f"/api/problems/{slug}"))

    kind = PROBLEM_TYPES[slug]
    assert f"<h1>{kind.title}</h1>" in html
    assert str(kind.status) in html
    assert "What to do" in html
    assert "`" not in html, "Markdown's backticks are shown as code, not as they are typed"


def test_a_page_shows_code_as_code(client):
    html = client.get("/api/problems/gone").content.decode()

    assert "<code>CHANGES_RETENTION_DAYS</code>" in html


def test_the_problem_index_links_every_page(client):
    html = assert_page_serves_itself(client.get("/api/problems/"))

    assert set(re.findall(r'href="/api/problems/([\w-]+)"', html)) == set(PROBLEM_TYPES)


def test_an_unknown_problem_type_is_a_404_problem(client):
    assert_problem(client.get("/api/problems/no-such-problem"), 404)


def test_every_error_status_the_document_declares_has_a_page(db, client):
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    statuses = {
        int(status)
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "responses" in operation
        for status in operation["responses"]
        if int(status) >= 400
    }
    assert statuses
    for status in statuses:
        assert any(kind.status == status for kind in PROBLEM_TYPES.values()), status


def cause(name: str, *, settings) -> tuple[object, int, str]:
    """Make the API answer one problem for real: (response, status, expected slug)."""
    anon = APIClient()
    if name == "validation-error":
        return anon.get("/api/v1/statements/", {"date_after": "yesterday"}), 400, name
    if name == "bad-request":
        writer = token_client("editor", write=True)
        response = writer.post("/api/v1/topics/", "{", content_type="application/json")
        return response, 400, name
    if name == "unauthorized":
        return anon.get("/api/v1/topics/", HTTP_AUTHORIZATION="Token nope"), 401, name
    if name == "forbidden":
        reader = token_client("partner", write=False)
        return reader.post("/api/v1/topics/", {"name": "x"}, format="json"), 403, name
    if name == "not-found":
        return anon.get("/api/v1/topics/999999/"), 404, name
    if name == "method-not-allowed":
        return anon.generic("PURGE", "/api/v1/topics/"), 405, name
    if name == "not-acceptable":
        return anon.get("/api/v1/topics/", HTTP_ACCEPT="application/xml"), 406, name
    if name == "gone":  # a change feed cursor from another database (another epoch)
        from changes.models import FeedState

        other = "1" * 8 if FeedState.current().epoch == "0" * 8 else "0" * 8
        return anon.get("/api/v1/changes/", {"since": f"{other}-1"}), 410, name
    writer = token_client("editor", write=True)
    if name == "conflict":
        statement = StatementFactory()
        return writer.delete(f"/api/v1/people/{statement.speaker_id}/"), 409, name
    if name == "personal-data":
        statement = StatementFactory(status="draft", text="Call me on 064 123 4567.")
        response = writer.patch(
            f"/api/v1/statements/{statement.pk}/", {"status": "published"}, format="json"
        )
        return response, 422, name
    if name == "precondition-failed":
        topic = TopicFactory()
        response = writer.patch(
            f"/api/v1/topics/{topic.pk}/", {"name": "x"}, format="json", HTTP_IF_MATCH='"v99"'
        )
        return response, 412, name
    if name == "request-entity-too-large":
        settings.API_MAX_BODY_BYTES = 10
        body = json.dumps({"name": "x" * 20})
        response = writer.post("/api/v1/topics/", body, content_type="application/json")
        return response, 413, name
    if name == "unsupported-media-type":
        return writer.post("/api/v1/topics/", "x", content_type="text/plain"), 415, name
    if name == "precondition-required":
        settings.API_REQUIRE_IF_MATCH = True
        topic = TopicFactory()
        response = writer.patch(f"/api/v1/topics/{topic.pk}/", {"name": "x"}, format="json")
        return response, 428, name
    if name == "too-many-requests":
        settings.RATE_LIMITS = {"anon": "1/min", "read": "off", "write": "off"}
        anon.get("/api/v1/topics/")
        return anon.get("/api/v1/topics/"), 429, name
    if name == "internal-server-error":
        drop_table("events_topic")
        client = Client(raise_request_exception=False)
        return client.get("/api/v1/topics/"), 500, name
    raise AssertionError(name)


def drop_table(table: str) -> None:
    """Lose a table inside the test's transaction (rolled back at its end)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {table}" + (" CASCADE" if POSTGRES else ""))


# 503 is caused for real in tests/test_database_outage.py, which checks its `type` too.
CAUSED = sorted(set(PROBLEM_TYPES) - {"service-unavailable"})


@pytest.mark.django_db
@pytest.mark.parametrize("name", CAUSED)
def test_a_real_problem_links_to_its_page(name, settings):
    response, status, slug = cause(name, settings=settings)

    body = assert_problem(response, status)
    assert body["type"] == PAGE + slug
    assert_page_serves_itself(Client().get(body["type"]))


@pytest.mark.django_db
def test_a_host_not_served_gets_a_relative_type(client):
    response = client.get("/api/v1/topics/", HTTP_HOST="evil.example")

    body = assert_problem(response, 400)
    assert body["type"] == "/api/problems/bad-request"


# An OperationalError is a 503 only when the database cannot be reached.


def assert_logged_with_traceback(caplog) -> None:
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.exc_info]
    assert errors, "no ERROR log record with a traceback"
    assert isinstance(errors[-1].exc_info[1], DatabaseError)


@pytest.mark.django_db
def test_a_missing_table_is_a_logged_500_not_a_503(caplog):
    """SQLite raises OperationalError ("no such table"), PostgreSQL ProgrammingError."""
    drop_table("events_topic")

    response = Client(raise_request_exception=False).get("/api/v1/topics/")

    body = assert_problem(response, 500)
    assert "Retry-After" not in response
    assert "no such table" not in body["detail"] and "events_topic" not in body["detail"]
    assert_logged_with_traceback(caplog)


@pytest.mark.skipif(not POSTGRES, reason="a lock timeout needs a second PostgreSQL session")
@pytest.mark.django_db
def test_a_lock_timeout_is_a_logged_500_not_a_503(caplog):
    """PostgreSQL's lock timeout is an OperationalError from a database that answers."""
    db = connection.settings_dict
    other = psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=int(db["PORT"] or 5432),
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    )
    try:
        other.execute("LOCK TABLE events_topic IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '100ms'")

        response = Client(raise_request_exception=False).get("/api/v1/topics/")
    finally:
        other.rollback()
        other.close()

    assert_problem(response, 500)
    assert "Retry-After" not in response
    assert_logged_with_traceback(caplog)


# Unknown paths under /api/ are problems whatever DEBUG says; elsewhere Django's pages.


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v9/statements/", "/api/nope"])
def test_an_unknown_api_path_is_a_404_problem_with_debug_on_or_off(settings, debug, path):
    settings.DEBUG = debug

    body = assert_problem(Client().get(path), 404)
    assert body["type"] == PAGE + "not-found"


@pytest.mark.django_db
def test_an_unknown_path_outside_the_api_keeps_djangos_debug_page(settings):
    settings.DEBUG = True

    response = Client().get("/nope/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_an_api_path_without_its_slash_still_redirects(settings, debug):
    settings.DEBUG = debug

    response = Client().get("/api/v1/statements")

    assert response.status_code == 301
    assert response["Location"] == "/api/v1/statements/"
