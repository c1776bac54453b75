"""docs/mirror_example.py, the mirror the README shows, against a real server.

The example is loaded from its file (not copied here): what partners copy is what
runs. An anonymous mirror of the demo must equal what the anonymous lists return,
ids and objects, after the first sync, after edits (a statement unpublished, one
deleted, an institution renamed: every statement that shows it changes too), and
after a 410, which wipes the copy and reads the feed again from its beginning.
"""

import importlib.util
import json
import sqlite3
from pathlib import Path

import httpx
import pytest
from pytest_django.live_server_helper import LiveServer

from accounts.services import issue_token
from changes import feed
from changes.models import FeedState
from events.models import Statement
from people.models import Institution

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "mirror_example.py"


def load_example():
    spec = importlib.util.spec_from_file_location("mirror_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def server(settings):
    """A real threaded HTTP server, started after the test's settings apply."""
    server = LiveServer("localhost")
    yield server
    server.stop()


def lists(base: str) -> dict[str, dict[int, dict]]:
    """Every entry of every resource the feed follows, from the anonymous lists."""
    found: dict[str, dict[int, dict]] = {}
    with httpx.Client(timeout=60) as http:
        for resource in feed.viewsets():
            url, params, found[resource] = f"{base}/api/v1/{resource}/", {"page_size": 500}, {}
            while url:
                page = http.get(url, params=params).raise_for_status().json()
                found[resource].update({entry["id"]: entry for entry in page["results"]})
                url, params = page["next"], None
    return found


def copy(db: sqlite3.Connection) -> dict[str, dict[int, dict]]:
    found: dict[str, dict[int, dict]] = {resource: {} for resource in feed.viewsets()}
    for resource, pk, text in db.execute("SELECT resource, id, json FROM entries"):
        found[resource][pk] = json.loads(text)
    return found


def assert_mirrors(db: sqlite3.Connection, base: str) -> None:
    expected, mirrored = lists(base), copy(db)
    for resource in expected:
        assert sorted(mirrored[resource]) == sorted(expected[resource]), resource
        for pk, entry in expected[resource].items():
            assert mirrored[resource][pk] == entry, f"{resource}/{pk}"


@pytest.mark.django_db(transaction=True)
def test_the_mirror_example_keeps_an_equal_copy(server, countries, tmp_path):
    from events.demo import load_demo

    load_demo()
    example = load_example()
    db = sqlite3.connect(tmp_path / "mirror.sqlite3")
    base = server.url

    applied = example.sync(base, db)
    assert applied > 0
    assert_mirrors(db, base)
    assert example.sync(base, db) == 0, "nothing changed: nothing to apply"

    # Edits through the API, as an editor makes them.
    token = issue_token(username="editor", write=True)
    editor = httpx.Client(
        base_url=f"{base}/api/v1", headers={"Authorization": f"Token {token}"}, timeout=60
    )
    published = Statement.objects.filter(status="published").order_by("id")
    unpublished, deleted = published[0], published[1]
    institution = Institution.objects.filter(statements__status="published").first()
    showing = set(
        Statement.objects.filter(institution=institution, status="published").values_list(
            "id", flat=True
        )
    )
    assert showing, "the demo has a published statement made on behalf of an institution"
    editor.patch(f"/statements/{unpublished.pk}/", json={"status": "draft"}).raise_for_status()
    editor.delete(f"/statements/{deleted.pk}/").raise_for_status()
    renamed = institution.name + " (renamed)"
    editor.patch(f"/institutions/{institution.pk}/", json={"name": renamed}).raise_for_status()

    example.sync(base, db)
    assert_mirrors(db, base)
    mirrored = copy(db)
    assert unpublished.pk not in mirrored["statements"]
    assert deleted.pk not in mirrored["statements"]
    assert mirrored["institutions"][institution.pk]["name"] == renamed
    for pk in showing - {unpublished.pk, deleted.pk}:
        assert renamed in json.dumps(mirrored["statements"][pk]), f"statement {pk}"

    # A cursor older than the retained feed: 410, the copy is wiped and read again.
    (last,) = db.execute("SELECT last FROM state").fetchone()
    FeedState.objects.filter(pk=1).update(pruned_through=max(map(int, last.split("-")[1:])) + 1)
    with db:
        db.execute("INSERT INTO entries VALUES ('statements', 999999, '{}')")  # a stale row
    assert httpx.get(f"{base}/api/v1/changes/", params={"since": last}).status_code == 410
    applied = example.sync(base, db)
    assert applied >= sum(len(entries) for entries in lists(base).values())
    assert_mirrors(db, base)
    assert db.execute("SELECT count(*) FROM entries WHERE id = 999999").fetchone() == (0,)
    editor.close()


def test_the_readme_shows_the_example_as_it_runs():
    """The README's mirror is the tested file's `sync`, character for character."""
    source = EXAMPLE.read_text()
    function = source[source.index("def sync(") : source.index("\n\nif __name__")].strip()
    readme = (EXAMPLE.parents[1] / "README.md").read_text()
    assert f"```python\n{function}\n```" in readme
