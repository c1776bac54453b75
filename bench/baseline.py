"""The baseline: bare Django views that run the API's page queries and return `JsonResponse`.

No DRF, no serializer, no filter set, no validation queries: each view runs the
same page query as the API endpoint it is compared with (same visibility rule,
same filters, same keyset order and cursor condition, same search expression),
takes `.values()` of the columns a client needs (statement id, text, language,
date, speaker id and full name, event id and title, status, updated_at), and
adds the page's country codes with one extra query, since the API shows them.

The list view reads the API's own query string (`page_size`, `country`,
`topic`, `date_after`, `q`, `cursor` in the API's encoding, default order
`-date`), so every benchmarked API URL has a baseline twin: the same query
string under `/baseline/statements/`. It exists for the benchmark only
(bench/settings.py); it is no part of the app.
"""

import base64
import datetime
import json

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import models
from django.db.models import Count, Exists, F, Func, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThan
from django.http import Http404, JsonResponse

from events.models import Event, Statement
from people.models import Country, Institution

PUBLISHED = "published"
SEARCH_CONFIG = "ctht_search"
COLUMNS = (
    "id",
    "text",
    "language",
    "date",
    "speaker_id",
    "speaker__full_name",
    "event_id",
    "event__title",
    "status",
    "updated_at",
)
# Unknown dates sort as the oldest: the expression of the statement_sort_date_id index.
SORT_KEY = Coalesce("date", Value(datetime.date.min))


class Row(Func):
    """`(a, b)`: a row value, compared as a whole (one index range condition)."""

    template = "(%(expressions)s)"
    output_field = models.Field()


def visible():
    """What an anonymous client sees: published, and not made at a draft event."""
    return Statement.objects.filter(status=PUBLISHED).filter(
        Q(event__isnull=True) | Q(event__status=PUBLISHED)
    )


def with_countries(rows: list[dict]) -> list[dict]:
    """The page's country codes, in one query."""
    codes: dict[int, list[str]] = {row["id"]: [] for row in rows}
    through = Statement.countries.through.objects
    for statement_id, code in (
        through.filter(statement_id__in=codes)
        .order_by("statement_id", "country_id")
        .values_list("statement_id", "country_id")
    ):
        codes[statement_id].append(code)
    for row in rows:
        row["countries"] = codes[row["id"]]
    return rows


def _split(params, name: str) -> list[str]:
    return [v.strip() for v in params.get(name, "").split(",") if v.strip()]


def page_queryset(params):
    """The API's statement list query for these query parameters, in keyset order, unsliced."""
    queryset = visible()
    if codes := [c.upper() for c in _split(params, "country")]:
        through = Statement.countries.through.objects.filter(
            statement_id=OuterRef("pk"), country_id__in=codes
        )
        queryset = queryset.filter(Exists(through))
    if slugs := _split(params, "topic"):
        through = Statement.topics.through.objects.filter(
            statement_id=OuterRef("pk"), topic__slug__in=slugs
        )
        queryset = queryset.filter(Exists(through))
    if date_after := params.get("date_after"):
        queryset = queryset.filter(date__gte=datetime.date.fromisoformat(date_after))
    if text := params.get("q"):
        query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
        queryset = queryset.alias(
            _document=SearchVector("search_document", config=SEARCH_CONFIG)
        ).filter(_document=query)
    queryset = queryset.annotate(_key=SORT_KEY).order_by(F("_key").desc(), "-id")
    if raw := params.get("cursor"):
        token = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        key = datetime.date.fromisoformat(token["k"])
        queryset = queryset.filter(LessThan(Row(SORT_KEY, F("id")), Row(key, int(token["i"]))))
    return queryset


def statement_list(request):
    size = int(request.GET.get("page_size", 50))
    rows = list(page_queryset(request.GET).values(*COLUMNS)[:size])
    return JsonResponse({"results": with_countries(rows)})


def statement_detail(request, pk: int):
    rows = list(visible().filter(pk=pk).values(*COLUMNS)[:1])
    if not rows:
        raise Http404
    return JsonResponse(with_countries(rows)[0])


def _count(queryset, column: str):
    counted = queryset.order_by().values(column).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def countries_queryset():
    """The aggregate of /api/v1/countries/: published counts per country, in one query."""
    statements = Statement.countries.through.objects.filter(
        country_id=OuterRef("code"), statement__status=PUBLISHED
    ).filter(Q(statement__event__isnull=True) | Q(statement__event__status=PUBLISHED))
    events = Event.countries.through.objects.filter(
        country_id=OuterRef("code"), event__status=PUBLISHED
    )
    institutions = Institution.objects.filter(country_id=OuterRef("code"))
    return (
        Country.objects.annotate(
            statement_count=_count(statements, "country_id"),
            event_count=_count(events, "country_id"),
            institution_count=_count(institutions, "country_id"),
        )
        .filter(Q(statement_count__gt=0) | Q(event_count__gt=0) | Q(institution_count__gt=0))
        .order_by("code")
    )


def country_list(request):
    """The first page (50) of the aggregate, like the API's first page."""
    rows = countries_queryset().values(
        "code", "name", "statement_count", "event_count", "institution_count"
    )[:50]
    return JsonResponse({"results": list(rows)})
