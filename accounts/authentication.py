"""`Authorization: Token <key>`: DRF authentication against hashed, expiring, revocable tokens.

The key is hashed and looked up by its hash in one query that also loads the
user; a token found valid is then kept in the cache for `TOKEN_CACHE_SECONDS`
with its user's permissions, so a client's next requests cost no query for it
(accounts/token_cache.py says how soon a revocation or a lost permission takes
effect). An unknown, expired or revoked key, or one whose user is inactive, is a
401 (problem+json, with `WWW-Authenticate: Token`); `request.auth` is the
`ApiToken`, so permissions can tell a read-only token from a write-enabled one.
The user returned also carries the token as `user.current_token`, so that rules
given only a user (`ctht_api.permissions.can_see_drafts`, and the querysets'
`visible_to(user)` built on it) apply the token's scopes wherever they are asked.

Bad credentials are throttled: each refused key spends the anonymous budget
of the client's address, and once the address's bad keys alone have spent it,
any key from the address is answered 429 before it is looked up (see
ctht_api/throttling.py for why a valid key waits too). A key found in the token
cache is known valid: its request is counted and the address's bad keys are
read in one round trip (`spend_token_budget`), and it waits all the same.

`last_used_at` is recorded at most once a minute per token: a token seen less
than a minute ago costs no write at all (its loaded or cached row says so, and
the cache keeps a token at most a minute), and otherwise
one conditional `UPDATE … WHERE last_used_at IS NULL OR last_used_at < now-60s`,
so that concurrent requests on several workers write it once and a busy
read-only client does not turn every read into a write.
"""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accounts import token_cache
from accounts.models import ApiToken, hash_key
from ctht_api.throttling import (
    bad_credentials_budget_spent,
    spend_anonymous_budget,
    spend_token_budget,
)

LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenAuthentication(BaseAuthentication):
    """Authenticates `Authorization: Token <key>` against the stored hashes of `ApiToken`."""

    keyword = "Token"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # not ours: another class (or none) may authenticate the request
        cached = self.cached_token(parts)
        if cached is None:
            wait = bad_credentials_budget_spent(request)
        else:  # a key known valid: the same check, in the round trip that counts the request
            wait = spend_token_budget(request, cached)
        if wait is not None:
            raise exceptions.Throttled(wait)
        try:
            return self.authenticate_header_value(parts, cached)
        except exceptions.AuthenticationFailed:
            wait = spend_anonymous_budget(request)
            if wait is not None:
                raise exceptions.Throttled(wait) from None
            raise

    @staticmethod
    def cached_token(parts: list[bytes]) -> ApiToken | None:
        """The token of a well-formed header from the token cache, if it is there."""
        if len(parts) != 2:
            return None
        try:
            key = parts[1].decode("ascii")
        except UnicodeError:
            return None
        return token_cache.cached_token(hash_key(key))

    def authenticate_header_value(self, parts: list[bytes], cached: ApiToken | None = None):
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid token header: send `Authorization: Token <key>`, the key without spaces."
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed(
                "Invalid token header: the key has characters no key contains."
            ) from error
        return self.authenticate_credentials(key, cached)

    def authenticate_credentials(self, key: str, cached: ApiToken | None = None):
        """The user and token of `key`: `cached` if the token cache had it, else looked up."""
        token = cached
        if token is None:
            token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        now = timezone.now()
        if token.is_revoked:
            raise exceptions.AuthenticationFailed("This token has been revoked.")
        if token.is_expired(now):
            raise exceptions.AuthenticationFailed("This token has expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's user is inactive.")
        wrote = self.record_use(token, now)
        if cached is None:
            token_cache.remember(token)  # as just read from the database
        elif wrote:
            # Not stored again from the cached copy: a revocation that deleted the entry
            # meanwhile would be undone for another bound. The next request reads it afresh.
            token_cache.forget([token.key_hash])
        user = token.user  # loaded for this request alone: marking it reaches no one else
        user.current_token = token
        return user, token

    @staticmethod
    def record_use(token: ApiToken, now) -> bool:
        """Set `last_used_at`, writing at most once a minute per token (see module docstring);
        whether it wrote."""
        stale = now - LAST_USED_RESOLUTION
        if token.last_used_at is not None and token.last_used_at >= stale:
            return False
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale)
        ).update(last_used_at=now)
        token.last_used_at = now
        return True

    def authenticate_header(self, request) -> str:
        return self.keyword
