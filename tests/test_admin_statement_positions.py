"""Who spoke as what, as an editor sees it in the admin: the statement page refuses a
position of another person, or one not held on the statement's date, with an error on
its `position` field; an empty position is filled in as the API fills it in; and the
position picker (on the statement page and on an event's statement rows) offers the
speaker's positions only, current ones first, labelled so they can be told apart."""

import datetime

import pytest
from django.urls import reverse

from events.models import Statement
from tests.factories import (
    EventFactory,
    InstitutionFactory,
    PersonFactory,
    PositionFactory,
    StatementFactory,
)
from tests.test_admin_import import actions, confirm, csv_file, problems, upload
from tests.test_audit import change_url, form_data, posted

pytestmark = pytest.mark.django_db

D = datetime.date
ADD = reverse("admin:events_statement_add")
POSITIONS = reverse("admin:events_event_speaker_positions")


@pytest.fixture
def speaker():
    return PersonFactory(full_name="Stanislava Tanić")


@pytest.fixture
def coordinator(speaker):
    return PositionFactory(
        person=speaker,
        title="National Coordinator",
        institution=InstitutionFactory(name="Ministry of Interior", country_id="ME"),
        start_date=D(2019, 1, 1),
        end_date=D(2022, 12, 31),
    )


@pytest.fixture
def statement(speaker, coordinator):
    return StatementFactory(speaker=speaker, position=coordinator, date=D(2020, 5, 17))


def add_form_data(client) -> dict:
    """The add page's fields as the browser posts them back, nothing filled in yet."""
    response = client.get(ADD)
    form = response.context["adminform"].form
    data = {name: posted(form[name].value()) for name in form.fields if form[name].value()}
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management[name].value())
    return data


def position_errors(response) -> list[str]:
    assert response.status_code == 200  # the page again, not a redirect
    return response.context["adminform"].form.errors.get("position", [])


def test_a_position_not_held_on_the_date_is_an_error_on_the_position_field(admin_client, statement):
    data = form_data(admin_client, statement) | {"date": "2024-03-01"}

    response = admin_client.post(change_url(statement), data)

    assert position_errors(response) == [
        "This position was not held on 2024-03-01, the statement's date (National "
        "Coordinator, Ministry of Interior (2019-01-01 to 2022-12-31))."
    ]
    statement.refresh_from_db()
    assert statement.date == D(2020, 5, 17)


def test_a_new_speaker_with_the_old_speaker_position_is_an_error_on_the_position_field(
    admin_client, statement
):
    data = form_data(admin_client, statement) | {"speaker": str(PersonFactory().pk)}

    response = admin_client.post(change_url(statement), data)

    assert position_errors(response) == ["This position is held by another person."]


def test_a_new_statement_without_a_position_gets_the_one_held_on_its_event_date(
    admin_client, speaker, coordinator
):
    event = EventFactory(start_date=D(2021, 6, 1))
    data = add_form_data(admin_client) | {
        "text": "Words said.",
        "language": "en",
        "speaker": str(speaker.pk),
        "event": str(event.pk),
        "status": "draft",
    }

    response = admin_client.post(ADD, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    statement = Statement.objects.get()
    assert (statement.date, statement.position) == (D(2021, 6, 1), coordinator)
    assert statement.institution == coordinator.institution
    assert list(statement.countries.values_list("code", flat=True)) == ["ME"]


# The position picker --------------------------------------------------------------------


def offered(client, speaker, **params) -> list[str]:
    body = client.get(POSITIONS, {"speaker": speaker.pk, **params}).json()
    return [result["text"] for result in body["results"]]


def test_the_picker_offers_current_positions_first_then_the_newest(admin_client, speaker):
    ministry = InstitutionFactory(name="Ministry of Justice")
    today = datetime.date.today()
    for title, start, end in [
        ("Adviser", D(2010, 1, 1), D(2012, 12, 31)),
        ("Deputy", D(2015, 1, 1), None),
        ("Member", None, None),
        ("Secretary", D(2018, 1, 1), D(2019, 12, 31)),
        ("Minister", D(2021, 1, 1), None),
        ("Envoy", None, today - datetime.timedelta(days=1)),
        ("Judge", today + datetime.timedelta(days=1), None),
    ]:
        PositionFactory(
            person=speaker, title=title, institution=ministry, start_date=start, end_date=end
        )
    PositionFactory(title="Someone else's")

    assert offered(admin_client, speaker) == [
        "Minister, Ministry of Justice (since 2021-01-01)",
        "Deputy, Ministry of Justice (since 2015-01-01)",
        "Member, Ministry of Justice (dates unknown)",
        f"Judge, Ministry of Justice (since {today + datetime.timedelta(days=1)})",
        "Secretary, Ministry of Justice (2018-01-01 to 2019-12-31)",
        "Adviser, Ministry of Justice (2010-01-01 to 2012-12-31)",
        f"Envoy, Ministry of Justice (until {today - datetime.timedelta(days=1)})",
    ]
    assert offered(admin_client, speaker, term="secr") == [
        "Secretary, Ministry of Justice (2018-01-01 to 2019-12-31)"
    ]


def test_the_statement_page_searches_the_position_among_the_speaker_ones(admin_client, statement):
    page = admin_client.get(change_url(statement))
    widget = page.context["adminform"].form.fields["position"].widget.widget

    html = page.content.decode()
    assert 'class="speaker-position' in html
    assert f'data-ajax--url="{POSITIONS}"' in html
    assert "events/speaker_positions.js" in html
    assert widget.get_url() == POSITIONS
    # The chosen position is labelled as the picker labels it.
    assert (
        f'<option value="{statement.position_id}" selected>National Coordinator, '
        "Ministry of Interior (2019-01-01 to 2022-12-31)</option>"
    ) in html


def test_the_add_page_asks_for_the_speaker_before_offering_positions(admin_client):
    assert 'class="speaker-position' in admin_client.get(ADD).content.decode()
    assert admin_client.get(POSITIONS, {"speaker": ""}).json()["results"] == [
        {"id": "no-speaker", "text": "Choose the speaker first.", "disabled": True}
    ]


def test_an_event_row_labels_its_position_as_the_picker_does(admin_client, statement):
    event = EventFactory(start_date=D(2020, 5, 17))
    statement.event = event
    statement.save()

    html = admin_client.get(change_url(event)).content.decode()

    assert (
        f'<option value="{statement.position_id}" selected>National Coordinator, '
        "Ministry of Interior (2019-01-01 to 2022-12-31)</option>"
    ) in html


# The bulk import -------------------------------------------------------------------------


def test_the_import_refuses_a_position_not_held_then_and_fills_in_an_empty_one(
    admin_client, speaker, coordinator
):
    content = csv_file(
        "text,language,speaker_id,position_id,date",
        f"Not held then.,en,{speaker.pk},{coordinator.pk},2024-03-01",
        f"Held then.,en,{speaker.pk},,2020-05-17",
    )

    preview = upload(admin_client, Statement, "statements.csv", content)

    assert actions(preview) == ["Refused", "New"]
    assert problems(preview)[2] == [
        (
            "position_id",
            "This position was not held on 2024-03-01, the statement's date (National "
            "Coordinator, Ministry of Interior (2019-01-01 to 2022-12-31)).",
        )
    ]
    content = csv_file("text,language,speaker_id,date", f"Held then.,en,{speaker.pk},2020-05-17")
    confirm(admin_client, Statement, upload(admin_client, Statement, "statements.csv", content))
    assert Statement.objects.get().position == coordinator
