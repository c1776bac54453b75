"""The personal-data check (events.safety) where editors meet it: the statement's page, its
translation rows, the statement rows of an event's page, and the bulk "publish" action.

The check itself runs in `write_statement`, whichever page writes; the forms run it
first so that its findings are shown as errors next to the words they concern,
with the number masked, rather than as a failed save. An editor holding
`events.override_personal_data_check` sees, on the statement's page and on the
bulk action's confirmation page, a confirmation and a reason field: with both, the
statement is published as it is and its history keeps the reason
(`safety_override`). The event page's rows and the translation page offer no
override: there, the statement's own page is where an editor decides.
"""

from collections.abc import Iterable

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from ctht_api.admin import VersionedFormSet
from ctht_api.audit import current_changeset
from ctht_api.concurrency import REASON_MAX_LENGTH
from ctht_api.models import Status
from events.models import Statement, StatementTranslation
from events.safety import (
    OVERRIDE_PERMISSION,
    Finding,
    allow_override,
    record_override,
    scan,
    scan_statement,
    translation_texts,
)

CONFIRM_FIELD, REASON_FIELD = "publish_despite_personal_data", "safety_override"


def may_override(request: HttpRequest) -> bool:
    return request.user.has_perm(OVERRIDE_PERMISSION)


def add_findings(form: forms.BaseForm, findings: Iterable[Finding]) -> None:
    """Each finding as an error of the field it is in, or of the form when that field is
    not on it (a translation kept from the stored ones)."""
    for finding in findings:
        if finding.field in form.fields:
            form.add_error(finding.field, finding.message)
        else:
            form.add_error(None, f"{finding.field}: {finding.message}")


def confirmed_reason(data, *, allowed: bool) -> str:
    """The override reason a page was posted with: "" unless the editor may override and
    ticked the confirmation (an empty reason is the form's error, `OverrideFields.clean`)."""
    if not allowed or data.get(CONFIRM_FIELD) not in ("on", "true", "True", "1"):
        return ""
    return (data.get(REASON_FIELD) or "").strip()


class OverrideFields(forms.Form):
    """The confirmation and the reason; shown to editors who may override."""

    publish_despite_personal_data = forms.BooleanField(
        required=False,
        label="Publish despite the personal-data check",
        help_text="Only if the statement must be published with what the check found "
        "(for instance an institution's public contact). The reason goes to its history.",
    )
    safety_override = forms.CharField(
        required=False,
        max_length=REASON_MAX_LENGTH,
        label="Why it must be published as it is",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PersonalDataCheckForm(forms.ModelForm):
    """The statement's page: a statement published with personal data in its text or context
    (or in translations not on the page) is refused with the findings as errors, unless
    the editor may override, ticks the confirmation and gives a reason. The translation
    rows on the page are checked by `PersonalDataRowsFormSet`."""

    publish_despite_personal_data = OverrideFields.base_fields[CONFIRM_FIELD]
    safety_override = OverrideFields.base_fields[REASON_FIELD]
    may_override = False  # set per request by the admin's get_form
    translations_on_page = True  # likewise: whether the translation rows are on the page

    def clean(self):
        cleaned = super().clean()
        if cleaned.get(CONFIRM_FIELD) and not cleaned.get(REASON_FIELD, "").strip():
            self.add_error(REASON_FIELD, "Give the reason for publishing despite the check.")
        status = cleaned.get("status", self.instance.status)
        if self.override_reason() or status != Status.PUBLISHED:
            return cleaned
        kept = [] if self.translations_on_page else translation_texts(self.instance, None)
        findings = scan_statement(
            text=cleaned.get("text", self.instance.text) or "",
            context=cleaned.get("context", self.instance.context) or "",
            translations=kept,
        )
        add_findings(self, findings)
        if findings and self.may_override:
            self.add_error(
                None,
                "To publish it as it is, tick “Publish despite the personal-data check” "
                "and give the reason.",
            )
        return cleaned

    def override_reason(self) -> str:
        return confirmed_reason(self.data, allowed=self.may_override)


class PersonalDataRowsFormSet(VersionedFormSet):
    """The statement's translation rows: a published statement's rows are scanned as the
    page posts them, each finding an error of its row's text, unless the page carries a
    confirmed override (`PersonalDataCheckForm`)."""

    may_override = False  # set per request by the inline's get_formset

    def clean(self):
        super().clean()
        if self.instance.status != Status.PUBLISHED:
            return
        if confirmed_reason(self.data, allowed=self.may_override):
            return
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            for finding in scan(data.get("text") or ""):
                form.add_error("text" if "text" in form.fields else None, finding.message)


def note_override(request: HttpRequest, form: PersonalDataCheckForm) -> None:
    """The confirmed override of the page goes to this save's changeset (events.safety)."""
    reason = form.override_reason()
    if reason:
        allow_override(reason, user=request.user)


class PersonalDataRowCheck:
    """A statement row of an event's page: published with personal data in its text (or
    in its stored context and translations) is refused on the row; the statement's own
    page is where an editor with the permission may override."""

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status", self.instance.status) != Status.PUBLISHED:
            return cleaned
        findings = scan_statement(
            text=cleaned.get("text", self.instance.text) or "",
            context=self.instance.context,
            translations=translation_texts(self.instance, None),
        )
        add_findings(self, findings)
        return cleaned


class PersonalDataTranslationCheck:
    """A translation's own page: a translation of a published statement is scanned."""

    def clean(self):
        cleaned = super().clean()
        statement = cleaned.get("statement")
        if statement is not None and statement.status == Status.PUBLISHED:
            for finding in scan(cleaned.get("text") or ""):
                self.add_error(
                    "text",
                    f"{finding.message} Its statement is published: remove it, or change "
                    "the translation on the statement's page.",
                )
        return cleaned


# The bulk action.


def statements_to_publish(queryset: QuerySet) -> list[Statement]:
    """The drafts among the selected statements, with what the check reads and what the
    confirmation page shows: three queries however many there are."""
    return list(
        queryset.exclude(status=Status.PUBLISHED)
        .select_related("speaker")
        .prefetch_related(
            Prefetch("translations", queryset=StatementTranslation.objects.order_by("language"))
        )
        .order_by("pk")
    )


def findings_of(statements: Iterable[Statement]) -> dict[Statement, list[Finding]]:
    """The statements whose words hold personal data, with their findings."""
    found = {}
    for statement in statements:
        findings = scan_statement(
            text=statement.text,
            context=statement.context,
            translations=[t.text for t in statement.translations.all()],
        )
        if findings:
            found[statement] = findings
    return found


@admin.action(description="Publish selected %(verbose_name_plural)s", permissions=["change"])
def publish(modeladmin, request: HttpRequest, queryset: QuerySet):
    """Publish the selected statements, after the personal-data check.

    When some hold personal data, an intermediate page lists them with each finding (its
    kind and field, the number masked). An editor holding the override permission may
    publish them all, giving a reason that each flagged statement's history keeps;
    otherwise, or without a reason, only the statements without findings are published
    and the message names the others, left as drafts.
    """
    statements = statements_to_publish(queryset)
    flagged = findings_of(statements)
    allowed = may_override(request)
    choice = request.POST.get("personal_data")
    if flagged and choice is None:
        return confirmation_page(modeladmin, request, flagged, allowed=allowed)
    reason = (request.POST.get(REASON_FIELD) or "").strip() if choice == "override" else ""
    if choice == "override" and (not allowed or not reason):
        error = "Give the reason." if allowed else "You may not override the check."
        return confirmation_page(modeladmin, request, flagged, allowed=allowed, error=error)
    current = current_changeset()
    if current is not None:
        current.reason = "Bulk action: published from the admin list"
    if reason:
        allow_override(reason, user=request.user)
    published = 0
    for statement in statements:
        if statement in flagged and not reason:
            continue
        statement.status = Status.PUBLISHED
        statement.save(update_fields=["status", "updated_at"])
        if statement in flagged:
            record_override(statement, reason)
        published += 1
    modeladmin.message_user(request, f"{published} statements published.", messages.SUCCESS)
    if flagged and not reason:
        left = "; ".join(
            f"{statement} (id {statement.pk}): "
            + ", ".join(f"{f.kind} in {f.field}" for f in findings)
            for statement, findings in flagged.items()
        )
        modeladmin.message_user(
            request,
            f"{len(flagged)} statements hold personal data and stay drafts: {left}.",
            messages.WARNING,
        )
    return None


def confirmation_page(
    modeladmin, request: HttpRequest, flagged: dict, *, allowed: bool, error: str = ""
) -> TemplateResponse:
    opts = modeladmin.model._meta
    return TemplateResponse(
        request,
        "admin/events/statement/publish_personal_data.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "Personal data in the statements to publish",
            "opts": opts,
            "flagged": [
                {"statement": statement, "findings": findings}
                for statement, findings in flagged.items()
            ],
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action": request.POST.get("action", "publish"),
            "may_override": allowed,
            "reason_field": REASON_FIELD,
            "error": error,
            "non_field_errors": NON_FIELD_ERRORS,
        },
    )
