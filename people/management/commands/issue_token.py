"""Print a user's API token key, creating the user and token if needed."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from people.services import issue_token


class Command(BaseCommand):
    """Print USERNAME's API token key (only the key on stdout); ``--write`` grants write access."""

    help = (
        "Print the API token key of USERNAME on stdout (the key only; notes go to stderr), "
        "creating the user (active, unusable password) and the token if needed; rerunning "
        "prints the same key. --write grants add/change/delete/view on every people and "
        "events model (view only on countries). Without --write no permission is granted, "
        "and an existing user's permissions are left as they are: nothing is removed."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="The user's name; created if it does not exist.")
        parser.add_argument(
            "--write",
            action="store_true",
            help="Grant add/change/delete/view on the API's models (adds to existing ones).",
        )

    def handle(self, *args, username, write, **options):
        try:
            key = issue_token(username=username, write=write)
        except ValidationError as error:
            raise CommandError(
                f"Invalid username {username!r}: {' '.join(error.messages)}"
            ) from error
        user_model = get_user_model()
        user = user_model._default_manager.get(auth_token__key=key)
        if not user.is_active:
            self.stderr.write(
                f"Warning: user {user.get_username()!r} is inactive: the API refuses their token.",
                style_func=self.style.WARNING,
            )
        if write:
            self.stderr.write(
                f"Write permissions granted to {user.get_username()!r}.",
                style_func=self.style.NOTICE,
            )
        self.stdout.write(key)
