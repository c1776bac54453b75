"""Lists that are part of their owner (other names, identifiers): how one is read in one
query, checked and written, whatever the list.

An `OwnedList` describes one such list: the owner's relation to its rows
(`other_names`, `identifiers`; the rows' model is a ctht_api.models.PartOfOwner),
the fields the API shows of a row, the fields a row is known by in its owner's
list (a row given twice is refused), and the JSON annotation that holds the list
on a list page. ctht_api.other_names and ctht_api.identifiers each declare one;
the serializers (ctht_api.serializers.OwnedListSerializer) read and write every
list through it, so a rule written here holds for both.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import JSONObject

from ctht_api.aggregates import json_array
from ctht_api.models import PartOfOwner


@dataclass(frozen=True)
class OwnedList:
    """One kind of list its owner's JSON shows and a write of the owner replaces."""

    # The owner's relation to the rows (their foreign key's `related_name`).
    relation: str
    # The row's fields the API shows, in their order.
    fields: tuple[str, ...]
    # What a row is known by in its owner's list, and the order the API lists them in.
    key: tuple[str, ...]
    order: tuple[str, ...]
    # The JSON array `annotate` adds to a queryset.
    annotation: str
    # The message for a key given twice in one list, named on `key[0]`.
    given_twice: str
    # Values of fields a row may leave out.
    defaults: Mapping[str, Any] = field(default_factory=dict)
    # Whether a key names one owner at the most (the model's unique constraint on it):
    # then a key held by another owner is refused with `taken`, named on `key[-1]`; its
    # `{by}` says which owner, when known.
    unique_across_owners: bool = False
    taken: str = ""

    def model(self, owner_model: type[models.Model]) -> type[PartOfOwner]:
        """The rows' model of an owner model."""
        return owner_model._meta.get_field(self.relation).related_model

    def annotate(self, queryset: QuerySet) -> QuerySet:
        """`queryset` with each entry's list as `annotation`, a JSON array."""
        model = self.model(queryset.model)
        return queryset.annotate(
            **{
                self.annotation: json_array(
                    model.objects.all(),
                    f"{model.owner_field}_id",
                    JSONObject(**{name: name for name in self.fields}),
                )
            }
        )

    def sorted(self, rows: Sequence[Mapping]) -> list:
        """`rows` in the API's order (code point order, the same on both databases)."""
        return sorted(rows, key=lambda row: [row[name] for name in self.order])

    def rows(self, owner: models.Model) -> list[dict]:
        """`owner`'s list as the API shows it."""
        if owner.pk is None:
            return []
        model = self.model(type(owner))
        stored = model.objects.filter(**{model.owner_field: owner.pk})
        return self.sorted(stored.order_by().values(*self.fields))

    def values(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """A row's values, with the defaults of those it left out."""
        return {**self.defaults, **{name: row[name] for name in self.fields if name in row}}

    def errors(
        self, owner_model: type[models.Model], rows: Sequence[Mapping], owner_pk=None
    ) -> list[dict]:
        """For each row, what the rows' model refuses in it (`{field: [messages]}`, empty
        when nothing): its field validators and `clean()`, a key given twice, and, for a
        list unique across owners, a key another owner (not `owner_pk`) holds."""
        model = self.model(owner_model)
        errors: list[dict] = []
        seen: set[tuple] = set()
        for row in rows:
            values = self.values(row)
            try:
                model(**values).full_clean(
                    exclude=[model.owner_field], validate_unique=False, validate_constraints=False
                )
            except ValidationError as error:
                errors.append(error.message_dict)
                continue
            key = tuple(values[name] for name in self.key)
            errors.append({self.key[0]: [self.given_twice]} if key in seen else {})
            seen.add(key)
        if self.unique_across_owners:
            self._refuse_taken(model, rows, errors, owner_pk)
        return errors

    def _refuse_taken(self, model, rows: Sequence[Mapping], errors: list[dict], owner_pk) -> None:
        """One query for the whole list: the keys of valid rows that another owner holds."""
        keys = {
            tuple(self.values(row)[name] for name in self.key): index
            for index, (row, error) in enumerate(zip(rows, errors, strict=True))
            if not error
        }
        if not keys:
            return
        condition = Q()
        for key in keys:
            condition |= Q(**dict(zip(self.key, key, strict=True)))
        owner_id = f"{model.owner_field}_id"
        held = model.objects.filter(condition).exclude(**{owner_id: owner_pk})
        for *key, other in held.values_list(*self.key, owner_id):
            errors[keys[tuple(key)]] = {self.key[-1]: [self.taken.format(by=f" (id {other})")]}

    def replace(self, *, owner: models.Model, rows: Sequence[Mapping[str, Any]]) -> None:
        """Make `owner`'s stored list equal to `rows`.

        A row is known by its key: one that did not change is left alone (its
        history shows only real changes), one whose other fields changed is saved,
        the rest deleted or created, each through the model (so the owner is
        touched and the audit trail sees each row). Deletions go first, so that a
        key moved from one row to another is never held twice. Call it inside the
        owner's write (a changeset), after the owner is saved. Raises
        ValidationError, named after the relation, for rows `errors` refuses, and
        for a key unique across owners that another writer took meanwhile (the
        unique constraint's IntegrityError, not a 500).
        """
        errors = self.errors(type(owner), rows, owner.pk)
        messages = [
            f"{index}.{name}: {message}"
            for index, error in enumerate(errors)
            for name, field_messages in error.items()
            for message in field_messages
        ]
        if messages:
            raise ValidationError({self.relation: messages})
        if not self.unique_across_owners:
            self._write(owner, rows)
            return
        try:
            with transaction.atomic():  # a savepoint: the outer write may go on to its 400
                self._write(owner, rows)
        except IntegrityError:
            # Another writer took a key between the check above and this write.
            raise ValidationError({self.relation: [self.taken.format(by="")]}) from None

    def _write(self, owner: models.Model, rows: Sequence[Mapping[str, Any]]) -> None:
        model = self.model(type(owner))
        stored = {}
        for row in model.objects.filter(**{model.owner_field: owner}):
            setattr(row, model.owner_field, owner)  # touched as this very object
            stored[tuple(getattr(row, name) for name in self.key)] = row
        wanted = {tuple(v[name] for name in self.key): v for v in map(self.values, rows)}
        for key, row in stored.items():
            if key not in wanted:
                row.delete()
        for key, values in wanted.items():
            row = stored.get(key)
            if row is None:
                row = model(**values)
                setattr(row, model.owner_field, owner)
            elif all(getattr(row, name) == value for name, value in values.items()):
                continue
            for name, value in values.items():
                setattr(row, name, value)
            row.save()
