"""Eight writers and a mirror polling the change feed through a real server: nothing is skipped.

Half the writers run long transactions: they open one, write (create a topic,
update one of their own), then sleep 0.2-1 s before committing; the other half
commit short ones meanwhile, and one of them also rolls some writes back (after
its feed rows were written, leaving a gap in the numbers). A reader polls
`/api/v1/changes/?since=<last>` without pause while they run, and drains the
feed once they are done, exactly as a mirror would: it only ever asks for what
comes after the `last` it was given.

Asserted, from what the reader received:

- every topic created by a committed transaction was seen, and for each
  committed update the reader saw that version or a later one; at the end its
  copy equals the database;
- no entry appears twice within one answer;
- nothing from a rolled-back transaction was ever seen;
- and that the dangerous interleaving did happen: a short transaction that
  started after a long one committed, and was *seen by the reader*, while the
  long one was still open.

Why this can fail: a feed numbered when the write happens (a sequence value,
or `updated_at`, taken at the `save()`, without the lock held to the commit)
gives the long transaction a number below the short ones that commit during
its sleep. The reader sees those, moves `last` past them, and when the long
transaction commits its row lands *behind* the cursor: its new topic is
never seen (creations are never touched again, so nothing later surfaces
them), the first assertion fails. changes/feed.py takes the number under an
advisory lock held to the commit, so numbers follow commit order. (Checked by
hand: with `changes.feed._lock` a no-op and `changes.feed._buffer` returning
None, so that each row is numbered at its save, this test failed with 57
committed topics never seen, of short writers too: without the lock, even
short transactions commit out of their numbers' order.)

PostgreSQL only: on SQLite the whole database is one writer's at a time from
`BEGIN IMMEDIATE` to the commit, so no transaction can start before another
commits; and its test database does not serve a live server's threads.
"""

import json
import random
import threading
import time
import urllib.request

import pytest
from django.db import connection, transaction
from pytest_django.live_server_helper import LiveServer

from changes.models import FeedState
from ctht_api.audit import changeset
from events.models import Topic

WRITERS = 8
LONG = range(0, WRITERS, 2)  # writers 0, 2, 4, 6 hold their transactions open
ROLLBACK_WRITER = 7
OWN_TOPICS = 3
RUN_SECONDS = 6.0

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite runs one write transaction at a time (BEGIN IMMEDIATE): nothing to interleave",
)


class RolledBack(Exception):
    pass


@pytest.fixture
def server(settings):
    server = LiveServer("localhost")
    yield server
    server.stop()


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        return json.load(response)


@pytest.mark.django_db(transaction=True)
def test_a_polling_mirror_misses_no_commit(server):
    own = {
        n: [Topic.objects.create(name=f"writer {n} topic {i}").pk for i in range(OWN_TOPICS)]
        for n in range(WRITERS)
    }
    FeedState.current()
    feed = f"{server.url}/api/v1/changes/"
    start_cursor = get(f"{feed}?page_size=500")
    while start_cursor["next"]:
        start_cursor = get(start_cursor["next"])
    since = start_cursor["last"]

    lock = threading.Lock()
    created: dict[int, int] = {}  # topic id -> writer
    committed_version: dict[int, int] = {pk: 0 for pks in own.values() for pk in pks}
    transactions: list[dict] = []  # kind, started, committed, created id
    rolled_back_names: list[str] = []
    errors: list[BaseException] = []
    done = threading.Event()
    go = threading.Barrier(WRITERS + 1)

    def writer(n: int) -> None:
        rng = random.Random(n)
        long = n in LONG
        version = 0
        try:
            go.wait()
            deadline = time.monotonic() + RUN_SECONDS
            i = 0
            while time.monotonic() < deadline:
                i += 1
                version += 1
                target = own[n][i % OWN_TOPICS]
                rollback = n == ROLLBACK_WRITER and i % 3 == 0
                name = f"{'rolledback' if rollback else 'writer'} {n} new {i}"
                try:
                    with transaction.atomic():
                        with changeset(reason="concurrency test"):
                            topic = Topic.objects.create(name=name, description=f"v{version}")
                            started = time.monotonic()
                            existing = Topic.objects.get(pk=target)
                            existing.description = "rolledback" if rollback else f"v{version}"
                            existing.save()
                            if long:
                                time.sleep(rng.uniform(0.2, 1.0))
                        # The changeset wrote the feed rows; the commit follows.
                        if rollback:
                            raise RolledBack
                    committed = time.monotonic()
                except RolledBack:
                    with lock:
                        rolled_back_names.append(name)
                    continue
                with lock:
                    created[topic.pk] = n
                    committed_version[target] = version
                    transactions.append(
                        {
                            "long": long,
                            "started": started,
                            "committed": committed,
                            "topic": topic.pk,
                        }
                    )
                if not long:
                    time.sleep(rng.uniform(0.01, 0.05))
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    polls: list[tuple[float, list[dict]]] = []  # when answered, its entries

    def reader() -> None:
        nonlocal since
        try:
            go.wait()
            while True:
                finished = done.is_set()  # read before the poll: the drain follows the end
                body = get(f"{feed}?since={since}&page_size=500")
                polls.append((time.monotonic(), body["results"]))
                since = body["last"]
                if finished and not body["next"]:
                    return
                if not body["results"]:
                    time.sleep(0.005)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    threads.append(threading.Thread(target=reader))
    for thread in threads:
        thread.start()
    for thread in threads[:-1]:
        thread.join(timeout=60)
    done.set()
    threads[-1].join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert errors == []

    # No entry twice in one answer.
    for _, entries in polls:
        keys = [(e["resource"], e["id"]) for e in entries]
        assert len(keys) == len(set(keys)), keys

    seen_at: dict[int, float] = {}  # topic id -> when the reader first saw it
    best: dict[int, int] = {}  # topic id -> highest version seen
    final: dict[int, dict] = {}  # the reader's copy
    for answered, entries in polls:
        for entry in entries:
            assert entry["resource"] == "topics", entry
            assert entry["action"] == "upsert", entry  # nothing was deleted
            topic = entry["object"]
            assert "rolledback" not in topic["name"] and topic["description"] != "rolledback"
            seen_at.setdefault(entry["id"], answered)
            best[entry["id"]] = max(best.get(entry["id"], 0), int(topic["description"][1:]))
            final[entry["id"]] = topic

    assert transactions and rolled_back_names
    assert set(seen_at) <= set(created) | set(committed_version), "an entry nobody committed"
    never_seen = {pk: n for pk, n in created.items() if pk not in seen_at}
    assert never_seen == {}, f"created and committed, never seen (topic: writer): {never_seen}"
    behind = {
        pk: (best.get(pk), version)
        for pk, version in committed_version.items()
        if version and best.get(pk, 0) < version
    }
    assert behind == {}, f"committed updates the reader never caught up with: {behind}"
    stored = {t.pk: t for t in Topic.objects.filter(pk__in=final)}
    assert {pk: (t["name"], t["description"]) for pk, t in final.items()} == {
        pk: (t.name, t.description) for pk, t in stored.items()
    }
    assert not Topic.objects.filter(name__startswith="rolledback").exists()

    # The interleaving this is about: a short transaction that started after a long one,
    # committed and was seen by the reader while the long one was still open.
    longs = [t for t in transactions if t["long"]]
    shorts = [t for t in transactions if not t["long"]]
    overtaken = [
        (lt, st)
        for lt in longs
        for st in shorts
        if lt["started"] < st["started"] and seen_at[st["topic"]] < lt["committed"]
    ]
    assert overtaken, "no short transaction overtook a long one: the test proved nothing"
    assert len(polls) > 20
