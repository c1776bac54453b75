"""API tokens, stored the way GitHub and NetBox store theirs: only a hash of the key.

A key is `ctht_` followed by 43 characters of `secrets.token_urlsafe(32)` (256
random bits). It is shown once, when the token is created, and cannot be
retrieved afterwards: the database keeps its SHA-256 and a short prefix for
editors to recognise it by. A leaked database or backup therefore yields no
usable key.

A fast hash is the right one here, unlike for passwords: a slow hash (PBKDF2,
Argon2) protects low-entropy secrets against guessing, and 256 random bits
cannot be guessed however fast the hash. A fast, unsalted hash also lets the
authentication look the token up by an indexed, unique column in one query.
GitHub's token scanning and NetBox's v2 tokens make the same choice.

The recognisable `ctht_` prefix lets secret scanners (and people) spot a key
pasted where it should not be.

A token's scopes narrow what its user may do, never widen it: `write_enabled`
lets it write, `drafts_enabled` lets it see drafts (the history is for write keys), each only as
far as the user's model permissions allow. Without `drafts_enabled` a key sees
what an anonymous client sees, so a dashboard key of an editor's account does
not leak drafts. A write key always has `drafts_enabled` (a constraint): a key
that changes entries must find the drafts it changes.
"""

import hashlib
import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

KEY_PREFIX = "ctht_"
# `ctht_` plus 8 random characters: enough to tell tokens apart in the admin,
# while the 35 characters never shown keep about 210 random bits secret.
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 8


def hash_key(key: str) -> str:
    """The SHA-256 hex digest the database stores instead of the key."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    """Tokens by state: active (neither revoked nor expired), expired, revoked."""

    def active(self, now: datetime | None = None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )

    def expired(self, now: datetime | None = None):
        return self.filter(revoked_at__isnull=True, expires_at__lte=now or timezone.now())

    def revoked(self):
        return self.filter(revoked_at__isnull=False)


class ApiTokenManager(models.Manager.from_queryset(ApiTokenQuerySet)):
    """Creates tokens; the only place a key exists in clear."""

    def create_token(
        self,
        *,
        user,
        name: str = "",
        write_enabled: bool = False,
        drafts_enabled: bool = False,
        expires_at: datetime | None = None,
    ) -> tuple["ApiToken", str]:
        """A new token and its key; the key is returned here and never stored."""
        token = self.model(
            user=user,
            name=name,
            write_enabled=write_enabled,
            drafts_enabled=drafts_enabled,
            expires_at=expires_at,
        )
        key = token.set_new_key()
        token.save(force_insert=True)
        return token, key


class ApiToken(models.Model):
    """A key a client sends as `Authorization: Token <key>`, acting as its user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text="The user the token acts as; it has that user's permissions.",
    )
    name = models.CharField(
        max_length=100,
        blank=True,
        help_text="A label saying who or what uses the token (“partner dashboard”).",
    )
    key_prefix = models.CharField(
        max_length=SHOWN_PREFIX_LENGTH,
        db_index=True,
        editable=False,
        help_text="The key's first characters, to recognise it; the rest is never stored.",
    )
    key_hash = models.CharField(
        max_length=64,
        unique=True,
        editable=False,
        help_text="SHA-256 of the key (hex): what a request's key is checked against.",
    )
    write_enabled = models.BooleanField(
        default=False,
        help_text="Without it the token only reads, whatever its user's permissions. "
        "A write-enabled token also sees drafts.",
    )
    drafts_enabled = models.BooleanField(
        "drafts",
        default=False,
        help_text="With it the token sees drafts, as far as its user's permissions allow "
        "(the history is for write tokens); without it, only what anonymous clients see, "
        "whatever its user's permissions.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="After this the token is refused; empty: never."
    )
    revoked_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the token was revoked; a revoked token is refused and kept for the record.",
    )
    last_used_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Last authenticated request, to the minute (recorded at most once a minute).",
    )

    objects = ApiTokenManager()

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(write_enabled=False) | models.Q(drafts_enabled=True),
                name="apitoken_write_sees_drafts",
                violation_error_message="A write-enabled token must also see drafts: "
                "it has to find the drafts it changes.",
            )
        ]

    def __str__(self) -> str:
        label = f" ({self.name})" if self.name else ""
        return f"{self.key_prefix}…{label}"

    def set_new_key(self) -> str:
        """Give the token a fresh random key; return it, as only its hash is kept."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        self.key_prefix = key[:SHOWN_PREFIX_LENGTH]
        self.key_hash = hash_key(key)
        return key

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
