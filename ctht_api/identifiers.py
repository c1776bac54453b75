"""Identifiers (Popolo's `identifiers`) of people, institutions, events, programmes and
documents: how a record's list of them is read and recorded in its history.

Like other names (ctht_api.other_names), the list is part of its owner: the API
reads and writes it inside the owner's representation (`identifiers: [{"scheme",
"identifier"}]`), a write of the list is a write of the owner (one version, one
history record, one change-feed row), and each version of the owner records the
list as it then stood.
"""

from django.db import models

from ctht_api.audit import snapshot_history
from ctht_api.models import IdentifierBase

IDENTIFIER_FIELDS = ("scheme", "identifier")


def identifier_model(owner_model: type[models.Model]) -> type[IdentifierBase]:
    """The identifier model of an owner model (its `identifiers` relation)."""
    return owner_model._meta.get_field("identifiers").related_model


def identifier_rows(owner: models.Model) -> list[dict]:
    """`owner`'s identifiers as the API shows them: by scheme, then identifier."""
    if owner.pk is None:
        return []
    model = identifier_model(type(owner))
    rows = model.objects.filter(**{model.owner_field: owner.pk})
    return sorted(
        rows.order_by().values(*IDENTIFIER_FIELDS),
        key=lambda row: (row["scheme"], row["identifier"]),
    )


# The history base of an owner of identifiers: each version records them (ctht_api.audit).
IdentifiersHistory = snapshot_history("identifiers", identifier_rows, what="identifiers")
