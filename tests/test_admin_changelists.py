"""What an editor reads in the changelists: the columns, the filters, the autocomplete order,
and a page whose query count does not grow with its rows."""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

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

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def rows(admin_client, model, **params) -> list[str]:
    """Each row of the changelist as the text of its cells."""
    response = admin_client.get(changelist(model), params)
    assert response.status_code == 200
    body = response.content.decode()
    table = body[body.index('id="result_list"') :]
    return [
        " | ".join(text(cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)[1:])
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
    ]


def text(cell: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()


def headers(admin_client, model) -> list[str]:
    body = admin_client.get(changelist(model)).content.decode()
    return re.findall(r'<th scope="col" class="[^"]*column-(\w+)', body)


def test_statements_show_an_excerpt_and_short_columns(admin_client, demo):
    assert headers(admin_client, Statement) == [
        "text_excerpt",
        "speaker",
        "event_title",
        "date",
        "language",
        "country_list",
        "status",
    ]
    statement = StatementFactory(
        text="Word " * 100, event=EventFactory(title="A very long event title " * 5)
    )
    statement.countries.set(["BA", "RS"])
    statement.date = datetime.date(2024, 5, 13)
    statement.save()
    body = admin_client.get(changelist(Statement)).content.decode()
    full, shown = re.search(r'<span title="(Word [^"]+)">([^<]+)</span>', body).groups()
    assert full == statement.text
    assert len(shown) <= 120 and shown.endswith("Word…")
    assert '<span title="Bosnia and Herzegovina, Serbia">BA, RS</span>' in body
    assert f'<span title="{statement.event.title}">' in body
    first = rows(admin_client, Statement)[0]
    assert first.endswith("May 13, 2024 | en | BA, RS | Published")


def test_people_show_their_current_position_institution_and_country(admin_client, db):
    person = PersonFactory(full_name="Jelena Petrović")
    serbia = InstitutionFactory(name="Ministry of Interior", country_id="RS")
    bosnia = InstitutionFactory(name="Ministry of Security", short_name="MoS", country_id="BA")
    PositionFactory(person=person, institution=serbia, title="Minister", end_date=TODAY - DAY)
    PositionFactory(
        person=person, institution=serbia, title="Adviser", start_date=TODAY - 300 * DAY
    )
    PositionFactory(
        person=person, institution=bosnia, title="Coordinator", start_date=TODAY - 10 * DAY
    )
    PositionFactory(
        person=PersonFactory(full_name="Ana Zec"), institution=serbia, end_date=TODAY, title="Head"
    )
    PersonFactory(full_name="Ivo Andrić")

    assert headers(admin_client, Person) == [
        "full_name",
        "current_position",
        "current_institution",
        "current_country",
        "statement_count",
    ]
    assert rows(admin_client, Person) == [
        "Ivo Andrić | - | - | - | 0",
        "Jelena Petrović | Coordinator | MoS | Bosnia and Herzegovina | 0",
        "Ana Zec | Head | Ministry of Interior | Serbia | 0",
    ]


def test_people_filter_by_country_institution_and_statements(admin_client, db):
    quoted = StatementFactory(speaker=PersonFactory(full_name="Nenad Simić")).speaker
    serbia = InstitutionFactory(name="Ministry of Interior", country_id="RS")
    PositionFactory(person=quoted, institution=serbia)
    silent = PersonFactory(full_name="Biljana Lalova")
    PositionFactory(person=silent, institution=InstitutionFactory(country_id="MK"))
    PositionFactory(person=silent, institution=InstitutionFactory(country_id="MK"))

    def names(**params):
        return [row.split(" | ")[0] for row in rows(admin_client, Person, **params)]

    assert names(has_statements="yes") == ["Nenad Simić"]
    assert names(has_statements="no") == ["Biljana Lalova"]
    assert names(positions__institution__country__code__exact="MK") == ["Biljana Lalova"]
    assert names(positions__institution__id__exact=serbia.pk) == ["Nenad Simić"]
    body = admin_client.get(changelist(Person)).content.decode()
    assert "By statements" in body and "Has statements" in body


def test_statement_counts_do_not_multiply_under_a_filter_or_search(admin_client, db):
    """A person with two positions in one country, an event in two countries: filtering
    or searching across those relations joins each row twice, and the count must not."""
    speaker = PersonFactory(full_name="Stanislava Tanić")
    for title in ("Adviser", "Senior adviser"):
        PositionFactory(
            person=speaker, title=title, institution=InstitutionFactory(country_id="BA")
        )
    event = EventFactory()
    for _ in range(3):
        StatementFactory(speaker=speaker, event=event)
    event.countries.set(["BA", "RS"])

    def counts(model, **params):
        return [row.split(" | ")[-1] for row in rows(admin_client, model, **params)]

    assert counts(Person) == ["3"]
    assert counts(Person, positions__institution__country__code__exact="BA") == ["3"]
    assert counts(Person, q="adviser") == ["3"]
    assert counts(Event, countries__code__exact="BA") == ["3"]


def test_events_show_dates_place_and_statement_count(admin_client, demo):
    assert headers(admin_client, Event) == [
        "short_title",
        "kind",
        "start_date",
        "end_date",
        "city",
        "country_name",
        "status",
        "statement_count",
    ]
    event = Event.objects.get()
    count = event.statements.count()
    assert rows(admin_client, Event) == [
        f"{event.title[:69].rstrip()}… | Conference | - | - | Sarajevo | "
        f"Bosnia and Herzegovina | Published | {count}"
    ]


def test_institutions_show_country_kind_and_parent(admin_client, demo):
    assert headers(admin_client, Institution) == [
        "short_title",
        "short_name",
        "kind",
        "country",
        "parent_name",
    ]
    office = "bureau du Conseil de l'Europe"
    row = next(r for r in rows(admin_client, Institution) if r.startswith(office))
    assert row == (
        "bureau du Conseil de l'Europe à Sarajevo | - | Office of an international organisation | "
        "Bosnia and Herzegovina (BA) | CoE"
    )


def statements(count: int) -> None:
    event = EventFactory(country_id="BA")
    event.countries.set(["BA"])
    for _ in range(count):
        statement = StatementFactory(event=event, speaker=PositionFactory().person)
        statement.countries.set(["RS", "MK"])


def people(count: int) -> None:
    for _ in range(count):
        person = PositionFactory(institution=InstitutionFactory(parent=InstitutionFactory())).person
        PositionFactory(person=person)
        StatementFactory(speaker=person)


def events(count: int) -> None:
    for _ in range(count):
        StatementFactory(event=EventFactory(country_id="RS"))


def institutions(count: int) -> None:
    for _ in range(count):
        InstitutionFactory(parent=InstitutionFactory(country_id="BA"))


@pytest.mark.parametrize(
    ("model", "make"),
    [(Statement, statements), (Person, people), (Event, events), (Institution, institutions)],
    ids=["statements", "people", "events", "institutions"],
)
def test_a_changelist_costs_as_many_queries_for_one_row_as_for_many(admin_client, model, make):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(changelist(model)).status_code == 200
        return len(captured)

    make(1)
    admin_client.get(changelist(model))  # the session and the content types are read once
    one = queries()
    make(9)
    assert model.objects.count() >= 10
    assert queries() == one


def autocomplete(admin_client, field_name: str) -> list[str]:
    response = admin_client.get(
        "/admin/autocomplete/",
        {"app_label": "events", "model_name": "statement", "field_name": field_name},
    )
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


def test_speakers_autocomplete_by_sort_name(admin_client, db):
    for name in ("Ana Zec", "Zoran Abramović", "Ivo Andrić"):
        StatementFactory(speaker=PersonFactory(full_name=name))
    PersonFactory(full_name="Mira Babić")
    assert autocomplete(admin_client, "speaker") == [
        "Zoran Abramović",
        "Ivo Andrić",
        "Mira Babić",
        "Ana Zec",
    ]


def test_events_autocomplete_most_recent_first_unknown_dates_last(admin_client, db):
    for title, start in [
        ("Undated", None),
        ("Older", datetime.date(2020, 3, 1)),
        ("Newer", datetime.date(2024, 3, 1)),
    ]:
        StatementFactory(event=EventFactory(title=title, start_date=start))
    assert autocomplete(admin_client, "event") == ["Newer", "Older", "Undated"]


def test_embargoed_filter_on_statements_and_events(admin_client):
    ahead = timezone.now() + datetime.timedelta(days=2)
    past = timezone.now() - datetime.timedelta(days=2)
    embargoed = StatementFactory(text="Embargoed words", publish_at=ahead)
    StatementFactory(text="Public words", publish_at=past)
    StatementFactory(text="Draft words", status="draft", publish_at=ahead)
    embargoed_event = EventFactory(title="Embargoed event", publish_at=ahead)
    EventFactory(title="Public event")
    StatementFactory(text="Said at an embargoed event", event=embargoed_event)

    def texts(model, value):
        return sorted(row.split(" | ")[0] for row in rows(admin_client, model, embargoed=value))

    assert texts(Statement, "yes") == ["Embargoed words", "Said at an embargoed event"]
    assert texts(Statement, "no") == ["Draft words", "Public words"]
    assert texts(Event, "yes") == ["Embargoed event"]
    assert texts(Event, "no") == ["Public event"]
    body = admin_client.get(changelist(Statement)).content.decode()
    assert "By embargoed" in body
    change = reverse("admin:events_statement_change", args=[embargoed.pk])
    assert 'name="publish_at_0"' in admin_client.get(change).content.decode()
    event_add = reverse("admin:events_event_add")
    assert 'name="publish_at_0"' in admin_client.get(event_add).content.decode()
