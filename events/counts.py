"""How many published statements, events and institutions concern each country.

`/countries/` is polled by every dashboard; counting the whole record on each
request would cost a scan of every statement. The counts are computed by
three grouped counts and kept in the cache until the record changes, or for
`COUNTRY_COUNTS_TTL` seconds at most (see events/record_version.py). With a
shared cache (`REDIS_URL`) a change retires them for every worker at once; with
the per-process default another worker may show counts up to the TTL old.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count

from events.models import Event, Statement
from events.record_version import cached_by_record_version
from people.models import Country, Institution


def _per_country(queryset, column: str = "country_id") -> dict[str, int]:
    return dict(queryset.order_by().values_list(column).annotate(n=Count("*")))


def compute_country_counts() -> list[dict]:
    """Three GROUP BY passes (one per kind of entry) and the names: one scan of each
    join table, where a count per country would scan them once per country."""

    anyone = AnonymousUser()  # the counts are the same for every client: what anyone sees
    statements = _per_country(
        Statement.countries.through.objects.filter(
            statement__in=Statement.objects.visible_to(anyone)
        )
    )
    events = _per_country(
        Event.countries.through.objects.filter(event__in=Event.objects.visible_to(anyone))
    )
    institutions = _per_country(Institution.objects.filter(country__isnull=False))
    codes = sorted(set(statements) | set(events) | set(institutions))
    names = dict(Country.objects.filter(code__in=codes).values_list("code", "name"))
    return [
        {
            "code": code,
            "name": names[code],
            "statement_count": statements.get(code, 0),
            "event_count": events.get(code, 0),
            "institution_count": institutions.get(code, 0),
        }
        for code in codes
    ]


def country_counts() -> list[dict]:
    """The counts, from the cache while the record has not changed."""
    return cached_by_record_version("country-counts:v1", compute_country_counts)
