"""Statements as JSON written by PostgreSQL: the read path without per-row Python.

`StatementQuerySet.as_json(urls)` (events.models) turns a statement queryset into
one whose rows are `StatementJSON`: the statement's id, version, sort key (when the
keyset paginator added one) and its whole representation as JSON text, exactly
what `StatementSerializer` writes (same keys in the same order, the same values).
The views pass that text through to the response untouched (`orjson.Fragment`),
so a page costs no model instance, no serializer field and no link built in
Python.

How the query is made. The filters, visibility, search, ordering, keyset
condition and limit stay the ORM's: the queryset is compiled as it is, selecting
only the statement's own columns (and `_key`), and that query becomes the `FROM`
of an outer query which writes each row's object with `json_build_object`: the
brief speaker, position, institution, event and source each one primary-key
lookup, the country codes, topic slugs and translations `json_agg` in the order
Python sorts them (`COLLATE "C"` is code-point order). The outer query neither
joins nor sorts, so its rows keep the inner query's order (as PostgREST's
`json_agg` over a subquery does), and the planner sees the joins the filters need
once, inside, without the correlated JSON subqueries of `for_api()` beside them:
planning drops by about half, execution costs PostgreSQL some tens of µs per
row to write the JSON, and the API process no longer reads model instances (see
docs/benchmarks.md).

What PostgreSQL writes as DRF would:
- links: the absolute prefix of each kind of link is computed once per response
  (`ctht_api.serializers.url_template`) and passed as a parameter; the id is
  spliced in by SQL (`prefix || id || suffix`);
- timestamps in UTC as DRF's `DateTimeField` writes them (`2025-03-04T12:00:00Z`,
  `.ffffff` only when there are microseconds); dates ISO;
- strings escaped by `json` (PostgreSQL leaves non-ASCII as it is, as orjson does;
  the bytes differ from orjson's in whitespace only, the parsed JSON is equal).

Only the JSON renderer, on PostgreSQL, for `GET`/`HEAD` of a list or a detail
without a `display` language takes this path (`StatementJSONMixin` in
events.views), and so do the change feed's statement objects in such a request
(changes/views.py); everything else (SQLite, `lang`/`Accept-Language`, the
browsable API, writes) goes through `StatementSerializer`, and a statement list's CSV
on PostgreSQL through events.statement_csv.
tests/api/test_fast_representation.py holds both paths to the same output.

This module imports no model: it reads table and column names from the
queryset's model, so events.models can use it.
"""

import contextlib
import datetime
import re
from collections import OrderedDict
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models.query import BaseIterable
from psycopg.sql import Literal

from ctht_api.first_read import read_checking_connection
from ctht_api.prepared import prepared_cursor

# DRF's DateTimeField in UTC: `isoformat()` with `+00:00` written `Z`, microseconds
# only when there are some.
TIMESTAMP = (
    "to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
    " || CASE WHEN date_trunc('second', {0}) = {0} THEN ''"
    " ELSE to_char({0} AT TIME ZONE 'UTC', '.US') END || 'Z'"
)


def _link(column: str) -> str:
    return f"%s || {column} || %s"


def _brief(table: str, fk: str, fields: str) -> str:
    """The brief object of the row `fk` points to, or null; one index lookup."""
    return (
        f"(SELECT json_build_object('id', r.id, 'url', {_link('r.id')}, {fields}) "
        f"FROM {table} r WHERE r.id = page.{fk})"
    )


def _timestamp(column: str) -> str:
    return TIMESTAMP.format(column)


# The statement's own columns the inner query selects, as the outer query names them.
COLUMNS = (
    "id",
    "version",
    "text",
    "language",
    "speaker_id",
    "position_id",
    "institution_id",
    "event_id",
    "date",
    "source_id",
    "context",
    "status",
    "publish_at",
    "created_at",
    "updated_at",
)


def object_sql(model) -> str:
    """The JSON text of the statement in the row `page` (the inner query's)."""

    def table(name: str) -> str:
        return model._meta.get_field(name).related_model._meta.db_table

    countries = model._meta.get_field("countries").remote_field.through._meta.db_table
    topics = model._meta.get_field("topics").remote_field.through._meta.db_table
    translations = model._meta.get_field("translations").related_model._meta.db_table
    return f"""json_build_object(
        'id', page.id,
        'url', {_link("page.id")},
        'text', page.text,
        'language', page.language,
        'speaker', {_brief(table("speaker"), "speaker_id", "'full_name', r.full_name")},
        'speaker_position', (
            SELECT r.title FROM {table("position")} r WHERE r.id = page.position_id),
        'position', {_brief(table("position"), "position_id", "'title', r.title")},
        'institution', {
        _brief(table("institution"), "institution_id", "'name', r.name, 'country', r.country_id")
    },
        'event', {_brief(table("event"), "event_id", "'title', r.title")},
        'date', to_char(page.date, 'YYYY-MM-DD'),
        'countries', COALESCE((
            SELECT json_agg(c.country_id ORDER BY c.country_id COLLATE "C")
            FROM {countries} c WHERE c.statement_id = page.id), '[]'::json),
        'topics', COALESCE((
            SELECT json_agg(t.slug ORDER BY t.slug COLLATE "C")
            FROM {topics} st JOIN {table("topics")} t ON t.id = st.topic_id
            WHERE st.statement_id = page.id), '[]'::json),
        'source', {_brief(table("source"), "source_id", "'title', r.title")},
        'translations', COALESCE((
            SELECT json_agg(json_build_object('language', tr.language, 'text', tr.text,
                                              'kind', tr.kind)
                            ORDER BY tr.language COLLATE "C")
            FROM {translations} tr WHERE tr.statement_id = page.id), '[]'::json),
        'context', page.context,
        'status', page.status,
        'publish_at', {_timestamp("page.publish_at")},
        'created_at', {_timestamp("page.created_at")},
        'updated_at', {_timestamp("page.updated_at")}
    )::text"""


# The links a statement's object holds, in the order their parameters appear in
# object_sql(): its own, the speaker's, position's, institution's, event's, source's.
LINKS = (
    "statement-detail",
    "person-detail",
    "position-detail",
    "institution-detail",
    "event-detail",
    "document-detail",
)


@dataclass(slots=True)
class StatementJSON:
    """One row of a statement page: what the paginator and the ETag read, and the JSON."""

    pk: int
    version: int
    _key: object
    json: str


_object_sql: dict = {}


@dataclass(frozen=True, slots=True)
class JSONQuery:
    """The query writing a queryset's rows as `StatementJSON`: `head`, then the queryset's
    own SQL (`inner`) as its `FROM`, then `tail` naming its columns. The link parameters
    (`link_params`, in the select list) come before the inner query's (`params`)."""

    head: str
    inner: str
    tail: str
    link_params: list
    params: list

    def sql(self, inner: str | None = None) -> str:
        """The whole query; with `inner`, around that version of the inner query."""
        return f"{self.head}{self.inner if inner is None else inner}{self.tail}"


def json_query(queryset) -> JSONQuery | None:
    """The query writing `queryset`'s rows as `StatementJSON` (module docstring); None when
    the ORM knows the answer is empty (`.none()`, `pk__in=[]`)."""
    keyed = "_key" in queryset.query.annotations
    names = (*COLUMNS, "sort_key") if keyed else COLUMNS
    inner = queryset.values_list(*COLUMNS, *(["_key"] if keyed else []))
    try:
        sql, params = inner.query.get_compiler(connection=connections[queryset.db]).as_sql()
    except EmptyResultSet:
        return None
    model = queryset.model
    if model not in _object_sql:
        _object_sql[model] = object_sql(model)
    # No join and no sort outside: the rows stay in the inner query's order.
    return JSONQuery(
        head=(
            f"SELECT page.id, page.version, {'page.sort_key' if keyed else 'NULL'}, "
            f"{_object_sql[model]} FROM ("
        ),
        inner=sql,
        tail=f") AS page({', '.join(names)})",
        link_params=[part for name in LINKS for part in queryset.json_urls[name]],
        params=list(params),
    )


def _fetch(connection, sql: str, params, *, prepare: bool = False) -> list[StatementJSON]:
    """The rows of a statement read. Often the request's first query (an anonymous detail
    or page built afresh): it checks its connection itself, in place of Django's
    `SELECT 1` (ctht_api.first_read); a SELECT, so safe to run again on a new one."""

    def read() -> list[StatementJSON]:
        with prepared_cursor(connection) if prepare else connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [StatementJSON(*row) for row in cursor.fetchall()]

    return read_checking_connection(connection, read)


# A parameter, or a literal percent sign, in SQL for psycopg.
_PLACEHOLDER = re.compile(r"%%|%s")


def _constant(value) -> bool:
    """A parameter of a prepared page written into its SQL: the strings (the statuses of
    the visibility filter, country codes) and the date standing for a missing one in the
    date sort key (events.models `SORT_DATE`, which its index spells as a literal)."""
    return isinstance(value, str) or (type(value) is datetime.date and value == datetime.date.min)


# Inlined SQL by (database, SQL, constants): the same few shapes on every request.
_inlined: dict[tuple, str] = {}
INLINED_KEPT = 256  # shapes: orderings, cursor directions, visibility, countries


def constants_inlined(sql: str, params: list, connection) -> tuple[str, list]:
    """`sql` with its constant parameters (`_constant`) written into it as SQL literals
    (quoted by psycopg), and the other parameters, which change from request to request
    (the moment, a cursor's key and id). For a prepared page of the whole list
    (`StatementJSONIterable`): PostgreSQL costs a generic plan without the parameters'
    values, so given `status = $1` it assumes any status, and given `COALESCE(date, $2)`
    it cannot use the sort key's index; it would then plan every run. Written once per
    process for each SQL and constants (up to `INLINED_KEPT`, then afresh)."""
    constants = tuple(
        (index, type(value), value) for index, value in enumerate(params) if _constant(value)
    )
    key = (connection.alias, sql, constants)
    inlined = _inlined.get(key)
    if inlined is None:
        values = iter(params)

        def replace(match) -> str:
            if match.group() == "%%":
                return "%%"
            value = next(values)
            if _constant(value):
                return Literal(value).as_string(connection.connection).replace("%", "%%")
            return "%s"

        inlined = _PLACEHOLDER.sub(replace, sql)
        if len(_inlined) >= INLINED_KEPT:
            _inlined.clear()
        _inlined[key] = inlined
    return inlined, [value for value in params if not _constant(value)]


class StatementJSONIterable(BaseIterable):
    """Rows of `StatementJSON` for the queryset's WHERE, ORDER BY and LIMIT (module
    docstring); the queryset carries the link templates (`as_json`).

    Prepared on PostgreSQL when the queryset asks (`prepared_json`): a page of the whole
    list, unfiltered or by country (events.views `page_is_prepared`), whose plan is the
    ordering's index scan whatever the moment or the cursor. Each ordering, cursor
    direction, visibility and country is one statement per connection (pages of the
    default size only, and of one country at most), its constants written into the SQL
    (`constants_inlined`); PostgreSQL plans its first five runs, then keeps the generic
    plan when it costs no more than they did (on a page near the start of a long list,
    a cursor's page may keep being planned: its generic cost is the higher). Measured
    in psql at 100,000 statements, a page of 50 took 1.5 ms in the database prepared
    (generic plan), against 0.6 ms planning plus 2.0 ms executing each time. Any other
    filtered list is planned every time (see `Precompiled`). Such a page naming no
    `count`, and no filter but one country code, is not even built here after its first
    time: its SQL is kept (`compiled_page`)."""

    def __iter__(self):
        query = json_query(self.queryset)
        if query is None:
            return
        connection = connections[self.queryset.db]
        prepare = self.queryset.json_prepared and connection.vendor == "postgresql"
        sql, params = query.sql(), query.params
        if prepare:  # the inner query's constants; the link parameters stay parameters
            inner, params = constants_inlined(query.inner, params, connection)
            sql = query.sql(inner)
        yield from _fetch(connection, sql, (*query.link_params, *params), prepare=prepare)


class Precompiled:
    """A statement query whose shape never changes, its SQL compiled once per process.

    `build(*placeholders)` returns the statements (a queryset); its JSON query
    (`as_json`) is compiled on the first run with the placeholders, which each run
    then replaces, in the parameters, by its own values (`CompiledQuery`: a placeholder
    must be a value no request sends). If a placeholder is missing from
    the compiled parameters (the ORM transformed it), the query is not kept but built
    every time, so that a change in Django cannot make it answer for the wrong values.
    What this saves is the ORM's work (filters resolved into joins, the columns, the
    compilation): about half the CPU of a statement detail (docs/benchmarks.md).

    The statement is also prepared on PostgreSQL, once per connection
    (ctht_api.prepared), which saves PostgreSQL's planning:
    most of a detail's time in the database (about 1 ms of 1.2 at 100,000 statements).
    Its plan is a primary-key lookup whatever the values, so the generic plan
    PostgreSQL may settle on is the right one. Filtered lists are not prepared: the
    generic plan of a filtered page measured three times slower than the planned one
    (a page of the whole list is, `StatementJSONIterable`).
    """

    def __init__(self, build, placeholders: tuple):
        self.build, self.placeholders = build, placeholders
        self._compiled: dict[str, CompiledQuery | None] = {}

    def rows(self, values: tuple, urls: dict[str, tuple[str, str]], using: str):
        """The rows for `values` (one per placeholder), links from `urls` (`as_json`)."""
        connection = connections[using]
        vendor = connection.vendor
        if vendor not in self._compiled:
            self._compiled[vendor] = CompiledQuery.of(
                lambda values: self.build(*values).using(using).as_json(urls), self.placeholders
            )
        compiled = self._compiled[vendor]
        if compiled is None:
            return list(self.build(*values).using(using).as_json(urls))
        return compiled.rows(values, urls, connection)


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """A statement query's JSON query (`json_query`) compiled once, with placeholders where
    each run puts its own values: `params` as compiled, and for each the index of the
    placeholder it is (`slots`; None for a constant of the query, kept as it is)."""

    sql: str
    slots: tuple[int | None, ...]
    params: tuple

    @classmethod
    def of(cls, build, placeholders: tuple, *, inline_constants: bool = False):
        """The query of `build(placeholders)` (statements, `as_json`), `placeholders` among
        its values (each a value no request sends: found by type, or a subclass of it, and
        equality), or None when it cannot be kept: the ORM knows the answer is empty, a
        placeholder is missing from the parameters (the ORM transformed it), or a second
        build with other placeholders (`_moved`) differs in its SQL or in another
        parameter (a value derived from a placeholder, which would stay fixed). Values
        put in place of such placeholders would answer for others. With
        `inline_constants`, for a prepared page (`constants_inlined`)."""
        first = cls._compile(build(placeholders), placeholders, inline_constants)
        if first is None:
            return None
        moved = _moved(placeholders)
        second = cls._compile(build(moved), moved, inline_constants)
        if (
            second is None
            or (second.sql, second.slots) != (first.sql, first.slots)
            or any(
                slot is None and one != other
                for one, other, slot in zip(first.params, second.params, first.slots, strict=True)
            )
        ):
            return None
        return first

    @classmethod
    def _compile(cls, queryset, placeholders: tuple, inline_constants: bool):
        query = json_query(queryset)
        if query is None:
            return None
        inner, params = query.inner, query.params
        if inline_constants:
            inner, params = constants_inlined(inner, params, connections[queryset.db])
        slots = tuple(_slot(param, placeholders) for param in params)
        if not set(range(len(placeholders))) <= set(slots):
            return None
        return cls(query.sql(inner), slots, tuple(params))

    def rows(self, values: tuple, urls: dict[str, tuple[str, str]], connection):
        """The rows for `values` (one per placeholder), prepared on `connection`, links from
        `urls` (`as_json`)."""
        link_params = [part for name in LINKS for part in urls[name]]
        run = [
            param if slot is None else _as(param, values[slot])
            for param, slot in zip(self.params, self.slots, strict=True)
        ]
        return _fetch(connection, self.sql, (*link_params, *run), prepare=True)


def _as(compiled, value):
    """`value` in the type the ORM gave its placeholder: on psycopg 3, Django binds an
    integer expression's value as psycopg's `Int4` or `Int8` (so its type, and the prepared
    statement, do not change with its size)."""
    kind = type(compiled)
    return value if type(value) is kind else kind(value)


# How far `_moved` moves a placeholder of each type.
_MOVES = {
    datetime.datetime: datetime.timedelta(days=1, microseconds=1),
    datetime.date: datetime.timedelta(days=1),
    int: -1000,
}


def _moved(placeholders: tuple) -> tuple:
    """Other placeholders of the same types, for a second build (`CompiledQuery.of`)."""
    return tuple(value + _MOVES[type(value)] for value in placeholders)


def _slot(param, placeholders: tuple) -> int | None:
    for index, placeholder in enumerate(placeholders):
        if isinstance(param, type(placeholder)) and param == placeholder:
            return index
    return None


# Pages of a statement list compiled once per shape (`compiled_page`), the PAGES_KEPT
# most recently used.
_pages: OrderedDict[tuple, CompiledQuery | None] = OrderedDict()
PAGES_KEPT = 256


def compiled_page(shape: tuple, build) -> CompiledQuery | None:
    """The query of a page of `shape` (a key naming all that decides its SQL; events.views
    `StatementJSONMixin.compiled_rows`), compiled by `build()` the first time it is asked
    for in this process; None where it could not be kept (`CompiledQuery.of`). Threads
    share it: each of these dict operations is atomic."""
    try:
        compiled = _pages[shape]
    except KeyError:
        compiled = _pages[shape] = build()
        while len(_pages) > PAGES_KEPT:
            try:
                _pages.popitem(last=False)
            except KeyError:  # emptied by another thread meanwhile
                break
        return compiled
    with contextlib.suppress(KeyError):  # evicted by another thread meanwhile
        _pages.move_to_end(shape)
    return compiled
