"""Small vocabularies the filters check values against, kept in process memory.

`?country=RS,BA` and `?topic=…` name rows of small tables that rarely change
(about 250 countries, a few dozen topics). Checking each request's values with
a query of their own cost one query per such parameter; a `Vocabulary` holds
the table's whole set of values instead, loaded by the first request that asks
(one query) and kept for `SECONDS`.

A save or deletion of the model in this process forgets the set at once and
again when its transaction commits (a request that read the table in between
would otherwise keep the old set). Another worker learns of the change when its
own set expires, so a new topic or country may be refused as unknown there for
at most `SECONDS`; so may one written without signals (`bulk_create`, a restore).
A removed value may pass the check as long, and then simply matches nothing.
The set is read from the primary (one query per `SECONDS`), not from a replica
that may lag behind the write that forgot it.
"""

import time

from django.db import models, transaction
from django.db.models.signals import post_delete, post_save

from ctht_api.db_router import primary_reads

SECONDS = 30


class Vocabulary:
    """The values of one column of a small table, from process memory for `SECONDS`."""

    def __init__(self, model: type[models.Model], field: str):
        self.model, self.field = model, field
        self._values: frozenset[str] | None = None
        self._until = 0.0
        label = f"vocabulary-{model._meta.label}-{field}"
        post_save.connect(self.forget, sender=model, weak=False, dispatch_uid=label)
        post_delete.connect(self.forget, sender=model, weak=False, dispatch_uid=f"{label}-d")
        ALL.append(self)

    def values(self) -> frozenset[str]:
        now = time.time()
        values = self._values
        if values is None or now >= self._until:
            with primary_reads():  # not a lagging replica's set, kept for SECONDS
                values = frozenset(self.model._default_manager.values_list(self.field, flat=True))
            self._values, self._until = values, now + SECONDS
        return values

    def unknown(self, candidates: list[str]) -> list[str]:
        """The candidates that are not in the vocabulary, in their order."""
        values = self.values()
        return [value for value in candidates if value not in values]

    def forget(self, **kwargs) -> None:
        """Signal receiver (and plain method): the table changed, load it again."""
        self._values = None
        transaction.on_commit(self._drop, robust=True)

    def _drop(self) -> None:
        self._values = None


ALL: list[Vocabulary] = []


def forget_all() -> None:
    """Forget every vocabulary (tests roll rows back without signals)."""
    for vocabulary in ALL:
        vocabulary._drop()
