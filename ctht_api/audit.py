"""The audit trail: who changed what, when, why, from what to what.

The library is django-simple-history, chosen over django-pghistory because the
record must run on the embedded SQLite default as well as on PostgreSQL, and
over django-reversion because it stores one row per version in an ordinary
table per model (queryable, indexable, easy to export) and ships admin history
pages. It works through model signals, so no code path may write an audited
model without them: the project never uses `QuerySet.update()` or
`bulk_create()` on an audited model (`tests/test_audit.py` watches the write
paths). What a signal-based trail cannot see, an SQL statement typed into
`psql` or `dbshell`, is outside the trail on both backends; `generate_data`,
which writes with COPY for speed, writes the history rows in SQL as well, and
`import_data` (ctht_api/backup.py) restores the history rows from the file
rather than making new ones: restoring is not editing.

**One write, one version, one history record.** A write is often several
saves (a statement, then its countries, then its translations). Inside a
`changeset()` (every API write, every admin save and bulk action, the
management commands) the saves and many-to-many changes of one entry are
gathered and recorded once when the changeset ends, as the entry then stands,
with the changeset's user and reason; and the entry's `version` goes up by one
however many times it was saved (an entry created in the changeset stays at
version 1, with one "created" record). Outside a changeset (a Django shell), every
save and every many-to-many change is recorded as it happens.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import models
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

_current: ContextVar[Changeset | None] = ContextVar("ctht_changeset", default=None)

CREATED, UPDATED, DELETED = "+", "~", "-"


@dataclass
class Changeset:
    """The entries one write touched, waiting to be recorded when it ends."""

    user: object | None = None
    reason: str = ""
    pending: dict[tuple[type, object], tuple[AuditTrail, models.Model, str]] = field(
        default_factory=dict
    )
    bumped: set[tuple[type, object]] = field(default_factory=set)
    # What other modules gather during the write (the change feed's rows), and what
    # they write when it ends, after the history: `finishers` run in order.
    parts: dict[str, object] = field(default_factory=dict)
    finishers: list[Callable[[], None]] = field(default_factory=list)

    def note(self, trail: AuditTrail, instance: models.Model, history_type: str) -> None:
        key = (type(instance), instance.pk)
        known = self.pending.get(key)
        if known is not None and known[2] == CREATED:
            history_type = CREATED
        self.pending[key] = (trail, instance, history_type)

    def flush(self, key: tuple[type, object] | None = None) -> None:
        """Record the pending entries (or one of them) as they now stand in the database."""
        keys = [key] if key is not None else list(self.pending)
        for k in keys:
            entry = self.pending.pop(k, None)
            if entry is None:
                continue
            trail, instance, history_type = entry
            current = type(instance)._default_manager.filter(pk=instance.pk).first()
            if current is None:  # deleted later in the same write: its "-" record says so
                continue
            self.stamp(current)
            trail.record(current, history_type)

    def stamp(self, instance: models.Model) -> None:
        instance._history_user = self.user if getattr(self.user, "pk", None) else None
        instance._change_reason = self.reason or None

    def claim_version(self, instance: models.Model) -> bool:
        """True the first time an entry is saved in this changeset: its version goes up once."""
        key = (type(instance), instance.pk)
        if key in self.bumped:
            return False
        self.bumped.add(key)
        return True


def current_changeset() -> Changeset | None:
    return _current.get()


@contextmanager
def changeset(*, user=None, reason: str = ""):
    """Gather the writes inside into one history record (and one version) per entry.

    Use inside `transaction.atomic()`: if the write fails, nothing is recorded
    because nothing is stored. Nested changesets join the outer one.
    """
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    current = Changeset(user=user, reason=reason)
    token = _current.set(current)
    try:
        yield current
        current.flush()
        for finish in current.finishers:
            finish()
    finally:
        _current.reset(token)


class AuditTrail(HistoricalRecords):
    """simple-history's `HistoricalRecords`, aware of changesets."""

    def post_save(self, instance, created, using=None, **kwargs):
        current = _current.get()
        if current is None or kwargs.get("raw", False):
            return super().post_save(instance, created, using=using, **kwargs)
        current.note(self, instance, CREATED if created else UPDATED)

    def m2m_changed(self, instance, action, attr, pk_set, reverse, **kwargs):
        current = _current.get()
        if current is None:
            return super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)
        if action in ("post_add", "post_remove", "post_clear"):
            current.note(self, instance, UPDATED)

    def post_delete(self, instance, using=None, **kwargs):
        current = _current.get()
        if current is not None:
            current.flush((type(instance), instance.pk))
            current.stamp(instance)
        return super().post_delete(instance, using=using, **kwargs)

    def record(self, instance: models.Model, history_type: str) -> None:
        self.create_historical_record(instance, history_type)


@receiver(pre_create_historical_record)
def take_snapshot(sender, instance, history_instance, **kwargs) -> None:
    """A history model may record more than its entry's own columns (a statement's
    translations): each of its bases' `take_snapshot(instance)` fills its part in, on
    every path (a person's history records its other names and its identifiers)."""
    for base in type(history_instance).__mro__:
        snapshot = base.__dict__.get("take_snapshot")
        if snapshot is not None:
            snapshot(history_instance, instance)


def snapshot_fields(history_model: type[models.Model]) -> tuple[str, ...]:
    """The list columns a history model records beside its entry's own (all its bases')."""
    return tuple(
        name for base in history_model.__mro__ for name in base.__dict__.get("snapshot_fields", ())
    )


def snapshot_history(
    field_name: str, rows: Callable[[models.Model], list[dict]], *, what: str
) -> type[models.Model]:
    """An abstract base for a history model (`audit_trail(bases=[...])`) that records,
    beside the entry's own columns, a list written with it (`field_name`).

    The list's rows have their own table and history, but to a reader they are
    part of the entry (the API writes them with it), so each version of the
    entry records them as they then stood (`rows(entry)`: the list as the API
    shows it, in its order), and the history's `changes` lists them when they
    changed. Stored as JSON text, so that the backup treats the column as any
    other; null where nothing was recorded (versions stored before the column
    existed, or written in SQL by `generate_data`), which the history reads as
    unknown, not as empty (ctht_api.history). `what` completes the column's
    help text.
    """

    def take_snapshot(self, instance: models.Model) -> None:
        setattr(self, field_name, json.dumps(rows(instance), ensure_ascii=False))

    return type(
        f"{field_name.title().replace('_', '')}Snapshot",
        (models.Model,),
        {
            "__module__": __name__,
            field_name: models.TextField(  # null (unknown) is not "[]" (none)
                null=True,
                blank=True,
                editable=False,
                help_text=f"The {what} at this version, as a JSON list; null if not recorded.",
            ),
            "snapshot_fields": (field_name,),
            "take_snapshot": take_snapshot,
            "Meta": type("Meta", (), {"abstract": True}),
        },
    )


def audit_trail(**kwargs) -> AuditTrail:
    """The history of an audited model, with a text reason (settings index its date)."""
    kwargs.setdefault("history_change_reason_field", models.TextField(null=True))
    return AuditTrail(**kwargs)


def history_tables(model) -> tuple[type, list[tuple[type, type]]]:
    """An audited model's history model, and (through model, history model) per tracked M2M."""
    history_model = model.history.model
    return history_model, [
        (
            model._meta.get_field(field.name).remote_field.through,
            getattr(history_model, field.name).model,
        )
        for field in history_model._history_m2m_fields
    ]


def insert_baseline_history(
    model, history_model, m2m_models=(), *, reason: str, connection
) -> None:
    """Give every row of `model` that has no history yet a first ("+") record, in SQL.

    For rows that were written without the model layer (the data that existed
    when the trail was switched on, `generate_data`'s COPY): the record is
    dated by the row's `updated_at` and carries `reason`. `m2m_models` are
    pairs of (through model, its history model); their rows are copied too.
    Works on both backends and with the models of a migration's state.
    """
    quote = connection.ops.quote_name
    own = {f.column for f in model._meta.concrete_fields}
    columns = [  # not the snapshot columns the entry's table lacks: those stay null (unknown)
        f.column
        for f in history_model._meta.concrete_fields
        if not f.name.startswith("history_") and f.column in own
    ]
    history_table, table = quote(history_model._meta.db_table), quote(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(history_id), 0) FROM {history_table}")
        (first_new,) = cursor.fetchone()
        cursor.execute(
            f"INSERT INTO {history_table} "
            f"({', '.join(map(quote, columns))}, "
            "history_date, history_type, history_change_reason) "
            f"SELECT {', '.join('t.' + quote(c) for c in columns)}, t.updated_at, %s, %s "
            f"FROM {table} t WHERE NOT EXISTS "
            f"(SELECT 1 FROM {history_table} h WHERE h.id = t.id)",
            [CREATED, reason],
        )
        for through, m2m_history in m2m_models:
            owner = next(
                f.column for f in through._meta.concrete_fields if f.related_model is model
            )
            through_columns = [f.column for f in through._meta.concrete_fields]
            cursor.execute(
                f"INSERT INTO {quote(m2m_history._meta.db_table)} "
                f"({', '.join(map(quote, through_columns))}, history_id) "
                f"SELECT {', '.join('t.' + quote(c) for c in through_columns)}, h.history_id "
                f"FROM {quote(through._meta.db_table)} t "
                f"JOIN {history_table} h ON h.id = t.{quote(owner)} WHERE h.history_id > %s",
                [first_new],
            )
