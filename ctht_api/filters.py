"""Filter pieces every list shares (django-filter).

Comma-separated values are OR-ed (`country=RS,BA`), different parameters are
AND-ed. A value that cannot be understood is a 400 naming the parameter: a
filter silently ignored would hand a partner the wrong data.
"""

import datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError as ApiValidationError

from ctht_api.models import validate_language_tag
from ctht_api.search import MAX_QUERY_LENGTH, search


class StableOrderingFilter(django_filters.OrderingFilter):
    """`ordering=` over a documented field set, always ending with `id` so pages never shuffle."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value and not {"id", "-id"} & set(value):
            qs = qs.order_by(*qs.query.order_by, "id")
        return qs


# Ids are 64-bit signed integers in both databases: a larger one cannot name a row,
# and SQLite cannot even bind it as a parameter.
MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    """A whole number an id column can hold; anything else is a 400 naming the parameter."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class NumberInFilter(django_filters.BaseInFilter, django_filters.NumberFilter):
    """`speaker=3,7`: any of these ids."""

    field_class = IdField


class CharInFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    """A comma-separated list of strings."""


def split_codes(value) -> list[str]:
    return [code.strip().upper() for code in value if code.strip()]


def country_codes(value: list[str], param: str = "country") -> list[str]:
    """Validate codes against the Country table; unknown ones are a 400."""
    from people.models import Country

    codes = split_codes(value)
    known = set(Country.objects.filter(code__in=codes).values_list("code", flat=True))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValidationError(
            {param: f"Unknown country code(s): {', '.join(unknown)}. Use ISO 3166-1 alpha-2."}
        )
    return codes


def language_condition(field: str, tags: list[str]) -> Q:
    """`language=sr` matches sr and its variants (sr-Latn, sr-Cyrl)."""
    condition = Q()
    for tag in tags:
        try:
            validate_language_tag(tag)
        except ValidationError:
            raise ValidationError(
                {"language": f"'{tag}' is not a valid BCP 47 language tag (e.g. fr, sr-Latn)."}
            ) from None
        condition |= Q(**{field: tag}) | Q(**{f"{field}__startswith": f"{tag}-"})
    return condition


class RecordFilterSet(django_filters.FilterSet):
    """Every list: `updated_since` for mirrors kept in sync, and `q` where it fits."""

    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        method="filter_updated_since",
        help_text="Entries changed at or after this ISO 8601 timestamp (for keeping a mirror).",
    )
    q = django_filters.CharFilter(
        method="filter_q",
        max_length=MAX_QUERY_LENGTH,
        help_text="Full-text search, case- and accent-insensitive.",
    )

    search_fields: list[str] = []

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search(queryset, value, self.search_fields)

    def filter_updated_since(self, queryset: QuerySet, name: str, value) -> QuerySet:
        # In UTC: PostgreSQL refuses offsets beyond ±15:59 that ISO 8601 and Python allow.
        try:
            value = value.astimezone(datetime.UTC)
        except OverflowError as error:  # e.g. 0001-01-01T00:00+01:00
            raise ValidationError({"updated_since": "The timestamp is out of range."}) from error
        return queryset.filter(**{f"{name}__gte": value})

    def filter_queryset(self, queryset):
        try:
            return super().filter_queryset(queryset)
        except ValidationError as error:  # raised by a filter method: name the parameter
            raise ApiValidationError(error.message_dict) from error
