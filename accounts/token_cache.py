"""Token look-ups kept for `TOKEN_CACHE_SECONDS`, so a client's next reads cost no query.

A token found valid is stored in the default cache with its user and, for a
token with the drafts scope, the user's permissions (what `can_see_drafts` and
the write checks ask on every request). The next requests with that key, for
`TOKEN_CACHE_SECONDS` (at most 60; 0 turns the cache off), read it from there:
no query for the token, its user or their permissions. Expiry is checked on
every request against the stored `expires_at`, so it is exact.

The key is `ctht:token:` and the token's `key_hash` (the SHA-256 the database
stores): the secret itself never names an entry. Only successful look-ups are
stored: an unknown, revoked or expired key, or one of an inactive user, is
looked up every time, so the bad-credentials throttling (ctht_api/throttling.py)
counts it as before, and it is checked before the cache is read.

**How stale it can be.** A change made through the app (the admin's revoke
action, saving a token or a user, changing a user's or a group's permissions
or groups) deletes the entries it affects at once and again when its
transaction commits (a request that read the old rows in between may have
stored them again). With `REDIS_URL` every worker shares the cache, so this
reaches all of them at once; without it the cache is per process, and other
workers keep their copy until it expires. A change made around the app
(`QuerySet.update()`, SQL) waits for the entries to expire. Either way,
revocation, a deactivated user or a lost permission takes effect within
`TOKEN_CACHE_SECONDS`.

A cache that cannot be reached never fails a request: the token is looked up
in the database, as without the cache (the error is logged).
"""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.models import ApiToken

logger = logging.getLogger(__name__)

KEY_PREFIX = "ctht:token:"


def cache_key(key_hash: str) -> str:
    return KEY_PREFIX + key_hash


def cached_token(key_hash: str) -> ApiToken | None:
    """The stored token (with its user) for this key hash, or None."""
    if not settings.TOKEN_CACHE_SECONDS:
        return None
    try:
        return cache.get(cache_key(key_hash))
    except Exception:  # any backend's connection error: look the token up instead
        logger.exception("Cache unreachable: looking the token up")
        return None


def remember(token: ApiToken) -> None:
    """Store a token found valid, with its user and (drafts scope) the user's permissions."""
    if not settings.TOKEN_CACHE_SECONDS:
        return
    user = token.user
    if token.drafts_enabled and user.is_active and not user.is_superuser:
        user.get_all_permissions()  # kept on the user (ModelBackend's _perm_cache), stored with it
    try:
        cache.set(cache_key(token.key_hash), token, settings.TOKEN_CACHE_SECONDS)
    except Exception:
        logger.exception("Cache unreachable: the token was not stored")


def forget(key_hashes: Iterable[str]) -> None:
    """Delete the entries of these tokens, now and when the transaction commits."""
    keys = [cache_key(key_hash) for key_hash in key_hashes]
    if not keys:
        return

    def delete() -> None:
        try:
            cache.delete_many(keys)
        except Exception:  # the entries expire by themselves within the bound
            logger.exception("Cache unreachable: token entries not deleted")

    delete()
    transaction.on_commit(delete, robust=True)


def forget_token(sender, instance: ApiToken, **kwargs) -> None:
    forget([instance.key_hash])


def forget_users_tokens(sender, instance, **kwargs) -> None:
    forget(ApiToken.objects.filter(user=instance).values_list("key_hash", flat=True))


def forget_after_permission_change(sender, instance, action: str, reverse: bool, **kwargs) -> None:
    """A user's permissions or groups changed (forward: `instance` is the user), or a group's
    or a permission's members did: then any token may be affected (rare; forget them all)."""
    if not action.startswith("post_"):
        return
    if isinstance(instance, get_user_model()):
        forget_users_tokens(sender, instance)
    else:
        forget(ApiToken.objects.values_list("key_hash", flat=True))


def forget_all_tokens(sender, **kwargs) -> None:
    forget(ApiToken.objects.values_list("key_hash", flat=True))


def connect() -> None:
    """Connect the receivers (AccountsConfig.ready): every process, so that any write path
    (admin, shell, command) retires the entries it affects."""
    user_model = get_user_model()
    for signal in (post_save, post_delete):
        signal.connect(forget_token, sender=ApiToken, dispatch_uid="token-cache-token")
        signal.connect(forget_users_tokens, sender=user_model, dispatch_uid="token-cache-user")
        signal.connect(forget_all_tokens, sender=Group, dispatch_uid="token-cache-group")
    for through in (
        user_model.user_permissions.through,
        user_model.groups.through,
        Group.permissions.through,
    ):
        m2m_changed.connect(
            forget_after_permission_change, sender=through, dispatch_uid=f"token-cache-{through}"
        )
