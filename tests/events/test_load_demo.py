"""`load_demo` turns the founding document into exactly its entities, once."""

import pytest
from django.core.management import call_command

from ctht_api.models import Status
from events.models import Document, Event, Programme, Statement, StatementTranslation, Topic
from people.models import Institution, Person, Position

pytestmark = pytest.mark.django_db

MODELS = [
    Institution,
    Person,
    Position,
    Event,
    Statement,
    StatementTranslation,
    Topic,
    Programme,
    Document,
]


def snapshot():
    return {
        model.__name__: sorted(model.objects.values_list("pk", "updated_at")) for model in MODELS
    }


def test_load_demo_twice_changes_nothing(capsys):
    call_command("load_demo")
    first = snapshot()
    call_command("load_demo")
    assert snapshot() == first
    assert "0 created" in capsys.readouterr().out


def test_demo_has_the_four_quoted_statements_in_french(demo):
    statements = Statement.objects.select_related("speaker", "position__institution")
    assert {
        (s.speaker.full_name, s.position.title, s.position.institution.name, s.language, s.status)
        for s in statements
    } == {
        (
            "Bojana Urumova",
            "Head of the Council of Europe Office in Sarajevo",
            "Council of Europe Office in Sarajevo",
            "fr",
            Status.PUBLISHED,
        ),
        (
            "Stanislava Tanić",
            "Head of the Department for Combating Trafficking in Human Beings"
            " and Illegal Migration",
            "Department for Combating Trafficking in Human Beings and Illegal Migration",
            "fr",
            Status.PUBLISHED,
        ),
        (
            "Nenad Simić",
            "National Coordinator for Combating Trafficking in Human Beings",
            "Ministry of Interior of the Republic of Serbia",
            "fr",
            Status.PUBLISHED,
        ),
        (
            "Biljana Lalova",
            "Head of the Unit for Combating Trafficking in Human Beings",
            "Unit for Combating Trafficking in Human Beings",
            "fr",
            Status.PUBLISHED,
        ),
    }


def test_demo_statements_are_verbatim_and_sourced_from_the_article(demo):
    seed_text = "ce crime odieux"
    lalova = Statement.objects.get(speaker__slug="biljana-lalova")
    assert lalova.text.startswith("La prévention des nouvelles formes de traite")
    assert lalova.text.endswith(seed_text)
    assert {s.source.kind for s in Statement.objects.select_related("source")} == {"article"}


def test_demo_countries_are_ba_mk_rs_by_speaker_institution(demo):
    by_speaker = {
        s.speaker.full_name: sorted(c.code for c in s.countries.all())
        for s in Statement.objects.select_related("speaker").prefetch_related("countries")
    }
    assert by_speaker == {
        "Bojana Urumova": ["BA"],
        "Stanislava Tanić": ["BA"],
        "Nenad Simić": ["RS"],
        "Biljana Lalova": ["MK"],
    }
    codes = set(Statement.objects.values_list("countries__code", flat=True))
    assert codes == {"BA", "MK", "RS"}


def test_demo_event_is_the_sarajevo_conference_with_unknown_dates(demo):
    event = Event.objects.get()
    assert (event.kind, event.city, event.country_id, event.status) == (
        "conference",
        "Sarajevo",
        "BA",
        Status.PUBLISHED,
    )
    assert (event.start_date, event.end_date) == (None, None)
    assert (event.participant_count, event.participant_count_is_approximate) == (60, True)
    assert sorted(event.countries.values_list("code", flat=True)) == ["BA", "MK", "RS"]
    assert [i.short_name for i in event.organisers.all()] == ["CoE"]
    assert set(event.documents.values_list("kind", flat=True)) == {"study", "convention"}
    assert "Horizontal Facility for the Western Balkans and Turkey, phase III" in set(
        event.programmes.values_list("name", flat=True)
    )
    assert Statement.objects.filter(date__isnull=False).count() == 0


def test_demo_institutions_have_their_parents(demo):
    parents = dict(
        Institution.objects.filter(parent__isnull=False).values_list("name", "parent__name")
    )
    assert parents == {
        "Council of Europe Office in Sarajevo": "Council of Europe",
        "Group of Experts on Action against Trafficking in Human Beings": "Council of Europe",
        "Department for Combating Trafficking in Human Beings and Illegal Migration": (
            "Ministry of Security of Bosnia and Herzegovina"
        ),
        "Unit for Combating Trafficking in Human Beings": "Ministry of Interior of North Macedonia",
    }
    assert Institution.objects.get(short_name="CoE").country is None


def test_demo_programmes_sit_under_the_horizontal_facility(demo):
    facility = Programme.objects.get(parent__isnull=True)
    assert facility.name == "Horizontal Facility for the Western Balkans and Turkey, phase III"
    assert sorted(facility.funders.values_list("short_name", flat=True)) == ["CoE", "EU"]
    assert facility.children.count() == 3


def test_demo_documents_are_the_study_the_convention_and_the_article(demo):
    assert dict(Document.objects.values_list("kind", "publisher__short_name")) == {
        "study": "GRETA",
        "convention": "CoE",
        "article": None,
    }
    assert Document.objects.get(kind="convention").reference == "ETS No. 185"
