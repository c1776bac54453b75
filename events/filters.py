"""Which events, statements, topics, programmes and documents a list returns."""

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q

from ctht_api.filters import (
    CharInFilter,
    NumberInFilter,
    RecordFilterSet,
    StableOrderingFilter,
    country_codes,
    language_condition,
)
from ctht_api.models import Status
from ctht_api.search import search_stored
from events.models import Document, Event, Programme, Statement, Topic


def topic_slugs(value: list[str]) -> list[str]:
    slugs = [slug.strip() for slug in value if slug.strip()]
    known = set(Topic.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    unknown = [slug for slug in slugs if slug not in known]
    if unknown:
        raise ValidationError({"topic": f"Unknown topic slug(s): {', '.join(unknown)}."})
    return slugs


class StatementFilter(RecordFilterSet):
    country = CharInFilter(
        method="filter_country",
        help_text="ISO 3166-1 alpha-2 codes, comma-separated: statements concerning any of them.",
    )
    speaker = NumberInFilter(field_name="speaker_id", help_text="Speaker (person) ids (OR).")
    institution = NumberInFilter(field_name="institution_id", help_text="Institution ids (OR).")
    event = NumberInFilter(field_name="event_id", help_text="Event ids (OR).")
    topic = CharInFilter(method="filter_topic", help_text="Topic slugs, comma-separated (OR).")
    language = CharInFilter(
        method="filter_language",
        help_text="BCP 47 tags, comma-separated; `sr` also matches `sr-Latn` and `sr-Cyrl`.",
    )
    date_after = django_filters.DateFilter(
        field_name="date", lookup_expr="gte", help_text="Said on or after this date (YYYY-MM-DD)."
    )
    date_before = django_filters.DateFilter(
        field_name="date", lookup_expr="lte", help_text="Said on or before this date (YYYY-MM-DD)."
    )
    status = django_filters.ChoiceFilter(
        choices=Status.choices, help_text="draft or published (drafts: editors only)."
    )

    class Meta:
        model = Statement
        fields = ["country", "speaker", "institution", "event", "topic", "language"]

    def filter_country(self, queryset, name, value):
        through = Statement.countries.through.objects.filter(
            statement_id=OuterRef("pk"), country_id__in=country_codes(value)
        )
        return queryset.filter(Exists(through))

    def filter_topic(self, queryset, name, value):
        through = Statement.topics.through.objects.filter(
            statement_id=OuterRef("pk"), topic__slug__in=topic_slugs(value)
        )
        return queryset.filter(Exists(through))

    def filter_language(self, queryset, name, value):
        return queryset.filter(language_condition("language", value))

    def filter_q(self, queryset, name, value):
        return search_stored(queryset, value)


class EventFilter(RecordFilterSet):
    country = CharInFilter(
        method="filter_country",
        help_text="Codes, comma-separated: events held in or concerning any of them.",
    )
    # No DISTINCT (django-filter's default for multiple choices): no join to repeat rows.
    kind = django_filters.MultipleChoiceFilter(
        choices=Event.Kind.choices, distinct=False, help_text="Event kind."
    )
    topic = CharInFilter(method="filter_topic", help_text="Topic slugs, comma-separated (OR).")
    # Exists() rather than a join + DISTINCT: the list's JSON columns have no equality
    # operator on PostgreSQL, so SELECT DISTINCT over them fails.
    programme = NumberInFilter(
        field_name="programmes", method="filter_programme", help_text="Programme ids (OR)."
    )
    organiser = NumberInFilter(
        field_name="organisers",
        method="filter_organiser",
        help_text="Organising institution ids (OR).",
    )
    date_after = django_filters.DateFilter(
        field_name="start_date", lookup_expr="gte", help_text="Starting on or after (YYYY-MM-DD)."
    )
    date_before = django_filters.DateFilter(
        field_name="start_date", lookup_expr="lte", help_text="Starting on or before (YYYY-MM-DD)."
    )
    status = django_filters.ChoiceFilter(
        choices=Status.choices, help_text="draft or published (drafts: editors only)."
    )
    ordering = StableOrderingFilter(
        fields=("start_date", "title", "created_at", "updated_at", "id"),
        help_text="Sort by start_date, title, created_at, updated_at or id (prefix - for "
        "descending). Default: latest start first (unknown last), then highest id.",
    )

    search_fields = ["title", "summary", "city"]

    class Meta:
        model = Event
        fields = ["country", "kind", "topic", "programme", "organiser"]

    def filter_country(self, queryset, name, value):
        codes = country_codes(value)
        through = Event.countries.through.objects.filter(
            event_id=OuterRef("pk"), country_id__in=codes
        )
        return queryset.filter(Exists(through) | Q(country__in=codes))

    def filter_topic(self, queryset, name, value):
        through = Event.topics.through.objects.filter(
            event_id=OuterRef("pk"), topic__slug__in=topic_slugs(value)
        )
        return queryset.filter(Exists(through))

    def filter_programme(self, queryset, name, value):
        through = Event.programmes.through.objects.filter(
            event_id=OuterRef("pk"), programme_id__in=value
        )
        return queryset.filter(Exists(through))

    def filter_organiser(self, queryset, name, value):
        through = Event.organisers.through.objects.filter(
            event_id=OuterRef("pk"), institution_id__in=value
        )
        return queryset.filter(Exists(through))


class TopicFilter(RecordFilterSet):
    ordering = StableOrderingFilter(
        fields=("name", "slug", "created_at", "updated_at", "id"),
        help_text="Sort by name, slug, created_at, updated_at or id. Default: name.",
    )
    search_fields = ["name", "description"]

    class Meta:
        model = Topic
        fields: list[str] = []


class ProgrammeFilter(RecordFilterSet):
    parent = NumberInFilter(field_name="parent_id", help_text="Parent programme ids (OR).")
    funder = NumberInFilter(
        field_name="funders", method="filter_funder", help_text="Funder ids (OR)."
    )
    ordering = StableOrderingFilter(
        fields=("name", "start_date", "created_at", "updated_at", "id"),
        help_text="Sort by name, start_date, created_at, updated_at or id. Default: name.",
    )
    search_fields = ["name", "short_name", "description"]

    class Meta:
        model = Programme
        fields = ["parent", "funder"]

    def filter_funder(self, queryset, name, value):
        # Exists() rather than a join + DISTINCT, as for events' organisers.
        through = Programme.funders.through.objects.filter(
            programme_id=OuterRef("pk"), institution_id__in=value
        )
        return queryset.filter(Exists(through))


class DocumentFilter(RecordFilterSet):
    kind = django_filters.MultipleChoiceFilter(
        choices=Document.Kind.choices, distinct=False, help_text="Document kind."
    )
    publisher = NumberInFilter(field_name="publisher_id", help_text="Publisher ids (OR).")
    language = CharInFilter(method="filter_language", help_text="BCP 47 tags (OR).")
    ordering = StableOrderingFilter(
        fields=("title", "date", "created_at", "updated_at", "id"),
        help_text="Sort by title, date, created_at, updated_at or id. Default: title.",
    )
    search_fields = ["title", "reference"]

    class Meta:
        model = Document
        fields = ["kind", "publisher", "language"]

    def filter_language(self, queryset, name, value):
        return queryset.filter(language_condition("language", value))
