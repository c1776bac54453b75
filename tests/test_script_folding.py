"""Script-insensitive search: Cyrillic and Latin spellings of a name find each other.

`fold()` is checked by itself, then against PostgreSQL's `ctht_fold()` letter by
letter, then through what clients and editors use: the API's `q` and the admin's
search boxes, on PostgreSQL and on SQLite.
"""

import importlib
import unicodedata

import cyrtranslit
import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from ctht_api.search import APOSTROPHES, CYRILLIC_LETTERS, CYRILLIC_TO_LATIN, fold
from events.models import Statement
from people.models import Person
from tests.factories import (
    DocumentFactory,
    EventFactory,
    InstitutionFactory,
    PersonFactory,
    ProgrammeFactory,
    StatementFactory,
    StatementTranslationFactory,
    TopicFactory,
)

MIGRATION = importlib.import_module("events.migrations.0008_script_insensitive_search")

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's ctht_fold() and web-search syntax"
)

SPELLINGS = [
    ("Симић", "Simić", "simic", "SIMIC"),
    ("Ђорђевић", "Đorđević", "Djordjevic", "Dordevic", "DJORDJEVIĆ"),
    ("Ѓорѓе", "Ǵorǵe", "Gjorge", "Gorge"),
    ("Ќерка", "Ḱerka", "Kjerka"),
    ("Љубљана", "Ljubljana", "LJUBLJANA"),
    ("Његош", "Njegoš", "Njegos"),
    ("Џеко", "Džeko", "Dzeko"),
    ("ѕвезда", "dzvezda"),
    ("Юлія Тимошенко", "Julija Timošenko"),
]
LATIN_LETTERS = [
    chr(code)
    for low, high in [(0x41, 0x5A), (0x61, 0x7A), (0xC0, 0xFF), (0x100, 0x17F)]
    for code in range(low, high + 1)
    if unicodedata.category(chr(code)).startswith("L")
]


@pytest.mark.parametrize("spellings", SPELLINGS, ids=lambda s: s[0])
def test_every_spelling_of_a_name_folds_to_one_form(spellings):
    assert len({fold(spelling) for spelling in spellings}) == 1, [fold(s) for s in spellings]


def test_folding_twice_changes_nothing():
    texts = [s for spellings in SPELLINGS for s in spellings]
    texts += CYRILLIC_LETTERS + LATIN_LETTERS + ["Djjordje", "kjj", "Ь", "ŉ"]
    texts += ["Ӣсмоил", "Ӂ", "ӝ", "\u1c80"]  # Cyrillic with a mark, outside the table
    assert [fold(fold(text)) for text in texts] == [fold(text) for text in texts]


def test_the_letter_table_is_cyrtranslits_serbian_first():
    assert len(CYRILLIC_TO_LATIN) == 98
    assert CYRILLIC_TO_LATIN["ђ"] == cyrtranslit.to_latin("ђ", "sr") == "đ"
    assert CYRILLIC_TO_LATIN["ѓ"] == cyrtranslit.to_latin("ѓ", "mk")
    assert CYRILLIC_TO_LATIN["и"] == cyrtranslit.to_latin("и", "sr") == "i"  # not Ukrainian y
    assert CYRILLIC_TO_LATIN["ь"] == ""  # the soft sign's apostrophe, dropped


def test_the_migration_folds_as_fold_does_today():
    """The migration's frozen copy (its documents) and today's `fold()` (new writes
    and queries) agree. If `fold()` changes, this fails: write a new migration that
    rebuilds the documents and replaces `ctht_fold()`, and check against it here."""
    assert MIGRATION.CYRILLIC_TO_LATIN == CYRILLIC_TO_LATIN
    texts = CYRILLIC_LETTERS + LATIN_LETTERS + [s for group in SPELLINGS for s in group]
    assert [MIGRATION.fold(text) for text in texts] == [fold(text) for text in texts]


@postgresql_only
@pytest.mark.django_db
def test_postgresql_folds_every_letter_as_python_does():
    texts = CYRILLIC_LETTERS + LATIN_LETTERS + ["ª", "º", "µ", "ς", *APOSTROPHES]
    texts += ["Олесь Григор\u02bcєв", "Мар\u02bcяна", "Νίκος Παπαδόπουλος", "O\u2019Brien"]
    texts += [s for group in SPELLINGS for s in group] + ["Ненад Симић, OSCE/ODIHR 2.0"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT t, ctht_fold(t) FROM unnest(%s::text[]) t", [texts])
        differ = [(text, folded, fold(text)) for text, folded in cursor if folded != fold(text)]
    assert differ == []


@pytest.mark.django_db
def test_the_migration_rebuilds_documents_folded_before():
    statement = StatementFactory(
        text="Министарство унутрашњих послова", speaker=PersonFactory(full_name="Ђорђе Ђорђевић")
    )
    StatementTranslationFactory(statement=statement, language="en", text="Ministry")
    Statement.objects.filter(pk=statement.pk).update(search_document="старо")

    MIGRATION.rebuild_search_documents(apps, None)

    statement.refresh_from_db()
    assert statement.search_document == "ministarstvo unutrasnjih poslova dorde dordevic ministry"
    assert statement.search_document == statement.build_search_document()


def found(path: str, q: str) -> set[str]:
    response = APIClient().get(path, {"q": q})
    assert response.status_code == 200, response.content
    return {
        row.get("full_name") or row.get("name") or row["title"]
        for row in response.json()["results"]
    }


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["simic", "Simić", "Симић", "SIMIĆ", "Ненад Симић"])
def test_people_are_found_in_either_script(q):
    PersonFactory(full_name="Ненад Симић")
    PersonFactory(full_name="Nenad Simić")
    PersonFactory(full_name="Stanislava Tanić")
    assert found("/api/v1/people/", q) == {"Ненад Симић", "Nenad Simić"}


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["Григор\u02bcєв", "Григор\u2019єв", "Григор'єв", "Παπαδόπουλος"])
def test_names_with_apostrophes_or_greek_are_found_as_typed(q):
    """The apostrophes and final sigma fold alike in Python (the query) and in the
    database (per-field search): on PostgreSQL they once did not."""
    PersonFactory(full_name="Олесь Григор\u02bcєв")
    PersonFactory(full_name="Νίκος Παπαδόπουλος")
    PersonFactory(full_name="Nenad Simić")
    expected = {"Νίκος Παπαδόπουλος"} if q == "Παπαδόπουλος" else {"Олесь Григор\u02bcєв"}
    assert found("/api/v1/people/", q) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "factory", "field"),
    [
        ("/api/v1/institutions/", InstitutionFactory, "name"),
        ("/api/v1/events/", EventFactory, "title"),
        ("/api/v1/topics/", TopicFactory, "name"),
        ("/api/v1/programmes/", ProgrammeFactory, "name"),
        ("/api/v1/documents/", DocumentFactory, "title"),
    ],
)
def test_names_and_titles_are_found_in_either_script(path, factory, field):
    factory(**{field: "Министарство унутрашњих послова"})
    factory(**{field: "Ministarstvo pravde"})
    factory(**{field: "Ministry of Justice"})
    assert found(path, "ministarstvo") == {"Министарство унутрашњих послова", "Ministarstvo pravde"}
    assert found(path, "УНУТРАШЊИХ") == {"Министарство унутрашњих послова"}
    assert found(path, "министарство правде") == {"Ministarstvo pravde"}


def statements_found(q: str) -> set[str]:
    response = APIClient().get("/api/v1/statements/", {"q": q})
    assert response.status_code == 200, response.content
    return {row["text"] for row in response.json()["results"]}


@pytest.mark.django_db
def test_statements_are_found_in_either_script_by_text_speaker_event_and_translation():
    StatementFactory(
        text="Министарство унутрашњих послова",
        speaker=PersonFactory(full_name="Ненад Симић"),
        event=EventFactory(title="Радионица у Београду"),
    )
    latin = StatementFactory(
        text="Saradnja je ključna.", speaker=PersonFactory(full_name="Đorđe Đorđević")
    )
    StatementTranslationFactory(statement=latin, language="sr-Cyrl", text="Сарадња је кључна.")
    cyrillic_text, latin_text = "Министарство унутрашњих послова", "Saradnja je ključna."

    assert statements_found("ministarstvo") == {cyrillic_text}
    assert statements_found("Simić") == statements_found("simic") == {cyrillic_text}
    assert statements_found("beogradu") == {cyrillic_text}
    assert statements_found("Ђорђевић") == statements_found("Djordjevic") == {latin_text}
    assert statements_found("сарадња") == {latin_text}


@postgresql_only
@pytest.mark.django_db
def test_web_search_syntax_survives_folding():
    PersonFactory(full_name="Ненад Симић")
    PersonFactory(full_name="Goran Simić")
    PersonFactory(full_name="Станислава Танић")
    assert found("/api/v1/people/", '"Ненад Симић"') == {"Ненад Симић"}
    assert found("/api/v1/people/", "Симић -goran") == {"Ненад Симић"}
    assert found("/api/v1/people/", "ненад OR Tanić") == {"Ненад Симић", "Станислава Танић"}
    assert found("/api/v1/people/", 'simic -"Ненад"') == {"Goran Simić"}


def admin_found(admin_client, model, q: str) -> list:
    path = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = admin_client.get(path, {"q": q})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.mark.django_db
def test_the_admin_finds_people_in_either_script(admin_client):
    cyrillic = PersonFactory(full_name="Ненад Симић")
    latin = PersonFactory(full_name="Đorđe Đorđević")
    assert admin_found(admin_client, Person, "simic") == [cyrillic]
    assert admin_found(admin_client, Person, "Сим") == [cyrillic]
    assert admin_found(admin_client, Person, "Ђорђ") == [latin]
    assert admin_found(admin_client, Person, "djordjev") == [latin]


@pytest.mark.django_db
def test_the_admin_finds_statements_in_either_script(admin_client):
    cyrillic = StatementFactory(text="Министарство унутрашњих послова")
    latin = StatementFactory(
        text="Saradnja je ključna.", speaker=PersonFactory(full_name="Nenad Simić")
    )
    assert admin_found(admin_client, Statement, "ministarstvo unutr") == [cyrillic]
    assert admin_found(admin_client, Statement, "Сарадња") == [latin]
    assert admin_found(admin_client, Statement, "Симић") == [latin]
