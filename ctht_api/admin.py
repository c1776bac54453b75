"""Admin pieces every app shares: the audit trail, edit conflicts, publish/unpublish.

Every admin write (a save with its inlines, a deletion, a bulk action) runs in
one transaction and one audit changeset (ctht_api.audit): each entry it
touches gets one history record, with the editor and the reason typed in the
form's "Reason for this change" field. The "History" button of each entry
shows its records and what changed.

An editor never overwrites a colleague's change unseen: the form (and each
row of a `VersionedInline`) carries the version it was opened at, and its
`clean()` locks the row and compares that version with the stored one
(`ctht_api.concurrency.lock_and_check`, the rule the API's `If-Match` uses);
if the entry has changed since, the save is refused with a message naming
who changed it and when.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import lookup_spawns_duplicates
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from ctht_api.audit import changeset, current_changeset
from ctht_api.concurrency import REASON_MAX_LENGTH, VersionConflict, lock_and_check
from ctht_api.models import Status
from ctht_api.search import search_as_typed


class VersionCheckedForm(forms.ModelForm):
    """A model form (or inline row) that refuses to save over a newer version of its entry."""

    seen_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["seen_version"].initial = self.instance.version

    def clean(self):
        """Lock the entry's row for the rest of the save (the admin views run in a
        transaction) and refuse it if the entry is no longer at the version opened."""
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        seen = cleaned.get("seen_version")
        try:
            lock_and_check(self.instance, seen)
        except VersionConflict:
            raise ValidationError(self.conflict_message(seen), code="edit_conflict") from None
        except self.instance.DoesNotExist:
            raise ValidationError(
                f"This {self.instance._meta.verbose_name} was deleted after you opened it: "
                "your changes were not saved.",
                code="edit_conflict",
            ) from None
        return cleaned

    def conflict_message(self, seen: int) -> str:
        latest = self.instance.history.select_related("history_user").first()
        user = latest.history_user if latest else None
        who = user.get_username() if user else "someone"
        when = date_format(latest.history_date, "DATETIME_FORMAT") if latest else "meanwhile"
        return (
            f"This {self.instance._meta.verbose_name} was changed by {who} ({when}) after "
            f"you opened it: it is now at version {self.instance.version}, you opened "
            f"version {seen}. Your changes were not saved. Open the page again to see the "
            "current version, then make your edits again."
        )


class AuditedModelForm(VersionCheckedForm):
    """A model form that records why, and refuses to save over a newer version."""

    change_reason = forms.CharField(
        label="Reason for this change",
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional; kept in the entry's history with your name.",
    )


class VersionedFormSet(BaseInlineFormSet):
    """The rows of a `VersionedRows` inline, refused as a whole when one of them changed
    under the editor in a way its own form cannot report.

    Django drops the errors of a row marked for deletion, so a row changed by someone
    else since the page was opened would be deleted over their change: its version
    conflict is raised here instead. A row that no longer belongs to the page (deleted,
    or moved to another parent, meanwhile) comes back as a new, empty instance that
    Django then skips without a word: it is refused here too.
    """

    def clean(self):
        super().clean()
        conflicts = []
        for form in self.initial_forms:
            if form.instance.pk is None:
                name = self.model._meta.verbose_name
                conflicts.append(
                    ValidationError(
                        f"A {name} shown on this page was deleted or moved elsewhere after "
                        "you opened it: your changes were not saved. Open the page again "
                        "to see the current rows, then make your edits again.",
                        code="edit_conflict",
                    )
                )
            elif self.can_delete and self._should_delete_form(form):
                conflicts += [
                    error
                    for error in form.non_field_errors().as_data()
                    if error.code == "edit_conflict"
                ]
        if conflicts:
            raise ValidationError(conflicts)


class VersionedRows:
    """An inline whose rows are locked and version-checked when the page is saved."""

    form = VersionCheckedForm
    formset = VersionedFormSet

    def get_fields(self, request, obj=None):
        return [*super().get_fields(request, obj), "seen_version"]


class VersionedInline(VersionedRows, admin.TabularInline):
    """Versioned rows as a table: one line per entry."""


class VersionedStackedInline(VersionedRows, admin.StackedInline):
    """Versioned rows as blocks, for entries with more fields than a line holds."""


class OtherNameInline(VersionedInline):
    """An entry's other names (ctht_api.other_names) on its page; a subclass names the
    `model`. Each row saved or deleted touches the entry (`OtherNameBase.touch_owner`):
    the page's save is one version of the entry, one history record, one feed row."""

    extra = 0
    fields = ("name", "language", "note")
    verbose_name_plural = "other names (other scripts and languages, former names, acronyms)"


class IdentifierInline(VersionedInline):
    """An entry's identifiers in other databases (ctht_api.identifiers) on its page; a
    subclass names the `model`. Saved as one write of the entry, as other names are; an
    identifier another entry holds is a row error (the model's unique constraint, checked
    by the form), as are a bad scheme or Wikidata value (`IdentifierBase.clean`)."""

    extra = 0
    fields = ("scheme", "identifier")
    verbose_name_plural = "identifiers in other databases (e.g. wikidata Q8908)"


def shortened(text: str | None, length: int) -> str:
    """A changelist cell: `text` cut to `length` characters, the whole of it in a tooltip
    (the `title` attribute) when cut; "-", the admin's empty value, when there is none."""
    if not text:
        return "-"
    if len(text) <= length:
        return text
    return format_html('<span title="{}">{}…</span>', text, text[: length - 1].rstrip())


class FoldedSearchMixin:
    """The search box and the autocompletes fold accents and case as the API's `q` does
    ("tanic" finds Tanić), through the one search helper, `search_as_typed`.

    A model with a stored search document names it in `search_stored_field` and is
    searched by it alone (indexed on PostgreSQL); the others fold their
    `search_fields` (plain field paths: Django's `^`, `=` and `@` prefixes are not
    read). As in Django's own search, a field across a many-valued relation may
    repeat a row, which the changelist and the autocomplete then remove. The
    relations named in `search_other_names` (an entry's `other_names`, a position's
    `person__other_names`) are searched by EXISTS, each other name on its own, so
    they repeat nothing.
    """

    search_stored_field: str | None = None
    search_other_names: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        if self.search_stored_field:
            return search_as_typed(queryset, search_term, stored=self.search_stored_field), False
        fields = self.get_search_fields(request)
        found = search_as_typed(
            queryset, search_term, fields=fields, other_names=self.search_other_names
        )
        return found, any(lookup_spawns_duplicates(self.opts, field) for field in fields)


class TimestampedAdmin(FoldedSearchMixin, SimpleHistoryAdmin):
    """Shows when an entry was created and changed, never lets anyone edit that."""

    class Media:
        # Changelists that fit 1,280 pixels, long titles that do not run under buttons.
        css = {"all": ["ctht_api/admin.css"]}

    form = AuditedModelForm
    readonly_fields = ("created_at", "updated_at", "version")
    list_per_page = 50
    show_full_result_count = False
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        listed = {name for _, options in fieldsets for name in options["fields"]}
        extra = [
            name for name in ("version", "change_reason", "seen_version") if name not in listed
        ]
        return [*fieldsets, ("This change", {"fields": extra})]

    def save_model(self, request, obj, form, change):
        self.note_reason(form)
        super().save_model(request, obj, form, change)

    def note_reason(self, form) -> None:
        """The reason typed in the form goes to every history record of this save."""
        current = current_changeset()
        if current is not None:
            current.reason = form.cleaned_data.get("change_reason", "")

    def changeform_view(self, request, *args, **kwargs):
        with transaction.atomic(), changeset(user=request.user):
            return super().changeform_view(request, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        with transaction.atomic(), changeset(user=request.user, reason="Deleted in the admin"):
            return super().delete_view(request, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):
        # Bulk actions (publish, delete selected) and list edits are writes too.
        with transaction.atomic(), changeset(user=request.user):
            return super().changelist_view(request, *args, **kwargs)


def _set_status(modeladmin, request: HttpRequest, queryset: QuerySet, status: str) -> None:
    # Each row is saved on its own (not QuerySet.update) so that save() logic,
    # signals and the audit trail see the change.
    verb = "published" if status == Status.PUBLISHED else "returned to draft"
    current = current_changeset()
    if current is not None:
        current.reason = f"Bulk action: {verb} from the admin list"
    changed = 0
    for obj in queryset.exclude(status=status):
        obj.status = status
        obj.save(update_fields=["status", "updated_at"])
        changed += 1
    modeladmin.message_user(
        request,
        f"{changed} {modeladmin.model._meta.verbose_name_plural} {verb}.",
        messages.SUCCESS,
    )


@admin.action(description="Publish selected %(verbose_name_plural)s", permissions=["change"])
def publish(modeladmin, request, queryset):
    _set_status(modeladmin, request, queryset, Status.PUBLISHED)


@admin.action(description="Unpublish selected %(verbose_name_plural)s", permissions=["change"])
def unpublish(modeladmin, request, queryset):
    _set_status(modeladmin, request, queryset, Status.DRAFT)


class EmbargoedFilter(admin.SimpleListFilter):
    """Published entries still under embargo (`publish_at` ahead: hidden from the public until
    then; for a statement, its own or its event's), or every other entry."""

    title = "embargoed"
    parameter_name = "embargoed"

    def lookups(self, request, model_admin):
        return [("yes", "Yes: published, hidden until publish_at"), ("no", "No")]

    def queryset(self, request, queryset):
        embargoed = queryset.model._default_manager.embargoed().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=embargoed)
        if self.value() == "no":
            return queryset.exclude(pk__in=embargoed)
        return queryset


class PublishableAdmin(TimestampedAdmin):
    """An admin for drafts and published entries, with bulk publish/unpublish."""

    actions = [publish, unpublish]
