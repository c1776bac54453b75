"""Other names (`other_names`) of people, institutions, positions, programmes and events, as a
client writes, reads and searches them."""

import csv
import io
import json

import pytest

from people.models import Person, PersonOtherName
from tests.api.helpers import API, assert_problem, ids, results
from tests.factories import (
    EventFactory,
    InstitutionFactory,
    PersonFactory,
    PositionFactory,
    ProgrammeFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

CYRILLIC = {"name": "Ненад Симић", "language": "sr-Cyrl", "note": ""}
FORMER = {"name": "Nenad Petrović", "language": "", "note": "Former name"}

# resource path, factory, and the field a body needs to create one
OWNERS = {
    "people": (PersonFactory, {"full_name": "Nenad Simić"}),
    "institutions": (InstitutionFactory, {"name": "Ministry of Interior", "kind": "ministry"}),
    "positions": (PositionFactory, None),
    "programmes": (ProgrammeFactory, {"name": "Renforcer la lutte contre la traite"}),
    "events": (EventFactory, {"title": "Conférence de Sarajevo", "status": "published"}),
}
every_owner = pytest.mark.parametrize("resource", list(OWNERS))


def url_of(resource: str, pk: int) -> str:
    return f"{API}{resource}/{pk}/"


def owner(resource: str, **kwargs):
    factory, _ = OWNERS[resource]
    if resource == "events":
        kwargs.setdefault("status", "published")
    if resource == "positions":  # holder and institution named unlike any query here
        kwargs.setdefault("person__full_name", "Ana Kovač")
        kwargs.setdefault("institution__name", "Ured")
    return factory(**kwargs)


def version(etag: str) -> int:
    return int(etag.strip('"v'))


def with_names(writer, resource: str, names: list[dict]) -> dict:
    entry = owner(resource)
    response = writer.patch(url_of(resource, entry.pk), {"other_names": names}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


# Reading and writing -------------------------------------------------------------------


@every_owner
def test_other_names_written_are_read_in_detail_and_list(writer, anon, resource):
    body = with_names(writer, resource, [FORMER, CYRILLIC])

    # by language tag, then name: the acronym or former name (no tag) first
    assert body["other_names"] == [FORMER, CYRILLIC]
    assert anon.get(body["url"]).json()["other_names"] == [FORMER, CYRILLIC]
    listed = {item["id"]: item for item in results(anon.get(f"{API}{resource}/"))}
    assert listed[body["id"]]["other_names"] == [FORMER, CYRILLIC]


@every_owner
def test_an_entry_is_created_with_its_other_names_at_version_1(writer, resource):
    _, fields = OWNERS[resource]
    if fields is None:
        fields = {
            "person": PersonFactory().pk,
            "institution": InstitutionFactory().pk,
            "title": "Ministre",
        }
    response = writer.post(
        f"{API}{resource}/", {**fields, "other_names": [CYRILLIC]}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["other_names"] == [CYRILLIC]
    assert response["ETag"] == '"v1"'
    history = writer.get(f"{response.json()['url']}history/").json()["results"]
    assert [(h["version"], h["type"]) for h in history] == [(1, "created")]


@every_owner
def test_a_write_replaces_the_list_and_raises_the_version_once(writer, resource):
    body = with_names(writer, resource, [CYRILLIC, FORMER])
    etag = writer.get(body["url"])["ETag"]
    acronym = {"name": "MUP", "language": "", "note": "Acronym"}
    changed = {**CYRILLIC, "note": "As the ministry writes it"}

    response = writer.patch(
        body["url"], {"other_names": [changed, acronym]}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 200, response.content
    assert response.json()["other_names"] == [acronym, changed]
    assert version(response["ETag"]) == version(etag) + 1
    assert writer.get(body["url"]).json() == response.json()
    history = writer.get(f"{body['url']}history/").json()["results"]
    assert len(history) == 3  # created, the first list, this one


@every_owner
def test_other_names_left_out_of_a_patch_are_kept(writer, resource):
    body = with_names(writer, resource, [CYRILLIC])
    field = {"people": "sort_name", "institutions": "short_name", "positions": "title"}.get(
        resource, "slug"
    )

    response = writer.patch(body["url"], {field: "changed"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["other_names"] == [CYRILLIC]


@every_owner
def test_an_empty_list_removes_every_other_name(writer, resource):
    body = with_names(writer, resource, [CYRILLIC, FORMER])

    response = writer.patch(body["url"], {"other_names": []}, format="json")

    assert response.json()["other_names"] == []
    assert writer.get(body["url"]).json()["other_names"] == []


def test_a_name_and_its_note_default_the_language_and_note_to_empty(writer):
    body = with_names(writer, "people", [{"name": "N. Simić"}])

    assert body["other_names"] == [{"name": "N. Simić", "language": "", "note": ""}]


def test_a_language_tag_is_stored_in_its_standard_form(writer):
    body = with_names(writer, "people", [{"name": "Ненад Симић", "language": "SR-cyrl"}])

    assert body["other_names"][0]["language"] == "sr-Cyrl"


def test_an_unchanged_list_leaves_each_rows_history_alone(writer):
    body = with_names(writer, "people", [CYRILLIC, FORMER])
    row = PersonOtherName.objects.get(person_id=body["id"], name=CYRILLIC["name"])

    writer.patch(body["url"], {"other_names": [CYRILLIC, FORMER]}, format="json")

    assert row.history.count() == 1
    assert PersonOtherName.objects.get(pk=row.pk).version == 1


def test_brief_objects_do_not_carry_other_names(writer, anon):
    person = with_names(writer, "people", [CYRILLIC])
    statement = StatementFactory(speaker=Person.objects.get(pk=person["id"]))

    speaker = anon.get(url_of("statements", statement.pk)).json()["speaker"]

    assert set(speaker) == {"id", "url", "full_name"}


def test_the_csv_of_a_list_holds_the_other_names_as_json(writer, anon):
    body = with_names(writer, "people", [FORMER, CYRILLIC])

    response = anon.get(f"{API}people/", {"format": "csv"})

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    (row,) = [
        r for r in csv.DictReader(io.StringIO(text, newline="")) if r["id"] == str(body["id"])
    ]
    assert json.loads(row["other_names"]) == [FORMER, CYRILLIC]


# Validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "field"),
    [
        ([CYRILLIC, {"name": "  "}], "other_names.1.name"),
        ([{"name": "Simić", "language": "xx-Foo"}], "other_names.0.language"),
        ([{"name": "Simić", "language": "sr-Latn-Cyrl"}], "other_names.0.language"),
        ([CYRILLIC, FORMER, {**CYRILLIC, "note": "again"}], "other_names.2.name"),
        ([{"name": "x" * 501}], "other_names.0.name"),
        ([{"name": "Simić", "note": "n" * 301}], "other_names.0.note"),
        ([{"language": "sr"}], "other_names.0.name"),
        (["Ненад Симић"], "other_names.0"),
        ("Ненад Симић", "other_names"),
        (None, "other_names"),
        ([{"name": "a\x00b"}], "other_names.0.name"),
    ],
)
def test_bad_other_names_are_a_400_naming_the_item_and_nothing_is_stored(writer, names, field):
    person = PersonFactory()
    url = url_of("people", person.pk)

    response = writer.patch(url, {"full_name": "Changed", "other_names": names}, format="json")

    assert_problem(response, 400, field)
    assert writer.get(url).json()["full_name"] == person.full_name
    assert not PersonOtherName.objects.exists()


def test_more_than_a_hundred_other_names_are_refused(writer):
    names = [{"name": f"Name {n}"} for n in range(101)]

    response = writer.post(
        f"{API}people/", {"full_name": "Ana", "other_names": names}, format="json"
    )

    assert_problem(response, 400, "other_names")


def test_the_same_name_in_two_languages_is_two_other_names(writer):
    body = with_names(
        writer, "people", [{"name": "Simić", "language": "sr-Latn"}, {"name": "Simić"}]
    )

    assert len(body["other_names"]) == 2


# Search ----------------------------------------------------------------------------------

# (the entry's own name, its other name, a query only the other name answers): a former
# name in either script found in the other, an acronym.
SPELLINGS = [
    pytest.param("Nenad Simić", "Ненад Петровић", "petrovic", id="cyrillic-other-latin-q"),
    pytest.param("Nenad Simić", "Ненад Петровић", "Petrović", id="cyrillic-other-accented-q"),
    pytest.param("Nenad Simić", "Nenad Petrović", "Петровић", id="latin-other-cyrillic-q"),
    pytest.param("Ненад Симић", "Ненад Петровић", "PETROVIC", id="cyrillic-both-latin-q"),
    pytest.param("Ministarstvo unutrašnjih poslova", "MUP", "mup", id="acronym"),
]
NAME_FIELD = {
    "people": "full_name",
    "institutions": "name",
    "positions": "title",
    "programmes": "name",
    "events": "title",
}


@every_owner
@pytest.mark.parametrize(("name", "other", "query"), SPELLINGS)
def test_q_finds_an_entry_by_its_other_name(writer, anon, resource, name, other, query):
    entry = owner(resource, **{NAME_FIELD[resource]: name})
    unrelated = owner(resource, **{NAME_FIELD[resource]: "Somebody Else"})
    url = f"{API}{resource}/"
    assert entry.pk not in ids(anon.get(url, {"q": query}))
    writer.patch(url_of(resource, entry.pk), {"other_names": [{"name": other}]}, format="json")

    found = ids(anon.get(url, {"q": query}))

    assert entry.pk in found
    assert unrelated.pk not in found


def test_an_entry_with_several_matching_other_names_is_listed_once(writer, anon):
    entry = owner("people", full_name="Ana")
    names = [{"name": "Ненад Симић", "language": "sr-Cyrl"}, {"name": "Nenad Simić"}]
    writer.patch(url_of("people", entry.pk), {"other_names": names}, format="json")

    assert ids(anon.get(f"{API}people/", {"q": "simic"})) == [entry.pk]


def test_each_other_name_is_searched_on_its_own(writer, anon):
    """A query mixing a word of the name and a word of an other name finds nothing."""
    entry = owner("people", full_name="Nenad Simić")
    writer.patch(url_of("people", entry.pk), {"other_names": [FORMER]}, format="json")

    assert ids(anon.get(f"{API}people/", {"q": "nenad petrovic"})) == [entry.pk]
    assert ids(anon.get(f"{API}people/", {"q": "simic petrovic"})) == []


def test_positions_are_found_by_their_holders_and_institutions_other_names(writer, anon):
    position = PositionFactory(title="Ministre")
    writer.patch(url_of("people", position.person_id), {"other_names": [CYRILLIC]}, format="json")
    writer.patch(
        url_of("institutions", position.institution_id),
        {"other_names": [{"name": "MUP", "note": "Acronym"}]},
        format="json",
    )

    assert ids(anon.get(f"{API}positions/", {"q": "Ненад"})) == [position.pk]
    assert ids(anon.get(f"{API}positions/", {"q": "mup"})) == [position.pk]


def test_a_statement_is_not_found_by_its_speakers_other_names(writer, anon):
    """Documented choice (ctht_api.search.statement_search_document): a statement's
    search document holds its speaker's name, not the speaker's other names."""
    speaker = PersonFactory(full_name="Nenad Simić")
    statement = StatementFactory(speaker=speaker, text="La technologie.", status="published")
    writer.patch(url_of("people", speaker.pk), {"other_names": [FORMER]}, format="json")

    assert statement.pk in ids(anon.get(f"{API}statements/", {"q": "Симић"}))
    assert statement.pk not in ids(anon.get(f"{API}statements/", {"q": "petrovic"}))
