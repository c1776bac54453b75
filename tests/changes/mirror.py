"""A mirror of the record kept by replaying `/api/v1/changes/`, and what the lists say.

Shared by the change feed's tests: `Mirror.sync()` replays the feed from the
last cursor as one client; `listed()` reads every list as that client, page
after page; `drift()` says, readably, where the two disagree.
"""

from rest_framework.test import APIClient

# Every resource the feed follows (API.md, "Change feed").
RESOURCES = (
    "statements",
    "events",
    "people",
    "institutions",
    "positions",
    "topics",
    "programmes",
    "documents",
)

Key = tuple[str, int]


def read(client: APIClient, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:500])
    return response.json()


class Mirror:
    """A client's copy of the record: {(resource, id): representation}, and its cursor."""

    def __init__(self, name: str, client: APIClient, page_size: int = 50):
        self.name, self.client, self.page_size = name, client, page_size
        self.entries: dict[Key, dict] = {}
        self.last: str | None = None

    def changes(self) -> list[dict]:
        """The feed's entries after `last`, every page, following `next`; `last` moves on."""
        url = f"/api/v1/changes/?page_size={self.page_size}"
        if self.last is not None:
            url += f"&since={self.last}"
        found = []
        while url:
            body = read(self.client, url)
            assert set(body) == {"results", "next", "last"}, body
            found += body["results"]
            self.last = body["last"]
            url = body["next"]
        return found

    def sync(self) -> list[dict]:
        """Replay the new changes: store an upsert's object, forget a deleted entry."""
        changes = self.changes()
        for change in changes:
            key = (change["resource"], change["id"])
            if change["action"] == "upsert":
                assert change["object"]["id"] == change["id"], change
                self.entries[key] = change["object"]
            else:
                assert change["action"] == "delete" and "object" not in change, change
                self.entries.pop(key, None)
        return changes


def listed(client: APIClient) -> dict[Key, dict]:
    """Every entry of every followed list as `client` sees it, following `next`."""
    found: dict[Key, dict] = {}
    for resource in RESOURCES:
        url = f"/api/v1/{resource}/?page_size=500"
        while url:
            body = read(client, url)
            for item in body["results"]:
                key = (resource, item["id"])
                assert key not in found, f"{key} listed twice"
                found[key] = item
            url = body["next"]
    return found


def drift(mirror: dict[Key, dict], truth: dict[Key, dict]) -> dict:
    """Where a mirror and the lists disagree: {} when they are equal, else what differs,
    field by field, so that a failure reads at a glance."""
    found = {}
    missing = sorted(truth.keys() - mirror.keys())
    extra = sorted(mirror.keys() - truth.keys())
    if missing:
        found["listed, missing from the mirror"] = missing
    if extra:
        found["in the mirror, not listed"] = extra
    different = {}
    for key in sorted(mirror.keys() & truth.keys()):
        mine, theirs = mirror[key], truth[key]
        if mine != theirs:
            different[key] = {
                name: {"mirror": mine.get(name), "list": theirs.get(name)}
                for name in sorted(mine.keys() | theirs.keys())
                if mine.get(name) != theirs.get(name)
            }
    if different:
        found["different"] = different
    return found
