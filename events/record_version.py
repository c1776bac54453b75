"""The record version: one token that changes whenever the record is written.

Counts over the whole record (`/countries/`, `/stats/statements/`) are too
dear to compute on every request and change only when the record does. Each
is cached under a key that starts with this token, so one change of the token
retires every one of them at once, whatever parameters they were computed for
(a cache cannot delete "every key starting with"). Forgotten entries are not
deleted: they expire after `COUNTRY_COUNTS_TTL` seconds, which also bounds how
stale a per-process cache can be (another worker's token moves only with that
worker's own writes; with `REDIS_URL` all workers share it).

The token is random, not a counter: a counter evicted from the cache and
restarted at 1 could name answers computed before the eviction. A write moves
it twice: at once (later reads in the same transaction, and tests, which never
commit) and when its transaction commits, because a request that read the
token in between would otherwise store counts of the uncommitted-away state
under the new token, where no later change would retire them.

events/signals.py connects `record_changed` to every save, deletion and
many-to-many change of the models the counts read; bulk writes that send no
signals (`import_data`, `generate_data`) call it themselves.

**Embargoes.** The public record also changes without a write: an entry
whose embargo ends (`publish_at`, ctht_api.models) appears by itself, and
counts cached before that moment would leave it out until the next write.
So each token has an end: beside it, under `ctht:<token>:ends`, the cache
holds the moment of the next embargo end (the earliest `publish_at` still
ahead of a published event or statement; a statement at an embargoed event
appears with its event, so the events' moments cover it). It is computed
by the first read that uses the token (one query: an index range scan of
each table, over the few embargoes ahead); a read at or after that moment
replaces the token by a new one, as a write would, and the next read counts
afresh. A token is never given an end computed from a state older than
itself: the end is computed after the token was read, and a write that
commits after that moves the token (twice, see above), retiring the end
with it.

The end's entry expires after `COUNTRY_COUNTS_TTL` (it must not outlive a
forgotten token), but answers cached later under the same token live as
long from their own write, so they outlive it: a read after the end's entry
expired computes the end again, from now, and would find the lift already
past. So every answer is stored with the end it was computed under, and is
served only before that end; past it, it is counted afresh (and stored
with the new end). The check needs no query and no cache read of its own,
so a cached read runs no query more than before, only one more cache read
(the end), and it holds however many workers share the cache. Drafts-visible
answers do not depend on embargoes; they share the token and are merely
recounted with the rest.

A cache that cannot be reached (Redis down) never fails a write or a read:
the write goes through (a missed change of the token leaves answers at most
`COUNTRY_COUNTS_TTL` old), and the counts are computed afresh. The error is
logged.

**Read replicas.** A write moves the token at once; a replica shows the write
a moment later. Counted on a replica in between, an answer would be stored
under the new token and outlive the lag by `COUNTRY_COUNTS_TTL`: so what is
cached here, and the embargo end, is read on the primary (ctht_api/db_router.py),
one query per cache fill.
"""

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from ctht_api.db_router import primary_reads
from events.models import Event, Statement

VERSION_KEY = "ctht:record-version"

logger = logging.getLogger(__name__)


# No embargo ahead: the token ends only with a write.
NEVER = float("inf")


def record_version() -> str:
    """The current token, made on first use (or after the cache lost it, or when an
    embargo ended since it was made)."""
    return _version_and_end()[0]


def _version_and_end() -> tuple[str, float]:
    """The current token and the moment it ends by itself (`NEVER`)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    ends = cache.get(f"ctht:{version}:ends")
    if ends is not None and time.time() < ends:
        return version, ends
    if ends is not None:  # an embargo ended: a new token, as after a write
        version = uuid.uuid4().hex
        cache.set(VERSION_KEY, version, timeout=None)
    # Its end is computed after the token was read (see the module docstring).
    ends = next_embargo_end()
    if not cache.add(f"ctht:{version}:ends", ends, settings.COUNTRY_COUNTS_TTL):
        ends = cache.get(f"ctht:{version}:ends", ends)  # another read's, for the same token
    return version, ends


def next_embargo_end() -> float:
    """When the public record next changes by itself (a POSIX timestamp; `NEVER`).

    Read on the primary, as the token it ends is moved by the primary's writes."""
    now = timezone.now()
    ahead = [model.objects.embargoes_ahead(now) for model in (Event, Statement)]
    first = ahead[0].union(*ahead[1:], all=True).order_by("publish_at")[:1]
    with primary_reads():
        moments = list(first)
    return moments[0].timestamp() if moments else NEVER


def _new_version() -> None:
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:  # any backend's connection error: the write must go through
        logger.exception("Cache unreachable: the record version did not move")


def record_changed(**kwargs) -> None:
    """Signal receiver (and plain function): the record changed, count again.

    `pre_add`, `pre_remove` and `pre_clear` of an `m2m_changed` are skipped: their
    `post_` twin follows."""
    if kwargs.get("action", "post_").startswith("pre_"):
        return
    _new_version()
    transaction.on_commit(_new_version, robust=True)


def cached_by_record_version(name: str, compute: Callable[[], Any]) -> Any:
    """`compute()`'s value, from the cache while the record has not changed.

    `name` says what was computed, with every parameter the answer depends on;
    keep it short (a hash for long parameters)."""
    try:
        version, ends = _version_and_end()
        # ":ended-by": entries stored as (end, value); bare values of older code, still in a
        # shared cache, are never read as such.
        key = f"ctht:{version}:{name}:ended-by"
        stored = cache.get(key)
    except Exception:  # any backend's connection error: answer without the cache
        logger.exception("Cache unreachable: counting afresh")
        return compute()
    # Stored with the end it was computed under, which it must not outlive.
    if stored is not None and time.time() < stored[0]:
        return stored[1]
    with primary_reads():  # not a lagging replica's state under the new token
        value = compute()
    try:
        cache.set(key, (ends, value), settings.COUNTRY_COUNTS_TTL)
    except Exception:
        logger.exception("Cache unreachable: the counts were not stored")
    return value
