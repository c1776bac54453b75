"""Which events, statements, topics, programmes, documents and countries a request sees.

Drafts are visible only to users allowed to change (or view) them; a published
statement made at a draft event stays hidden too, so a draft never leaks
through a brief embedded object.
"""

from functools import cached_property

from django.db.models import F
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError

from ctht_api.pagination import KeysetPagination, Order
from ctht_api.params import StrictQueryParamsMixin
from ctht_api.search import fold
from ctht_api.viewsets import RecordViewSet
from events.counts import country_counts
from events.filters import (
    DocumentFilter,
    EventFilter,
    ProgrammeFilter,
    StatementFilter,
    TopicFilter,
)
from events.models import SORT_DATE, Document, Event, Programme, Statement, Topic
from events.serializers import (
    DocumentSerializer,
    EventSerializer,
    ProgrammeSerializer,
    StatementSerializer,
    TopicSerializer,
)
from people.countries import normalise_code
from people.models import Country, Institution, Person
from people.serializers import CountrySerializer


class TopicViewSet(RecordViewSet):
    """The controlled vocabulary that events and statements are tagged with."""

    queryset = Topic.objects.order_by("name", "id")
    serializer_class = TopicSerializer
    filterset_class = TopicFilter


class ProgrammeViewSet(RecordViewSet):
    """Funding programmes and projects, with their funders and parent programme."""

    queryset = (
        Programme.objects.select_related("parent")
        .prefetch_related("funders")
        .order_by("name", "id")
    )
    serializer_class = ProgrammeSerializer
    filterset_class = ProgrammeFilter


class DocumentViewSet(RecordViewSet):
    """Studies, reports, conventions and articles that events and statements rely on."""

    queryset = Document.objects.select_related("publisher").order_by("title", "id")
    serializer_class = DocumentSerializer
    filterset_class = DocumentFilter


class EventViewSet(RecordViewSet):
    """Conferences, workshops, trainings, meetings, campaigns and press releases.

    Anonymous clients see published events only; drafts are absent from lists
    and answer 404.
    """

    serializer_class = EventSerializer
    filterset_class = EventFilter

    def get_queryset(self):
        return Event.objects.for_api().visible_to(self.request.user)


def visible_statements(user):
    return Statement.objects.for_api().visible_to(user)


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


class StatementViewSet(StatementListMixin, RecordViewSet):
    """The exact words officials said, with speaker, event, date, countries and topics.

    Anonymous clients see published statements only (and none made at a draft
    event). Filter with `country`, `speaker`, `institution`, `event`, `topic`,
    `language`, `date_after`, `date_before`, `updated_since` and `q`.
    """

    serializer_class = StatementSerializer
    filterset_class = StatementFilter

    def get_queryset(self):
        return visible_statements(self.request.user)


class ScopedStatementViewSet(
    StatementListMixin, StrictQueryParamsMixin, mixins.ListModelMixin, viewsets.GenericViewSet
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
        """The URL's scope, checked once per request (the permission check asks for the
        queryset too)."""
        value = self.kwargs[self.scope_kwarg]
        if not self.scope_is_visible(value):
            raise Http404
        return value

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no URL kwargs
            return Statement.objects.none()
        return visible_statements(self.request.user).filter(**{self.scope_lookup: self.scope_value})


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


class CountryViewSet(StrictQueryParamsMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
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
        page = self.paginate_queryset(self.filter_queryset(country_counts()))
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
