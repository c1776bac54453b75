"""Sources (`sources`: the documents a record was taken from) of people, institutions,
positions and programmes, as a client writes and reads them, and as the history, the
change feed, the CSV lists and a backup keep them."""

import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from ctht_api.backup import added_after
from events.demo import load_demo
from tests.api.helpers import API, assert_problem, results
from tests.factories import (
    DocumentFactory,
    InstitutionFactory,
    PersonFactory,
    PositionFactory,
    ProgrammeFactory,
)
from tests.test_backup import as_version_2, empty_the_record, export

pytestmark = pytest.mark.django_db

FACTORIES = {
    "people": PersonFactory,
    "institutions": InstitutionFactory,
    "positions": PositionFactory,
    "programmes": ProgrammeFactory,
}
every_resource = pytest.mark.parametrize("resource", list(FACTORIES))


def brief(document) -> dict:
    return {
        "id": document.pk,
        "url": f"{API}documents/{document.pk}/",
        "title": document.title,
    }


@pytest.fixture
def report():
    return DocumentFactory(title="GRETA report on Serbia")


@pytest.fixture
def article():
    return DocumentFactory(title="Article on the Sarajevo conference")


def with_sources(writer, resource: str, documents: list) -> dict:
    entry = FACTORIES[resource]()
    response = writer.patch(
        f"{API}{resource}/{entry.pk}/", {"sources": [d.pk for d in documents]}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


# Reading and writing -------------------------------------------------------------------


@every_resource
def test_sources_written_by_id_are_read_as_brief_documents(writer, anon, resource, report, article):
    body = with_sources(writer, resource, [report, article])

    expected = [brief(article), brief(report)]  # by title
    assert body["sources"] == expected
    assert anon.get(body["url"]).json()["sources"] == expected
    listed = {item["id"]: item for item in results(anon.get(f"{API}{resource}/"))}
    assert listed[body["id"]]["sources"] == expected


@every_resource
def test_sources_left_out_are_kept_and_an_empty_list_clears_them(writer, resource, report, article):
    body = with_sources(writer, resource, [report])

    kept = writer.patch(body["url"], {"sources": [article.pk, report.pk]}, format="json")
    assert kept.json()["sources"] == [brief(article), brief(report)]
    untouched = writer.patch(body["url"], {}, format="json")
    assert untouched.json()["sources"] == [brief(article), brief(report)]
    cleared = writer.patch(body["url"], {"sources": []}, format="json")
    assert cleared.json()["sources"] == []


@every_resource
def test_an_unknown_document_is_a_400_naming_sources(writer, resource, report):
    entry = FACTORIES[resource]()

    for sources in ([report.pk, 987654], ["report"], report.pk):
        response = writer.patch(f"{API}{resource}/{entry.pk}/", {"sources": sources}, format="json")

        assert_problem(response, 400, "sources")
    assert entry.sources.count() == 0


def test_a_person_is_created_with_sources(writer, report):
    response = writer.post(
        f"{API}people/", {"full_name": "Ana Kovač", "sources": [report.pk]}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["sources"] == [brief(report)]
    assert writer.get(response.json()["url"]).json()["sources"] == [brief(report)]


def test_a_position_is_created_with_sources(writer, report):
    person, institution = PersonFactory(), InstitutionFactory()
    response = writer.post(
        f"{API}positions/",
        {
            "person": person.pk,
            "institution": institution.pk,
            "title": "Minister",
            "sources": [report.pk],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["sources"] == [brief(report)]


# History and change feed -------------------------------------------------------------


@every_resource
def test_a_change_of_sources_is_in_the_history(writer, resource, report, article):
    body = with_sources(writer, resource, [report])

    writer.patch(body["url"], {"sources": [report.pk, article.pk]}, format="json")

    newest = results(writer.get(f"{body['url']}history/"))[0]
    changes = {change["field"]: (change["old"], change["new"]) for change in newest["changes"]}
    assert changes == {"sources": ([report.pk], sorted([report.pk, article.pk]))}


def test_renaming_a_document_puts_the_entries_citing_it_in_the_feed(writer, report):
    cited = {resource: factory() for resource, factory in FACTORIES.items()}
    for entry in cited.values():
        entry.sources.set([report])
    uncited = DocumentFactory()  # a document nobody cites
    since = writer.get(f"{API}changes/").json()["last"]

    response = writer.patch(
        f"{API}documents/{report.pk}/", {"title": "GRETA report (2nd round)"}, format="json"
    )
    assert response.status_code == 200, response.content

    changed = results(writer.get(f"{API}changes/", {"since": since}))
    seen = {(change["resource"], change["id"]): change for change in changed}
    for resource, entry in cited.items():
        change = seen[(resource, entry.pk)]
        assert change["object"]["sources"][0]["title"] == "GRETA report (2nd round)"
    assert ("documents", report.pk) in seen
    assert ("documents", uncited.pk) not in seen


# CSV and backup -----------------------------------------------------------------------


@every_resource
def test_the_csv_list_has_the_source_ids(writer, resource, report, article):
    body = with_sources(writer, resource, [report, article])

    response = writer.get(f"{API}{resource}/", {"format": "csv"})

    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    row = next(r for r in rows if r["id"] == str(body["id"]))
    assert row["sources"].split(";") == [str(article.pk), str(report.pk)]


def test_sources_and_their_history_survive_a_backup_round_trip(writer, report, tmp_path):
    bodies = {resource: with_sources(writer, resource, [report]) for resource in FACTORIES}
    histories = {
        resource: results(writer.get(f"{body['url']}history/")) for resource, body in bodies.items()
    }
    path = export(tmp_path)

    empty_the_record()
    call_command("import_data", str(path), stdout=io.StringIO())

    assert get_user_model().objects.filter(username="editor").exists()
    for resource, body in bodies.items():
        assert writer.get(body["url"]).json()["sources"] == [brief(report)]
        assert results(writer.get(f"{body['url']}history/")) == histories[resource]


def test_a_version_2_file_without_the_sources_sections_is_restored_without_sources(
    writer, report, tmp_path
):
    """Files written before sources existed (format 2) have no section for their link
    tables nor for their history: the entries come back, without sources."""
    body = with_sources(writer, "people", [report])
    document = json.loads(export(tmp_path).read_text(encoding="utf-8"))
    absent = added_after(2)
    assert {"people.person_sources", "people.historicalperson_sources"} <= absent
    old = as_version_2(document)  # as version 2 wrote it: its models and columns only
    path = tmp_path / "version-2.json"
    path.write_text(json.dumps(old), encoding="utf-8")

    empty_the_record()
    call_command("import_data", str(path), stdout=io.StringIO())

    assert writer.get(body["url"]).json()["sources"] == []
    assert writer.get(f"{API}documents/{report.pk}/").json()["title"] == report.title
    assert writer.get(f"{body['url']}history/").status_code == 200


# The demo ---------------------------------------------------------------------------


def test_the_demo_entries_have_the_article_as_their_source(demo, anon):
    """Every person, institution, position and programme of the demo is taken from the
    article the statements cite."""
    statement = results(anon.get(f"{API}statements/"))[0]
    article = statement["source"]
    for resource in FACTORIES:
        entries = results(anon.get(f"{API}{resource}/"))
        assert entries
        for entry in entries:
            assert entry["sources"] == [article], (resource, entry["id"])


def test_a_source_an_editor_removed_from_a_demo_entry_is_not_put_back(demo, writer):
    simic = results(writer.get(f"{API}people/", {"q": "simic"}))[0]
    cleared = writer.patch(simic["url"], {"sources": []}, format="json")
    assert cleared.status_code == 200

    result = load_demo()

    assert (result.created, result.upgraded) == (0, 0)
    after = writer.get(simic["url"])
    assert after.json()["sources"] == []
    assert after["ETag"] == cleared["ETag"]
