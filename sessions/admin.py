from django.contrib import admin

from .models import Authorization, RemoteStart, Token


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    list_display = [
        "uid",
        "type",
        "country_code",
        "party_id",
        "contract_id",
        "valid",
        "whitelist",
        "last_updated",
    ]
    list_filter = ["type", "valid", "whitelist", "country_code", "party_id"]
    search_fields = ["uid", "contract_id", "visual_number", "issuer"]
    readonly_fields = ["last_updated"]


@admin.register(Authorization)
class AuthorizationAdmin(admin.ModelAdmin):
    """Every decision on a badge (CSMS bridge): read-only, it is what sessions and CDRs use."""

    list_display = [
        "created_at",
        "uid",
        "type",
        "evse",
        "accepted",
        "reason",
        "source",
        "authorization_reference",
        "hub_latency_ms",
        "latency_ms",
    ]
    list_filter = ["accepted", "reason", "source", "type"]
    list_select_related = ["evse"]
    search_fields = ["uid", "id_tag", "authorization_reference", "evse__uid", "evse__evse_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RemoteStart)
class RemoteStartAdmin(admin.ModelAdmin):
    """Remote starts of the last minutes: their tokens skip real-time authorization (15 min)."""

    list_display = ["created_at", "uid", "type", "evse", "charge_point_id"]
    list_select_related = ["evse"]
    search_fields = ["uid", "charge_point_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
