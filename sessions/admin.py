from django.contrib import admin

from roaming.admin_base import ServiceRefusalsOnForm

from .models import Token


@admin.register(Token)
class TokenAdmin(ServiceRefusalsOnForm, admin.ModelAdmin):
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

    def has_delete_permission(self, request, obj=None):
        return False  # eMSPs own their tokens (mod_tokens): they invalidate them, we don't delete
