"""Who may do what: anyone reads published entries; writing needs the model permission."""

from rest_framework.permissions import DjangoModelPermissionsOrAnonReadOnly


class ModelPermissionsOrReadOnly(DjangoModelPermissionsOrAnonReadOnly):
    """Reads are open to all (drafts are filtered out by the views); writes need
    `Authorization: Token <key>` of a user holding the matching add/change/delete
    permission. Without credentials a write gets 401, with the wrong ones 403."""


def can_see_drafts(user, model) -> bool:
    """Editors and write tokens see drafts; everyone else sees published entries only."""
    opts = model._meta
    return user.is_authenticated and (
        user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
        or user.has_perm(f"{opts.app_label}.view_{opts.model_name}")
    )
