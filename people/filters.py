"""Which institutions, people and positions a list returns."""

import django_filters
from django.db.models import Exists, OuterRef

from ctht_api.filters import (
    CharInFilter,
    NumberInFilter,
    RecordFilterSet,
    StableOrderingFilter,
    country_codes,
)
from people.models import Institution, Person, Position


class InstitutionFilter(RecordFilterSet):
    country = CharInFilter(
        method="filter_country", help_text="ISO 3166-1 alpha-2 codes, comma-separated (OR)."
    )
    # No DISTINCT (django-filter's default for multiple choices): no join to repeat rows.
    kind = django_filters.MultipleChoiceFilter(
        choices=Institution.Kind.choices,
        distinct=False,
        help_text="Institution kind; repeat for several.",
    )
    parent = NumberInFilter(field_name="parent_id", help_text="Parent institution ids (OR).")
    ordering = StableOrderingFilter(
        fields=("name", "short_name", "kind", "country", "created_at", "updated_at", "id"),
        help_text="Sort by name, short_name, kind, country, created_at, updated_at or id "
        "(prefix - for descending). Default: name, then id.",
    )

    search_fields = ["name", "short_name"]

    class Meta:
        model = Institution
        fields = ["country", "kind", "parent"]

    def filter_country(self, queryset, name, value):
        return queryset.filter(country__in=country_codes(value))


class PersonFilter(RecordFilterSet):
    # Exists() rather than a join + DISTINCT, which fails over JSON columns on PostgreSQL.
    institution = NumberInFilter(
        field_name="positions__institution_id",
        method="filter_institution",
        help_text="People who held a position in any of these institutions.",
    )
    ordering = StableOrderingFilter(
        fields=("sort_name", "full_name", "created_at", "updated_at", "id"),
        help_text="Sort by sort_name, full_name, created_at, updated_at or id "
        "(prefix - for descending). Default: sort_name, then id.",
    )

    search_fields = ["full_name", "sort_name"]

    class Meta:
        model = Person
        fields = ["institution"]

    def filter_institution(self, queryset, name, value):
        positions = Position.objects.filter(person_id=OuterRef("pk"), institution_id__in=value)
        return queryset.filter(Exists(positions))


class PositionFilter(RecordFilterSet):
    person = NumberInFilter(field_name="person_id", help_text="Person ids (OR).")
    institution = NumberInFilter(field_name="institution_id", help_text="Institution ids (OR).")
    country = CharInFilter(
        method="filter_country", help_text="Country codes of the institution, comma-separated."
    )
    ordering = StableOrderingFilter(
        fields=("title", "start_date", "end_date", "created_at", "updated_at", "id"),
        help_text="Sort by title, start_date, end_date, created_at, updated_at or id. "
        "Default: person's sort name, latest start first, then id.",
    )

    search_fields = ["title", "person__full_name", "institution__name"]

    class Meta:
        model = Position
        fields = ["person", "institution", "country"]

    def filter_country(self, queryset, name, value):
        return queryset.filter(institution__country__in=country_codes(value))
