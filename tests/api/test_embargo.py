"""Embargo (`publish_at`): a published entry stays hidden from the public until that moment,
then appears everywhere at once without anyone writing anything (API.md, "Publication").

The clock is frozen (time-machine) and moved past `publish_at`; the cache is the one the
project runs with (the per-process cache, as without `REDIS_URL`), so stale counts would
show.
"""

import csv
import datetime
import io

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from events.models import Event, Statement
from tests.api.helpers import all_ids, assert_problem
from tests.changes.mirror import Mirror
from tests.factories import EventFactory, PersonFactory, StatementFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
# Within COUNTRY_COUNTS_TTL (300 s): the cached counts have not expired by themselves.
LIFT = NOW + datetime.timedelta(minutes=2)
AFTER = LIFT + datetime.timedelta(seconds=1)
WORD = "Zanzibarian"  # found by `q` in this statement only
COUNTRY = "MT"  # concerned by this statement only


@pytest.fixture
def clock(settings):
    assert (AFTER - NOW).total_seconds() < settings.COUNTRY_COUNTS_TTL
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def statement_counts(client: APIClient) -> tuple[int, int]:
    """What /countries/ and /stats/statements/ count for COUNTRY."""
    countries = client.get("/api/v1/countries/").json()["results"]
    listed = {row["code"]: row["statement_count"] for row in countries}
    stats = client.get("/api/v1/stats/statements/", {"group_by": "country"}).json()["results"]
    grouped = {row["country"]: row["count"] for row in stats}
    return listed.get(COUNTRY, 0), grouped.get(COUNTRY, 0)


def csv_ids(client: APIClient, url: str) -> list[int]:
    response = client.get(url, {"format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8").removeprefix("\ufeff")
    return [int(row["id"]) for row in csv.DictReader(io.StringIO(text, newline=""))]


def where_seen(client: APIClient, statement: Statement) -> dict[str, bool]:
    """Every place a client may meet the statement, and whether it does."""
    pk = statement.pk
    statement_count, stats_count = statement_counts(client)
    return {
        "list": pk in all_ids(client, "/api/v1/statements/"),
        "detail": client.get(f"/api/v1/statements/{pk}/").status_code == 200,
        "event's statements": pk
        in all_ids(client, f"/api/v1/events/{statement.event_id}/statements/")
        if client.get(f"/api/v1/events/{statement.event_id}/").status_code == 200
        else False,
        "person's statements": pk
        in all_ids(client, f"/api/v1/people/{statement.speaker_id}/statements/"),
        "country's statements": pk in all_ids(client, f"/api/v1/countries/{COUNTRY}/statements/"),
        "search": pk in all_ids(client, "/api/v1/statements/", {"q": WORD}),
        "csv": pk in csv_ids(client, "/api/v1/statements/"),
        "countries count": statement_count == 1,
        "stats count": stats_count == 1,
    }


EVERYWHERE = dict.fromkeys(
    [
        "list",
        "detail",
        "event's statements",
        "person's statements",
        "country's statements",
        "search",
        "csv",
        "countries count",
        "stats count",
    ],
    True,
)
NOWHERE = dict.fromkeys(EVERYWHERE, False)


def make_statement(**values) -> Statement:
    statement = StatementFactory(
        text=f"The {WORD} protocol helps victims.", event=EventFactory(), **values
    )
    statement.countries.set([COUNTRY])
    return statement


def test_publish_at_is_written_and_read_through_the_api(clock, writer, anon):
    speaker = PersonFactory()
    response = writer.post(
        "/api/v1/statements/",
        {
            "text": "We will sign the protocol.",
            "language": "en",
            "speaker": speaker.pk,
            "status": "published",
            "publish_at": LIFT.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["publish_at"] == "2026-03-02T09:02:00Z"
    pk = response.json()["id"]
    assert anon.get(f"/api/v1/statements/{pk}/").status_code == 404

    clock.move_to(AFTER)
    body = anon.get(f"/api/v1/statements/{pk}/").json()
    assert body["publish_at"] == "2026-03-02T09:02:00Z"  # in the past: harmless to show
    listed = anon.get("/api/v1/statements/").json()["results"]
    assert [item["publish_at"] for item in listed if item["id"] == pk] == [body["publish_at"]]

    event = writer.post(
        "/api/v1/events/",
        {"title": "Signing", "status": "published", "publish_at": "2026-04-01T10:00:00+02:00"},
        format="json",
    )
    assert event.status_code == 201, event.content
    assert event.json()["publish_at"] == "2026-04-01T08:00:00Z"
    cleared = writer.patch(
        f"/api/v1/events/{event.json()['id']}/", {"publish_at": None}, format="json"
    )
    assert cleared.json()["publish_at"] is None


def test_a_bad_publish_at_is_a_400_naming_it(writer):
    event = EventFactory()
    response = writer.patch(
        f"/api/v1/events/{event.pk}/", {"publish_at": "tomorrow"}, format="json"
    )
    assert_problem(response, 400, "publish_at")


def test_an_embargoed_statement_appears_everywhere_when_its_embargo_ends(clock, anon, writer):
    statement = make_statement(publish_at=LIFT)
    assert where_seen(anon, statement) == NOWHERE
    assert where_seen(APIClient(), statement) == NOWHERE  # twice: from the cache too
    seen_by_editor = where_seen(writer, statement)
    # The editor sees it in every list (/countries/ counts what anyone sees).
    assert seen_by_editor == {**EVERYWHERE, "countries count": False}

    clock.move_to(AFTER)  # and nothing is written

    assert where_seen(anon, statement) == EVERYWHERE


def test_an_embargoed_event_hides_its_statements_until_it_ends(clock, anon, writer):
    statement = make_statement()
    event = Event.objects.get(pk=statement.event_id)
    event.countries.set([COUNTRY])
    event.publish_at = LIFT
    event.save()

    assert where_seen(anon, statement) == NOWHERE
    assert anon.get(f"/api/v1/events/{event.pk}/").status_code == 404
    assert anon.get(f"/api/v1/events/{event.pk}/statements/").status_code == 404
    assert event.pk not in all_ids(anon, "/api/v1/events/")
    countries = {row["code"]: row for row in anon.get("/api/v1/countries/").json()["results"]}
    assert COUNTRY not in countries
    assert writer.get(f"/api/v1/events/{event.pk}/").status_code == 200

    clock.move_to(AFTER)

    assert where_seen(anon, statement) == EVERYWHERE
    assert event.pk in all_ids(anon, "/api/v1/events/")
    countries = {row["code"]: row for row in anon.get("/api/v1/countries/").json()["results"]}
    assert countries[COUNTRY]["event_count"] == 1


def test_an_embargo_that_ended_is_no_embargo(clock, anon):
    statement = make_statement(publish_at=NOW - datetime.timedelta(seconds=1))
    assert where_seen(anon, statement) == EVERYWHERE


def test_a_draft_stays_hidden_after_its_publish_at(clock, anon):
    statement = make_statement(status="draft", publish_at=LIFT)
    clock.move_to(AFTER)
    assert where_seen(anon, statement) == NOWHERE


def test_updated_since_finds_what_appeared_since_then(clock, anon, writer):
    embargoed = make_statement(publish_at=LIFT)
    at_embargoed_event = StatementFactory(event=EventFactory(publish_at=LIFT))
    untouched = StatementFactory()
    clock.move_to(NOW + datetime.timedelta(minutes=1))
    since = {"updated_since": timezone.now().isoformat()}
    assert all_ids(anon, "/api/v1/statements/", since) == []
    assert all_ids(anon, "/api/v1/events/", since) == []

    clock.move_to(AFTER)

    found = all_ids(anon, "/api/v1/statements/", since)
    assert sorted(found) == sorted([embargoed.pk, at_embargoed_event.pk])
    assert untouched.pk not in found
    assert all_ids(anon, "/api/v1/events/", since) == [at_embargoed_event.event_id]
    # An editor saw them when they were written: for them nothing changed since.
    assert all_ids(writer, "/api/v1/statements/", since) == []


def test_no_stale_304_while_embargoed(clock, anon, writer, entry_version_tags):
    statement = make_statement(publish_at=LIFT)
    etag = writer.get(f"/api/v1/statements/{statement.pk}/")["ETag"]

    hidden = anon.get(f"/api/v1/statements/{statement.pk}/", HTTP_IF_NONE_MATCH=etag)
    assert hidden.status_code == 404

    clock.move_to(AFTER)
    shown = anon.get(f"/api/v1/statements/{statement.pk}/")
    assert shown.status_code == 200 and shown["ETag"] == etag


def by_key(changes: list[dict]) -> dict[tuple[str, int], dict]:
    return {(change["resource"], change["id"]): change for change in changes}


def test_the_feed_upserts_an_entry_when_its_embargo_ends(clock, writer):
    statement = make_statement(publish_at=LIFT)
    anonymous, editor = Mirror("anonymous", APIClient()), Mirror("editor", writer)
    seen = by_key(anonymous.sync())
    assert seen["statements", statement.pk]["action"] == "delete"
    assert by_key(editor.sync())["statements", statement.pk]["action"] == "upsert"
    assert anonymous.sync() == []  # nothing due: nothing new

    clock.move_to(AFTER)  # past the row of its creation, nothing written since

    seen = by_key(anonymous.sync())
    assert seen["statements", statement.pk]["action"] == "upsert"
    assert seen["statements", statement.pk]["object"] == (
        anonymous.client.get(f"/api/v1/statements/{statement.pk}/").json()
    )
    assert anonymous.sync() == []  # written once
    assert ("statements", statement.pk) in by_key(editor.sync())  # harmless for an editor


def test_the_feed_upserts_an_event_and_its_statements_when_its_embargo_ends(clock):
    event = EventFactory(publish_at=LIFT)
    statements = StatementFactory.create_batch(2, event=event)
    anonymous = Mirror("anonymous", APIClient())
    anonymous.sync()
    assert ("events", event.pk) not in anonymous.entries

    clock.move_to(AFTER)

    seen = by_key(anonymous.sync())
    assert seen["events", event.pk]["action"] == "upsert"
    for statement in statements:
        assert seen["statements", statement.pk]["action"] == "upsert"
    assert set(anonymous.entries) >= {("statements", s.pk) for s in statements}


def test_a_feed_read_with_nothing_due_costs_no_query_more(clock, django_assert_num_queries):
    make_statement(publish_at=LIFT)
    anonymous = Mirror("anonymous", APIClient())
    anonymous.sync()
    # the page, the feed's state (with whether an embargo ended), no entry to read
    with django_assert_num_queries(2):
        anonymous.sync()


def test_counts_cached_late_in_a_record_version_do_not_outlive_an_embargo_end(clock, anon):
    """The next embargo end is remembered for `COUNTRY_COUNTS_TTL` seconds from the
    token's first use, but counts cached later under the same token live as long from
    their own write: once that memory is gone, they must not be served past the end."""
    lift = NOW + datetime.timedelta(seconds=200)
    statement = make_statement(publish_at=lift)
    assert anon.get("/api/v1/stats/statements/", {"group_by": "language"}).status_code == 200
    clock.move_to(NOW + datetime.timedelta(seconds=190))
    assert statement_counts(anon) == (0, 0)  # cached until NOW + 490 s
    clock.move_to(NOW + datetime.timedelta(seconds=310))  # no request in between

    assert anon.get(f"/api/v1/statements/{statement.pk}/").status_code == 200
    assert statement_counts(anon) == (1, 1)
