"""Backup and restore of the whole record, with its history (`export_data`, `import_data`).

The format is documented for people in docs/backup-format.md; in short, one
JSON document (gzip-compressed when the file name ends in `.gz`)::

    {"format": "ctht-api-export", "format_version": 3,
     "exported_at": "2026-11-28T21:00:00+00:00", "app_version": "0.1.0",
     "counts": {"people.country": 250, "people.institution": 12, ...},
     "models": {"people.country": [{"code": "AD", "name": "Andorra"}, ...], ...}}

The record is every model of the `people` and `events` apps: the entries, the
join tables of their many-to-many fields, and their history tables (one
`Historical…` model per audited model, one per tracked many-to-many field).
Rows are flat objects keyed by model field name, in primary-key order; a
foreign key is the related row's primary key; dates and times are ISO 8601
strings (times in UTC). A history row's `history_user` is the username, not
an id: users and tokens are not part of the record.

Decisions, each for a reason:

* **Streaming, both ways.** The writer reads each table with a server-side
  cursor and writes row by row; the reader parses with ijson (yajl in C) event
  by event, so memory does not grow with the number of statements (only the
  primary keys that foreign keys point to are kept, to check them). That is
  why the header keys (`format`, `format_version`, `counts`) come before
  `models` in the file, and the sections come in dependency order.
* **Validate everything, then write.** `import_data` reads the file twice: the
  first pass checks the format name and version, every model and field name,
  every value's type, the counts, and that every foreign key points to a row
  of the file; only then does the second pass write, in one transaction, so a
  file the database still refuses (a check or unique constraint) leaves
  nothing behind either. Standard input is spooled to a temporary file first.
* **The API's rules, row by row.** The second pass also runs on each entry
  what the API and the admin run (`full_clean()`: field validators, then the
  model's `clean()`), and names the row that breaks one; see `_Section` for
  how it is split and what is left to the database.
* **Restoring is not editing.** Rows go in with plain INSERTs (once checked),
  bypassing `save()` and the model signals: primary keys, versions and timestamps are
  kept as exported, and the audit trail records nothing; the history rows are
  the file's. Sequences are then moved past the largest ids (PostgreSQL).
  Nor is the personal-data check (events.safety) run: a published statement
  is restored as it was published, with the override its history records.
  The change feed starts afresh (changes/feed.py `restart`): every restored
  entry once, under a new epoch, so a mirror of the old database is told to
  re-sync (410) instead of resuming from a cursor that counted elsewhere.
* **Derived data is rebuilt, not trusted.** A statement's `search_document` is
  not exported; it is computed as `Statement.build_search_document` does, from
  the text, speaker and event as each statement is inserted, then completed
  with the translations of the few translated ones, without a save (no new
  version, no history). The cached counts are retired (a new record version).
* **Countries are reference data.** They are exported so the file stands alone,
  but not written: each must already exist in the target (migrations load
  them); a code the target lacks is refused.
* **Users named in the history** are matched by username; one the target lacks
  is created inactive, with an unusable password and no permissions, so that
  history still says who made each change (it cannot sign in until an
  administrator acts).
* **Older files stay readable.** A file of an earlier `format_version` is read
  as it was written: the models a later version added (`ADDED_IN_VERSION`:
  version 2 added other names and topic translations, version 3 identifiers;
  `LINKS_ADDED_IN_VERSION`: version 3 the sources of people, institutions,
  positions and programmes) are simply absent from it and restored empty; a
  column a later version added to an older model (`FIELDS_ADDED_IN_VERSION`:
  version 3 `publish_at`, the statements' history `safety_override`, the
  history's `identifiers` and, added during version 2, its lists) may be absent
  too, and is read as the field's default: null for `publish_at` (not
  scheduled) and the history's lists (not recorded), empty for
  `safety_override` (no override). Only an older file may lack them: a file of
  the version that added a column, or later, must have it in every row. A file
  newer than the server is refused.
* **Only into an empty record.** The target's record tables (all but the
  countries) must be empty; there is no merge and no `--replace`.
"""

from __future__ import annotations

import datetime
import gzip
import importlib.metadata
import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

import ijson
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from changes import feed
from ctht_api.audit import history_tables
from ctht_api.search import statement_search_document
from events.models import Event, Statement, StatementTranslation
from events.record_version import record_changed
from people.models import Person

FORMAT = "ctht-api-export"
FORMAT_VERSION = 3
# The entry models each format version added. A file of an earlier version has no count
# and no section for them (nor for their history tables): they are read as empty.
ADDED_IN_VERSION = {
    2: (  # other names (ctht_api.other_names) and topic translations
        "people.institutionothername",
        "people.personothername",
        "people.positionothername",
        "events.programmeothername",
        "events.eventothername",
        "events.topictranslation",
    ),
    3: (  # identifiers (ctht_api.identifiers)
        "people.institutionidentifier",
        "people.personidentifier",
        "events.eventidentifier",
        "events.programmeidentifier",
        "events.documentidentifier",
    ),
}
# The many-to-many fields each format version added (`app.model.field`): a file of an
# earlier version has no section for their link table nor for its history table.
LINKS_ADDED_IN_VERSION = {
    3: (  # sources (ctht_api.sources)
        "people.person.sources",
        "people.institution.sources",
        "people.position.sources",
        "events.programme.sources",
    ),
}
# The columns each format version added to models an earlier version already had
# (`app.model.field`), with the columns added while a version was current (the version
# was not raised, so some files of it have them and some do not): a file of an earlier
# version may lack them, and a missing one is read as the field's default (null for a
# history list: not recorded). A file of that version or a later one must have them all.
FIELDS_ADDED_IN_VERSION = {
    2: ("events.historicalstatement.translations",),  # during version 1
    3: (
        # during version 2: the lists an entry's history records
        "people.historicalinstitution.other_names",
        "people.historicalperson.other_names",
        "people.historicalposition.other_names",
        "events.historicalprogramme.other_names",
        "events.historicalevent.other_names",
        "events.historicaltopic.translations",
        # version 3: scheduled publication, identifiers, the personal-data check's override
        "events.event.publish_at",
        "events.historicalevent.publish_at",
        "events.statement.publish_at",
        "events.historicalstatement.publish_at",
        "events.historicalstatement.safety_override",
        "people.historicalinstitution.identifiers",
        "people.historicalperson.identifiers",
        "events.historicalprogramme.identifiers",
        "events.historicalevent.identifiers",
        "events.historicaldocument.identifiers",
    ),
}
RECORD_APPS = ("people", "events")
REFERENCE_MODELS = {"people.country"}  # verified against the target, never written
DERIVED_FIELDS = {"events.statement": {"search_document"}}  # rebuilt on import
USER_FIELD = "history_user"
CHUNK = 2000
# What one piece of the file may weigh, uncompressed (docs/backup-format.md, "Limits").
# A row is one database row: more than the API (1 MiB bodies) or the admin (2.5 MB
# forms) can write. The header is a few kilobytes. Beyond these the file is not an
# export, and building the value would cost memory and time in proportion to it.
MAX_ROW_BYTES = 4 * 1024 * 1024
MAX_HEADER_VALUE_BYTES = 1024 * 1024
MAX_DEPTH = 8  # rows are flat and `counts` is one object deep
HEADER_KEYS = {"format", "format_version", "exported_at", "app_version", "counts"}


class BackupError(Exception):
    """A file that cannot be restored; the message is one line, for the operator."""


# ---------------------------------------------------------------- the models


def is_entry(model: type[models.Model]) -> bool:
    """An entry of the record: audited, and neither a history table nor a link table."""
    return hasattr(model, "history") and not hasattr(model, "instance_type")


def record_models() -> list[type[models.Model]]:
    """Every model of the record: the entries and their links, then the history tables,
    each after the models its foreign keys need."""
    found = [
        model
        for app in RECORD_APPS
        for model in sorted(  # by name: the registration order of history tables varies
            apps.get_app_config(app).get_models(include_auto_created=True),
            key=lambda m: m._meta.label_lower,
        )
    ]
    history: set[type[models.Model]] = set()
    for model in found:
        if is_entry(model):
            history_model, pairs = history_tables(model)
            history |= {history_model, *(m2m_history for _, m2m_history in pairs)}
    ordered: list[type[models.Model]] = []

    def visit(model) -> None:
        if model in ordered:
            return
        for f in model._meta.concrete_fields:
            target = f.related_model
            if target is not None and target is not model and target in found:
                visit(target)
        ordered.append(model)

    for model in [m for m in found if m not in history] + [m for m in found if m in history]:
        visit(model)
    return ordered


def added_after(version: int) -> set[str]:
    """The labels a complete file of format `version` lacks: the entry models added by
    later versions, with their history tables."""
    labels: set[str] = set()
    for added, entries in ADDED_IN_VERSION.items():
        if added <= version:
            continue
        for label in entries:
            history_model, pairs = history_tables(apps.get_model(label))
            labels |= {
                label,
                history_model._meta.label_lower,
                *(m2m_history._meta.label_lower for _, m2m_history in pairs),
            }
    for added, links in LINKS_ADDED_IN_VERSION.items():
        if added <= version:
            continue
        for name in links:
            label, field_name = name.rsplit(".", 1)
            model = apps.get_model(label)
            through = model._meta.get_field(field_name).remote_field.through
            _, pairs = history_tables(model)
            labels |= {
                through._meta.label_lower,
                *(m2m_history._meta.label_lower for t, m2m_history in pairs if t is through),
            }
    return labels


@dataclass
class Column:
    """One exported field: how it is named, checked and stored."""

    name: str
    field: models.Field
    kind: str  # int, str, bool, date, datetime, user
    target: str | None = None  # label whose primary keys a foreign key must be among
    lookup: str = ""  # what the exporter reads
    added: int = 1  # the format version that added it: an older file may lack it

    def check(self, value: Any) -> Any:
        """The Python value of a JSON value, or ValidationError saying what is wrong."""
        if value is None:
            if not self.field.null:
                raise ValidationError("null is not allowed")
            return None
        kind = self.kind
        if kind == "int":
            if type(value) is not int:
                raise ValidationError(f"expected an integer, got {json.dumps(value)[:40]}")
            if value < 0 and isinstance(self.field, models.PositiveIntegerField):
                raise ValidationError("must not be negative")
            return value
        if kind == "bool":
            if type(value) is not bool:
                raise ValidationError(f"expected true or false, got {json.dumps(value)[:40]}")
            return value
        if not isinstance(value, str):
            raise ValidationError(f"expected a string, got {json.dumps(value)[:40]}")
        if kind == "date":
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                raise ValidationError(f"{value[:40]!r} is not an ISO 8601 date") from None
        if kind == "datetime":
            try:
                moment = datetime.datetime.fromisoformat(value)
            except ValueError:
                raise ValidationError(f"{value[:40]!r} is not an ISO 8601 date-time") from None
            if moment.tzinfo is None:
                raise ValidationError(f"{value[:40]!r} has no time zone")
            return moment
        limit = getattr(self.field, "max_length", None)
        if limit and len(value) > limit and kind != "user":
            raise ValidationError(f"longer than {limit} characters")
        if self.field.choices and value not in {c for c, _ in self.field.flatchoices}:
            raise ValidationError(f"{value[:40]!r} is not one of its choices")
        return value


def columns(model: type[models.Model]) -> list[Column]:
    """The exported fields of `model`, in model order."""
    skip = DERIVED_FIELDS.get(model._meta.label_lower, set())
    added = {
        name.rsplit(".", 1)[1]: version
        for version, names in FIELDS_ADDED_IN_VERSION.items()
        for name in names
        if name.rsplit(".", 1)[0] == model._meta.label_lower
    }
    user_field = get_user_model().USERNAME_FIELD
    found = []
    for f in model._meta.concrete_fields:
        if f.name in skip:
            continue
        if f.name == USER_FIELD and f.related_model is get_user_model():
            found.append(Column(f.name, f, "user", lookup=f"{f.name}__{user_field}"))
            continue
        stored = f.target_field if f.is_relation else f
        if isinstance(stored, models.BooleanField):
            kind = "bool"
        elif isinstance(stored, (models.AutoField, models.IntegerField)):
            kind = "int"
        elif isinstance(stored, models.DateTimeField):
            kind = "datetime"
        elif isinstance(stored, models.DateField):
            kind = "date"
        elif isinstance(stored, (models.CharField, models.TextField)):
            kind = "str"
        else:  # pragma: no cover - a new field type needs a decision here
            raise TypeError(f"{model._meta.label}.{f.name}: no export rule for {type(f)}")
        # Only real constraints are checked: history rows may name deleted entries.
        target = f.related_model._meta.label_lower if f.is_relation and f.db_constraint else None
        found.append(Column(f.name, f, kind, target, f.attname, added.get(f.name, 1)))
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def app_version() -> str:
    try:
        return importlib.metadata.version("ctht-api")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - not installed
        return "unknown"


# ---------------------------------------------------------------- export


@contextmanager
def _snapshot():
    """One consistent, read-only view of the database for the whole export."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def export_record(out: IO[str]) -> dict[str, int]:
    """Write the whole record to the text stream `out`; return the row count per model."""
    with _snapshot():
        plan = [(model, columns(model)) for model in record_models()]
        counts = {model._meta.label_lower: model._base_manager.count() for model, _ in plan}
        header = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "exported_at": timezone.now().astimezone(datetime.UTC).isoformat(),
            "app_version": app_version(),
            "counts": counts,
        }
        out.write(
            "{\n" + "".join(f" {json.dumps(k)}: {json.dumps(v)},\n" for k, v in header.items())
        )
        out.write(' "models": {')
        for index, (model, cols) in enumerate(plan):
            label = model._meta.label_lower
            out.write(("," if index else "") + f"\n  {json.dumps(label)}: [")
            names = [c.name for c in cols]
            rows = (
                model._base_manager.order_by(model._meta.pk.name)
                .values_list(*(c.lookup for c in cols))
                .iterator(chunk_size=CHUNK)
            )
            for n, values in enumerate(rows):
                row = dict(zip(names, map(_plain, values), strict=True))
                out.write(("," if n else "") + "\n   " + json.dumps(row, ensure_ascii=False))
            out.write("\n  ]")
        out.write("\n }\n}\n")
    return counts


def export_to(path: str, stdout: IO[str]) -> dict[str, int]:
    """Export to `path` (gzip if it ends in .gz; `-` is `stdout`), replacing it only when done."""
    if path == "-":
        return export_record(stdout)
    directory = os.path.dirname(os.path.abspath(path))
    fd, partial = tempfile.mkstemp(prefix=".export-", suffix=".part", dir=directory)
    try:
        os.close(fd)
        opener = gzip.open if path.endswith(".gz") else open
        with opener(partial, "wt", encoding="utf-8") as text:
            counts = export_record(text)
        os.replace(partial, path)
    except BaseException:
        os.unlink(partial)
        raise
    return counts


# ---------------------------------------------------------------- reading


class _Counting:
    """A binary reader that knows how many bytes were read (to say where a file ends),
    and refuses to read on once the piece being parsed outgrows its limit.

    The parser hands over a value only once it is complete, so a 200 MB string
    would be buffered whole before any check on it could run. The reader sees
    the bytes as they come: the walk over the events says where each piece
    (header value, row) starts (`watch`), and a read that takes the piece past
    its limit stops the import there, however the bytes are spent (one string,
    a long array, whitespace).
    """

    def __init__(self, raw: IO[bytes]):
        self.raw, self.position = raw, 0
        self.start, self.limit, self.piece = 0, MAX_HEADER_VALUE_BYTES, "the header"

    def watch(self, piece: str, limit: int) -> None:
        """From here on, the bytes belong to `piece`, which may not exceed `limit`."""
        self.start, self.limit, self.piece = self.position, limit, piece

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.position += len(data)
        if self.position - self.start > self.limit:
            raise BackupError(
                f"{self.piece} is larger than {self.limit // 1024 // 1024} MiB "
                f"(at byte {self.position}): not an export (see the limits in "
                "docs/backup-format.md)"
            )
        return data


@dataclass
class Header:
    format_version: int
    counts: dict[str, int]
    exported_at: str = ""
    app_version: str = ""


@dataclass
class _Parse:
    """What the reader found so far (and where), to word its errors."""

    reader: _Counting
    label: str = ""
    row: int = 0
    rows_seen: dict[str, int] = field(default_factory=dict)


def _open(path: str) -> IO[bytes]:
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by the caller
    except OSError as error:
        raise BackupError(f"cannot read the file: {error.strerror}") from None
    if raw.read(2) == b"\x1f\x8b":
        raw.seek(0)
        return gzip.open(raw, "rb")
    raw.seek(0)
    return raw


def read_export(path: str) -> Iterator[Header | tuple[str, int, dict | None]]:
    """The header, then each (model label, row number from 1, row) of the file at `path`,
    each section announced by (label, 0, None).

    Raises BackupError for anything that is not a complete, well-formed export
    of a format version this code reads; rows are not checked here.
    """
    with _open(path) as raw:
        reader = _Counting(raw)
        state = _Parse(reader)
        try:
            # basic_parse, not parse: parse builds each event's path from the root,
            # which on a deeply nested value costs memory in the square of its depth.
            yield from _events(ijson.basic_parse(reader, use_float=True), state)
        except ijson.IncompleteJSONError as error:
            reason = str(error).splitlines()[0] if str(error) else "invalid JSON"
            if "premature EOF" in reason:
                raise BackupError(
                    f"truncated: unexpected end of JSON at byte {reader.position}"
                    + (f" (in {state.label}, after row {state.row})" if state.label else "")
                ) from None
            raise BackupError(f"not valid JSON: {reason}") from None
        except (EOFError, gzip.BadGzipFile, OSError) as error:
            raise BackupError(f"truncated or damaged gzip file: {error}") from None
        except UnicodeDecodeError:
            raise BackupError("not UTF-8 JSON") from None


def _events(events, state: _Parse) -> Iterator[Header | tuple[str, int, dict]]:
    """Walk ijson's events: the header keys first, then the rows of each section."""
    header: dict[str, Any] = {}
    if next(events, None) != ("start_map", None):
        raise BackupError("not a CTHT export: the file is not a JSON object")
    had_models = False
    # Each value is read whole below, so every event here is a top-level key or the end.
    for event, value in events:
        if event != "map_key":
            continue  # the end of the top-level object
        if value == "models":
            if "counts" not in header or "format_version" not in header:
                raise BackupError("not a CTHT export: no format_version and counts before models")
            had_models = True
            yield Header(
                header["format_version"],
                header["counts"],
                str(header.get("exported_at", "")),
                str(header.get("app_version", "")),
            )
            yield from _sections(events, state)
            continue
        if not header and value != "format":
            raise BackupError("not a CTHT export: the first key is not 'format'")
        state.reader.watch(f"the header value {value[:40]!r}", MAX_HEADER_VALUE_BYTES)
        if value not in HEADER_KEYS:
            _skip(events)  # documented as ignored: not built, whatever it holds
            continue
        header[value] = _value(events, value)
        _check_header(value, header[value])
    if not had_models:
        raise BackupError("not a CTHT export: no 'models'")


def _value(events, key: str, first: tuple[str, Any] | None = None) -> Any:
    """The complete value that starts with `first` (an event already read) or the next event."""
    builder = ijson.ObjectBuilder()
    depth = 0
    for event, value in itertools.chain([first] if first else [], events):
        builder.event(event, value)
        if event in ("start_map", "start_array"):
            depth += 1
            if depth > MAX_DEPTH:
                raise BackupError(f"{key}: nested deeper than {MAX_DEPTH} levels: not an export")
        elif event in ("end_map", "end_array"):
            depth -= 1
        if depth == 0:
            return builder.value
    raise BackupError(f"truncated: unexpected end of JSON in {key!r}")  # pragma: no cover


def _skip(events) -> None:
    """Pass over the next complete value without building it."""
    depth = 0
    for event, _ in events:
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
        if depth == 0:
            return


def _check_header(key: str, value: Any) -> None:
    if key == "format" and value != FORMAT:
        raise BackupError(f"not a CTHT export: format is {json.dumps(value)[:60]}, not {FORMAT}")
    if key == "format_version":
        if type(value) is not int or value < 1:
            raise BackupError(f"format_version {json.dumps(value)[:20]} is not a version number")
        if value > FORMAT_VERSION:
            raise BackupError(
                f"format_version {value} is newer than this server supports ({FORMAT_VERSION})"
            )
    if key == "counts" and not (
        isinstance(value, dict) and all(type(n) is int and n >= 0 for n in value.values())
    ):
        raise BackupError("counts must be an object of model labels and row counts")


def _sections(events, state: _Parse) -> Iterator[tuple[str, int, dict]]:
    event, _ = next(events, (None, None))
    if event != "start_map":
        raise BackupError("models must be an object of model labels and lists of rows")
    state.label = "?"
    for event, value in events:
        if event == "end_map":  # each section is read whole: this is the end of models
            return
        if event != "map_key":  # pragma: no cover - yajl guarantees keys here
            raise BackupError("models must be an object")
        label = value
        state.reader.watch(f"the section name {label[:40]!r}", MAX_ROW_BYTES)
        if label in state.rows_seen:
            raise BackupError(f"{label} appears twice")
        state.label, state.row = label, 0
        state.rows_seen[label] = 0
        event, _ = next(events, (None, None))
        if event != "start_array":
            raise BackupError(f"{label} must be a list of rows")
        yield label, 0, None  # the section starts, even if it is empty
        for event, value in events:
            if event == "end_array":
                break
            state.row += 1
            state.reader.watch(f"{label} row {state.row}", MAX_ROW_BYTES)
            if event != "start_map":
                raise BackupError(f"{label} row {state.row}: not an object")
            row = _value(events, label, first=(event, value))
            state.rows_seen[label] = state.row
            yield label, state.row, row


# ---------------------------------------------------------------- import


@dataclass
class Plan:
    """What pass 1 learnt: the header, the models to write, and the users to find."""

    header: Header
    models: list[tuple[type[models.Model], list[Column]]]
    usernames: set[str]


def record_is_empty() -> list[str]:
    """The labels of the record models that hold rows in the target (empty: none)."""
    return [
        model._meta.label_lower
        for model in record_models()
        if model._meta.label_lower not in REFERENCE_MODELS and model._base_manager.exists()
    ]


def validate(path: str) -> Plan:
    """Pass 1: check the whole file without writing; BackupError names the first problem."""
    plan_models = [(model, columns(model)) for model in record_models()]
    by_label = {model._meta.label_lower: (model, cols) for model, cols in plan_models}
    targets = {c.target for _, cols in plan_models for c in cols if c.target}
    country = apps.get_model("people", "Country")
    keys: dict[str, set] = {label: set() for label in targets}
    keys["people.country"] = set(country._base_manager.values_list("pk", flat=True))
    pending: list[tuple[str, int, str, str, Any]] = []  # references to rows not read yet
    usernames: set[str] = set()
    user_model = get_user_model()
    username_field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    seen: dict[str, int] = {}
    header = None
    for item in read_export(path):
        if isinstance(item, Header):
            header = item
            unknown = sorted(set(header.counts) - set(by_label))
            missing = sorted(
                set(by_label) - set(header.counts) - added_after(header.format_version)
            )
            if unknown:
                raise BackupError(f"unknown model {unknown[0]} in counts")
            if missing:
                raise BackupError(f"no count for {missing[0]}: not a complete export")
            continue
        label, number, row = item
        if label not in by_label:
            raise BackupError(f"unknown model {label}")
        if row is None:
            needed = {c.target for c in by_label[label][1] if c.target not in (None, label)}
            for target in sorted(needed - set(seen) - REFERENCE_MODELS):
                raise BackupError(f"{label} comes before {target}, which it refers to")
            seen[label] = 0
            continue
        seen[label] += 1
        model, cols = by_label[label]
        unknown_fields = sorted(set(row) - {c.name for c in cols})
        if unknown_fields:
            raise BackupError(f"{label} row {number}: unknown field {unknown_fields[0]!r}")
        pk_name = model._meta.pk.name
        for col in cols:
            if col.name not in row:
                if col.added > header.format_version:
                    continue  # not written yet: read as its default (_Section.add)
                raise BackupError(f"{label} row {number}: missing field {col.name!r}")
            try:
                col.check(row[col.name])
            except ValidationError as error:
                raise BackupError(
                    f"{label} row {number}: field {col.name!r}: {error.messages[0]}"
                ) from None
            value = row[col.name]
            if col.kind == "user" and value is not None and value not in usernames:
                try:
                    username_field.run_validators(value)
                except ValidationError as error:
                    raise BackupError(
                        f"{label} row {number}: history_user {value!r}: {error.messages[0]}"
                    ) from None
                usernames.add(value)
            elif col.target and value is not None:
                if col.target == label and value not in keys[label]:
                    pending.append((label, number, col.name, col.target, value))
                elif col.target != label and value not in keys[col.target]:
                    raise _missing(label, number, col.name, col.target, value)
        if label in keys:
            pk = row[pk_name]
            if label in REFERENCE_MODELS:
                if pk not in keys[label]:
                    raise BackupError(
                        f"{label} row {number}: {pk!r} is not in this database's reference data"
                    )
            elif pk in keys[label]:
                raise BackupError(f"{label} row {number}: {pk_name} {pk!r} appears twice")
            keys[label].add(pk)
    if header is None:  # pragma: no cover - read_export refuses this first
        raise BackupError("not a CTHT export: no models")
    for label, number, name, target, value in pending:
        if value not in keys[target]:
            raise _missing(label, number, name, target, value)
    for label, expected in header.counts.items():
        if seen.get(label, 0) != expected:
            raise BackupError(
                f"{label}: {seen.get(label, 0)} rows, but counts says {expected}"
                + ("" if label in seen else " (its section is missing)")
            )
    return Plan(header, plan_models, usernames)


def _missing(label: str, number: int, name: str, target: str, value: Any) -> BackupError:
    return BackupError(f"{label} row {number}: {name} {value!r} is not a row of {target}")


def _users(usernames: set[str]) -> tuple[dict[str, Any], list[str]]:
    """The user id of each username; the missing ones created inactive, unable to sign in."""
    user_model = get_user_model()
    field_name = user_model.USERNAME_FIELD
    found = dict(
        user_model._default_manager.filter(**{f"{field_name}__in": usernames}).values_list(
            field_name, "pk"
        )
    )
    created = sorted(usernames - set(found))
    for username in created:
        user = user_model(**{field_name: username}, is_active=False)
        user.set_unusable_password()
        user.save()
        found[username] = user.pk
    return found, created


def _insert(model, cols: list[Column], rows: list[dict], users: dict[str, Any]) -> None:
    """INSERT `rows` as they are: no save(), no signals, no audit trail."""
    quote = connection.ops.quote_name
    derived = DERIVED_FIELDS.get(model._meta.label_lower, set())
    extra = [f for f in model._meta.concrete_fields if f.name in derived]
    names = [c.field.column for c in cols] + [f.column for f in extra]
    derive = _search_documents if extra else None
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, names))}) "
        f"VALUES ({', '.join(['%s'] * len(names))})"
    )
    # Dates and times need the backend's form; plain JSON values go in as they are.
    prepare = [col.kind in ("date", "datetime") for col in cols]
    params = []
    for row in rows:
        values = []
        for col, needs_prep in zip(cols, prepare, strict=True):
            value = col.check(row.get(col.name))
            if col.kind == "user" and value is not None:
                value = users[value]
            elif needs_prep:
                value = col.field.get_db_prep_save(value, connection)
            values.append(value)
        params.append(values)
    if derive is not None:
        for values, derived_values in zip(params, derive(rows), strict=True):
            values.extend(derived_values)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: several times faster than INSERTs
            columns = ", ".join(map(quote, names))
            with (
                connection.wrap_database_errors,  # psycopg's errors as Django's
                cursor.cursor.copy(
                    f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
                ) as copy,
            ):
                for values in params:
                    copy.write_row(values)
        else:
            cursor.executemany(sql, params)


def _reset_sequences(record: list[type[models.Model]]) -> None:
    """Move each id sequence past the largest id used: in the table, or in its history.

    The history counts too: an entry deleted before the export left only its
    history, and a new entry must not take its id (and inherit its history).
    """
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), record):
            cursor.execute(statement)
        for model in record:
            if not is_entry(model):
                continue
            history_model, _ = history_tables(model)
            table, pk = model._meta.db_table, model._meta.pk.column
            cursor.execute(f"SELECT MAX({quote(pk)}) FROM {quote(history_model._meta.db_table)}")
            (highest,) = cursor.fetchone()
            if highest is None:
                continue
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), "
                    f"GREATEST(%s, (SELECT COALESCE(MAX({quote(pk)}), 0) FROM {quote(table)})))",
                    [table, pk, highest],
                )
            elif connection.vendor == "sqlite":
                cursor.execute(
                    "DELETE FROM sqlite_sequence WHERE name = %s AND seq < %s", [table, highest]
                )
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) SELECT %s, %s "
                    "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = %s)",
                    [table, highest, table],
                )


def _search_documents(rows: list[dict]) -> list[list[str]]:
    """The `search_document` of statement rows about to be inserted, before translations.

    The speakers and events are in the database already (their sections come
    first); the statements that have translations are completed after the load
    by `_add_translations_to_search_documents`.
    """

    names = dict(
        Person._base_manager.filter(pk__in={row["speaker"] for row in rows}).values_list(
            "pk", "full_name"
        )
    )
    titles = dict(
        Event._base_manager.filter(pk__in={row.get("event") for row in rows} - {None}).values_list(
            "pk", "title"
        )
    )
    return [
        [
            statement_search_document(
                text=row["text"],
                speaker_name=names[row["speaker"]],
                event_title=titles[row["event"]] if row.get("event") else None,
            )
        ]
        for row in rows
    ]


def _add_translations_to_search_documents() -> None:
    """Add the translations to translated statements' `search_document` (as the model does)."""

    ids = (
        StatementTranslation._base_manager.order_by("statement_id")
        .values_list("statement_id", flat=True)
        .distinct()
    )
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(Statement._meta.db_table)} SET {quote('search_document')} = %s "
        f"WHERE {quote('id')} = %s"
    )
    batch: list[int] = []

    def flush():
        translations: dict[int, list[tuple[str, str]]] = {pk: [] for pk in batch}
        for statement_id, language, text in StatementTranslation._base_manager.filter(
            statement_id__in=batch
        ).values_list("statement_id", "language", "text"):
            translations[statement_id].append((language, text))
        changed = [
            (
                statement_search_document(
                    text=text,
                    speaker_name=speaker,
                    event_title=event,
                    translations=translations[pk],
                ),
                pk,
            )
            for pk, text, speaker, event in Statement._base_manager.filter(
                pk__in=batch
            ).values_list("pk", "text", "speaker__full_name", "event__title")
        ]
        # A plain UPDATE of one column: no save(), so no new version, no updated_at,
        # no history record.
        with connection.cursor() as cursor:
            cursor.executemany(sql, changed)
        batch.clear()

    for pk in ids.iterator(chunk_size=CHUNK):
        batch.append(pk)
        if len(batch) >= CHUNK:
            flush()
    if batch:
        flush()


def _invalid(label: str, number: int | None, pk: Any, error: ValidationError) -> BackupError:
    """One line naming the row, its id, the field and what is wrong, in the API's words."""
    where = f"{label} row {number}" if number else label
    if hasattr(error, "error_dict"):
        name, messages = next(iter(error.message_dict.items()))
        problem = messages[0] if name == NON_FIELD_ERRORS else f"{name}: {messages[0]}"
    else:
        problem = error.messages[0]
    return BackupError(f"{where} (id {pk}): {problem}")


class _Section:
    """Writes one model's rows, in batches, after the checks the API runs on an entry.

    Entries get what `full_clean()` does for the API and the admin, split in two
    because the models' `clean()` reads related rows (a statement's position, a
    translation's statement, an institution's ancestors), which are only in the
    database once written, and may come later in the same section (a parent
    institution with a larger id):

    * before a batch is written, each row becomes an instance whose fields are
      checked with their validators (`clean_fields`: language tags against the
      registry, blank text, choices, lengths), and the cleaned values are the
      ones written (`sr-latn` is stored as `sr-Latn`, as the API stores it);
    * once the whole section is written, each entry is read back with its
      related rows (one query per batch) and its `clean()` runs.

    Either refusal rolls back the import's one transaction. Foreign keys are
    left out of `clean_fields` (pass 1 checked them against the file, where
    Django would query once per field and row); unique and check constraints
    are left to the database, which checks each in one pass over the table
    (`validate_unique` and `validate_constraints` would query once per row and
    constraint; every check constraint has a validator twin, see
    ctht_api/models.py). History rows and link tables are restored as they
    are: history records what was, under the rules of its day.
    """

    def __init__(self, label: str, model, cols: list[Column], users: dict[str, Any]):
        self.label, self.model, self.cols, self.users = label, model, cols, users
        self.entry = is_entry(model)
        self.checked = [c for c in cols if not c.field.is_relation]
        names = {c.name for c in self.checked}
        self.skip = [f.name for f in model._meta.concrete_fields if f.name not in names]
        self.numbers: dict[Any, int] = {}  # primary key → row number, for clean()'s messages
        self.batch: list[dict] = []

    def add(self, number: int, row: dict) -> None:
        for col in self.cols:  # only a column added after the file's version (pass 1)
            if col.name not in row:
                row[col.name] = col.field.get_default()
        if self.entry:
            self._clean_fields(number, row)
        self.batch.append(row)
        if len(self.batch) >= CHUNK:
            self._write()

    def finish(self) -> None:
        self._write()
        if self.entry and self.model.clean is not models.Model.clean:
            self._clean()

    def _write(self) -> None:
        if self.batch:
            _insert(self.model, self.cols, self.batch, self.users)
            self.batch = []

    def _clean_fields(self, number: int, row: dict) -> None:
        pk_name = self.model._meta.pk.name
        values = {c.field.attname: c.check(row.get(c.name)) for c in self.checked}
        instance = self.model(**values)
        try:
            instance.clean_fields(exclude=self.skip)
        except ValidationError as error:
            raise _invalid(self.label, number, row.get(pk_name), error) from None
        for col in self.checked:
            if col.kind == "str":
                row[col.name] = getattr(instance, col.field.attname)
        self.numbers[row.get(pk_name)] = number

    def _clean(self) -> None:
        """Each entry's `clean()`, its related rows attached from a cache filled in bulk.

        Many statements share a speaker, a position, an event: loading each related
        row once (select_related would build it again for every statement) keeps
        this pass at about the cost of reading the table.
        """
        relations = [
            f
            for f in self.model._meta.concrete_fields
            if f.is_relation and f.related_model is not get_user_model()
        ]
        cache: dict[str, dict] = {f.name: {} for f in relations}
        entries = self.model._base_manager.order_by("pk").iterator(chunk_size=CHUNK)
        while chunk := list(itertools.islice(entries, CHUNK)):
            for f in relations:
                known = cache[f.name]
                if len(known) > 5 * CHUNK:  # a cache, not a copy of the table
                    known.clear()
                wanted = {getattr(i, f.attname) for i in chunk} - known.keys() - {None}
                if wanted:
                    known.update(
                        f.related_model._base_manager.in_bulk(
                            wanted, field_name=f.target_field.name
                        )
                    )
            for instance in chunk:
                for f in relations:
                    value = getattr(instance, f.attname)
                    if value is not None:
                        f.set_cached_value(instance, cache[f.name][value])
                try:
                    instance.clean()
                except ValidationError as error:
                    number = self.numbers.get(instance.pk)
                    raise _invalid(self.label, number, instance.pk, error) from None


@dataclass
class Result:
    counts: dict[str, int]
    created_users: list[str]
    header: Header


def import_from(path: str) -> Result:
    """Restore the export at `path` into an empty record, all or nothing."""
    busy = record_is_empty()
    if busy:
        raise BackupError(
            f"the target database already holds a record ({busy[0]} has rows): "
            "import_data only restores into an empty database (migrate a new one)"
        )
    plan = validate(path)
    written = dict.fromkeys(plan.header.counts, 0)
    try:
        with transaction.atomic():
            users, created = _users(plan.usernames)
            by_label = {model._meta.label_lower: (model, cols) for model, cols in plan.models}
            section = None
            for item in read_export(path):
                if isinstance(item, Header):
                    continue
                label, number, row = item
                if row is None:
                    continue
                if section is None or section.label != label:
                    if section is not None:
                        section.finish()
                    section = _Section(label, *by_label[label], users)
                written[label] += 1
                if label not in REFERENCE_MODELS:
                    section.add(number, row)
            if section is not None:
                section.finish()
            _reset_sequences([model for model, _ in plan.models])
            connection.check_constraints()
            _add_translations_to_search_documents()
            # Every restored entry into a new change feed, whose new epoch makes
            # mirrors of the old database re-sync (410) rather than resume.
            feed.restart()
    except DatabaseError as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        raise BackupError(f"the database refused the data: {message}") from None
    # The cached counts are retired now and on commit (see events/record_version.py).
    record_changed()
    return Result(written, created, plan.header)


def spool_stdin(stdin: IO[bytes]) -> str:
    """Copy standard input to a temporary file (the import reads its file twice)."""
    fd, path = tempfile.mkstemp(prefix="ctht-import-", suffix=".json")
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(stdin, out)
    return path
