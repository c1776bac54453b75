"""How many published statements, events and institutions concern each country.

`/countries/` is polled by every dashboard; counting the whole record on each
request would cost a scan of every statement. The counts are computed by one
aggregate query and kept in the cache until a statement, event or institution
changes (post_save, post_delete and m2m_changed clear them), or for
`COUNTRY_COUNTS_TTL` seconds at most. With a shared cache (`REDIS_URL`) a
change clears them for every worker at once; with the per-process default
another worker may show counts up to the TTL old.
"""

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from ctht_api.models import Status

CACHE_KEY = "ctht:country-counts:v1"


def _count(queryset, column: str):
    counted = queryset.order_by().values(column).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def compute_country_counts() -> list[dict]:
    from events.models import Event, Statement
    from people.models import Country, Institution

    statements = Statement.countries.through.objects.filter(
        country_id=OuterRef("code"), statement__status=Status.PUBLISHED
    ).filter(Q(statement__event__isnull=True) | Q(statement__event__status=Status.PUBLISHED))
    events = Event.countries.through.objects.filter(
        country_id=OuterRef("code"), event__status=Status.PUBLISHED
    )
    institutions = Institution.objects.filter(country_id=OuterRef("code"))
    return list(
        Country.objects.annotate(
            statement_count=_count(statements, "country_id"),
            event_count=_count(events, "country_id"),
            institution_count=_count(institutions, "country_id"),
        )
        .filter(Q(statement_count__gt=0) | Q(event_count__gt=0) | Q(institution_count__gt=0))
        .order_by("code")
        .values("code", "name", "statement_count", "event_count", "institution_count")
    )


def country_counts() -> list[dict]:
    """The counts, from the cache when they are there."""
    counts = cache.get(CACHE_KEY)
    if counts is None:
        counts = compute_country_counts()
        cache.set(CACHE_KEY, counts, settings.COUNTRY_COUNTS_TTL)
    return counts


def forget_country_counts(**kwargs) -> None:
    """Signal receiver: the record changed, count again on the next request."""
    cache.delete(CACHE_KEY)
