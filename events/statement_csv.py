"""Statements as CSV cells written by PostgreSQL: the CSV export without per-row Python.

The CSV of a statement list (ctht_api.csv_export) is the JSON entry flattened
into columns (`columns_for(StatementSerializer())`). On PostgreSQL, that
flattening happens in the query instead of in Python: the list's own queryset
(visibility, filters, search, ordering) is compiled as it is, selecting the
statement's own columns, and becomes the `FROM` of an outer query writing one
text cell per column, the cells `cell()` would write:

- a related entry's `<field>_id` is the foreign key; its display field and extra
  keys one primary-key lookup each, null when there is no related entry;
- `countries` and `topics` the codes and slugs `;`-joined, in the order Python
  sorts them (`COLLATE "C"`), null for none;
- `translations` the JSON text `json.dumps(…, ensure_ascii=False,
  separators=(",", ":"))` writes: keys in the serializer's order, strings escaped
  by `to_json` (the same escapes as Python's: `\\"`, `\\\\`, `\\n`, `\\r`, `\\t`, `\\b`,
  `\\f`, other control characters as `\\u00XX`, non-ASCII as it is);
- links, dates and timestamps as the JSON path writes them (events.statement_json);
- every text that a client wrote (texts, names, titles, codes) guarded against
  formula injection as `cell()` does: a leading `'` before `=`, `+`, `-`, `@`, a
  tab or a carriage return.

The rows (tuples of text, integers and nulls) are read from a server-side cursor
in chunks and written by the same `csv.writer` as every other list, so quoting,
line ends and the empty cell of a null are the writer's own. Python's work per
row is the driver's decoding and the writer's C loop: no serializer, no model
instance, no flattening. The outer query neither joins nor sorts, so the rows
keep the inner query's order (as the JSON path's do).

`tests/api/test_csv.py` holds the CSV of every statement list to the JSON
entries flattened, and compares this path byte for byte with the serializer's on
texts built to trip it (quotes, commas, line breaks, control characters, formula
starts, other scripts, microseconds).
"""

from collections.abc import Iterator, Sequence

from django.core.exceptions import EmptyResultSet
from django.db import connections

from ctht_api.csv_export import FORMULA_STARTS
from events.statement_json import COLUMNS, TIMESTAMP

# The characters `cell()` guards against when a text begins with one, as SQL.
FORMULA_STARTS_SQL = "(" + ", ".join(f"chr({ord(start)})" for start in FORMULA_STARTS) + ")"


def guard(column: str) -> str:
    """`column` (a column reference: it is read twice) as `cell()` writes a text."""
    starts = f"left({column}, 1) IN {FORMULA_STARTS_SQL}"
    return f"CASE WHEN {starts} THEN '''' || {column} ELSE {column} END"


def json_string(column: str) -> str:
    """`column` as a JSON string, escaped as `json.dumps(ensure_ascii=False)` does."""
    return f"COALESCE(to_json({column})::text, 'null')"


def csv_cells(model) -> dict[str, str]:
    """The SQL of each CSV column of a statement, by header, over the row `page`.

    A header of `columns_for(StatementSerializer())` missing here is a KeyError when the
    query is built: a field added to the serializer cannot be left out silently.
    """

    def table(name: str) -> str:
        return model._meta.get_field(name).related_model._meta.db_table

    def lookup(name: str, fk: str, column: str) -> str:
        """A column of the related row, guarded; null when there is none."""
        return f"(SELECT {guard(f'r.{column}')} FROM {table(name)} r WHERE r.id = page.{fk})"

    def joined(sql: str) -> str:
        """A `;`-joined list (one aggregate), guarded."""
        return f"(SELECT {guard('a.cell')} FROM ({sql}) a(cell))"

    countries = model._meta.get_field("countries").remote_field.through._meta.db_table
    topics = model._meta.get_field("topics").remote_field.through._meta.db_table
    translations = model._meta.get_field("translations").related_model._meta.db_table
    translation = " || ',' || ".join(
        f"""'"{key}":' || {json_string(f"tr.{key}")}""" for key in ("language", "text", "kind")
    )
    return {
        "id": "page.id",
        "url": "%s || page.id || %s",
        "text": guard("page.text"),
        "language": guard("page.language"),
        "speaker_id": "page.speaker_id",
        "speaker_full_name": lookup("speaker", "speaker_id", "full_name"),
        "speaker_position": lookup("position", "position_id", "title"),
        "position_id": "page.position_id",
        "position_title": lookup("position", "position_id", "title"),
        "institution_id": "page.institution_id",
        "institution_name": lookup("institution", "institution_id", "name"),
        "institution_country": lookup("institution", "institution_id", "country_id"),
        "event_id": "page.event_id",
        "event_title": lookup("event", "event_id", "title"),
        "date": "to_char(page.date, 'YYYY-MM-DD')",
        "countries": joined(
            f"""SELECT string_agg(c.country_id, ';' ORDER BY c.country_id COLLATE "C")
            FROM {countries} c WHERE c.statement_id = page.id"""
        ),
        "topics": joined(
            f"""SELECT string_agg(t.slug, ';' ORDER BY t.slug COLLATE "C")
            FROM {topics} st JOIN {table("topics")} t ON t.id = st.topic_id
            WHERE st.statement_id = page.id"""
        ),
        "source_id": "page.source_id",
        "source_title": lookup("source", "source_id", "title"),
        "translations": f"""(
            SELECT '[' || string_agg('{{' || {translation} || '}}', ','
                                     ORDER BY tr.language COLLATE "C") || ']'
            FROM {translations} tr WHERE tr.statement_id = page.id)""",
        "context": guard("page.context"),
        "status": guard("page.status"),
        "publish_at": TIMESTAMP.format("page.publish_at"),
        "created_at": TIMESTAMP.format("page.created_at"),
        "updated_at": TIMESTAMP.format("page.updated_at"),
    }


_cells: dict = {}


def csv_query(queryset, headers: Sequence[str], url: tuple[str, str]) -> tuple[str, list] | None:
    """The query writing `queryset`'s rows as the cells of `headers` (module docstring),
    with its parameters; None when the ORM knows the answer is empty. `url` is the
    statement's absolute link before and after the id."""
    try:
        sql, params = (
            queryset.values_list(*COLUMNS)
            .query.get_compiler(connection=connections[queryset.db])
            .as_sql()
        )
    except EmptyResultSet:
        return None
    model = queryset.model
    if model not in _cells:
        _cells[model] = csv_cells(model)
    cells = [_cells[model][header] for header in headers]
    outer = f"SELECT {', '.join(cells)} FROM ({sql}) AS page({', '.join(COLUMNS)})"
    # The link's two parameters come first: no other cell takes one.
    return outer, [*url, *params]


class CSVBatches:
    """The cells of `queryset`'s rows, `size` rows at a time (an iterator of lists), from a
    server-side cursor on the database the queryset reads from, chosen at the first
    batch: under `rows_in_one_transaction`, inside the request's replica context. As
    `QuerySet.iterator()` does, a database with `DISABLE_SERVER_SIDE_CURSORS` is read with
    a plain cursor (the whole result in memory at once).

    The cursor is closed after the last batch, or by `close()`, which
    `rows_in_one_transaction` calls only while the download's transaction is still open.
    Not a generator on purpose: one dropped unclosed must not close its cursor when the
    garbage collector finalises it, perhaps inside another transaction, which a `CLOSE`
    of a cursor that ended with its own would abort. The transaction's end closes it.
    """

    def __init__(self, queryset, headers: Sequence[str], url: tuple[str, str], size: int):
        self.queryset, self.headers, self.url, self.size = queryset, headers, url, size
        self.cursor = None
        self.done = False

    def __iter__(self) -> Iterator[list[tuple]]:
        return self

    def __next__(self) -> list[tuple]:
        if self.cursor is None and not self.done:
            self.open()
        batch = self.cursor.fetchmany(self.size) if self.cursor is not None else []
        if not batch:
            self.close()
            raise StopIteration
        return batch

    def open(self) -> None:
        query = csv_query(self.queryset, self.headers, self.url)
        if query is None:
            self.done = True
            return
        connection = connections[self.queryset.db]
        if connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
            self.cursor = connection.cursor()
        else:
            self.cursor = connection.chunked_cursor()
        self.cursor.execute(*query)

    def close(self) -> None:
        self.done = True
        cursor, self.cursor = self.cursor, None
        if cursor is not None:
            cursor.close()
