"""A persistent connection is checked before a request uses it, without a round trip
(ctht_api/postgresql/base.py): a live one is kept and asked nothing, one the server
closed is replaced before the request's first query. The request cycle through a real
server whose database connection breaks: tests/test_database_outage.py."""

import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection

pytestmark = [
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != settings.POSTGRESQL_ENGINE,
        reason="the PostgreSQL backend's check (SQLite's connection is a file)",
    ),
    pytest.mark.django_db(transaction=True),
]


def admin():
    """A connection of its own to the test database, outside Django's."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("prepare_threshold", None)
    return psycopg.connect(**params, autocommit=True)


def last_statement(pid: int) -> str:
    with admin() as other:
        row = other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    return row[0] if row else ""


def new_request() -> None:
    """What Django does for a persistent connection when a request starts."""
    connection.close_if_unusable_or_obsolete()


@pytest.fixture
def checked_connection():
    connection.ensure_connection()
    connection.health_check_enabled = True
    yield connection.connection.info.backend_pid
    connection.health_check_enabled = False


def test_a_live_connection_is_kept_and_asked_nothing(checked_connection):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'the last statement before the request'")
    new_request()
    assert connection.is_usable()
    connection.close_if_health_check_failed()
    assert connection.connection.info.backend_pid == checked_connection
    assert last_statement(checked_connection) == "SELECT 'the last statement before the request'"


def test_a_connection_the_server_closed_is_replaced_before_the_first_query(checked_connection):
    with admin() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [checked_connection])
        deadline = time.monotonic() + 10
        while other.execute(
            "SELECT 1 FROM pg_stat_activity WHERE pid = %s", [checked_connection]
        ).fetchone():
            assert time.monotonic() < deadline, "the backend outlived pg_terminate_backend"
            time.sleep(0.05)
    new_request()
    assert not connection.is_usable()
    with connection.cursor() as cursor:  # no error: the check reconnected first
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != checked_connection


def test_a_connection_in_a_failed_transaction_is_unusable(checked_connection):
    raw = connection.connection
    raw.execute("BEGIN")
    with pytest.raises(psycopg.errors.DivisionByZero):
        raw.execute("SELECT 1 / 0")
    assert not connection.is_usable()
    raw.execute("ROLLBACK")
    assert connection.is_usable()
