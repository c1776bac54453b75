"""A request's first read checks its connection itself (ctht_api/first_read.py): a cached
public answer sends the database its version query and nothing before it, and a
connection the server closed is replaced by that read's retry, not answered with an
error. Requests run through Django's WSGI handler, as gunicorn calls it: it starts each
request as a server does (the test client skips Django's per-request connection
handling). The request cycle through a real server whose database goes away:
tests/test_database_outage.py."""

import tempfile
import threading
import time

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, connection

from ctht_api.first_read import read_checking_connection
from tests.api.helpers import API, served
from tests.factories import StatementFactory

pytestmark = [
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="a persistent PostgreSQL connection's check (SQLite's connection is a file)",
    ),
    pytest.mark.django_db(transaction=True),
]

STATEMENTS = f"{API}statements/"


def admin():
    """A connection of its own to the test database, outside Django's."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("prepare_threshold", None)
    return psycopg.connect(**params, autocommit=True)


def backend_pid() -> int:
    return connection.connection.info.backend_pid


def sent_to_the_server(path: str) -> tuple[str, bytes, str]:
    """`served("GET", path)`'s status and body, with what libpq sent and received on the
    connection meanwhile."""
    with tempfile.TemporaryFile("w+") as trace:
        connection.connection.pgconn.trace(trace.fileno())
        try:
            status, _, body = served("GET", path)
        finally:
            if connection.connection is not None:
                connection.connection.pgconn.untrace()
        trace.seek(0)
        return status, body, trace.read()


@pytest.fixture
def cached_list():
    """The statement list answered once (so stored), on a persistent connection, checked
    before reuse as in production (CONN_MAX_AGE, CONN_HEALTH_CHECKS)."""
    assert settings.API_RESPONSE_CACHE
    assert (
        connection.settings_dict["CONN_HEALTH_CHECKS"] and connection.settings_dict["CONN_MAX_AGE"]
    )
    StatementFactory.create_batch(3)
    status, _, body = served("GET", STATEMENTS)
    assert status.startswith("200")
    assert connection.connection is not None  # kept for the next request
    return body


def test_a_cached_answer_sends_its_version_query_and_no_select_1(cached_list):
    status, body, trace = sent_to_the_server(STATEMENTS)

    assert status.startswith("200") and body == cached_list
    # libpq's trace: time, F (sent) or B (received), length, message, its fields.
    sent = [line.split("\t") for line in trace.splitlines() if line.split("\t")[1:2] == ["F"]]
    # One statement, already prepared on this connection (its name bound, no text
    # parsed), one round trip: no `SELECT 1` before it, nor anything else.
    assert [fields[3] for fields in sent] == ["Bind", "Describe", "Execute", "Sync"], trace
    assert '"_pg3_' in sent[0][4]


def test_a_connection_the_server_closed_is_replaced_by_the_first_read(cached_list):
    before = backend_pid()
    with admin() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [before])
        deadline = time.monotonic() + 10
        while other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [before]).fetchone():
            assert time.monotonic() < deadline, "the backend outlived pg_terminate_backend"
            time.sleep(0.05)

    status, _, body = served("GET", STATEMENTS)

    assert status.startswith("200") and body == cached_list
    assert backend_pid() != before


def test_a_read_that_fails_on_a_working_connection_is_not_run_again(db):
    connection.ensure_connection()
    assert not connection.in_atomic_block  # where the read stands in for the check
    connection.health_check_done = False  # as at the start of a request
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 50")
    connection.health_check_done = False
    before, runs = backend_pid(), []

    def read():
        runs.append(1)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(1)")

    try:
        with pytest.raises(OperationalError, match="statement timeout"):
            read_checking_connection(connection, read)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")
    assert len(runs) == 1
    assert backend_pid() == before


@pytest.mark.parametrize("path", ["detail", "page"])
def test_a_statement_read_afresh_sends_no_select_1(settings, path):
    """With the response cache off (the cold path), an anonymous statement detail or page
    of the whole list is one statement read, which checks its connection itself."""
    settings.API_RESPONSE_CACHE = False
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "anon": "off"}
    statement = StatementFactory()
    url = f"{STATEMENTS}{statement.pk}/" if path == "detail" else STATEMENTS
    first_status, _, first = served("GET", url)  # prepares the statement on this connection
    assert first_status.startswith("200")

    status, body, trace = sent_to_the_server(url)

    assert status.startswith("200") and body == first
    sent = [line.split("\t") for line in trace.splitlines() if line.split("\t")[1:2] == ["F"]]
    assert [fields[3] for fields in sent] == ["Bind", "Describe", "Execute", "Sync"], trace


def test_a_read_ended_while_it_ran_is_not_run_again(db):
    """A read that broke its connection after running a while (here ended by
    pg_terminate_backend, as an administrator or a pooler's query timeout would) is not
    sent again: Django's check would not have run it twice."""
    connection.ensure_connection()
    assert not connection.in_atomic_block
    connection.health_check_done = False  # as at the start of a request
    pid, runs = backend_pid(), []

    def terminate() -> None:
        with admin() as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])

    def read():
        runs.append(1)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(10)")

    timer = threading.Timer(1.5, terminate)
    timer.start()
    try:
        with pytest.raises(OperationalError):
            read_checking_connection(connection, read)
    finally:
        timer.join()
        connection.close()
    assert len(runs) == 1
