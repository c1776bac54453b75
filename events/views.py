"""Which events, statements, topics, programmes, documents and countries a request sees.

Drafts are visible only to users allowed to change (or view) them; a published
statement made at a draft event stays hidden too, so a draft never leaks
through a brief embedded object. The same holds for what is counted
(`/countries/`, `/stats/statements/`).
"""

import datetime
import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace
from functools import cached_property

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections
from django.db.models import F
from django.db.models.functions import JSONObject
from django.http import Http404
from django.utils import timezone
from drf_orjson_renderer.renderers import ORJSONRenderer
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from ctht_api.aggregates import json_array
from ctht_api.csv_export import (
    CSVListMixin,
    columns_for,
    csv_filename,
    csv_response,
    field_columns,
    rows_in_one_transaction,
    wants_csv,
)
from ctht_api.errors import PROBLEM_CONTENT_TYPE
from ctht_api.filters import MAX_ID
from ctht_api.identifiers import with_identifiers
from ctht_api.languages import DisplayLanguageMixin, requested_languages
from ctht_api.other_names import with_other_names
from ctht_api.pagination import KeysetPagination, Order, PageQuery, requested_page_size
from ctht_api.params import StrictQueryParamsMixin, format_parameter
from ctht_api.permissions import can_see_drafts
from ctht_api.public_cache import PublicAnswerCacheMixin
from ctht_api.search import fold
from ctht_api.serializers import url_template
from ctht_api.sources import with_sources
from ctht_api.viewsets import RecordViewSet
from events.counts import country_counts
from events.filters import (
    DocumentFilter,
    EventFilter,
    ProgrammeFilter,
    StatementFilter,
    TopicFilter,
)
from events.models import (
    SORT_DATE,
    Document,
    Event,
    Programme,
    Statement,
    Topic,
    TopicTranslation,
)
from events.record_version import cached_by_record_version
from events.safety import PERSONAL_DATA_RESPONSE, SAFETY_OVERRIDE_PARAMETER, SafetyOverrideMixin
from events.serializers import (
    DocumentSerializer,
    EventSerializer,
    ProgrammeSerializer,
    StatementSerializer,
    StatementStatsRowSerializer,
    StatementStatsSerializer,
    TopicSerializer,
)
from events.statement_csv import CSVBatches
from events.statement_json import LINKS as JSON_LINKS
from events.statement_json import CompiledQuery, compiled_page
from events.stats import DIMENSIONS, MAX_DIMENSIONS, ORDERINGS, statement_stats
from people.countries import normalise_code
from people.filters import country_codes
from people.models import Country, Institution, Person
from people.serializers import CountrySerializer


class TopicViewSet(DisplayLanguageMixin, RecordViewSet):
    """The controlled vocabulary that events and statements are tagged with.

    Each topic carries its name and description in other languages
    (`translations`); with `lang` or `Accept-Language` also `display`, the topic in
    the client's language.
    """

    queryset = Topic.objects.annotate(
        translation_list=json_array(
            TopicTranslation.objects.all(),
            "topic_id",
            JSONObject(language="language", name="name", description="description"),
        )
    ).order_by("name", "id")
    serializer_class = TopicSerializer
    filterset_class = TopicFilter


class ProgrammeViewSet(RecordViewSet):
    """Funding programmes and projects, with their funders and parent programme."""

    queryset = with_identifiers(
        with_sources(
            with_other_names(
                Programme.objects.select_related("parent")
                .prefetch_related("funders")
                .order_by("name", "id")
            )
        )
    )
    serializer_class = ProgrammeSerializer
    filterset_class = ProgrammeFilter


class DocumentViewSet(RecordViewSet):
    """Studies, reports, conventions and articles that events and statements rely on."""

    queryset = with_identifiers(
        Document.objects.select_related("publisher").order_by("title", "id")
    )
    serializer_class = DocumentSerializer
    filterset_class = DocumentFilter


class EventViewSet(RecordViewSet):
    """Conferences, workshops, trainings, meetings, campaigns and press releases.

    Anonymous clients see published events only; drafts are absent from lists
    and answer 404. So is an embargoed event (`publish_at` still ahead) until that
    moment, when it appears everywhere at once, without a write; clients who cannot see
    drafts therefore only ever see a `publish_at` that is past (or null).
    """

    serializer_class = EventSerializer
    filterset_class = EventFilter

    def get_queryset(self):
        return Event.objects.for_api().visible_to(self.request.user)


def compiled_country(value: str) -> str | None:
    """`value` of `country` as the shape of a compiled page holds it: one code of two ASCII
    letters, in capitals, still known (people.filters; the vocabulary of this process, up
    to `ctht_api.vocabularies.SECONDS` old); else None, and the page goes the filter's way
    (another spelling, which would be one more shape each; an unknown code: its 400)."""
    code = value.upper()
    if not (len(code) == 2 and code.isascii() and code.isalpha()):
        return None
    try:
        country_codes([code])
    except DjangoValidationError:
        return None
    return code


class StatementJSONMixin:
    """Statement lists (and the detail of `StatementViewSet`) as JSON written by
    PostgreSQL and passed through untouched (events.statement_json): for `GET` and
    `HEAD` answered by the JSON renderer, on PostgreSQL, without a `display` language.
    Their CSV, on PostgreSQL, is written as cells by PostgreSQL too
    (events.statement_csv). Anything else (SQLite, `lang` or `Accept-Language`, the
    browsable API, writes) reads model instances for `StatementSerializer`; both paths
    write the same JSON, and the same CSV."""

    @cached_property
    def json_from_database(self) -> bool:
        request = self.request
        if request.method not in ("GET", "HEAD") or self.action not in ("list", "retrieve"):
            return False
        if not isinstance(getattr(request, "accepted_renderer", None), ORJSONRenderer):
            return False
        if connections[Statement.objects.db].vendor != "postgresql":
            return False
        try:
            return not requested_languages(request)
        except ValidationError:  # a bad `lang`: a 400 soon (DisplayLanguageMixin)
            return False

    @cached_property
    def csv_from_database(self) -> bool:
        """A CSV list on PostgreSQL: its cells written by the database (`csv_list_response`)."""
        return (
            self.action == "list"
            and wants_csv(self.request)
            and connections[Statement.objects.db].vendor == "postgresql"
        )

    @cached_property
    def visible_statements(self):
        """The statements this client sees, built once per request (the permission check
        asks for the queryset too), then only refined by clones (`visible_at`)."""
        return self.visible_at()

    def visible_at(self, now=None):
        """The statements this client sees at `now` (by default the present), as JSON
        rows, as instances for the serializer, or as they are for the CSV's query."""
        statements = Statement.objects.visible_to(self.request.user, now=now)
        if self.csv_from_database:
            return statements
        if not self.json_from_database:
            return statements.for_api()
        return statements.as_json(self.json_urls)

    def scoped(self, statements):
        """`statements` within the view's scope (the URL's resource); the whole list here."""
        return statements

    def csv_list_response(self, entries):
        """On PostgreSQL, the CSV's cells written by the query (events.statement_csv), read
        chunk by chunk in one transaction as every CSV list is (ctht_api.csv_export)."""
        if not self.csv_from_database:
            return super().csv_list_response(entries)
        size = settings.CSV_CHUNK_SIZE
        columns = columns_for(self.get_serializer())
        url = self.json_urls["statement-detail"]
        rows = rows_in_one_transaction(
            CSVBatches(entries, [column.header for column in columns], url, size),
            lambda batch: batch,
        )
        next(rows)  # the first chunk, read inside the view: a failing query is a problem
        return csv_response(
            rows,
            columns,
            csv_filename(self.request),
            rows_per_piece=size,
            cells=True,
            head=self.request.method == "HEAD",
        )

    @cached_property
    def json_urls(self) -> dict[str, tuple[str, str]]:
        """Each link's absolute URL before and after the id (`as_json`)."""
        context = {"request": self.request}
        return {name: url_template(context, name).partition("{}")[::2] for name in JSON_LINKS}

    def get_object(self):
        """On the JSON path, for a client who sees only the public record: the statement
        by SQL compiled once per process (`StatementQuerySet.public_json`), the same row
        the ORM's path reads (a detail takes no filter, ctht_api.params)."""
        pk = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
        if (
            not self.json_from_database
            or self.action != "retrieve"
            or can_see_drafts(self.request.user, Statement)
            or not (
                isinstance(pk, str)
                and pk.isascii()
                and pk.isdigit()
                and len(pk) <= len(str(MAX_ID))
                and int(pk) <= MAX_ID
            )
        ):
            return super().get_object()  # a malformed id too: the ORM's path answers 404
        row = Statement.objects.public_json(int(pk), self.json_urls)
        if row is None:  # in the words of Django's get_object_or_404
            raise Http404(f"No {Statement._meta.object_name} matches the given query.")
        self.check_object_permissions(self.request, row)
        self._tagged = row  # its ETag, as ctht_api.concurrency's get_object keeps a read's
        return row

    def list(self, request, *args, **kwargs):
        if not self.json_from_database:
            return super().list(request, *args, **kwargs)
        # This mixin answers before the cache's in StatementViewSet's bases: ask it here
        # (a no-op where it asked first, ScopedStatementViewSet).
        answer = self.public_answer(request)
        if answer is not None:
            return answer
        if self.page_is_compiled:
            rows = self.paginator.paginate(
                request,
                self,
                self.compiled_rows,
                count=lambda: self.filter_queryset(self.get_queryset()).count(),
            )
        else:
            statements = self.filter_queryset(self.get_queryset())
            if self.page_is_prepared:
                statements = statements.prepared_json()
            rows = self.paginate_queryset(statements)
        return self.get_paginated_response(
            orjson.Fragment("[" + ",".join(row.json for row in rows) + "]")
        )

    # Whether the view's own scope leaves a page's plan the same whatever its value: the
    # whole list (no scope), or a country's list (its code is written into the SQL).
    scope_is_a_constant = False
    # Filters whose values reach the SQL only as strings (country codes), which a prepared
    # page has written into its SQL (`constants_inlined`): each value its own statement,
    # planned for that value as an unprepared page is. Each with the value a compiled page
    # (`page_is_compiled`) holds in its shape, or None: checked in place of the filter,
    # which checked it when the page was compiled (the vocabulary changes).
    prepared_filters = {"country": compiled_country}

    @property
    def page_is_prepared(self) -> bool:
        """Whether this page's query is prepared (`StatementJSONIterable`): asked for
        nothing but the paginator's parameters (`cursor`, `ordering`, `page_size`,
        `count`), `format` and `prepared_filters`, in a view whose scope is a constant,
        so that its plan is the ordering's index scan whatever the values that stay
        parameters (the moment, a cursor). Any other filter is planned every time.

        Each shape is a statement of its own on every connection (psycopg keeps the 100
        most recent, and deallocates the oldest): so only pages of the default size
        (Django writes `LIMIT` into the SQL) and of one country at most (each list of
        codes would be another) are prepared; other sizes and several countries are
        planned every time, as a filtered page is."""
        if not self.scope_is_a_constant:
            return False
        params = self.request.query_params
        if not set(params) <= {
            *self.paginator.query_parameters(),
            format_parameter(),
            *self.prepared_filters,
        }:
            return False
        if any("," in params.get(name, "") for name in self.prepared_filters):
            return False
        # The paginator's own reading (a bad size is its 400, here as there).
        size = requested_page_size(self.request, self.paginator.page_size_query_param)
        return size == api_settings.PAGE_SIZE

    @property
    def page_is_compiled(self) -> bool:
        """Whether this page's SQL comes compiled (`compiled_rows`): a prepared page that
        names no `count`, whose filter values each have the form a compiled page's shape
        holds (`prepared_filters`: one known country code), so that what decides its SQL
        is the view, its scope, the client's visibility, those values and the
        paginator's reading. Any other value goes the filter's way (an unknown code: its
        400)."""
        return (
            self.page_is_prepared
            and self.paginator.count_param not in self.request.query_params
            and self.compiled_filters is not None
        )

    @cached_property
    def compiled_filters(self) -> tuple | None:
        """The `prepared_filters` the request names, with the values a compiled page's
        shape holds; None when one has none."""
        params, named = self.request.query_params, []
        for name, compiled in self.prepared_filters.items():
            if name in params:
                value = compiled(params[name])
                if value is None:
                    return None
                named.append((name, value))
        return tuple(named)

    def compiled_rows(self, page: PageQuery) -> list:
        """The rows of `page` by SQL compiled once per shape (events.statement_json
        `compiled_page`) and prepared, the moment and the cursor's key and id its
        parameters: what `paginate_queryset` would read, without the ORM's building and
        compiling (in process, about half of a page's CPU). The shape is all that decides
        the SQL: the view and its URL (the scope), the `prepared_filters`' values, whether
        the client sees drafts, the ordering, the direction, whether a cursor is given,
        the page's size."""
        sees_drafts = can_see_drafts(self.request.user, Statement)
        names, placeholders, values = [], (), ()
        if not sees_drafts:
            names, placeholders, values = ["now"], (PAGE_NOW,), (timezone.now(),)
        if page.cursor:
            names += ["k", "i"]
            placeholders += (CURSOR_KEYS[page.order.kind], CURSOR_ID)
            values += (page.cursor["k"], page.cursor["i"])
        using = Statement.objects.db
        shape = (
            connections[using].vendor,
            type(self),
            tuple(sorted(self.kwargs.items())),
            self.compiled_filters,
            sees_drafts,
            page.ordering,
            page.descending,
            bool(page.cursor),
            page.limit,
        )

        def build(at: tuple):
            named = dict(zip(names, at, strict=True))
            statements = self.filter_queryset(self.scoped(self.visible_at(named.get("now"))))
            cursor = page.cursor and {**page.cursor, "k": named["k"], "i": named["i"]}
            placed = replace(page, cursor=cursor)
            return self.paginator.page_queryset(statements.prepared_json(), placed)

        compiled = compiled_page(
            shape, lambda: CompiledQuery.of(build, placeholders, inline_constants=True)
        )
        if compiled is None:  # built every time
            return list(build(values))
        return compiled.rows(values, self.json_urls, connections[using])


# Placeholders of a compiled page (`compiled_rows`): values no request sends.
PAGE_NOW = datetime.datetime(1902, 3, 4, 5, 6, 7, 890123, tzinfo=datetime.UTC)
CURSOR_KEYS = {
    "date": datetime.date(1902, 3, 5),
    "datetime": datetime.datetime(1902, 3, 6, 7, 8, 9, 12345, tzinfo=datetime.UTC),
    "id": -8_765_432_107,
}
CURSOR_ID = -8_765_432_108

STATEMENT_ORDERINGS = {
    "-date": Order(SORT_DATE, descending=True, kind="date"),
    "date": Order(SORT_DATE, descending=False, kind="date"),
    "-updated_at": Order(F("updated_at"), descending=True, kind="datetime"),
    "updated_at": Order(F("updated_at"), descending=False, kind="datetime"),
    "-id": Order(F("id"), descending=True, kind="id"),
    "id": Order(F("id"), descending=False, kind="id"),
}


class StatementListMixin:
    """Keyset pages over the statement orderings (see ctht_api.pagination)."""

    pagination_class = KeysetPagination
    orderings = STATEMENT_ORDERINGS
    default_ordering = "-date"


def statement_write_schema(status: int):
    """A statement write: the override header, and the 422 of the personal-data check."""
    return extend_schema(
        parameters=[SAFETY_OVERRIDE_PARAMETER],
        responses={
            status: StatementSerializer,
            (422, PROBLEM_CONTENT_TYPE): PERSONAL_DATA_RESPONSE,
        },
    )


@extend_schema_view(
    create=statement_write_schema(201),
    update=statement_write_schema(200),
    partial_update=statement_write_schema(200),
)
class StatementViewSet(
    SafetyOverrideMixin, DisplayLanguageMixin, StatementJSONMixin, StatementListMixin, RecordViewSet
):
    """The exact words officials said, with speaker, event, date, countries and topics.

    Anonymous clients see published statements only (and none made at a draft
    event); an embargoed statement, or one made at an embargoed event, appears when the
    embargo (`publish_at`) ends, without a write, so they only ever see a past or null
    `publish_at`. Filter with `country`, `speaker`, `institution`, `event`, `topic`,
    `language`, `date_after`, `date_before`, `updated_since` and `q`. With `lang` or
    `Accept-Language`, each statement also carries `display`, its words in the client's
    language; `text` and `language` stay the original.
    """

    serializer_class = StatementSerializer
    filterset_class = StatementFilter
    scope_is_a_constant = True

    def get_queryset(self):
        return self.visible_statements

    def retrieve(self, request, *args, **kwargs):
        if not self.json_from_database:
            return super().retrieve(request, *args, **kwargs)
        # Defined here, before the cache's own `retrieve` in the bases: ask it first.
        answer = self.public_answer(request)
        if answer is not None:
            return answer
        return Response(orjson.Fragment(self.get_object().json))


class ScopedStatementViewSet(
    PublicAnswerCacheMixin,
    DisplayLanguageMixin,
    StatementJSONMixin,
    StatementListMixin,
    StrictQueryParamsMixin,
    CSVListMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Base for statement lists under another resource; 404 when that resource is not visible."""

    serializer_class = StatementSerializer
    filterset_class = StatementFilter
    scope_kwarg = ""
    scope_lookup = ""

    def scope_is_visible(self, value) -> bool:
        raise NotImplementedError

    @cached_property
    def scope_value(self):
        """The URL's scope, checked once per request."""
        value = self.kwargs[self.scope_kwarg]
        if not self.scope_is_visible(value):
            raise Http404
        return value

    def check_permissions(self, request):
        super().check_permissions(request)
        # A resource that is not visible is a 404 here, before throttling, the cache's 304
        # and OPTIONS' metadata: where DRF's model permission check, which built the
        # queryset, used to raise it (ctht_api.permissions no longer builds it for reads).
        if not getattr(self, "swagger_fake_view", False):
            _ = self.scope_value

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no URL kwargs
            return Statement.objects.none()
        return self.scoped(self.visible_statements)

    def scoped(self, statements):
        return statements.filter(**{self.scope_lookup: self.scope_value})


class EventStatementViewSet(ScopedStatementViewSet):
    """Statements made at one event; accepts the same filters as `/statements/`."""

    scope_kwarg = "event_pk"
    scope_lookup = "event_id"

    def scope_is_visible(self, value) -> bool:
        return Event.objects.visible_to(self.request.user).filter(pk=value).exists()


class PersonStatementViewSet(ScopedStatementViewSet):
    """Statements by one person; accepts the same filters as `/statements/`."""

    scope_kwarg = "person_pk"
    scope_lookup = "speaker_id"

    def scope_is_visible(self, value) -> bool:
        return Person.objects.filter(pk=value).exists()


class InstitutionStatementViewSet(ScopedStatementViewSet):
    """Statements made for one institution; accepts the same filters as `/statements/`."""

    scope_kwarg = "institution_pk"
    scope_lookup = "institution_id"

    def scope_is_visible(self, value) -> bool:
        return Institution.objects.filter(pk=value).exists()


class CountryStatementViewSet(ScopedStatementViewSet):
    """Statements concerning one country: the same list as `/statements/?country={code}`.

    The code is case-insensitive, as everywhere in the API: `/countries/rs/statements/`
    answers the same list as `/countries/RS/statements/`, directly rather than with a
    redirect, as `?country=rs` does (one request for a client, and `next` links keep the
    path it asked for). An unknown or malformed code is a 404.
    """

    scope_kwarg = "country_code"
    scope_lookup = "countries"
    scope_is_a_constant = True

    def initial(self, request, *args, **kwargs):
        # Before the permission check, which already reads the queryset.
        self.kwargs[self.scope_kwarg] = normalise_code(self.kwargs[self.scope_kwarg])
        super().initial(request, *args, **kwargs)

    def scope_is_visible(self, value) -> bool:
        return Country.objects.filter(code=value).exists()


COUNTRY_SORT_KEYS = {
    "code": lambda row: row["code"],
    "name": lambda row: (fold(row["name"]), row["name"]),
    "statement_count": lambda row: row["statement_count"],
    "event_count": lambda row: row["event_count"],
    "institution_count": lambda row: row["institution_count"],
}
COUNTRY_ORDERINGS = [f"{sign}{key}" for key in COUNTRY_SORT_KEYS for sign in ("", "-")]


class CountryViewSet(
    StrictQueryParamsMixin, CSVListMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """Every country that has published data, with its name and counts.

    Counts are of published entries (what any client can see);
    `statement_count` is the length of `/countries/{code}/statements/`. They
    are cached until the record changes (see events/counts.py).

    `ordering` sorts by `code` (the default), `name` or a count, `-` for
    descending; ties are in code order. `updated_since` is refused (400): a
    country's counts change when an entry is deleted or unpublished, which
    leaves no timestamp to compare, so a mirror must fetch this short list whole.
    """

    serializer_class = CountrySerializer
    queryset = Country.objects.all()  # for permissions and the schema; rows come from the cache
    filter_backends: list = []
    extra_query_params = ("ordering", "updated_since")  # read by filter_queryset below

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "ordering",
                str,
                enum=COUNTRY_ORDERINGS,
                description="Sort by `code` (the default), `name`, `statement_count`, "
                "`event_count` or `institution_count`; prefix `-` for descending. "
                "Ties are in code order.",
            ),
            OpenApiParameter(
                "updated_since",
                str,
                description="Not supported here: any value is a 400. Counts change when an "
                "entry is deleted or unpublished, which leaves no timestamp to compare; fetch "
                "this short list whole.",
            ),
        ]
    )
    def list(self, request, *args, **kwargs):
        rows = self.filter_queryset(country_counts())
        if wants_csv(request):
            return self.csv_list_response(rows)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def filter_queryset(self, rows):
        """The cached rows in the requested order (sorted in Python: the cache holds a
        list, at most one row per country)."""
        params = self.request.query_params
        if "updated_since" in params:
            raise ValidationError(
                {
                    "updated_since": [
                        "Not supported on /countries/: counts change without a timestamp "
                        "(a deletion, an unpublished entry); fetch the list whole."
                    ]
                }
            )
        ordering = params.get("ordering") or "code"
        if ordering not in COUNTRY_ORDERINGS:
            raise ValidationError(
                {"ordering": [f"Must be one of {', '.join(COUNTRY_ORDERINGS)}; got {ordering!r}."]}
            )
        key = COUNTRY_SORT_KEYS[ordering.removeprefix("-")]
        by_code = sorted(rows, key=COUNTRY_SORT_KEYS["code"])
        return sorted(by_code, key=key, reverse=ordering.startswith("-"))  # stable: ties by code


def requested_group_by(params) -> list[str]:
    """`group_by=country,month` (or the parameter repeated): one or two known keys, each
    once; anything else is a 400 naming `group_by`."""
    names = [name.strip() for value in params.getlist("group_by") for name in value.split(",")]
    names = [name for name in names if name]
    known = ", ".join(DIMENSIONS)
    problem = None
    if not names:
        problem = f"Required: one or two of {known}, comma-separated."
    elif unknown := [name for name in names if name not in DIMENSIONS]:
        problem = f"Unknown key(s) {', '.join(map(repr, unknown))}; use one or two of {known}."
    elif len(set(names)) < len(names):
        problem = "Each key may be given once."
    elif len(names) > MAX_DIMENSIONS:
        problem = f"At most {MAX_DIMENSIONS} keys; got {len(names)}."
    if problem:
        raise ValidationError({"group_by": [problem]})
    return names


class StatementStatsViewSet(StrictQueryParamsMixin, CSVListMixin, viewsets.GenericViewSet):
    """How many statements there are per country, topic, language, speaker, institution,
    event, year or month, or per pair of these (`group_by=country,month`).

    Every filter of `/statements/` applies (`country`, `topic`, `date_after`, `q`, …),
    with the same visibility: anonymous clients and keys without the drafts scope
    count published statements only, and none made at a draft event. A group's
    count equals the `count` of `/statements/` with the same filters narrowed to
    that group (`?country=RS&count=true`).

    Keys: a country code, a topic slug, a language tag, the brief speaker,
    institution or event (as a statement embeds them), `"2024"` for a year,
    `"2024-05"` for a month. `null` stands for no country, no topic, no
    institution, no event, or an unknown date. A statement concerning BA and RS
    counts once in each group; `total` counts distinct statements.

    `results` holds every group, not a page: there is no `page_size` or `cursor`.
    As CSV (`format=csv`), one row per group: the keys flattened as in every CSV
    (a brief object is `<key>_id` and its name or title), then `count`; `total`
    is left out (it is not a group).
    Groups are sorted by their keys in the order of `group_by` (months
    chronologically, brief objects by name, `null` last); `ordering=-count`
    puts the largest groups first (`count`, the smallest), ties by the keys.
    Answers are cached until the record changes.
    """

    serializer_class = StatementStatsSerializer
    filterset_class = StatementFilter
    pagination_class = None
    root_link = (
        "Statement counts per country, topic, language, speaker, institution, event, year "
        "or month (`?group_by=country,month`)."
    )
    # What the query-parameter check accepts beside the filters (API.md, "Query
    # parameters are checked").
    extra_query_params = ("group_by", "ordering")
    repeatable_query_params = ("group_by",)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Statement.objects.none()
        return Statement.objects.visible_to(self.request.user)

    @extend_schema(
        summary="Count statements by group",
        parameters=[
            OpenApiParameter(
                "group_by",
                str,
                many=True,
                explode=False,
                required=True,
                enum=list(DIMENSIONS),
                description="One or two keys, comma-separated (`country,month`): the "
                "statements are counted per value of each, or per pair of values.",
            ),
            OpenApiParameter(
                "ordering",
                str,
                enum=list(ORDERINGS),
                description="`-count`: largest groups first; `count`: smallest first; "
                "ties by the keys. Default: by the keys, in the order of `group_by`.",
            ),
        ],
    )
    def list(self, request, *args, **kwargs):
        params = request.query_params
        group_by = requested_group_by(params)
        ordering = params.get("ordering") or None
        if ordering is not None and ordering not in ORDERINGS:
            raise ValidationError(
                {"ordering": [f"Must be one of {', '.join(ORDERINGS)}; got {ordering!r}."]}
            )
        answer = cached_by_record_version(
            self.cache_name(group_by, ordering),
            lambda: statement_stats(self.filter_queryset(self.get_queryset()), group_by, ordering),
        )
        data = self.get_serializer(answer).data
        if wants_csv(request):
            return csv_response(
                data["results"],
                self.csv_columns(group_by),
                csv_filename(request),
                head=request.method == "HEAD",
            )
        return Response(data)

    @staticmethod
    def csv_columns(group_by: Sequence[str]) -> list:
        fields = StatementStatsRowSerializer().fields
        return [
            column for name in (*group_by, "count") for column in field_columns(name, fields[name])
        ]

    @classmethod
    def csv_response_schema(cls) -> dict:
        """The `text/csv` answer in the OpenAPI document (ctht_api.schema asks for it)."""
        columns = {
            key: [column.header for column in cls.csv_columns([key])][:-1] for key in DIMENSIONS
        }
        listed = "; ".join(
            f"`{key}`: " + ", ".join(f"`{header}`" for header in headers)
            for key, headers in columns.items()
        )
        return {
            "type": "string",
            "description": (
                "One row per group, in the answer's order: UTF-8 with a byte-order mark, a "
                "header row, `\\r\\n` line ends. Columns: those of each `group_by` key, in "
                f"order ({listed}), then `count`. `total` is not a row. A text cell "
                "beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed "
                "with `'`."
            ),
        }

    def cache_name(self, group_by: Sequence[str], ordering: str | None) -> str:
        """What the answer depends on: the keys, the ordering, each filter as given, and
        whether this client sees drafts (`visible_to` decides by that alone), so that
        no drafts-visible answer reaches an anonymous client. Filters are not checked
        here: an answer is cached only after they passed, and a change to what they
        check against (a topic deleted) is a write, which retires it."""
        params = self.request.query_params
        filters = sorted(
            (name, params.get(name)) for name in self.filterset_class.base_filters if name in params
        )
        scope = "drafts" if can_see_drafts(self.request.user, Statement) else "published"
        canonical = json.dumps([group_by, ordering, filters], ensure_ascii=False)
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        return f"stats-statements:v1:{scope}:{digest}"
