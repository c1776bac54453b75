"""A database that goes away and comes back: 503 meanwhile, then service resumes by itself.

A real gunicorn serves the API through a TCP forwarder to PostgreSQL that the
test cuts and restores, so the server's pooled connection really breaks.
"""

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
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


@pytest.mark.django_db
def test_outage_is_503_and_service_resumes_when_the_database_returns():
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
    finally:
        server.terminate()
        server.wait(timeout=30)
        forwarder.close()
