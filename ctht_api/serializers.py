"""Serializer pieces every resource shares.

- `RecordSerializer` runs the model's own validation (`full_clean`) so the API
  refuses exactly what the admin refuses, with the field named and a 400.
- `BriefRelatedField` reads a related object in brief form (`id`, `url` and its
  display field) and writes it by id, as the contract asks.
- `other_names_field()`, `identifiers_field()` and `OwnedListsMixin`: the lists that
  are part of their owner (ctht_api.owned_lists): the `other_names` of people,
  institutions, positions, programmes and events (ctht_api.other_names), the
  `identifiers` of people, institutions, events, programmes and documents
  (ctht_api.identifiers).
"""

import functools

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.urls import get_script_prefix
from rest_framework import serializers
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings

from ctht_api.identifiers import IDENTIFIERS
from ctht_api.models import IdentifierBase, LanguageTagField, OtherNameBase, validate_language_tag
from ctht_api.other_names import OTHER_NAMES
from ctht_api.owned_lists import OwnedList

_PK = "987654321"


def url_template(context: dict, view_name: str, kwarg: str = "pk") -> str:
    """The absolute URL of `view_name` with `{}` for its `kwarg`, kept in `context` for the
    response, and built once per process for each scheme, host and script prefix (what
    `build_absolute_uri()` of `reverse()`'s path reads: ALLOWED_HOSTS bounds them)."""
    templates = context.setdefault("_url_templates", {})
    template = templates.get((view_name, kwarg))
    if template is None:
        request = context.get("request")
        root = f"{request.scheme}://{request.get_host()}" if request is not None else ""
        template = templates[(view_name, kwarg)] = _template(
            root, get_script_prefix(), view_name, kwarg
        )
    return template


@functools.lru_cache(maxsize=1024)
def _template(root: str, script_prefix: str, view_name: str, kwarg: str) -> str:
    return root + reverse(view_name, kwargs={kwarg: _PK}).replace(_PK, "{}")


def absolute_url(context: dict, view_name: str, kwarg: str, pk) -> str:
    """A link by string formatting of `url_template`: a page of 500 statements embeds
    about 3,000 links."""
    return url_template(context, view_name, kwarg).format(pk)


class SelfUrlField(serializers.HyperlinkedIdentityField):
    """The resource's own absolute URL (or a sub-resource's, with `lookup_url_kwarg`)."""

    def get_url(self, obj, view_name, request, format):
        return absolute_url(self.context, view_name, self.lookup_url_kwarg, obj.pk)


class BriefRelatedField(serializers.PrimaryKeyRelatedField):
    """Written as an id; read as `{"id", "url", <display field>, ...}`."""

    def __init__(
        self, *, display: str, view_name: str, extra: dict[str, str] | None = None, **kwargs
    ):
        self.display, self.view_name, self.extra = display, view_name, extra or {}
        super().__init__(**kwargs)

    def use_pk_only_optimization(self) -> bool:
        return False

    def to_representation(self, value):
        """From a model instance, or from a dict of the same attributes (a JSON annotation)."""
        get = value.get if isinstance(value, dict) else lambda name: getattr(value, name)
        pk = get("id")
        brief = {
            "id": pk,
            "url": absolute_url(self.context, self.view_name, "pk", pk),
            self.display: get(self.display),
        }
        for name, attribute in self.extra.items():
            brief[name] = get(attribute)
        return brief


class AnnotatedManyRelatedField(serializers.ManyRelatedField):
    """A list of codes or slugs, read from a JSON-array annotation when the queryset has
    one (see ctht_api.aggregates), else from the relation; always sorted."""

    def __init__(self, *, annotation: str, **kwargs):
        self.annotation = annotation
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        if hasattr(instance, self.annotation):
            return getattr(instance, self.annotation) or []
        return super().get_attribute(instance)

    def to_representation(self, iterable):
        items = [
            item if isinstance(item, str) else self.child_relation.to_representation(item)
            for item in iterable
        ]
        display = getattr(self.child_relation, "display", None)
        if display:  # brief objects: by their display name, then id
            return sorted(items, key=lambda brief: (str(brief[display]), brief["id"]))
        return sorted(items)


class AnnotatedListSerializer(serializers.ListSerializer):
    """Nested rows read from a JSON-array annotation (`Meta.annotation`) when present."""

    def get_attribute(self, instance):
        annotation = self.child.Meta.annotation
        if hasattr(instance, annotation):
            rows = getattr(instance, annotation) or []
            return sorted(rows, key=lambda row: [row[k] for k in self.child.Meta.sort_keys])
        return super().get_attribute(instance)


class LanguageTagSerializerField(serializers.CharField):
    """A BCP 47 tag, accepted in any case and returned in standard form (`sr-Latn`)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        return LanguageTagField().to_python(value)


class RecordSerializer(serializers.ModelSerializer):
    """Base for every resource: absolute `url`, timestamps, model validation.

    `Meta.read_annotations` names the JSON annotations the view's queryset adds
    (see ctht_api.aggregates); after a write they are dropped so the response
    shows what was just stored.
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        LanguageTagField: LanguageTagSerializerField,
    }

    def update(self, instance, validated_data):
        self.drop_read_annotations(instance)
        return super().update(instance, validated_data)

    def drop_read_annotations(self, instance) -> None:
        """After a write the response shows what was stored, not what was read before."""
        for annotation in getattr(self.Meta, "read_annotations", ()):
            instance.__dict__.pop(annotation, None)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        plain = {
            name: value
            for name, value in attrs.items()
            if not isinstance(model._meta.get_field(name), models.ManyToManyField)
            and not model._meta.get_field(name).one_to_many
        }
        current = self._current_values()
        for name in plain:  # a relation given by object replaces its stored id
            current.pop(model._meta.get_field(name).attname, None)
        instance = model(**{**current, **plain})
        if self.instance is not None:
            instance.pk = self.instance.pk
            instance._state.adding = False
        try:
            instance.full_clean(exclude=self._unvalidated_fields())
        except DjangoValidationError as error:
            raise serializers.ValidationError(serializers.as_serializer_error(error)) from error
        return attrs

    def _current_values(self) -> dict:
        if self.instance is None:
            return {}
        return {
            field.attname: getattr(self.instance, field.attname)
            for field in self.Meta.model._meta.concrete_fields
        }

    def _unvalidated_fields(self) -> list[str]:
        """Fields the model sets itself (slug, timestamps) or that the API does not expose."""
        exposed = set(self.fields)
        return [
            field.name
            for field in self.Meta.model._meta.concrete_fields
            if field.name not in exposed or field.name == "slug"
        ]


def _unwrapped(detail):
    """DRF's `{"non_field_errors": [...]}` for an error about a whole value, as the list."""
    if isinstance(detail, dict) and set(detail) == {api_settings.NON_FIELD_ERRORS_KEY}:
        return detail[api_settings.NON_FIELD_ERRORS_KEY]
    return detail


class OwnedListSerializer(AnnotatedListSerializer):
    """A list that is part of its owner (the child's `Meta.owned`, ctht_api.owned_lists),
    in the API's order, from its JSON annotation when the queryset has it. Each item is
    checked as the rows' model checks it, errors named `<list>.<i>.<field>`."""

    def to_representation(self, data):
        return self.child.Meta.owned.sorted(super().to_representation(data))

    def to_internal_value(self, data):
        """Errors about the list itself (not a list, too long) named `<list>`, not
        `<list>.non_field_errors`."""
        try:
            rows = super().to_internal_value(data)
        except serializers.ValidationError as error:
            raise serializers.ValidationError(_unwrapped(error.detail)) from None
        owner = self.parent
        errors = self.child.Meta.owned.errors(
            owner.Meta.model, rows, getattr(owner.instance, "pk", None)
        )
        if any(errors):
            raise serializers.ValidationError(errors)
        return rows


class OwnedRowSerializer(serializers.Serializer):
    """An item of such a list; a subclass declares its fields and `Meta.owned`."""

    def to_internal_value(self, data):
        """An item that is not an object is named `<list>.<i>`, not
        `<list>.<i>.non_field_errors`."""
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            raise serializers.ValidationError(_unwrapped(error.detail)) from None


def owned_list_meta(owned: OwnedList) -> type:
    """The `Meta` of an OwnedRowSerializer of `owned`."""
    return type(
        "Meta",
        (),
        {
            "owned": owned,
            "list_serializer_class": OwnedListSerializer,
            "annotation": owned.annotation,
            "sort_keys": list(owned.order),
        },
    )


# A bound keeps a write's cost bounded; no entry needs more.
MAX_OWNED_ROWS = 100


def owned_list_field(row_serializer: type[OwnedRowSerializer], description: str):
    """The field of an owner's list: read in full, replaced as a whole on write."""
    return row_serializer(
        many=True,
        required=False,
        max_length=MAX_OWNED_ROWS,
        help_text=f"{description} Replaced as a whole on write (left out: kept as they are). "
        f"At most {MAX_OWNED_ROWS}.",
    )


def _help(name: str) -> str:
    return OtherNameBase._meta.get_field(name).help_text


class OtherNameSerializer(OwnedRowSerializer):
    """Another name of the entry: in another script or language, a former name, an acronym."""

    name = serializers.CharField(max_length=500, help_text=_help("name"))
    language = LanguageTagSerializerField(
        max_length=35,
        required=False,
        allow_blank=True,
        default="",
        validators=[validate_language_tag],
        help_text=_help("language"),
    )
    note = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", help_text=_help("note")
    )

    Meta = owned_list_meta(OTHER_NAMES)


def other_names_field() -> OtherNameSerializer:
    return owned_list_field(
        OtherNameSerializer,
        "Other names: other scripts and languages, former names, acronyms; searched by "
        "`q`. Shown here and in the entry's own list, not in the brief form other "
        "entries embed.",
    )


class IdentifierSerializer(OwnedRowSerializer):
    """The entry's identifier in another database, e.g. `{"scheme": "wikidata",
    "identifier": "Q8908"}`."""

    scheme = serializers.CharField(
        max_length=40, help_text=IdentifierBase._meta.get_field("scheme").help_text
    )
    identifier = serializers.CharField(
        max_length=200, help_text=IdentifierBase._meta.get_field("identifier").help_text
    )

    Meta = owned_list_meta(IDENTIFIERS)


def identifiers_field() -> IdentifierSerializer:
    return owned_list_field(
        IdentifierSerializer,
        "Identifiers in other databases, for joining this record with others; filter "
        "with `identifier=scheme:value`. A scheme is a lower-case name (`wikidata`); a "
        "Wikidata identifier is `Q` and digits (`Q8908`); values are stored as given, "
        "not normalised. One scheme and value names one entry of a kind at the most.",
    )


class OwnedListsMixin:
    """For the serializer of a model with lists of its own (declared with
    `other_names_field()`, `identifiers_field()`): each list given is written with the
    entry, in its write (one version, one history record, one change-feed row for the
    entry); a list left out is kept."""

    def _given_lists(self, validated_data: dict) -> list[tuple[OwnedList, list[dict]]]:
        return [
            (field.child.Meta.owned, validated_data.pop(name))
            for name, field in self.fields.items()
            if isinstance(field, OwnedListSerializer) and name in validated_data
        ]

    def _replace_lists(self, instance, lists: list[tuple[OwnedList, list[dict]]]) -> None:
        for owned, rows in lists:
            instance.__dict__.pop(owned.annotation, None)  # the response shows what was stored
            owned.replace(owner=instance, rows=rows)

    def create(self, validated_data):
        lists = self._given_lists(validated_data)
        instance = super().create(validated_data)
        self._replace_lists(instance, lists)
        return instance

    def update(self, instance, validated_data):
        lists = self._given_lists(validated_data)
        instance = super().update(instance, validated_data)
        self._replace_lists(instance, lists)
        return instance
