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

And one for issue 11: `/baseline/changes/?since=…&page_size=50` reads the same
rows of the change feed as `/api/v1/changes/` (same range of `seq`, same resource
filter), then each resource's live entries on the page with one `.values()` query
(statements: the list's columns and country codes, as above; the others: every
column of the row, published only where the model has a status), and returns the
same envelope (`results`, `next`, `last`) with `JsonResponse`. No viewset, no
serializer: what a bare Django view of the same feed costs.

Two more twins, for issue 10:
- `?format=csv` on the list streams every matching statement as CSV (the
  `StreamingHttpResponse` a bare Django view would write: a server-side cursor
  through `.values_list().iterator()`, `csv.writer`, one chunk per 2,000 rows);
- `/baseline/stats/statements/?group_by=country,month` runs the grouped count
  with `.values().annotate(Count)` on every request (no cache: what a bare view
  does), against the API's cached `/api/v1/stats/statements/`.
"""

import base64
import csv
import datetime
import io
import json
from collections import defaultdict

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import models
from django.db.models import Count, Exists, F, Func, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, ExtractYear, TruncMonth
from django.db.models.lookups import LessThan
from django.http import Http404, JsonResponse, StreamingHttpResponse

from changes import feed
from changes.models import Change, FeedState
from ctht_api.csv_export import FORMULA_STARTS  # the guard's one home, as the API's
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


def filtered_queryset(params):
    """The visible statements matching the API's statement filters in these query parameters."""
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
        queryset = matching(queryset, text)
    return queryset


def matching(queryset, text: str):
    """The statements whose stored search document matches `text` (`websearch_to_tsquery`
    on the GIN-indexed expression): the API's `q`, and the plain-DRF peer's (bench/peer.py)."""
    query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
    return queryset.alias(_document=SearchVector("search_document", config=SEARCH_CONFIG)).filter(
        _document=query
    )


def page_queryset(params):
    """The API's statement list query for these query parameters, in keyset order, unsliced."""
    queryset = filtered_queryset(params).annotate(_key=SORT_KEY).order_by(F("_key").desc(), "-id")
    if raw := params.get("cursor"):
        token = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        key = datetime.date.fromisoformat(token["k"])
        queryset = queryset.filter(LessThan(Row(SORT_KEY, F("id")), Row(key, int(token["i"]))))
    return queryset


def statement_list(request):
    if request.GET.get("format") == "csv":
        return statements_csv(request)
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


# --- CSV: every matching statement, streamed -------------------------------------------------

# CSV header → the value it holds (a field path, or an annotation of csv_rows).
CSV_COLUMNS = {
    "id": "id",
    "date": "date",
    "language": "language",
    "text": "text",
    "context": "context",
    "speaker_id": "speaker_id",
    "speaker_name": "speaker__full_name",
    "institution_id": "institution_id",
    "institution_name": "institution__name",
    "event_id": "event_id",
    "event_title": "event__title",
    "countries": "_countries",
    "topics": "_topics",
    "status": "status",
    "updated_at": "updated_at",
}
CSV_CHUNK = 2000


def _codes(through, column: str):
    """The statement's codes or slugs, `;`-joined, from one correlated subquery."""
    joined = (
        through.objects.filter(statement_id=OuterRef("pk"))
        .order_by()
        .values("statement_id")
        .annotate(codes=StringAgg(column, ";", order_by=column))
        .values("codes")
    )
    text = models.TextField()
    return Coalesce(Subquery(joined, output_field=text), Value(""), output_field=text)


def csv_rows(params):
    """Every matching statement as a tuple of CSV_COLUMNS, in the API's default order."""
    return (
        page_queryset(params)
        .annotate(
            _countries=_codes(Statement.countries.through, "country_id"),
            _topics=_codes(Statement.topics.through, "topic__slug"),
        )
        .values_list(*CSV_COLUMNS.values())
    )


def _safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_chunks(params):
    """UTF-8 with a BOM, a header row, then one chunk of bytes per CSV_CHUNK rows.

    `.iterator(chunk_size=…)` reads through a server-side cursor on PostgreSQL, so
    memory stays flat whatever the number of rows. Rows are written in batches:
    a chunk per row would be a socket write per row in the worker.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    for count, row in enumerate(csv_rows(params).iterator(chunk_size=CSV_CHUNK), 1):
        writer.writerow([_safe(value) for value in row])
        if count % CSV_CHUNK == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def statements_csv(request):
    response = StreamingHttpResponse(_csv_chunks(request.GET), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="statements.csv"'
    return response


# --- /stats/statements/: grouped counts, uncached --------------------------------------------

# group_by key → (the expression grouped on, how its value is written in JSON)
STATS_KEYS = {
    "country": (F("countries"), lambda v: v),
    "topic": (F("topics__slug"), lambda v: v),
    "language": (F("language"), lambda v: v),
    "year": (ExtractYear("date"), lambda v: None if v is None else str(v)),
    "month": (TruncMonth("date"), lambda v: None if v is None else v.strftime("%Y-%m")),
}


def stats_rows(params) -> tuple[list[str], list[dict]]:
    """The groups of `/api/v1/stats/statements/` for these parameters: one GROUP BY query.

    A statement concerning two countries counts once in each (the join on the
    country table gives one row per pair); groups are ordered by their keys.
    """
    keys = [k.strip() for k in params.get("group_by", "").split(",") if k.strip()]
    if not keys or any(k not in STATS_KEYS for k in keys):
        raise ValueError(f"group_by: one or two of {', '.join(STATS_KEYS)}")
    groups = (
        filtered_queryset(params)
        .order_by()
        .values(**{f"_{k}": STATS_KEYS[k][0] for k in keys})
        .annotate(count=Count("id"))
        .order_by(*(f"_{k}" for k in keys))
    )
    return keys, [
        {**{k: STATS_KEYS[k][1](row[f"_{k}"]) for k in keys}, "count": row["count"]}
        for row in groups
    ]


def stats_statements(request):
    try:
        keys, rows = stats_rows(request.GET)
    except ValueError as error:
        return JsonResponse({"detail": str(error)}, status=400)
    total = filtered_queryset(request.GET).count()
    return JsonResponse({"group_by": keys, "total": total, "results": rows})


# --- /changes/: a page of the change feed ---------------------------------------------------


def _feed_entries(resource: str, ids: list[int]) -> list[dict]:
    """The live, public entries of one resource on a feed page, with `.values()`."""
    if resource == "statements":
        return with_countries(list(visible().filter(pk__in=ids).values(*COLUMNS)))
    model = next(m for m, name in feed.resources().items() if name == resource)
    queryset = model._default_manager.filter(pk__in=ids)
    if hasattr(queryset, "public"):
        queryset = queryset.public()
    return list(queryset.values())


def change_feed(request):
    """The API's feed page: the same rows (`seq` after the cursor, the same resources),
    each live entry read with `.values()`, the same envelope; no DRF, no serializer."""
    epoch = FeedState.objects.values_list("epoch", flat=True).get(pk=1)
    raw = request.GET.get("since")
    since = int(raw.rpartition("-")[2]) if raw else 0
    size = int(request.GET.get("page_size", 50))
    resources = sorted(feed.resources().values())
    rows = list(
        Change.objects.filter(seq__gt=since, resource__in=resources)
        .order_by("seq")
        .values("seq", "resource", "object_id", "deleted", "at")[: size + 1]
    )
    more, rows = len(rows) > size, rows[:size]
    wanted: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if not row["deleted"]:
            wanted[row["resource"]].append(row["object_id"])
    found = {
        (resource, entry["id"]): entry
        for resource, ids in wanted.items()
        for entry in _feed_entries(resource, ids)
    }
    results = []
    for row in rows:
        entry = found.get((row["resource"], row["object_id"]))
        results.append(
            {
                "seq": f"{epoch}-{row['seq']}",
                "resource": row["resource"],
                "id": row["object_id"],
                "action": "delete" if entry is None else "upsert",
                "at": row["at"],
                **({} if entry is None else {"object": entry}),
            }
        )
    last = f"{epoch}-{rows[-1]['seq'] if rows else since}"
    next_url = None
    if more:
        next_url = request.build_absolute_uri(f"?page_size={size}&since={last}")
    return JsonResponse({"results": results, "next": next_url, "last": last})
