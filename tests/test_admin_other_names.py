"""Other names in the admin: an inline on each owner's page, saved as one write of the owner
(one version, one history record, one change-feed row), and found by the search boxes.

Run on PostgreSQL (full-text, word prefixes) and on SQLite (folded substrings).
"""

import pytest
from django.urls import reverse

from events.models import Event, Programme
from people.models import Institution, Person, Position
from tests.api.conftest import token_client
from tests.factories import (
    EventFactory,
    InstitutionFactory,
    PersonFactory,
    PositionFactory,
    ProgrammeFactory,
)
from tests.test_audit import change_url, form_data

pytestmark = pytest.mark.django_db

ROWS = "other_names"
OWNERS = {
    "people": PersonFactory,
    "institutions": InstitutionFactory,
    "positions": PositionFactory,
    "programmes": ProgrammeFactory,
    "events": EventFactory,
}
every_owner = pytest.mark.parametrize("resource", list(OWNERS))


def with_rows(data: dict, *rows: dict, inline: str = ROWS) -> dict:
    """The page as opened, with `rows` filled into new rows of an inline (other names)."""
    first = int(data[f"{inline}-TOTAL_FORMS"])
    for offset, row in enumerate(rows):
        for name, value in row.items():
            data[f"{inline}-{first + offset}-{name}"] = value
    data[f"{inline}-TOTAL_FORMS"] = str(first + len(rows))
    return data


def api_other_names(resource: str, pk: int) -> list[dict]:
    writer = token_client("editor", write=True)
    return writer.get(f"/api/v1/{resource}/{pk}/").json()["other_names"]


@every_owner
def test_other_names_added_on_the_page_are_one_version_of_the_entry(admin_client, resource):
    entry = OWNERS[resource]()
    feed = token_client("editor", write=True)
    last = feed.get("/api/v1/changes/").json()["last"]
    data = with_rows(
        form_data(admin_client, entry),
        {"name": "Ненад Симић", "language": "sr-Cyrl"},
        {"name": "MUP", "language": "", "note": "Acronym"},
    )
    data["change_reason"] = "Names as the ministry writes them"

    response = admin_client.post(change_url(entry), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    entry.refresh_from_db()
    assert entry.version == 2
    newest = entry.history.first()
    assert entry.history.count() == 2
    assert newest.history_change_reason == "Names as the ministry writes them"
    assert api_other_names(resource, entry.pk) == [
        {"name": "MUP", "language": "", "note": "Acronym"},
        {"name": "Ненад Симић", "language": "sr-Cyrl", "note": ""},
    ]
    changes = feed.get("/api/v1/changes/", {"since": last}).json()["results"]
    mine = [c for c in changes if c["resource"] == resource and c["id"] == entry.pk]
    assert [c["action"] for c in mine] == ["upsert"]
    assert len(mine[0]["object"]["other_names"]) == 2


@every_owner
def test_an_other_name_changed_and_one_deleted_on_the_page_are_one_version(admin_client, resource):
    entry = OWNERS[resource]()
    admin_client.post(
        change_url(entry),
        with_rows(form_data(admin_client, entry), {"name": "A"}, {"name": "B"}),
    )
    entry.refresh_from_db()
    data = form_data(admin_client, entry)
    data[f"{ROWS}-0-note"] = "Former name"
    data[f"{ROWS}-1-DELETE"] = "on"

    assert admin_client.post(change_url(entry), data).status_code == 302

    assert api_other_names(resource, entry.pk) == [
        {"name": "A", "language": "", "note": "Former name"}
    ]
    assert type(entry).objects.get(pk=entry.pk).version == entry.version + 1


def test_a_name_twice_in_one_language_is_an_error_on_the_page(admin_client):
    person = PersonFactory()
    data = with_rows(form_data(admin_client, person), {"name": "Simić"}, {"name": "Simić"})

    response = admin_client.post(change_url(person), data)

    assert response.status_code == 200
    assert "Please correct the duplicate data" in response.content.decode()
    person.refresh_from_db()
    assert (person.version, person.other_names.count()) == (1, 0)


def test_two_rows_differing_only_in_the_tags_case_are_a_duplicate_on_the_page(admin_client):
    # The tags are compared as stored (sr-latn is sr-Latn): a form error, not a 500 from the
    # unique constraint.
    person = PersonFactory()
    data = with_rows(
        form_data(admin_client, person),
        {"name": "Same", "language": "sr-latn"},
        {"name": "Same", "language": "sr-Latn"},
    )

    response = admin_client.post(change_url(person), data)

    assert response.status_code == 200
    assert "Please correct the duplicate data" in response.content.decode()
    person.refresh_from_db()
    assert (person.version, person.other_names.count()) == (1, 0)


def test_a_language_code_is_kept_as_given_not_replaced(admin_client):
    # Montenegrin stays Montenegrin (langcodes would have made it sr-ME).
    person = PersonFactory()
    data = with_rows(form_data(admin_client, person), {"name": "Test Osoba", "language": "CNR"})

    response = admin_client.post(change_url(person), data)

    assert response.status_code == 302, response.context["errors"]
    assert api_other_names("people", person.pk) == [
        {"name": "Test Osoba", "language": "cnr", "note": ""}
    ]


def test_a_bad_language_tag_is_a_row_error(admin_client):
    person = PersonFactory()
    data = with_rows(form_data(admin_client, person), {"name": "Simić", "language": "xx-Foo"})

    response = admin_client.post(change_url(person), data)

    assert response.status_code == 200
    (formset,) = [
        f.formset for f in response.context["inline_admin_formsets"] if f.formset.prefix == ROWS
    ]
    assert "language" in formset.errors[0]


# Search boxes and autocompletes --------------------------------------------------------


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def found(admin_client, model, q: str) -> list:
    response = admin_client.get(changelist(model), {"q": q})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.fixture
def simic():
    """Known by a former name written in Cyrillic only, and by an acronym-like nickname."""
    person = PersonFactory(full_name="Nenad Simić")
    person.other_names.create(name="Ненад Петровић", language="sr-Cyrl", note="Former name")
    person.other_names.create(name="Petrović N.", language="sr-Latn")
    PositionFactory(person=person, title="Ministre")
    PositionFactory(person=person, title="Coordinateur")
    return person


@pytest.mark.parametrize("q", ["petrovic", "Petrović", "Петровић", "петр", "PETR"])
def test_the_people_search_finds_a_person_by_an_other_name_once(admin_client, simic, q):
    PersonFactory(full_name="Jelena Marković")

    assert found(admin_client, Person, q) == [simic]


def test_the_speaker_autocomplete_finds_a_person_by_an_other_name(admin_client, simic):
    response = admin_client.get(
        "/admin/autocomplete/",
        {
            "app_label": "events",
            "model_name": "statement",
            "field_name": "speaker",
            "term": "петровић",
        },
    )

    assert [r["text"] for r in response.json()["results"]] == ["Nenad Simić"]


@pytest.mark.parametrize(
    ("model", "factory", "field"),
    [
        (Institution, InstitutionFactory, "name"),
        (Programme, ProgrammeFactory, "name"),
        (Event, EventFactory, "title"),
        (Position, PositionFactory, "title"),
    ],
)
@pytest.mark.parametrize(("other", "q"), [("МУП", "mup"), ("MUP", "МУП")])
def test_other_entries_are_found_by_their_other_names(
    admin_client, model, factory, field, other, q
):
    entry = factory(**{field: "Ministarstvo unutrašnjih poslova"})
    factory(**{field: "Something else"})
    assert found(admin_client, model, q) == []

    entry.other_names.create(name=other, note="Acronym")

    assert found(admin_client, model, q) == [entry]


def test_positions_are_found_by_their_holders_other_names(admin_client, simic):
    assert {p.title for p in found(admin_client, Position, "петровић")} == {
        "Ministre",
        "Coordinateur",
    }
