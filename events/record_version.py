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

A cache that cannot be reached (Redis down) never fails a write or a read:
the write goes through (a missed change of the token leaves answers at most
`COUNTRY_COUNTS_TTL` old), and the counts are computed afresh. The error is
logged.
"""

import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "ctht:record-version"

logger = logging.getLogger(__name__)


def record_version() -> str:
    """The current token, made on first use (or after the cache lost it)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    return version


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
        key = f"ctht:{record_version()}:{name}"
        value = cache.get(key)
    except Exception:  # any backend's connection error: answer without the cache
        logger.exception("Cache unreachable: counting afresh")
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, settings.COUNTRY_COUNTS_TTL)
        except Exception:
            logger.exception("Cache unreachable: the counts were not stored")
    return value
