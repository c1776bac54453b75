"""How editors see events, statements, topics, programmes and documents."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from ctht_api.admin import (
    AuditedModelForm,
    PublishableAdmin,
    TimestampedAdmin,
    VersionedInline,
    shortened,
)
from ctht_api.imports import AuditedImportMixin
from events.imports import StatementResource
from events.models import Document, Event, Programme, Statement, StatementTranslation, Topic
from events.services import validate_kept_translations, write_statement


def excerpt(text: str, length: int = 80) -> str:
    return text if len(text) <= length else f"{text[: length - 1]}…"


def country_names(countries) -> str:
    return ", ".join(country.name for country in countries) or "—"


def country_codes(countries) -> str:
    """Countries as their codes ("BA, RS"), which fit a narrow column; names in the tooltip."""
    countries = list(countries)
    if not countries:
        return "-"
    return format_html(
        '<span title="{}">{}</span>',
        country_names(countries),
        ", ".join(country.code for country in countries),
    )


@admin.register(Topic)
class TopicAdmin(TimestampedAdmin):
    ordering = Topic._meta.ordering  # as EventAdmin's: the count's GROUP BY drops Meta.ordering
    list_display = ("name", "slug", "statement_count")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "description", "created_at", "updated_at")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(statement_total=Count("statements"))

    @admin.display(description="statements", ordering="statement_total")
    def statement_count(self, obj: Topic) -> int:
        return obj.statement_total


@admin.register(Programme)
class ProgrammeAdmin(TimestampedAdmin):
    list_display = ("name", "short_name", "parent", "start_date", "end_date")
    list_select_related = ("parent",)
    list_filter = (("funders", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("name", "short_name", "slug", "description")
    autocomplete_fields = ("parent", "funders")
    prepopulated_fields = {"slug": ("name",)}
    fields = (
        "name",
        "short_name",
        "slug",
        "description",
        "parent",
        "funders",
        "start_date",
        "end_date",
        "website",
        "created_at",
        "updated_at",
    )


@admin.register(Document)
class DocumentAdmin(TimestampedAdmin):
    list_display = ("title", "kind", "publisher", "reference", "language", "date")
    list_select_related = ("publisher",)
    list_filter = ("kind", "language", ("publisher", admin.RelatedOnlyFieldListFilter))
    search_fields = ("title", "reference", "slug", "publisher__name", "publisher__short_name")
    autocomplete_fields = ("publisher",)
    date_hierarchy = "date"
    fields = (
        "title",
        "slug",
        "kind",
        "publisher",
        "reference",
        "language",
        "date",
        "url",
        "created_at",
        "updated_at",
    )


class StatementInline(admin.TabularInline):
    """The event's statements at a glance, each a link to its own page.

    Read-only on purpose: a statement has countries, topics and translations
    that belong on its own page, and editable rows would cost queries per row.
    New statements start from the "add a statement" link on the event page.
    """

    model = Statement
    extra = 0
    fields = ("excerpt", "speaker", "language", "date", "status")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("speaker")

    @admin.display(description="statement")
    def excerpt(self, obj: Statement) -> str:
        return excerpt(obj.text)


@admin.register(Event)
class EventAdmin(PublishableAdmin):
    """Events, most recent first (unknown dates last), here and in every event autocomplete.

    `ordering` repeats the model's: Django leaves `Meta.ordering` out of a query with
    GROUP BY (the statement count), so the autocomplete would otherwise be unordered.
    """

    ordering = Event._meta.ordering
    list_display = (
        "short_title",
        "kind",
        "start_date",
        "end_date",
        "city",
        "country_name",
        "status",
        "statement_count",
    )
    list_select_related = ("country",)
    list_filter = (
        "status",
        "kind",
        ("country", admin.RelatedOnlyFieldListFilter),
        ("countries", admin.RelatedOnlyFieldListFilter),
        ("topics", admin.RelatedOnlyFieldListFilter),
        ("programmes", admin.RelatedOnlyFieldListFilter),
        "start_date",
    )
    search_fields = ("title", "summary", "city", "slug")
    date_hierarchy = "start_date"
    autocomplete_fields = (
        "country",
        "countries",
        "organisers",
        "topics",
        "programmes",
        "documents",
        "source",
    )
    prepopulated_fields = {"slug": ("title",)}
    inlines = [StatementInline]
    fieldsets = (
        (None, {"fields": ("title", "slug", "kind", "status", "summary", "add_statement")}),
        (
            "When and where",
            {
                "fields": (
                    ("start_date", "end_date"),
                    ("city", "country"),
                    "countries",
                )
            },
        ),
        (
            "Who and what",
            {
                "fields": (
                    "organisers",
                    ("participant_count", "participant_count_is_approximate"),
                    "topics",
                    "programmes",
                    "documents",
                    "source",
                )
            },
        ),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    readonly_fields = (*PublishableAdmin.readonly_fields, "add_statement")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(statement_total=Count("statements"))

    @admin.display(description="statements", ordering="statement_total")
    def statement_count(self, obj: Event) -> int:
        return obj.statement_total

    @admin.display(description="title", ordering="title")
    def short_title(self, obj: Event) -> str:
        return shortened(obj.title, 70)

    @admin.display(description="country", ordering="country__name")
    def country_name(self, obj: Event) -> str:
        return obj.country.name if obj.country else "-"

    @admin.display(description="new statement")
    def add_statement(self, obj: Event) -> str:
        if obj.pk is None:
            return "Save the event first, then add its statements."
        url = reverse("admin:events_statement_add")
        return format_html(
            '<a href="{}?event={}">Add a statement made at this event</a>', url, obj.pk
        )


class StatementTranslationInline(VersionedInline):
    model = StatementTranslation
    extra = 0
    fields = ("language", "kind", "text")


class StatementForm(AuditedModelForm):
    """The statement's form; when the editor may not change its translations (the inline
    rows are shown, not validated), it checks the language against the stored ones."""

    translations_editable = True

    def clean(self):
        cleaned = super().clean()
        if not self.translations_editable and "language" in cleaned:
            try:
                validate_kept_translations(
                    statement_id=self.instance.pk, language=cleaned["language"]
                )
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


@admin.register(Statement)
class StatementAdmin(AuditedImportMixin, PublishableAdmin):
    form = StatementForm
    resource_classes = [StatementResource]
    list_display = (
        "text_excerpt",
        "speaker",
        "event_title",
        "date",
        "language",
        "country_list",
        "status",
    )
    list_select_related = ("speaker", "event")
    list_filter = (
        "status",
        "language",
        ("countries", admin.RelatedOnlyFieldListFilter),
        ("topics", admin.RelatedOnlyFieldListFilter),
        ("event", admin.RelatedOnlyFieldListFilter),
        ("speaker", admin.RelatedOnlyFieldListFilter),
        "date",
    )
    # Its text, translations, speaker and event, folded and indexed (Statement.search_document).
    search_fields = ("search_document",)
    search_stored_field = "search_document"
    date_hierarchy = "date"
    autocomplete_fields = (
        "speaker",
        "position",
        "institution",
        "event",
        "countries",
        "topics",
        "source",
    )
    inlines = [StatementTranslationInline]
    fieldsets = (
        (None, {"fields": ("text", "language", "status")}),
        (
            "Who, where and when",
            {
                "fields": (
                    "speaker",
                    "position",
                    "institution",
                    "event",
                    "date",
                )
            },
        ),
        ("About", {"fields": ("countries", "topics", "source", "context")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("countries")

    @admin.display(description="statement")
    def text_excerpt(self, obj: Statement) -> str:
        return shortened(obj.text, 120)

    @admin.display(description="event", ordering="event__title")
    def event_title(self, obj: Statement) -> str:
        return shortened(obj.event.title if obj.event else "", 40)

    @admin.display(description="countries")
    def country_list(self, obj: Statement) -> str:
        return country_codes(obj.countries.all())

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.translations_editable = request.user.has_perm("events.change_statementtranslation")
        return form

    def save_model(self, request, obj, form, change):
        """Nothing is written yet: the statement goes with its relations in save_related."""
        self.note_reason(form)

    def save_related(self, request, form, formsets, change):
        """The statement, its countries, topics and translations, through the one write
        path (events.services), so that the admin applies the API's rules."""
        translations = None
        for formset in formsets:
            if formset.model is StatementTranslation:
                formset.save(commit=False)  # only what the change message lists
                translations = [
                    row.cleaned_data
                    for row in formset.forms
                    if row.cleaned_data and not row.cleaned_data.get("DELETE")
                ]
        write_statement(
            statement=form.instance,
            countries=form.cleaned_data.get("countries"),
            topics=form.cleaned_data.get("topics"),
            translations=translations,
        )


@admin.register(StatementTranslation)
class StatementTranslationAdmin(TimestampedAdmin):
    list_display = ("statement", "language", "kind")
    list_select_related = ("statement__speaker",)
    list_filter = ("language", "kind")
    search_fields = ("text", "statement__text", "statement__speaker__full_name")
    autocomplete_fields = ("statement",)
    fields = ("statement", "language", "kind", "text", "created_at", "updated_at")

    def delete_queryset(self, request, queryset):
        """The bulk "delete selected", one translation at a time through the model: each
        deletion refreshes its statement (search document, version, history, change feed),
        which `QuerySet.delete()` would skip, leaving the statement's JSON changed unseen."""
        for translation in queryset.select_related("statement"):
            translation.delete()
