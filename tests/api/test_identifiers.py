"""Identifiers (`identifiers`) of people, institutions, events, programmes and documents, as
a client writes, reads, filters and exports them."""

import csv
import io
import json

import pytest

from ctht_api.owned_lists import OwnedList
from people.models import PersonIdentifier
from tests.api.helpers import API, assert_problem, ids, results
from tests.factories import (
    DocumentFactory,
    EventFactory,
    InstitutionFactory,
    PersonFactory,
    ProgrammeFactory,
)

pytestmark = pytest.mark.django_db

WIKIDATA = {"scheme": "wikidata", "identifier": "Q8908"}
ISNI = {"scheme": "isni", "identifier": "0000 0001 2103 2683"}

# resource path, factory, and the fields a body needs to create one
OWNERS = {
    "people": (PersonFactory, {"full_name": "Nenad Simić"}),
    "institutions": (
        InstitutionFactory,
        {"name": "Council of Europe", "kind": "international_organisation"},
    ),
    "events": (EventFactory, {"title": "Conférence de Sarajevo", "status": "published"}),
    "programmes": (ProgrammeFactory, {"name": "Horizontal Facility"}),
    "documents": (DocumentFactory, {"title": "Convention on Cybercrime"}),
}
every_owner = pytest.mark.parametrize("resource", list(OWNERS))


def owner(resource: str, **kwargs):
    factory, _ = OWNERS[resource]
    if resource == "events":
        kwargs.setdefault("status", "published")
    return factory(**kwargs)


def url_of(resource: str, pk: int) -> str:
    return f"{API}{resource}/{pk}/"


def with_identifiers(writer, resource: str, rows: list[dict]) -> dict:
    entry = owner(resource)
    response = writer.patch(url_of(resource, entry.pk), {"identifiers": rows}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


# Reading and writing -------------------------------------------------------------------


@every_owner
def test_identifiers_written_are_read_in_detail_and_list(writer, anon, resource):
    body = with_identifiers(writer, resource, [WIKIDATA, ISNI])

    assert body["identifiers"] == [ISNI, WIKIDATA]  # by scheme, then identifier
    assert anon.get(body["url"]).json()["identifiers"] == [ISNI, WIKIDATA]
    listed = {item["id"]: item for item in results(anon.get(f"{API}{resource}/"))}
    assert listed[body["id"]]["identifiers"] == [ISNI, WIKIDATA]


@every_owner
def test_an_entry_is_created_with_its_identifiers_at_version_1(writer, resource):
    _, fields = OWNERS[resource]

    response = writer.post(
        f"{API}{resource}/", {**fields, "identifiers": [WIKIDATA]}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["identifiers"] == [WIKIDATA]
    assert response["ETag"] == '"v1"'


@every_owner
def test_a_write_replaces_the_list_and_an_entry_without_any_reads_an_empty_list(
    writer, anon, resource
):
    body = with_identifiers(writer, resource, [WIKIDATA, ISNI])
    etag = writer.get(body["url"])["ETag"]

    response = writer.patch(body["url"], {"identifiers": [ISNI]}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["identifiers"] == [ISNI]
    assert int(response["ETag"].strip('"v')) == int(etag.strip('"v')) + 1
    assert writer.patch(body["url"], {"identifiers": []}, format="json").json()["identifiers"] == []
    assert anon.get(body["url"]).json()["identifiers"] == []


@every_owner
def test_identifiers_left_out_of_a_patch_are_kept(writer, resource):
    body = with_identifiers(writer, resource, [WIKIDATA])

    response = writer.patch(body["url"], {"slug": "changed"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["identifiers"] == [WIKIDATA]


def test_an_identifier_can_move_from_one_entry_to_another(writer):
    first = with_identifiers(writer, "people", [WIKIDATA])
    second = owner("people")
    assert writer.patch(first["url"], {"identifiers": []}, format="json").status_code == 200

    response = writer.patch(url_of("people", second.pk), {"identifiers": [WIKIDATA]}, format="json")

    assert response.status_code == 200, response.content


def test_spaces_around_a_value_are_trimmed_as_in_every_text_field(writer):
    body = with_identifiers(writer, "people", [{"scheme": " wikidata", "identifier": "Q8908 "}])

    assert body["identifiers"] == [WIKIDATA]


def test_the_same_identifier_may_name_entries_of_different_kinds(writer):
    with_identifiers(writer, "people", [WIKIDATA])

    body = with_identifiers(writer, "institutions", [WIKIDATA])

    assert body["identifiers"] == [WIKIDATA]


def test_an_unchanged_list_leaves_each_rows_history_alone(writer):
    body = with_identifiers(writer, "people", [WIKIDATA, ISNI])
    row = PersonIdentifier.objects.get(person_id=body["id"], scheme="wikidata")

    writer.patch(body["url"], {"identifiers": [ISNI, WIKIDATA]}, format="json")

    assert row.history.count() == 1


def test_brief_objects_do_not_carry_identifiers(writer, anon):
    document = with_identifiers(writer, "documents", [WIKIDATA])
    event = EventFactory(status="published", source_id=document["id"])

    source = anon.get(url_of("events", event.pk)).json()["source"]

    assert "identifiers" not in source


# Refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        ([{"scheme": "wikidata", "identifier": "8908"}], "identifiers.0.identifier"),
        ([{"scheme": "wikidata", "identifier": "q8908"}], "identifiers.0.identifier"),
        ([{"scheme": "wikidata", "identifier": "Q08908"}], "identifiers.0.identifier"),
        ([{"scheme": "wikidata", "identifier": "Q 8908"}], "identifiers.0.identifier"),
        ([ISNI, {"scheme": "Wikidata", "identifier": "Q8908"}], "identifiers.1.scheme"),
        ([{"scheme": "wiki data", "identifier": "Q1"}], "identifiers.0.scheme"),
        ([{"scheme": "", "identifier": "Q1"}], "identifiers.0.scheme"),
        ([{"scheme": "isni", "identifier": "  "}], "identifiers.0.identifier"),
        ([{"scheme": "x" * 41, "identifier": "1"}], "identifiers.0.scheme"),
        ([{"scheme": "isni", "identifier": "1" * 201}], "identifiers.0.identifier"),
        ([{"identifier": "Q1"}], "identifiers.0.scheme"),
        ([WIKIDATA, ISNI, WIKIDATA], "identifiers.2.scheme"),
        (["wikidata:Q8908"], "identifiers.0"),
        ("wikidata:Q8908", "identifiers"),
        (None, "identifiers"),
        ([{"scheme": "isni", "identifier": "a\x00b"}], "identifiers.0.identifier"),
    ],
)
def test_bad_identifiers_are_a_400_naming_the_item_and_nothing_is_stored(writer, rows, field):
    person = PersonFactory()
    url = url_of("people", person.pk)

    response = writer.patch(url, {"full_name": "Changed", "identifiers": rows}, format="json")

    assert_problem(response, 400, field)
    assert writer.get(url).json()["full_name"] == person.full_name
    assert not PersonIdentifier.objects.exists()


@every_owner
def test_an_identifier_held_by_another_entry_of_the_kind_is_a_400_naming_it(writer, resource):
    holder = with_identifiers(writer, resource, [WIKIDATA])
    other = owner(resource)

    response = writer.patch(
        url_of(resource, other.pk), {"identifiers": [ISNI, WIKIDATA]}, format="json"
    )

    body = assert_problem(response, 400, "identifiers.1.identifier")
    (error,) = [e for e in body["errors"] if e["field"] == "identifiers.1.identifier"]
    assert f"id {holder['id']}" in error["message"]
    assert writer.get(url_of(resource, other.pk)).json()["identifiers"] == []


def test_an_identifier_held_by_another_entry_is_refused_on_creation_too(writer):
    with_identifiers(writer, "institutions", [WIKIDATA])

    response = writer.post(
        f"{API}institutions/",
        {
            "name": "Conseil de l'Europe",
            "kind": "international_organisation",
            "identifiers": [WIKIDATA],
        },
        format="json",
    )

    assert_problem(response, 400, "identifiers.0.identifier")


def test_an_identifier_taken_by_another_writer_meanwhile_is_a_400_not_a_500(writer, monkeypatch):
    """Two writers giving one identifier to two entries at once both pass the check; the
    unique constraint refuses the second, and the client is told so."""
    with_identifiers(writer, "people", [WIKIDATA])
    other = owner("people")
    monkeypatch.setattr(OwnedList, "_refuse_taken", lambda *args: None)  # the check raced

    response = writer.patch(
        url_of("people", other.pk),
        {"full_name": "Changed", "identifiers": [WIKIDATA]},
        format="json",
    )

    assert_problem(response, 400, "identifiers")
    assert writer.get(url_of("people", other.pk)).json()["full_name"] == other.full_name
    assert PersonIdentifier.objects.count() == 1


def test_an_entry_keeps_its_own_identifier_on_a_new_write(writer):
    body = with_identifiers(writer, "people", [WIKIDATA])

    response = writer.patch(body["url"], {"identifiers": [WIKIDATA, ISNI]}, format="json")

    assert response.status_code == 200, response.content


def test_more_than_a_hundred_identifiers_are_refused(writer):
    rows = [{"scheme": "isni", "identifier": str(n)} for n in range(101)]

    response = writer.post(
        f"{API}people/", {"full_name": "Ana", "identifiers": rows}, format="json"
    )

    assert_problem(response, 400, "identifiers")


# Filter ----------------------------------------------------------------------------------


@every_owner
def test_the_identifier_filter_keeps_the_entries_holding_one(writer, anon, resource):
    holder = with_identifiers(writer, resource, [WIKIDATA])
    other = with_identifiers(writer, resource, [{"scheme": "wikidata", "identifier": "Q458"}])
    owner(resource)  # none at all
    url = f"{API}{resource}/"

    assert ids(anon.get(url, {"identifier": "wikidata:Q8908"})) == [holder["id"]]
    assert ids(anon.get(url, {"identifier": "wikidata:Q1"})) == []
    both = ids(anon.get(url, {"identifier": "wikidata:Q8908,wikidata:Q458"}))
    assert sorted(both) == sorted([holder["id"], other["id"]])


def test_the_identifier_filter_takes_a_colon_in_the_value(writer, anon):
    body = with_identifiers(writer, "people", [{"scheme": "url", "identifier": "https://x.org/1"}])

    found = ids(anon.get(f"{API}people/", {"identifier": "url:https://x.org/1"}))

    assert found == [body["id"]]


def test_the_identifier_filter_does_not_show_drafts_to_anonymous_clients(writer, anon):
    event = EventFactory(status="draft")
    writer.patch(url_of("events", event.pk), {"identifiers": [WIKIDATA]}, format="json")

    assert ids(anon.get(f"{API}events/", {"identifier": "wikidata:Q8908"})) == []
    assert ids(writer.get(f"{API}events/", {"identifier": "wikidata:Q8908"})) == [event.pk]


@pytest.mark.parametrize(
    "value",
    [
        "Q8908",
        "wikidata:",
        ":Q8908",
        "wikidata:q8908",
        "wikidata:8908",
        "Wikidata:Q8908",
        "wikidata:Q8908,Q458",
        f"isni:{'1' * 201}",
        "isni:a\x00b",
    ],
)
@every_owner
def test_a_malformed_identifier_filter_is_a_400_naming_it(anon, resource, value):
    response = anon.get(f"{API}{resource}/", {"identifier": value})

    assert_problem(response, 400, "identifier")


def test_the_identifier_filter_given_twice_is_a_400(anon):
    response = anon.get(f"{API}people/?identifier=wikidata:Q1&identifier=wikidata:Q2")

    assert_problem(response, 400, "identifier")


# History and CSV -------------------------------------------------------------------------


def test_the_history_shows_identifiers_old_and_new(writer):
    body = with_identifiers(writer, "institutions", [WIKIDATA])
    writer.patch(body["url"], {"identifiers": [ISNI]}, format="json")

    history = writer.get(f"{body['url']}history/").json()["results"]

    changes = {change["field"]: change for change in history[0]["changes"]}
    assert changes["identifiers"]["old"] == [WIKIDATA]
    assert changes["identifiers"]["new"] == [ISNI]
    first_change = {change["field"]: change for change in history[1]["changes"]}
    assert first_change["identifiers"]["new"] == [WIKIDATA]


def test_the_history_of_a_document_records_its_identifiers(writer):
    response = writer.post(
        f"{API}documents/", {"title": "Convention", "identifiers": [WIKIDATA]}, format="json"
    )

    history = writer.get(f"{response.json()['url']}history/").json()["results"]

    assert [(h["version"], h["type"]) for h in history] == [(1, "created")]
    changes = {change["field"]: change for change in history[0]["changes"]}
    assert changes["identifiers"] == {"field": "identifiers", "old": None, "new": [WIKIDATA]}


@every_owner
def test_the_csv_of_a_list_holds_the_identifiers_as_json(writer, anon, resource):
    body = with_identifiers(writer, resource, [WIKIDATA, ISNI])

    response = anon.get(f"{API}{resource}/", {"format": "csv"})

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    (row,) = [
        r for r in csv.DictReader(io.StringIO(text, newline="")) if r["id"] == str(body["id"])
    ]
    assert json.loads(row["identifiers"]) == [ISNI, WIKIDATA]
