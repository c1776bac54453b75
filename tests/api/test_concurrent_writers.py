"""Sixteen editors update one statement at once through a real server: nothing is lost.

Each writer reads the statement, then sends a conditional PATCH with the ETag
it read, 50 times. Some writes are refused (412: someone else wrote first);
every write that was accepted must be in the history exactly once, with
versions that follow each other without a gap, and the final version must be
the first plus the number accepted.
"""

import json
import threading
import urllib.error
import urllib.request

import pytest
from pytest_django.live_server_helper import LiveServer

from accounts.services import issue_token
from events.models import Statement

WRITERS = 16
UPDATES_EACH = 50


def call(url: str, token: str, method: str = "GET", body: dict | None = None, **headers):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Token {token}")
    request.add_header("Content-Type", "application/json")
    for name, value in headers.items():
        request.add_header(name.replace("_", "-"), value)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


@pytest.fixture
def server(settings):
    """A real threaded HTTP server, started after the test's settings apply (plain HTTP,
    no rate limits): the session-wide `live_server` would keep the settings it began with."""
    server = LiveServer("localhost")
    yield server
    server.stop()


@pytest.mark.django_db(transaction=True)
def test_concurrent_conditional_updates_lose_nothing(server, countries):
    from events.demo import load_demo

    load_demo()
    statement = Statement.objects.order_by("id").first()
    url = f"{server.url}/api/v1/statements/{statement.pk}/"
    tokens = [issue_token(username=f"writer{n}", write=True) for n in range(WRITERS)]
    accepted: list[str] = []
    unexpected: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        start.wait()
        for attempt in range(UPDATES_EACH):
            status, headers = call(url, tokens[n])
            if status != 200:
                unexpected.append(status)
                continue
            value = f"writer {n}, update {attempt}"
            status, _ = call(url, tokens[n], "PATCH", {"context": value}, If_Match=headers["ETag"])
            with lock:
                if status == 200:
                    accepted.append(value)
                elif status != 412:
                    unexpected.append(status)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert unexpected == []
    assert accepted, "no write was accepted"
    statement.refresh_from_db()
    assert statement.version == 1 + len(accepted)
    updates = list(statement.history.filter(history_type="~").order_by("version"))
    assert sorted(h.context for h in updates) == sorted(accepted)
    assert [h.version for h in updates] == list(range(2, 2 + len(accepted)))
    assert {h.history_user.username for h in updates} <= {f"writer{n}" for n in range(WRITERS)}
