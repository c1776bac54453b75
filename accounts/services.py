"""Issuing API tokens: the one write path for a new key outside the admin.

``issue_token`` touches the user model, Django's permissions and API tokens at
once, so it is a service rather than a model method (HackSoft style: a
keyword-only, typed function that does one thing in one transaction). It lives
in ``accounts`` with the tokens it makes; the ``issue_token`` command is a thin
shell around it.
"""

from datetime import timedelta

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken

# The apps whose models the API serves and writes.
API_APP_LABELS = ("people", "events")
WRITE_ACTIONS = ("add", "change", "delete", "view")
READ_ACTIONS = ("view",)
# Reference data loaded by migrations: readable, never written through the API.
READ_ONLY_MODELS = {("people", "country")}


def api_permissions(*, write: bool) -> list[Permission]:
    """The permissions ``--write`` grants (add/change/delete/view on the API's models) or,
    with ``write=False``, those ``--drafts`` grants (view on them): without ``view`` a
    token's drafts scope would show nothing more than published entries.

    Reference data (Country) gets ``view`` only. Raises ``ImproperlyConfigured``
    if a permission is missing from the database (migrations not applied).
    """
    wanted: set[tuple[str, str]] = set()
    for app_label in API_APP_LABELS:
        for model in apps.get_app_config(app_label).get_models():
            opts = model._meta
            read_only = not write or (app_label, opts.model_name) in READ_ONLY_MODELS
            for action in READ_ACTIONS if read_only else WRITE_ACTIONS:
                if action in opts.default_permissions:
                    wanted.add((app_label, f"{action}_{opts.model_name}"))
    found = list(
        Permission.objects.select_related("content_type").filter(
            content_type__app_label__in=API_APP_LABELS,
            codename__in={codename for _, codename in wanted},
        )
    )
    found = [p for p in found if (p.content_type.app_label, p.codename) in wanted]
    missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
    if missing:
        names = ", ".join(sorted(f"{app}.{codename}" for app, codename in missing))
        raise ImproperlyConfigured(f"Permissions missing from the database ({names}): migrate.")
    return found


@transaction.atomic
def issue_token(
    *,
    username: str,
    write: bool,
    drafts: bool = False,
    name: str = "",
    expires_in: timedelta | None = None,
) -> str:
    """Create a new API token for ``username`` (and the user if needed); return its key.

    The key is returned here only: the database keeps its hash, so it cannot be
    shown again, and each call issues a new token; the user's older tokens stay
    valid until they are revoked or expire. A new user is active with an
    unusable password (they sign in with tokens only). ``write=True`` makes the
    token write-enabled and adds the API write permissions to the user (see
    ``api_permissions``); ``write=False`` issues a read-only token and grants
    nothing and removes nothing: an existing user's permissions are left as
    they are. ``drafts=True`` gives the token the drafts scope (it sees drafts;
    the history is for write tokens) and adds ``view`` on the API's models to the user; a write
    token always has that scope, as it must find the drafts it changes, so
    ``write=True`` implies ``drafts=True``. ``expires_in`` limits the token's
    life (default: no expiry).
    Raises ``ValidationError`` (keyed ``username`` or ``name``) for a username
    the user model refuses or a name too long to store.
    """
    user_model = get_user_model()
    username = user_model.normalize_username(username)
    field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    try:
        if not username:
            raise ValidationError("The username is empty.", code="blank")
        field.run_validators(username)
    except ValidationError as error:
        raise ValidationError({"username": error.error_list}) from error
    try:
        ApiToken._meta.get_field("name").run_validators(name)
    except ValidationError as error:
        raise ValidationError({"name": error.error_list}) from error

    user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
    if user is None:
        user = user_model._default_manager.create_user(username, password=None)
    drafts = drafts or write
    if drafts:
        user.user_permissions.add(*api_permissions(write=write))
    expires_at = timezone.now() + expires_in if expires_in is not None else None
    _, key = ApiToken.objects.create_token(
        user=user, name=name, write_enabled=write, drafts_enabled=drafts, expires_at=expires_at
    )
    return key
