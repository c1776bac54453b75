"""The lists written with an entry appear in its history: an owner's `other_names` and a
topic's `translations` (ctht_api.audit.snapshot_history), with their old and new value
as the API shows them, whichever way they were written (API or admin inline).

Run on PostgreSQL and on SQLite.
"""

import pytest

from events.models import Topic
from people.models import Institution, Person
from tests.api.conftest import token_client
from tests.factories import InstitutionFactory, PersonFactory
from tests.test_admin_other_names import with_rows
from tests.test_audit import change_url, form_data

pytestmark = pytest.mark.django_db

API = "/api/v1/"
CYRILLIC = {"name": "Ненад Симић", "language": "sr-Cyrl", "note": ""}
ACRONYM = {"name": "MUP", "language": "", "note": "Acronym"}
FORMER = {"name": "Nenad Petrović", "language": "", "note": "Former name"}


@pytest.fixture
def writer(db):
    return token_client("editor", write=True)


def history(writer, url: str) -> list[dict]:
    response = writer.get(f"{url}history/")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def change_of(record: dict, field: str) -> dict | None:
    found = [c for c in record["changes"] if c["field"] == field]
    assert len(found) <= 1
    return found[0] if found else None


# ------------------------------------------------------------------ other names, API


def test_a_person_created_with_other_names_shows_them_in_the_first_record(writer):
    response = writer.post(
        f"{API}people/",
        {"full_name": "Nenad Simić", "other_names": [CYRILLIC, FORMER]},
        format="json",
    )
    assert response.status_code == 201, response.content

    (created,) = history(writer, response.json()["url"])

    assert created["type"] == "created"
    assert change_of(created, "other_names") == {
        "field": "other_names",
        "old": None,
        "new": [FORMER, CYRILLIC],  # as the API lists them: by language, then name
    }


def test_a_patch_of_only_the_other_names_shows_their_old_and_new_list(writer):
    url = f"{API}people/{PersonFactory(full_name='Nenad Simić').pk}/"
    assert writer.patch(url, {"other_names": [CYRILLIC]}, format="json").status_code == 200
    changed = {**CYRILLIC, "note": "As he signs"}

    response = writer.patch(url, {"other_names": [ACRONYM, changed]}, format="json")

    assert response.status_code == 200, response.content
    newest, first_list, created = history(writer, url)
    assert newest["version"] == 3
    assert newest["changes"] == [
        {"field": "other_names", "old": [CYRILLIC], "new": [ACRONYM, changed]}
    ]
    assert first_list["changes"] == [{"field": "other_names", "old": [], "new": [CYRILLIC]}]
    assert change_of(created, "other_names") == {"field": "other_names", "old": None, "new": []}


def test_a_write_that_leaves_the_other_names_alone_shows_no_change_of_them(writer):
    url = f"{API}people/{PersonFactory(full_name='Nenad Simić').pk}/"
    assert writer.patch(url, {"other_names": [CYRILLIC]}, format="json").status_code == 200

    response = writer.patch(url, {"full_name": "Nenad Simic"}, format="json")
    same_list = writer.patch(
        url, {"full_name": "Nenad Simić", "other_names": [CYRILLIC]}, format="json"
    )

    assert response.status_code == same_list.status_code == 200
    newest, renamed = history(writer, url)[:2]
    assert [c["field"] for c in renamed["changes"]] == ["full_name"]
    assert [c["field"] for c in newest["changes"]] == ["full_name"]


def test_versions_recorded_before_the_column_show_no_change_of_other_names(writer):
    """Null (a version stored before other names were recorded, or by generate_data) is
    unknown: neither it nor the first recorded list after it is shown as a change."""
    person = PersonFactory(full_name="Nenad Simić")
    url = f"{API}people/{person.pk}/"
    assert writer.patch(url, {"other_names": [CYRILLIC]}, format="json").status_code == 200
    Person.history.filter(id=person.pk).update(other_names=None)  # as migrated

    response = writer.patch(url, {"other_names": [CYRILLIC, FORMER]}, format="json")
    renamed = writer.patch(url, {"full_name": "Nenad Simic"}, format="json")

    assert response.status_code == renamed.status_code == 200
    records = history(writer, url)
    assert [r["version"] for r in records] == [4, 3, 2, 1]
    assert [c["field"] for c in records[0]["changes"]] == ["full_name"]
    assert records[1]["changes"] == []  # the first recorded list: after an unknown one
    assert records[2]["changes"] == []
    assert change_of(records[3], "other_names") is None


# ------------------------------------------------------------------ other names, admin


def test_the_admin_inline_save_shows_the_other_names_in_the_institutions_history(
    admin_client, writer
):
    institution = InstitutionFactory(name="Ministry of the Interior")
    url = f"{API}institutions/{institution.pk}/"
    data = with_rows(form_data(admin_client, institution), ACRONYM)

    response = admin_client.post(change_url(institution), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    newest = history(writer, url)[0]
    assert newest["version"] == 2
    assert newest["changes"] == [{"field": "other_names", "old": [], "new": [ACRONYM]}]

    data = form_data(admin_client, institution)  # the row as stored, not touched
    data["website"] = "https://mup.example.org/"
    response = admin_client.post(change_url(institution), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    newest = history(writer, url)[0]
    assert newest["version"] == 3
    assert [c["field"] for c in newest["changes"]] == ["website"]
    assert Institution.history.filter(id=institution.pk).first().other_names is not None


# ------------------------------------------------------------------ topic translations

BS = {"language": "bs", "name": "Online regrutacija", "description": ""}
MK = {"language": "mk", "name": "Онлајн регрутирање", "description": "Преку интернет."}


def test_a_topics_translations_show_their_old_and_new_list(writer):
    response = writer.post(
        f"{API}topics/", {"name": "Online recruitment", "translations": [MK]}, format="json"
    )
    assert response.status_code == 201, response.content
    url = response.json()["url"]

    changed = {**MK, "description": "Преку социјалните мрежи."}
    patched = writer.patch(url, {"translations": [changed, BS]}, format="json")
    described = writer.patch(url, {"description": "Recruiting by the internet."}, format="json")

    assert patched.status_code == described.status_code == 200
    newest, translated, created = history(writer, url)
    assert change_of(created, "translations") == {
        "field": "translations",
        "old": None,
        "new": [MK],
    }
    assert translated["changes"] == [
        {"field": "translations", "old": [MK], "new": [BS, changed]}  # by language
    ]
    assert [c["field"] for c in newest["changes"]] == ["description"]
    stored = Topic.history.filter(id=response.json()["id"]).first().translations
    assert stored is not None
