"""Services spanning several models: operations that are neither one model's nor one view's.

``issue_token`` touches the user model, Django's permissions and DRF's tokens at
once, so it lives here rather than on any of them (HackSoft style: a keyword-only,
typed function that does one thing in one transaction).
"""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from rest_framework.authtoken.models import Token

# The apps whose models the API serves and writes.
API_APP_LABELS = ("people", "events")
WRITE_ACTIONS = ("add", "change", "delete", "view")
# Reference data loaded by migrations: readable, never written through the API.
READ_ONLY_MODELS = {("people", "country")}


def api_write_permissions() -> list[Permission]:
    """Every permission ``--write`` grants: add/change/delete/view on the API's models.

    Reference data (Country) gets ``view`` only. Raises ``ImproperlyConfigured``
    if a permission is missing from the database (migrations not applied).
    """
    wanted: set[tuple[str, str]] = set()
    for app_label in API_APP_LABELS:
        for model in apps.get_app_config(app_label).get_models():
            opts = model._meta
            actions = ("view",) if (app_label, opts.model_name) in READ_ONLY_MODELS else None
            for action in actions or WRITE_ACTIONS:
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
def issue_token(*, username: str, write: bool) -> str:
    """Return the API token key of ``username``, creating the user and token if needed.

    A new user is active with an unusable password (they sign in with the token
    only). ``write=True`` adds the API write permissions (see
    ``api_write_permissions``); ``write=False`` grants nothing and removes
    nothing: an existing user's permissions are left as they are. The same
    user always gets the same key. Raises ``ValidationError`` for a username
    the user model refuses.
    """
    user_model = get_user_model()
    username = user_model.normalize_username(username)
    field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    if not username:
        raise ValidationError("The username is empty.", code="blank")
    field.run_validators(username)

    user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
    if user is None:
        user = user_model._default_manager.create_user(username, password=None)
    if write:
        user.user_permissions.add(*api_write_permissions())
    token, _ = Token.objects.get_or_create(user=user)
    return token.key
