"""Issue a new API token for a user, creating the user if needed; print only its key."""

import argparse
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import ApiToken, hash_key
from accounts.services import issue_token


def positive_days(value: str) -> int:
    """`--expires-in` as a whole number of days, at least one."""
    try:
        days = int(value)
    except ValueError:
        days = 0
    if days < 1:
        raise argparse.ArgumentTypeError(f"a whole number of days, at least 1, not {value!r}")
    return days


class Command(BaseCommand):
    """Print a new token's key for USERNAME (only the key on stdout); ``--write`` lets it write,
    ``--drafts`` lets it see drafts (implied by ``--write``)."""

    help = (
        "Create a new API token for USERNAME and print its key on stdout (the key only; notes "
        "go to stderr), creating the user (active, unusable password) if needed. The key is "
        "shown this once: only its hash is stored. Each run issues a new token; older ones "
        "stay valid until revoked (in the admin) or expired. --write makes the token "
        "write-enabled and grants add/change/delete/view on every people and events model "
        "(view only on countries). Without --write the token only reads, no permission is "
        "granted, and an existing user's permissions are left as they are: nothing is removed. "
        "A token sees drafts only with --drafts (given with --write, which must find the "
        "drafts it changes): --drafts grants view on the people and events models. Without it "
        "the token sees what anonymous clients see, whatever the user may do. Only write "
        "tokens read the history."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="The user's name; created if it does not exist.")
        parser.add_argument(
            "--write",
            action="store_true",
            help="Make the token write-enabled and grant add/change/delete/view on the API's "
            "models (adds to existing ones).",
        )
        parser.add_argument(
            "--drafts",
            action="store_true",
            help="Let the token see drafts, and grant view on the API's models "
            "(implied by --write). Without it the token sees published entries only.",
        )
        parser.add_argument(
            "--expires-in",
            metavar="DAYS",
            type=positive_days,
            help="Refuse the token after DAYS days (default: it never expires).",
        )
        parser.add_argument(
            "--name", default="", help="A label for the token, e.g. who uses it (optional)."
        )

    def handle(self, *args, username, write, drafts, expires_in, name, **options):
        try:
            key = issue_token(
                username=username,
                write=write,
                drafts=drafts,
                name=name,
                expires_in=timedelta(days=expires_in) if expires_in else None,
            )
        except ValidationError as error:
            field, messages = next(iter(error.message_dict.items()))
            value = username if field == "username" else name
            raise CommandError(f"Invalid {field} {value!r}: {' '.join(messages)}") from error
        token = ApiToken.objects.select_related("user").get(key_hash=hash_key(key))
        user = token.user
        if not user.is_active:
            self.stderr.write(
                f"Warning: user {user.get_username()!r} is inactive: the API refuses their token.",
                style_func=self.style.WARNING,
            )
        if write or drafts:
            self.stderr.write(
                f"{'Write' if write else 'View'} permissions granted to {user.get_username()!r}.",
                style_func=self.style.NOTICE,
            )
        access = "write-enabled" if write else "read-only"
        sees = "sees drafts" if token.drafts_enabled else "sees published entries only"
        until = (
            f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else "no expiry"
        )
        self.stderr.write(
            f"New {access} token {token.key_prefix}… for {user.get_username()!r} "
            f"({sees}, {until}). Keep the key: it cannot be shown again.",
            style_func=self.style.NOTICE,
        )
        self.stdout.write(key)
