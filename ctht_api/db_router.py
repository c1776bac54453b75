"""Read replicas: reads go to a streaming replica, writes and what must see them to the primary.

With `DATABASE_REPLICA_URLS` set (settings), each URL is a database alias
(`replica_1`, `replica_2`, …) beside `default`, the primary, and
`ReplicaRouter` routes the ORM's queries; without it neither the router nor the
middleware is installed and every query goes to `default`, as before.

**Where a query goes.** Writes always go to the primary. A read goes to the
replica chosen for the request (at random, once per request, so every read of
one answer comes from one snapshot history), unless the request is *pinned*
to the primary. `ReplicaRoutingMiddleware` decides at the start of each
request, before any query, and keeps the answer in a context variable for the
request's duration; a pinned request is:

- one with a method that is not safe (POST, PUT, PATCH, DELETE): pinned from
  its start, so the reads of a write (the entry it changes, its If-Match
  version, the validation of its references) see the primary it writes to;
- one from a client that wrote less than `REPLICA_PIN_SECONDS` ago (read your
  own writes): after a successful write (status below 400), the middleware
  stores a pin for the client in the shared `default` cache, which is Redis
  (settings refuse to start with replicas and no `REDIS_URL`, so every worker
  of every machine sees the pin). The client is its token, by a digest of its
  `Authorization` header: the identity must be known before the first query,
  and looking the token up is itself a query (the rate limits, which run after
  authentication, count tokens by a hash of their primary key instead).
  Anonymous clients cannot write, so they are never pinned and cost no cache
  read; a pinned token costs one cache read per request;
- one carrying a session cookie, and any request under the admin: editors in
  the admin and the browsable API read what they have just written;
- outside any request (management commands, the shell, tests): no context, so
  the primary.

Whatever the request, reads inside a `transaction.atomic` block on the
primary go to the primary (a transaction's reads must see its own writes and
its locks: the backup's snapshot, the feed's embargo pass), and the tables of
credentials and limits (`accounts`, `auth`, `sessions`, `axes` and the
database cache tables) are always read on the primary: a revoked token or a
lockout must not live on in a lagging replica. Outside a request's context,
an object loaded from a replica reads its relations there too (Django's
instance hint); a streamed export, read after its view has returned, keeps
its request's database explicitly (`reads_on`, ctht_api/csv_export.py).
Migrations run on the primary only; the replicas receive them by replication.

**Lag.** A replica replays the primary's write-ahead log in commit order, so
what it shows is always the primary as it was a moment ago: never a later
change without an earlier one. For a client that did not write, a read may
be that moment old. Two readers need more than that:

- *The change feed* (changes/views.py) hands out the cursor of the last row it
  returned (or the `since` given, on an empty page). Feed numbers are taken in
  commit order (changes/feed.py), and the replica replays commits in that
  order, so a replica that has row `n` has every row below `n`: a cursor
  derived from what a replica returned never passes a row that replica did not
  show. A cursor handed out by the primary (a mirror that wrote, while pinned)
  may be ahead of a lagging replica; read there, it gets empty pages (its own
  `since` back as `last`) until the replica catches up, never a skipped row.
  An embargo pass triggered by a reader writes its rows on the primary (in
  `transaction.atomic`); the page is then read again on the replica, which may
  not have them yet: the mirror meets them on a later page. Until the replica
  replays the pass, readers there may start it again: under the writers' lock
  on the primary they find it done (one short transaction each). The feed's state
  (epoch, `pruned_through`) comes from the same replica as the page, so a
  lagging replica never answers 410 for a prune it has not replayed.
- *Answers cached under the record version* (events/record_version.py): a
  write moves the version in Redis at once, a replica sees the write a moment
  later; counts computed on the replica in between would be stored under the
  new version and served for `COUNTRY_COUNTS_TTL`. So what is cached under the
  version is computed on the primary (`primary_reads()`): one query per cache
  fill, not per request. Any cache keyed by the record version must fill the
  same way.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)

# Credentials, sessions, lockouts, permissions and the database cache tables (app label
# `django_cache`): read where they are written.
PRIMARY_ONLY_APPS = frozenset({"accounts", "auth", "sessions", "axes", "django_cache"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
PIN_KEY = "ctht:replica-pin:{}"

# The alias this request reads from: a replica, or DEFAULT_DB_ALIAS when pinned.
# Unset (None) outside a request.
_reads_from: ContextVar[str | None] = ContextVar("ctht_reads_from", default=None)


def replica_aliases() -> list[str]:
    """The replicas' aliases, in settings order (empty without `DATABASE_REPLICA_URLS`)."""
    return [alias for alias in settings.DATABASES if alias.startswith("replica_")]


def reads_from() -> str:
    """The alias a read of the record goes to now: the request's database, but the primary
    outside a request and inside a `transaction.atomic` block on the primary."""
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return _reads_from.get() or DEFAULT_DB_ALIAS


@contextmanager
def primary_reads() -> Iterator[None]:
    """Read the primary inside this block, whatever the request (see "Lag" above)."""
    with reads_on(DEFAULT_DB_ALIAS):
        yield


@contextmanager
def reads_on(alias: str) -> Iterator[None]:
    """Read `alias` inside this block (a streamed export's later batches, tests)."""
    token = _reads_from.set(alias)
    try:
        yield
    finally:
        _reads_from.reset(token)


class ReplicaRouter:
    """Writes, migrations and pinned reads on the primary; other reads on the request's replica."""

    def db_for_read(self, model, **hints) -> str:
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return DEFAULT_DB_ALIAS
        if _reads_from.get() is None and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            instance = hints.get("instance")
            # Relations of an object read from a replica, outside a request's context:
            # the same replica.
            if instance is not None and instance._state.db in replica_aliases():
                return instance._state.db
        return reads_from()

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        databases = {DEFAULT_DB_ALIAS, *replica_aliases()}
        if obj1._state.db in databases and obj2._state.db in databases:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


def client_pin_key(request) -> str | None:
    """The cache key of the client's pin; None for a client that cannot write (anonymous)."""
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if not authorization:
        return None
    digest = hashlib.sha256(f"replica-pin:{authorization}".encode()).hexdigest()[:32]
    return PIN_KEY.format(f"token:{digest}")


def pinned_to_primary(request, pin_key: str | None) -> bool:
    """Whether this request reads the primary (see the module docstring)."""
    if request.method not in SAFE_METHODS:
        return True
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return True
    if request.path_info.startswith("/admin/"):
        return True
    if pin_key is None:
        return False
    try:
        return cache.get(pin_key) is not None
    except Exception:  # a cache outage: read the primary, which is never stale
        logger.exception("Cache unreachable: request pinned to the primary")
        return True


class ReplicaRoutingMiddleware:
    """Chooses the database the request reads from, and pins a client that wrote."""

    def __init__(self, get_response):
        self.replicas = replica_aliases()
        if not self.replicas:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        pin_key = client_pin_key(request)
        pinned = pinned_to_primary(request, pin_key)
        token = _reads_from.set(DEFAULT_DB_ALIAS if pinned else random.choice(self.replicas))
        try:
            response = self.get_response(request)
        finally:
            _reads_from.reset(token)
        if request.method not in SAFE_METHODS and response.status_code < 400 and pin_key:
            try:
                cache.set(pin_key, 1, settings.REPLICA_PIN_SECONDS)
            except Exception:
                logger.exception("Cache unreachable: the client's reads are not pinned")
        return response
