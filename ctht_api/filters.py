"""Filter pieces every list shares (django-filter).

Comma-separated values are OR-ed (`country=RS,BA`), different parameters are
AND-ed. A value that cannot be understood is a 400 naming the parameter: a
filter silently ignored would hand a partner the wrong data.

A filter across a many-to-many field or a reverse foreign key is written once,
as `AnyRelatedIdFilter`/`AnyRelatedCharFilter` (an `EXISTS` over the link
table); what an app adds (country codes, topic slugs) lives in that app.
"""

import copy
import datetime
import functools
from collections.abc import Callable

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils.text import capfirst
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import get_model_field
from rest_framework.exceptions import ValidationError as ApiValidationError

from ctht_api.identifiers import identified_by
from ctht_api.models import PublishableQuerySet, validate_language_tag
from ctht_api.params import filterset_parameters
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


def related_exists(model: type[Model], relation: str, **lookups) -> Exists:
    """`EXISTS` a row linking an entry of `model` through `relation` (a many-to-many
    field or a reverse foreign key) to a related entry matching `lookups`, which
    are written from that related entry (`pk__in=…`, `slug__in=…`).

    Not a join: a join repeats an entry once per match and would need
    `DISTINCT`, which PostgreSQL refuses over the lists' JSON columns. Only the
    link table is read when `lookups` name the related entry's key.
    """
    field = model._meta.get_field(relation)
    if field.many_to_many:
        rows = field.remote_field.through._default_manager.filter(
            **{field.m2m_field_name(): OuterRef("pk")}
        )
        target = field.m2m_reverse_field_name()
        lookups = {f"{target}__{lookup}": value for lookup, value in lookups.items()}
    else:
        rows = field.related_model._default_manager.filter(**{field.field.name: OuterRef("pk")})
    return Exists(rows.filter(**lookups))


class AnyRelatedFilter:
    """Entries with a related entry among the values: `field_name` is the relation, then
    optionally the related entry's field to match (`topics__slug`; by default its key).

    `clean` turns the values into the ones matched, or raises a ValidationError
    naming the parameter (unknown codes or slugs).
    """

    def __init__(self, *args, clean: Callable[[list], list] | None = None, **kwargs):
        self.clean = clean
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value) -> QuerySet:
        if not value:
            return qs
        if self.clean is not None:
            value = self.clean(value)
        relation, _, lookup = self.field_name.partition("__")
        return qs.filter(related_exists(qs.model, relation, **{f"{lookup or 'pk'}__in": value}))


class AnyRelatedIdFilter(AnyRelatedFilter, NumberInFilter):
    """`programme=3,7`: entries linked to any of these ids."""


class AnyRelatedCharFilter(AnyRelatedFilter, CharInFilter):
    """`topic=cyber,grooming`: entries linked to any of these codes or slugs."""


class IdentifierFilter(CharInFilter):
    """`identifier=wikidata:Q8908`: entries holding any of these comma-separated
    `scheme:identifier` values (ctht_api.identifiers); one the identifier model would
    refuse (no colon, an empty part, a bad scheme or Wikidata value) is a 400."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "help_text",
            "Identifiers in other databases as scheme:identifier, comma-separated (OR), "
            "e.g. wikidata:Q8908; given exactly as stored (lower-case scheme, Q and digits).",
        )
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value) -> QuerySet:
        if not value:
            return qs
        return qs.filter(identified_by(qs.model, value))


def date_range(
    field_name: str, help_text: str
) -> tuple[django_filters.DateFilter, django_filters.DateFilter]:
    """`date_after` and `date_before` on one date field, both inclusive; `help_text` has a
    `{}` for "after" or "before"."""
    return (
        django_filters.DateFilter(
            field_name=field_name, lookup_expr="gte", help_text=help_text.format("after")
        ),
        django_filters.DateFilter(
            field_name=field_name, lookup_expr="lte", help_text=help_text.format("before")
        ),
    )


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


def describe_filters(
    model: type[Model], filters: dict[str, django_filters.Filter]
) -> dict[str, django_filters.Filter]:
    """Every filter with a label and help text, for the browsable API's filter form (the
    OpenAPI document takes the help text as the parameter's description).

    The label names the parameter a reader types: the verbose name of the model
    field the parameter is named after (`speaker`, `status`), else the parameter's
    name in words (`updated_since`: "Updated since"), unless the filter declares
    one. Not django-filter's default, built from the column and the lookup: it
    reads "Topics slug is in" for `topic`, and "[invalid name]" for a filter with a
    `method` such as `q`, whose field is no column.

    The help text is the filter's own, else the help text of the model field it
    reads (`field_name`, through relations).

    Declared filters are shared by every subclass of the FilterSet declaring them, and
    a label may depend on the model: each filter is described on a copy.
    """
    described = {}
    for name, filter_ in filters.items():
        filter_ = copy.deepcopy(filter_)
        if filter_.label is None:  # a class's filter has no model yet: only a declared label
            named_after = get_model_field(model, name)
            verbose_name = getattr(named_after, "verbose_name", None)
            filter_.label = capfirst(verbose_name or name.replace("_", " "))
        if not filter_.extra.get("help_text") and filter_.field_name:
            read = get_model_field(model, filter_.field_name)
            if getattr(read, "help_text", ""):
                filter_.extra["help_text"] = read.help_text
        described[name] = filter_
    return described


class RecordFilterSet(django_filters.FilterSet):
    """Every list: `updated_since` for mirrors kept in sync, and `q` where it fits; each
    filter labelled and explained by `describe_filters`."""

    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        method="filter_updated_since",
        help_text="Entries changed at or after this ISO 8601 timestamp (for keeping a mirror).",
    )
    q = django_filters.CharFilter(
        method="filter_q",
        max_length=MAX_QUERY_LENGTH,
        label="Search",
        help_text="Full-text search, case- and accent-insensitive.",
    )

    search_fields: list[str] = []
    # Relations to other names (ctht_api.other_names) that `q` also searches.
    search_other_names: list[str] = []

    @classmethod
    def get_filters(cls):
        filters = super().get_filters()
        return describe_filters(cls._meta.model, filters) if cls._meta.model else filters

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search(queryset, value, self.search_fields, other_names=self.search_other_names)

    def filter_updated_since(self, queryset: QuerySet, name: str, value) -> QuerySet:
        # In UTC: PostgreSQL refuses offsets beyond ±15:59 that ISO 8601 and Python allow.
        try:
            value = value.astimezone(datetime.UTC)
        except OverflowError as error:  # e.g. 0001-01-01T00:00+01:00
            raise ValidationError({"updated_since": "The timestamp is out of range."}) from error
        if isinstance(queryset, PublishableQuerySet):  # entries that appeared by themselves too
            return queryset.changed_since(value, getattr(self.request, "user", None))
        return queryset.filter(**{f"{name}__gte": value})

    def filter_queryset(self, queryset):
        try:
            return super().filter_queryset(queryset)
        except ValidationError as error:  # raised by a filter method: name the parameter
            raise ApiValidationError(error.message_dict) from error


@functools.cache
def _filterset_parameters(filterset_class) -> frozenset[str]:
    return frozenset(filterset_parameters(filterset_class))


class FilterBackend(DjangoFilterBackend):
    """django-filter, skipped where the request names none of the filter set's parameters.

    A filter set bound to a query string without its parameters filters nothing (every
    filter here returns the queryset unchanged for an empty value), yet django-filter
    would still deep-copy its filters and build and validate a form on every request:
    about a fifth of a statement detail's time (docs/benchmarks.md), and a detail never
    takes a filter (ctht_api.params refuses one with a 400)."""

    def filter_queryset(self, request, queryset, view):
        declared = getattr(view, "filterset_class", None)  # (not `filterset_fields`' new class)
        if declared is not None and _filterset_parameters(declared).isdisjoint(
            request.query_params
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)
