"""Which events, statements, topics, programmes and documents a list returns."""

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q

from ctht_api.filters import (
    AnyRelatedCharFilter,
    AnyRelatedIdFilter,
    CharInFilter,
    IdentifierFilter,
    NumberInFilter,
    RecordFilterSet,
    StableOrderingFilter,
    date_range,
    language_condition,
    related_exists,
)
from ctht_api.models import Status
from ctht_api.search import search_stored
from ctht_api.vocabularies import Vocabulary
from events.models import Document, Event, Programme, Statement, Topic
from people.filters import CountryFilter, country_codes

# Checked without a query of their own (ctht_api/vocabularies.py).
TOPIC_SLUGS = Vocabulary(Topic, "slug")


def topic_slugs(value: list[str]) -> list[str]:
    slugs = [slug.strip() for slug in value if slug.strip()]
    if unknown := TOPIC_SLUGS.unknown(slugs):
        raise ValidationError({"topic": f"Unknown topic slug(s): {', '.join(unknown)}."})
    return slugs


class PublishableFilterSet(RecordFilterSet):
    """What the statement and event lists share: `status` and `topic` (the subclass adds
    `date_after` and `date_before` with `date_range`, on its own date field)."""

    status = django_filters.ChoiceFilter(
        choices=Status.choices, help_text="draft or published (drafts: editors only)."
    )
    topic = AnyRelatedCharFilter(
        field_name="topics__slug", clean=topic_slugs, help_text="Topic slugs, comma-separated (OR)."
    )
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        method="filter_updated_since",
        help_text="Entries changed at or after this ISO 8601 timestamp (for keeping a mirror); "
        "for clients who see published entries only, also those that appeared since then "
        "because an embargo (`publish_at`, theirs or their event's) ended.",
    )


class StatementFilter(PublishableFilterSet):
    country = CountryFilter(
        field_name="countries",
        help_text="ISO 3166-1 alpha-2 codes, comma-separated: statements concerning any of them.",
    )
    speaker = NumberInFilter(field_name="speaker_id", help_text="Speaker (person) ids (OR).")
    institution = NumberInFilter(field_name="institution_id", help_text="Institution ids (OR).")
    event = NumberInFilter(field_name="event_id", help_text="Event ids (OR).")
    language = CharInFilter(
        method="filter_language",
        help_text="BCP 47 tags, comma-separated; `sr` also matches `sr-Latn` and `sr-Cyrl`.",
    )
    date_after, date_before = date_range("date", "Said on or {} this date (YYYY-MM-DD).")

    class Meta:
        model = Statement
        fields = ["country", "speaker", "institution", "event", "topic", "language"]

    def filter_language(self, queryset, name, value):
        return queryset.filter(language_condition("language", value))

    def filter_q(self, queryset, name, value):
        return search_stored(queryset, value)


class EventFilter(PublishableFilterSet):
    country = CountryFilter(
        method="filter_country",
        help_text="Codes, comma-separated: events held in or concerning any of them.",
    )
    # No DISTINCT (django-filter's default for multiple choices): no join to repeat rows.
    kind = django_filters.MultipleChoiceFilter(
        choices=Event.Kind.choices, distinct=False, help_text="Event kind."
    )
    programme = AnyRelatedIdFilter(field_name="programmes", help_text="Programme ids (OR).")
    organiser = AnyRelatedIdFilter(
        field_name="organisers", help_text="Organising institution ids (OR)."
    )
    date_after, date_before = date_range("start_date", "Starting on or {} (YYYY-MM-DD).")
    identifier = IdentifierFilter()
    ordering = StableOrderingFilter(
        fields=("start_date", "title", "created_at", "updated_at", "id"),
        help_text="Sort by start_date, title, created_at, updated_at or id (prefix - for "
        "descending). Default: latest start first (unknown last), then highest id.",
    )

    search_fields = ["title", "summary", "city"]
    search_other_names = ["other_names"]

    class Meta:
        model = Event
        fields = ["country", "kind", "topic", "programme", "organiser"]

    def filter_country(self, queryset, name, value):
        """Held in one of the countries (`country`) or concerning one (`countries`)."""
        codes = country_codes(value)
        return queryset.filter(
            related_exists(Event, "countries", pk__in=codes) | Q(country__in=codes)
        )


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
    funder = AnyRelatedIdFilter(field_name="funders", help_text="Funder ids (OR).")
    identifier = IdentifierFilter()
    ordering = StableOrderingFilter(
        fields=("name", "start_date", "created_at", "updated_at", "id"),
        help_text="Sort by name, start_date, created_at, updated_at or id. Default: name.",
    )
    search_fields = ["name", "short_name", "description"]
    search_other_names = ["other_names"]

    class Meta:
        model = Programme
        fields = ["parent", "funder"]


class DocumentFilter(RecordFilterSet):
    kind = django_filters.MultipleChoiceFilter(
        choices=Document.Kind.choices, distinct=False, help_text="Document kind."
    )
    publisher = NumberInFilter(field_name="publisher_id", help_text="Publisher ids (OR).")
    language = CharInFilter(method="filter_language", help_text="BCP 47 tags (OR).")
    identifier = IdentifierFilter()
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
