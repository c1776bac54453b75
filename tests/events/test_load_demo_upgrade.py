"""`load_demo` on a database the previous version loaded: the source's words, no duplicates.

The previous version (tests/events/previous_demo.py, frozen) stored English names
for the programmes and positions and the corrected conference title. Loading this
version over it keeps every id and slug (partners' URLs), rewrites only what still
holds the previous version's value, adds the other names and translations, and
says so in the history; an editor's later corrections are kept.
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
from people.models import Institution, Person, Position, PositionOtherName
from tests.events import previous_demo
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


@pytest.fixture
def previous(db):
    previous_demo.load_demo()
    event = Event.objects.get()
    assert event.title == demo.EVENT_CORRECTED_TITLE  # the previous version's data
    return ids(), slugs()


def test_upgrade_keeps_every_id_and_slug_and_adds_no_duplicate(previous, client):
    before_ids, before_slugs = previous
    demo.load_demo()
    assert ids() == before_ids
    assert slugs() == before_slugs
    assert {model.__name__: model.objects.count() for model in MODELS} == {
        "Institution": 9,
        "InstitutionOtherName": 16,
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


def test_upgraded_record_is_the_fresh_one(previous):
    """What the upgrade leaves is what a first load of this version gives (ids aside)."""

    def content():
        return {
            "programmes": sorted(Programme.objects.values_list("slug", "name", "description")),
            "positions": sorted(Position.objects.values_list("person__slug", "title")),
            "event": list(Event.objects.values_list("slug", "title")),
            "other names": sorted(
                (type(o).__name__, o.name, o.language, o.note)
                for model in (EventOtherName, ProgrammeOtherName, PositionOtherName)
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


def test_upgrade_is_one_recorded_write_per_entry_with_its_reason(previous):
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

    call_command("load_demo")
    assert "29 brought to the source's wording." in capsys.readouterr().out
    call_command("load_demo")
    assert capsys.readouterr().out.strip().endswith("0 created, 114 already present.")
