"""How editors see countries, institutions, people and positions."""

from django.contrib import admin
from django.db.models import Count, F, Prefetch, Q
from django.utils import timezone
from django.utils.html import format_html

from ctht_api.admin import (
    FoldedSearchMixin,
    IdentifierInline,
    OtherNameInline,
    TimestampedAdmin,
    VersionedInline,
    shortened,
)
from ctht_api.filters import related_exists
from ctht_api.imports import AuditedImportMixin
from people.imports import InstitutionResource, PersonResource
from people.models import (
    Country,
    Institution,
    InstitutionIdentifier,
    InstitutionOtherName,
    Person,
    PersonIdentifier,
    PersonOtherName,
    Position,
    PositionOtherName,
)


@admin.register(Country)
class CountryAdmin(FoldedSearchMixin, admin.ModelAdmin):
    """Reference data loaded by migrations: searchable and visible, not editable."""

    list_display = ("code", "name")
    search_fields = ("code", "name")
    list_per_page = 300

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PositionInline(VersionedInline):
    model = Position
    extra = 0
    fields = ("person", "title", "institution", "start_date", "end_date")
    autocomplete_fields = ("person", "institution")
    show_change_link = True


class PersonPositionInline(PositionInline):
    fk_name = "person"
    fields = ("title", "institution", "start_date", "end_date")


class InstitutionPositionInline(PositionInline):
    fk_name = "institution"
    fields = ("person", "title", "start_date", "end_date")


class InstitutionOtherNameInline(OtherNameInline):
    model = InstitutionOtherName


class PersonOtherNameInline(OtherNameInline):
    model = PersonOtherName


class InstitutionIdentifierInline(IdentifierInline):
    model = InstitutionIdentifier


class PersonIdentifierInline(IdentifierInline):
    model = PersonIdentifier


class PositionOtherNameInline(OtherNameInline):
    model = PositionOtherName


def institution_name(institution: Institution | None) -> str:
    """An institution in a narrow column: its short name (the full one in the tooltip),
    else its name shortened."""
    if institution is None:
        return "-"
    if institution.short_name:
        return format_html('<span title="{}">{}</span>', institution.name, institution.short_name)
    return shortened(institution.name, 45)


def current_positions() -> Prefetch:
    """Each person's current positions, as `person.current_positions`: those with no end
    date or one not yet past (today included), the most recently started first, unknown
    starts last. A position whose dates are unknown counts as current."""
    today = timezone.localdate()
    positions = (
        Position.objects.filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("institution__country")
        .order_by(F("start_date").desc(nulls_last=True), "-id")
    )
    return Prefetch("positions", queryset=positions, to_attr="current_positions")


class HasStatementsFilter(admin.SimpleListFilter):
    """People quoted at least once (drafts included), or never."""

    title = "statements"
    parameter_name = "has_statements"

    def lookups(self, request, model_admin):
        return (("yes", "Has statements"), ("no", "No statements"))

    def queryset(self, request, queryset):
        quoted = related_exists(Person, "statements")
        if self.value() == "yes":
            return queryset.filter(quoted)
        if self.value() == "no":
            return queryset.filter(~quoted)
        return queryset


@admin.register(Institution)
class InstitutionAdmin(AuditedImportMixin, TimestampedAdmin):
    resource_classes = [InstitutionResource]
    list_display = ("short_title", "short_name", "kind", "country", "parent_name")
    list_select_related = ("country", "parent")
    list_filter = ("kind", ("country", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "short_name", "slug")
    search_other_names = ("other_names",)
    autocomplete_fields = ("country", "parent", "sources")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [InstitutionOtherNameInline, InstitutionIdentifierInline, InstitutionPositionInline]
    fields = (
        "name",
        "short_name",
        "slug",
        "kind",
        "country",
        "parent",
        "website",
        "sources",
        "created_at",
        "updated_at",
    )

    @admin.display(description="name", ordering="name")
    def short_title(self, obj: Institution) -> str:
        return shortened(obj.name, 70)

    @admin.display(description="parent", ordering="parent__name")
    def parent_name(self, obj: Institution) -> str:
        return institution_name(obj.parent)


@admin.register(Person)
class PersonAdmin(AuditedImportMixin, TimestampedAdmin):
    """People by sort name, here and in every speaker autocomplete, each with their current
    position (see `current_positions`).

    `ordering` repeats the model's: Django leaves `Meta.ordering` out of a query with
    GROUP BY (the statement count), so the autocomplete would otherwise be unordered.
    """

    ordering = Person._meta.ordering
    resource_classes = [PersonResource]

    list_display = (
        "full_name",
        "current_position",
        "current_institution",
        "current_country",
        "statement_count",
    )
    list_filter = (
        ("positions__institution__country", admin.RelatedOnlyFieldListFilter),
        ("positions__institution", admin.RelatedOnlyFieldListFilter),
        HasStatementsFilter,
    )
    search_fields = ("full_name", "sort_name", "slug", "positions__title")
    search_other_names = ("other_names",)
    autocomplete_fields = ("sources",)
    prepopulated_fields = {"slug": ("full_name",)}
    inlines = [PersonOtherNameInline, PersonIdentifierInline, PersonPositionInline]
    fields = ("full_name", "sort_name", "slug", "sources", "created_at", "updated_at")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(statement_total=Count("statements", distinct=True))
        )

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        changelist.result_list = changelist.result_list.prefetch_related(current_positions())
        return changelist

    @admin.display(description="statements", ordering="statement_total")
    def statement_count(self, obj: Person) -> int:
        return obj.statement_total

    @admin.display(description="current position")
    def current_position(self, obj: Person) -> str:
        position = next(iter(obj.current_positions), None)
        return shortened(position.title if position else "", 60)

    @admin.display(description="institution")
    def current_institution(self, obj: Person) -> str:
        position = next(iter(obj.current_positions), None)
        return institution_name(position.institution if position else None)

    @admin.display(description="country")
    def current_country(self, obj: Person) -> str:
        position = next(iter(obj.current_positions), None)
        country = position.institution.country if position else None
        return country.name if country else "-"


@admin.register(Position)
class PositionAdmin(TimestampedAdmin):
    list_display = ("person", "title", "institution", "start_date", "end_date")
    list_select_related = ("person", "institution")
    list_filter = (
        ("institution__country", admin.RelatedOnlyFieldListFilter),
        ("institution", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("title", "person__full_name", "institution__name", "institution__short_name")
    search_other_names = ("other_names", "person__other_names", "institution__other_names")
    autocomplete_fields = ("person", "institution", "sources")
    inlines = [PositionOtherNameInline]
    fields = (
        "person",
        "title",
        "institution",
        "start_date",
        "end_date",
        "sources",
        "created_at",
        "updated_at",
    )
