"""Admin for tariffs; every save and action goes through tariffs.services."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from roaming import audit
from roaming.admin_base import ServiceRefusalsOnForm, permission_view
from roaming.ocpi_json import dumps

from . import selectors, services
from .forms import AssignTariffsForm, ChangePricesForm, TariffForm
from .models import IDENTITY, MUTABLE_WHEN_PUBLISHED, Tariff
from .ocpi import tariff_to_ocpi


@admin.register(Tariff)
class TariffAdmin(ServiceRefusalsOnForm, admin.ModelAdmin):
    form = TariffForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    # Short enough for 1280 px with the filters (audit item 10): state before the rest.
    list_display = [
        "ocpi_id",
        "target",
        "operator",
        "type",
        "start_date_time",
        "end_date_time",
        "state",
        "forwarded",
    ]
    list_filter = ["operator", "type", "currency"]
    list_select_related = ["operator"]
    search_fields = ["ocpi_id", "target_operator_country_code", "target_operator_party_id"]
    actions = ["change_prices", "withdraw"]
    readonly_fields = ["gireve_status", "published_at", "withdrawn_at", "last_updated", "preview"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "gireve_status",
                    "operator",
                    "ocpi_id",
                    ("target_operator_country_code", "target_operator_party_id"),
                    "type",
                    "currency",
                    ("start_date_time", "end_date_time"),
                ]
            },
        ),
        ("Prices", {"fields": ["elements", "min_price", "max_price"]}),
        ("Texts", {"fields": ["tariff_alt_text", "tariff_alt_url", "energy_mix"]}),
        (
            "As the hub sees it",
            {
                "classes": ["collapse"],
                "fields": ["published_at", "withdrawn_at", "last_updated", "preview"],
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        # Prices stay editable on a published tariff so that a change is refused with
        # Gireve's explanation (§3.10.2, Tariff.clean) rather than silently ignored.
        return [*self.readonly_fields, *IDENTITY]

    def has_change_permission(self, request, obj=None):
        # A withdrawn tariff is history (pricing of past sessions): view only.
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.withdrawn_at is None)

    def has_delete_permission(self, request, obj=None):
        # Only drafts never published may go; published tariffs are withdrawn (DELETE to the
        # hub) instead, and stay for pricing past sessions.
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or (obj.published_at is None and obj.withdrawn_at is None))

    def has_change_prices_permission(self, request):
        return request.user.has_perm("tariffs.change_prices")

    def has_withdraw_tariff_permission(self, request):
        return request.user.has_perm("tariffs.withdraw_tariff")

    @admin.display(description="eMSP")
    def target(self, obj):
        return obj.target_label

    @admin.display(description="publishable", boolean=True)
    def publishable(self, obj):
        return obj.is_publishable

    @admin.display(description="forwarded to eMSPs", boolean=True)
    def forwarded(self, obj):
        return obj.forwarded_to_emsps

    @admin.display(description="state")
    def state(self, obj):
        if obj.withdrawn_at:
            return "withdrawn"
        if obj.is_published:
            return "published"
        return "draft"

    @admin.display(description="Gireve")
    def gireve_status(self, obj):
        notes = []
        if obj.pk is None:
            notes.append("Without start_date_time a tariff is saved as a draft (Gireve §3.10.3).")
        elif obj.withdrawn_at:
            notes.append("Withdrawn from the hub: kept for pricing past sessions.")
        elif not obj.is_publishable:
            notes.append(
                "Not publishable, never pushed: Gireve requires start_date_time (§3.10.3)."
            )
        elif obj.is_published:
            notes.append(
                "Published: Gireve §3.10.2 allows changing only "
                + ", ".join(sorted(MUTABLE_WHEN_PUBLISHED))
                + '. To change prices use the action "Change prices from a date".'
            )
        if obj.pk is not None and not obj.forwarded_to_emsps:
            notes.append(
                f"{obj.type} tariffs are stored by Gireve but not forwarded to eMSPs (§2.3.2)."
            )
        return format_html_join("", "<p>{}</p>", ((note,) for note in notes))

    @admin.display(description="OCPI Tariff JSON")
    def preview(self, obj):
        if obj.pk is None:
            return "-"
        # What is stored, not the form's refused input (a bad value crashed the page).
        text = dumps(tariff_to_ocpi(Tariff.objects.get(pk=obj.pk)), indent=2)
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)

    def save_model(self, request, obj, form, change):
        services.save_tariff(tariff=obj)
        if not obj.is_publishable and obj.withdrawn_at is None:
            messages.warning(request, f"Tariff {obj} is a draft: set start_date_time to publish.")
        if not obj.forwarded_to_emsps:
            messages.warning(
                request, f"{obj.type} tariffs are not forwarded to eMSPs by Gireve (§2.3.2)."
            )

    # --- actions -----------------------------------------------------------

    def _one_tariff_id(self, request, queryset):
        ids = {(t.operator_id, t.ocpi_id.upper()) for t in queryset}
        if len(ids) != 1:
            self.message_user(request, "Select the descriptions of one tariff id.", messages.ERROR)
            return None
        return queryset.first()

    @admin.action(
        description="Change prices from a date (Gireve §3.10.1)", permissions=["change_prices"]
    )
    def change_prices(self, request, queryset):
        tariff = self._one_tariff_id(request, queryset)
        if tariff is None:
            return None
        descriptions = list(
            selectors.descriptions(tariff.operator, tariff.ocpi_id).filter(withdrawn_at=None)
        )
        form = ChangePricesForm(
            request.POST if "apply" in request.POST else None, descriptions=descriptions
        )
        if "apply" in request.POST and form.is_valid():
            try:
                with transaction.atomic():
                    change = services.change_prices_from(
                        operator=tariff.operator,
                        tariff_id=tariff.ocpi_id,
                        new_id=form.cleaned_data["new_id"],
                        start=form.cleaned_data["start_date_time"],
                        elements=form.elements(),
                    )
                    audit.record(
                        actor=request.user,
                        action="change_prices",
                        objects=[*descriptions, *change.new_tariffs],
                        detail=f"{tariff.ocpi_id} → {change.new_tariffs[0].ocpi_id} from "
                        f"{form.cleaned_data['start_date_time']}",
                    )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                self.message_user(
                    request,
                    f"Tariff {change.new_tariffs[0].ocpi_id} created from "
                    f"{form.cleaned_data['start_date_time']}; {tariff.ocpi_id} ends then; "
                    f"{len(change.evses)} EVSE(s) now name both.",
                )
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"Change prices of tariff {tariff.ocpi_id}",
            "opts": self.model._meta,
            "form": form,
            "tariff": tariff,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "admin/tariffs/tariff/change_prices.html", context)

    @admin.action(
        description="Withdraw selected tariff ids from the hub", permissions=["withdraw_tariff"]
    )
    def withdraw(self, request, queryset):
        count = 0
        with transaction.atomic():
            for operator, tariff_id in {(t.operator, t.ocpi_id.upper()) for t in queryset}:
                count += services.withdraw_tariff(operator=operator, tariff_id=tariff_id)
            audit.record(actor=request.user, action="withdraw", objects=queryset)
        self.message_user(request, f"{count} description(s) withdrawn.")

    # --- EVSE tariff groups --------------------------------------------------

    def get_urls(self):
        # Assigning changes EVSEs (their tariff_ids): the EVSE change permission.
        view = permission_view(self, self.assign_evses_view, "locations.change_evse")
        return [
            path("assign-evses/", view, name="tariffs_tariff_assign_evses"),
            *super().get_urls(),
        ]

    def assign_evses_view(self, request):
        """Gireve §3.5.3: give EVSE groups (location, operator, power class) their tariffs."""
        form = AssignTariffsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            evses = selectors.evses_in_group(
                location=data["location"],
                operator=data["operator"],
                power_class_name=data["power_class"] or None,
            )
            try:
                with transaction.atomic():
                    changed = services.assign_tariff_group(
                        evses=evses, tariff_ids=data["tariff_ids"], add=data["add"]
                    )
                    audit.record(
                        actor=request.user,
                        action="assign_tariffs",
                        objects=evses,
                        detail=("added " if data["add"] else "set ")
                        + ", ".join(data["tariff_ids"]),
                    )
            except ValidationError as exc:
                form.add_error(None, [*exc.messages, "Nothing was changed."])
            else:
                self.message_user(
                    request,
                    f"{changed} of {len(evses)} EVSE(s) updated with tariff ids "
                    f"{', '.join(data['tariff_ids'])}.",
                )
                return redirect(reverse("admin:tariffs_tariff_assign_evses"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Assign tariffs to EVSEs",
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/tariffs/tariff/assign_evses.html", context)
