"""Which institutions, people and positions a list returns; the `country` filter of every list."""

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from ctht_api.filters import (
    AnyRelatedIdFilter,
    CharInFilter,
    IdentifierFilter,
    NumberInFilter,
    RecordFilterSet,
    StableOrderingFilter,
    related_exists,
)
from ctht_api.vocabularies import Vocabulary
from people.countries import normalise_code
from people.models import Country, Institution, Person, Position

# Checked without a query of their own (ctht_api/vocabularies.py).
COUNTRY_CODES = Vocabulary(Country, "code")


def country_codes(value: list[str], param: str = "country") -> list[str]:
    """Codes in any case, checked against the Country table; unknown ones are a 400."""
    codes = [normalise_code(code) for code in value if code.strip()]
    if unknown := COUNTRY_CODES.unknown(codes):
        raise ValidationError(
            {param: f"Unknown country code(s): {', '.join(unknown)}. Use ISO 3166-1 alpha-2."}
        )
    return codes


class CountryFilter(CharInFilter):
    """`country=RS,ba`: entries whose `field_name` (a country, or a many-to-many list of
    them) is any of these codes, given in any case."""

    def filter(self, qs: QuerySet, value) -> QuerySet:
        if not value:
            return qs
        codes = country_codes(value)
        relation = self.field_name.split("__", 1)[0]
        if qs.model._meta.get_field(relation).many_to_many:
            return qs.filter(related_exists(qs.model, relation, pk__in=codes))
        return super().filter(qs, codes)


class InstitutionFilter(RecordFilterSet):
    country = CountryFilter(help_text="ISO 3166-1 alpha-2 codes, comma-separated (OR).")
    # No DISTINCT (django-filter's default for multiple choices): no join to repeat rows.
    kind = django_filters.MultipleChoiceFilter(
        choices=Institution.Kind.choices,
        distinct=False,
        help_text="Institution kind; repeat for several.",
    )
    parent = NumberInFilter(field_name="parent_id", help_text="Parent institution ids (OR).")
    identifier = IdentifierFilter()
    ordering = StableOrderingFilter(
        fields=("name", "short_name", "kind", "country", "created_at", "updated_at", "id"),
        help_text="Sort by name, short_name, kind, country, created_at, updated_at or id "
        "(prefix - for descending). Default: name, then id.",
    )

    search_fields = ["name", "short_name"]
    search_other_names = ["other_names"]

    class Meta:
        model = Institution
        fields = ["country", "kind", "parent"]


class PersonFilter(RecordFilterSet):
    institution = AnyRelatedIdFilter(
        field_name="positions__institution",
        help_text="People who held a position in any of these institutions.",
    )
    identifier = IdentifierFilter()
    ordering = StableOrderingFilter(
        fields=("sort_name", "full_name", "created_at", "updated_at", "id"),
        help_text="Sort by sort_name, full_name, created_at, updated_at or id "
        "(prefix - for descending). Default: sort_name, then id.",
    )

    search_fields = ["full_name", "sort_name"]
    search_other_names = ["other_names"]

    class Meta:
        model = Person
        fields = ["institution"]


class PositionFilter(RecordFilterSet):
    person = NumberInFilter(field_name="person_id", help_text="Person ids (OR).")
    institution = NumberInFilter(field_name="institution_id", help_text="Institution ids (OR).")
    country = CountryFilter(
        field_name="institution__country",
        help_text="Country codes of the institution, comma-separated.",
    )
    ordering = StableOrderingFilter(
        fields=("title", "start_date", "end_date", "created_at", "updated_at", "id"),
        help_text="Sort by title, start_date, end_date, created_at, updated_at or id. "
        "Default: person's sort name, latest start first, then id.",
    )

    search_fields = ["title", "person__full_name", "institution__name"]
    search_other_names = ["other_names", "person__other_names", "institution__other_names"]

    class Meta:
        model = Position
        fields = ["person", "institution", "country"]
