"""The Popolo export (`/api/v1/export/popolo/`): valid Popolo, self-contained, as the client
sees the record, streamed in a fixed number of queries.

Each item is validated against the Popolo project's own JSON Schemas (draft 03,
tests/schemas/popolo/, linked by `$ref` through a `referencing` registry), with
their formats checked (`date-time` as RFC 3339, `uri` as an absolute URL).
"""

import datetime
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from jsonschema import Draft3Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT3
from rest_framework.test import APIClient

from ctht_api.models import Status
from ctht_api.popolo import EVENT_ID, popolo_id
from events.generate import generate
from events.models import Document, Event, EventIdentifier, Statement
from people.models import Institution, InstitutionIdentifier, Person, PersonIdentifier, Position
from tests.api.helpers import assert_problem
from tests.factories import (
    DocumentFactory,
    EventFactory,
    InstitutionFactory,
    PersonFactory,
    PositionFactory,
    StatementFactory,
)

URL = "/api/v1/export/popolo/"
SCHEMAS = Path(__file__).resolve().parent.parent / "schemas" / "popolo"
ITEM_SCHEMAS = {
    "persons": "person",
    "organizations": "organization",
    "memberships": "membership",
    "events": "event",
    "speeches": "speech",
}
RFC_3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def load_schemas() -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text()) for path in SCHEMAS.glob("*.json")}


def format_checker() -> FormatChecker:
    """Draft 3's checkers, and the two jsonschema checks only with optional packages."""
    checker = FormatChecker(formats=())
    checker.checkers = dict(Draft3Validator.FORMAT_CHECKER.checkers)

    @checker.checks("date-time", raises=ValueError)
    def date_time(value) -> bool:
        if not isinstance(value, str):
            return True
        if not RFC_3339.fullmatch(value):
            raise ValueError(f"not an RFC 3339 date-time: {value!r}")
        datetime.datetime.fromisoformat(value)
        return True

    @checker.checks("uri", raises=ValueError)
    def uri(value) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
            raise ValueError(f"not an absolute URL: {value!r}")
        return True

    return checker


@pytest.fixture(scope="module")
def validators() -> dict[str, Draft3Validator]:
    schemas = load_schemas()
    registry = Registry().with_resources(
        (schema["id"].rstrip("#"), DRAFT3.create_resource(schema)) for schema in schemas.values()
    )
    checker = format_checker()
    return {
        section: Draft3Validator(schemas[name], registry=registry, format_checker=checker)
        for section, name in ITEM_SCHEMAS.items()
    }


def export(client, params: dict | None = None):
    """The response and the document a client downloads."""
    response = client.get(URL, params or {})
    assert response.status_code == 200, response.content
    assert response.streaming
    assert response["Content-Type"] == "application/json"
    return response, json.loads(b"".join(response.streaming_content))


def assert_valid_popolo(document: dict, validators) -> None:
    """Every item valid against its Popolo schema; every id unique; every reference to an
    item of the document."""
    assert list(document) == list(ITEM_SCHEMAS)
    failures = [
        f"{section}[{index}] ({item.get('id')}): {error.message} at {list(error.absolute_path)}"
        for section, items in document.items()
        for index, item in enumerate(items)
        for error in validators[section].iter_errors(item)
    ]
    assert not failures, "\n".join(failures[:20])
    ids = {section: {item["id"] for item in items} for section, items in document.items()}
    for section, items in document.items():
        assert len(ids[section]) == len(items), f"{section}: ids repeat"
    references = [
        ("organizations", "parent_id", "organizations"),
        ("memberships", "person_id", "persons"),
        ("memberships", "organization_id", "organizations"),
        ("events", "organization_id", "organizations"),
        ("speeches", "creator_id", "persons"),
        ("speeches", "event_id", "events"),
    ]
    for section, key, target in references:
        dangling = [
            item[key] for item in document[section] if key in item and item[key] not in ids[target]
        ]
        assert not dangling, f"{section}.{key} names no item of {target}: {dangling[:5]}"


def speech_ids(document: dict) -> set[int]:
    return {int(item["id"].removeprefix("statements/")) for item in document["speeches"]}


def event_ids(document: dict) -> set[int]:
    return {int(item["id"].removeprefix("events/")) for item in document["events"]}


def test_the_demo_is_exported_as_valid_popolo(anon, demo, validators):
    _, document = export(anon)
    assert_valid_popolo(document, validators)
    assert len(document["persons"]) == Person.objects.count()
    assert len(document["organizations"]) == Institution.objects.count()
    assert len(document["memberships"]) == Position.objects.count()
    assert len(document["events"]) == 1
    assert len(document["speeches"]) == Statement.objects.count() == 4


def test_generated_data_is_exported_as_valid_popolo(anon, db, validators):
    generate(statements=200, seed=3)
    assert Statement.objects.drafts().exists()
    _, document = export(anon)
    assert_valid_popolo(document, validators)
    assert speech_ids(document) == set(
        Statement.objects.visible_to(None).values_list("pk", flat=True)
    )
    assert event_ids(document) == set(Event.objects.visible_to(None).values_list("pk", flat=True))
    assert len(document["persons"]) == Person.objects.count()
    assert any(
        name.get("lang") == "sr-Cyrl"
        for person in document["persons"]
        for name in person.get("other_names", [])
    )


def test_a_full_item_of_each_kind_is_mapped_as_documented(anon, simic, conference, validators):
    """Every mapped field filled in: identifiers, sources with and without a URL, dates,
    a parent, a website, a single organiser, a role."""
    report = DocumentFactory(title="GRETA study", url="https://rm.coe.int/greta-study")
    bare = DocumentFactory(title="Unpublished notes", url="")
    PersonIdentifier.objects.create(person=simic, scheme="wikidata", identifier="Q4115189")
    simic.sources.set([report, bare])
    parent = InstitutionFactory(name="Ministry", short_name="MUP")
    office = InstitutionFactory(
        name="Office", short_name="OFF", parent=parent, website="https://office.example.org/"
    )
    InstitutionIdentifier.objects.create(institution=office, scheme="isni", identifier="0000 1")
    position = PositionFactory(
        person=simic,
        institution=office,
        title="Head of office",
        start_date=datetime.date(2019, 1, 2),
        end_date=datetime.date(2023, 4, 5),
    )
    position.sources.set([report])
    event = EventFactory(
        title="Round table",
        summary="Experts met.",
        start_date=datetime.date(2024, 5, 3),
        end_date=datetime.date(2024, 5, 4),
        city="Skopje",
        country_id="MK",
        source=report,
    )
    event.organisers.set([office])
    EventIdentifier.objects.create(event=event, scheme="wikidata", identifier="Q1")
    statement = StatementFactory(
        speaker=simic,
        position=position,
        event=event,
        date=datetime.date(2024, 5, 3),
        language="sr-Latn",
        text="Tehnologija je deo rešenja.",
        source=bare,
    )
    _, document = export(anon)
    assert_valid_popolo(document, validators)
    by_id = {item["id"]: item for items in document.values() for item in items}
    bare_url = f"http://testserver/api/v1/documents/{bare.pk}/"

    person = by_id[f"people/{simic.pk}"]
    assert person["name"] == "Nenad Simić"
    assert person["identifiers"] == [{"scheme": "wikidata", "identifier": "Q4115189"}]
    assert person["sources"] == [
        {"url": "https://rm.coe.int/greta-study", "note": "GRETA study"},
        {"url": bare_url, "note": "Unpublished notes"},
    ]
    assert {"name": "Ненад Симић", "lang": "sr-Cyrl"}.items() <= person["other_names"][0].items()

    organization = by_id[f"institutions/{office.pk}"]
    assert organization["parent_id"] == f"institutions/{parent.pk}"
    assert organization["classification"] == "ministry"
    assert organization["other_names"] == [{"name": "OFF", "note": "Short name"}]
    assert organization["identifiers"] == [{"scheme": "isni", "identifier": "0000 1"}]
    assert organization["links"] == [{"url": "https://office.example.org/", "note": "Website"}]

    membership = by_id[f"positions/{position.pk}"]
    assert membership == {
        "id": f"positions/{position.pk}",
        "person_id": f"people/{simic.pk}",
        "organization_id": f"institutions/{office.pk}",
        "role": "Head of office",
        "start_date": "2019-01-02",
        "end_date": "2023-04-05",
        "sources": [{"url": "https://rm.coe.int/greta-study", "note": "GRETA study"}],
        "created_at": membership["created_at"],
        "updated_at": membership["updated_at"],
    }

    exported_event = by_id[f"events/{event.pk}"]
    assert {
        key: exported_event[key]
        for key in ("name", "description", "classification", "start_date", "end_date")
    } == {
        "name": "Round table",
        "description": "Experts met.",
        "classification": "workshop",
        "start_date": "2024-05-03",
        "end_date": "2024-05-04",
    }
    assert exported_event["location"] == "Skopje, North Macedonia"
    assert exported_event["organization_id"] == f"institutions/{office.pk}"
    assert exported_event["identifiers"] == [{"scheme": "wikidata", "identifier": "Q1"}]
    assert exported_event["sources"] == [
        {"url": "https://rm.coe.int/greta-study", "note": "GRETA study"}
    ]

    speech = by_id[f"statements/{statement.pk}"]
    assert {key: value for key, value in speech.items() if not key.endswith("_at")} == {
        "id": f"statements/{statement.pk}",
        "creator_id": f"people/{simic.pk}",
        "role": "Head of office",
        "text": "Tehnologija je deo rešenja.",
        "lang": "sr-Latn",
        "date": "2024-05-03T00:00:00Z",
        "event_id": f"events/{event.pk}",
        "type": "speech",
        "sources": [{"url": bare_url, "note": "Unpublished notes"}],
    }
    assert speech["updated_at"].endswith("Z")


def test_an_event_with_several_organisers_names_none(anon, demo):
    event = EventFactory()
    event.organisers.set([InstitutionFactory(), InstitutionFactory()])
    _, document = export(anon)
    (exported,) = [item for item in document["events"] if item["id"] == f"events/{event.pk}"]
    assert "organization_id" not in exported


def test_ids_are_the_entries_paths_under_the_api(anon, demo):
    _, document = export(anon)
    for items in document.values():
        item = items[0]
        response = anon.get(f"/api/v1/{item['id']}/")
        assert response.status_code == 200, item["id"]
        assert response.json()["id"] == int(item["id"].rsplit("/", 1)[1])


@pytest.fixture
def drafts(demo, conference):
    """A draft statement, a draft event, and a published statement made at that event."""
    draft_event = EventFactory(title="Draft workshop", status=Status.DRAFT)
    return {
        "draft_statement": StatementFactory(text="A draft", status=Status.DRAFT),
        "draft_event": draft_event,
        "at_draft_event": StatementFactory(text="Said at a draft event", event=draft_event),
    }


def test_drafts_are_absent_for_anonymous_clients(anon, reader, drafts, validators):
    for client in (anon, reader):  # a token without the drafts scope sees what anyone sees
        _, document = export(client)
        assert_valid_popolo(document, validators)
        assert drafts["draft_event"].pk not in event_ids(document)
        assert drafts["draft_statement"].pk not in speech_ids(document)
        assert drafts["at_draft_event"].pk not in speech_ids(document)
        assert speech_ids(document) == set(
            Statement.objects.published().values_list("pk", flat=True)
        ) - {drafts["at_draft_event"].pk}


def test_an_editor_with_draft_access_sees_the_drafts(writer, drafts, validators):
    _, document = export(writer)
    assert_valid_popolo(document, validators)
    assert drafts["draft_event"].pk in event_ids(document)
    assert speech_ids(document) == set(Statement.objects.values_list("pk", flat=True))


def test_a_speech_at_an_event_this_client_cannot_see_is_left_out(drafts, validators):
    """Allowed to see draft statements but not draft events: the statement at the draft
    event would name an event missing from the document, so it is left out too."""
    user = get_user_model().objects.create_user("statement-viewer")
    user.user_permissions.add(Permission.objects.get(codename="view_statement"))
    client = APIClient()
    client.force_login(user)
    _, document = export(client)
    assert_valid_popolo(document, validators)
    assert drafts["draft_statement"].pk in speech_ids(document)
    assert drafts["draft_event"].pk not in event_ids(document)
    assert drafts["at_draft_event"].pk not in speech_ids(document)


def test_an_empty_record_is_five_empty_lists(anon, db):
    _, document = export(anon)
    assert document == {name: [] for name in ITEM_SCHEMAS}


def add_rows(count: int) -> None:
    """`count` more of every kind, each with every related list the export gathers."""
    document = DocumentFactory(url="https://example.org/report")
    for _ in range(count):
        person = PersonFactory()
        person.sources.set([document])
        person.other_names.create(name="Јелена", language="sr-Cyrl")
        institution = InstitutionFactory(parent=InstitutionFactory())
        institution.sources.set([document])
        position = PositionFactory(person=person, institution=institution)
        position.sources.set([document])
        event = EventFactory(source=document, country_id="RS")
        event.organisers.set([institution])
        StatementFactory(speaker=person, position=position, event=event, source=document)


QUERIES = 5  # one per list, whatever the size of the record and of a chunk


@pytest.mark.parametrize("extra", [0, 7])
def test_the_query_count_is_fixed_whatever_the_size(anon, demo, settings, extra):
    settings.CSV_CHUNK_SIZE = 2  # several chunks in every list
    add_rows(extra)
    # SQLite probes its JSON support once per connection: do it before measuring.
    assert connection.features.supports_json_field
    with CaptureQueriesContext(connection) as queries:
        _, document = export(anon)
    assert len(document["speeches"]) == 4 + extra
    assert len(queries.captured_queries) == QUERIES, [q["sql"] for q in queries]


def test_the_document_is_streamed_chunk_by_chunk(anon, demo, settings):
    """Two rows a chunk: the first chunk is read by the view, the rest as the client reads."""
    settings.CSV_CHUNK_SIZE = 2
    with CaptureQueriesContext(connection) as queries:
        response = anon.get(URL)
        assert response.streaming
        assert len(queries.captured_queries) == 1  # the people, read before answering
        pieces = list(response.streaming_content)
    assert len(queries.captured_queries) == QUERIES
    assert len(pieces) > 5
    assert json.loads(b"".join(pieces))["persons"]


def test_the_download_is_named_after_the_export_and_the_day(anon, demo):
    response, _ = export(anon)
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    assert response["Content-Disposition"] == (f'attachment; filename="export-popolo-{today}.json"')


@pytest.mark.django_db(transaction=True)
def test_an_abandoned_download_ends_its_transaction(anon, countries, demo, settings):
    """As the CSV downloads: the five lists are read in one transaction, ended when the
    server closes the response, finished or not."""
    settings.CSV_CHUNK_SIZE = 1
    response = anon.get(URL)
    pieces = iter(response.streaming_content)
    next(pieces)
    assert not connection.get_autocommit()
    response.close()
    assert connection.get_autocommit()
    assert anon.get("/api/v1/statements/").status_code == 200


def test_an_unknown_parameter_is_a_400_naming_it(anon, db):
    assert_problem(anon.get(URL, {"country": "RS"}), 400, "country")
    assert_problem(anon.get(URL, {"format": "csv"}), 400, "format")


def test_the_export_is_linked_from_the_root_and_documented(anon, db):
    assert anon.get("/api/v1/").json()["export/popolo"] == f"http://testserver{URL}"
    document = anon.get("/api/schema/", {"format": "json"}).json()
    operation = document["paths"][URL]["get"]
    assert operation["summary"] == "Export the record as Popolo"
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/PopoloExport"}  # one object, not a list
    export_schema = document["components"]["schemas"]["PopoloExport"]
    assert sorted(export_schema["required"]) == sorted(ITEM_SCHEMAS)
    speech = document["components"]["schemas"]["PopoloSpeech"]
    assert {"id", "creator_id", "text", "lang", "type"} <= set(speech["required"])
    assert "anonymous clients see published entries only" in operation["description"]
    assert "429" in operation["responses"]


def test_documents_named_as_sources_need_not_have_a_url(anon, db, validators):
    """A source without a URL links to the document in this API (a Popolo link needs one)."""
    person = PersonFactory()
    document = Document.objects.create(title="Notes")
    person.sources.set([document])
    _, exported = export(anon)
    assert_valid_popolo(exported, validators)
    assert exported["persons"][0]["sources"] == [
        {"url": f"http://testserver/api/v1/documents/{document.pk}/", "note": "Notes"}
    ]


def test_the_export_spends_the_rate_budget_like_any_read(anon, db, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "anon": "2/min"}
    caches["ratelimit"].clear()
    assert [anon.get(URL).status_code for _ in range(2)] == [200, 200]
    response = anon.get(URL)
    assert_problem(response, 429)
    assert response["Retry-After"].isdigit()


def test_a_bad_token_is_a_401_not_an_anonymous_export(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token ctht_not-a-key")
    assert_problem(client.get(URL), 401)


def test_the_export_says_what_the_api_says(anon, demo):
    """The export's rows are read by hand for speed: held equal to the API's own JSON."""
    _, document = export(anon)
    people = {p["id"]: p for p in anon.get("/api/v1/people/", {"page_size": 500}).json()["results"]}
    for person in document["persons"]:
        listed = people[int(person["id"].removeprefix("people/"))]
        assert person["name"] == listed["full_name"]
        assert person["updated_at"] == listed["updated_at"]
        assert sorted(
            (n["name"], n.get("lang", ""), n.get("note", "")) for n in person.get("other_names", [])
        ) == sorted((n["name"], n["language"], n["note"]) for n in listed["other_names"])
    statements = {
        s["id"]: s for s in anon.get("/api/v1/statements/", {"page_size": 500}).json()["results"]
    }
    assert speech_ids(document) == set(statements)
    for speech in document["speeches"]:
        listed = statements[int(speech["id"].removeprefix("statements/"))]
        assert (speech["text"], speech["lang"]) == (listed["text"], listed["language"])
        day = listed["date"]
        assert speech.get("date") == (f"{day}T00:00:00Z" if day else None)
        assert speech["creator_id"] == f"people/{listed['speaker']['id']}"
        assert speech.get("role") == (listed["position"] or {}).get("title")
        assert speech.get("event_id") == popolo_id(EVENT_ID, (listed["event"] or {}).get("id"))
