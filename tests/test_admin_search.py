"""The admin's search boxes and autocompletes fold accents and case as the API's `q` does.

Run on PostgreSQL (full-text, word prefixes) and on SQLite (folded substrings):
the answers below are the same on both.
"""

import pytest
from django.urls import reverse

from events.models import Event, Statement
from people.models import Institution, Person
from tests.factories import (
    EventFactory,
    InstitutionFactory,
    PersonFactory,
    PositionFactory,
    StatementFactory,
)

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


def test_a_slashed_name_is_found_by_each_of_its_words_and_whole(admin_client, db):
    odihr = InstitutionFactory(
        name="Office for Democratic Institutions and Human Rights", short_name="OSCE/ODIHR"
    )
    InstitutionFactory(name="Ministry of the Interior", short_name="MUP")
    for typed in ("odihr", "osce", "OSCE/ODIHR", "osce/odi", "Osce ODIHR"):
        assert found(admin_client, Institution, typed) == [odihr], typed


def test_dotted_numbers_are_found_as_typed(admin_client, db):
    event = EventFactory(title="Digital evidence 2.0", summary="Held in Belgrade on 17.05.2024.")
    EventFactory(title="Digital evidence", summary="Held in Skopje last spring.")
    for typed in ("2.0", "17.05.2024", "17.05", "evidence 2.0"):
        assert found(admin_client, Event, typed) == [event], typed
    assert autocomplete(admin_client, "events", "statement", "event", "2.0") == [event.title]


def test_hyphenated_words_e_mails_and_urls_in_fields_are_found_by_their_words(admin_client, db):
    event = EventFactory(
        title="Anti-trafficking day",
        summary="Write to help@coe.int or see www.coe.int/trafficking.",
    )
    for typed in ("anti-trafficking", "trafficking", "anti", "help@coe.int", "coe", "traff"):
        assert found(admin_client, Event, typed) == [event], typed


def test_names_are_found_by_their_start_in_either_script(admin_client, db):
    """Cyrillic is folded to Latin (ctht_api.search.fold): each script finds both."""
    PersonFactory(full_name="Stanislava Tanić")
    PersonFactory(full_name="Станислава Танић")
    PersonFactory(full_name="Nenad Simić")
    both = {"Stanislava Tanić", "Станислава Танић"}
    for typed in ("tan", "tanic", "Тан", "танић"):
        assert {p.full_name for p in found(admin_client, Person, typed)} == both, typed
    assert set(autocomplete(admin_client, "events", "statement", "speaker", "Тан")) == both


def test_statements_are_found_by_a_url_an_e_mail_or_a_slashed_name_typed_whole(admin_client, db):
    """Statements are searched through their indexed document, which keeps such tokens
    whole on PostgreSQL: the whole token, or its start, finds them on both databases."""
    statement = StatementFactory(
        text="OSCE/ODIHR answers at help@coe.int; see www.coe.int/trafficking, version 2.0."
    )
    StatementFactory(text="Technology can also be part of the solution.")
    for typed in ("OSCE/ODIHR", "osce/odi", "help@coe.int", "www.coe.int/trafficking", "2.0"):
        assert found(admin_client, Statement, typed) == [statement], typed
    assert found(admin_client, Statement, "osce/odihr technology") == []


@pytest.mark.parametrize("typed", ["'", ":*", "&|!", "\\", "()", "o'neil", "a:*b", "x\\y", "(a|b)"])
def test_special_characters_are_never_an_error(admin_client, demo, typed):
    for model in (Statement, Person, Institution, Event):
        found(admin_client, model, typed)
    autocomplete(admin_client, "events", "statement", "speaker", typed)
    autocomplete(admin_client, "events", "statementtranslation", "statement", typed)
