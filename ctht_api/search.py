"""Full-text search (`q`), case- and accent-insensitive on both database backends.

On PostgreSQL it is real full-text search: the `ctht_search` text-search
configuration (`simple` dictionary + `unaccent`, created by a migration) and
`websearch_to_tsquery`, so that "tanic" finds Tanić and "numeriques" finds
"numériques", and the documents can be indexed later. `simple` does not stem:
words match whole (across languages and scripts), which is what partners
searching names and terms expect.

On SQLite, a simpler equivalent: every word of the query must appear, accents
and case folded, as a substring of one of the fields. It gives the same answers
on the demo data; it is not meant for large data sets.

The admin's search boxes and autocompletes (`search_as_typed`) fold the same
way, with one difference made for typing: each word may be the start of a
word ("tan" finds Tanić while the editor is still typing). Whatever changes how
words fold (scripts, transliteration) changes `fold()` and the functions here,
and the API and the admin follow together.
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import Func
from django.db.models.functions import Lower

SEARCH_CONFIG = "ctht_search"
SQLITE_UNACCENT = "ctht_unaccent"
MAX_QUERY_LENGTH = 200


def fold(text: str) -> str:
    """Lower case without diacritics: 'Tanić' → 'tanic'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def statement_search_document(
    *,
    text: str,
    speaker_name: str,
    event_title: str | None,
    translations: Iterable[tuple[str, str]] = (),
) -> str:
    """A statement's stored `search_document`: what `q` finds it by.

    Its text, its speaker's full name, its event's title (if any), then the
    texts of its translations in the order of their language tags, joined and
    folded. This is the one definition: the model (on save), `import_data`
    and `generate_data` all call it, so a statement searches the same however
    it was written. `translations` are (language, text) pairs; they are
    ordered here, in Python, so that the result does not depend on the
    database's collation.
    """
    parts = [text, speaker_name, event_title or ""]
    parts += [translated for _, translated in sorted(translations)]
    return fold(" ".join(part for part in parts if part))


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: give SQLite the accent folding PostgreSQL has."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            SQLITE_UNACCENT, 1, lambda s: None if s is None else fold(s), deterministic=True
        )


class SqliteUnaccent(Func):
    function = SQLITE_UNACCENT


def words(text: str) -> list[str]:
    return [w for w in re.split(r"\W+", fold(text)) if w]


def _query(text: str, *, prefix: bool) -> SearchQuery:
    """PostgreSQL's query for `text`: the API's web-search syntax (quotes, `or`, `-`), or,
    with `prefix`, every folded word as the start of a word (`'tan':* & 'nen':*`). The
    words come from `words()`, letters, digits and underscores only, so the raw syntax
    cannot be broken by what an editor types."""
    if prefix:
        raw = " & ".join(f"{word}:*" for word in words(text))
        return SearchQuery(raw, config=SEARCH_CONFIG, search_type="raw")
    return SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")


def _matches(fields: Sequence[str], text: str, *, prefix: bool = False) -> Q:
    if connection.vendor == "postgresql":
        return Q(_search_vector=_query(text, prefix=prefix))
    condition = Q()
    for word in words(text):
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"_fold_{field}__contains": word})
        condition &= any_field
    return condition


def _annotate(queryset: QuerySet, fields: Sequence[str]) -> QuerySet:
    if connection.vendor == "postgresql":
        return queryset.alias(_search_vector=SearchVector(*fields, config=SEARCH_CONFIG))
    return queryset.alias(**{f"_fold_{f}": SqliteUnaccent(Lower(f)) for f in fields})


def search(
    queryset: QuerySet, text: str, fields: Sequence[str], *, prefix: bool = False
) -> QuerySet:
    """Rows any of whose `fields` match; for small tables (computed per row)."""
    if not words(text):
        return queryset.none()
    return _annotate(queryset, fields).filter(_matches(fields, text, prefix=prefix))


def search_stored(
    queryset: QuerySet, text: str, field: str = "search_document", *, prefix: bool = False
) -> QuerySet:
    """Rows whose stored, folded document matches: the indexed path for large tables.

    On PostgreSQL the expression `to_tsvector('ctht_search', COALESCE(field, ''))`
    is what the GIN index of migration events 0004 covers, so the planner uses it.
    """
    terms = words(text)
    if not terms:
        return queryset.none()
    if connection.vendor == "postgresql":
        return queryset.alias(_document=SearchVector(field, config=SEARCH_CONFIG)).filter(
            _document=_query(text, prefix=prefix)
        )
    for term in terms:
        queryset = queryset.filter(**{f"{field}__contains": term})
    return queryset


def search_as_typed(
    queryset: QuerySet, text: str, *, fields: Sequence[str] = (), stored: str | None = None
) -> QuerySet:
    """What an admin search box or autocomplete finds for `text`: the rows whose stored,
    folded document `stored` (indexed; a statement's `search_document`) or else whose
    `fields` contain every word, folded as the API's `q` folds, each word matching the
    start of a word on PostgreSQL (anywhere on SQLite). A text with no word finds
    nothing; only its first MAX_QUERY_LENGTH characters are read.

    The one search of the admin (ctht_api.admin.FoldedSearchMixin): a change to how
    words fold is made in `fold()` and here, never in an admin class.
    """
    text = text[:MAX_QUERY_LENGTH]
    if stored is not None:
        return search_stored(queryset, text, stored, prefix=True)
    return search(queryset, text, fields, prefix=True)
