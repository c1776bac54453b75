"""CSV of every list: `?format=csv` or `Accept: text/csv`, every matching row, streamed.

A list answers CSV with the rows its JSON pages hold, all of them, in the
same order and under the same filters and visibility: the view's own
`get_queryset()` and `filter_queryset()` choose them, a keyset list's
paginator orders them (`KeysetPagination.order_queryset`, the order of its
pages), and the view's own serializer writes each row, so a CSV row is the
JSON entry flattened. The paging parameters (`page`, `page_size`, `cursor`,
`count`) do not apply to it. On PostgreSQL a statement list flattens in the
query instead (events.statement_csv: the same cells, the rows handed to the
writer as they are read).

**Streamed, in constant memory.** The rows are read with
`QuerySet.iterator(chunk_size=CSV_CHUNK_SIZE)`: on PostgreSQL a server-side
cursor, on SQLite the driver's own stepwise fetch (a statement list's cells on
PostgreSQL: a server-side cursor over events.statement_csv's query, `fetchmany`
per chunk, the rows handed to the writer as they are). The whole read runs in one
transaction (`rows_in_one_transaction`), opened in the view and closed when the
last row is sent or the download is abandoned: in autocommit Django would
declare the cursor `WITH HOLD`, which PostgreSQL fills with the entire result
before handing over the first row (tens of seconds and a temporary file for a
million statements); inside a transaction the cursor streams from the plan
(planned for a fast start) and the export is one consistent snapshot. Each
chunk (its `prefetch_related` lookups included, one query per chunk) is
serialised at once (or, for those cells, taken as it is), written through
`csv.writer` into a small buffer, and handed to the server before the next
chunk is read. The first chunk is read
inside the view, so a failing query is still answered with a problem
document; after that the status line is sent and a failure can only cut the
download short. The generator runs after the view has returned, on the
request's database connection, which Django closes only when the response
is closed (`request_finished`). No middleware of the project reads a
streamed body (CommonMiddleware skips `Content-Length`; there is no GZip or
ETag middleware, and `finalize_response` in ctht_api.concurrency tags
entries, never lists). gunicorn's WSGI workers stream it as it is made;
under ASGI Django would gather a synchronous iterator whole before sending.

Why not djangorestframework-csv: its `CSVStreamingRenderer` is a renderer,
so it receives `serializer.data`, the whole list serialised in memory; it
wraps anything that is not a list into a one-element list (a generator
included), flattens every row before writing the first, and takes its
header from the union of the keys of all rows (`tablize`), with nested lists
as numbered columns (`countries.0`, `countries.1`) that change with the
data. Here the columns come from the serializer, before any row is read.

**Columns** (`columns_for`), in the serializer's field order:

- a plain value: one column, the field's name;
- a related entry in brief form (`speaker`): `<field>_id`, then its display
  field under its own name (`speaker_full_name`, `institution_name`,
  `event_title`), then any other brief key (`institution_country`). Its `url`
  is left out: the id names it, and the entry's own `url` column stays;
- another nested object (`display`): `<field>_<key>` for each of its keys;
- a list of codes or slugs (`countries`, `topics`): one cell, `;`-joined;
  a list of related entries (`organisers`): their ids, `;`-joined (names
  may hold `;`, ids cannot);
- a list of objects that are not entries (a statement's `translations`,
  `{language, text, kind}`; the `other_names` of people, institutions,
  positions, programmes and events, `{name, language, note}`; the
  `identifiers` of people, institutions, events, programmes and documents,
  `{scheme, identifier}`): one cell
  holding the list as JSON text, so nothing is lost and `json.loads` reads it
  back.

**Cells**: null and an empty list are empty cells; booleans are `true` and
`false`, as in the JSON; dates and timestamps as in the JSON; an object or
list in a field no rule above flattens (a method field) is its JSON text. A text cell
beginning with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading
`'` (a spreadsheet would otherwise run it as a formula).

**Encoding**: UTF-8 with a byte-order mark (without it Excel reads UTF-8 as
the local code page and turns Tanić into TaniÄ‡; Python's `utf-8-sig` and
pandas skip it), RFC 4180 quoting and `\\r\\n` line ends, `Content-Type:
text/csv; charset=utf-8` and `Content-Disposition: attachment;
filename="statements-2026-11-30.csv"`: the list's path after `/api/v1/`,
`/` as `-` (`events-12-statements-…` for a nested list), and today's date (UTC).

**Errors stay problem documents.** CSV is offered on list actions only: a
detail, a write or `{id}/history/` asked for `format=csv` (or any format it
does not offer) answers 400 naming `format` and the formats it offers (the
query-parameter check, ctht_api.params), and `Accept: text/csv` there gets
DRF's 406. A list
that fails before streaming (a bad filter, 401, 404, 429) renders its
problem document as JSON (`CSVRenderer.render`).
"""

import csv
import io
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

from django.conf import settings
from django.db import connections
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField
from rest_framework.renderers import BaseRenderer
from rest_framework.settings import api_settings

from ctht_api.db_router import reads_from, reads_on
from ctht_api.serializers import BriefRelatedField

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class Column:
    """One CSV column: its header, and how to read its value from a JSON row."""

    header: str
    value: Callable[[dict], object]


def plain(name: str) -> Column:
    return Column(name, lambda row: row.get(name))


def part(name: str, key: str) -> Column:
    """`<name>_<key>`: one key of a nested object (null when the object is)."""
    return Column(f"{name}_{key}", lambda row: (row.get(name) or {}).get(key))


def joined(name: str, key: str | None = None) -> Column:
    """A list as one `;`-joined cell: its items, or each item's `key`."""

    def value(row: dict) -> str:
        items = row.get(name) or []
        return LIST_SEPARATOR.join(str(item[key] if key else item) for item in items)

    return Column(name, value)


def as_json(name: str) -> Column:
    """A list of objects as its JSON text (empty for an empty list)."""

    def value(row: dict) -> str | None:
        items = row.get(name)
        return json.dumps(items, ensure_ascii=False, separators=(",", ":")) if items else None

    return Column(name, value)


def brief(name: str, display: str, extra: Iterable[str] = ()) -> list[Column]:
    """A related entry in brief form: `<name>_id`, `<name>_<display>`, then its extra keys."""
    return [part(name, key) for key in ("id", display, *extra)]


def field_columns(name: str, field: serializers.Field) -> list[Column]:
    """The columns one serializer field becomes (see the module docstring)."""
    if isinstance(field, ManyRelatedField):
        related = isinstance(field.child_relation, BriefRelatedField)
        return [joined(name, "id" if related else None)]
    if isinstance(field, BriefRelatedField):
        return brief(name, field.display, field.extra)
    if isinstance(field, serializers.ListSerializer | serializers.DictField):
        return [as_json(name)]
    if isinstance(field, serializers.ListField):
        child = field.child
        if isinstance(child, serializers.Serializer | serializers.DictField):
            return [as_json(name)]
        return [joined(name)]
    if isinstance(field, serializers.Serializer):
        return [part(name, key) for key, sub in field.fields.items() if not sub.write_only]
    if isinstance(field, serializers.JSONField):
        return [as_json(name)]
    return [plain(name)]


def columns_for(serializer: serializers.Serializer) -> list[Column]:
    """The columns of a serializer's rows, in its field order; not `display` (the entry in
    the client's language, ctht_api.languages): a CSV row is the record itself."""
    return [
        column
        for name, field in serializer.fields.items()
        if not field.write_only and not getattr(field, "omitted_unless_asked", False)
        for column in field_columns(name, field)
    ]


def cell(value) -> str:
    """A JSON value as CSV text, guarded against formula injection."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):  # a structure no column flattened: its JSON, not a repr
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def flatten(row: dict, columns: Sequence[Column]) -> list[str]:
    """One JSON row as the cells of a CSV line."""
    return [cell(column.value(row)) for column in columns]


def csv_lines(
    rows: Iterable,
    columns: Sequence[Column],
    *,
    rows_per_piece: int | None = None,
    cells: bool = False,
) -> Iterator[bytes]:
    """The BOM and header, then the rows, as UTF-8 pieces of `rows_per_piece` rows each.

    `rows` are JSON rows, flattened under `columns`; with `cells`, they are already the
    cells of `columns`, in order (text, numbers or None: events.statement_csv).
    One small buffer, emptied after each piece: memory holds one piece, never the file.
    `rows` is closed when the download ends or is abandoned (its transaction with it).
    """
    return closing_rows(_csv_lines(rows, columns, rows_per_piece, cells), rows)


def closing_rows(pieces: Iterator[bytes], rows: Iterable) -> Iterator[bytes]:
    """`pieces` of a download made from `rows`; `rows` closed when the download ends or is
    abandoned (the server closes the response), so its transaction ends with it
    (`rows_in_one_transaction`). Any streamed export made of rows uses it (ctht_api.popolo)."""
    try:
        yield from pieces
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


def _csv_lines(
    rows: Iterable, columns: Sequence[Column], rows_per_piece: int | None, cells: bool
) -> Iterator[bytes]:
    rows_per_piece = rows_per_piece or settings.CSV_CHUNK_SIZE
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def piece() -> bytes:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode("utf-8")

    buffer.write(BOM)
    writer.writerow([column.header for column in columns])
    yield piece()
    rows = iter(rows)
    while batch := list(islice(rows, rows_per_piece)):
        writer.writerows(batch if cells else (flatten(row, columns) for row in batch))
        yield piece()


def csv_filename(request, extension: str = "csv") -> str:
    """`statements-2026-11-30.csv`: the list's path after the version, and today's date
    (`export-popolo-2026-11-30.json` for another `extension`)."""
    path = re.sub(r"^/api/v[0-9]+/", "", request.path_info).strip("/")
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", path) or "list"
    return f"{name}-{timezone.localdate().isoformat()}.{extension}"


def csv_response(
    rows: Iterable,
    columns: Sequence[Column],
    filename: str,
    *,
    rows_per_piece: int | None = None,
    cells: bool = False,
    head: bool = False,
) -> StreamingHttpResponse:
    """A streamed CSV download of `rows` (JSON rows, read lazily) under `columns`; with
    `cells`, rows already flattened (`csv_lines`). With `head` (a `HEAD` request), the
    same headers and no body: `rows` is closed at once (its transaction with it), since
    a WSGI server reads the whole body of a `HEAD` answer only to throw it away
    (gunicorn does, and logs a warning for each piece).

    Reusable by any list of dicts (the statistics, say): build its columns with
    `plain`, `brief`, `joined` or `columns_for`.
    """
    if head:
        getattr(rows, "close", lambda: None)()
        content = iter(())
    else:
        content = csv_lines(rows, columns, rows_per_piece=rows_per_piece, cells=cells)
    response = StreamingHttpResponse(content, content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def chunks(entries, size: int) -> Iterator[list]:
    """Entries `size` at a time; a queryset through `iterator(chunk_size)` (a server-side
    cursor on PostgreSQL, `prefetch_related` done per chunk)."""
    if isinstance(entries, QuerySet):
        entries = entries.iterator(chunk_size=size)
    entries = iter(entries)
    while batch := list(islice(entries, size)):
        yield batch


def connection_idle(connection) -> bool:
    """Whether no query holds `connection` (a DB-API connection) now: psycopg's lock is
    free. (SQLite's has none: a query there never calls back into Python code.)"""
    lock = getattr(connection, "lock", None)
    if lock is None:
        return True
    if not lock.acquire(blocking=False):
        return False
    lock.release()
    return True


def rows_in_one_transaction(
    batches: Iterator[list], serialise: Callable[[list], Iterable[dict]]
) -> Iterator[dict | None]:
    """The serialised rows of every batch, read in one transaction (module docstring).

    Primed: the first `next()` opens the transaction, reads the first batch and yields
    None; the rows follow. Closing the generator (the download ends or is abandoned;
    `csv_lines` closes it) commits and turns autocommit back on.

    Not `transaction.atomic()`: an atomic block left open across the view's return
    would nest wrongly with any block opened and closed meanwhile. Autocommit turned
    off is a connection state instead: should the response never be closed, Django
    closes a connection left out of autocommit when the request finishes. Inside an
    outer transaction (a test's) there is nothing to open: the cursor is not held.

    With read replicas, the transaction is opened on the database the request reads
    from, and every batch is read there, the later ones too (after the request's
    context has ended): one snapshot of one database.
    """
    # The database the request reads from (a replica, ctht_api/db_router.py), chosen
    # now: later batches are read after the view has returned, outside its context.
    alias = reads_from()
    database = connections[alias]  # this thread's; `connection` is a proxy
    owner = threading.get_ident()
    manage = database.get_autocommit()  # connects: `database.connection` is set
    opened = database.connection
    block = database.atomic_blocks[-1] if database.atomic_blocks else None

    def still_open() -> bool:
        """Still this download's thread, connection and transaction. A generator dropped
        unclosed is finalised by the garbage collector later, maybe on another thread,
        or on this one inside another request's (or test's) transaction, where neither
        a commit nor closing a cursor (a `CLOSE` of one that ended with its own
        transaction aborts the current one) may run: the transaction that was this
        download's has ended by itself (Django closes a connection left out of
        autocommit when the request finishes; a test's rolls back). Nor while a query
        holds the connection: finalised from inside one, on this thread (psycopg holds
        the connection's lock while it sends a query), closing the cursor would wait on
        that lock forever."""
        return (
            threading.get_ident() == owner
            and database.connection is opened
            and (database.atomic_blocks[-1] if database.atomic_blocks else None) is block
            and (not manage or not database.get_autocommit())
            and connection_idle(opened)
        )

    def next_rows() -> list | None:
        with reads_on(alias):
            batch = next(batches, None)
            return None if batch is None else list(serialise(batch))

    if manage:
        database.set_autocommit(False)
    try:
        first = next_rows() or []
        yield None
        yield from first
        while (rows := next_rows()) is not None:
            yield from rows
    finally:
        if still_open():
            try:
                # The batches' cursor closed now, inside the transaction (their own close
                # never runs when dropped: events.statement_csv.CSVBatches).
                getattr(batches, "close", lambda: None)()
            finally:
                if manage:
                    try:
                        database.commit()  # nothing to keep, but a middleware may have written
                    finally:
                        database.set_autocommit(True)


class CSVRenderer(BaseRenderer):
    """`text/csv`, offered on list actions (`CSVListMixin`).

    A CSV list is streamed by the view and never passes through a renderer;
    what does reach `render` is an error raised before streaming, whose
    problem document stays JSON (the exception handler has already set its
    `application/problem+json` content type).
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        json_renderer = api_settings.DEFAULT_RENDERER_CLASSES[0]()
        return json_renderer.render(data, json_renderer.media_type, renderer_context)


def wants_csv(request) -> bool:
    return isinstance(getattr(request, "accepted_renderer", None), CSVRenderer)


class CSVListMixin:
    """For a view with a `list` action: CSV of every matching row, streamed.

    Everything comes from the view's hooks: `get_queryset` (visibility),
    `filter_queryset` (filters and `ordering`), the paginator's
    `order_queryset` where the order belongs to it (keyset lists), and
    `get_serializer` (the row itself).
    """

    def get_renderers(self):
        renderers = super().get_renderers()
        if getattr(self, "action", None) == "list":
            renderers.append(CSVRenderer())
        return renderers

    def list(self, request, *args, **kwargs):
        if not wants_csv(request):
            return super().list(request, *args, **kwargs)
        queryset = self.filter_queryset(self.get_queryset())
        order_queryset = getattr(self.paginator, "order_queryset", None)
        if order_queryset is not None:
            queryset = order_queryset(queryset, request, self)
        return self.csv_list_response(queryset)

    def csv_list_response(self, entries) -> StreamingHttpResponse:
        """`entries` (a queryset, or a list already in order) serialised chunk by chunk."""
        size = settings.CSV_CHUNK_SIZE
        context = self.get_serializer_context()  # one for all chunks: it caches URL templates
        rows = rows_in_one_transaction(
            chunks(entries, size),
            lambda chunk: self.get_serializer(chunk, many=True, context=context).data,
        )
        # The first chunk is read here, inside the view: a failing query is still a
        # problem document rather than a download cut short.
        next(rows)
        return csv_response(
            rows,
            columns_for(self.get_serializer()),
            csv_filename(request=self.request),
            rows_per_piece=size,
            head=self.request.method == "HEAD",
        )


def csv_schema(serializer: serializers.Serializer) -> dict:
    """The OpenAPI schema of a list's `text/csv` answer, naming its columns."""
    headers = ", ".join(f"`{column.header}`" for column in columns_for(serializer))
    return {
        "type": "string",
        "description": (
            "Every matching entry, not a page, in the list's order: UTF-8 with a byte-order "
            "mark, a header row, `\\r\\n` line ends, one row per entry. Columns: "
            f"{headers}. A related entry is `<field>_id` and its display field "
            "(`_name`, `_title` or `_full_name`); a list is `;`-joined codes, slugs or ids; "
            "a list of objects (`translations`) is its JSON text; booleans are `true`/`false`; "
            "null and an empty list are empty cells. A text cell beginning with `=`, `+`, "
            "`-`, `@`, a tab or a carriage return is prefixed with `'`."
        ),
    }
