"""`export_data` and `import_data`: a round trip gives back what clients saw, a bad file nothing.

The round trip is judged from the client's side: every list, detail and
history page an editor can read, with its ETag, before the export and after
the record was emptied and the file imported.
"""

import gzip
import io
import json
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.core.management.color import no_style
from django.db import connection
from rest_framework.test import APIClient

from ctht_api.backup import FORMAT, FORMAT_VERSION, added_after, record_models
from events.models import Event, Statement
from people.models import Person, PersonIdentifier, PersonOtherName
from tests.api.conftest import token_client
from tests.api.helpers import API

pytestmark = pytest.mark.django_db

RESOURCES = [
    "institutions",
    "people",
    "positions",
    "topics",
    "programmes",
    "documents",
    "events",
    "statements",
]
SEARCHES = ["tanic", "technologie", "recording", "sarajevo"]


@pytest.fixture
def writer(db) -> APIClient:
    """An editor's client (a write token), as in tests/api: it reads drafts and histories."""
    return token_client("editor", write=True)


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def record(demo, writer):
    """The demo plus API writes by two users: history with users, reasons, a deletion."""
    statement = Statement.objects.order_by("id").first()
    url = f"{API}statements/{statement.pk}/"
    response = writer.patch(
        url,
        {
            "context": "Said in the opening session (recording).",
            "countries": ["RS", "BA"],
            "translations": [{"language": "de", "text": "Die Technologie.", "kind": "machine"}],
        },
        format="json",
        HTTP_X_CHANGE_REASON="Checked against the recording — Tanić".encode().decode("latin-1"),
    )
    assert response.status_code == 200, response.content
    translator = token_client("translator", write=True)
    created = translator.post(
        f"{API}topics/", {"name": "Platform accountability"}, format="json"
    ).json()
    gone = translator.post(f"{API}topics/", {"name": "Short-lived"}, format="json").json()
    assert translator.delete(gone["url"], HTTP_X_CHANGE_REASON="Duplicate").status_code == 204
    translator.patch(
        created["url"], {"description": "Who answers for what platforms host."}, format="json"
    )
    institution = writer.post(
        f"{API}institutions/",
        {"name": "Ministry of Justice of Montenegro", "kind": "ministry", "country": "ME"},
        format="json",
    ).json()
    writer.post(
        f"{API}institutions/",
        {"name": "Department of Prisons", "kind": "ministry", "parent": institution["id"]},
        format="json",
    )
    writer.patch(
        institution["url"],
        {"other_names": [{"name": "Ministarstvo pravde", "language": "sr-Latn"}]},
        format="json",
    )
    simic = Person.objects.get(full_name="Nenad Simić")
    other_names = [
        {"name": "Ненад Симић", "language": "sr-Cyrl"},
        {"name": "N. Simić", "note": "As the article abbreviates him"},
    ]
    for names in (other_names, other_names[:1]):  # a deleted other name in the history
        response = writer.patch(f"{API}people/{simic.pk}/", {"other_names": names}, format="json")
        assert response.status_code == 200, response.content
    identifiers = [
        {"scheme": "wikidata", "identifier": "Q1"},
        {"scheme": "isni", "identifier": "0000 0001"},
    ]
    for rows in (identifiers, identifiers[1:]):  # a deleted identifier in the history
        response = writer.patch(f"{API}people/{simic.pk}/", {"identifiers": rows}, format="json")
        assert response.status_code == 200, response.content
    response = writer.patch(
        institution["url"], {"identifiers": identifiers[:1]}, format="json"
    )  # the same identifier on an entry of another kind
    assert response.status_code == 200, response.content
    return {"deleted": [("topics", gone["id"])]}


def pages(client, url: str) -> list[dict]:
    """Every page of a list, as a client reads it."""
    found = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        found.append(response.json())
        url = response.json().get("next")
    return found


def entry_tag(response) -> str:
    """An editor's entry-version tag; a public client's record-version tag moves with the
    restore (a new feed epoch, ctht_api.public_cache): only its kind is compared."""
    tag = response["ETag"]
    return tag if tag.startswith('"v') else "record-version tag"


def seen_by(client, deleted=(), *, histories: bool = True) -> dict[str, object]:
    """Everything a client can read: lists, details (with ETags), histories, searches."""
    seen: dict[str, object] = {}
    for resource in RESOURCES:
        listing = pages(client, f"{API}{resource}/")
        seen[resource] = listing
        for page in listing:
            for item in page["results"]:
                detail = client.get(item["url"])
                seen[item["url"]] = (detail.status_code, entry_tag(detail), detail.json())
                if histories:
                    history = f"{item['url']}history/"
                    seen[history] = pages(client, history)
    for resource, pk in deleted:
        history = f"{API}{resource}/{pk}/history/"
        seen[history] = pages(client, history)
    seen["countries"] = pages(client, f"{API}countries/")
    for code in ("RS", "BA", "ME"):
        seen[f"countries/{code}/statements"] = pages(client, f"{API}countries/{code}/statements/")
    for words in SEARCHES:
        seen[f"q={words}"] = pages(client, f"{API}statements/?q={words}")
    return seen


def empty_the_record() -> None:
    """Delete every row of the record (countries stay: migrations own them) and restart
    the id sequences, as in a freshly migrated database (what `manage.py flush` does)."""
    tables = [m._meta.db_table for m in record_models() if m._meta.label_lower != "people.country"]
    connection.check_constraints()  # PostgreSQL: no TRUNCATE while foreign key checks wait
    connection.ops.execute_sql_flush(
        connection.ops.sql_flush(no_style(), tables, reset_sequences=True)
    )


def row_counts() -> dict[str, int]:
    counts = {model._meta.label_lower: model._base_manager.count() for model in record_models()}
    counts["users"] = get_user_model().objects.count()
    return counts


def export(tmp_path: Path, name: str = "record.json") -> Path:
    path = tmp_path / name
    call_command("export_data", str(path))
    return path


def refused(path: Path, *words: str) -> str:
    """import_data refuses `path` with a message holding `words`, and writes nothing."""
    before = row_counts()
    with pytest.raises(CommandError) as refusal:
        call_command("import_data", str(path))
    message = str(refusal.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message
    assert row_counts() == before
    return message


def test_a_round_trip_gives_back_what_clients_saw(record, writer, anon, tmp_path):
    before, public_before = seen_by(writer, record["deleted"]), seen_by(anon, histories=False)
    assert '"user": "translator"' in json.dumps(before)  # the histories name both users
    search_documents = dict(Statement.objects.values_list("pk", "search_document"))
    path = export(tmp_path, "record.json.gz")

    empty_the_record()
    get_user_model().objects.filter(username="translator").delete()
    assert writer.get(f"{API}statements/").json()["results"] == []

    out = io.StringIO()
    call_command("import_data", str(path), stdout=out)

    assert "Imported" in out.getvalue()
    assert "translator" in out.getvalue()  # named in the history, so made again
    assert seen_by(writer, record["deleted"]) == before
    assert seen_by(anon, histories=False) == public_before
    assert dict(Statement.objects.values_list("pk", "search_document")) == search_documents
    translator = get_user_model().objects.get(username="translator")
    assert not translator.is_active
    assert not translator.has_usable_password()
    assert not translator.user_permissions.exists()


def test_after_an_import_new_entries_get_new_ids_and_a_history_of_their_own(
    record, writer, tmp_path
):
    path = export(tmp_path)
    highest = max(t["id"] for t in writer.get(f"{API}topics/").json()["results"])
    empty_the_record()
    call_command("import_data", str(path))

    response = writer.post(f"{API}topics/", {"name": "Deepfakes"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["id"] > highest
    history = writer.get(f"{response.json()['url']}history/").json()["results"]
    assert [(h["version"], h["type"], h["user"]) for h in history] == [(1, "created", "editor")]


def test_the_file_is_json_with_the_documented_keys(record, tmp_path):
    document = json.loads(export(tmp_path).read_text(encoding="utf-8"))

    assert list(document) == [
        "format",
        "format_version",
        "exported_at",
        "app_version",
        "counts",
        "models",
    ]
    assert document["format"] == FORMAT
    assert document["format_version"] == FORMAT_VERSION
    assert list(document["counts"]) == list(document["models"])
    assert {label: len(rows) for label, rows in document["models"].items()} == document["counts"]
    histories = document["models"]["events.historicalstatement"]
    assert {row["history_user"] for row in histories} == {None, "editor"}
    assert "search_document" not in document["models"]["events.statement"][0]


def test_every_model_of_the_record_is_exported(record, tmp_path):
    from django.apps import apps

    document = json.loads(export(tmp_path).read_text(encoding="utf-8"))

    expected = {
        model._meta.label_lower
        for app in ("people", "events")
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
    }
    assert set(document["models"]) == expected


def test_a_gzip_file_is_compressed(record, tmp_path):
    path = export(tmp_path, "record.json.gz")

    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert path.stat().st_mode & 0o077 == 0  # drafts and usernames: the owner's only
    assert json.loads(gzip.decompress(path.read_bytes()))["format"] == FORMAT


def test_export_to_stdout_and_import_from_stdin(record, writer, tmp_path):
    before = seen_by(writer, record["deleted"])
    out = io.StringIO()
    call_command("export_data", "-", stdout=out)
    assert json.loads(out.getvalue())["format"] == FORMAT
    empty_the_record()

    call_command(
        "import_data", "-", stdin=io.BytesIO(out.getvalue().encode()), stdout=io.StringIO()
    )

    assert seen_by(writer, record["deleted"]) == before


# Refused files: a clear one-line message, and nothing written.


@pytest.fixture
def exported(record, tmp_path) -> dict:
    """The record as exported, then removed from the database: the import's target is empty."""
    document = json.loads(export(tmp_path).read_text(encoding="utf-8"))
    empty_the_record()
    return document


def write(tmp_path: Path, document: dict) -> Path:
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_a_truncated_file_is_refused(exported, tmp_path):
    text = json.dumps(exported).encode()
    path = tmp_path / "cut.json"
    path.write_bytes(text[: len(text) - 100])

    refused(path, "truncated", "unexpected end of JSON at byte")


def test_a_truncated_gzip_file_is_refused(exported, tmp_path):
    data = gzip.compress(json.dumps(exported).encode())
    path = tmp_path / "cut.json.gz"
    path.write_bytes(data[: len(data) // 2])

    refused(path, "truncated")


def test_a_file_that_is_not_json_is_refused(exported, tmp_path):
    path = tmp_path / "notes.json"
    path.write_text("These are not the data you are looking for.", encoding="utf-8")

    refused(path, "not valid JSON")


def test_another_format_is_refused(exported, tmp_path):
    refused(write(tmp_path, {**exported, "format": "wordpress"}), "not a CTHT export", "wordpress")


def test_a_newer_format_version_is_refused(exported, tmp_path):
    newer = FORMAT_VERSION + 1
    refused(
        write(tmp_path, {**exported, "format_version": newer}),
        f"format_version {newer} is newer than this server supports ({FORMAT_VERSION})",
    )


# What each format version added, written out here rather than read from ctht_api.backup:
# the older files below are built from these lists, so that they look like the files older
# servers wrote even if the module's own declarations forget something.
MODELS_ADDED_IN = {
    2: {  # other names and topic translations, with their history tables
        "people.institutionothername",
        "people.historicalinstitutionothername",
        "people.personothername",
        "people.historicalpersonothername",
        "people.positionothername",
        "people.historicalpositionothername",
        "events.programmeothername",
        "events.historicalprogrammeothername",
        "events.eventothername",
        "events.historicaleventothername",
        "events.topictranslation",
        "events.historicaltopictranslation",
    },
    3: {  # identifiers, with their history tables; the sources' link tables and theirs
        "people.institutionidentifier",
        "people.historicalinstitutionidentifier",
        "people.personidentifier",
        "people.historicalpersonidentifier",
        "events.programmeidentifier",
        "events.historicalprogrammeidentifier",
        "events.eventidentifier",
        "events.historicaleventidentifier",
        "events.documentidentifier",
        "events.historicaldocumentidentifier",
        "people.person_sources",
        "people.historicalperson_sources",
        "people.institution_sources",
        "people.historicalinstitution_sources",
        "people.position_sources",
        "people.historicalposition_sources",
        "events.programme_sources",
        "events.historicalprogramme_sources",
    },
}
# The columns of older models that the first files of a version lack (some were added
# while the version before was current, so only its earliest files lack them).
COLUMNS_ADDED_IN = {
    2: {"events.historicalstatement": {"translations"}},
    3: {
        "people.historicalinstitution": {"other_names", "identifiers"},
        "people.historicalperson": {"other_names", "identifiers"},
        "people.historicalposition": {"other_names"},
        "events.historicalprogramme": {"other_names", "identifiers"},
        "events.historicaltopic": {"translations"},
        "events.event": {"publish_at"},
        "events.historicalevent": {"other_names", "identifiers", "publish_at"},
        "events.statement": {"publish_at"},
        "events.historicalstatement": {"publish_at", "safety_override"},
        "events.historicaldocument": {"identifiers"},
    },
}


def as_version(document: dict, version: int) -> dict:
    """An export as the first server of format `version` wrote it: without the models and
    the columns later versions added."""
    later = [added for added in MODELS_ADDED_IN if added > version]
    absent = {label for added in later for label in MODELS_ADDED_IN[added]}
    dropped: dict[str, set[str]] = {}
    for added in later:
        for label, names in COLUMNS_ADDED_IN[added].items():
            dropped.setdefault(label, set()).update(names)
    for label, names in dropped.items():  # the lists above name real columns
        assert all(names <= set(row) for row in document["models"][label]), label
    return {
        **document,
        "format_version": version,
        "counts": {k: v for k, v in document["counts"].items() if k not in absent},
        "models": {
            label: [
                {k: v for k, v in row.items() if k not in dropped.get(label, ())} for row in rows
            ]
            for label, rows in document["models"].items()
            if label not in absent
        },
    }


def as_version_1(document: dict) -> dict:
    """An export as version 1 wrote it: no other names, no topic translations, no history
    of lists, nothing version 3 added."""
    return as_version(document, 1)


def test_the_backup_declares_what_each_version_added():
    """The module's declarations (what the reader lets an older file lack) match the
    lists above, made by hand from the migrations."""
    from ctht_api.backup import FIELDS_ADDED_IN_VERSION

    assert {
        version: {f"{label}.{name}" for label, names in columns.items() for name in names}
        for version, columns in COLUMNS_ADDED_IN.items()
    } == {version: set(names) for version, names in FIELDS_ADDED_IN_VERSION.items()}
    for version, labels in MODELS_ADDED_IN.items():
        assert added_after(version - 1) - added_after(version) == labels, version
    for columns in COLUMNS_ADDED_IN.values():
        for label, names in columns.items():
            model = apps.get_model(label)
            assert all(model._meta.get_field(name).concrete for name in names), label


def test_a_version_1_file_is_restored_without_other_names(exported, writer, tmp_path):
    assert exported["models"]["people.personothername"]  # the record has some

    call_command("import_data", str(write(tmp_path, as_version_1(exported))))

    person = writer.get(f"{API}people/{exported['models']['people.person'][0]['id']}/").json()
    assert person["other_names"] == []
    assert writer.get(f"{API}statements/").json()["results"]


def test_a_version_2_file_without_its_other_names_is_refused(exported, tmp_path):
    document = as_version_1(exported)

    refused(write(tmp_path, {**document, "format_version": 2}), "no count for", "othername")


def test_other_names_round_trip_with_their_history(exported, tmp_path):
    names = exported["models"]["people.personothername"]
    assert {"name", "language", "note", "person", "version"} <= set(names[0])

    call_command("import_data", str(write(tmp_path, exported)))

    assert list(PersonOtherName.objects.values_list("name", flat=True).order_by("id")) == [
        n["name"] for n in names
    ]
    assert PersonOtherName.history.count() == len(
        exported["models"]["people.historicalpersonothername"]
    )


def as_version_2(document: dict) -> dict:
    """An export as version 2 first wrote it: no identifiers nor sources, no `publish_at`,
    no `safety_override` in the statements' history, no lists in the other histories."""
    return as_version(document, 2)


def test_a_version_2_file_is_restored_without_identifiers(exported, writer, tmp_path):
    assert exported["models"]["people.personidentifier"]  # the record has some

    call_command("import_data", str(write(tmp_path, as_version_2(exported))))

    simic = writer.get(f"{API}people/?q=simic").json()["results"][0]
    assert simic["identifiers"] == []
    assert simic["other_names"]
    history = writer.get(f"{simic['url']}history/").json()["results"]
    assert all(c["field"] != "identifiers" for h in history for c in h["changes"])


def test_a_version_2_file_is_restored_without_what_version_3_added(exported, writer, tmp_path):
    """Its statements and events have no `publish_at` (null: not scheduled) and its
    statements' history no `safety_override` (empty: no override used)."""
    for label in ("events.statement", "events.event", "events.historicalstatement"):
        for row in exported["models"][label]:
            row["publish_at"] = "2030-01-01T00:00:00+00:00"  # gone from the file below
    exported["models"]["events.historicalstatement"][0]["safety_override"] = "gone"

    call_command("import_data", str(write(tmp_path, as_version_2(exported))))

    assert Statement.objects.count() == len(exported["models"]["events.statement"])
    assert not Statement.objects.filter(publish_at__isnull=False).exists()
    assert not Statement.history.filter(publish_at__isnull=False).exists()
    assert set(Statement.history.values_list("safety_override", flat=True)) == {""}
    assert not Event.objects.filter(publish_at__isnull=False).exists()
    statement = writer.get(f"{API}statements/").json()["results"][0]
    assert statement["publish_at"] is None
    assert writer.get(f"{statement['url']}history/").json()["results"]


@pytest.mark.parametrize(
    "label, column",
    [
        ("events.historicalstatement", "safety_override"),
        ("events.statement", "publish_at"),
        ("people.historicalperson", "identifiers"),
        ("events.historicalstatement", "translations"),
    ],
)
def test_a_version_3_file_missing_a_column_version_3_has_is_refused(
    exported, tmp_path, label, column
):
    """Only a file older than the version that added a column may lack it."""
    del exported["models"][label][0][column]

    refused(write(tmp_path, exported), f"{label} row 1: missing field {column!r}")


def test_identifiers_round_trip_with_their_history(exported, writer, tmp_path):
    rows = exported["models"]["people.personidentifier"]
    assert {"scheme", "identifier", "person", "version"} <= set(rows[0])

    call_command("import_data", str(write(tmp_path, exported)))

    simic = writer.get(f"{API}people/?identifier=isni:0000%200001").json()["results"][0]
    assert simic["identifiers"] == [{"scheme": "isni", "identifier": "0000 0001"}]
    assert PersonIdentifier.history.count() == len(
        exported["models"]["people.historicalpersonidentifier"]
    )
    history = writer.get(f"{simic['url']}history/").json()["results"]
    changes = {c["field"]: c for c in history[0]["changes"]}
    assert changes["identifiers"]["new"] == [{"scheme": "isni", "identifier": "0000 0001"}]


def test_a_row_with_an_unknown_field_in_the_last_model_is_refused(exported, tmp_path):
    last = list(exported["models"])[-1]
    label = next(label for label in reversed(exported["models"]) if exported["models"][label])
    exported["models"][label][-1]["foo"] = 1
    number = len(exported["models"][label])

    message = refused(write(tmp_path, exported), f"{label} row {number}", "unknown field 'foo'")
    assert last.startswith("events.historical"), message


def test_a_value_of_the_wrong_type_is_refused(exported, tmp_path):
    exported["models"]["events.statement"][0]["version"] = "2"

    refused(write(tmp_path, exported), "events.statement row 1", "'version'", "integer")


def test_a_foreign_key_to_a_missing_row_is_refused(exported, tmp_path):
    exported["models"]["events.statement"][0]["speaker"] = 999999

    refused(
        write(tmp_path, exported),
        "events.statement row 1: speaker 999999 is not a row of people.person",
    )


def test_a_missing_row_is_refused_by_the_counts(exported, tmp_path):
    exported["models"]["events.topic"].pop()

    refused(write(tmp_path, exported), "events.topic", "but counts says")


def test_a_row_the_database_refuses_in_the_last_model_rolls_everything_back(exported, tmp_path):
    """Valid JSON of the right types, but a duplicate key: only the database can tell."""
    label = next(label for label in reversed(exported["models"]) if exported["models"][label])
    rows = exported["models"][label]
    rows.append(dict(rows[-1]))
    exported["counts"][label] += 1

    refused(write(tmp_path, exported), "the database refused the data")


def test_a_row_breaking_a_check_constraint_is_refused(exported, tmp_path):
    """Refused before the database sees it, by the validator twin of the constraint, which
    names the row and the field (this test asserted "the database refused the data")."""
    first = exported["models"]["events.statement"][0]
    first["text"] = "   "

    refused(
        write(tmp_path, exported),
        f"events.statement row 1 (id {first['id']}): text: This field cannot be blank.",
    )


# The API's validation, row by row: field validators and each model's clean().


def test_an_unregistered_language_tag_is_refused_with_its_row(exported, tmp_path):
    """`xx-Foo` has the shape the database checks, but no such language is registered."""
    rows = exported["models"]["events.statement"]
    rows[-1]["language"] = "xx-Foo"

    refused(
        write(tmp_path, exported),
        f"events.statement row {len(rows)} (id {rows[-1]['id']}): language: "
        "'xx-Foo' is not a valid BCP 47 language tag",
    )


def test_a_language_tag_is_stored_in_its_standard_form_as_the_api_stores_it(
    exported, writer, tmp_path
):
    first = exported["models"]["events.statement"][0]
    first["language"] = "sr-latn"

    call_command("import_data", str(write(tmp_path, exported)), stdout=io.StringIO())

    assert writer.get(f"{API}statements/{first['id']}/").json()["language"] == "sr-Latn"


def test_a_translation_in_the_statements_own_language_is_refused(exported, tmp_path):
    statements = {row["id"]: row for row in exported["models"]["events.statement"]}
    translations = exported["models"]["events.statementtranslation"]
    translation = translations[0]
    translation["language"] = statements[translation["statement"]]["language"]

    refused(
        write(tmp_path, exported),
        f"events.statementtranslation row 1 (id {translation['id']}): "
        "language: A translation must be in another language.",
    )


def test_a_statement_with_another_persons_position_is_refused(exported, tmp_path):
    positions = exported["models"]["people.position"]
    rows = exported["models"]["events.statement"]
    number, statement = next(
        (n, row) for n, row in enumerate(rows, 1) if row.get("position") is not None
    )
    statement["position"] = next(p["id"] for p in positions if p["person"] != statement["speaker"])
    statement["institution"] = None

    refused(
        write(tmp_path, exported),
        f"events.statement row {number} (id {statement['id']}): "
        "position: This position is held by another person.",
    )


def test_an_institution_that_is_its_own_ancestor_is_refused(exported, tmp_path):
    """A cycle through a parent that comes later in the section: checked once all are in."""
    rows = exported["models"]["people.institution"]
    first, last = rows[0], rows[-1]
    first["parent"], last["parent"] = last["id"], first["id"]

    message = refused(write(tmp_path, exported), "people.institution row ")
    assert "An institution cannot be its own ancestor." in message


def test_a_country_unknown_to_the_target_is_refused(exported, tmp_path):
    exported["models"]["people.country"].append({"code": "QQ", "name": "Nowhere"})
    exported["counts"]["people.country"] += 1

    refused(write(tmp_path, exported), "'QQ' is not in this database's reference data")


def test_a_non_empty_target_is_refused(record, tmp_path):
    path = export(tmp_path)

    refused(path, "already holds a record")


def test_a_missing_file_is_refused(db, tmp_path):
    refused(tmp_path / "nowhere.json", "cannot read")


def test_an_empty_record_round_trips(db, tmp_path):
    """Every section empty: each still counts as present for the ones after it."""
    path = export(tmp_path)

    call_command("import_data", str(path), stdout=io.StringIO())

    assert json.loads(path.read_text(encoding="utf-8"))["counts"]["events.statement"] == 0


def test_a_section_before_one_it_refers_to_is_refused(exported, tmp_path):
    models = exported["models"]
    exported["models"] = {"events.statement": models.pop("events.statement"), **models}

    refused(write(tmp_path, exported), "events.statement comes before", "which it refers to")


def test_the_backup_commands_live_with_the_backup_code():
    """`export_data` and `import_data` belong to the record as a whole, not to `events`."""
    from django.core.management import get_commands

    assert get_commands()["export_data"] == "ctht_api"
    assert get_commands()["import_data"] == "ctht_api"


def test_an_integer_beyond_64_bits_is_refused_in_one_line(exported, tmp_path):
    exported["models"]["events.statement"][0]["version"] = "BIG"
    path = write(tmp_path, exported)
    path.write_text(path.read_text().replace('"BIG"', "1" + "0" * 5000))

    refused(path, "not valid JSON", "integer overflow")


SNAPSHOTS = {  # history table: the list each version records (ctht_api.audit.snapshot_history)
    "people.historicalperson": "other_names",
    "people.historicalinstitution": "other_names",
    "people.historicalposition": "other_names",
    "events.historicalprogramme": "other_names",
    "events.historicalevent": "other_names",
    "events.historicaltopic": "translations",
}


def test_the_lists_recorded_in_the_history_round_trip(exported, writer, tmp_path):
    """The demo's entries were written with their lists: every history row has the column,
    and the history after the import shows the lists (the round trip above compares
    every history page with the one before the export)."""
    for label, column in SNAPSHOTS.items():
        rows = exported["models"][label]
        assert all(column in row for row in rows), label
        assert any(row[column] is not None for row in rows), label
    person = exported["models"]["people.personothername"][0]["person"]

    call_command("import_data", str(write(tmp_path, exported)))

    records = writer.get(f"{API}people/{person}/history/").json()["results"]
    names = [c["new"] for r in records for c in r["changes"] if c["field"] == "other_names"]
    assert names[0] == writer.get(f"{API}people/{person}/").json()["other_names"]


def test_a_version_2_file_from_before_the_lists_were_in_the_history_is_restored(
    exported, writer, tmp_path
):
    """Version 2 files written before the history recorded the lists lack those columns:
    they are restored as unknown (null), and the history shows no change of the lists."""
    document = as_version_2(exported)
    for label, column in SNAPSHOTS.items():
        assert all(column not in row for row in document["models"][label]), label
    person = exported["models"]["people.personothername"][0]["person"]

    call_command("import_data", str(write(tmp_path, document)))

    assert not Person.history.filter(other_names__isnull=False).exists()
    records = writer.get(f"{API}people/{person}/history/").json()["results"]
    assert records
    assert not [c for r in records for c in r["changes"] if c["field"] == "other_names"]
    assert writer.get(f"{API}people/{person}/").json()["other_names"]
