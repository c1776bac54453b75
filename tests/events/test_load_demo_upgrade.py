"""`load_demo` on a database an earlier version loaded: the source's words, no duplicates.

Two earlier versions, frozen: tests/events/previous_demo.py (d91c004) stored English
names for the institutions, programmes and positions and the corrected conference
title; tests/events/previous_demo_2.py (e541f58) had the programmes, positions and
title in the source's French but the institutions still under English names, with the
article's French as other names. Loading this version over either keeps every id and
slug (partners' URLs), rewrites only what still holds the earlier version's value,
adds the other names and translations, and says so in the history; an editor's later
corrections are kept.
"""

import pytest

from changes.models import Change
from events import demo
from events.models import (
    Document,
    Event,
    EventOtherName,
    Programme,
    ProgrammeOtherName,
    Statement,
    Topic,
    TopicTranslation,
)
from people.models import Institution, InstitutionOtherName, Person, Position, PositionOtherName
from tests.events import previous_demo, previous_demo_2
from tests.events.test_load_demo import MODELS, snapshot

pytestmark = pytest.mark.django_db

OWNERS = [Institution, Person, Position, Event, Statement, Topic, Programme]


def ids() -> dict[str, list]:
    return {model.__name__: sorted(model.objects.values_list("pk", flat=True)) for model in OWNERS}


def slugs() -> dict[str, list]:
    return {
        model.__name__: sorted(model.objects.values_list("slug", flat=True))
        for model in (Institution, Person, Event, Topic, Programme)
    }


VERSIONS = {"d91c004": previous_demo, "e541f58": previous_demo_2}


@pytest.fixture(params=list(VERSIONS))
def previous(request, db):
    """A database loaded by one of the earlier versions: (ids, slugs, version)."""
    VERSIONS[request.param].load_demo()
    # The earlier versions' data: institutions under English names.
    assert Institution.objects.get(slug="council-of-europe").name == "Council of Europe"
    return ids(), slugs(), request.param


@pytest.fixture
def first_version(db):
    previous_demo.load_demo()
    assert Event.objects.get().title == demo.EVENT_CORRECTED_TITLE  # the first version's data


def test_upgrade_keeps_every_id_and_slug_and_adds_no_duplicate(previous, client):
    before_ids, before_slugs, _ = previous
    demo.load_demo()
    assert ids() == before_ids
    assert slugs() == before_slugs
    assert {model.__name__: model.objects.count() for model in MODELS} == {
        "Institution": 9,
        "InstitutionOtherName": 17,
        "InstitutionIdentifier": 2,
        "Person": 4,
        "PersonOtherName": 3,
        "Position": 4,
        "PositionOtherName": 4,
        "Event": 1,
        "EventOtherName": 2,
        "Statement": 4,
        "StatementTranslation": 0,
        "Topic": 8,
        "TopicTranslation": 48,
        "Programme": 4,
        "ProgrammeOtherName": 4,
        "Document": 3,
    }
    event = Event.objects.get()
    body = client.get(f"/api/v1/events/{event.pk}/").json()
    assert body["title"] == demo.EVENT_TITLE
    assert {p["name"] for p in body["programmes"]} == {p.name for p in demo.PROGRAMMES.values()}
    simic = Statement.objects.get(speaker__slug="nenad-simic")
    statement = client.get(f"/api/v1/statements/{simic.pk}/")
    assert statement.json()["speaker_position"] == (
        "coordinateur national pour la lutte contre la traite des êtres humains"
    )
    assert statement.json()["event"]["title"] == demo.EVENT_TITLE
    assert statement.json()["institution"]["name"] == (
        "ministère de l'Intérieur de la République de Serbie"
    )
    ministry = client.get(f"/api/v1/institutions/{simic.institution_id}/").json()
    assert [(o["language"], o["name"]) for o in ministry["other_names"]] == [
        ("en", "Ministry of Interior of the Republic of Serbia"),
        ("sr-Cyrl", "Министарство унутрашњих послова Републике Србије"),
        ("sr-Latn", "Ministarstvo unutrašnjih poslova Republike Srbije"),
    ]


def test_upgraded_record_is_the_fresh_one(previous):
    """What the upgrade leaves is what a first load of this version gives (ids aside)."""

    def content():
        return {
            "institutions": sorted(Institution.objects.values_list("slug", "name", "short_name")),
            "programmes": sorted(Programme.objects.values_list("slug", "name", "description")),
            "positions": sorted(Position.objects.values_list("person__slug", "title")),
            "event": list(Event.objects.values_list("slug", "title")),
            "other names": sorted(
                (type(o).__name__, o.name, o.language, o.note)
                for model in (
                    EventOtherName,
                    ProgrammeOtherName,
                    PositionOtherName,
                    InstitutionOtherName,
                )
                for o in model.objects.all()
            ),
            "translations": sorted(
                TopicTranslation.objects.values_list("topic__slug", "language", "name")
            ),
        }

    demo.load_demo()
    upgraded = content()
    # Empty the record, and forget the history of the other names and translations
    # (which would keep them from being added again), then load this version afresh.
    for model in (Statement, Event, Position, Person):
        model.objects.all().delete()
    Programme.objects.filter(parent__isnull=False).delete()
    Programme.objects.all().delete()
    Document.objects.all().delete()
    Institution.objects.filter(parent__isnull=False).delete()
    Institution.objects.all().delete()
    Topic.objects.all().delete()
    for model in MODELS:
        if model.__name__.endswith(("OtherName", "Translation")):
            model.history.all().delete()
    demo.load_demo()
    assert content() == upgraded


def test_upgrade_is_one_recorded_write_per_entry_with_its_reason(first_version):
    versions = dict(Programme.objects.values_list("slug", "version"))
    last_seq = Change.objects.order_by("-seq").values_list("seq", flat=True).first()
    demo.load_demo()
    assert dict(Programme.objects.values_list("slug", "version")) == {
        slug: version + 1 for slug, version in versions.items()
    }
    facility = Programme.objects.get(parent=None)
    latest = facility.history.first()
    assert latest.history_change_reason == demo.UPGRADE_REASON
    assert latest.history_change_reason.startswith("load_demo: source wording")
    assert latest.prev_record.name == (
        "Horizontal Facility for the Western Balkans and Turkey, phase III"
    )
    changed = set(Change.objects.filter(seq__gt=last_seq).values_list("resource", flat=True))
    assert {"programmes", "positions", "events", "people", "institutions", "topics"} <= changed


def test_upgrade_then_load_again_changes_nothing(previous):
    demo.load_demo()
    first = snapshot()
    result = demo.load_demo()
    assert snapshot() == first
    assert (result.created, result.upgraded) == (0, 0)


def test_an_editor_s_corrections_are_kept(previous):
    facility = Programme.objects.get(parent=None)
    facility.name = "Horizontal Facility for the Western Balkans and Türkiye (phase III)"
    facility.save()
    position = Position.objects.get(person__slug="nenad-simic")
    position.title = "Head of the National Coordination Office"
    position.save()
    demo.load_demo()
    assert Programme.objects.get(parent=None).name == facility.name
    # The position is the one of his statement, retitled by the editor: no second one.
    assert list(Position.objects.filter(person__slug="nenad-simic").values_list("title")) == [
        ("Head of the National Coordination Office",)
    ]
    assert Position.objects.count() == 4
    # Others are upgraded.
    assert Programme.objects.get(slug="strengthening-the-fight-against-thb-in-bih").name == (
        "Renforcer la lutte contre la traite en Bosnie-Herzégovine"
    )


def test_other_names_deleted_by_an_editor_are_not_put_back():
    demo.load_demo()
    simic = Person.objects.get(slug="nenad-simic")
    simic.other_names.get().delete()
    TopicTranslation.objects.filter(language="sq").delete()
    result = demo.load_demo()
    assert not simic.other_names.exists()
    assert not TopicTranslation.objects.filter(language="sq").exists()
    assert result.created == 0


def test_the_command_says_what_it_upgraded(previous, capsys):
    from django.core.management import call_command

    # d91c004: every topic, institution, programme, person, position and the event;
    # e541f58: the nine institutions (renamed), the programmes, people and positions
    # (given the article as their source, as the institutions are).
    upgraded = {"d91c004": 30, "e541f58": 21}[previous[2]]
    call_command("load_demo")
    assert f"{upgraded} brought to the source's wording." in capsys.readouterr().out
    call_command("load_demo")
    assert capsys.readouterr().out.strip().endswith("0 created, 117 already present.")


@pytest.fixture
def second_version(db):
    previous_demo_2.load_demo()
    assert Institution.objects.get(slug="greta").name.startswith("Group of Experts")


def test_institutions_take_the_source_names_in_one_recorded_write_each(second_version, client):
    versions = dict(Institution.objects.values_list("slug", "version"))
    last_seq = Change.objects.order_by("-seq").values_list("seq", flat=True).first()
    demo.load_demo()
    assert dict(Institution.objects.values_list("slug", "version")) == {
        slug: version + 1 for slug, version in versions.items()
    }
    office = Institution.objects.get(slug="council-of-europe-office-in-sarajevo")
    latest = office.history.first()
    assert latest.history_change_reason == demo.UPGRADE_REASON
    assert latest.prev_record.name == "Council of Europe Office in Sarajevo"
    assert latest.name == "bureau du Conseil de l'Europe à Sarajevo"
    # The French other name that is now the name was deleted, on the record.
    deleted = InstitutionOtherName.history.filter(history_type="-")
    assert sorted(deleted.values_list("name", "history_change_reason")) == sorted(
        (name, demo.UPGRADE_REASON)
        for name, _ in demo.PREVIOUS["institution_french_other_names"].values()
    )
    body = client.get(f"/api/v1/institutions/{office.pk}/").json()
    assert body["name"] == "bureau du Conseil de l'Europe à Sarajevo"
    assert body["other_names"] == [
        {
            "name": "Council of Europe Office in Sarajevo",
            "language": "en",
            "note": "Official English name; not in the source",
        }
    ]
    changed = set(Change.objects.filter(seq__gt=last_seq).values_list("resource", flat=True))
    # The renamed institutions, what shows their names (briefs), and the entries given
    # the article as their source (people among them); nothing else.
    assert "institutions" in changed
    assert not changed & {"topics"}


def test_an_editor_s_institution_names_are_kept(second_version):
    ministry = Institution.objects.get(slug="ministry-of-interior-of-north-macedonia")
    ministry.name = "Ministry of Internal Affairs of North Macedonia"
    ministry.save()
    unit = Institution.objects.get(slug="unit-for-combating-thb-north-macedonia")
    french = unit.other_names.get(language="fr")
    french.note = "The source's words"
    french.save()
    demo.load_demo()
    ministry.refresh_from_db()
    assert ministry.name == "Ministry of Internal Affairs of North Macedonia"
    # Its French other name is not its name: it stays, and the English one is added.
    assert sorted(ministry.other_names.values_list("language", "name")) == [
        ("en", "Ministry of Interior of North Macedonia"),
        ("fr", "ministère de l'intérieur de la Macédoine du Nord"),
        ("mk", "Министерство за внатрешни работи"),
    ]
    # An other name an editor touched is theirs, even where it repeats the name.
    unit.refresh_from_db()
    assert unit.name == "unité de lutte contre la traite des êtres humains"
    assert unit.other_names.filter(language="fr", note="The source's words").exists()
