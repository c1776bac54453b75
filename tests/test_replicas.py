"""Read replicas over real HTTP: reads served by a streaming replica, writes by the primary,
and a client reading its own writes (ctht_api/db_router.py).

Needs a hot standby of the test's PostgreSQL on port 5433 (`.ci/run` makes one with
`pg_basebackup -R`) and Redis on 6379. Without them the test is skipped, except under
CI, where it fails. A database of its own is created on the primary (the replica
receives it), migrated, and served by gunicorn (two workers, so the pin crosses
processes through Redis) with `DATABASE_REPLICA_URLS` naming the replica. Pausing
the replica's replay (`pg_wal_replay_pause()`) freezes what it shows: an answer
without a write made meanwhile came from the replica, one with it from the primary.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
REPLICA_PORT = 5433
REDIS_DB = 14  # flushed before and after: the test's pins and caches only
PIN_SECONDS = 2

pytestmark = pytest.mark.replica


def _primary() -> dict:
    db = settings.DATABASES["default"]
    return {
        "host": db.get("HOST") or "127.0.0.1",
        "port": int(db.get("PORT") or 5432),
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or None,
    }


def _answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        return False
    return True


def _url(conninfo: dict, port: int, dbname: str) -> str:
    password = f":{conninfo['password']}" if conninfo["password"] else ""
    return f"postgres://{conninfo['user']}{password}@{conninfo['host']}:{port}/{dbname}"


def _connect(port: int, dbname: str = "postgres") -> psycopg.Connection:
    conninfo = _primary()
    return psycopg.connect(**{**conninfo, "port": port}, dbname=dbname, autocommit=True)


def _scalar(conn: psycopg.Connection, sql: str, params=()):
    return conn.execute(sql, params).fetchone()[0]


def _free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as s:
        return s.getsockname()[1]


def request(base: str, method: str, path: str, token: str | None = None, body=None, raw=False):
    headers = {"Accept": "text/csv" if raw else "application/json"}
    data = None
    if token:
        headers["Authorization"] = f"Token {token}"
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            content = response.read()
            return response.status, content.decode() if raw else json.loads(content or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture
def clusters():
    """(primary admin connection, replica admin connection); skipped or failed without them."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("replicas are PostgreSQL's: this test runs in the PostgreSQL pass")
    host = _primary()["host"]
    missing = [
        name
        for name, port in (("a streaming replica", REPLICA_PORT), ("Redis", 6379))
        if not _answers(host if port != 6379 else "127.0.0.1", port)
    ]
    if missing:
        message = f"no {' nor '.join(missing)} on {host}:{REPLICA_PORT}/6379 (.ci/run makes them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    primary, replica = _connect(_primary()["port"]), _connect(REPLICA_PORT)
    assert _scalar(replica, "SELECT pg_is_in_recovery()"), "port 5433 is not a standby"
    try:
        yield primary, replica
    finally:
        replica.execute("SELECT pg_wal_replay_resume()")
        primary.close()
        replica.close()


def wait_for_replay(primary: psycopg.Connection, replica: psycopg.Connection) -> None:
    """Until the replica has replayed everything the primary has written so far."""
    target = _scalar(primary, "SELECT pg_current_wal_lsn()")
    for _ in range(200):
        if _scalar(replica, "SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), %s) >= 0", [target]):
            return
        time.sleep(0.05)
    raise AssertionError("the replica did not catch up within 10 s")


@pytest.fixture
def served(clusters):
    """gunicorn over a fresh database on the primary, reading from the replica."""
    primary, replica = clusters
    dbname = f"ctht_replica_test_{os.getpid()}_{secrets.token_hex(3)}"
    primary.execute(f'CREATE DATABASE "{dbname}"')
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ctht_api.settings",
        "DATABASE_URL": _url(_primary(), _primary()["port"], dbname),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "RATE_LIMIT_ANON": "off",
        "RATE_LIMIT_READ": "off",
        "RATE_LIMIT_WRITE": "off",
        "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
    }
    server = None
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        issued = subprocess.run(
            [sys.executable, "manage.py", "issue_token", "writer", "--write"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        token = issued.stdout.strip().splitlines()[-1]
        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
        port = _free_port()
        server = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "--config",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "ctht_api.wsgi",
            ],
            cwd=ROOT,
            env={
                **env,
                "DATABASE_REPLICA_URLS": _url(_primary(), REPLICA_PORT, dbname),
                "REPLICA_PIN_SECONDS": str(PIN_SECONDS),
                "WEB_CONCURRENCY": "2",
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):  # up to 20 s for gunicorn to listen
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        wait_for_replay(primary, replica)
        with (
            _connect(_primary()["port"], dbname) as on_primary,
            _connect(REPLICA_PORT, dbname) as on_replica,
        ):
            yield base, token, on_primary, on_replica
    finally:
        replica.execute("SELECT pg_wal_replay_resume()")
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        primary.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        redis.Redis.from_url(env["REDIS_URL"]).flushdb()


def test_reads_come_from_the_replica_and_a_writer_reads_its_own_writes(clusters, served):
    primary, replica = clusters
    base, token, on_primary, on_replica = served
    assert request(base, "GET", "/readyz") == (200, {"status": "ok", "database": "ok"})
    replica.execute("SELECT pg_wal_replay_pause()")

    # The write goes to the primary: the replica, paused, does not have it.
    status, person = request(base, "POST", "/api/v1/people/", token, {"full_name": "Ana Lagić"})
    assert status == 201, person
    path = f"/api/v1/people/{person['id']}/"
    assert _scalar(on_primary, "SELECT count(*) FROM people_person WHERE id = %s", [person["id"]])
    assert not _scalar(
        on_replica, "SELECT count(*) FROM people_person WHERE id = %s", [person["id"]]
    )

    # The writer reads its own write (pinned to the primary, whichever worker answers);
    # an anonymous client reads the replica, which does not have it yet.
    for _ in range(4):
        assert request(base, "GET", path, token)[0] == 200
    assert request(base, "GET", path)[0] == 404
    status, page = request(base, "GET", "/api/v1/people/")
    assert (status, page["results"]) == (200, [])
    # A streamed CSV reads the replica too (in a transaction of its own there).
    status, csv = request(base, "GET", "/api/v1/people/", raw=True)
    assert status == 200 and "Ana Lagić" not in csv
    status, csv = request(base, "GET", "/api/v1/people/", token, raw=True)
    assert status == 200 and "Ana Lagić" in csv
    # The change feed read on the replica hands out a cursor from what it showed:
    # resuming from it after replay meets the write, nothing skipped.
    status, feed = request(base, "GET", "/api/v1/changes/")
    assert (status, feed["results"]) == (200, [])

    # Once replayed, the anonymous client sees it too.
    replica.execute("SELECT pg_wal_replay_resume()")
    wait_for_replay(primary, replica)
    status, body = request(base, "GET", path)
    assert (status, body["full_name"]) == (200, "Ana Lagić")
    status, feed = request(base, "GET", f"/api/v1/changes/?since={feed['last']}")
    assert status == 200
    assert [(row["resource"], row["id"]) for row in feed["results"]] == [("people", person["id"])]

    # After the pin's window, the writer reads the replica again: a change made on the
    # primary while replay is paused is not in its answer.
    time.sleep(PIN_SECONDS + 0.5)
    replica.execute("SELECT pg_wal_replay_pause()")
    on_primary.execute(
        "UPDATE people_person SET full_name = 'Ana Lagić-Novak' WHERE id = %s", [person["id"]]
    )
    status, body = request(base, "GET", path, token)
    assert (status, body["full_name"]) == (200, "Ana Lagić")
    replica.execute("SELECT pg_wal_replay_resume()")
    wait_for_replay(primary, replica)
    status, body = request(base, "GET", path, token)
    assert (status, body["full_name"]) == (200, "Ana Lagić-Novak")
