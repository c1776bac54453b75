"""Other names (Popolo's `other_names`) of people, institutions, positions, programmes and
events: how a record's list of them is read in one query, checked and written.

The list is part of its owner, as a statement's translations are part of the
statement: the API reads and writes it inside the owner's representation
(`other_names: [{"name", "language", "note"}]`), and a write of the list is a
write of the owner (ctht_api.models.OtherNameBase.touch_owner: one version, one
history record, one change-feed row for the owner). Each other-name row keeps a
history of its own too (they are audited models).

- `with_other_names` adds the list to a queryset as a JSON array
  (`other_name_list`, ctht_api.aggregates): a list page stays one query,
  whatever its size.
- `other_name_errors` checks a list the way the models would refuse it, one
  entry per item, so that the API names `other_names.<i>.<field>`.
- `replace_other_names` makes the stored list equal to the one given.

They are searched by `q` and the admin's search boxes (ctht_api.search, the
`other_names` argument of `search`), not by a statement's `q`: a statement's
stored search document holds its speaker's name, not the speaker's other names
(including them would mean refreshing every statement of a person at each
change of one of their names).
"""

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.db.models.functions import JSONObject

from ctht_api.aggregates import json_array
from ctht_api.audit import snapshot_history
from ctht_api.models import OtherNameBase

OTHER_NAME_FIELDS = ("name", "language", "note")
ANNOTATION = "other_name_list"
GIVEN_TWICE = "This name is listed twice in this language."


def other_name_model(owner_model: type[models.Model]) -> type[OtherNameBase]:
    """The other-name model of an owner model (its `other_names` relation)."""
    return owner_model._meta.get_field("other_names").related_model


def with_other_names(queryset: QuerySet) -> QuerySet:
    """`queryset` with each entry's other names as `other_name_list`, a JSON array."""
    model = other_name_model(queryset.model)
    return queryset.annotate(
        **{
            ANNOTATION: json_array(
                model.objects.all(),
                f"{model.owner_field}_id",
                JSONObject(name="name", language="language", note="note"),
            )
        }
    )


def other_name_rows(owner: models.Model) -> list[dict]:
    """`owner`'s other names as the API shows them: by language tag, then name."""
    if owner.pk is None:
        return []
    model = other_name_model(type(owner))
    rows = model.objects.filter(**{model.owner_field: owner.pk})
    return sorted(
        rows.order_by().values(*OTHER_NAME_FIELDS), key=lambda row: (row["language"], row["name"])
    )


# The history base of an owner of other names: each version records them (ctht_api.audit).
OtherNamesHistory = snapshot_history("other_names", other_name_rows, what="other names")


def _values(row: Mapping[str, Any]) -> dict[str, Any]:
    values = {name: row[name] for name in OTHER_NAME_FIELDS if name in row}
    values.setdefault("language", "")
    values.setdefault("note", "")
    return values


def other_name_errors(owner_model: type[models.Model], rows: Sequence[Mapping]) -> list[dict]:
    """For each row, what the other-name model refuses in it (`{field: [messages]}`, empty
    when nothing): its field validators, and a name given twice in one language."""
    model = other_name_model(owner_model)
    errors: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for row in rows:
        values = _values(row)
        try:
            model(**values).full_clean(
                exclude=[model.owner_field], validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            errors.append(error.message_dict)
            continue
        key = (values["name"], values["language"])
        errors.append({"name": [GIVEN_TWICE]} if key in seen else {})
        seen.add(key)
    return errors


def replace_other_names(*, owner: models.Model, rows: Sequence[Mapping[str, Any]]) -> None:
    """Make `owner`'s stored other names equal to `rows` (`name`, `language`, `note`).

    A row is known by its name and language: one that did not change is left
    alone (its history shows only real changes), a changed note is saved, the
    rest deleted or created, each through the model (so the owner is touched and
    the audit trail sees each row). Call it inside the owner's write (a
    changeset), after the owner is saved. Raises ValidationError for rows
    `other_name_errors` refuses.
    """
    errors = other_name_errors(type(owner), rows)
    messages = [
        f"{index}.{field}: {message}"
        for index, error in enumerate(errors)
        for field, field_messages in error.items()
        for message in field_messages
    ]
    if messages:
        raise ValidationError({"other_names": messages})
    model = other_name_model(type(owner))
    stored = {}
    for other_name in model.objects.filter(**{model.owner_field: owner}):
        setattr(other_name, model.owner_field, owner)  # touched as this very object
        stored[other_name.name, other_name.language] = other_name
    wanted = {(v["name"], v["language"]): v for v in map(_values, rows)}
    for key, other_name in stored.items():
        if key not in wanted:
            other_name.delete()
    for key, values in wanted.items():
        other_name = stored.get(key)
        if other_name is None:
            other_name = model(**values)
            setattr(other_name, model.owner_field, owner)
        elif other_name.note == values["note"]:
            continue
        other_name.note = values["note"]
        other_name.save()
