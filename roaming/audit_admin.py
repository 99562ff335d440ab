"""The audit trail screen: every form save and staff action (roaming.audit), read-only.

Also keeps the trail whole: a user with entries cannot be deleted (Django would cascade
their LogEntry rows away); deactivate them instead. The user screen also resets a lost
second factor (roaming.accounts), with `auth.change_user` and an audit entry.
"""

from django.contrib import admin, messages
from django.contrib.admin.models import ADDITION, CHANGE, DELETION
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Q
from django.utils.html import format_html
from django_otp import user_has_device

from . import audit
from .accounts import services as accounts
from .admin_base import ReadOnlyAdmin
from .models import AuditEntry

FORM_SAVES = {"added": ADDITION, "changed": CHANGE, "deleted": DELETION}


class ActionFilter(admin.SimpleListFilter):
    title = "action"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        forms = [(f"form-{name}", f"Form: {name}") for name in FORM_SAVES]
        return [*forms, *audit.ACTIONS.items()]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value.startswith("form-") and value[5:] in FORM_SAVES:
            any_action = Q()
            for code in audit.ACTIONS:
                any_action |= audit.is_action(code)
            return queryset.filter(action_flag=FORM_SAVES[value[5:]]).exclude(any_action)
        if value in audit.ACTIONS:
            return queryset.filter(audit.is_action(value))
        return queryset.none()


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Who, when, what, on which object; filter by user, action and date."""

    list_display = ["action_time", "user", "action", "object", "message"]
    list_filter = [ActionFilter, ("user", admin.RelatedOnlyFieldListFilter), "content_type"]
    search_fields = ["object_repr", "change_message", "user__username"]
    date_hierarchy = "action_time"
    list_select_related = ["user", "content_type"]
    list_display_links = None  # nothing to open: the row says it all

    @admin.display(description="action")
    def action(self, obj):
        code = audit.action_of(obj)
        if code:
            return audit.ACTIONS[code]
        return {ADDITION: "Form: added", CHANGE: "Form: changed", DELETION: "Form: deleted"}.get(
            obj.action_flag, "—"
        )

    @admin.display(description="object")
    def object(self, obj):
        """Unlinked; get_list_display links it for who may open it."""
        if obj.content_type_id is None:
            return "—"
        return f"{obj.content_type.name}: {obj.object_repr}"

    def get_list_display(self, request):
        # The object links only where this user may look (finance got 403 on users, B8).
        viewable: dict[int, bool] = {}

        def may_view(content_type) -> bool:
            if content_type.pk not in viewable:
                codename = f"{content_type.app_label}.view_{content_type.model}"
                change = f"{content_type.app_label}.change_{content_type.model}"
                viewable[content_type.pk] = request.user.has_perm(
                    codename
                ) or request.user.has_perm(change)
            return viewable[content_type.pk]

        @admin.display(description="object")
        def object(obj):
            if obj.content_type_id is None:
                return "—"
            label = f"{obj.content_type.name}: {obj.object_repr}"
            linked = obj.action_flag != DELETION and may_view(obj.content_type)
            url = obj.get_admin_url() if linked else ""
            return format_html('<a href="{}">{}</a>', url, label) if url else label

        return [object if name == "object" else name for name in self.list_display]

    @admin.display(description="what")
    def message(self, obj):
        return obj.get_change_message()


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class AuditedUserAdmin(UserAdmin):
    list_display = [*UserAdmin.list_display, "two_factor"]
    actions = ["reset_second_factor"]

    @admin.display(boolean=True, description="two-factor")
    def two_factor(self, obj):
        return user_has_device(obj)

    @admin.action(
        description="Reset two-factor devices (lost phone: enrols again at next login)",
        permissions=["change"],
    )
    def reset_second_factor(self, request, queryset):
        removed = accounts.reset_second_factor(actor=request.user, users=queryset)
        messages.success(request, f"Removed {removed} device(s) of {len(queryset)} user(s).")

    def has_delete_permission(self, request, obj=None):
        # Deleting a user would delete their audit entries (LogEntry cascades): deactivate.
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or not obj.logentry_set.exists())
