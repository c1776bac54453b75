"""A conference entered on one page: the event's statements as editable rows of its page.

Each test posts the event's change page through the real admin, as a browser
would, and looks at what the editor sees and what the database (its history,
the change feed) holds afterwards.
"""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import Event, Statement
from tests.api.conftest import token_client
from tests.factories import (
    EventFactory,
    InstitutionFactory,
    PersonFactory,
    PositionFactory,
    StatementFactory,
    StatementTranslationFactory,
    TopicFactory,
)
from tests.test_audit import change_url, form_data, inline_prefix

pytestmark = pytest.mark.django_db

ROWS = "statements"
REASON = "Entered from the conference programme"


@pytest.fixture
def event() -> Event:
    event = EventFactory(title="Regional conference", start_date=datetime.date(2026, 5, 4))
    event.countries.set(["BA"])
    return event


def row(speaker, **fields) -> dict:
    """A new statement row as the editor fills it in."""
    return {
        "speaker": str(speaker.pk),
        "text": "Words said.",
        "language": "en",
        "status": "draft",
        **fields,
    }


def page_with(client, event: Event, *new_rows: dict, **event_fields) -> dict:
    """The event's page as opened, with `new_rows` filled into new rows and the
    event's own fields changed; the blank rows the page offered are left out."""
    data = form_data(client, event)
    first = int(data[f"{ROWS}-INITIAL_FORMS"])
    for key in [k for k in data if re.match(rf"{ROWS}-(\d+)-", k)]:
        if int(key.split("-")[1]) >= first:
            del data[key]
    for offset, new_row in enumerate(new_rows):
        for name, value in new_row.items():
            data[f"{ROWS}-{first + offset}-{name}"] = value
    data[f"{ROWS}-TOTAL_FORMS"] = str(first + len(new_rows))
    data.update(event_fields)
    return data


def row_errors(response) -> list[dict]:
    formsets = response.context["inline_admin_formsets"]
    (formset,) = [f.formset for f in formsets if f.formset.prefix == ROWS]
    return [dict(errors) for errors in formset.errors if errors]


def snapshot() -> list[tuple]:
    """Everything a refused save must leave as it was."""
    statements = Statement.objects.order_by("pk")
    return [
        *Event.objects.order_by("pk").values_list("pk", "title", "version"),
        *statements.values_list("pk", "text", "language", "position", "version"),
        Statement.history.count(),
        Event.history.count(),
    ]


def changed_through_the_api(statement: Statement, **fields) -> None:
    """Another editor's change, committed after the page was opened."""
    writer = token_client("editor", write=True)
    response = writer.patch(f"/api/v1/statements/{statement.pk}/", fields, format="json")
    assert response.status_code == 200


def test_two_statements_added_and_one_edited_in_one_save(admin_client, admin_user, event):
    kept = StatementFactory(event=event, text="Old words.", language="fr")
    minister, expert = PersonFactory(full_name="Ana Marić"), PersonFactory()
    position = PositionFactory(person=minister, institution=InstitutionFactory(country_id="MK"))
    online, evidence = TopicFactory(), TopicFactory()
    data = page_with(
        admin_client,
        event,
        row(
            minister,
            position=str(position.pk),
            language="fr",
            countries=["RS", "ME"],
            topics=[str(online.pk)],
            status="published",
        ),
        row(expert, language="sr-latn", topics=[str(online.pk), str(evidence.pk)]),
        change_reason=REASON,
    )
    data[f"{inline_prefix(data, kept.pk)}-text"] = "Corrected words."
    kept_records = kept.history.count()

    response = admin_client.post(change_url(event), data)

    assert response.status_code == 302, row_errors(response)
    kept.refresh_from_db()
    assert (kept.text, kept.version) == ("Corrected words.", 2)
    by_minister = Statement.objects.get(speaker=minister)
    assert (by_minister.event, by_minister.institution) == (event, position.institution)
    assert by_minister.date == event.start_date  # the event's, left empty in the row
    assert set(by_minister.countries.values_list("code", flat=True)) == {"RS", "ME"}
    assert list(by_minister.topics.all()) == [online]
    assert by_minister.status == "published"
    by_expert = Statement.objects.get(speaker=expert)
    assert by_expert.language == "sr-Latn"
    assert list(by_expert.countries.values_list("code", flat=True)) == ["BA"]  # the event's
    assert set(by_expert.topics.all()) == {online, evidence}
    assert "said" in by_expert.search_document

    records = {
        statement.pk: list(statement.history.all()) for statement in (kept, by_minister, by_expert)
    }
    assert [len(r) for r in records.values()] == [kept_records + 1, 1, 1]  # one each
    newest = [r[0] for r in records.values()] + [event.history.first()]
    assert {(r.history_user, r.history_change_reason) for r in newest} == {(admin_user, REASON)}
    assert [r.history_type for r in newest] == ["~", "+", "+", "~"]
    assert set(records[by_minister.pk][0].countries.values_list("country_id", flat=True)) == {
        "RS",
        "ME",
    }


def test_a_row_changed_meanwhile_refuses_the_whole_page(admin_client, event):
    first, second = StatementFactory(event=event), StatementFactory(event=event)
    data = page_with(admin_client, event, row(PersonFactory()), title="Renamed conference")
    data[f"{inline_prefix(data, first.pk)}-text"] = "The editor's words."
    data[f"{inline_prefix(data, second.pk)}-text"] = "The editor's other words."
    changed_through_the_api(second, text="Changed by API")
    before = snapshot()

    response = admin_client.post(change_url(event), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "This statement was changed by editor" in page
    assert "Your changes were not saved" in page
    assert snapshot() == before


def test_a_position_of_another_person_is_a_row_error(admin_client, event):
    speaker, other = PersonFactory(), PersonFactory()
    other_position = PositionFactory(person=other)
    data = page_with(
        admin_client,
        event,
        row(speaker),
        row(speaker, position=str(other_position.pk)),
        title="Renamed conference",
    )
    before = snapshot()

    response = admin_client.post(change_url(event), data)

    assert response.status_code == 200
    assert row_errors(response) == [{"position": ["This position is held by another person."]}]
    assert "This position is held by another person." in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"language": "klingon"}, "language"),
        ({"language": "xx"}, "language"),
        ({"language": ""}, "language"),
        ({"text": "   "}, "text"),
        ({"countries": ["ZZ"]}, "countries"),
        ({"status": "secret"}, "status"),
    ],
)
def test_bad_data_in_a_row_is_a_row_error(admin_client, event, fields, field):
    data = page_with(admin_client, event, row(PersonFactory(), **fields))
    before = snapshot()

    response = admin_client.post(change_url(event), data)

    assert response.status_code == 200
    (errors,) = row_errors(response)
    assert field in errors
    assert snapshot() == before


def test_the_language_of_a_kept_translation_is_a_row_error(admin_client, event):
    statement = StatementFactory(event=event, language="en")
    StatementTranslationFactory(statement=statement, language="fr")
    data = page_with(admin_client, event)
    data[f"{inline_prefix(data, statement.pk)}-language"] = "fr"
    before = snapshot()

    response = admin_client.post(change_url(event), data)

    assert response.status_code == 200
    (errors,) = row_errors(response)
    assert "The statement has a translation in this language" in errors["language"][0]
    assert snapshot() == before


def test_a_position_at_another_institution_than_the_statement_is_a_row_error(admin_client, event):
    """The institution is not on the row: the model's rule about it is the row's error."""
    speaker = PersonFactory()
    held, later = PositionFactory(person=speaker), PositionFactory(person=speaker)
    statement = StatementFactory(event=event, speaker=speaker, position=held)
    statement.refresh_from_db()
    assert statement.institution == held.institution
    data = page_with(admin_client, event)
    data[f"{inline_prefix(data, statement.pk)}-position"] = str(later.pk)
    before = snapshot()

    response = admin_client.post(change_url(event), data)

    assert response.status_code == 200
    assert row_errors(response) == [{"__all__": ["The position belongs to another institution."]}]
    assert snapshot() == before


def test_a_row_marked_for_deletion_deletes_its_statement(admin_client, admin_user, event):
    gone, kept = StatementFactory(event=event), StatementFactory(event=event)
    data = page_with(admin_client, event, change_reason="Not said at this event")
    data[f"{inline_prefix(data, gone.pk)}-DELETE"] = "on"

    assert admin_client.post(change_url(event), data).status_code == 302

    assert list(Statement.objects.all()) == [kept]
    record = Statement.history.filter(id=gone.pk).first()
    assert (record.history_type, record.history_user) == ("-", admin_user)
    assert record.history_change_reason == "Not said at this event"


def test_a_row_changed_meanwhile_is_not_deleted_over_the_change(admin_client, event):
    """Django drops the errors of a row marked for deletion: the conflict must still stop
    the page, or the other editor's correction is deleted unseen."""
    corrected = StatementFactory(event=event)
    data = page_with(admin_client, event)
    data[f"{inline_prefix(data, corrected.pk)}-DELETE"] = "on"
    changed_through_the_api(corrected, text="A correction")
    before = snapshot()

    response = admin_client.post(change_url(event), data)

    assert response.status_code == 200
    assert "This statement was changed by editor" in response.content.decode()
    assert snapshot() == before
    assert Statement.objects.get(pk=corrected.pk).text == "A correction"


def test_a_row_moved_to_another_event_meanwhile_refuses_the_page(admin_client, event):
    """Django would build an empty new row for it and skip it: the edit lost unseen."""
    moved = StatementFactory(event=event, text="Old words.")
    elsewhere = EventFactory()
    data = page_with(admin_client, event)
    data[f"{inline_prefix(data, moved.pk)}-text"] = "The editor's words."
    changed_through_the_api(moved, event=elsewhere.pk)
    before = snapshot()

    response = admin_client.post(change_url(event), data)

    assert response.status_code == 200
    assert "was deleted or moved elsewhere after you opened it" in response.content.decode()
    assert snapshot() == before


def test_the_change_feed_shows_the_new_statements(admin_client, event):
    writer = token_client("editor", write=True)
    last = writer.get("/api/v1/changes/").json()["last"]
    speaker = PersonFactory()
    data = page_with(admin_client, event, row(speaker, text="First."), row(speaker, text="Second."))

    assert admin_client.post(change_url(event), data).status_code == 302

    entries = writer.get("/api/v1/changes/", {"since": last}).json()["results"]
    shown = {
        entry["object"]["text"]: entry["action"]
        for entry in entries
        if entry["resource"] == "statements"
    }
    assert shown == {"First.": "upsert", "Second.": "upsert"}


def event_with_statements(count: int) -> Event:
    event = EventFactory()
    topics = [TopicFactory(), TopicFactory()]
    for _ in range(count):
        position = PositionFactory()
        statement = StatementFactory(event=event, speaker=position.person, position=position)
        statement.countries.set(["BA", "RS"])
        statement.topics.set(topics)
        StatementTranslationFactory(statement=statement)
    return event


# The session and the user; the event and its five lists (countries, organisers, topics,
# programmes, documents); its other names and identifiers (their inlines); the statements with their
# speaker and position joined, their countries, their topics; the transaction's savepoint
# and its release. None per row.
PAGE_QUERIES = 15


def test_the_page_reads_a_fixed_number_of_queries_however_many_statements(admin_client):
    def queries(event: Event) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(change_url(event))
        assert response.status_code == 200
        rows = response.content.decode().count("part of the solution.</textarea>")
        assert rows == event.statements.count()
        return len(captured)

    few, many = event_with_statements(2), event_with_statements(10)
    queries(few)  # warms what is cached once per process (content types, sessions)

    assert queries(few) == queries(many) == PAGE_QUERIES


def staff(*codenames: str):
    user = get_user_model().objects.create_user("reader", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def test_without_the_right_to_change_statements_the_rows_are_read_only(client, event):
    StatementFactory(event=event, text="Read-only words.")
    client.force_login(staff("view_event", "change_event", "view_statement"))

    page = client.get(change_url(event)).content.decode()

    assert "Read-only words." in page
    assert f'name="{ROWS}-0-text"' not in page
    assert f'name="{ROWS}-TOTAL_FORMS" value="1"' in page  # no row to fill in


def test_without_the_right_to_add_statements_there_is_no_new_row(client, event):
    StatementFactory(event=event)
    client.force_login(staff("view_event", "change_event", "view_statement", "change_statement"))

    page = client.get(change_url(event)).content.decode()

    assert f'name="{ROWS}-0-text"' in page
    assert f'name="{ROWS}-TOTAL_FORMS" value="1"' in page
    assert f'name="{ROWS}-0-DELETE"' not in page


def test_an_event_and_its_statements_are_added_on_one_page(admin_client):
    speaker = PersonFactory()
    data = {
        "title": "Workshop",
        "kind": "workshop",
        "status": "draft",
        "start_date": "2026-06-01",
        f"{ROWS}-TOTAL_FORMS": "1",
        f"{ROWS}-INITIAL_FORMS": "0",
        **{f"{ROWS}-0-{name}": value for name, value in row(speaker, status="draft").items()},
        "other_names-TOTAL_FORMS": "1",
        "other_names-INITIAL_FORMS": "0",
        "other_names-0-name": "Atelier",
        "other_names-0-language": "fr",
        "identifiers-TOTAL_FORMS": "0",
        "identifiers-INITIAL_FORMS": "0",
    }

    response = admin_client.post(reverse("admin:events_event_add"), data)

    assert response.status_code == 302, row_errors(response)
    statement = Statement.objects.get()
    assert (statement.event.title, statement.date) == ("Workshop", datetime.date(2026, 6, 1))
    assert list(statement.event.other_names.values_list("name", "language")) == [("Atelier", "fr")]
    assert statement.event.version == 1  # created with its other name: one version


# The position search of a row ----------------------------------------------------------

POSITIONS = reverse("admin:events_event_speaker_positions")


def test_the_position_search_lists_the_speaker_positions_only(admin_client):
    speaker = PersonFactory()
    coordinator = PositionFactory(person=speaker, title="National Coordinator")
    minister = PositionFactory(person=speaker, title="Minister")
    PositionFactory(title="National Coordinator")  # someone else's

    every = admin_client.get(POSITIONS, {"speaker": speaker.pk}).json()
    searched = admin_client.get(POSITIONS, {"speaker": speaker.pk, "term": "coord"}).json()

    assert {r["id"] for r in every["results"]} == {str(coordinator.pk), str(minister.pk)}
    assert [r["id"] for r in searched["results"]] == [str(coordinator.pk)]
    assert every["pagination"] == {"more": False}


@pytest.mark.parametrize("speaker", ["", "abc", "-1"])
def test_the_position_search_without_a_speaker_asks_for_one(admin_client, speaker):
    body = admin_client.get(POSITIONS, {"speaker": speaker}).json()
    assert body["results"] == [
        {"id": "no-speaker", "text": "Choose the speaker first.", "disabled": True}
    ]


def test_the_position_search_is_for_staff_who_may_see_positions(client):
    assert client.get(POSITIONS).status_code == 302  # to the login page
    client.force_login(staff("view_event"))
    assert client.get(POSITIONS, {"speaker": "1"}).status_code == 403
