"""Pinned query counts of the change feed: a page, and a write that fans out.

A page costs the same whatever its size: the feed's state, one range scan of
the feed, then one query per resource present on the page (plus that
resource's prefetches). A rename of an entry others embed costs the same
however many entries embed it: one `DELETE` and one `INSERT … SELECT` per
embedding relation, never one per embedding entry.
"""

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from accounts.services import issue_token
from changes.models import Change, FeedState
from tests.factories import (
    DocumentFactory,
    EventFactory,
    InstitutionFactory,
    PersonFactory,
    PositionFactory,
    ProgrammeFactory,
    StatementFactory,
    TopicFactory,
)

URL = "/api/v1/changes/"
PER_RESOURCE = 40

pytestmark = pytest.mark.django_db

# Anonymous, on a page holding every requested resource:
#   1  the feed's state (epoch, pruned_through: FeedState.current())
#   1  the page of the feed (changes_change, seq > since, LIMIT page_size + 1)
#   +1 per resource on the page: its rows, read through its viewset's queryset
#      (statements and events carry their relations as JSON arrays)
#   +1 for programmes: their funders (prefetched)
# The same whatever the page size. Deletions on the page cost nothing.
FIVE_RESOURCES = "statements,events,people,institutions,programmes"
PAGE_QUERIES_FIVE = 2 + 5 + 1  # 8
PAGE_QUERIES_ALL = 2 + 8 + 1  # 11


@pytest.fixture
def record(db) -> dict[str, list]:
    """PER_RESOURCE live entries of each resource, each relation a list shows filled in."""
    assert connection.features.supports_json_field  # SQLite probes JSON once: not measured
    statements = StatementFactory.create_batch(PER_RESOURCE)
    institutions = InstitutionFactory.create_batch(PER_RESOURCE)
    programmes = ProgrammeFactory.create_batch(PER_RESOURCE)
    for programme, institution in zip(programmes, institutions, strict=True):
        programme.funders.set([institution])
    return {
        "statements": statements,
        "events": EventFactory.create_batch(PER_RESOURCE),
        "people": [s.speaker for s in statements],
        "institutions": institutions,
        "programmes": programmes,
        "topics": TopicFactory.create_batch(PER_RESOURCE),
        "documents": DocumentFactory.create_batch(PER_RESOURCE),
        "positions": PositionFactory.create_batch(PER_RESOURCE),
    }


def interleave(record: dict[str, list], names: list[str]) -> str:
    """Change the entries of `names` in turn (a statement, an event, …, a statement, …), and
    delete an institution among them; the cursor from before those changes."""
    state = FeedState.current()
    since = f"{state.epoch}-{Change.objects.order_by('-seq')[0].seq}"
    doomed = InstitutionFactory()
    for row in zip(*(record[name] for name in names), strict=True):
        for entry in row:
            entry.save()  # nothing changed: no fan-out, the entry's own row moves to the end
    doomed.delete()
    return since


def page(client: APIClient, params: dict, django_assert_num_queries, queries: int) -> list:
    cache.clear()
    with django_assert_num_queries(queries):
        response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.parametrize("page_size", [5, 200])
def test_a_page_of_five_resources_costs_the_same_at_any_size(
    record, django_assert_num_queries, page_size
):
    names = FIVE_RESOURCES.split(",")
    since = interleave(record, names)

    entries = page(
        APIClient(),
        {"since": since, "resource": FIVE_RESOURCES, "page_size": page_size},
        django_assert_num_queries,
        PAGE_QUERIES_FIVE,
    )

    assert len(entries) == page_size
    assert {e["resource"] for e in entries} == set(names)
    assert all(e["action"] == "upsert" for e in entries)
    funded = [e for e in entries if e["resource"] == "programmes"]
    assert funded and all(len(e["object"]["funders"]) == 1 for e in funded)


@pytest.mark.parametrize("page_size", [8, 200])
def test_a_page_of_every_resource_costs_the_same_at_any_size(
    record, django_assert_num_queries, page_size
):
    since = interleave(record, sorted(record))

    entries = page(
        APIClient(),
        {"since": since, "page_size": page_size},
        django_assert_num_queries,
        PAGE_QUERIES_ALL,
    )

    assert len(entries) == page_size
    assert {e["resource"] for e in entries} == set(record)


def test_deletions_add_no_query(record, django_assert_num_queries):
    since = interleave(record, ["institutions"])

    entries = page(
        APIClient(),
        {"since": since, "resource": "institutions", "page_size": 500},
        django_assert_num_queries,
        3,  # state, page, institutions
    )

    actions = [e["action"] for e in entries]
    assert actions.count("delete") == 1 and actions.count("upsert") == PER_RESOURCE


# The write side ----------------------------------------------------------------------

# PATCH /institutions/{id}/ {"name": …} by an editor whose token was used in the last
# minute (so `last_used_at` is not written):
#   3  the token with its user; the user's permissions; its groups' permissions
#   1  SAVEPOINT (ATOMIC_REQUESTS) … 1 RELEASE at the end
#   1  the institution
#   1  its version FOR UPDATE (If-Match / version check)
#   1  the country exists
#   4  two check constraints validated (each in a SAVEPOINT/RELEASE pair)
#   1  the fields others embed (name, country) before the save: did they change?
#   1  UPDATE
#   1  the institution as stored, for its history record; 1 INSERT of that record
#   1  the feed's advisory lock (PostgreSQL only: SQLite's write lock is the database's)
#   12 one DELETE + one INSERT … SELECT per relation that shows an institution in brief
#      form: institutions.parent, positions.institution, events.organisers,
#      statements.institution, programmes.funders, documents.publisher
#   2  the institution's own row (DELETE, INSERT)
RENAME_QUERIES = {"postgresql": 33, "sqlite": 32}


@pytest.fixture
def editor(db) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + issue_token(username="ed", write=True))
    assert client.get("/api/v1/").status_code == 200  # records last_used_at once
    return client


@pytest.mark.parametrize("embedded_in", [30, 300])
def test_renaming_an_institution_costs_the_same_however_often_it_is_shown(
    editor, django_assert_num_queries, embedded_in
):
    institution = InstitutionFactory()
    speaker = PersonFactory()
    statements = StatementFactory.create_batch(
        embedded_in, institution=institution, speaker=speaker
    )
    other = StatementFactory(speaker=speaker, institution=InstitutionFactory())
    state = FeedState.current()
    since = f"{state.epoch}-{Change.objects.order_by('-seq')[0].seq}"
    cache.clear()

    with django_assert_num_queries(RENAME_QUERIES[connection.vendor]):
        response = editor.patch(
            f"/api/v1/institutions/{institution.pk}/", {"name": "Renamed ministry"}, format="json"
        )
    assert response.status_code == 200, response.content

    body = APIClient().get(URL, {"since": since, "page_size": 500}).json()
    assert body["next"] is None
    entries = {(e["resource"], e["id"]): e for e in body["results"]}
    assert len(entries) == len(body["results"])
    assert set(entries) == {("institutions", institution.pk)} | {
        ("statements", s.pk) for s in statements
    }
    assert ("statements", other.pk) not in entries
    for statement in statements:
        entry = entries[("statements", statement.pk)]
        assert entry["action"] == "upsert"
        assert entry["object"]["institution"]["name"] == "Renamed ministry"
    assert entries[("institutions", institution.pk)]["object"]["name"] == "Renamed ministry"
