"""Identifiers in the admin: an inline on each owner's page, saved as one write of the owner,
each refusal of the API a row error on the page (never a 500)."""

import pytest

from people.models import Person
from tests.api.conftest import token_client
from tests.factories import (
    DocumentFactory,
    EventFactory,
    InstitutionFactory,
    PersonFactory,
    ProgrammeFactory,
)
from tests.test_admin_import import actions, confirm, csv_file, problems, upload
from tests.test_admin_other_names import with_rows as with_other_name_rows
from tests.test_audit import change_url, form_data

pytestmark = pytest.mark.django_db

ROWS = "identifiers"
OWNERS = {
    "people": PersonFactory,
    "institutions": InstitutionFactory,
    "events": EventFactory,
    "programmes": ProgrammeFactory,
    "documents": DocumentFactory,
}
every_owner = pytest.mark.parametrize("resource", list(OWNERS))
WIKIDATA = {"scheme": "wikidata", "identifier": "Q8908"}


def with_rows(data: dict, *rows: dict) -> dict:
    """The page as opened, with `rows` filled into new identifier rows."""
    return with_other_name_rows(data, *rows, inline=ROWS)


def api_identifiers(resource: str, pk: int) -> list[dict]:
    writer = token_client("editor", write=True)
    return writer.get(f"/api/v1/{resource}/{pk}/").json()["identifiers"]


def row_errors(response) -> list[dict]:
    (formset,) = [
        f.formset for f in response.context["inline_admin_formsets"] if f.formset.prefix == ROWS
    ]
    return formset.errors


@every_owner
def test_identifiers_added_on_the_page_are_one_version_of_the_entry(admin_client, resource):
    entry = OWNERS[resource]()
    data = with_rows(
        form_data(admin_client, entry), WIKIDATA, {"scheme": "isni", "identifier": "0000 0001"}
    )

    response = admin_client.post(change_url(entry), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    entry.refresh_from_db()
    assert (entry.version, entry.history.count()) == (2, 2)
    assert api_identifiers(resource, entry.pk) == [
        {"scheme": "isni", "identifier": "0000 0001"},
        WIKIDATA,
    ]
    assert entry.history.first().identifiers.startswith('[{"scheme": "isni"')


@every_owner
def test_an_identifier_held_by_another_entry_is_a_row_error(admin_client, resource):
    holder = OWNERS[resource]()
    holder.identifiers.create(**WIKIDATA)
    entry = OWNERS[resource]()

    response = admin_client.post(
        change_url(entry), with_rows(form_data(admin_client, entry), WIKIDATA)
    )

    assert response.status_code == 200
    assert "names another entry already" in str(row_errors(response))
    entry.refresh_from_db()
    assert (entry.version, entry.identifiers.count()) == (1, 0)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"scheme": "wikidata", "identifier": "q8908"}, "identifier"),
        ({"scheme": "Wikidata", "identifier": "Q8908"}, "scheme"),
        ({"scheme": "isni", "identifier": " "}, "identifier"),
    ],
)
def test_a_bad_identifier_is_a_row_error(admin_client, row, field):
    person = PersonFactory()

    response = admin_client.post(
        change_url(person), with_rows(form_data(admin_client, person), row)
    )

    assert response.status_code == 200
    assert field in row_errors(response)[0]
    assert person.identifiers.count() == 0


def test_an_identifier_twice_on_the_page_is_an_error(admin_client):
    person = PersonFactory()
    data = with_rows(form_data(admin_client, person), WIKIDATA, WIKIDATA)

    response = admin_client.post(change_url(person), data)

    assert response.status_code == 200
    assert "Please correct the duplicate data" in response.content.decode()
    assert person.identifiers.count() == 0


def test_people_are_imported_with_their_identifiers_as_the_csv_export_writes_them(
    admin_client,
):
    PersonFactory(full_name="Holder").identifiers.create(scheme="wikidata", identifier="Q2")
    content = csv_file(
        "full_name,identifiers",
        'Nenad Simić,"[{""scheme"": ""wikidata"", ""identifier"": ""Q1""}]"',
        'Jelena Petrović,"[{""scheme"": ""wikidata"", ""identifier"": ""Q2""}]"',
    )

    refused = upload(admin_client, Person, "people.csv", content)
    assert "names another entry already" in str(problems(refused)[3])

    preview = upload(admin_client, Person, "people.csv", content.replace(b"Q2", b"Q3"))
    assert actions(preview) == ["New", "New"], problems(preview)
    confirm(admin_client, Person, preview)
    simic = Person.objects.get(full_name="Nenad Simić")
    assert api_identifiers("people", simic.pk) == [{"scheme": "wikidata", "identifier": "Q1"}]
