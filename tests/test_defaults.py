"""What the record fills in when an editor leaves a field empty."""

import datetime

import pytest

from tests.factories import (
    EventFactory,
    InstitutionFactory,
    PersonFactory,
    PositionFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db


def codes(statement) -> list[str]:
    return sorted(statement.countries.values_list("code", flat=True))


def test_statement_countries_default_to_the_institutions_country():
    statement = StatementFactory(institution=InstitutionFactory(country_id="BA"))
    assert codes(statement) == ["BA"]


def test_statement_countries_default_to_the_events_countries_without_institution_country():
    event = EventFactory()
    event.countries.set(["MK", "RS"])
    statement = StatementFactory(event=event, institution=InstitutionFactory(country_id=None))
    assert codes(statement) == ["MK", "RS"]


def test_statement_countries_set_by_the_editor_are_kept():
    statement = StatementFactory(institution=InstitutionFactory(country_id="BA"))
    statement.countries.set(["XK"])
    statement.save()
    assert codes(statement) == ["XK"]


def test_statement_without_institution_or_event_has_no_countries():
    assert codes(StatementFactory()) == []


def test_statement_institution_defaults_to_its_positions():
    position = PositionFactory(institution=InstitutionFactory(country_id="RS"))
    statement = StatementFactory(speaker=position.person, position=position)
    assert statement.institution == position.institution
    assert codes(statement) == ["RS"]


def test_statement_date_defaults_to_the_events_start():
    event = EventFactory(start_date=datetime.date(2026, 3, 4))
    assert StatementFactory(event=event).date == datetime.date(2026, 3, 4)


def test_slugs_are_made_from_names_and_unique():
    first = PersonFactory(full_name="Stanislava Tanić")
    second = PersonFactory(full_name="Stanislava Tanić")
    assert (first.slug, second.slug) == ("stanislava-tanic", "stanislava-tanic-2")


def test_sort_name_puts_the_family_name_first():
    assert PersonFactory(full_name="Nenad Simić").sort_name == "Simić, Nenad"
