"""Identifiers (Popolo's `identifiers`) of people, institutions, events, programmes and
documents: how a record's list of them is read, checked, written, recorded in its
history and filtered by.

Like other names (ctht_api.other_names), the list is part of its owner: the API
reads and writes it inside the owner's representation (`identifiers: [{"scheme",
"identifier"}]`), a write of the list is a write of the owner (one version, one
history record, one change-feed row), and each version of the owner records the
list as it then stood. `IDENTIFIERS` (a ctht_api.owned_lists.OwnedList) reads,
checks and writes it; unlike an other name, a scheme and value name one entry of a
kind at the most, so one held by another entry is refused, naming that entry.

Values are taken as given, never normalised: a scheme is lower case and a Wikidata
identifier is `Q` and digits (ctht_api.models.IdentifierBase.clean), and `Wikidata`
or `q42` is refused rather than rewritten, so that what a partner sends is what
it reads back and joins on, in the API, the admin, the backup and the filter.

`?identifier=wikidata:Q8908` (`identified_by`) keeps the entries holding any of
the comma-separated `scheme:identifier` values.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet

from ctht_api.audit import snapshot_history
from ctht_api.owned_lists import OwnedList

IDENTIFIERS = OwnedList(
    relation="identifiers",
    fields=("scheme", "identifier"),
    key=("scheme", "identifier"),
    order=("scheme", "identifier"),
    annotation="identifier_list",
    given_twice="This identifier is listed twice.",
    unique_across_owners=True,
    taken="This identifier names another entry already{by}.",
)
FILTER_PARAMETER = "identifier"


def with_identifiers(queryset: QuerySet) -> QuerySet:
    """`queryset` with each entry's identifiers as `identifier_list`, a JSON array."""
    return IDENTIFIERS.annotate(queryset)


def identifier_rows(owner: models.Model) -> list[dict]:
    """`owner`'s identifiers as the API shows them: by scheme, then identifier."""
    return IDENTIFIERS.rows(owner)


# The history base of an owner of identifiers: each version records them (ctht_api.audit).
IdentifiersHistory = snapshot_history("identifiers", identifier_rows, what="identifiers")


def parse_identifier(owner_model: type[models.Model], value: str) -> tuple[str, str]:
    """`scheme:identifier` as its two parts, checked as the identifier model checks a
    row; a ValidationError naming the `identifier` parameter otherwise."""
    scheme, colon, identifier = value.partition(":")
    if not (colon and scheme and identifier):
        raise ValidationError(
            {FILTER_PARAMETER: f"'{value}' is not scheme:identifier (e.g. wikidata:Q8908)."}
        )
    row = IDENTIFIERS.model(owner_model)(scheme=scheme, identifier=identifier)
    try:
        row.full_clean(exclude=[row.owner_field], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        messages = " ".join(m for ms in error.message_dict.values() for m in ms)
        raise ValidationError({FILTER_PARAMETER: f"'{value}': {messages}"}) from None
    return scheme, identifier


def identified_by(owner_model: type[models.Model], values: list[str]) -> Exists:
    """`EXISTS` an identifier of the outer entry among `values` (`scheme:identifier`)."""
    condition = Q()
    for value in values:
        scheme, identifier = parse_identifier(owner_model, value)
        condition |= Q(scheme=scheme, identifier=identifier)
    model = IDENTIFIERS.model(owner_model)
    return Exists(model.objects.filter(condition, **{model.owner_field: OuterRef("pk")}))
