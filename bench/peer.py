"""The plain-DRF peer: the statements list and detail as a typical DRF project writes them.

Server C of the benchmark (bench/run.py), under `/peer/statements/`: what the API
(server A) is compared with beside the bare-Django baseline (server B). Written
the way most DRF projects are, neither sabotaged nor tuned past that:

- nested `ModelSerializer`s for the speaker, position, institution, event and
  source (an `id`, a hyperlinked `url` and a field or two, as the API embeds them),
  countries and topics as `SlugRelatedField`s, translations nested;
- `select_related` for the five foreign keys, `prefetch_related` for countries,
  topics and translations (one query each);
- a django-filter `FilterSet` for `country`, `topic`, `date_after` (one value
  each: an exact match on the related code or slug, as `filterset_fields` would
  generate) and `q` (a filter method on the same search document and
  `websearch_to_tsquery` as the baseline, `bench.baseline.matching`, so the rows
  are the same);
- DRF's `PageNumberPagination` (`page`, `page_size` up to 500), which counts
  every matching row on every page: what most projects ship;
- a `ReadOnlyModelViewSet` with DRF's defaults: session and basic authentication,
  `AllowAny`, no throttle, `JSONRenderer`.

The rows are those the API shows an anonymous client: `Statement.objects.public()`
(published, out of embargo, not at a draft or embargoed event), in the API's
default order (latest date first, unknown dates last, then highest id) written as
the expression its index serves, so that both sides read the same index and the
comparison is of the frameworks, not of a missing index. bench/probe.py checks
that each benchmarked page holds the API's rows, in the same order.

A page-number paginator has no cursor: the peer's deep page is the page number
that holds the row at 90% of the order (`?page=<position // 50 + 1>`), which
PostgreSQL reaches by reading and skipping every row before it (`OFFSET`).
"""

import datetime

from django.db.models import Value
from django.db.models.functions import Coalesce
from django_filters import rest_framework as filters
from rest_framework import routers, serializers, viewsets
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer

from bench.baseline import matching
from events.models import Document, Event, Statement, StatementTranslation
from people.models import Institution, Person, Position

PAGE_SIZE = 50


class PersonSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="person-detail")

    class Meta:
        model = Person
        fields = ["id", "url", "full_name"]


class PositionSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="position-detail")

    class Meta:
        model = Position
        fields = ["id", "url", "title"]


class InstitutionSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="institution-detail")
    country = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Institution
        fields = ["id", "url", "name", "country"]


class EventSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="event-detail")

    class Meta:
        model = Event
        fields = ["id", "url", "title"]


class DocumentSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="document-detail")

    class Meta:
        model = Document
        fields = ["id", "url", "title"]


class TranslationSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatementTranslation
        fields = ["language", "text", "kind"]


class StatementSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="peer-statement-detail")
    speaker = PersonSerializer(read_only=True)
    position = PositionSerializer(read_only=True)
    institution = InstitutionSerializer(read_only=True)
    event = EventSerializer(read_only=True)
    source = DocumentSerializer(read_only=True)
    countries = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    topics = serializers.SlugRelatedField(many=True, read_only=True, slug_field="slug")
    translations = TranslationSerializer(many=True, read_only=True)

    class Meta:
        model = Statement
        fields = [
            "id",
            "url",
            "text",
            "language",
            "speaker",
            "position",
            "institution",
            "event",
            "date",
            "countries",
            "topics",
            "source",
            "translations",
            "context",
            "status",
            "publish_at",
            "created_at",
            "updated_at",
        ]


class StatementFilter(filters.FilterSet):
    country = filters.CharFilter(field_name="countries__code")
    topic = filters.CharFilter(field_name="topics__slug")
    date_after = filters.DateFilter(field_name="date", lookup_expr="gte")
    q = filters.CharFilter(method="search")

    class Meta:
        model = Statement
        fields = ["country", "topic", "date_after", "q"]

    def search(self, queryset, name, value):
        return matching(queryset, value)


class StatementPagination(PageNumberPagination):
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = 500


# Latest first, unknown dates last, then highest id: the API's default order, as the
# expression of the index statement_sort_date_id.
ORDER = (Coalesce("date", Value(datetime.date.min)).desc(), "-id")


class StatementViewSet(viewsets.ReadOnlyModelViewSet):
    """Statements, the plain-DRF way."""

    serializer_class = StatementSerializer
    filterset_class = StatementFilter
    filter_backends = [filters.DjangoFilterBackend]
    pagination_class = StatementPagination
    authentication_classes = [SessionAuthentication, BasicAuthentication]
    permission_classes = [AllowAny]
    throttle_classes: list = []
    renderer_classes = [JSONRenderer]

    def get_queryset(self):
        return (
            Statement.objects.public()
            .select_related("speaker", "position", "institution", "event", "source")
            .prefetch_related("countries", "topics", "translations")
            .order_by(*ORDER)
        )


router = routers.SimpleRouter()
router.register("statements", StatementViewSet, basename="peer-statement")
