"""Statements counted by one or two of their dimensions: what `/stats/statements/` answers.

`statement_stats(queryset, group_by, ordering)` is a plain function of an
already filtered (and visibility-limited) queryset, so that every output
format (JSON, CSV) and any cache around it share one computation. It costs a
fixed number of queries whatever the number of groups:

- one `GROUP BY` over the chosen keys for the counts;
- one `COUNT(*)` for `total`, only when a key is a list (country, topic): a
  statement concerning BA and RS counts once in each group, so the groups' sum
  would count it twice. With scalar keys every statement is in exactly one
  group and the sum is the total;
- one query per relation key (speaker, institution, event) for the brief
  objects of the ids the counts found.

What each key is, and choices the contract leaves open:

- `country`, `topic`: the code or slug; a statement with none counts under
  `null` (an editor left them empty and no default applied).
- `language`: the tag as stored (`sr-Latn` and `sr-Cyrl` are two groups).
- `speaker`, `institution`, `event`: the brief object the statement itself
  embeds (the same fields from people/ and events/serializers.py, read from
  the rows of this function as plain values, the `url` added when rendered,
  so that a cached answer holds no host name); no institution or no event
  is `null`.
- `year` (`"2024"`), `month` (`"2024-05"`): of the statement's `date`, which
  is a whole date or unknown (there is no partial date): an unknown date is
  `null` in both.

The default order is by the keys, in the order of `group_by`: codes, slugs
and tags alphabetically, years and months chronologically, brief objects by
their display name (case- and accent-insensitive, as `/countries/?ordering=name`),
then id; `null` last in every key. `ordering=-count` (or `count`) sorts by the
count first, ties by the keys. Sorting is done in Python: the display names
come from the brief queries, after the counts, and there are at most a few
thousand groups.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db.models import Count, F, QuerySet
from django.db.models.expressions import Combinable
from django.db.models.functions import ExtractYear, TruncMonth

from ctht_api.search import fold
from ctht_api.serializers import BriefRelatedField
from events.serializers import brief_event
from people.serializers import brief_institution, brief_person


@dataclass(frozen=True)
class Dimension:
    """One key statements can be grouped by."""

    expression: Combinable  # what the GROUP BY reads
    many: bool = False  # a list per statement (one statement in several groups)
    brief: BriefRelatedField | None = None  # relations: their brief form, as embedded
    format: Callable = str  # the stored value as the answer shows it


DIMENSIONS: dict[str, Dimension] = {
    "country": Dimension(F("countries"), many=True),
    "topic": Dimension(F("topics__slug"), many=True),
    "language": Dimension(F("language")),
    "speaker": Dimension(F("speaker_id"), brief=brief_person()),
    "institution": Dimension(F("institution_id"), brief=brief_institution()),
    "event": Dimension(F("event_id"), brief=brief_event()),
    "year": Dimension(ExtractYear("date"), format=lambda year: f"{year:04d}"),
    "month": Dimension(TruncMonth("date"), format=lambda day: f"{day.year:04d}-{day.month:02d}"),
}
ORDERINGS = ("count", "-count")
MAX_DIMENSIONS = 2


def statement_stats(queryset: QuerySet, group_by: Sequence[str], ordering: str | None) -> dict:
    """`{"group_by", "total", "results": [{<key>: value, …, "count": n}]}` for the
    statements of `queryset`; `group_by` holds one or two names of `DIMENSIONS` (the
    view checks them), `ordering` is None (by the keys) or one of `ORDERINGS`."""
    queryset = queryset.order_by()
    aliases = {name: f"_group_{name}" for name in group_by}
    counted = (
        queryset.values(**{aliases[name]: DIMENSIONS[name].expression for name in group_by})
        .annotate(_count=Count("pk"))
        .values_list(*aliases.values(), "_count")
    )
    groups = [(dict(zip(group_by, values[:-1], strict=True)), values[-1]) for values in counted]

    if any(DIMENSIONS[name].many for name in group_by):
        total = queryset.count()
    else:
        total = sum(count for _, count in groups)

    for name in group_by:
        dimension = DIMENSIONS[name]
        if dimension.brief is not None:
            briefs = _briefs(dimension.brief, {keys[name] for keys, _ in groups})
            for keys, _ in groups:
                keys[name] = briefs.get(keys[name])
        else:
            for keys, _ in groups:
                if keys[name] is not None:
                    keys[name] = dimension.format(keys[name])

    def by_keys(group) -> tuple:
        keys, _ = group
        return tuple(_sort_key(name, keys[name]) for name in group_by)

    groups.sort(key=by_keys)
    if ordering is not None:  # stable: ties keep the order by the keys
        groups.sort(key=lambda group: group[1], reverse=ordering == "-count")
    return {
        "group_by": list(group_by),
        "total": total,
        "results": [{**keys, "count": count} for keys, count in groups],
    }


def _briefs(field: BriefRelatedField, ids: set) -> dict[int, dict]:
    """The brief objects of `ids`, as the values `field` renders (id, display field,
    extras; the url is added when rendered); one query, none when there is no id."""
    ids.discard(None)
    if not ids:
        return {}
    columns = ["id", field.display, *field.extra.values()]
    rows = field.queryset.model._default_manager.filter(pk__in=ids).values(*columns)
    return {row["id"]: row for row in rows}


def _sort_key(name: str, value) -> tuple:
    """`null` last; brief objects by folded display name, then the name itself, then id."""
    if value is None:
        return (True,)
    if isinstance(value, dict):
        display = value[DIMENSIONS[name].brief.display]
        return (False, fold(display), display, value["id"])
    return (False, value)
