"""Who may do what: anyone reads published entries; drafts and writing need the model
permission, and through a token its scope as well."""

from rest_framework import permissions
from rest_framework.permissions import DjangoModelPermissionsOrAnonReadOnly

from accounts.models import ApiToken


class ModelPermissionsOrReadOnly(DjangoModelPermissionsOrAnonReadOnly):
    """Reads are open to all (drafts are filtered out by the views); writes need
    `Authorization: Token <key>` of a write-enabled token whose user holds the
    matching add/change/delete permission. Without credentials a write gets 401,
    with the wrong ones (or a read-only token) 403. Editors signed in to the
    admin write through the browsable API with their session and permissions.

    A method the resource does not have (`PUT` on a list, any write to
    `/countries/`) is not a question of who asks: every client gets the same
    405 with the `Allow` header, never a 401 or 403 suggesting that other
    credentials would do."""

    read_only_token_message = (
        "This token is read-only: writing needs a write-enabled token "
        "(`issue_token USERNAME --write`)."
    )

    def has_permission(self, request, view) -> bool:
        if getattr(view, request.method.lower(), None) is None:
            return True  # the view answers 405 (APIView.http_method_not_allowed)
        if (
            request.method not in permissions.SAFE_METHODS
            and isinstance(request.auth, ApiToken)
            and not request.auth.write_enabled
        ):
            # An instance per request (DRF's get_permissions), so the message is this request's.
            self.message = self.read_only_token_message
            return False
        if request.method in permissions.SAFE_METHODS and not self.perms_map[request.method]:
            # A read needs no model permission (drafts are the views' business): DRF would
            # build the view's queryset only to learn its model.
            return bool(request.user) and (
                request.user.is_authenticated or not self.authenticated_users_only
            )
        return super().has_permission(request, view)


def can_see_drafts(user, model) -> bool:
    """Whether `user` sees drafts of `model` (and their history): the one rule every view,
    nested list and count asks.

    It takes the user alone, so it must learn from the user how the request was
    authenticated: a token's user carries it as `current_token` (see
    accounts/authentication.py). A token without the drafts scope sees what an
    anonymous client sees, whatever its user's permissions, so a dashboard key
    of an editor's account leaks no draft. A drafts-scoped token (every write
    token is one) and a signed-in session see drafts when the user may view or
    change the model.
    """
    token = getattr(user, "current_token", None)
    if token is not None and not token.drafts_enabled:
        return False
    opts = model._meta
    return user.is_authenticated and (
        user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
        or user.has_perm(f"{opts.app_label}.view_{opts.model_name}")
    )


def can_read_history(user, model) -> bool:
    """Whether `user` reads the history of `model`'s entries: signed-in editors and write
    keys (API.md, "Access"). A read-only key with the drafts scope previews drafts but not
    the history, which also names who wrote what and why."""
    token = getattr(user, "current_token", None)
    if token is not None and not token.write_enabled:
        return False
    return can_see_drafts(user, model)
