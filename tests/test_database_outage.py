"""A database that goes away and comes back: 503 meanwhile, then service resumes by itself.

The API answers 503 problem documents, the admin a 503 page in its own look.

A real gunicorn serves the API through a TCP forwarder to PostgreSQL that the
test cuts and restores, so the server's pooled connection really breaks.
"""

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
# Well-formed (32 lower-case letters and digits), so Django looks it up in the database.
SESSION_KEY = "h3outage0session0key0000000000ab"
REAL_KEY = "Zq3v8XkP1bT0mWc7YhLr4NfE2sJd9GuA6oQiVxBnR5tKyHpM-_lCaDe3wFgS8zU1jO"

pytestmark = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="a network outage needs a database server (SQLite is a file)",
)


class Forwarder:
    """TCP forwarder on 127.0.0.1 that can be cut (connections dropped, new ones refused)."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.up = True
        self.connections: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(self.target, timeout=5)
            upstream.settimeout(None)
            with self.lock:
                self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """The database becomes unreachable: open connections die, new ones are refused."""
        self.up = False
        with self.lock:
            for s in self.connections:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self.connections.clear()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.stopped = True
        self.cut()
        self.listener.close()


def get(url: str) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"Host": "localhost"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as s:
        return s.getsockname()[1]


@dataclass
class Served:
    """A gunicorn serving the app through `forwarder`, at `base`."""

    base: str
    forwarder: Forwarder


@pytest.fixture
def served():
    db = settings.DATABASES["default"]
    forwarder = Forwarder((db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432)))
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ctht_api.settings",
        "DATABASE_URL": f"postgres://{user}{password}@127.0.0.1:{forwarder.port}/{db['NAME']}",
        "SECRET_KEY": REAL_KEY,
        "ALLOWED_HOSTS": "localhost",
        "SECURE_SSL_REDIRECT": "0",
        "DEBUG": "0",
        "WEB_CONCURRENCY": "1",
        "PORT": str(port),
    }
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
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):  # up to 10 s for gunicorn to listen
            try:
                get(base + "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        yield Served(base, forwarder)
    finally:
        server.terminate()
        server.wait(timeout=30)
        forwarder.close()


@pytest.mark.django_db
def test_outage_is_503_and_service_resumes_when_the_database_returns(served):
    base, forwarder = served.base, served.forwarder
    assert get(base + "/api/v1/statements/")[0] == 200
    assert get(base + "/readyz")[0] == 200

    forwarder.cut()
    for url in ("/api/v1/statements/", "/api/v1/people/", "/api/v1/people/1/"):
        status, content_type, body = get(base + url)
        assert (status, content_type) == (503, "application/problem+json"), (url, body)
        assert b"database is unreachable" in body
    assert get(base + "/readyz")[0] == 503
    assert get(base + "/healthz")[0] == 200

    forwarder.restore()
    assert get(base + "/readyz")[0] == 200
    assert get(base + "/api/v1/statements/")[0] == 200
    assert get(base + "/api/v1/people/1/")[0] == 404


@pytest.mark.django_db
def test_outage_problem_links_to_the_page_describing_it(served):
    served.forwarder.cut()

    status, _, body = get(served.base + "/api/v1/statements/")

    assert status == 503
    page = json.loads(body)["type"]
    assert page == "http://localhost/api/problems/service-unavailable"
    # The page needs no database: it opens during the outage.
    status, content_type, html = get(served.base + urlsplit(page).path)
    assert (status, content_type) == (200, "text/html; charset=utf-8")
    assert b"Retry-After" in html


@pytest.mark.django_db
def test_admin_answers_a_503_page_in_its_own_look_during_an_outage(served):
    served.forwarder.cut()

    # A signed-in editor's session is read from the database on every admin page.
    request = urllib.request.Request(
        served.base + "/admin/", headers={"Host": "localhost", "Cookie": f"sessionid={SESSION_KEY}"}
    )
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=10)

    error = answer.value
    assert error.code == 503
    assert error.headers["Content-Type"] == "text/html; charset=utf-8"
    assert error.headers["Retry-After"] == "5"
    html = error.read().decode()
    assert "The database is unreachable" in html
    assert "CTHT API administration" in html
    assert "Traceback" not in html and "Connection refused" not in html
