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
"""

import re
import unicodedata

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import Func
from django.db.models.functions import Lower

SEARCH_CONFIG = "ctht_search"
SQLITE_UNACCENT = "ctht_unaccent"
MAX_QUERY_LENGTH = 200


def fold(text: str) -> str:
    """Lower case without diacritics: 'Tanić' → 'tanic'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


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


def _matches(fields: list[str], text: str) -> Q:
    if connection.vendor == "postgresql":
        return Q(
            **{"_search_vector": SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")}
        )
    condition = Q()
    for word in words(text):
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"_fold_{field}__contains": word})
        condition &= any_field
    return condition


def _annotate(queryset: QuerySet, fields: list[str]) -> QuerySet:
    if connection.vendor == "postgresql":
        return queryset.alias(_search_vector=SearchVector(*fields, config=SEARCH_CONFIG))
    return queryset.alias(**{f"_fold_{f}": SqliteUnaccent(Lower(f)) for f in fields})


def search(
    queryset: QuerySet, text: str, fields: list[str], *, related: tuple | None = None
) -> QuerySet:
    """Rows whose `fields` (or, with `related=(queryset, fk, fields)`, related rows) match."""
    if not words(text):
        return queryset.none()
    condition = _matches(fields, text)
    if related is not None:
        related_qs, fk, related_fields = related
        matching = _annotate(related_qs.filter(**{fk: OuterRef("pk")}), related_fields)
        condition |= Exists(matching.filter(_matches(related_fields, text)))
    return _annotate(queryset, fields).filter(condition)
