"""How editors see countries, institutions, people and positions."""

from django.contrib import admin
from django.db.models import Count

from ctht_api.admin import TimestampedAdmin, VersionedInline
from ctht_api.imports import AuditedImportMixin
from people.imports import InstitutionResource, PersonResource
from people.models import Country, Institution, Person, Position


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
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


@admin.register(Institution)
class InstitutionAdmin(AuditedImportMixin, TimestampedAdmin):
    resource_classes = [InstitutionResource]
    list_display = ("name", "short_name", "kind", "country", "parent")
    list_select_related = ("country", "parent")
    list_filter = ("kind", ("country", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "short_name", "slug")
    autocomplete_fields = ("country", "parent")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [InstitutionPositionInline]
    fields = (
        "name",
        "short_name",
        "slug",
        "kind",
        "country",
        "parent",
        "website",
        "created_at",
        "updated_at",
    )


@admin.register(Person)
class PersonAdmin(AuditedImportMixin, TimestampedAdmin):
    resource_classes = [PersonResource]
    list_display = ("full_name", "sort_name", "statement_count")
    search_fields = ("full_name", "sort_name", "slug", "positions__title")
    prepopulated_fields = {"slug": ("full_name",)}
    inlines = [PersonPositionInline]
    fields = ("full_name", "sort_name", "slug", "created_at", "updated_at")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(statement_total=Count("statements"))

    @admin.display(description="statements", ordering="statement_total")
    def statement_count(self, obj: Person) -> int:
        return obj.statement_total


@admin.register(Position)
class PositionAdmin(TimestampedAdmin):
    list_display = ("person", "title", "institution", "start_date", "end_date")
    list_select_related = ("person", "institution")
    list_filter = (
        ("institution__country", admin.RelatedOnlyFieldListFilter),
        ("institution", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("title", "person__full_name", "institution__name", "institution__short_name")
    autocomplete_fields = ("person", "institution")
    fields = (
        "person",
        "title",
        "institution",
        "start_date",
        "end_date",
        "created_at",
        "updated_at",
    )
