"""Every invariant is refused twice: by the model (naming the field) and by the database."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, transaction

from events.models import Document, Event, Programme, Statement, StatementTranslation, Topic
from people.models import Country, Institution, Person, Position
from tests.api.conftest import token_client
from tests.factories import (
    EventFactory,
    InstitutionFactory,
    PersonFactory,
    PositionFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

JAN_2 = datetime.date(2026, 1, 2)
JAN_1 = datetime.date(2026, 1, 1)


def build(model, **fields):
    """An unsaved instance with valid defaults for its required relations."""
    defaults = {
        Statement: lambda: {"text": "Words.", "language": "en", "speaker": PersonFactory()},
        StatementTranslation: lambda: {
            "statement": StatementFactory(),
            "language": "fr",
            "text": "Mots.",
        },
        Position: lambda: {
            "person": PersonFactory(),
            "institution": InstitutionFactory(),
            "title": "Head",
        },
        Event: lambda: {"title": "Conference"},
        Programme: lambda: {"name": "Programme"},
        Institution: lambda: {"name": "Ministry"},
        Person: lambda: {"full_name": "Nenad Simić"},
        Topic: lambda: {"name": "Digital evidence"},
        Document: lambda: {"title": "Study"},
    }[model]()
    return model(**{**defaults, **fields})


# Well-formed tags with unregistered subtags ("xx") pass the database's shape
# check; only the model, which reads the IANA registry, can refuse them.
UNREGISTERED_LANGUAGES = [
    pytest.param(Statement, "language", {"language": "xx"}, id="statement-unknown-language"),
    pytest.param(StatementTranslation, "language", {"language": "zz"}, id="translation-language"),
]

BAD_VALUES = [
    pytest.param(Statement, "text", {"text": "   "}, id="statement-blank-text"),
    pytest.param(Statement, "language", {"language": "english"}, id="statement-malformed-language"),
    pytest.param(StatementTranslation, "text", {"text": " \n "}, id="translation-blank-text"),
    pytest.param(StatementTranslation, "language", {"language": "fr-"}, id="translation-language"),
    pytest.param(Document, "language", {"language": "fr_FR!"}, id="document-language"),
    pytest.param(Event, "end_date", {"start_date": JAN_2, "end_date": JAN_1}, id="event-dates"),
    pytest.param(
        Position, "end_date", {"start_date": JAN_2, "end_date": JAN_1}, id="position-dates"
    ),
    pytest.param(
        Programme, "end_date", {"start_date": JAN_2, "end_date": JAN_1}, id="programme-dates"
    ),
    pytest.param(Event, "title", {"title": "  "}, id="event-blank-title"),
    pytest.param(Position, "title", {"title": " "}, id="position-blank-title"),
    pytest.param(Institution, "name", {"name": " "}, id="institution-blank-name"),
    pytest.param(Person, "full_name", {"full_name": "\t"}, id="person-blank-name"),
    pytest.param(Topic, "name", {"name": " "}, id="topic-blank-name"),
    pytest.param(Document, "title", {"title": " "}, id="document-blank-title"),
    pytest.param(Programme, "name", {"name": " "}, id="programme-blank-name"),
]


@pytest.mark.parametrize(("model", "field", "values"), BAD_VALUES + UNREGISTERED_LANGUAGES)
def test_model_validation_names_the_offending_field(model, field, values):
    instance = build(model, **values)
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    assert field in caught.value.message_dict


@pytest.mark.parametrize(("model", "field", "values"), BAD_VALUES)
def test_database_refuses_what_validation_would(model, field, values):
    instance = build(model, **values)
    with pytest.raises(IntegrityError), transaction.atomic():
        instance.save()


@pytest.mark.parametrize("code", ["ZZ", "rs", "SRB", "X"])
def test_country_table_accepts_only_iso_codes(code):
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        Country.objects.create(code=code, name="Nowhere")


def test_country_table_holds_iso_3166_and_kosovo():
    assert Country.objects.count() == 250
    assert Country.objects.get(code="XK").name == "Kosovo*"
    assert Country.objects.get(code="MK").name == "North Macedonia"


def test_unknown_country_is_refused_by_the_model():
    institution = build(Institution, country_id="ZZ")
    with pytest.raises(ValidationError) as caught:
        institution.full_clean()
    assert "country" in caught.value.message_dict


def test_unknown_country_is_refused_by_the_database():
    statement = StatementFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        statement.countries.add("ZZ")
        connection.check_constraints()


def test_unknown_institution_country_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        build(Institution, country_id="ZZ").save()
        connection.check_constraints()


def test_institution_cannot_be_its_own_parent():
    institution = InstitutionFactory()
    institution.parent = institution
    with pytest.raises(ValidationError) as caught:
        institution.full_clean()
    assert "parent" in caught.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        institution.save()


def test_institution_cannot_be_its_own_ancestor():
    grandparent = InstitutionFactory()
    parent = InstitutionFactory(parent=grandparent)
    grandparent.parent = parent
    with pytest.raises(ValidationError) as caught:
        grandparent.full_clean()
    assert "parent" in caught.value.message_dict


def test_translation_in_the_statement_language_is_refused():
    translation = build(StatementTranslation, statement=StatementFactory(language="fr"))
    with pytest.raises(ValidationError) as caught:
        translation.full_clean()
    assert "language" in caught.value.message_dict


def test_second_translation_in_one_language_is_refused():
    statement = StatementFactory()
    build(StatementTranslation, statement=statement).save()
    with pytest.raises(ValidationError):
        build(StatementTranslation, statement=statement).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        build(StatementTranslation, statement=statement).save()


def test_statement_position_must_be_the_speakers():
    statement = build(Statement, position=PositionFactory())
    with pytest.raises(ValidationError) as caught:
        statement.full_clean()
    assert "position" in caught.value.message_dict


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("sr-latn", "sr-Latn"),
        ("FR", "fr"),
        ("en-gb", "en-GB"),
        ("es-419", "es-419"),
        ("sr-cyrl-me", "sr-Cyrl-ME"),
        # Codes are kept, only their case changes: Montenegrin is not Serbian of Montenegro.
        ("CNR", "cnr"),
        ("sh", "sh"),
    ],
)
def test_language_tags_are_stored_in_standard_form(given, stored):
    statement = build(Statement, language=given)
    statement.full_clean()
    assert statement.language == stored


def test_urls_up_to_2000_characters_are_accepted():
    long_url = "https://example.org/" + "a" * 1980
    document = build(Document, url=long_url)
    document.full_clean()
    document.save()
    document.refresh_from_db()
    assert document.url == long_url
    too_long = build(Document, url=long_url + "b")
    with pytest.raises(ValidationError) as caught:
        too_long.full_clean()
    assert "url" in caught.value.message_dict


def test_unknown_dates_are_allowed():
    event = build(Event, start_date=None, end_date=JAN_1)
    event.full_clean()
    event.save()
    assert Event.objects.get(pk=event.pk).start_date is None


def test_event_of_one_day_is_allowed():
    """The model, the database and the API all take an event that ends the day it starts."""
    event = build(Event, start_date=JAN_1, end_date=JAN_1)
    event.full_clean()
    event.save()
    writer = token_client("editor", write=True)

    stored = writer.get(f"/api/v1/events/{event.pk}/")
    created = writer.post(
        "/api/v1/events/",
        {"title": "One-day workshop", "start_date": "2026-01-01", "end_date": "2026-01-01"},
        format="json",
    )

    assert stored.status_code == 200, stored.content
    assert (stored.json()["start_date"], stored.json()["end_date"]) == ("2026-01-01",) * 2
    assert created.status_code == 201, created.content
    again = writer.get(created.json()["url"]).json()
    assert (again["start_date"], again["end_date"]) == ("2026-01-01",) * 2


def test_deleting_a_person_with_statements_is_refused():
    from django.db.models import ProtectedError

    statement = StatementFactory()
    with pytest.raises(ProtectedError):
        statement.speaker.delete()
    assert Statement.objects.filter(pk=statement.pk).exists()


def test_deleting_an_institution_with_statements_is_refused():
    from django.db.models import ProtectedError

    position = PositionFactory()
    statement = StatementFactory(speaker=position.person, position=position)
    with pytest.raises(ProtectedError):
        position.institution.delete()
    assert Statement.objects.filter(pk=statement.pk).exists()


def test_deleting_an_event_with_statements_is_refused():
    from django.db.models import ProtectedError

    statement = StatementFactory(event=EventFactory())
    with pytest.raises(ProtectedError):
        statement.event.delete()


def test_deleting_a_person_without_statements_removes_their_positions():
    position = PositionFactory()
    position.person.delete()
    assert not Position.objects.filter(pk=position.pk).exists()
