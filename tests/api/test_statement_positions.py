"""Who spoke as what (DOMAIN.md, "Trust of the record"), as an API client sees it: a
statement without a position gets the one its speaker held on its date, when exactly one
was held; a position of another person, or not held on the statement's date, is refused
with a 400 naming `position`, on a POST and on a PATCH, and nothing is written."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from events.generate import generate
from events.models import Statement
from people.models import Position
from tests.api.helpers import API
from tests.factories import (
    EventFactory,
    InstitutionFactory,
    PersonFactory,
    PositionFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


def body(speaker, **changes) -> dict:
    return {
        "text": "Technology can also be part of the solution.",
        "language": "en",
        "speaker": speaker.pk,
        **changes,
    }


def post(writer, speaker, **changes):
    return writer.post(f"{API}statements/", body(speaker, **changes), format="json")


def position_id(response) -> int | None:
    position = response.json()["position"]
    return position["id"] if position else None


@pytest.fixture
def speaker():
    return PersonFactory(full_name="Stanislava Tanić")


@pytest.fixture
def coordinator(speaker) -> Position:
    """Held from 2019 to the end of 2022, at a ministry in Montenegro."""
    return PositionFactory(
        person=speaker,
        title="National Coordinator",
        institution=InstitutionFactory(name="Ministry of Interior", country_id="ME"),
        start_date=D(2019, 1, 1),
        end_date=D(2022, 12, 31),
    )


@pytest.fixture
def minister(speaker) -> Position:
    """Held since 2023, still held (unknown end), at a ministry in Serbia."""
    return PositionFactory(
        person=speaker,
        title="Minister of Justice",
        institution=InstitutionFactory(name="Ministry of Justice", country_id="RS"),
        start_date=D(2023, 1, 1),
    )


# Derived -------------------------------------------------------------------------------


def test_the_only_position_held_on_the_date_is_filled_in_with_its_institution_and_country(
    writer, coordinator, minister
):
    response = post(writer, coordinator.person, date="2020-05-17")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["position"]["id"] == coordinator.pk
    assert data["speaker_position"] == "National Coordinator"
    assert data["institution"]["id"] == coordinator.institution_id
    assert data["countries"] == ["ME"]


def test_the_date_defaults_from_the_event_and_so_does_the_position(writer, coordinator, minister):
    event = EventFactory(start_date=D(2024, 3, 1))

    response = post(writer, minister.person, event=event.pk)

    assert response.status_code == 201, response.content
    assert response.json()["date"] == "2024-03-01"
    assert position_id(response) == minister.pk
    assert response.json()["countries"] == ["RS"]


@pytest.mark.parametrize("day", ["2019-01-01", "2022-12-31"])
def test_the_first_and_last_days_of_a_position_are_days_it_was_held(writer, coordinator, day):
    assert position_id(post(writer, coordinator.person, date=day)) == coordinator.pk


def test_unknown_dates_exclude_no_day(writer, speaker):
    undated = PositionFactory(person=speaker, title="Adviser")

    assert position_id(post(writer, speaker, date="1999-01-01")) == undated.pk


def test_no_position_when_two_were_held_on_the_date(writer, coordinator, speaker):
    PositionFactory(person=speaker, title="Adviser")  # dates unknown: held in 2020 too

    response = post(writer, speaker, date="2020-05-17")

    assert response.status_code == 201, response.content
    assert (response.json()["position"], response.json()["institution"]) == (None, None)


def test_no_position_when_none_was_held_on_the_date(writer, coordinator, minister):
    response = post(writer, coordinator.person, date="2018-12-31")

    assert response.status_code == 201, response.content
    assert response.json()["position"] is None
    assert response.json()["countries"] == []


def test_no_position_without_a_date(writer, coordinator):
    response = post(writer, coordinator.person)

    assert response.status_code == 201, response.content
    assert response.json()["position"] is None


def test_with_an_institution_given_only_positions_there_count(writer, coordinator, speaker):
    elsewhere = InstitutionFactory(country_id="BA")
    PositionFactory(person=speaker, institution=elsewhere, title="Adviser")

    here = post(writer, speaker, date="2020-05-17", institution=coordinator.institution_id)
    there = post(writer, speaker, date="2020-05-17", institution=elsewhere.pk)
    nowhere = post(writer, speaker, date="2020-05-17", institution=InstitutionFactory().pk)

    assert position_id(here) == coordinator.pk
    assert position_id(there) != coordinator.pk and there.json()["position"] is not None
    assert nowhere.json()["position"] is None


def test_a_position_given_is_kept(writer, coordinator, speaker):
    adviser = PositionFactory(person=speaker, title="Adviser")

    response = post(writer, speaker, date="2020-05-17", position=adviser.pk)

    assert position_id(response) == adviser.pk


# Refused -------------------------------------------------------------------------------


def refused_on_position(response) -> str:
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert [error["field"] for error in errors] == ["position"], errors
    return errors[0]["message"]


def test_a_position_of_another_person_is_refused(writer, coordinator):
    other = PersonFactory()

    response = post(writer, other, date="2020-05-17", position=coordinator.pk)

    assert refused_on_position(response) == "This position is held by another person."
    assert not Statement.objects.exists()


@pytest.mark.parametrize("day", ["2018-12-31", "2023-01-01"])
def test_a_position_not_held_on_the_date_is_refused(writer, coordinator, day):
    response = post(writer, coordinator.person, date=day, position=coordinator.pk)

    detail = refused_on_position(response)
    assert detail == (
        f"This position was not held on {day}, the statement's date (National Coordinator, "
        "Ministry of Interior (2019-01-01 to 2022-12-31))."
    )
    assert not Statement.objects.exists()


def test_a_position_not_held_on_the_event_start_date_is_refused(writer, coordinator):
    event = EventFactory(start_date=D(2024, 3, 1))

    response = post(writer, coordinator.person, event=event.pk, position=coordinator.pk)

    assert "was not held on 2024-03-01" in refused_on_position(response)


def test_without_a_date_any_position_of_the_speaker_is_accepted(writer, coordinator):
    undated_event = EventFactory(start_date=None)

    alone = post(writer, coordinator.person, position=coordinator.pk)
    at_event = post(writer, coordinator.person, event=undated_event.pk, position=coordinator.pk)

    assert (alone.status_code, at_event.status_code) == (201, 201)
    assert position_id(alone) == position_id(at_event) == coordinator.pk


# PATCH ---------------------------------------------------------------------------------


def patch(writer, statement, **changes):
    return writer.patch(f"{API}statements/{statement.pk}/", changes, format="json")


@pytest.fixture
def statement(coordinator):
    """Said in 2020 by the coordinator, with no position yet (written before the rule)."""
    return StatementFactory(speaker=coordinator.person, date=D(2020, 5, 17))


def test_a_patch_of_the_position_alone_is_checked_against_the_stored_speaker_and_date(
    writer, statement, coordinator, minister
):
    other = PositionFactory(start_date=D(2020, 1, 1))

    another_person = patch(writer, statement, position=other.pk)
    not_then = patch(writer, statement, position=minister.pk)
    held_then = patch(writer, statement, position=coordinator.pk)

    assert refused_on_position(another_person) == "This position is held by another person."
    assert "was not held on 2020-05-17" in refused_on_position(not_then)
    assert held_then.status_code == 200, held_then.content
    assert position_id(held_then) == coordinator.pk


def test_a_patch_of_the_date_alone_that_the_kept_position_excludes_is_refused(
    writer, statement, coordinator, minister
):
    assert position_id(patch(writer, statement, position=coordinator.pk)) == coordinator.pk
    version = Statement.objects.get().version

    moved = patch(writer, statement, date="2024-03-01")
    # The institution, stored from the old position, would restrict the new one to it.
    emptied = patch(writer, statement, date="2024-03-01", position=None, institution=None)

    assert "was not held on 2024-03-01" in refused_on_position(moved)
    assert emptied.status_code == 200, emptied.content
    assert position_id(emptied) == minister.pk  # derived again for the new date
    assert emptied.json()["institution"]["id"] == minister.institution_id
    assert Statement.objects.get().version == version + 1  # the refused PATCH wrote nothing


def test_a_patch_of_the_speaker_alone_keeping_the_old_speaker_position_is_refused(
    writer, statement, coordinator
):
    patch(writer, statement, position=coordinator.pk)
    other = PersonFactory()

    response = patch(writer, statement, speaker=other.pk)

    assert refused_on_position(response) == "This position is held by another person."
    assert Statement.objects.get().speaker == coordinator.person


def test_a_patch_emptying_the_position_lets_its_institution_go_with_it(
    writer, statement, coordinator, minister
):
    assert position_id(patch(writer, statement, position=coordinator.pk)) == coordinator.pk

    moved = patch(writer, statement, date="2024-03-01", position=None)

    assert moved.status_code == 200, moved.content
    assert position_id(moved) == minister.pk
    assert moved.json()["institution"]["id"] == minister.institution_id


def test_a_patch_of_the_speaker_derives_the_new_speaker_position_and_institution(
    writer, statement, coordinator
):
    assert position_id(patch(writer, statement, position=coordinator.pk)) == coordinator.pk
    other = PositionFactory(start_date=D(2020, 1, 1), institution__country_id="BA")

    response = patch(writer, statement, speaker=other.person.pk, position=None)

    assert response.status_code == 200, response.content
    assert position_id(response) == other.pk
    assert response.json()["institution"]["id"] == other.institution_id


def test_an_institution_given_without_a_position_stays(writer, statement, coordinator):
    chosen = InstitutionFactory(name="Ministry of Interior, Podgorica office")
    patch(writer, statement, position=None, institution=chosen.pk)

    response = patch(writer, statement, position=None)

    assert response.status_code == 200, response.content
    assert response.json()["institution"]["id"] == chosen.pk
    assert position_id(response) is None  # the coordinator's post was not at that institution


def test_a_patch_without_a_position_fills_it_in(writer, statement, coordinator):
    response = patch(writer, statement, text="Technology is part of the solution.")

    assert response.status_code == 200, response.content
    assert position_id(response) == coordinator.pk
    assert response.json()["institution"]["id"] == coordinator.institution_id


# The demo and the generated record keep the rule -------------------------------------


def refusals_of_stored_statements() -> list[str]:
    """The refusals `Statement.clean` would give the stored statements: none expected."""
    refusals = []
    for statement in Statement.objects.select_related("position", "event"):
        try:
            statement.clean()
        except ValidationError as error:
            refusals.append(f"{statement.pk}: {error}")
    return refusals


def test_the_demo_statements_keep_the_rule(demo):
    assert Statement.objects.filter(position__isnull=False).count() == 4
    assert refusals_of_stored_statements() == []


def test_the_generated_statements_keep_the_rule():
    generate(statements=300, seed=3)
    assert not Statement.objects.filter(position__isnull=True).exists()
    assert refusals_of_stored_statements() == []
