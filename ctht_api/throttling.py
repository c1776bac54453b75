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
  token request costs one read of that counter; for a key in the token
  cache (accounts/token_cache.py), known valid before any look-up, that read
  shares the round trip that counts the request (`spend_token_budget`), and
  the key waits all the same.
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
each request is one atomic increment, in one round trip, in the `ratelimit`
cache alias: Redis `SET NX EX` and `INCR` in one `MULTI` pipeline, or on the
database cache one `INSERT … ON CONFLICT DO UPDATE …
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
from django.db import connections, router
from redis.exceptions import RedisError
from rest_framework.throttling import BaseThrottle

from ctht_api.rates import parse_rate
from ctht_api.redis_cache import RedisCache

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

    def hit_and_count(
        self, key: str, window_end: int, other: str, other_end: int
    ) -> tuple[int, int]:
        """`hit(key, window_end)` and `count(other, other_end)` in one round trip."""
        key = self.make_and_validate_key(f"{key}:{window_end}")
        other = self.make_and_validate_key(f"{other}:{other_end}")
        ttl = max(1, window_end - int(time.time()))
        pipe = self._cache.get_client(key, write=True).pipeline(transaction=True)
        pipe.set(key, 0, ex=ttl, nx=True)
        pipe.incr(key)
        pipe.get(other)
        _, count, other_count = pipe.execute()
        return int(count), int(other_count or 0)


class DatabaseRateCounter(DatabaseCache):
    """Database cache table holding counters: one row per client, reset by its next window.

    Rows hold plain integers, not pickles: use this alias through `hit()`,
    `hit_and_count()`, `count()` and `clear()` only. All run on the connection
    the request writes on, never a replica's. `createcachetable` creates its
    table like any database cache.
    """

    def hit(self, key: str, window_end: int) -> int:
        """Count one request in the window ending at `window_end` (epoch seconds)."""
        return self._hit(key, window_end)[0]

    def hit_and_count(
        self, key: str, window_end: int, other: str, other_end: int
    ) -> tuple[int, int]:
        """`hit(key, window_end)` and `count(other, other_end)` in one statement."""
        return self._hit(key, window_end, (other, other_end))

    def _hit(self, key: str, window_end: int, other: tuple[str, int] | None = None):
        key = self.make_and_validate_key(key)
        connection = self._connection()
        table = connection.ops.quote_name(self._table)
        q = connection.ops.quote_name
        ends = self._moment(connection, window_end)
        also, params = "", [key, ends]
        if other is not None:
            # Read in the same statement (the table as it was before the upsert).
            also = (
                f", (SELECT {q('value')} FROM {table} WHERE {q('cache_key')} = %s "
                f"AND {q('expires')} >= %s)"
            )
            params += [self.make_and_validate_key(other[0]), self._moment(connection, other[1])]
        with connection.cursor() as cursor:
            # One statement, so atomic: a row from an earlier window starts again at 1.
            cursor.execute(
                f"INSERT INTO {table} ({q('cache_key')}, {q('value')}, {q('expires')}) "
                f"VALUES (%s, '1', %s) ON CONFLICT ({q('cache_key')}) DO UPDATE SET "
                f"{q('value')} = CASE WHEN {table}.{q('expires')} < excluded.{q('expires')} "
                f"THEN '1' ELSE CAST(CAST({table}.{q('value')} AS INTEGER) + 1 AS TEXT) END, "
                f"{q('expires')} = excluded.{q('expires')} RETURNING {q('value')}{also}",
                params,
            )
            row = cursor.fetchone()
            count, other_count = int(row[0]), int(row[1] or 0) if other is not None else 0
            if count == 1:
                # A client's first request of a window: forget clients gone quiet, so
                # the table holds about one row per client active in the last window.
                now = self._moment(connection, int(time.time()))
                cursor.execute(f"DELETE FROM {table} WHERE {q('expires')} < %s", [now])
        return count, other_count

    def _connection(self):
        """The connection the request writes on: counters are read where they are written
        (never on a replica, which may lag), and a count costs no second connection."""
        return connections[router.db_for_write(self.cache_model_class)]

    @staticmethod
    def _moment(connection, epoch: int):
        return connection.ops.adapt_datetimefield_value(datetime.fromtimestamp(epoch, UTC))

    def count(self, key: str, window_end: int) -> int:
        """Requests counted so far in the window ending at `window_end`; counts none."""
        key = self.make_and_validate_key(key)
        connection = self._connection()
        q = connection.ops.quote_name
        ends = self._moment(connection, window_end)
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
            return ("write" if can_write(request) else "read"), token_ident(request.auth)
        if request.user.is_authenticated:
            return ("write" if can_write(request) else "read"), f"user:{request.user.pk}"
        return "anon", f"ip:{self.get_ident(request)}"

    def allow_request(self, request, view) -> bool:
        counted = getattr(request, "counted_budget", None)
        if counted is not None:  # counted already, by spend_token_budget
            allowed, self.retry_after = counted
            return allowed
        return self.within_budget(*self.client(request))

    def within_budget(self, scope: str, ident: str, *, spend: bool = True) -> bool:
        """Count one request of `ident` in `scope` and say whether the budget covers it; with
        `spend=False` count nothing and say whether one more request would be covered."""
        budget = self.budget(scope, ident)
        if budget is None:
            return True
        limit, key, window_end, now = budget
        counter = caches[RATE_CACHE_ALIAS]
        try:
            count = counter.hit(key, window_end) if spend else counter.count(key, window_end) + 1
        except RedisError as error:
            # Fail open: a Redis outage must not take the API down with it. (On the
            # database cache an outage is the API's own: that request answers 503.)
            logger.error("Rate-limit counters unreachable, request let through: %s", error)
            return True
        self.retry_after = max(1, math.ceil(window_end - now))
        return count <= limit

    @staticmethod
    def budget(scope: str, ident: str) -> tuple[int, str, int, float] | None:
        """`ident`'s budget in `scope` now: its limit, its counter's key, the end of its
        window (epoch seconds) and the time; None when the scope is off."""
        rate = parse_rate(settings.RATE_LIMITS.get(scope))
        if rate is None:
            return None
        limit, period = rate
        now = time.time()
        return limit, f"rl:{scope}:{period}:{ident}", (int(now) // period + 1) * period, now

    def wait(self) -> int:
        """Whole seconds until the window ends (DRF sends them as `Retry-After`)."""
        return self.retry_after


def token_ident(token) -> str:
    """A token's counter: a hash of its primary key (never its secret)."""
    return "token:" + hashlib.sha256(str(token.pk).encode()).hexdigest()[:32]


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


def spend_token_budget(request, token) -> int | None:
    """For a token known valid (from the token cache): count the request in its budget and
    read its address's bad-key counter in one round trip; the seconds to wait if that counter
    is spent (the key waits like any other, see the module docstring), else None.

    The throttle then takes the count from the request instead of counting again.
    """
    throttle = ClientRateThrottle()
    bad = throttle.budget("anon", _bad_credentials_ident(throttle, request))
    own = throttle.budget("write" if token.write_enabled else "read", token_ident(token))
    if bad is None:
        return None  # no bad-key counter to read: the throttle counts as usual
    if own is None:
        return bad_credentials_budget_spent(request)
    limit, key, window_end, now = own
    bad_limit, bad_key, bad_end, _ = bad
    try:
        count, bad_count = caches[RATE_CACHE_ALIAS].hit_and_count(key, window_end, bad_key, bad_end)
    except RedisError as error:
        logger.error("Rate-limit counters unreachable, request let through: %s", error)
        request.counted_budget = (True, 1)
        return None
    if bad_count + 1 > bad_limit:
        return max(1, math.ceil(bad_end - now))
    request.counted_budget = (count <= limit, max(1, math.ceil(window_end - now)))
    return None
