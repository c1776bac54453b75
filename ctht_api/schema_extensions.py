"""drf-spectacular extensions for the project's own auth scheme, fields, filters and views.

Imported by `ctht_api.schema`, which the REST_FRAMEWORK settings name as the
schema class, so they are registered before any document is generated.

All are documented extension classes (`OpenApiAuthenticationExtension`,
`OpenApiSerializerFieldExtension`, `OpenApiFilterExtension` through the
django-filter one, `OpenApiViewExtension`). Inside them, a few of
`AutoSchema`'s underscored helpers are called, as drf-spectacular's own
extensions do, where re-implementing them would drift from the library:
`_map_serializer_field(..., bypass_extensions=True)` to describe a brief
relation's request side as the plain id it is, `_map_model_field` to type a
brief's display attribute as its model field, and the django-filter
extension's `_get_model_field`, overridden to follow relations so that an id
filter on a nested list is typed as an integer.
"""

from django.db import models
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
    OpenApiViewExtension,
)
from drf_spectacular.plumbing import (
    ResolvedComponent,
    build_basic_type,
    build_object_type,
    get_view_model,
)
from drf_spectacular.serializers import PolymorphicProxySerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view


def view_model(view) -> type[models.Model] | None:
    """The model a view serves: from its serializer first, as nested views need URL kwargs."""
    meta = getattr(getattr(view, "serializer_class", None), "Meta", None)
    return getattr(meta, "model", None) or get_view_model(view, emit_warnings=False)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """`Authorization: Token <key>`, as DRF's token scheme was, saying how to get a key."""

    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                f"Send `Authorization: {self.target.keyword} <key>`. Keys look like "
                "`ctht_…`; the project's administrators issue them (`manage.py issue_token "
                "USERNAME [--write] [--drafts] [--expires-in DAYS]`, or in the admin) and show "
                "each one only once. A token reads what anonymous clients read; it sees drafts "
                "only if it has the drafts scope (`--drafts`; every write token has it) and its "
                "user may view them; it reads `/history/` and writes only if it is "
                "write-enabled and its user holds the model permission. An unknown, expired "
                "or revoked key is a 401 and spends the client address's anonymous rate budget."
            ),
        }


class BriefRelatedFieldExtension(OpenApiSerializerFieldExtension):
    """Read as a `Brief<Model>` object (`id`, `url`, display field, extras); written as an id."""

    target_class = "ctht_api.serializers.BriefRelatedField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        if direction == "request":
            return auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        model = field.queryset.model
        properties = {
            "id": build_basic_type(OpenApiTypes.INT),
            "url": build_basic_type(OpenApiTypes.URI),
            field.display: self._attribute_schema(auto_schema, model, field.display),
        }
        for name, attribute in field.extra.items():
            properties[name] = self._attribute_schema(auto_schema, model, attribute)
        component = ResolvedComponent(
            name=f"Brief{model.__name__}",
            type=ResolvedComponent.SCHEMA,
            object=f"Brief{model.__name__}",
            schema=build_object_type(
                properties=properties,
                required=list(properties),
                description=f"In brief: follow `url` for the whole {model._meta.verbose_name}.",
            ),
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref

    @staticmethod
    def _attribute_schema(auto_schema, model, attribute: str) -> dict:
        """The type of a model attribute; a foreign key's `<name>_id` is typed as its target."""
        try:
            model_field = model._meta.get_field(attribute)
        except models.FieldDoesNotExist:
            return build_basic_type(OpenApiTypes.STR)
        if model_field.many_to_one:
            schema = auto_schema._map_model_field(model_field.target_field, direction=None)
            schema.pop("readOnly", None)
            schema.pop("description", None)
        else:
            schema = auto_schema._map_model_field(model_field, direction=None)
        if model_field.null:
            schema["nullable"] = True
        return schema


class DisplayFieldExtension(OpenApiSerializerFieldExtension):
    """`display` (ctht_api.languages): its serializer's object in responses; nothing in
    requests, where it is never read."""

    target_class = "ctht_api.languages.DisplayField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return None
        return auto_schema.resolve_serializer(self.target.shape, direction).ref


class CountryCodesFieldExtension(OpenApiSerializerFieldExtension):
    """An ISO 3166-1 alpha-2 code: upper case in responses, any case accepted in requests."""

    target_class = "people.serializers.CountryCodesField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        pattern = "^[A-Z]{2}$" if direction == "response" else "^[A-Za-z]{2}$"
        return {
            "type": "string",
            "minLength": 2,
            "maxLength": 2,
            "pattern": pattern,
            "example": "RS",
        }


class RecordFilterExtension(DjangoFilterExtension):
    """django-filter parameters, also for nested lists, with id filters typed as integers.

    The stock extension finds the model through `get_queryset()`, which nested
    lists cannot answer without their URL kwargs, and it types a filter on a
    foreign key's column (`speaker_id`) as a generic number.
    """

    priority = 1
    match_subclasses = True  # ctht_api.filters.FilterBackend

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        model = view_model(auto_schema.view)
        if model is None:
            return []
        filterset_class = self.target.get_filterset_class(
            auto_schema.view, model._default_manager.none()
        )
        if not filterset_class:
            return []
        return [
            parameter
            for name, filter_field in filterset_class.base_filters.items()
            for parameter in self.resolve_filter_field(
                auto_schema, model, filterset_class, name, filter_field
            )
        ]

    def _get_model_field(self, filter_field, model):
        """Follow `field_name` through relations; a relation is typed as the key it points to."""
        if not filter_field.field_name:
            return None
        field = None
        for name in filter_field.field_name.split("__"):
            if model is None:
                return None
            try:
                field = model._meta.get_field(name)
            except models.FieldDoesNotExist:
                return super()._get_model_field(filter_field, model)
            model = field.related_model
        if field.is_relation and field.related_model is not None:
            return field.target_field if field.many_to_one else field.related_model._meta.pk
        return field


class CountryViewSetExtension(OpenApiViewExtension):
    """`/countries/` lists only the countries that have published data."""

    target_class = "events.views.CountryViewSet"

    def view_replacement(self):
        @extend_schema_view(list=extend_schema(summary="List countries with data"))
        class CountryViewSet(self.target_class):
            pass

        return CountryViewSet


class ChangedEntryExtension(PolymorphicProxySerializerExtension):
    """The change feed's `object`: `anyOf` the resources' representations, not `oneOf`.

    The feed entry's `resource` says which one it is, but it sits beside `object`,
    not in it, so it cannot be a discriminator; and the representations share most of
    their fields without forbidding others, so a topic also matches `Institution` and
    `Programme`, which a `oneOf` rejects."""

    target_class = "changes.views.ChangedEntrySerializer"  # drf-spectacular's own: exact class

    def map_serializer(self, auto_schema, direction):
        schema = super().map_serializer(auto_schema, direction)
        schema["anyOf"] = schema.pop("oneOf")
        return schema
