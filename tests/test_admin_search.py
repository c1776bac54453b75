"""The admin's search boxes and autocompletes fold accents and case as the API's `q` does.

Run on PostgreSQL (full-text, word prefixes) and on SQLite (folded substrings):
the answers below are the same on both.
"""

import pytest
from django.urls import reverse

from events.models import Event, Statement
from people.models import Institution, Person
from tests.factories import PersonFactory, PositionFactory

pytestmark = pytest.mark.django_db


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def found(admin_client, model, q: str) -> list:
    response = admin_client.get(changelist(model), {"q": q})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def autocomplete(admin_client, app_label: str, model_name: str, field_name: str, term: str):
    response = admin_client.get(
        "/admin/autocomplete/",
        {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": term},
    )
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


def test_statements_are_found_without_accents_as_the_api_finds_them(admin_client, demo):
    statements = found(admin_client, Statement, "numeriques")
    api = admin_client.get("/api/v1/statements/", {"q": "numeriques"}).json()["results"]
    assert statements
    assert {s.pk for s in statements} == {s["id"] for s in api}
    assert all("numériques" in s.text for s in statements)


def test_a_statement_is_found_by_its_speaker_without_accents(admin_client, demo):
    statements = found(admin_client, Statement, "TANIC")
    assert [s.speaker.full_name for s in statements] == ["Stanislava Tanić"]


def test_every_word_must_match_and_each_may_be_the_start_of_a_word(admin_client, demo):
    assert [s.speaker.full_name for s in found(admin_client, Statement, "tan stanis")] == [
        "Stanislava Tanić"
    ]
    assert found(admin_client, Statement, "tanic simic") == []


def test_people_institutions_and_events_fold_their_search_fields(admin_client, demo):
    assert [p.full_name for p in found(admin_client, Person, "tanic")] == ["Stanislava Tanić"]
    assert [e.pk for e in found(admin_client, Event, "numerique")] == [Event.objects.get().pk]
    assert [i.short_name for i in found(admin_client, Institution, "greta")] == ["GRETA"]


def test_a_search_across_positions_lists_each_person_once(admin_client, db):
    person = PersonFactory(full_name="Nenad Simić")
    PositionFactory(person=person, title="Coordinator for Combating Trafficking")
    PositionFactory(person=person, title="Deputy Coordinator")
    assert found(admin_client, Person, "coordinator") == [person]
    assert autocomplete(admin_client, "events", "statement", "speaker", "coordinator") == [
        "Nenad Simić"
    ]


def test_a_search_without_a_word_finds_nothing_and_a_long_one_is_no_error(admin_client, demo):
    assert found(admin_client, Statement, "?!") == []
    assert found(admin_client, Person, "-") == []
    assert found(admin_client, Statement, "technologie " * 200) != []


def test_an_empty_search_lists_everything(admin_client, demo):
    assert len(found(admin_client, Statement, "  ")) == Statement.objects.count()


def test_speaker_autocomplete_folds(admin_client, demo):
    assert autocomplete(admin_client, "events", "statement", "speaker", "tanic") == [
        "Stanislava Tanić"
    ]
    assert autocomplete(admin_client, "events", "statement", "speaker", "Tan") == [
        "Stanislava Tanić"
    ]


def test_event_and_country_autocompletes_fold(admin_client, demo):
    event = Event.objects.get()
    assert autocomplete(admin_client, "events", "statement", "event", "numerique") == [event.title]
    assert autocomplete(admin_client, "people", "institution", "country", "cote") == [
        "Côte d'Ivoire (CI)"
    ]


def test_statement_autocomplete_searches_the_stored_document(admin_client, demo):
    texts = autocomplete(
        admin_client, "events", "statementtranslation", "statement", "simic numeriques"
    )
    assert len(texts) == 1
