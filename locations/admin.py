"""Admin for operations staff; every save and action goes through locations.services."""

import json

import nested_admin
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import CharField, Count, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from nested_admin.formsets import NestedInlineFormSet

from roaming import audit
from roaming.admin_base import ServiceRefusalsOnForm
from roaming.models import Operator
from roaming.outbox.models import Stream
from tariffs.selectors import unknown_tariff_ids

from . import enums, push, services
from .admin_rules import EVSERowRules, with_status_rules
from .forms import (
    CONNECTOR_ROW,
    ConnectorForm,
    EVSEForm,
    EVSEInlineForm,
    EVSEStatusActionForm,
    LocationForm,
)
from .missing import explain, held_back
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
    still = " ".join(item.text for item in explain(location))
    return f"Not publishable to Gireve yet (links under Gireve below). Still needed: {still}"


def _held_back_message(location: Location) -> str | None:
    """Issue 19.1: name each EVSE kept from the hub and why; the location itself is not."""
    held = location.held_back_evses()
    if not held:
        return None
    names = "; ".join(f"EVSE {evse} ({', '.join(missing)})" for evse, missing in held)
    rest = "the rest of the location stays shared" if location.is_publishable else "see below"
    return (
        f"Held back from the hub, not sent until complete for Gireve (§3.5.1): {names}. "
        f"Each is sent once complete; {rest}."
    )


def _missing_list(location: Location, items=None):
    """Gireve's missing items as a list of links to what fixes each (locations.missing)."""
    items = explain(location) if items is None else items
    return format_html(
        "<ul>{}</ul>",
        format_html_join("", '<li><a href="{}">{}</a></li>', ((i.url, i.text) for i in items)),
    )


def _held_back_list(location: Location):
    items = held_back(location)
    if not items:
        return ""
    return format_html(
        "<p><strong>EVSEs held back from the hub</strong> (not sent until complete):</p>{}",
        _missing_list(location, items),
    )


@admin.register(Operator)
class OperatorAdmin(ServiceRefusalsOnForm, admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["emi3_id", "name", "website", "advenir_participant", "network_group"]
    search_fields = ["country_code", "party_id", "name"]

    @admin.display(description="operator id", ordering="party_id")
    def emi3_id(self, obj):
        return obj.emi3_id

    def save_model(self, request, obj, form, change):
        services.save_operator(operator=obj)

    def has_delete_permission(self, request, obj=None):
        # An operator with locations or tariffs is known to the hub through them.
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or not (obj.locations.exists() or obj.tariffs.exists()))


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


class EVSEInlineFormSet(EVSERowRules, NestedInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        # Let EVSE.clean() see the operator (evse_id prefix) even on a new location.
        form.instance.location = self.instance
        return form

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if self.instance.operator_id is not None:
            # locations/admin.js proposes <operator>*E<uid> as evse_id (Gireve §3.1.1).
            form.fields["evse_id"].widget.attrs["data-operator"] = self.instance.operator.emi3_id


class ConnectorIdsMixin:
    """Connector ids: the next free one proposed, a repeated one refused on its row.

    The inline excludes `evse`, so the form skips connector_unique_id; without this the
    service's full_clean would refuse it during the save (a 500)."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if index is not None and index >= self.initial_form_count():
            form.fields["ocpi_id"].initial = str(index + 1)

    def clean(self):
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            ocpi_id = (getattr(form, "cleaned_data", None) or {}).get("ocpi_id")
            if not ocpi_id or self._should_delete_form(form):
                continue
            if ocpi_id.upper() in seen:
                form.add_error("ocpi_id", "Another connector of this EVSE has this id.")
            seen.add(ocpi_id.upper())


class ConnectorNestedFormSet(ConnectorIdsMixin, NestedInlineFormSet):
    pass


class ConnectorFormSet(ConnectorIdsMixin, BaseInlineFormSet):
    pass


class ConnectorNestedInline(nested_admin.NestedTabularInline):
    model = Connector
    form = ConnectorForm
    formset = ConnectorNestedFormSet
    fields = [*CONNECTOR_ROW, "max_power_kw"]
    extra = 1
    min_num = 0

    def has_delete_permission(self, request, obj=None):
        # On the location page (audit 2, A6): no "Delete?" where the hub may hold the site,
        # not even for a superuser; `obj` is the location (or the EVSE, as nested_admin goes).
        location = obj.location if isinstance(obj, EVSE) else obj
        allowed = super().has_delete_permission(request, obj)
        return allowed and (location is None or not push.known_to_hub(location))


class EVSEInline(nested_admin.NestedStackedInline):
    """EVSEs with their connectors on the location's page (one submit builds a site)."""

    model = EVSE
    verbose_name, verbose_name_plural = "EVSE", "EVSEs"  # "Add another EVSE", not "Evse"
    form = EVSEInlineForm
    formset = EVSEInlineFormSet
    inlines = [ConnectorNestedInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("uid", "evse_id"),
                    ("status", "physical_reference"),
                    "preset",
                    "capabilities",
                    "tariff_ids",
                ]
            },
        )
    ]
    extra = 0
    can_delete = False  # OCPI: EVSEs are never deleted, set status REMOVED instead
    show_change_link = True


@admin.register(Location)
class LocationAdmin(ServiceRefusalsOnForm, nested_admin.NestedModelAdmin):
    form = LocationForm
    inlines = [EVSEInline]
    # Short enough for 1280 px with the filters (audit item 10).
    list_display = [
        "ocpi_id",
        "name",
        "operator",
        "city",
        "evse_count",
        "hub_state",
        "missing_for_gireve",
        "unknown_tariffs",
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
            .annotate(evse_total=Count("evses", distinct=True), **_hub_annotations())
            .prefetch_related("evses", "operator__tariffs")
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # OCPI: a location's id never changes
            return [*self.readonly_fields, "operator", "ocpi_id"]
        return self.readonly_fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not push.hub_holds(obj):
            return fieldsets
        # Issue 19.1: a save that would withdraw it asks for this box (LocationForm).
        (name, options), *rest = fieldsets
        fields = [*options["fields"], "confirm_withdrawal"]
        return [(name, {**options, "fields": fields}), *rest]

    def has_delete_permission(self, request, obj=None):
        # mod_locations: never deleted once the hub may hold it; EVSEs stay (REMOVED) and
        # with them their location.
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or not (obj.evses.exists() or push.known_to_hub(obj)))

    @admin.display(description="EVSEs", ordering="evse_total")
    def evse_count(self, obj):
        return obj.evse_total

    @admin.display(description="publishable", boolean=True)
    def publishable(self, obj):
        return obj.is_publishable

    @admin.display(description="at the hub", ordering="publish")
    def hub_state(self, obj):
        return hub_words(
            shared=obj.hub_shared,
            ever_sent=obj.hub_ever_sent,
            publish=obj.publish,
            complete=obj.is_publishable,
        )

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
            # What the hub holds too, and which EVSEs wait (per-EVSE publishability).
            return format_html(
                "Complete for Gireve. {} {}", push.hub_state(obj), _held_back_list(obj)
            )
        return format_html(
            "<strong>Not publishable. {}</strong> Still needed:{}{}",
            push.hub_state(obj),  # issue 9.7: withdrawn from the hub, or never sent
            _missing_list(obj),
            _held_back_list(obj),
        )

    @admin.display(description="OCPI Location JSON")
    def ocpi_preview(self, obj):
        if obj.pk is None:
            return "-"
        location = locations_for_ocpi(Location.objects.filter(pk=obj.pk)).get()
        text = json.dumps(location_to_ocpi(location), indent=2, ensure_ascii=False)
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)

    def save_model(self, request, obj, form, change):
        withdrawing = services.would_withdraw(obj)  # confirmed by LocationForm, else refused
        services.save_location(location=obj)
        if withdrawing:
            reason = "unpublished" if not obj.publish else ", ".join(obj.gireve_missing)
            audit.record(
                actor=request.user, action="withdraw_location", objects=[obj], detail=reason
            )

    def save_formset(self, request, form, formset, change):
        # Nested: the EVSE formset comes first, then each EVSE's connector formset.
        if formset.model is Connector:
            for connector in formset.save(commit=False):
                services.save_connector(connector=connector)
            # What History records as deleted is deleted (it was recorded and kept).
            for connector in formset.deleted_objects:
                services.delete_connector(connector=connector)
        else:
            for evse in formset.save(commit=False):
                services.save_evse(evse=evse)
        formset.save_m2m()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        location = form.instance
        services.refresh_publishability(location)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            # Once per page view (a save redirects here): the list with links is in the form.
            location = self.get_object(request, object_id)
            if location is not None and location.gireve_missing:
                messages.warning(request, _missing_message(location))
            held = location and _held_back_message(location)
            if held:
                messages.warning(request, held)
            unknown = location and _unknown_tariffs_message(location)
            if unknown:
                messages.warning(request, unknown)
        return super().change_view(request, object_id, form_url, extra_context)

    class Media:
        js = ["locations/admin.js"]
        css = {"all": ["locations/admin.css"]}

    @admin.action(description="Unpublish selected locations", permissions=["change"])
    def unpublish(self, request, queryset):
        if "confirm" not in request.POST:  # issue 19.1: a withdrawal is named before it happens
            context = {
                **self.admin_site.each_context(request),
                "title": "Unpublish locations (withdraw them from the hub)",
                "opts": self.model._meta,
                "locations": [(loc, push.hub_holds(loc)) for loc in queryset],
                "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            }
            return TemplateResponse(
                request, "admin/locations/location/confirm_unpublish.html", context
            )
        with transaction.atomic():
            locations = list(queryset.select_related("operator"))
            count = services.unpublish_locations(locations=locations)
            audit.record(actor=request.user, action="unpublish", objects=locations)
        self.message_user(request, f"{count} location(s) unpublished.")


class ConnectorInline(admin.TabularInline):
    model = Connector
    form = ConnectorForm
    formset = ConnectorFormSet
    fields = [*CONNECTOR_ROW, "max_power_kw", "terms_and_conditions"]
    extra = 0

    def has_delete_permission(self, request, obj=None):
        # `obj` is the EVSE: the connectors of an EVSE the hub may hold stay.
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or not push.known_to_hub(obj.location))


@admin.register(EVSE)
class EVSEAdmin(ServiceRefusalsOnForm, admin.ModelAdmin):
    form = EVSEForm
    inlines = [ConnectorInline]
    action_form = EVSEStatusActionForm
    actions = ["set_status", "mark_removed"]

    class Media:
        css = {"all": ["locations/admin.css"]}

    list_display = ["__str__", "uid", "location_link", "status", "last_updated"]
    list_filter = ["status", "location__operator"]
    list_select_related = ["location", "location__operator"]
    search_fields = ["evse_id", "uid", "location__ocpi_id", "location__name", "location__city"]
    autocomplete_fields = ["location"]
    readonly_fields = ["location_link", "gireve_status", "last_updated"]
    fields = [
        "location",
        "location_link",
        "gireve_status",
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
        if obj is not None and obj.status == enums.Status.REMOVED:  # final: nothing to choose
            return [*self.readonly_fields, "location", "uid", "status"]
        if obj is not None:  # OCPI: an EVSE's uid never changes, nor does its location
            return [*self.readonly_fields, "location", "uid"]
        return self.readonly_fields

    def get_fields(self, request, obj=None):
        # One "Location" row: the picker while adding, a link back once saved.
        hidden = {"location_link", "gireve_status"} if obj is None else {"location"}
        return [name for name in self.fields if name not in hidden]

    def get_form(self, request, obj=None, change=False, **kwargs):
        return with_status_rules(super().get_form(request, obj, change, **kwargs))

    def has_delete_permission(self, request, obj=None):
        return False  # mod_locations: EVSEs are never deleted; set status REMOVED instead

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
        # Saving returns to the location, whose page says what Gireve still needs.
        services.refresh_publishability(form.instance.location)

    @admin.display(description="Gireve")
    def gireve_status(self, obj):
        if obj.pk is None or obj.location_id is None:
            return "-"
        location = obj.location
        if location.is_publishable:
            return "Its location is complete for Gireve."
        return format_html(
            'Its location <a href="{}">{}</a> still needs:{}',
            reverse("admin:locations_location_change", args=[location.pk]),
            location,
            _missing_list(location),
        )

    def _back_to_location(self, request, obj):
        """Saving an EVSE returns to its location (where the rest of the site is edited)."""
        if "_continue" in request.POST or "_addanother" in request.POST:
            return None
        return HttpResponseRedirect(
            reverse("admin:locations_location_change", args=[obj.location_id])
        )

    def response_change(self, request, obj):
        response = super().response_change(request, obj)
        return self._back_to_location(request, obj) or response

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        return self._back_to_location(request, obj) or response

    @admin.action(description="Set status of selected EVSEs", permissions=["change"])
    def set_status(self, request, queryset):
        status = request.POST.get("status")
        if not status:
            self.message_user(request, "Choose a status next to the action.", messages.ERROR)
            return None
        if status == enums.Status.REMOVED and "confirm" not in request.POST:
            return self._confirm_removed(request, queryset, "set_status")
        try:
            with transaction.atomic():  # all selected EVSEs or none
                for evse in queryset:
                    try:
                        services.set_evse_status(evse=evse, status=status)
                    except ValidationError as exc:
                        problem = "; ".join(exc.messages)
                        raise ValidationError(f"EVSE {evse}: {problem}") from None
                audit.record(
                    actor=request.user, action="evse_status", objects=queryset, detail=status
                )
        except ValidationError as exc:
            self.message_user(request, f"{exc.messages[0]} Nothing was changed.", messages.ERROR)
            return None
        self.message_user(request, f"{queryset.count()} EVSE(s) set to {status}.")
        return None

    @admin.action(description="Mark selected EVSEs as REMOVED", permissions=["change"])
    def mark_removed(self, request, queryset):
        if "confirm" not in request.POST:
            return self._confirm_removed(request, queryset, "mark_removed")
        with transaction.atomic():
            for evse in queryset:
                services.remove_evse(evse=evse)
            audit.record(actor=request.user, action="evse_removed", objects=queryset)
        self.message_user(request, f"{queryset.count()} EVSE(s) marked REMOVED.")
        return None

    def _confirm_removed(self, request, queryset, action: str):
        """REMOVED is final (mod_locations): say so and ask before setting it."""
        context = {
            **self.admin_site.each_context(request),
            "title": "Mark EVSEs as REMOVED (final)",
            "opts": self.model._meta,
            "evses": queryset.select_related("location"),
            "action": action,
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "admin/locations/evse/confirm_removed.html", context)


# --- what the hub holds, in words (audit 2, 1a: "shared" said of locations never sent) ------


def _hub_annotations() -> dict:
    """hub_shared / hub_ever_sent per location from its streams' "synced" memo (written with
    every whole PUT and withdrawal, locations.push): two EXISTS, no query per row."""
    streams = Stream.objects.filter(
        key=Concat(Value("location:"), Cast(OuterRef("pk"), CharField())),
        module=push.MODULE,
    )
    return {
        "hub_shared": Exists(streams.filter(memo__synced=True)),
        "hub_ever_sent": Exists(streams.filter(memo__has_key="synced")),
    }


def hub_words(*, shared: bool, ever_sent: bool, publish: bool, complete: bool) -> str:
    """The hub's copy first (shared / withdrawn / never sent), then why it waits, if it does."""
    held = "shared" if shared else "withdrawn" if ever_sent else "never sent"
    waiting = [
        word for word, why in (("unpublished", not publish), ("incomplete", not complete)) if why
    ]
    return f"{held} ({', '.join(waiting)})" if waiting and not shared else held
