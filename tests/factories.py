"""Factories for every model, so a test states only what it is about."""

import factory
from factory.django import DjangoModelFactory

from ctht_api.models import Status
from events.models import Document, Event, Programme, Statement, StatementTranslation, Topic
from people.models import Institution, Person, Position


class InstitutionFactory(DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"Ministry of Example Affairs {n}")
    kind = Institution.Kind.MINISTRY
    country_id = "RS"


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    full_name = factory.Sequence(lambda n: f"Jelena Petrović {n}")


class PositionFactory(DjangoModelFactory):
    class Meta:
        model = Position

    person = factory.SubFactory(PersonFactory)
    institution = factory.SubFactory(InstitutionFactory)
    title = "National Coordinator for Combating Trafficking in Human Beings"


class TopicFactory(DjangoModelFactory):
    class Meta:
        model = Topic

    name = factory.Sequence(lambda n: f"Topic {n}")


class ProgrammeFactory(DjangoModelFactory):
    class Meta:
        model = Programme

    name = factory.Sequence(lambda n: f"Programme {n}")


class DocumentFactory(DjangoModelFactory):
    class Meta:
        model = Document

    title = factory.Sequence(lambda n: f"Report {n}")
    kind = Document.Kind.REPORT


class EventFactory(DjangoModelFactory):
    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"Workshop on digital evidence {n}")
    kind = Event.Kind.WORKSHOP
    status = Status.PUBLISHED


class StatementFactory(DjangoModelFactory):
    class Meta:
        model = Statement

    text = "Technology can also be part of the solution."
    language = "en"
    speaker = factory.SubFactory(PersonFactory)
    status = Status.PUBLISHED


class StatementTranslationFactory(DjangoModelFactory):
    class Meta:
        model = StatementTranslation

    statement = factory.SubFactory(StatementFactory)
    language = "fr"
    text = "La technologie peut aussi faire partie de la solution."
    kind = StatementTranslation.Kind.EDITORIAL
