"""`/api/v1/{resource}/{id}/history/`: an entry's versions, newest first, with what changed.

Open to signed-in editors and write keys whose user may view or change that
model (ctht_api.permissions.can_read_history); anonymous clients get 401 and
other keys, read-only ones included, 403, because the history keeps earlier
drafts and who wrote them. The
history of a deleted entry stays readable at the same URL.

Each record: `version` (what the entry's ETag said then), `type` (`created`,
`updated`, `deleted`), `date`, `user` (username, or null for changes made
outside a signed-in request, e.g. by a management command), `reason` (the
`X-Change-Reason` header or the admin's reason field), for a statement
`safety_override` (the reason given to publish it despite the personal-data
check, or null), and `changes`: each
field whose stored value differs from the previous record, with `old` and
`new` as stored (a related entry as its id, a list of related entries as
sorted ids; fields are named as in the model, which is the API's name except
for a document's `url`, shown as `link` in the API). The lists written with an
entry are recorded with it, as the API lists them: a statement's and a topic's
`translations`, the `other_names` of people, institutions, positions,
programmes and events, the `identifiers` of people, institutions, events,
programmes and documents. The first record lists every field, with `old` null. A
version stored before a list was recorded (before its column was added, or
written in bulk by `generate_data`) holds it as unknown (null in the table):
no change is shown to or from it, and the first version that records it
shows no change either unless it is the entry's first record.
"""

import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.fields import SkipField

from ctht_api.audit import snapshot_fields
from ctht_api.pagination import StrictPageNumberPagination
from ctht_api.permissions import can_read_history

DESCRIPTION = __doc__.split("\n\n", 1)[1]
HISTORY_TYPES = {"+": "created", "~": "updated", "-": "deleted"}


@extend_schema_field(OpenApiTypes.ANY)
class AnyValueField(serializers.Field):
    def to_representation(self, value):
        return value


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The model field that changed.")
    old = AnyValueField(allow_null=True, help_text="Its value before (null on creation).")
    new = AnyValueField(allow_null=True, help_text="Its value after.")


class WriteField(serializers.CharField):
    """A column about the write that only some models' histories have: absent elsewhere."""

    def get_attribute(self, instance):
        if self.field_name not in instance:
            raise SkipField
        return super().get_attribute(instance)


class HistoryRecordSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The entry's version after this change.")
    type = serializers.ChoiceField(choices=sorted(HISTORY_TYPES.values()))
    date = serializers.DateTimeField(help_text="When the change was stored (UTC).")
    user = serializers.CharField(allow_null=True, help_text="Username of who made it.")
    reason = serializers.CharField(allow_null=True, help_text="Why, as the editor said.")
    safety_override = WriteField(
        required=False,
        allow_null=True,
        help_text="Statements only: the reason given to publish this version despite the "
        "personal-data check's findings (`X-Safety-Override`, or the admin's confirmation); "
        "null when no override was used.",
    )
    changes = ChangeSerializer(many=True)


def _plain(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def history_versions(history_model, pk) -> QuerySet:
    """Every version of entry `pk`, newest first."""
    return (
        history_model._default_manager.filter(id=pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )


def _state(row, tracked: list, snapshots: tuple[str, ...]) -> dict:
    state = {f.name: _plain(getattr(row, f.attname)) for f in tracked}
    for name in snapshots:  # JSON text (see ctht_api.audit.snapshot_history)
        if state[name] is not None:
            state[name] = json.loads(state[name])
    return state


def _shown(name: str, old, new, *, first: bool, snapshots: tuple[str, ...]) -> bool:
    """Whether a field is listed in a record's changes. A snapshot not recorded (null)
    is unknown: no change is shown to or from it."""
    if name in snapshots and (new is None or (old is None and not first)):
        return False
    return first or old != new


def write_fields(history_model) -> tuple[str, ...]:
    """Columns a history model records about the write rather than the entry (a
    statement's `safety_override`): shown on the record, like `reason`, not as changes."""
    return tuple(
        name for base in history_model.__mro__ for name in base.__dict__.get("write_fields", ())
    )


def history_records(history_model, rows: list, previous_row=None) -> list[dict]:
    """`rows` (versions of one entry, newest first) as records, each with its changes
    from the version before it (`previous_row` for the oldest of them, if any).

    A fixed number of queries whatever the number of rows: one per tracked
    many-to-many field.
    """
    about_the_write = write_fields(history_model)
    tracked = [
        f
        for f in history_model._meta.concrete_fields
        if not f.name.startswith("history_")
        and f.name not in ("id", "version", "created_at", "updated_at", *about_the_write)
    ]
    chronological = [*([previous_row] if previous_row is not None else []), *reversed(rows)]
    related: dict[str, dict[int, list]] = {}
    for m2m_field in getattr(history_model, "_history_m2m_fields", []):
        m2m_model = getattr(history_model, m2m_field.name).model
        target = m2m_field.m2m_reverse_name()  # the related model's column in the through table
        values: dict[int, list] = {row.history_id: [] for row in chronological}
        for history_id, value in m2m_model._default_manager.filter(
            history_id__in=values
        ).values_list("history_id", target):
            values[history_id].append(value)
        related[m2m_field.name] = {key: sorted(v) for key, v in values.items()}

    snapshots = snapshot_fields(history_model)
    records, previous = [], None
    for row in chronological:
        state = _state(row, tracked, snapshots)
        for name, values in related.items():
            state[name] = values[row.history_id]
        changes = [
            {"field": name, "old": None if previous is None else previous[name], "new": value}
            for name, value in state.items()
            if _shown(
                name,
                None if previous is None else previous[name],
                value,
                first=previous is None,
                snapshots=snapshots,
            )
        ]
        if row is not previous_row:
            records.append(
                {
                    "version": row.version,
                    "type": HISTORY_TYPES[row.history_type],
                    "date": row.history_date,
                    "user": row.history_user.get_username() if row.history_user else None,
                    "reason": row.history_change_reason,
                    **{name: getattr(row, name) or None for name in about_the_write},
                    "changes": [] if row.history_type == "-" else changes,
                }
            )
        previous = state
    records.reverse()
    return records


class HistoryMixin:
    """Adds `GET {id}/history/` to a ModelViewSet of an audited model."""

    @extend_schema(
        summary="History of an entry",
        description=DESCRIPTION,
        responses={200: HistoryRecordSerializer(many=True)},
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        pagination_class=StrictPageNumberPagination,
        filter_backends=[],
        serializer_class=HistoryRecordSerializer,
    )
    def history(self, request, *args, **kwargs):
        model = self.get_queryset().model
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        if not can_read_history(request.user, model):
            raise exceptions.PermissionDenied(
                "The history is for signed-in editors and write keys of users who may "
                "view or change these entries."
            )
        history_model = model.history.model
        try:
            pk = model._meta.pk.to_python(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
            versions = history_versions(history_model, pk)
            page = self.paginate_queryset(versions)
        except (DjangoValidationError, OverflowError):
            page = []  # not an id: no entry has ever had it
        if not page:
            raise exceptions.NotFound("No entry with this id has ever existed.")
        oldest = page[-1]
        previous_row = versions.filter(
            Q(history_date__lt=oldest.history_date)
            | Q(history_date=oldest.history_date, history_id__lt=oldest.history_id)
        ).first()
        records = history_records(history_model, page, previous_row)
        return self.get_paginated_response(HistoryRecordSerializer(records, many=True).data)
