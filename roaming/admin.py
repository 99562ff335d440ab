"""Admin of the connection layer.

Created by B1 for HubClientInfo; B2 owns this file and adds Platform and MessageLog here.
"""

from django.contrib import admin

from .models import HubClientInfo


@admin.register(HubClientInfo)
class HubClientInfoAdmin(admin.ModelAdmin):
    """Read-mostly: the hub owns ClientInfo objects (OCPI 2.2.1 mod_hub_client_info)."""

    list_display = ["country_code", "party_id", "role", "status", "last_updated", "platform"]
    list_filter = ["status", "role", "platform"]
    search_fields = ["country_code", "party_id"]
