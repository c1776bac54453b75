"""How editors see API tokens: who holds which, when each was used, and revoking them.

A token's key is shown once, in the message after it is created in the admin,
and never again: only its hash is stored. Its scopes (write, drafts) are listed,
filtered on and editable: a dashboard key found to see drafts is fixed here
without issuing a new one. Revoking keeps the row (with
`revoked_at`) so the list still says which tokens existed, who held them and
when they were last used.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from accounts.models import ApiToken


class StatusFilter(admin.SimpleListFilter):
    """Active, expired or revoked, as the authentication decides it."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "active":
            return queryset.active()
        if self.value() == "expired":
            return queryset.expired()
        if self.value() == "revoked":
            return queryset.revoked()
        return queryset


@admin.action(description="Revoke selected API tokens", permissions=["change"])
def revoke(modeladmin, request, queryset):
    # Row by row (not QuerySet.update) so that save() logic, signals and any
    # audit trail see each revocation.
    now = timezone.now()
    revoked = 0
    for token in queryset.filter(revoked_at__isnull=True):
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        revoked += 1
    modeladmin.message_user(request, f"{revoked} API tokens revoked.", messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens by user, state and use; created here with the key shown once, revoked in bulk."""

    list_display = (
        "key_prefix",
        "user",
        "name",
        "write_enabled",
        "drafts_enabled",
        "created_at",
        "expires_at",
        "last_used_at",
        "status",
    )
    list_filter = (StatusFilter, "write_enabled", "drafts_enabled", "created_at", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "key_prefix", "name")
    autocomplete_fields = ("user",)
    actions = [revoke]
    list_per_page = 50
    show_full_result_count = False

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "name", "write_enabled", "drafts_enabled", "expires_at")
        return (
            "user",
            "name",
            "write_enabled",
            "drafts_enabled",
            "expires_at",
            "status",
            "key_prefix",
            "key_hash",
            "created_at",
            "last_used_at",
            "revoked_at",
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # A token keeps its user: a token for someone else is a new token.
        return (
            "user",
            "status",
            "key_prefix",
            "key_hash",
            "created_at",
            "last_used_at",
            "revoked_at",
        )

    def get_actions(self, request):
        # Revoking, not deleting, is how a token is withdrawn: the row stays as
        # the record of who held it. Deleting one at a time (or with its user)
        # stays possible for those allowed to delete.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="status")
    def status(self, obj: ApiToken) -> str:
        if obj.is_revoked:
            return "revoked"
        if obj.is_expired():
            return "expired"
        return "active"

    def save_model(self, request: HttpRequest, obj: ApiToken, form, change: bool) -> None:
        if not change:
            # Kept on the instance for response_add only; never saved.
            obj._new_key = obj.set_new_key()
        super().save_model(request, obj, form, change)

    def response_add(self, request: HttpRequest, obj: ApiToken, post_url_continue=None):
        self.message_user(
            request,
            format_html(
                "The key of the new token is <code>{}</code>. Copy it now: it is shown only "
                "this once and cannot be retrieved later (only its hash is stored).",
                obj._new_key,
            ),
            messages.SUCCESS,
        )
        return super().response_add(request, obj, post_url_continue)
