"""Bulk import in the admin: a CSV or XLSX file, previewed row by row, then written at once.

Built on django-import-export (its admin pages: upload, dry run, preview,
confirm), with the rows read and written by **the API's own serializer**
(`SerializerResource.serializer_class`), not by import-export's widgets and
`full_clean`: a row is the JSON body of a `POST` (no `id`) or a `PATCH` (an
`id`), so it is refused for exactly what the API refuses (country codes,
topic slugs, language tags, a position held by another person, …, each rule
where it already lives: the serializer's fields, the model's `clean()`), with
the same messages, and a statement is written by `events.services.write_statement`
as the API writes it. Nothing here knows a rule of the record.

**Columns** are the API's field names, so the CSV export of a list
(`?format=csv`, ctht_api.csv_export) imports back: a related entry is its
`<field>_id` column as exported, or a `<field>` column holding its id or its
slug; a list of codes or slugs is one `;`-joined cell; a list of objects
(a statement's translations) is its JSON text; an empty cell is null, or an
empty list. The export's read-only columns (`url`, `created_at`,
`speaker_full_name`, …) are accepted and ignored; any other unknown column
refuses the whole file (a misspelt header would otherwise be dropped
silently). A leading `'` that the export puts before `=`, `+`, `-` or `@`
(against spreadsheet formulas) is taken off again.

**Create or update**: an empty or absent `id` creates an entry; an `id`
updates that entry with the columns the file has (the others are left as they
are, as a `PATCH`), after locking its row; an optional `version` column makes
the row refused if the entry changed since that version (the admin's and
`If-Match`'s rule, ctht_api.concurrency). An `id` that names no entry is
refused, not created under that id.

**Nothing or everything.** The whole file is one transaction and one audit
changeset (ctht_api.audit) with the editor and the reason typed in the form:
each entry written gets one history record, and the change feed its rows,
when the changeset ends. Each row is saved through the model (no bulk
queries), so signals, history and feed see it. The dry run writes every row
the same way inside that transaction and then rolls it back (so its preview
shows what would be stored, defaults included); so does the confirmed import
if any row is refused then, and the editor is sent back to the upload page.

**Who**: the Import button and pages need the model's add or change
permission; a row that creates needs "add", one that updates needs "change".
"""

import datetime
import json
import re
from collections.abc import Mapping
from typing import Any
from uuid import uuid4

from django import forms
from django.contrib import messages
from django.core.cache import caches
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from import_export.admin import ImportMixin
from import_export.fields import Field
from import_export.formats import base_formats
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.resources import ModelResource
from import_export.results import RowResult
from import_export.tmp_storages import CacheStorage
from import_export.widgets import Widget
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField
from rest_framework.settings import api_settings

from ctht_api.audit import changeset
from ctht_api.concurrency import REASON_MAX_LENGTH, VersionConflict, lock_and_check
from ctht_api.csv_export import FORMULA_STARTS, LIST_SEPARATOR, columns_for
from ctht_api.serializers import BriefRelatedField

IMPORT_FORMATS = [base_formats.CSV, base_formats.XLSX]
VERSION_COLUMN = "version"


class _Discard(Exception):
    """Leaves the import's transaction and changeset without storing or recording anything."""


class PreviewWidget(Widget):
    """How the preview shows a stored value: related entries by name, lists `;`-joined."""

    def render(self, value, obj=None, **kwargs) -> str:
        if value is None:
            return ""
        if isinstance(value, models.Manager):
            if value.instance.pk is None:  # a new entry, before it is written
                return ""
            return f"{LIST_SEPARATOR} ".join(str(item) for item in value.all())
        return str(value)


class SerializerResource(ModelResource):
    """Rows read and written by `serializer_class`, the API's serializer for the model.

    A subclass names the model (`Meta.model`) and the serializer; its docstring
    lists the columns (the import page shows them with their help text, from
    `columns_help()`).
    """

    serializer_class: type[serializers.ModelSerializer]

    class Meta:
        fields = ()  # the preview's fields come from the serializer (__init__)
        use_transactions = True
        skip_unchanged = False
        store_row_values = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.serializer = self.serializer_class()
        self.writable = {
            name: field for name, field in self.serializer.fields.items() if not field.read_only
        }
        # What the preview shows of each entry written: its id and every column it takes.
        self.fields = {
            name: Field(attribute=name, column_name=name, widget=PreviewWidget(), readonly=True)
            for name in ["id", *self.writable]
        }
        self._pending: serializers.ModelSerializer | None = None

    # The columns.

    def column_names(self, name: str, field: serializers.Field) -> list[str]:
        """The columns a field can be given in: its name, and `<name>_id` for an entry."""
        return [name, f"{name}_id"] if isinstance(field, BriefRelatedField) else [name]

    def known_columns(self) -> set[str]:
        exported = {column.header for column in columns_for(self.serializer)}
        taken = {c for name, f in self.writable.items() for c in self.column_names(name, f)}
        return exported | taken | {"id", VERSION_COLUMN}

    def columns_help(self) -> list[tuple[str, str]]:
        """(columns, what to write) for the import page."""
        rows = [("id", "Empty or absent: a new entry. An id: that entry is updated.")]
        for name, field in self.writable.items():
            shape = ""
            if isinstance(field, BriefRelatedField):
                shape = (
                    " Its id (the export's column) or its slug." if self._has_slug(field) else ""
                )
            elif isinstance(field, ManyRelatedField):
                shape = f" Several separated by “{LIST_SEPARATOR}”; an empty cell clears the list."
            elif isinstance(field, serializers.ListSerializer):
                shape = " JSON, as the CSV export writes it."
            required = " Required for a new entry." if field.required else ""
            columns = " or ".join(self.column_names(name, field))
            rows.append((columns, f"{field.help_text or ''}{shape}{required}".strip()))
        rows.append(
            (
                VERSION_COLUMN,
                "Optional, with an id: the row is refused if the entry has changed since.",
            )
        )
        return rows

    # Reading a row.

    def row_data(self, row: Mapping[str, Any]) -> tuple[dict, dict[str, str]]:
        """The row as the API's request body, and the column each field was read from."""
        data, columns, errors = {}, {}, {}
        for name, field in self.writable.items():
            for column in self.column_names(name, field):
                if column not in row:
                    continue
                if name in columns:
                    errors[column] = f"Give {name} in one column: {columns[name]} or {column}."
                    continue
                columns[name] = column
                try:
                    data[name] = self.cell_value(field, unguarded(row[column]))
                except ValidationError as error:
                    errors[column] = error.messages
        if errors:
            raise ValidationError(errors)
        return data, columns

    def cell_value(self, field: serializers.Field, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            if isinstance(field, ManyRelatedField | serializers.ListSerializer):
                return []
            return None if field.allow_null else ""
        if isinstance(field, ManyRelatedField):
            return [item.strip() for item in str(value).split(LIST_SEPARATOR) if item.strip()]
        if isinstance(field, serializers.ListSerializer):
            try:
                return json.loads(value)
            except (TypeError, ValueError):
                raise ValidationError("Not JSON text (see the CSV export).") from None
        if isinstance(field, BriefRelatedField):
            return self.entry_id(field, value)
        if isinstance(value, datetime.datetime) and value.time() == datetime.time():
            return value.date()  # a spreadsheet's date cell
        return value

    def entry_id(self, field: BriefRelatedField, value: Any) -> Any:
        """An id as it is; a slug as the id of its entry (an import's convenience)."""
        text = str(value).strip()
        if text.isdigit() or not self._has_slug(field):
            return int(text) if text.isdigit() else text
        model = field.queryset.model
        pk = field.queryset.filter(slug=text).values_list("pk", flat=True).first()
        if pk is None:
            raise ValidationError(f"No {model._meta.verbose_name} with the id or slug “{text}”.")
        return pk

    @staticmethod
    def _has_slug(field: BriefRelatedField) -> bool:
        return any(f.name == "slug" for f in field.queryset.model._meta.fields)

    # import-export's hooks, in the order it calls them for each row.

    def before_import(self, dataset, **kwargs):
        """Refuse a file with an unknown column; drop the empty rows a spreadsheet may end
        with (an empty row elsewhere is refused, so line numbers stay those of the file)."""
        while len(dataset) and all(cell in (None, "") for cell in dataset[-1]):
            del dataset[-1]
        known = self.known_columns()
        # A column without a header (a spreadsheet's formatted, empty column) is not read.
        unknown = [h for h in dataset.headers or [] if h not in (None, "") and h not in known]
        if unknown:
            raise ValueError(
                f"Unknown column(s): {', '.join(map(str, unknown))}. Nothing was imported. "
                "The columns are listed on the import page."
            )

    def get_or_init_instance(self, instance_loader, row):
        raw = row.get("id")
        if raw is None or not str(raw).strip():
            return self.init_instance(row), True
        model = self._meta.model
        try:
            pk = int(str(raw).strip())
        except ValueError:
            raise ValidationError({"id": f"Not an id: “{raw}”."}) from None
        instance = self.get_queryset().filter(pk=pk).first()
        if instance is None:
            raise ValidationError(
                {"id": f"No {model._meta.verbose_name} with id {pk}: leave id empty to create one."}
            )
        return instance, False

    def after_init_instance(self, instance, new, row, **kwargs):
        """Refuse a row the editor may not write; lock an updated entry, check its version."""
        user = kwargs.get("user")
        opts = self._meta.model._meta
        action = "add" if new else "change"
        if user is not None and not user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}"):
            verb = "create" if new else "change"
            raise ValidationError(f"You may not {verb} {opts.verbose_name_plural}.")
        if new:
            return
        seen = row.get(VERSION_COLUMN)
        try:
            lock_and_check(instance, int(seen) if str(seen or "").strip() else None)
        except (TypeError, ValueError):
            raise ValidationError({VERSION_COLUMN: f"Not a version number: “{seen}”."}) from None
        except VersionConflict:
            raise ValidationError(
                {
                    VERSION_COLUMN: f"The {opts.verbose_name} has changed since version {seen}: "
                    f"it is now at version {instance.version}."
                }
            ) from None

    def import_instance(self, instance, row, **kwargs):
        """Validate the row with the API's serializer, as a POST (new) or a PATCH (id)."""
        data, columns = self.row_data(row)
        new = instance.pk is None
        # A new entry is written into the instance import-export made (the serializer's
        # update(), which for a new instance ends in the same write as its create()).
        serializer = self.serializer_class(instance, data=data, partial=not new)
        if not serializer.is_valid():
            raise ValidationError(
                {
                    NON_FIELD_ERRORS
                    if name == api_settings.NON_FIELD_ERRORS_KEY
                    else columns.get(name, name): flat_messages(errors)
                    for name, errors in serializer.errors.items()
                }
            )
        self._pending = serializer

    def do_instance_save(self, instance, is_create):
        serializer, self._pending = self._pending, None
        serializer.save()

    def save_m2m(self, instance, row, **kwargs):
        """Nothing: the serializer wrote the lists with the entry."""

    def after_import(self, dataset, result, **kwargs):
        """Nothing: new entries never get an id from the file, so no sequence to reset."""

    # The whole file.

    def import_data(self, dataset, dry_run=False, **kwargs):
        """One transaction and one changeset for the file; rolled back, unrecorded, on a
        dry run or when any row is refused."""
        result = None
        try:
            with (
                transaction.atomic(),
                changeset(user=kwargs.get("user"), reason=kwargs.get("reason", "")),
            ):
                result = super().import_data(
                    dataset,
                    dry_run=dry_run,
                    use_transactions=True,
                    rollback_on_validation_errors=True,
                    **kwargs,
                )
                if dry_run or result.has_errors() or result.has_validation_errors():
                    raise _Discard
        except _Discard:
            pass
        return result


def unguarded(value: Any) -> Any:
    """A cell without the `'` the CSV export puts before what a spreadsheet runs as a formula."""
    if isinstance(value, str) and value[:1] == "'" and value[1:2] and value[1] in FORMULA_STARTS:
        return value[1:]
    return value


def flat_messages(errors: Any, prefix: str = "") -> list[str]:
    """A serializer's nested errors as plain messages (`2: language: …` for a list item)."""
    if isinstance(errors, Mapping):
        return [m for key, value in errors.items() for m in flat_messages(value, f"{key}: ")]
    if isinstance(errors, list) and any(isinstance(e, Mapping | list) for e in errors):
        return [
            m for i, value in enumerate(errors, 1) if value for m in flat_messages(value, f"{i}: ")
        ]
    if isinstance(errors, list):
        return [f"{prefix}{message}" for message in errors]
    return [f"{prefix}{errors}"]


ACTIONS = {
    RowResult.IMPORT_TYPE_NEW: "New",
    RowResult.IMPORT_TYPE_UPDATE: "Update",
    RowResult.IMPORT_TYPE_SKIP: "Unchanged",
}
REFUSED = (RowResult.IMPORT_TYPE_INVALID, RowResult.IMPORT_TYPE_ERROR)


def preview_rows(result) -> list[dict]:
    """Every row of the file: what it does (the stored entry, as import-export's diff shows
    it) or why it is refused (the file's cells). `line` is the row's line in the file as a
    spreadsheet numbers it (the headers are line 1)."""
    rows = []
    for number, row in enumerate(result.rows, 1):
        problems = []
        if row.validation_error is not None:
            error = row.validation_error
            if hasattr(error, "error_dict"):
                problems = [
                    ("" if column == NON_FIELD_ERRORS else column, message)
                    for column, messages_ in error.message_dict.items()
                    for message in messages_
                ]
            else:
                problems = [("", message) for message in error.messages]
        problems += [("", str(e.error)) for e in row.errors]
        if row.diff:
            cells = list(row.diff)
            if row.import_type == RowResult.IMPORT_TYPE_NEW:
                cells[0] = ""  # the id the dry run drew is not the one the import will get
        else:  # refused: the file's cells, `speaker_id` shown under `speaker`
            values = row.row_values
            cells = [values.get(h, values.get(f"{h}_id", "")) for h in result.diff_headers]
        rows.append(
            {
                "line": number + 1,
                "import_type": row.import_type,
                "action": "Refused" if problems else ACTIONS.get(row.import_type, ""),
                "problems": problems,
                "cells": cells,
            }
        )
    return rows


REASON_FIELD = {
    "label": "Reason for this import",
    "required": False,
    "max_length": REASON_MAX_LENGTH,
    "help_text": "Kept in the history of every entry the import writes, with your name. "
    "Left empty: “Imported from” and the file's name.",
}


class ReasonImportForm(ImportForm):
    change_reason = forms.CharField(**REASON_FIELD)


class ReasonConfirmImportForm(ConfirmImportForm):
    change_reason = forms.CharField(**REASON_FIELD)


def default_reason(file_name: str) -> str:
    return f"Imported from {file_name}"


class UploadStorage(CacheStorage):
    """Where an uploaded file waits between its preview and the confirmed import: the
    `imports` cache (Redis with `REDIS_URL`, else the database table `ctht_imports`), so
    that every worker process finds it, under a random name, for an hour at most.

    Not django-import-export's default, a file in the server's temporary folder: that
    folder is one container's, unconfirmed previews stayed there for good, and the
    confirm form names the file to read and then delete, so an editor could name
    another file of that folder.
    """

    CACHE_LIFETIME = 3600
    CACHE_PREFIX = "upload-"

    def save(self, data):
        if not self.name:
            self.name = uuid4().hex
        caches["imports"].set(self.CACHE_PREFIX + self.name, data, self.CACHE_LIFETIME)

    def read(self):
        return caches["imports"].get(self.CACHE_PREFIX + self.name)

    def remove(self):
        caches["imports"].delete(self.CACHE_PREFIX + self.name)


class AuditedImportMixin(ImportMixin):
    """The Import button and pages for a ModelAdmin whose `resource_classes` are
    `SerializerResource`s: CSV or XLSX, a reason, every row listed in the preview."""

    import_form_class = ReasonImportForm
    confirm_form_class = ReasonConfirmImportForm
    import_template_name = "admin/import_with_reason.html"
    import_formats = IMPORT_FORMATS
    tmp_storage_class = UploadStorage

    def process_import(self, request, **kwargs):
        """The confirmed import, once its upload is found (an hour after the preview, or
        under a name never given out, it is not: upload the file again)."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        name = request.POST.get("import_file_name", "")
        if not re.fullmatch(r"[0-9a-f]{32}", name) or UploadStorage(name=name).read() is None:
            messages.error(
                request,
                "Nothing was imported: the uploaded file is no longer kept (a preview "
                "waits an hour) or was never uploaded. Upload it again.",
            )
            return self.back_to_upload()
        return super().process_import(request, **kwargs)

    def back_to_upload(self) -> HttpResponseRedirect:
        opts = self.model._meta
        return HttpResponseRedirect(
            reverse(
                f"admin:{opts.app_label}_{opts.model_name}_import", current_app=self.admin_site.name
            )
        )

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request) or self.has_change_permission(request)

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            name = import_form.cleaned_data["import_file"].name
            initial["change_reason"] = import_form.cleaned_data.get(
                "change_reason"
            ) or default_reason(name)
        return initial

    def get_import_data_kwargs(self, **kwargs):
        form = kwargs.get("form")
        kwargs = super().get_import_data_kwargs(**kwargs)
        if form is not None and hasattr(form, "cleaned_data"):
            file = form.cleaned_data.get("import_file")
            name = getattr(file, "name", None) or form.cleaned_data.get("original_file_name")
            kwargs["reason"] = form.cleaned_data.get("change_reason") or default_reason(name)
        return kwargs

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        if isinstance(response, TemplateResponse):
            context = response.context_data
            context["columns_help"] = self.get_import_resource_classes(request)[0]().columns_help()
            result = context.get("result")
            if result is not None:
                context["import_rows"] = preview_rows(result)
                refused = sum(result.totals[kind] for kind in REFUSED)
                if refused or result.base_errors:
                    context["import_refused"] = (
                        f"{refused} of {result.total_rows} rows refused."
                        if refused
                        else "The file is refused."
                    )
        return response

    def process_result(self, result, request):
        """A row refused at the confirmed import (the data changed since the preview):
        nothing was stored; back to the upload page, saying why."""
        if not (result.has_errors() or result.has_validation_errors()):
            return super().process_result(result, request)
        problems = [str(error.error) for error in result.base_errors] + [
            f"line {row['line']}: {column + ': ' if column else ''}{message}"
            for row in preview_rows(result)
            for column, message in row["problems"]
        ]
        messages.error(
            request,
            "Nothing was imported: the data changed since the preview. " + "; ".join(problems[:5]),
        )
        return self.back_to_upload()
