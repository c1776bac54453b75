"""Writing the change feed: every write of the record leaves one row per entry it affected.

What a mirror needs is "what changed since I last asked", deletions included,
and a promise that nothing committed after it asked is ever placed before the
point it was told to resume from. `updated_at > last poll` breaks that
promise: a transaction that started earlier but commits later writes an older
timestamp (or sequence number) than rows a reader has already passed.

**Commit order, by a lock held to the commit.** Rows are written at the very
end of a write (when its audit changeset ends, just before the commit), after
taking one transaction-level advisory lock (`pg_advisory_xact_lock`), which
PostgreSQL releases only once the transaction's commit is visible to others.
Their `seq` comes from the table's identity sequence *under that lock*, so
feed writers take their numbers one transaction at a time, in commit order: a
transaction can take a number only after every transaction that took a
smaller one has committed (or rolled back, leaving a gap in the numbers, which
nothing reads as a change). Hence a reader that sees the row numbered `n` sees
every committed row below `n`, and a row committed after it read the feed gets
a number above anything it saw: resuming from the `last` cursor skips nothing,
whatever the order in which concurrent writes started. The lock is held only
from the feed insert to the commit (the insert is the last statement of a
write): for an ordinary write a few milliseconds; a rename shown by 100,000
statements holds it for its one `INSERT … SELECT` (about a second), and other
writers wait that long. Readers never take it. A write outside a changeset (a
Django shell) writes its rows at each save, in a transaction of their own (or
the caller's, whose commit then releases the lock): never unlocked, even in
autocommit, where the lock alone would be released as soon as it is taken.

On SQLite the database itself is the lock: the project opens every
transaction with `BEGIN IMMEDIATE` (settings), one writer at a time from the
start of its transaction to its commit, and readers see committed rows only;
so numbers are taken in commit order there too. `AUTOINCREMENT` never reuses a
number, even after the highest row is deleted.

**Compacted.** Each entry has one row (`resource`, `object_id` unique), at its
latest change: a change deletes the entry's row and inserts one at a new
number, both under the lock. A page of the feed is then an index range scan
from the cursor, and a mirror replays each entry once.

**Which entries a write affects** (`FeedBuffer`):

- the entries saved, deleted or whose many-to-many lists changed;
- the entries that embed one of them in brief form (a statement embeds its
  speaker's name, its institution's name and country, …) when a field shown in
  that brief form changed, or the entry was deleted: found from the
  serializers (`embeddings()`), so a new brief field is followed without
  editing this module, and written with one `INSERT … SELECT` per relation,
  not one row at a time (renaming an institution quoted 100,000 times is one
  statement);
- the entries whose visibility depends on it: a statement is public only if
  its event is (`StatementQuerySet.visibility_depends_on`), so publishing or
  unpublishing an event affects its statements. Their `updated_at` moves too,
  so `?updated_since=` sees them (their version and ETag do not: the
  statement itself did not change).

**Embargoes.** An entry whose embargo ends (`publish_at`, ctht_api.models)
becomes visible without a write, so no write leaves it a row; and its row
from when it was saved may lie behind a mirror's cursor already, read then as
a `delete`. So the reader writes those rows itself, lazily:
`FeedState.embargoes_through` says up to when this was done, and a read of
the feed that finds a published entry with `publish_at` in
(`embargoes_through`, now] (`read_state`: two `EXISTS` over the `publish_at`
index, in the one query that reads the feed's state anyway, so a read with
nothing due costs no query more) calls `record_ended_embargoes`: under the
writers' lock, like any write of the feed, it writes a row for each such
entry, and for each statement of such an event (`embargo_ended`, which
follows `embargo_paths`), then moves `embargoes_through` to now, and the
reader reads its page again. Those rows take numbers above every cursor
handed out before, so every mirror meets the entry again, now an `upsert`.
A write that commits after the pass with a `publish_at` already past writes
its own row (after the pass's, under the lock). Workers' clocks are taken to
agree (NTP): one running ahead could write an entry's row before another
shows it.

A row says only *which* entry changed; the reader (changes/views.py) reads the
entry as the requesting client sees it and answers `upsert` with its detail
representation, or `delete` when it is gone or hidden from that client.

Bulk paths that write without model signals call in too, in bulk:
`generate_data`'s COPY `record_unrecorded()`, `import_data` `restart()`.
"""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist
from django.db import connection, connections, models, router, transaction
from django.db.models import Exists, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.utils import timezone

from changes.models import Change, FeedState
from ctht_api.audit import current_changeset
from ctht_api.first_read import read_checking_connection
from ctht_api.models import PublishableQuerySet
from ctht_api.prepared import prepared_cursor

LOCK_KEY = 0x63746874_6368616E  # "cthtchan": the feed writers' advisory lock
CHUNK = 1000  # rows per INSERT … VALUES


@functools.cache
def resources() -> dict[type[models.Model], str]:
    """Every model the feed follows, and its resource name: the API's top-level resources."""
    from ctht_api.api import router
    from ctht_api.viewsets import RecordViewSet

    return {
        viewset.queryset.model
        if viewset.queryset is not None
        else viewset.serializer_class.Meta.model: prefix
        for prefix, viewset, _ in router.registry
        if "(" not in prefix and issubclass(viewset, RecordViewSet)
    }


@functools.cache
def viewsets() -> dict[str, type]:
    """Each resource's viewset, by resource name: the reader asks it for the detail form."""
    from ctht_api.api import router

    names = set(resources().values())
    return {prefix: viewset for prefix, viewset, _ in router.registry if prefix in names}


@dataclass(frozen=True)
class Embedding:
    """`resource_model` shows `related_model` through `path`, in brief form made of `fields`."""

    resource_model: type[models.Model]
    path: str
    related_model: type[models.Model]
    fields: tuple[str, ...]
    many: bool
    visibility: bool = False  # what it reads decides whether the resource entry is visible


def _brief_fields(serializer_field) -> tuple[str, ...] | None:
    """The fields of the related entry a serializer field shows, or None if not a relation."""
    from rest_framework import serializers

    from ctht_api.serializers import BriefRelatedField

    child = getattr(serializer_field, "child_relation", serializer_field)
    if isinstance(child, BriefRelatedField):
        return (child.display, *child.extra.values())
    if isinstance(child, serializers.SlugRelatedField):
        return (child.slug_field,)
    return None


@functools.cache
def embeddings() -> tuple[Embedding, ...]:
    """Which resource shows which related entry, found from each resource's serializer."""
    found = []
    for model, resource in resources().items():
        serializer = viewsets()[resource].serializer_class()
        for name, serializer_field in serializer.fields.items():
            shown = _brief_fields(serializer_field)
            if shown is None:
                continue
            try:
                model_field = model._meta.get_field(serializer_field.source or name)
            except FieldDoesNotExist:
                continue
            related = model_field.related_model
            fields = tuple(f.removesuffix("_id") if f.endswith("_id") else f for f in shown)
            fields = tuple(
                related._meta.get_field(f).attname if f != "id" else f for f in fields if f != "id"
            )
            found.append(
                Embedding(model, model_field.name, related, fields, model_field.many_to_many)
            )
        # Visibility that depends on a related entry (a statement at a draft event).
        depends = getattr(model._default_manager.get_queryset(), "visibility_depends_on", {})
        for path, fields in depends.items():
            model_field = model._meta.get_field(path)
            found.append(
                Embedding(model, path, model_field.related_model, tuple(fields), False, True)
            )
    return tuple(found)


@functools.cache
def m2m_owners() -> dict[type[models.Model], tuple[type[models.Model], str]]:
    """Each many-to-many table of a followed model: the model and the field it belongs to."""
    return {
        m2m.remote_field.through: (model, m2m.name)
        for model in resources()
        for m2m in model._meta.many_to_many
    }


def embeddings_of(model: type[models.Model]) -> list[Embedding]:
    return [e for e in embeddings() if e.related_model is model]


def watched_fields(model: type[models.Model]) -> set[str]:
    return {f for e in embeddings_of(model) for f in e.fields}


@dataclass
class FeedBuffer:
    """The entries one write affected, written to the feed when the write ends."""

    entries: dict[str, dict[int, bool]] = field(default_factory=lambda: defaultdict(dict))
    fanouts: list[tuple[Embedding, object]] = field(default_factory=list)

    def add(self, resource: str, pks: Iterable, *, deleted: bool = False) -> None:
        rows = self.entries[resource]
        for pk in pks:
            rows[pk] = deleted or rows.get(pk, False)  # a deletion is final

    def write(self) -> None:
        if not self.entries and not self.fanouts:
            return
        _lock()
        at = timezone.now()
        # The embedding entries first: an entry both edited and embedding is then
        # written once more by its own row below, which replaces the fan-out's.
        by_embedding: dict[Embedding, set] = defaultdict(set)
        for embedding, pk in self.fanouts:
            by_embedding[embedding].add(pk)
        for embedding, pks in by_embedding.items():  # one statement per relation
            ordered = sorted(pks)
            resource = resources()[embedding.resource_model]
            for start in range(0, len(ordered), CHUNK):
                _write_query(
                    embedding_query(embedding, ordered[start : start + CHUNK]), resource, at
                )
        for resource, rows in sorted(self.entries.items()):
            ordered = sorted(rows.items())
            for start in range(0, len(ordered), CHUNK):
                _write_rows(resource, ordered[start : start + CHUNK], at)
        self.entries.clear()
        self.fanouts.clear()


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _table() -> str:
    return connection.ops.quote_name(Change._meta.db_table)


def _write_rows(resource: str, rows: list[tuple[object, bool]], at) -> None:
    table = _table()
    marks = ", ".join(["%s"] * len(rows))
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE resource = %s AND object_id IN ({marks})",
            [resource, *(pk for pk, _ in rows)],
        )
        cursor.execute(
            f"INSERT INTO {table} (resource, object_id, deleted, at) VALUES {values}",
            [v for pk, deleted in rows for v in (resource, pk, deleted, at)],
        )


def _write_query(ids: models.QuerySet, resource: str, at) -> None:
    """One row per id the queryset (of one `pk` column) selects, in one statement each way."""
    sql, params = ids.query.sql_with_params()
    table = _table()
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE resource = %s AND object_id IN ({sql})",
            [resource, *params],
        )
        cursor.execute(
            f"INSERT INTO {table} (resource, object_id, deleted, at) "
            f"SELECT %s, ids.pk, %s, %s FROM ({sql}) ids ORDER BY ids.pk",
            [resource, False, at, *params],
        )


def embedding_query(embedding: Embedding, pks: list) -> models.QuerySet:
    """The ids of the entries that show one of `pks` through `embedding`."""
    return (
        embedding.resource_model._base_manager.filter(**{f"{embedding.path}__in": pks})
        .order_by()
        .values("pk")
        .distinct()
    )


def record_unrecorded(models_: Iterable[type[models.Model]] | None = None) -> None:
    """Put every entry that has no row in the feed yet into it, one statement per model.

    For bulk writes that send no model signals (`generate_data`'s COPY): what
    they added is exactly what the feed has not seen."""
    _lock()
    at = timezone.now()
    for model in models_ or resources():
        resource = resources()[model]
        # A tombstone does not count: `generate_data` may reuse the id of a deleted entry.
        recorded = Change.objects.filter(resource=resource, object_id=OuterRef("pk"), deleted=False)
        ids = model._base_manager.filter(~Exists(recorded)).order_by().values("pk")
        _write_query(ids, resource, at)


def restart() -> None:
    """A new feed for a restored record (`import_data`): a new epoch, so every earlier
    cursor is answered 410 (it counted in another database), and every entry once."""
    Change.objects.all().delete()
    FeedState.new_epoch()
    record_unrecorded()


@functools.cache
def publishable() -> tuple[type[models.Model], ...]:
    """The followed models with a publication status (and so an embargo)."""
    return tuple(
        model
        for model in resources()
        if isinstance(model._default_manager.get_queryset(), PublishableQuerySet)
    )


# A moment no real read takes, standing for `now` in read_state's compiled query.
_NOW_STANDIN = datetime.datetime(1999, 12, 31, 23, 59, 58, 987654, tzinfo=datetime.UTC)


def _state_queryset(now, with_last_seq: bool) -> models.QuerySet:
    extra = {}
    if with_last_seq:
        last = Change.objects.order_by("-seq").values("seq")[:1]
        extra["last_seq"] = Coalesce(
            Subquery(last), Value(0), output_field=models.BigIntegerField()
        )
    due = {
        f"due_{index}": Exists(
            model._default_manager.published().filter(
                publish_at__gt=OuterRef("embargoes_through"), publish_at__lte=now
            )
        )
        for index, model in enumerate(publishable())
    }
    return FeedState.objects.filter(pk=1).annotate(**due, **extra).order_by()


@functools.cache
def _state_sql(alias: str, with_last_seq: bool) -> tuple[str, tuple, tuple[int, ...]]:
    """read_state's query, compiled once per database: compiling it (two `EXISTS`) costs the
    ORM several times what PostgreSQL takes to run it, and it is read on every public
    request (ctht_api.public_cache). `now` is its one parameter that changes: its places
    among the parameters come with it."""
    sql, params = _state_queryset(_NOW_STANDIN, with_last_seq).query.get_compiler(alias).as_sql()
    standin = connections[alias].ops.adapt_datetimefield_value(_NOW_STANDIN)
    return sql, tuple(params), tuple(i for i, p in enumerate(params) if p == standin)


def read_state(*, with_last_seq: bool = False) -> FeedState:
    """The feed's state, with `embargoes_due`: whether an embargo ended since the feed last
    recorded them (see "Embargoes"), found in the same query; with `with_last_seq`, also
    `last_seq`, the highest committed row's number (0 for none), in that query too."""
    alias = router.db_for_read(FeedState)
    sql, params, now_at = _state_sql(alias, with_last_seq)
    now = connections[alias].ops.adapt_datetimefield_value(timezone.now())
    params = [now if index in now_at else value for index, value in enumerate(params)]
    found = _state_rows(alias, sql, params)
    if not found:  # a new feed: nothing to catch up with
        state = FeedState.current()
        state.embargoes_due = False
        if with_last_seq:
            state.last_seq = Change.objects.aggregate(last=Max("seq"))["last"] or 0
        return state
    state = found[0]
    state.embargoes_due = any(getattr(state, f"due_{index}") for index in range(len(publishable())))
    return state


def _state_rows(alias: str, sql: str, params: list) -> list[FeedState]:
    """read_state's rows: on PostgreSQL by a statement prepared once per connection (its
    planning took most of its time, ctht_api.prepared), as its own health check
    (ctht_api.first_read); elsewhere through the ORM."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return list(FeedState.objects.db_manager(alias).raw(sql, params))

    def read() -> tuple[list[str], list[tuple]]:
        with prepared_cursor(connection) as cursor:
            cursor.execute(sql, params)
            return [column.name for column in cursor.description], cursor.fetchall()

    # Often a request's only query (a cached public answer): it checks its connection
    # itself, in place of Django's `SELECT 1` (ctht_api.first_read).
    names, rows = read_checking_connection(connection, read)
    fields = [field.attname for field in FeedState._meta.concrete_fields]
    states = []
    for row in rows:
        values = dict(zip(names, row, strict=True))
        state = FeedState.from_db(alias, fields, [values.pop(name) for name in fields])
        for name, value in values.items():  # due_0, due_1, last_seq
            setattr(state, name, value)
        states.append(state)
    return states


def record_ended_embargoes() -> None:
    """Write a row for every entry whose embargo ended since `embargoes_through` (and each
    statement of such an event), under the writers' lock; then move `embargoes_through`.
    Another reader that did it meanwhile leaves nothing (or little) to do."""
    with transaction.atomic():  # the lock is held to the commit of these rows
        _lock()
        since = FeedState.current().embargoes_through  # read under the lock
        now = timezone.now()
        if now <= since:
            return
        for model in publishable():
            ids = model._default_manager.embargo_ended(since, now).order_by().values("pk")
            _write_query(ids, resources()[model], now)
        FeedState.objects.filter(pk=1).update(embargoes_through=now)


def _buffer() -> FeedBuffer | None:
    current = current_changeset()
    if current is None:
        return None
    buffer = current.parts.get("feed")
    if buffer is None:
        buffer = current.parts["feed"] = FeedBuffer()
        current.finishers.append(buffer.write)
    return buffer


def note(model: type[models.Model], pks: Iterable, *, deleted: bool = False) -> None:
    """Entries of `model` changed (or were deleted): into this write's feed rows."""
    resource = resources().get(model)
    if resource is None:
        return
    buffer = _buffer()
    if buffer is not None:
        buffer.add(resource, pks, deleted=deleted)
        return
    once = FeedBuffer()
    once.add(resource, pks, deleted=deleted)
    with transaction.atomic():  # the lock is held to the commit of these rows
        once.write()


def note_fanout(embedding: Embedding, pk) -> None:
    buffer = _buffer()
    if buffer is not None:
        buffer.fanouts.append((embedding, pk))
        return
    once = FeedBuffer(fanouts=[(embedding, pk)])
    with transaction.atomic():  # the lock is held to the commit of these rows
        once.write()


# Signal receivers -----------------------------------------------------------


def _remember_watched(sender, instance, raw=False, **kwargs) -> None:
    """Before an update: did a field that others show of this entry change?"""
    fields = watched_fields(sender)
    if raw or instance._state.adding or instance.pk is None:
        instance._feed_changed_fields = set()
        return
    old = sender._base_manager.filter(pk=instance.pk).values(*fields).first()
    instance._feed_changed_fields = (
        set() if old is None else {f for f in fields if old[f] != getattr(instance, f)}
    )


def _saved(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    note(sender, [instance.pk])
    changed = getattr(instance, "_feed_changed_fields", set())
    if changed:
        for embedding in embeddings_of(sender):
            if changed & set(embedding.fields):
                note_fanout(embedding, instance.pk)
                if embedding.visibility:
                    _touch(embedding, instance.pk)


def _touch(embedding: Embedding, pk) -> None:
    """Move `updated_at` of the entries whose visibility follows this one, so that
    `?updated_since=` finds them: not their version (they did not change), and not a save
    (no history record: nothing of theirs changed). The one `update()` on the record's
    tables outside the model layer (tests/changes/test_feed_paths.py allows it here only)."""
    embedding.resource_model._base_manager.filter(**{embedding.path: pk}).update(
        updated_at=timezone.now()
    )


def _deleting(sender, instance, **kwargs) -> None:
    """Before a deletion, while the relations still exist: the entries that embed it."""
    for embedding in embeddings_of(sender):
        pks = list(embedding_query(embedding, [instance.pk]).values_list("pk", flat=True))
        note(embedding.resource_model, pks)


def _deleted(sender, instance, **kwargs) -> None:
    note(sender, [instance.pk], deleted=True)


def _m2m_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    """A many-to-many list changed: the entry that shows it (its owner) changed."""
    owner, field_name = m2m_owners()[sender]
    if not reverse:
        if action.startswith("post_"):
            note(owner, [instance.pk])
        return
    # Changed from the other side (`topic.statements.add(...)`): the owners named.
    if action == "pre_clear":
        note(
            owner,
            owner._base_manager.filter(**{field_name: instance.pk}).values_list("pk", flat=True),
        )
    elif action in ("post_add", "post_remove") and pk_set:
        note(owner, pk_set)


def connect_signals() -> None:
    """Connect the receivers for every followed model and every model others embed."""
    followed = set(resources())
    embedded = {e.related_model for e in embeddings()}
    for model in followed | embedded:
        uid = f"changes-{model._meta.label}"
        if model in embedded:
            pre_save.connect(_remember_watched, sender=model, dispatch_uid=f"{uid}-pre")
            pre_delete.connect(_deleting, sender=model, dispatch_uid=f"{uid}-pre-delete")
        post_save.connect(_saved, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"{uid}-delete")
    for through in m2m_owners():
        m2m_changed.connect(_m2m_changed, sender=through, dispatch_uid=f"changes-{through}")
