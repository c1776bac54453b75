"""Which events, statements, topics, programmes, documents and countries a request sees.

Drafts are visible only to users allowed to change (or view) them; a published
statement made at a draft event stays hidden too, so a draft never leaks
through a brief embedded object.
"""

from functools import cached_property

from django.db.models import F
from django.http import Http404
from rest_framework import mixins, viewsets

from ctht_api.pagination import KeysetPagination, Order
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


class ScopedStatementViewSet(StatementListMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
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

    An unknown or malformed code is a 404.
    """

    scope_kwarg = "country_code"
    scope_lookup = "countries"

    def scope_is_visible(self, value) -> bool:
        return Country.objects.filter(code=value).exists()


class CountryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every country that has published data, with its name and counts.

    Counts are of published entries (what any client can see);
    `statement_count` is the length of `/countries/{code}/statements/`. They
    are cached until the record changes (see events/counts.py).
    """

    serializer_class = CountrySerializer
    queryset = Country.objects.all()  # for permissions and the schema; rows come from the cache
    filter_backends: list = []

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(country_counts())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
