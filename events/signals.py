"""Keep statements' stored search documents true when a name they contain changes.

A statement's `search_document` holds its speaker's name and its event's
title. Renaming either is rare and touches only that row's statements, so it
is done here, row by row (save-time logic and any audit trail see it).
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from events.counts import forget_country_counts
from events.models import Event, Statement
from people.models import Institution, Person

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


def _connect_country_counts() -> None:

    for model in (Statement, Event, Institution):
        post_save.connect(forget_country_counts, sender=model, dispatch_uid=f"counts-{model}")
        post_delete.connect(forget_country_counts, sender=model, dispatch_uid=f"counts-d-{model}")
    for through in (Statement.countries.through, Event.countries.through):
        m2m_changed.connect(forget_country_counts, sender=through, dispatch_uid=f"counts-{through}")


_connect_country_counts()
