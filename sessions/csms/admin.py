"""Ops screens of the CSMS bridge: CSMS records (key shown once, rotation), EVSE mappings, the
last status per EVSE and the CSMS transactions with what became of them (read-only; the
authorizations, sessions and CDRs are in sessions/admin.py).

Staff actions leave an entry in the audit trail (roaming.audit: the admin history too).
"""

from django.contrib import admin, messages
from django.db import models, transaction

from roaming import audit
from roaming.admin_base import ReadOnlyAdmin

from . import services
from .lookups import forget_csms, forget_mapping
from .models import Csms, EvseMapping, EvseStatusReport, Transaction

KEY_MESSAGE = (
    "API key of {name}: {key} — copy it now, it is shown only once "
    "(the CSMS sends it as 'Authorization: Bearer <key>')."
)


class EvseMappingInline(admin.TabularInline):
    model = EvseMapping
    extra = 0
    raw_id_fields = ["evse"]  # autocomplete re-renders an invalid id with a 500 (Django)


@admin.register(Csms)
class CsmsAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "active", "key_hint", "key_rotated_at", "created_at"]
    list_filter = ["active"]
    search_fields = ["name"]
    filter_horizontal = ["operators", "locations"]
    readonly_fields = ["key_hint", "key_rotated_at", "created_at"]
    fields = [
        "name",
        "active",
        "operators",
        "locations",
        "command_url",
        "key_hint",
        "key_rotated_at",
        "created_at",
    ]
    inlines = [EvseMappingInline]
    actions = ["rotate_key"]

    def delete_queryset(self, request, queryset):
        forget_csms(queryset.values_list("key_hash", flat=True))  # cached keys stop at once
        super().delete_queryset(request, queryset)

    def save_model(self, request, obj, form, change):
        key = services.save_csms(csms=obj)  # operators/locations follow in save_related
        if key is not None:
            self.message_user(request, KEY_MESSAGE.format(name=obj, key=key), messages.WARNING)

    @admin.action(
        description="Issue a new API key (the old one stops working)", permissions=["rotate"]
    )
    def rotate_key(self, request, queryset):
        for csms in queryset:
            with transaction.atomic():
                key = services.rotate_key(csms=csms)
                audit.record(actor=request.user, action="rotate_csms_key", objects=[csms])
            self.message_user(request, KEY_MESSAGE.format(name=csms, key=key), messages.WARNING)

    def has_rotate_permission(self, request):
        return request.user.has_perm("csms.rotate_csms_key")


@admin.register(EvseMapping)
class EvseMappingAdmin(admin.ModelAdmin):
    list_display = ["charge_point_id", "connector_id", "evse", "csms"]
    list_filter = ["csms"]
    list_select_related = ["evse__location", "csms"]
    search_fields = ["charge_point_id", "evse__uid", "evse__evse_id", "evse__location__ocpi_id"]
    raw_id_fields = ["evse"]  # autocomplete re-renders an invalid id with a 500 (Django)

    def delete_queryset(self, request, queryset):
        for mapping in queryset.values("csms_id", "charge_point_id", "connector_id"):
            forget_mapping(**mapping)  # cached OCPP ids stop naming the EVSE at once
        super().delete_queryset(request, queryset)


@admin.register(EvseStatusReport)
class EvseStatusReportAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The last status each EVSE's CSMS reported and we applied."""

    list_display = ["evse", "csms_status", "error_code", "ocpi_status", "reported_at"]
    list_select_related = ["evse"]
    search_fields = ["evse__uid", "evse__evse_id"]


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Every transaction a CSMS started, reported or not, and why: ops answer "why did the
    hub get no session for this charge?" here. Written only by the bridge's events."""

    list_display = [
        "transaction_id",
        "csms",
        "evse",
        "reporting",
        "started_at",
        "stopped_at",
        "ev_left_at",
        "session",
    ]
    list_filter = ["reporting", "csms"]
    list_select_related = ["csms", "evse", "session"]
    search_fields = ["transaction_id", "id_tag", "evse__uid", "evse__evse_id", "session__ocpi_id"]
    date_hierarchy = "started_at"
    ordering = ["-started_at", "-pk"]
