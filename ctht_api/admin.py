"""Admin pieces every app shares: read-only timestamps and publish/unpublish actions."""

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from ctht_api.models import Status


class TimestampedAdmin(admin.ModelAdmin):
    """Shows when an entry was created and changed, never lets anyone edit that."""

    readonly_fields = ("created_at", "updated_at")
    list_per_page = 50
    show_full_result_count = False
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


def _set_status(modeladmin, request: HttpRequest, queryset: QuerySet, status: str) -> None:
    # Each row is saved on its own (not QuerySet.update) so that save() logic,
    # signals and any future audit trail see the change.
    changed = 0
    for obj in queryset.exclude(status=status):
        obj.status = status
        obj.save(update_fields=["status", "updated_at"])
        changed += 1
    verb = "published" if status == Status.PUBLISHED else "returned to draft"
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


class PublishableAdmin(TimestampedAdmin):
    """An admin for drafts and published entries, with bulk publish/unpublish."""

    actions = [publish, unpublish]
