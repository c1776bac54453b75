"""Related rows gathered into the parent's row as a JSON array, on both backends.

A list page embedding many-to-many values (country codes, topic slugs,
translations) would otherwise cost one extra query per relation; a
correlated subquery per relation keeps the whole page to one query.
"""

import json

from django.db.models import Aggregate, JSONField, OuterRef, QuerySet, Subquery


class JSONArrayField(JSONField):
    """psycopg decodes `json` values itself; SQLite hands over text to decode."""

    def from_db_value(self, value, expression, connection):
        if isinstance(value, str):
            return json.loads(value)
        return value


class JSONArrayAgg(Aggregate):
    """`json_agg(x)` on PostgreSQL, `json_group_array(x)` on SQLite."""

    function = "JSON_AGG"
    output_field = JSONArrayField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra_context)


def json_array(related: QuerySet, fk: str, value) -> Subquery:
    """The `value` of every row of `related` whose `fk` is the outer row, as a JSON array
    (NULL when there is none)."""
    rows = related.filter(**{fk: OuterRef("pk")}).order_by().values(fk)
    return Subquery(
        rows.annotate(_array=JSONArrayAgg(value)).values("_array"), output_field=JSONArrayField()
    )
