"""Admin of the connection layer: platforms, their endpoints, hub client info, message log."""

from django.conf import settings
from django.contrib import admin, messages

from . import registration
from .models import HubClientInfo, MessageLog, Platform, PlatformEndpoint


class PlatformEndpointInline(admin.TabularInline):
    model = PlatformEndpoint
    extra = 0
    readonly_fields = ["identifier", "role", "url"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    """The token we send is never shown whole; the one they send is only stored hashed."""

    list_display = ["name", "status", "version", "hub_party", "push_paused", "updated_at"]
    list_filter = ["status", "push_paused"]
    search_fields = ["name", "hub_party_id"]
    inlines = [PlatformEndpointInline]
    actions = ["issue_token_a", "unregister_platforms"]
    readonly_fields = [
        "status",
        "versions_url",
        "version",
        "version_details_url",
        "masked_outgoing_token",
        "roles",
        "hub_country_code",
        "hub_party_id",
        "created_at",
        "updated_at",
    ]
    fields = [
        "name",
        *readonly_fields[:-2],
        "page_limits",
        "session_update_method",
        "connect_timeout",
        "read_timeout",
        "verify_tls",
        "client_certificate",
        "client_key",
        "ip_allowlist",
        "push_paused",
        "coalesce_pushes",
        "created_at",
        "updated_at",
    ]

    @admin.display(description="hub party")
    def hub_party(self, obj):
        return f"{obj.hub_country_code}*{obj.hub_party_id}" if obj.hub_party_id else "—"

    @admin.display(description="token we send")
    def masked_outgoing_token(self, obj):
        return obj.masked_outgoing_token or "—"

    @admin.action(description="Issue a registration token A (Register FromIOP)")
    def issue_token_a(self, request, queryset):
        for platform in queryset:
            _, token_a = registration.invite(name=platform.name)
            self.message_user(
                request,
                f"{platform.name}: token A {token_a} — give it to the hub with our versions URL "
                f"{settings.OCPI_BASE_URL}/versions. It is shown only once.",
                messages.WARNING,
            )

    @admin.action(description="Unregister (both tokens stop working)")
    def unregister_platforms(self, request, queryset):
        for platform in queryset:
            registration.unregister(platform=platform)
        self.message_user(request, f"{queryset.count()} platform(s) unregistered.")


@admin.register(MessageLog)
class MessageLogAdmin(admin.ModelAdmin):
    """Read-only audit of OCPI exchanges; search by correlation id, object id or party."""

    list_display = [
        "created_at",
        "direction",
        "method",
        "url",
        "http_status",
        "ocpi_status",
        "duration_ms",
        "party",
        "correlation_id",
    ]
    list_filter = ["direction", "module", "http_status", "platform"]
    search_fields = ["correlation_id", "request_id", "object_id", "party", "url"]
    list_select_related = ["platform"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(HubClientInfo)
class HubClientInfoAdmin(admin.ModelAdmin):
    """Read-mostly: the hub owns ClientInfo objects (OCPI 2.2.1 mod_hub_client_info)."""

    list_display = ["country_code", "party_id", "role", "status", "last_updated", "platform"]
    list_filter = ["status", "role", "platform"]
    search_fields = ["country_code", "party_id"]
