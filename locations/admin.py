"""Admin for operations staff; every save and action goes through locations.services."""

import json

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from roaming.models import Operator
from tariffs.selectors import unknown_tariff_ids

from . import push, services
from .forms import EVSEForm, EVSEInlineForm, EVSEStatusActionForm, LocationForm
from .models import EVSE, Connector, Location
from .ocpi import location_to_ocpi
from .selectors import locations_for_ocpi


def _unknown_tariffs_message(location: Location) -> str | None:
    unknown = unknown_tariff_ids(location)
    if not unknown:
        return None
    # Gireve §3.10: an EVSE tariff group must name tariffs the hub knows.
    return f"EVSEs name tariff ids that {location.operator.emi3_id} has no tariff for: " + (
        ", ".join(unknown)
    )


def _missing_message(location: Location) -> str:
    return "Not publishable to Gireve, missing: " + "; ".join(location.gireve_missing)


@admin.register(Operator)
class OperatorAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["emi3_id", "name", "website", "advenir_participant", "network_group"]
    search_fields = ["country_code", "party_id", "name"]

    @admin.display(description="operator id", ordering="party_id")
    def emi3_id(self, obj):
        return obj.emi3_id

    def save_model(self, request, obj, form, change):
        services.save_operator(operator=obj)


class PublishableFilter(admin.SimpleListFilter):
    title = "publishable to Gireve"
    parameter_name = "publishable"

    def lookups(self, request, model_admin):
        return [("yes", "Publishable"), ("no", "Not publishable")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(gireve_missing=[])
        if self.value() == "no":
            return queryset.exclude(gireve_missing=[])
        return queryset


class EVSEInlineFormSet(BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        # Let EVSE.clean() see the operator (evse_id prefix) even on a new location.
        form.instance.location = self.instance
        return form


class EVSEInline(admin.TabularInline):
    model = EVSE
    form = EVSEInlineForm
    formset = EVSEInlineFormSet
    fields = ["uid", "evse_id", "status", "physical_reference", "tariff_ids"]
    extra = 0
    can_delete = False  # OCPI: EVSEs are never deleted, set status REMOVED instead
    show_change_link = True


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    form = LocationForm
    inlines = [EVSEInline]
    list_display = [
        "ocpi_id",
        "name",
        "operator",
        "city",
        "evse_count",
        "publish",
        "publishable",
        "missing_for_gireve",
        "unknown_tariffs",
        "last_updated",
    ]
    list_filter = ["operator", "evses__status", "publish", PublishableFilter]
    list_select_related = ["operator"]
    search_fields = [
        "ocpi_id",
        "name",
        "address",
        "city",
        "postal_code",
        "evses__evse_id",
        "evses__uid",
    ]
    actions = ["unpublish"]
    readonly_fields = ["gireve_status", "last_updated", "ocpi_preview"]
    fieldsets = [
        (None, {"fields": ["gireve_status", "operator", "ocpi_id", "name", "publish"]}),
        (
            "Address",
            {
                "fields": [
                    "address",
                    "city",
                    "postal_code",
                    "state",
                    "country",
                    "latitude",
                    "longitude",
                    "time_zone",
                    "parking_type",
                ]
            },
        ),
        ("Owner (required by Gireve)", {"fields": ["owner_name", "owner_website"]}),
        (
            "Details",
            {
                "classes": ["collapse"],
                "fields": [
                    "facilities",
                    "opening_times",
                    "charging_when_closed",
                    "operator_details",
                    "suboperator",
                    "directions",
                    "related_locations",
                    "images",
                    "energy_mix",
                    "publish_allowed_to",
                ],
            },
        ),
        (
            "As the hub sees it",
            {"classes": ["collapse"], "fields": ["last_updated", "ocpi_preview"]},
        ),
    ]

    def get_queryset(self, request):
        # The unknown tariff ids column reads EVSEs and the operator's tariffs: prefetched.
        return (
            super()
            .get_queryset(request)
            .annotate(evse_total=Count("evses", distinct=True))
            .prefetch_related("evses", "operator__tariffs")
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # OCPI: a location's id never changes
            return [*self.readonly_fields, "operator", "ocpi_id"]
        return self.readonly_fields

    @admin.display(description="EVSEs", ordering="evse_total")
    def evse_count(self, obj):
        return obj.evse_total

    @admin.display(description="publishable", boolean=True)
    def publishable(self, obj):
        return obj.is_publishable

    @admin.display(description="missing for Gireve")
    def missing_for_gireve(self, obj):
        missing = obj.gireve_missing
        if len(missing) > 2:
            return f"{missing[0]}; {missing[1]}; and {len(missing) - 2} more"
        return "; ".join(missing) or "-"

    @admin.display(description="unknown tariff ids")
    def unknown_tariffs(self, obj):
        return ", ".join(unknown_tariff_ids(obj)) or "-"

    @admin.display(description="Gireve")
    def gireve_status(self, obj):
        if obj.pk is None:
            return "Saved locations are checked against Gireve's requirements (§3.5.1)."
        if obj.is_publishable:
            return "Complete for Gireve."
        return format_html(
            "<strong>Not publishable. {}</strong> Missing:<ul>{}</ul>",
            push.hub_state(obj),  # issue 9.7: withdrawn from the hub, or never sent
            format_html_join("", "<li>{}</li>", ((item,) for item in obj.gireve_missing)),
        )

    @admin.display(description="OCPI Location JSON")
    def ocpi_preview(self, obj):
        if obj.pk is None:
            return "-"
        location = locations_for_ocpi(Location.objects.filter(pk=obj.pk)).get()
        text = json.dumps(location_to_ocpi(location), indent=2, ensure_ascii=False)
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)

    def save_model(self, request, obj, form, change):
        services.save_location(location=obj)

    def save_formset(self, request, form, formset, change):
        for evse in formset.save(commit=False):
            services.save_evse(evse=evse)
        formset.save_m2m()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        location = form.instance
        services.refresh_publishability(location)
        if location.gireve_missing:
            messages.warning(request, _missing_message(location))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            location = self.get_object(request, object_id)
            if location is not None and location.gireve_missing:
                messages.warning(request, _missing_message(location))
            unknown = location and _unknown_tariffs_message(location)
            if unknown:
                messages.warning(request, unknown)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Unpublish selected locations", permissions=["change"])
    def unpublish(self, request, queryset):
        count = services.unpublish_locations(locations=queryset.select_related("operator"))
        self.message_user(request, f"{count} location(s) unpublished.")


class ConnectorInline(admin.TabularInline):
    model = Connector
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = [
        "ocpi_id",
        "standard",
        "format",
        "power_type",
        "max_voltage",
        "max_amperage",
        "max_electric_power",
        "terms_and_conditions",
    ]
    extra = 0


@admin.register(EVSE)
class EVSEAdmin(admin.ModelAdmin):
    form = EVSEForm
    inlines = [ConnectorInline]
    action_form = EVSEStatusActionForm
    actions = ["set_status", "mark_removed"]
    list_display = ["__str__", "uid", "location_link", "status", "last_updated"]
    list_filter = ["status", "location__operator"]
    list_select_related = ["location", "location__operator"]
    search_fields = ["evse_id", "uid", "location__ocpi_id", "location__name", "location__city"]
    autocomplete_fields = ["location"]
    readonly_fields = ["location_link", "last_updated"]
    fields = [
        "location",
        "location_link",
        "uid",
        "evse_id",
        "status",
        "capabilities",
        "tariff_ids",
        "parking_restrictions",
        "physical_reference",
        "floor_level",
        "latitude",
        "longitude",
        "status_schedule",
        "directions",
        "images",
        "last_updated",
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # OCPI: an EVSE's uid never changes, nor does its location
            return [*self.readonly_fields, "location", "uid"]
        return self.readonly_fields

    @admin.display(description="location", ordering="location__ocpi_id")
    def location_link(self, obj):
        if obj.location_id is None:
            return "-"
        url = reverse("admin:locations_location_change", args=[obj.location_id])
        return format_html('<a href="{}">{}</a>', url, obj.location)

    def save_model(self, request, obj, form, change):
        services.save_evse(evse=obj)

    def save_formset(self, request, form, formset, change):
        for connector in formset.save(commit=False):
            services.save_connector(connector=connector)
        for connector in formset.deleted_objects:
            services.delete_connector(connector=connector)
        formset.save_m2m()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        location = form.instance.location
        services.refresh_publishability(location)
        if location.gireve_missing:
            messages.warning(request, _missing_message(location))

    @admin.action(description="Set status of selected EVSEs", permissions=["change"])
    def set_status(self, request, queryset):
        status = request.POST.get("status")
        if not status:
            self.message_user(request, "Choose a status next to the action.", messages.ERROR)
            return
        try:
            with transaction.atomic():  # all selected EVSEs or none
                for evse in queryset:
                    try:
                        services.set_evse_status(evse=evse, status=status)
                    except ValidationError as exc:
                        problem = "; ".join(exc.messages)
                        raise ValidationError(f"EVSE {evse}: {problem}") from None
        except ValidationError as exc:
            self.message_user(request, f"{exc.messages[0]} Nothing was changed.", messages.ERROR)
            return
        self.message_user(request, f"{queryset.count()} EVSE(s) set to {status}.")

    @admin.action(description="Mark selected EVSEs as REMOVED", permissions=["change"])
    def mark_removed(self, request, queryset):
        for evse in queryset:
            services.remove_evse(evse=evse)
        self.message_user(request, f"{queryset.count()} EVSE(s) marked REMOVED.")
