"""Pinned query counts of the change feed: a page, and a write that fans out.

A page costs the same whatever its size: the feed's state, one range scan of
the feed, then one query per resource present on the page (plus that
resource's prefetches). A rename of an entry others embed costs the same
however many entries embed it: one `DELETE` and one `INSERT … SELECT` per
embedding relation, never one per embedding entry.
"""

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from rest_framework.test import APIClient

from accounts.services import issue_token
from changes.models import Change, FeedState
from ctht_api.audit import changeset
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
PER_RESOURCE = 10

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


BUILDERS = {
    "statements": lambda shared: StatementFactory(
        speaker=shared["person"],
        position=shared["position"],
        institution=shared["institution"],
        event=shared["event"],
        source=shared["document"],
    ),
    "events": lambda shared: EventFactory(country_id="RS", source=shared["document"]),
    "people": lambda shared: PersonFactory(),
    "institutions": lambda shared: InstitutionFactory(parent=shared["institution"]),
    "programmes": lambda shared: ProgrammeFactory(parent=shared["programme"]),
    "topics": lambda shared: TopicFactory(),
    "documents": lambda shared: DocumentFactory(publisher=shared["institution"]),
    "positions": lambda shared: PositionFactory(
        person=shared["person"], institution=shared["institution"]
    ),
}
MANY = {  # the many-to-many lists each resource shows, filled in
    "statements": lambda entry, shared: (
        entry.topics.set([shared["topic"]]),
        entry.countries.set(["RS", "BA"]),
    ),
    "events": lambda entry, shared: (
        entry.countries.set(["RS", "ME"]),
        entry.organisers.set([shared["institution"]]),
        entry.topics.set([shared["topic"]]),
        entry.programmes.set([shared["programme"]]),
        entry.documents.set([shared["document"]]),
    ),
    "programmes": lambda entry, shared: entry.funders.set([shared["institution"]]),
}


def make_record(names: list[str], per_resource: int) -> dict[str, list]:
    """`per_resource` live entries of each resource named, every relation its
    representation embeds filled in, so an N+1 would show."""
    assert connection.features.supports_json_field  # SQLite probes JSON once: not measured
    # One write, as the API makes them: the feed rows are written once, at its end.
    with transaction.atomic(), changeset(reason="test record"):
        return _make_record(names, per_resource)


def _make_record(names: list[str], per_resource: int) -> dict[str, list]:
    institution = InstitutionFactory(country_id="ME")
    shared = {
        "institution": institution,
        "person": PersonFactory(),
        "topic": TopicFactory(),
        "programme": ProgrammeFactory(),
        "document": DocumentFactory(publisher=institution),
    }
    shared["event"] = EventFactory(source=shared["document"])
    shared["position"] = PositionFactory(person=shared["person"], institution=institution)
    record = {}
    for name in names:
        record[name] = [BUILDERS[name](shared) for _ in range(per_resource)]
        for entry in record[name]:
            MANY.get(name, lambda *_: None)(entry, shared)
    return record


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
    db, django_assert_num_queries, page_size
):
    names = FIVE_RESOURCES.split(",")
    since = interleave(make_record(names, 40), names)

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
    db, django_assert_num_queries, page_size
):
    record = make_record(list(BUILDERS), 25)
    since = interleave(record, sorted(record))

    entries = page(
        APIClient(),
        {"since": since, "page_size": page_size},
        django_assert_num_queries,
        PAGE_QUERIES_ALL,
    )

    assert len(entries) == page_size
    assert {e["resource"] for e in entries} == set(record)
    for entry in entries:  # the relations were read, in these same queries
        if entry["resource"] == "statements":
            assert entry["object"]["topics"] and entry["object"]["institution"], entry
        if entry["resource"] == "events":
            assert entry["object"]["organisers"] and entry["object"]["documents"], entry


def test_deletions_add_no_query(db, django_assert_num_queries):
    since = interleave(make_record(["institutions"], PER_RESOURCE), ["institutions"])

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
#   1  its sources, for the answer (the list's JSON annotation is not read after a write)
#   1  the institution as stored, for its history record; 1 INSERT of that record
#   2  its other names and identifiers, which the history record keeps
#      (ctht_api.audit.snapshot_history)
#   1  its sources, copied to the history record's many-to-many table
#   1  the feed's advisory lock (PostgreSQL only: SQLite's write lock is the database's)
#   12 one DELETE + one INSERT … SELECT per relation that shows an institution in brief
#      form: institutions.parent, positions.institution, events.organisers,
#      statements.institution, programmes.funders, documents.publisher
#   2  the institution's own row (DELETE, INSERT)
RENAME_QUERIES = {"postgresql": 37, "sqlite": 36}


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
    with transaction.atomic(), changeset(reason="test record"):
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
