"""How countries, institutions, people and positions are written and read over HTTP."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ctht_api.serializers import (
    BriefRelatedField,
    OwnedListsMixin,
    RecordSerializer,
    SelfUrlField,
    identifiers_field,
    other_names_field,
)
from ctht_api.sources import ANNOTATION as SOURCES
from ctht_api.sources import sources_field
from people.countries import normalise_code
from people.models import Country, Institution, Person, Position


class CountryCodesField(serializers.SlugRelatedField):
    """Countries as ISO 3166-1 alpha-2 codes; lower case is accepted and upper-cased."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Country.objects.all())
        super().__init__(slug_field="code", **kwargs)

    def use_pk_only_optimization(self) -> bool:
        return True  # the code is the primary key: no query per row to read it

    def to_representation(self, obj) -> str:
        return obj.pk

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = normalise_code(data)
        return super().to_internal_value(data)


def brief_institution(**kwargs) -> BriefRelatedField:
    return BriefRelatedField(
        display="name",
        view_name="institution-detail",
        extra={"country": "country_id"},
        queryset=Institution.objects.all(),
        **kwargs,
    )


def brief_person(**kwargs) -> BriefRelatedField:
    return BriefRelatedField(
        display="full_name", view_name="person-detail", queryset=Person.objects.all(), **kwargs
    )


class InstitutionSerializer(OwnedListsMixin, RecordSerializer):
    """An institution; its `other_names` in its detail and in `/institutions/`, not in the
    brief form statements and positions embed."""

    url = SelfUrlField(view_name="institution-detail")
    country = CountryCodesField(
        required=False,
        allow_null=True,
        help_text="ISO 3166-1 alpha-2 code; null for an international body.",
    )
    parent = brief_institution(required=False, allow_null=True, help_text="Parent institution.")
    sources = sources_field(Institution)
    other_names = other_names_field()
    identifiers = identifiers_field()

    class Meta:
        model = Institution
        read_annotations = (SOURCES,)
        fields = [
            "id",
            "url",
            "name",
            "short_name",
            "slug",
            "kind",
            "country",
            "parent",
            "website",
            "sources",
            "other_names",
            "identifiers",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"slug": {"required": False}}


class PersonSerializer(OwnedListsMixin, RecordSerializer):
    """A person; their `other_names` (e.g. the name in Cyrillic) in their detail and in
    `/people/`, not in the brief form a statement's `speaker` embeds."""

    url = SelfUrlField(view_name="person-detail")
    sources = sources_field(Person)
    other_names = other_names_field()
    identifiers = identifiers_field()

    class Meta:
        model = Person
        read_annotations = (SOURCES,)
        fields = [
            "id",
            "url",
            "full_name",
            "sort_name",
            "slug",
            "sources",
            "other_names",
            "identifiers",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"slug": {"required": False}, "sort_name": {"required": False}}


class PositionSerializer(OwnedListsMixin, RecordSerializer):
    """A position; its `other_names` (the title in other languages) in its detail and in
    `/positions/`, not in the brief form a statement's `position` embeds."""

    url = SelfUrlField(view_name="position-detail")
    person = brief_person(help_text="Who holds the position (id on write).")
    institution = brief_institution(help_text="Where it is held (id on write).")
    sources = sources_field(Position)
    other_names = other_names_field()

    class Meta:
        model = Position
        read_annotations = (SOURCES,)
        fields = [
            "id",
            "url",
            "person",
            "institution",
            "title",
            "start_date",
            "end_date",
            "sources",
            "other_names",
            "created_at",
            "updated_at",
        ]


class CountrySerializer(serializers.Serializer):
    """A country that has data, with how many published entries concern it."""

    code = serializers.CharField(help_text="ISO 3166-1 alpha-2 code (XK for Kosovo*).")
    name = serializers.CharField(help_text="English short name.")
    url = serializers.SerializerMethodField(help_text="This country's statements.")
    statement_count = serializers.IntegerField(help_text="Statements concerning the country.")
    event_count = serializers.IntegerField(help_text="Events concerning the country.")
    institution_count = serializers.IntegerField(help_text="Institutions of the country.")

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj) -> str:
        """Without the request's `format` (DRF's `reverse` would keep it), as every other
        link of the API: the same entry reads the same in JSON and in CSV."""
        path = reverse("country-statements-list", args=[obj["code"]])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path
