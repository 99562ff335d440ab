"""Admin of the connection layer: platforms, their endpoints, hub client info, message log."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from . import registration
from .models import HubClientInfo, MessageLog, Platform, PlatformEndpoint


class RegisterForm(forms.Form):
    versions_url = forms.URLField(label="Their versions URL", max_length=255, assume_scheme="https")
    token_a = forms.CharField(
        label="Their token A",
        max_length=64,
        widget=forms.PasswordInput,
        help_text="The registration token they issued; used once, never stored.",
    )


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
    actions = [
        "issue_token_a",
        "register_to_platform",
        "update_credentials",
        "check_connection",
        "unregister_platforms",
        "forget_platforms",
    ]
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
            try:
                _, token_a = registration.invite(name=platform.name)
            except registration.RegistrationError as error:
                self.message_user(request, str(error), messages.ERROR)
                continue
            self.message_user(
                request,
                f"{platform.name}: token A {token_a} — give it to the hub with our versions URL "
                f"{settings.OCPI_BASE_URL}/versions. It is shown only once.",
                messages.WARNING,
            )

    @admin.action(description="Register with it (ToIOP: their versions URL and token A)")
    def register_to_platform(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one platform to register.", messages.ERROR)
            return None
        platform = queryset.get()
        form = RegisterForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._run(
                request,
                platform,
                lambda: registration.register_to(
                    platform=platform,
                    versions_url=form.cleaned_data["versions_url"],
                    token_a=form.cleaned_data["token_a"],
                ),
                "registered",
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"Register with {platform.name}",
            "opts": self.model._meta,
            "platform": platform,
            "form": form,
        }
        return TemplateResponse(request, "admin/roaming/platform/register.html", context)

    @admin.action(description="Update credentials (PUT: new tokens both ways)")
    def update_credentials(self, request, queryset):
        for platform in queryset:
            self._run(
                request, platform, lambda p=platform: registration.update_to(platform=p), "updated"
            )

    @admin.action(description="Check connection (read their versions with our token)")
    def check_connection(self, request, queryset):
        for platform in queryset:
            try:
                self.message_user(request, registration.check_connection(platform=platform))
            except registration.RegistrationError as error:
                self.message_user(request, f"{platform.name}: {error}", messages.ERROR)

    @admin.action(description="Unregister (DELETE to them, then both tokens stop working)")
    def unregister_platforms(self, request, queryset):
        for platform in queryset:
            self._run(
                request,
                platform,
                lambda p=platform: registration.unregister(platform=p, notify_remote=True),
                "unregistered",
            )

    @admin.action(description="Forget locally (unregister without telling them)")
    def forget_platforms(self, request, queryset):
        for platform in queryset:
            registration.unregister(platform=platform, notify_remote=False)
        self.message_user(request, f"{queryset.count()} platform(s) unregistered locally.")

    def _run(self, request, platform, step, done: str) -> None:
        """Run one registration step; its error is shown and nothing was changed."""
        try:
            step()
        except registration.RegistrationError as error:
            self.message_user(
                request,
                f"{platform.name}: not {done} ({error.ocpi_status}): {error}. Nothing changed.",
                messages.ERROR,
            )
        else:
            self.message_user(request, f"{platform.name}: {done}.")


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
