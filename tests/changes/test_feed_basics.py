"""The change feed as a mirror reads it: envelope, paging, filters, errors, 410, pruning, schema.

Every assertion is on what a client receives from `/api/v1/changes/` (or from
the OpenAPI document); the feed's tables are read only to know what the
answer must hold, and written only to age rows for the retention tests.
"""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from changes.models import Change, FeedState
from tests.api.helpers import assert_problem
from tests.factories import TopicFactory

URL = "/api/v1/changes/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


def epoch() -> str:
    return FeedState.current().epoch


def seq_of(resource: str, pk: int) -> int:
    return Change.objects.get(resource=resource, object_id=pk).seq


def walk(client: APIClient, params: dict) -> tuple[list[list[dict]], str]:
    """Every page of the feed from `params`, following `next`; the pages and the final `last`."""
    response = client.get(URL, params)
    pages = []
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append(body["results"])
        if body["next"] is None:
            return pages, body["last"]
        response = client.get(body["next"])


# Envelope and paging ---------------------------------------------------------------


def test_envelope_and_entry_shape(anon, demo):
    body = anon.get(URL, {"page_size": 3}).json()

    assert set(body) == {"results", "next", "last"}
    assert len(body["results"]) == 3
    assert body["last"] == body["results"][-1]["seq"]
    assert body["next"].startswith("http://testserver/api/v1/changes/?")
    assert f"since={body['last']}" in body["next"]
    assert "page_size=3" in body["next"]
    for entry in body["results"]:
        assert set(entry) == {"seq", "resource", "id", "action", "at", "object"}
        assert entry["seq"].startswith(epoch() + "-")
        assert entry["action"] == "upsert"
        assert entry["object"]["id"] == entry["id"]
        assert entry["object"]["url"].endswith(f"/api/v1/{entry['resource']}/{entry['id']}/")
        datetime.datetime.fromisoformat(entry["at"])


def test_empty_page_keeps_the_cursor_given(anon, demo):
    _, last = walk(anon, {"page_size": 500})

    body = anon.get(URL, {"since": last}).json()

    assert body == {"results": [], "next": None, "last": last}


def test_empty_feed_without_since_has_a_last_to_resume_from(anon):
    body = anon.get(URL).json()

    assert body == {"results": [], "next": None, "last": f"{epoch()}-0"}
    topic = TopicFactory()
    entries = anon.get(URL, {"since": body["last"]}).json()["results"]
    assert [(e["resource"], e["id"]) for e in entries] == [("topics", topic.pk)]


@pytest.mark.parametrize("page_size", [1, 5, 500])
def test_pages_walk_the_whole_feed_once_in_order(anon, demo, page_size):
    pages, last = walk(anon, {"page_size": page_size})

    entries = [entry for page in pages for entry in page]
    assert all(len(page) <= page_size for page in pages)
    assert all(len(page) == page_size for page in pages[:-1])
    keys = [(e["resource"], e["id"]) for e in entries]
    assert len(keys) == len(set(keys)), "an entry appeared twice"
    assert set(keys) == set(Change.objects.values_list("resource", "object_id"))
    numbers = [int(e["seq"].rsplit("-", 1)[1]) for e in entries]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert last == entries[-1]["seq"]
    assert {e["resource"] for e in entries} >= {"statements", "events", "people", "institutions"}


def test_without_page_size_a_page_holds_fifty(anon, db):
    TopicFactory.create_batch(51)

    body = anon.get(URL).json()

    assert len(body["results"]) == 50 and body["next"] is not None


def test_a_later_change_moves_the_entry_to_the_end(anon, demo):
    _, last = walk(anon, {"page_size": 500})
    first = anon.get(URL, {"page_size": 1}).json()["results"][0]
    from changes.feed import resources

    model = next(m for m, name in resources().items() if name == first["resource"])
    entry = model.objects.get(pk=first["id"])
    entry.save()

    pages, _ = walk(anon, {"page_size": 500})
    entries = [e for page in pages for e in page]
    assert [(e["resource"], e["id"]) for e in entries].count((first["resource"], first["id"])) == 1
    assert (entries[-1]["resource"], entries[-1]["id"]) == (first["resource"], first["id"])
    after = anon.get(URL, {"since": last}).json()["results"]
    assert [(e["resource"], e["id"]) for e in after] == [(first["resource"], first["id"])]


def test_a_deletion_is_a_delete_without_object(anon, db):
    topic = TopicFactory()
    since = f"{epoch()}-{seq_of('topics', topic.pk)}"
    pk = topic.pk
    topic.delete()

    entries = anon.get(URL, {"since": since}).json()["results"]

    assert len(entries) == 1
    assert entries[0]["resource"] == "topics" and entries[0]["id"] == pk
    assert entries[0]["action"] == "delete"
    assert "object" not in entries[0]


# The resource filter ---------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["statements,events", "events,statements", " statements , events ", "events,statements,events"],
)
def test_resource_filter(anon, demo, value):
    pages, _ = walk(anon, {"resource": value, "page_size": 2})

    entries = [e for page in pages for e in page]
    assert {e["resource"] for e in entries} == {"statements", "events"}
    expected = Change.objects.filter(resource__in=["statements", "events"])
    assert sorted((e["resource"], e["id"]) for e in entries) == sorted(
        expected.values_list("resource", "object_id")
    )
    assert "resource=" in anon.get(URL, {"resource": value, "page_size": 2}).json()["next"]


def test_resource_filter_keeps_the_cursor_across_resources(anon, demo):
    """A page of topics only, then a statement changed later: resuming sees only what follows."""
    body = anon.get(URL, {"resource": "topics", "page_size": 500}).json()
    assert body["results"] and {e["resource"] for e in body["results"]} == {"topics"}
    topic = TopicFactory()

    after = anon.get(URL, {"resource": "topics", "since": body["last"]}).json()["results"]

    assert [(e["resource"], e["id"]) for e in after] == [("topics", topic.pk)]


# Invalid requests ------------------------------------------------------------------


@pytest.mark.parametrize(
    "since",
    [
        "garbage",
        "",
        "-1",
        "{epoch}--1",  # a negative number in this feed
        "{epoch}-1.5",
        "{epoch}-",
        "{epoch}-\uff11\uff12",  # fullwidth digits
        "{epoch}-1e3",
        "{epoch}-" + "9" * 19,  # beyond any bigint
        "{epoch}-" + "9" * 400,
        "not-an-epoch-5",
        "{epoch} -5",
    ],
)
def test_malformed_since_is_a_400_naming_it(anon, demo, since):
    response = anon.get(URL, {"since": since.format(epoch=epoch())})

    body = assert_problem(response, 400, "since")
    assert body["type"].endswith("/validation-error")


@pytest.mark.parametrize("value", ["tweets", "statements,tweets", "", ",", "Statements"])
def test_unknown_resource_is_a_400_naming_it(anon, value):
    body = assert_problem(anon.get(URL, {"resource": value}), 400, "resource")
    assert "statements" in str(body["errors"])  # it lists what is accepted


@pytest.mark.parametrize("value", ["0", "-1", "501", "ten", "", "1.5", "9" * 30])
def test_bad_page_size_is_a_400_naming_it(anon, value):
    assert_problem(anon.get(URL, {"page_size": value}), 400, "page_size")


@pytest.mark.parametrize(
    "query", ["cursor=abc", "page=2", "updated_since=2020-01-01", "since_seq=3"]
)
def test_unknown_parameter_is_a_400_naming_it(anon, query):
    name = query.split("=")[0]
    body = assert_problem(anon.get(f"{URL}?{query}"), 400, name)
    assert body["errors"][0]["code"] == "unknown_parameter"
    assert "since" in body["errors"][0]["message"]


def test_repeated_since_is_a_400(anon, db):
    e = epoch()
    body = assert_problem(anon.get(f"{URL}?since={e}-1&since={e}-2"), 400, "since")
    assert body["errors"][0]["code"] == "repeated_parameter"


# 410 Gone --------------------------------------------------------------------------


def assert_gone(response) -> dict:
    assert response.status_code == 410, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 410
    assert body["type"].endswith("/gone")
    assert "re-sync" in body["detail"]
    return body


def test_cursor_of_another_epoch_is_gone(anon, demo):
    other = "0" * 8 if epoch() != "0" * 8 else "1" * 8

    assert_gone(anon.get(URL, {"since": f"{other}-1"}))


def test_cursor_from_before_a_restore_is_gone(anon, demo):
    _, last = walk(anon, {"page_size": 500})
    FeedState.new_epoch()

    assert_gone(anon.get(URL, {"since": last}))
    # The new feed starts again from the beginning, with its own cursors.
    body = anon.get(URL, {"page_size": 1}).json()
    assert body["last"].startswith(epoch() + "-") and not last.startswith(epoch())


def test_cursor_below_pruned_through_is_gone(anon, demo):
    state = FeedState.current()
    state.pruned_through = 10
    state.save()

    assert_gone(anon.get(URL, {"since": f"{state.epoch}-9"}))
    assert_gone(anon.get(URL, {"since": f"{state.epoch}-0"}))
    assert anon.get(URL, {"since": f"{state.epoch}-10"}).status_code == 200
    # Without `since`: the retained feed from its beginning, never 410.
    assert anon.get(URL).status_code == 200


# Retention: manage.py prune_changes --------------------------------------------------


def test_prune_changes_removes_old_tombstones_only(anon, db, settings):
    settings.CHANGES_RETENTION_DAYS = 30
    now = timezone.now()
    old_live = TopicFactory()
    doomed = TopicFactory.create_batch(3)
    survivors = TopicFactory.create_batch(2)
    old_ids = [t.pk for t in doomed]
    for topic in doomed:
        topic.delete()
    recent_ids = [t.pk for t in survivors]
    for topic in survivors:
        topic.delete()
    kept_live = TopicFactory()
    Change.objects.filter(resource="topics", object_id__in=[old_live.pk, *old_ids]).update(
        at=now - datetime.timedelta(days=31)
    )
    Change.objects.filter(resource="topics", object_id__in=recent_ids).update(
        at=now - datetime.timedelta(days=29)
    )
    old_seqs = sorted(seq_of("topics", pk) for pk in old_ids)
    recent_seqs = sorted(seq_of("topics", pk) for pk in recent_ids)
    before_old = f"{epoch()}-{old_seqs[0] - 1}"
    between = f"{epoch()}-{old_seqs[-1] - 1}"
    after_old = f"{epoch()}-{old_seqs[-1]}"
    assert anon.get(URL, {"since": before_old}).status_code == 200

    call_command("prune_changes", stdout=io.StringIO())

    pages, _ = walk(anon, {"page_size": 500})
    seen = {(e["id"], e["action"]) for page in pages for e in page}
    assert (old_live.pk, "upsert") in seen, "a live entry's row is never pruned, however old"
    assert (kept_live.pk, "upsert") in seen
    assert {(pk, "delete") for pk in recent_ids} <= seen
    assert not {pk for pk, _ in seen} & set(old_ids)
    assert FeedState.current().pruned_through == old_seqs[-1]
    assert_gone(anon.get(URL, {"since": before_old}))
    assert_gone(anon.get(URL, {"since": between}))
    after = anon.get(URL, {"since": after_old})
    assert after.status_code == 200
    assert {(e["id"], e["action"]) for e in after.json()["results"]} >= {
        (pk, "delete") for pk in recent_ids
    }
    assert min(int(e["seq"].rsplit("-", 1)[1]) for e in after.json()["results"]) == recent_seqs[0]


def test_prune_changes_with_nothing_old_changes_nothing(anon, db, settings):
    settings.CHANGES_RETENTION_DAYS = 1
    topic = TopicFactory()
    topic.delete()
    body = anon.get(URL).json()

    call_command("prune_changes", stdout=io.StringIO())

    assert anon.get(URL).json() == body
    assert anon.get(URL, {"since": f"{epoch()}-0"}).status_code == 200


# OpenAPI ---------------------------------------------------------------------------


@pytest.fixture
def schema(anon) -> dict:
    response = anon.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def resolve(schema: dict, node: dict) -> dict:
    if "allOf" in node and len(node["allOf"]) == 1:
        node = node["allOf"][0]
    if "$ref" in node:
        return schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def test_schema_describes_the_feed(schema):
    operation = schema["paths"]["/api/v1/changes/"]["get"]

    parameters = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    assert set(parameters) == {"since", "resource", "page_size", "format", "lang"}
    assert parameters["page_size"]["schema"]["type"] == "integer"
    assert "410" in parameters["since"]["description"]

    page = resolve(schema, operation["responses"]["200"]["content"]["application/json"]["schema"])
    assert page.get("type") == "object", "the answer is one page object, not an array of pages"
    assert set(page["required"]) == {"results", "next", "last"}
    assert page["properties"]["next"]["nullable"] is True
    entries = page["properties"]["results"]
    assert entries["type"] == "array"
    assert entries["items"]["$ref"].endswith("/ChangeFeedEntry")
    entry = schema["components"]["schemas"]["ChangeFeedEntry"]
    assert set(entry["properties"]) == {"seq", "resource", "id", "action", "at", "object"}
    assert resolve(schema, entry["properties"]["action"])["enum"] == ["upsert", "delete"]
    assert "object" not in entry["required"], "a delete has no object"
    objects = resolve(schema, entry["properties"]["object"])
    shown = {ref["$ref"].rsplit("/", 1)[-1] for ref in objects["anyOf"]}
    assert {"Statement", "Event", "Person", "Institution", "Topic"} <= shown


def test_schema_documents_the_410_as_a_problem(schema):
    responses = schema["paths"]["/api/v1/changes/"]["get"]["responses"]

    assert "410" in responses
    assert "re-sync" in responses["410"]["description"]
    content = responses["410"]["content"]
    assert list(content) == ["application/problem+json"]
    assert content["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
    assert responses["400"]["content"]["application/problem+json"]
