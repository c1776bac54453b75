"""Keep what is derived from the record true when the record changes.

A statement's `search_document` holds its speaker's name and its event's
title. Renaming either is rare and touches only that row's statements, so it
is done here, row by row (save-time logic and any audit trail see it).

The cached counts (`/countries/`, `/stats/statements/`) are retired by a new
record version (events/record_version.py) on any write to what they read:
statements, events, people, institutions, topics, countries and the
statements' and events' country and topic lists.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from events.models import Event, Statement, Topic
from events.record_version import record_changed
from people.models import Country, Institution, Person

WATCHED = {Person: "full_name", Event: "title"}


@receiver(pre_save, sender=Person)
@receiver(pre_save, sender=Event)
def remember_searched_name(sender, instance, **kwargs) -> None:
    field = WATCHED[sender]
    if instance.pk is None:
        instance._searched_name_changed = False
        return
    old = sender._default_manager.filter(pk=instance.pk).values_list(field, flat=True).first()
    instance._searched_name_changed = old is not None and old != getattr(instance, field)


@receiver(post_save, sender=Person)
@receiver(post_save, sender=Event)
def refresh_statement_search(sender, instance, **kwargs) -> None:
    if getattr(instance, "_searched_name_changed", False):
        for statement in instance.statements.select_related("speaker", "event"):
            statement.refresh_search_document()


COUNTED_MODELS = (Statement, Event, Person, Institution, Topic, Country)
COUNTED_RELATIONS = (
    Statement.countries.through,
    Statement.topics.through,
    Event.countries.through,
    Event.topics.through,
)


def _connect_record_version() -> None:
    for model in COUNTED_MODELS:
        post_save.connect(record_changed, sender=model, dispatch_uid=f"record-{model}")
        post_delete.connect(record_changed, sender=model, dispatch_uid=f"record-d-{model}")
    for through in COUNTED_RELATIONS:
        m2m_changed.connect(record_changed, sender=through, dispatch_uid=f"record-{through}")


_connect_record_version()
