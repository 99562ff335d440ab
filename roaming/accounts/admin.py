"""Locked-out logins (django-axes' attempts) and their audited unlock.

axes' own admin is off (AXES_ENABLE_ADMIN): deleting an attempt there would unlock without
an audit entry. django-otp's device admins are removed too: a lost device is reset from the
user's page (roaming.audit_admin), never edited.
"""

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin, messages
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import services

UNLOCK = "axes.delete_accessattempt"

for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(AccessAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):
    """Failed logins by username and address; at AXES_FAILURE_LIMIT the pair is locked out."""

    list_display = ["username", "ip_address", "failures_since_start", "locked", "attempt_time"]
    list_filter = ["attempt_time"]
    search_fields = ["username", "ip_address"]
    fields = ["username", "ip_address", "user_agent", "path_info", "failures_since_start",
              "attempt_time"]  # fmt: skip
    readonly_fields = fields
    actions = ["unlock"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # unlock (audited) instead

    def has_unlock_permission(self, request):
        return request.user.has_perm(UNLOCK)

    @admin.display(boolean=True, description="locked out")
    def locked(self, obj):
        return obj.failures_since_start >= settings.AXES_FAILURE_LIMIT

    @admin.action(description="Unlock the selected usernames and addresses", permissions=["unlock"])
    def unlock(self, request, queryset):
        attempts = list(queryset)
        services.unlock(actor=request.user, attempts=attempts)
        messages.success(request, f"Unlocked {len(attempts)}: they may log in again.")
