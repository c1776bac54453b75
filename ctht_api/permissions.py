"""Who may do what: anyone reads published entries; writing needs the model permission."""

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
        return super().has_permission(request, view)


def can_see_drafts(user, model) -> bool:
    """Editors and write tokens see drafts; everyone else sees published entries only."""
    opts = model._meta
    return user.is_authenticated and (
        user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
        or user.has_perm(f"{opts.app_label}.view_{opts.model_name}")
    )
