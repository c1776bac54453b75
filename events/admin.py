"""How editors see events, statements, topics, programmes and documents."""

import datetime

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, F
from django.http import HttpRequest, JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from ctht_api.admin import (
    AuditedModelForm,
    EmbargoedFilter,
    IdentifierInline,
    OtherNameInline,
    PublishableAdmin,
    TimestampedAdmin,
    VersionCheckedForm,
    VersionedInline,
    VersionedStackedInline,
    shortened,
    unpublish,
)
from ctht_api.imports import AuditedImportMixin
from ctht_api.models import LanguageTagField
from events.imports import StatementResource
from events.models import (
    Document,
    DocumentIdentifier,
    Event,
    EventIdentifier,
    EventOtherName,
    Programme,
    ProgrammeIdentifier,
    ProgrammeOtherName,
    Statement,
    StatementTranslation,
    Topic,
    TopicTranslation,
)
from events.safety_admin import (
    CONFIRM_FIELD,
    REASON_FIELD,
    PersonalDataCheckForm,
    PersonalDataRowCheck,
    PersonalDataRowsFormSet,
    PersonalDataTranslationCheck,
    may_override,
    note_override,
    publish,
)
from events.services import validate_kept_translations, write_statement
from people.models import Position

# More positions than one person holds; the list is not paged.
SPEAKER_POSITIONS = 50
# select2 sizes a search box by its entries (an empty one to nothing) unless told.
ROW_WIDGET = {"data-width": "22em"}


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


class TopicTranslationInline(VersionedInline):
    """The topic's name and description in other languages (the API's `translations`).
    The page saves the topic too, so its version goes up and the change feed shows it."""

    model = TopicTranslation
    extra = 0
    fields = ("language", "name", "description")


@admin.register(Topic)
class TopicAdmin(TimestampedAdmin):
    ordering = Topic._meta.ordering  # as EventAdmin's: the count's GROUP BY drops Meta.ordering
    list_display = ("name", "slug", "statement_count")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "description", "created_at", "updated_at")
    inlines = [TopicTranslationInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(statement_total=Count("statements", distinct=True))
        )

    @admin.display(description="statements", ordering="statement_total")
    def statement_count(self, obj: Topic) -> int:
        return obj.statement_total


class ProgrammeOtherNameInline(OtherNameInline):
    model = ProgrammeOtherName


class EventOtherNameInline(OtherNameInline):
    model = EventOtherName


class ProgrammeIdentifierInline(IdentifierInline):
    model = ProgrammeIdentifier


class EventIdentifierInline(IdentifierInline):
    model = EventIdentifier


class DocumentIdentifierInline(IdentifierInline):
    model = DocumentIdentifier


@admin.register(Programme)
class ProgrammeAdmin(TimestampedAdmin):
    list_display = ("name", "short_name", "parent", "start_date", "end_date")
    list_select_related = ("parent",)
    list_filter = (("funders", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("name", "short_name", "slug", "description")
    search_other_names = ("other_names",)
    autocomplete_fields = ("parent", "funders", "sources")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ProgrammeOtherNameInline, ProgrammeIdentifierInline]
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
        "sources",
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
    inlines = [DocumentIdentifierInline]
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


class KeptTranslationsCheck:
    """A statement form that leaves the stored translations as they are (the editor may
    not change them, or they are not on the page) checks the language against them, as
    `write_statement` will: a clear error on the form rather than a failed save."""

    translations_editable = False

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


class PrefetchedLabels:
    """An autocomplete widget that labels its selected entries from the row's own,
    already loaded entries (`labels`, set by the row's form) instead of one query per
    row and field; a value it was not given a label for (a row posted back with an
    error) is looked up as Django does."""

    labels: dict[str, str] | None = None

    def optgroups(self, name, value, attr=None):
        selected = [v for v in value if v not in self.choices.field.empty_values]
        if self.labels is None or not set(selected) <= self.labels.keys():
            return super().optgroups(name, value, attr)
        options = []
        if not self.is_required and not self.allow_multiple_selected:
            options.append(self.create_option(name, "", "", False, 0))
        for pk in selected:
            options.append(self.create_option(name, pk, self.labels[pk], True, len(options)))
        return [(None, options, 0)]


class LabelledAutocompleteSelect(PrefetchedLabels, AutocompleteSelect):
    pass


class LabelledAutocompleteSelectMultiple(PrefetchedLabels, AutocompleteSelectMultiple):
    pass


class SpeakerPositionSelect(LabelledAutocompleteSelect):
    """The position of a statement (its own page, or a row of its event's page),
    searched among the positions of the speaker chosen beside it only:
    events/static/events/speaker_positions.js sends the chosen speaker to
    `EventAdmin.speaker_positions`, and clears the position when the speaker
    changes. Django's own autocomplete cannot depend on another field, hence the
    small script; without it, the model's rule still refuses another person's
    position, or one not held on the statement's date, with an error on `position`.

    Before a speaker is chosen (a new statement) the search offers nothing but
    "Choose the speaker first.": every position of the record would be a list of
    strangers' titles, and choosing the speaker first is what the rule asks anyway.
    An empty position is filled in on save when the speaker held exactly one on
    the statement's date (`Statement.held_position`)."""

    def get_url(self) -> str:
        return reverse(f"{self.admin_site.name}:events_event_speaker_positions")

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        # Not "admin-autocomplete": that class is Django's script's, which would start
        # select2 without the speaker.
        attrs["class"] = attrs["class"].replace("admin-autocomplete", "speaker-position")
        return attrs

    @property
    def media(self):
        # Named with jquery.init.js, so that the merged list loads it after django.jQuery.
        script = forms.Media(js=["admin/js/jquery.init.js", "events/speaker_positions.js"])
        return super().media + script


class SpeakerPositionField(forms.ModelChoiceField):
    """A statement's position, labelled by title, institution and dates: the speaker is
    known beside it, and those tell their positions apart."""

    def label_from_instance(self, obj: Position) -> str:
        return obj.dated_label()


def speaker_position_field(db_field, admin_site, kwargs: dict) -> dict:
    """The arguments of a statement's position field, on its page and in its event's
    rows: the speaker's positions search, labelled with their institution (joined)."""
    return {
        **kwargs,
        "widget": SpeakerPositionSelect(
            db_field, admin_site, attrs=ROW_WIDGET, using=kwargs.get("using")
        ),
        "form_class": SpeakerPositionField,
        "queryset": Position.objects.select_related("institution"),
    }


def picker_order(positions: list[Position], today: datetime.date) -> list[Position]:
    """One speaker's positions as the position picker offers them: those held today
    first (`Position.was_held_on`, so an unknown end counts as still held), then by
    start date, newest first, unknown starts last, then by title."""
    return sorted(
        positions,
        key=lambda p: (
            not p.was_held_on(today),
            -(p.start_date or datetime.date.min).toordinal(),
            p.title,
            p.pk,
        ),
    )


class StatementRowForm(PersonalDataRowCheck, KeptTranslationsCheck, VersionCheckedForm):
    """A statement as a row of its event's page: version-checked and locked like any
    versioned row; its translations are not on the page, so they are kept, and a
    language one of them has is refused (as on the statement page)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        statement = self.instance
        if statement.pk is None:
            return
        entries = {
            "speaker": [statement.speaker],
            "position": [statement.position] if statement.position_id else [],
            "countries": statement.countries.all(),  # prefetched by the inline
            "topics": statement.topics.all(),
        }
        for name, related in entries.items():
            field = self.fields.get(name)
            widget = getattr(field, "widget", None)
            widget = getattr(widget, "widget", widget)  # inside the "add another" wrapper
            if isinstance(widget, PrefetchedLabels):
                label = getattr(field, "label_from_instance", str)
                widget.labels = {str(entry.pk): label(entry) for entry in related}

    def add_error(self, field, error):
        """The model's rule about a field the row does not show (the institution, kept
        from the statement's page, against a new position) is the row's own error:
        Django would otherwise fail on a field missing from the form."""
        if field is None and hasattr(error, "error_dict"):
            errors: dict[str, list] = {}
            for name, messages in error.error_dict.items():
                shown = name if name in self.fields else NON_FIELD_ERRORS
                errors.setdefault(shown, []).extend(messages)
            error = ValidationError(errors)
        super().add_error(field, error)


class StatementInline(VersionedStackedInline):
    """The event's statements, entered and edited on the event's page.

    Each row is a statement: speaker, position (searched among the speaker's),
    text, language, date, countries, topics and status. Its institution comes from
    the position and its date, left empty, from the event's start date
    (`Statement.save`), as on the statement page and in the API; the date is shown
    because a conference lasts several days. Countries left empty default as
    DOMAIN.md says. Translations, source and context stay on the statement's own
    page, reached by the row's link or "add a statement".

    Rows are written by `EventAdmin.save_formset` through `write_statement`, the
    API's one write path. A user without the right to change statements sees the
    rows read-only, without the right to add none to fill in, without the right to
    delete no delete box (Django's inline permissions, on the statement model).

    The page reads the statements with their speaker and position joined and their
    countries and topics prefetched, and the row widgets label what is selected
    from those (`PrefetchedLabels`): a fixed number of queries however many rows.
    """

    model = Statement
    form = StatementRowForm
    extra = 1
    fields = (
        ("speaker", "position"),
        "text",
        ("language", "date", "status"),
        ("countries", "topics"),
    )
    autocomplete_fields = ("speaker", "countries", "topics")
    show_change_link = True
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 80})},
        LanguageTagField: {"widget": forms.TextInput(attrs={"size": 8})},
    }

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("speaker", "position__person", "position__institution")
            .prefetch_related("countries", "topics")
            .order_by(F("date").asc(nulls_last=True), "id")
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "position":
            kwargs = speaker_position_field(db_field, self.admin_site, kwargs)
        elif db_field.name == "speaker":
            kwargs["widget"] = LabelledAutocompleteSelect(
                db_field, self.admin_site, attrs=ROW_WIDGET, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in self.autocomplete_fields:
            kwargs["widget"] = LabelledAutocompleteSelectMultiple(
                db_field, self.admin_site, attrs=ROW_WIDGET, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


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
        EmbargoedFilter,
        "kind",
        ("country", admin.RelatedOnlyFieldListFilter),
        ("countries", admin.RelatedOnlyFieldListFilter),
        ("topics", admin.RelatedOnlyFieldListFilter),
        ("programmes", admin.RelatedOnlyFieldListFilter),
        "start_date",
    )
    search_fields = ("title", "summary", "city", "slug")
    search_other_names = ("other_names",)
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
    inlines = [EventOtherNameInline, EventIdentifierInline, StatementInline]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "slug",
                    "kind",
                    "status",
                    "publish_at",
                    "summary",
                    "add_statement",
                )
            },
        ),
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
        return (
            super()
            .get_queryset(request)
            .annotate(statement_total=Count("statements", distinct=True))
        )

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
            return "Statements can be added below; translations on each statement's own page."
        url = reverse("admin:events_statement_add")
        return format_html(
            '<a href="{}?event={}">Add a statement made at this event on its own page</a> '
            "(with translations, source and context)",
            url,
            obj.pk,
        )

    def save_formset(self, request, form, formset, change):
        """The statement rows through `write_statement`, as the statement page and the
        API write them (validation, defaults, search document, one version and history
        record each, the change feed), in the page's transaction and changeset: the
        reason typed for the event goes to every statement's record. Translations are
        kept. A row marked for deletion deletes its statement."""
        if formset.model is not Statement:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)  # sorts the rows (and fills the change message)
        for statement in formset.deleted_objects:
            statement.delete()
        for row in formset.saved_forms:
            write_statement(
                statement=row.instance,
                countries=row.cleaned_data.get("countries"),
                topics=row.cleaned_data.get("topics"),
            )

    def get_urls(self):
        positions = path(
            "speaker-positions/",
            self.admin_site.admin_view(self.speaker_positions),
            name="events_event_speaker_positions",
        )
        return [positions, *super().get_urls()]

    def speaker_positions(self, request: HttpRequest) -> JsonResponse:
        """The positions of one speaker (`?speaker=<person id>`) matching `term`, in the
        answer format of Django's autocomplete, for a statement's position (its page and
        its event's rows): current ones first (`picker_order`), labelled by title,
        institution and dates. A person holds few positions: they are sorted here, with
        the rule of `Position.was_held_on`, rather than a second time in SQL."""
        position_admin = self.admin_site.get_model_admin(Position)
        if not position_admin.has_view_permission(request):
            raise PermissionDenied
        speaker = request.GET.get("speaker", "")
        if not speaker.isdecimal():
            # Not an empty id: select2 hides that one as the placeholder.
            hint = {"id": "no-speaker", "text": "Choose the speaker first.", "disabled": True}
            return JsonResponse({"results": [hint], "pagination": {"more": False}})
        positions = Position.objects.filter(person_id=int(speaker)).select_related("institution")
        term = request.GET.get("term", "")
        if term:
            positions, _ = position_admin.get_search_results(request, positions, term)
        ordered = picker_order(list(positions.distinct()), timezone.localdate())
        results = [{"id": str(p.pk), "text": p.dated_label()} for p in ordered[:SPEAKER_POSITIONS]]
        return JsonResponse({"results": results, "pagination": {"more": False}})


class StatementTranslationInline(VersionedInline):
    model = StatementTranslation
    formset = PersonalDataRowsFormSet
    extra = 0
    fields = ("language", "kind", "text")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.may_override = may_override(request)
        return formset


class StatementForm(KeptTranslationsCheck, PersonalDataCheckForm, AuditedModelForm):
    """The statement's form; when the editor may not change its translations (the inline
    rows are shown, not validated), it checks the language against the stored ones."""

    translations_editable = True  # set per request by StatementAdmin.get_form


@admin.register(Statement)
class StatementAdmin(AuditedImportMixin, PublishableAdmin):
    form = StatementForm
    actions = [publish, unpublish]  # publish: after the personal-data check (events.safety_admin)
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
        EmbargoedFilter,
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
        (None, {"fields": ("text", "language", "status", "publish_at")}),
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

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """The position is searched among the speaker's (`SpeakerPositionSelect`)."""
        if db_field.name == "position":
            kwargs = speaker_position_field(db_field, self.admin_site, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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
        form.may_override = may_override(request)
        form.translations_on_page = any(
            isinstance(inline, StatementTranslationInline)
            for inline in self.get_inline_instances(request, obj)
        )
        return form

    def get_fieldsets(self, request, obj=None):
        """The personal-data check's confirmation, for editors who may override it."""
        fieldsets = super().get_fieldsets(request, obj)
        if not may_override(request):
            return fieldsets
        return [*fieldsets, ("Personal-data check", {"fields": (CONFIRM_FIELD, REASON_FIELD)})]

    def save_model(self, request, obj, form, change):
        """Nothing is written yet: the statement goes with its relations in save_related."""
        self.note_reason(form)
        note_override(request, form)

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


class StatementTranslationForm(PersonalDataTranslationCheck, AuditedModelForm):
    """A translation on its own page, checked when its statement is published."""


@admin.register(StatementTranslation)
class StatementTranslationAdmin(TimestampedAdmin):
    form = StatementTranslationForm
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
