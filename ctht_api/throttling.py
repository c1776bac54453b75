"""Rate limits per client, counted in a store every worker process shares.

Three budgets (`settings.RATE_LIMITS`, from `RATE_LIMIT_ANON`, `RATE_LIMIT_READ`
and `RATE_LIMIT_WRITE`):

- `anon`: no credentials, or bad ones; the client is its IP address. A request
  whose token is unknown, revoked, expired or malformed (or whose user is
  inactive) spends this budget too: otherwise the 401 answered before any
  throttle runs would let a client guess keys at full speed. Once the budget
  is spent, further bad keys get 429. Bad keys also fill a counter of their
  own, at the anonymous rate; once that is spent, a token from that address
  is refused with 429 before it is looked up, valid or not (as GitHub does
  after repeated bad credentials): were a valid key still checked, 200
  against 429 would tell a right guess from a wrong one at full speed. Plain
  anonymous traffic never fills that counter, so it never locks out the
  valid keys of a shared address. While `RATE_LIMIT_ANON` is set, each
  token request costs one read of that counter.
- `write`: a token with `write_enabled`; a token without that flag (DRF's
  authtoken) or a browser session counts as `write` when its user holds an
  add/change/delete permission or is a superuser.
- `read`: any other authenticated client.

An authenticated client is counted by its token (by a hash of its primary key,
so a token's secret never lands in the store) or, for a session, by its user.
The IP comes from DRF's `get_ident`: `REMOTE_ADDR` with `NUM_PROXIES=0` (the
default here), or with `NUM_PROXIES=n` the n-th address from the right of
`X-Forwarded-For`. Set it only to the number of proxies that append to that
header; more, and any client could pick its own identity.

Windows are fixed and aligned on the clock (a minute budget restarts at each
whole minute); a 429 carries `Retry-After` with the seconds to the window's end.
DRF's own `SimpleRateThrottle` keeps a list of timestamps that it reads and
writes back: two processes answering at once lose each other's requests. Here
each request is one atomic increment in the `ratelimit` cache alias: Redis
`INCR`, or on the database cache one `INSERT … ON CONFLICT DO UPDATE …
RETURNING` (PostgreSQL and SQLite ≥ 3.35), so no request is lost whichever
worker answers it.
"""

import hashlib
import logging
import math
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import connections, router
from redis.exceptions import RedisError
from rest_framework.throttling import BaseThrottle

from ctht_api.rates import parse_rate

logger = logging.getLogger(__name__)

RATE_CACHE_ALIAS = "ratelimit"
WRITE_ACTIONS = ("add_", "change_", "delete_")


class RedisRateCounter(RedisCache):
    """Redis cache with `hit()`: `SET NX EX` then `INCR` in one transaction."""

    def hit(self, key: str, window_end: int) -> int:
        """Count one request in the window ending at `window_end` (epoch seconds)."""
        key = self.make_and_validate_key(f"{key}:{window_end}")
        ttl = max(1, window_end - int(time.time()))
        pipe = self._cache.get_client(key, write=True).pipeline(transaction=True)
        pipe.set(key, 0, ex=ttl, nx=True)
        pipe.incr(key)
        return int(pipe.execute()[1])

    def count(self, key: str, window_end: int) -> int:
        """Requests counted so far in the window ending at `window_end`; counts none."""
        key = self.make_and_validate_key(f"{key}:{window_end}")
        return int(self._cache.get_client(key).get(key) or 0)


class DatabaseRateCounter(DatabaseCache):
    """Database cache table holding counters: one row per client, reset by its next window.

    Rows hold plain integers, not pickles: use this alias through `hit()` and
    `clear()` only. `createcachetable` creates its table like any database cache.
    """

    def hit(self, key: str, window_end: int) -> int:
        """Count one request in the window ending at `window_end` (epoch seconds)."""
        key = self.make_and_validate_key(key)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        table = connection.ops.quote_name(self._table)
        q = connection.ops.quote_name
        ends = connection.ops.adapt_datetimefield_value(datetime.fromtimestamp(window_end, UTC))
        with connection.cursor() as cursor:
            # One statement, so atomic: a row from an earlier window starts again at 1.
            cursor.execute(
                f"INSERT INTO {table} ({q('cache_key')}, {q('value')}, {q('expires')}) "
                f"VALUES (%s, '1', %s) ON CONFLICT ({q('cache_key')}) DO UPDATE SET "
                f"{q('value')} = CASE WHEN {table}.{q('expires')} < excluded.{q('expires')} "
                f"THEN '1' ELSE CAST(CAST({table}.{q('value')} AS INTEGER) + 1 AS TEXT) END, "
                f"{q('expires')} = excluded.{q('expires')} RETURNING {q('value')}",
                [key, ends],
            )
            count = int(cursor.fetchone()[0])
            if count == 1:
                # A client's first request of a window: forget clients gone quiet, so
                # the table holds about one row per client active in the last window.
                now = connection.ops.adapt_datetimefield_value(
                    datetime.fromtimestamp(int(time.time()), UTC)
                )
                cursor.execute(f"DELETE FROM {table} WHERE {q('expires')} < %s", [now])
        return count

    def count(self, key: str, window_end: int) -> int:
        """Requests counted so far in the window ending at `window_end`; counts none."""
        key = self.make_and_validate_key(key)
        connection = connections[router.db_for_read(self.cache_model_class)]
        q = connection.ops.quote_name
        ends = connection.ops.adapt_datetimefield_value(datetime.fromtimestamp(window_end, UTC))
        with connection.cursor() as cursor:
            # A row from an earlier window is a budget already restored.
            cursor.execute(
                f"SELECT {q('value')} FROM {q(self._table)} "
                f"WHERE {q('cache_key')} = %s AND {q('expires')} >= %s",
                [key, ends],
            )
            row = cursor.fetchone()
        return int(row[0]) if row else 0


def can_write(request) -> bool:
    """Whether the client's credentials allow changes (see the module docstring)."""
    flag = getattr(request.auth, "write_enabled", None)
    if flag is not None:
        return bool(flag)
    user = request.user
    if user.is_superuser:
        return True
    return any(p.partition(".")[2].startswith(WRITE_ACTIONS) for p in user.get_all_permissions())


def client_ip(request) -> str:
    """The client's IP address as the throttles see it (`NUM_PROXIES` aware)."""
    return BaseThrottle().get_ident(request)


class ClientRateThrottle(BaseThrottle):
    """The one throttle of the API: a fixed-window budget per client and scope.

    Rates are read from `settings.RATE_LIMITS` on every request (not once at
    import, as DRF's throttles do), so tests and deployments can change them.
    """

    def client(self, request) -> tuple[str, str]:
        """The client's scope and a stable identity for its counter."""
        if request.auth is not None and getattr(request.auth, "pk", None) is not None:
            digest = hashlib.sha256(str(request.auth.pk).encode()).hexdigest()[:32]
            return ("write" if can_write(request) else "read"), f"token:{digest}"
        if request.user.is_authenticated:
            return ("write" if can_write(request) else "read"), f"user:{request.user.pk}"
        return "anon", f"ip:{self.get_ident(request)}"

    def allow_request(self, request, view) -> bool:
        return self.within_budget(*self.client(request))

    def within_budget(self, scope: str, ident: str, *, spend: bool = True) -> bool:
        """Count one request of `ident` in `scope` and say whether the budget covers it; with
        `spend=False` count nothing and say whether one more request would be covered."""
        rate = parse_rate(settings.RATE_LIMITS.get(scope))
        if rate is None:
            return True
        limit, period = rate
        now = time.time()
        window_end = (int(now) // period + 1) * period
        counter, key = caches[RATE_CACHE_ALIAS], f"rl:{scope}:{period}:{ident}"
        try:
            count = counter.hit(key, window_end) if spend else counter.count(key, window_end) + 1
        except RedisError as error:
            # Fail open: a Redis outage must not take the API down with it. (On the
            # database cache an outage is the API's own: that request answers 503.)
            logger.error("Rate-limit counters unreachable, request let through: %s", error)
            return True
        self.retry_after = max(1, math.ceil(window_end - now))
        return count <= limit

    def wait(self) -> int:
        """Whole seconds until the window ends (DRF sends them as `Retry-After`)."""
        return self.retry_after


def _bad_credentials_ident(throttle: ClientRateThrottle, request) -> str:
    return f"bad-credentials:ip:{throttle.get_ident(request)}"


def bad_credentials_budget_spent(request) -> int | None:
    """Seconds until the address may present keys again, if its bad keys spent the anonymous
    budget; else None.

    Counts nothing. The token authentication asks before it looks a key up. Bad keys have
    a counter of their own (with the anonymous rate), so plain anonymous traffic from a
    shared address never locks its valid keys out.
    """
    throttle = ClientRateThrottle()
    if throttle.within_budget("anon", _bad_credentials_ident(throttle, request), spend=False):
        return None
    return throttle.wait()


def spend_anonymous_budget(request) -> int | None:
    """Count a request with bad credentials against its address's anonymous budget and its
    bad-key counter; the seconds to wait if that overspent the anonymous budget, else None."""
    throttle = ClientRateThrottle()
    throttle.within_budget("anon", _bad_credentials_ident(throttle, request))
    if throttle.within_budget("anon", f"ip:{throttle.get_ident(request)}"):
        return None
    return throttle.wait()
