"""Admin for tariffs; every save and action goes through tariffs.services."""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from roaming import audit
from roaming.admin_base import ServiceRefusalsOnForm, permission_view
from roaming.models import Operator
from roaming.ocpi_json import dumps

from . import ocpi_classes as oc
from . import selectors, services
from .form_fields import PricesField
from .forms import AssignTariffsForm, ChangePricesForm, PublishForm, TariffForm
from .models import FROZEN_WHEN_PUBLISHED, IDENTITY, MUTABLE_WHEN_PUBLISHED, Tariff
from .ocpi import tariff_to_ocpi
from .wording import describe_elements, problem_in_words


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
        "starts",
        "ends",
        "state",
        "forwarded",
    ]
    list_filter = ["operator", "type", "currency"]
    list_select_related = ["operator"]
    search_fields = ["ocpi_id", "target_operator_country_code", "target_operator_party_id"]
    actions = ["change_prices", "withdraw"]
    readonly_fields = [
        "gireve_status",
        "applies_from",
        "ends_at",
        "in_words",
        "published_at",
        "withdrawn_at",
        "last_updated",
        "preview",
    ]
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
                    ("applies_from", "end_date_time"),
                ]
            },
        ),
        ("Prices", {"fields": ["in_words", "elements", "min_price", "max_price"]}),
        ("Texts", {"fields": ["tariff_alt_text", "tariff_alt_url", "energy_mix"]}),
        (
            "As the hub sees it",
            {
                "classes": ["collapse"],
                "fields": ["published_at", "withdrawn_at", "last_updated", "preview"],
            },
        ),
    ]

    # --- one time zone on screen: the operator's (audit 2, A3, A18) -------------------------
    # Tariff times are shown and typed in the operator's zone (as Publish and Change prices
    # take them), named on the page; the database and OCPI keep UTC (roaming.ocpi_time).

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with timezone.override(self._form_zone(request, object_id)):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()  # while the zone is active: the page's times are in it
        return response

    def _form_zone(self, request, object_id) -> str:
        tariff = self.get_object(request, object_id) if object_id else None
        operator = tariff.operator if tariff else None
        if operator is None:
            chosen = str(request.POST.get("operator") or request.GET.get("operator") or "")
            # Whatever was posted (a bad value is the form's to refuse, not a server error).
            operator = Operator.objects.filter(pk=chosen).first() if chosen.isdigit() else None
        if operator is None:
            operator = Operator.objects.order_by("pk").first()  # most installs have one
        return selectors.operator_time_zone(operator) if operator else settings.TIME_ZONE

    def changelist_view(self, request, extra_context=None):
        # A few operators: their zones read once per page, not once per row.
        self._zones = {op.pk: selectors.operator_time_zone(op) for op in Operator.objects.all()}
        return super().changelist_view(request, extra_context)

    def _local(self, obj, value) -> str:
        if value is None:
            return "-"
        zones = getattr(self, "_zones", {})
        zone = zones.get(obj.operator_id) or selectors.operator_time_zone(obj.operator)
        local = value.astimezone(zoneinfo.ZoneInfo(zone))
        return format_html('<span title="{}">{}</span>', zone, f"{local:%Y-%m-%d %H:%M %Z}")

    @admin.display(description="starts (local)", ordering="start_date_time")
    def starts(self, obj):
        return self._local(obj, obj.start_date_time)

    @admin.display(description="ends (local)", ordering="end_date_time")
    def ends(self, obj):
        return self._local(obj, obj.end_date_time)

    @admin.display(description="Applies from")
    def applies_from(self, obj):
        return _named_local(obj.start_date_time, "- (set by Publish)")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        # The status note points to "Change prices" only for who has it (audit 2, B8).
        obj.may_change_prices = self.has_change_prices_permission(request)
        if obj.is_published:
            # Gireve §3.10.2: shown read-only; prices change with "Change prices from a date".
            return [*self.readonly_fields, *IDENTITY, *FROZEN_WHEN_PUBLISHED]
        return [*self.readonly_fields, *IDENTITY]

    @admin.display(description="Ends")
    def ends_at(self, obj):
        return _named_local(obj.end_date_time, "-")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            # Shown, not typed: the end in the operator's zone, named.
            fieldsets = [
                (name, {**opts, "fields": [_swap_end(f) for f in opts["fields"]]})
                for name, opts in fieldsets
            ]
        if obj is not None and (obj.is_published or not self.has_change_permission(request, obj)):
            return fieldsets  # read-only: the words, then the elements
        # While editing, the editor shows the words itself.
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f != "in_words"]})
            for name, opts in fieldsets
        ]

    @admin.display(description="In words")
    def in_words(self, obj):
        if obj.pk is None or not obj.elements:
            return "-"
        return describe_elements(obj.elements, obj.currency)

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
            notes.append("A new tariff is a draft: publish it with the Publish button once saved.")
        elif obj.withdrawn_at:
            notes.append("Withdrawn from the hub: kept for pricing past sessions.")
        elif not obj.is_publishable:
            notes.append("Draft, never pushed: use Publish to choose from when it applies.")
        elif obj.is_published:
            notes.append(
                "Published: Gireve §3.10.2 allows changing only "
                + ", ".join(sorted(MUTABLE_WHEN_PUBLISHED))
                + (
                    '. To change prices use "Change prices from a date".'
                    if getattr(obj, "may_change_prices", False)
                    else "."
                )
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
            messages.warning(
                request, f"Tariff {obj} is a draft: use Publish to share it with the hub."
            )
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
        return redirect("admin:tariffs_tariff_change_prices", tariff.pk)

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
        def view(function, permission: str):
            return permission_view(self, function, permission)

        return [
            # Assigning changes EVSEs (their tariff_ids): the EVSE change permission.
            path(
                "assign-evses/",
                view(self.assign_evses_view, "locations.change_evse"),
                name="tariffs_tariff_assign_evses",
            ),
            path(
                "describe/",
                view(self.describe_view, "tariffs.change_tariff"),
                name="tariffs_tariff_describe",
            ),
            path(
                "<int:pk>/publish/",
                view(self.publish_view, "tariffs.change_tariff"),
                name="tariffs_tariff_publish",
            ),
            path(
                "<int:pk>/withdraw/",
                view(self.withdraw_view, "tariffs.withdraw_tariff"),
                name="tariffs_tariff_withdraw",
            ),
            path(
                "<int:pk>/change-prices/",
                view(self.change_prices_view, "tariffs.change_prices"),
                name="tariffs_tariff_change_prices",
            ),
            *super().get_urls(),
        ]

    # --- one tariff: publish, withdraw, change prices (each confirmed) -----------

    def _tariff_for_change(self, request, pk) -> Tariff:
        tariff = get_object_or_404(Tariff.objects.select_related("operator"), pk=pk)
        # Declared permission: tariffs.change_tariff (and not withdrawn, see has_change_...).
        if not self.has_change_permission(request, tariff):
            raise PermissionDenied
        return tariff

    def _page(self, request, template, title, **context):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            **context,
        }
        return TemplateResponse(request, f"admin/tariffs/tariff/{template}", context)

    def publish_view(self, request, pk):
        """Gireve §3.10.3: a draft is shared once it has a start_date_time; confirmed here."""
        tariff = self._tariff_for_change(request, pk)
        change_url = reverse("admin:tariffs_tariff_change", args=[tariff.pk])
        if tariff.is_published:
            self.message_user(request, f"Tariff {tariff} is already published.", messages.INFO)
            return redirect(change_url)
        zone = selectors.operator_time_zone(tariff.operator)
        form = PublishForm(request.POST or None, time_zone=zone)
        if request.method == "POST" and form.is_valid():
            tariff.start_date_time = form.cleaned_data["start_date_time"]
            try:
                with transaction.atomic():
                    services.save_tariff(tariff=tariff)
                    audit.record(
                        actor=request.user,
                        action="publish",
                        objects=[tariff],
                        detail=f"from {tariff.start_date_time.isoformat()}",
                    )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                self.message_user(request, f"Tariff {tariff} published: the hub receives it.")
                return redirect(change_url)
        return self._page(
            request,
            "publish.html",
            f"Publish tariff {tariff}",
            tariff=tariff,
            form=form,
            time_zone=zone,
            in_words=describe_elements(tariff.elements, tariff.currency),
            evse_count=selectors.referencing_evses(tariff.operator, tariff.ocpi_id).count(),
        )

    def withdraw_view(self, request, pk):
        """OCPI mod_tariffs DELETE for every description of the id (rows kept for pricing)."""
        tariff = self._tariff_for_change(request, pk)
        descriptions = list(
            selectors.descriptions(tariff.operator, tariff.ocpi_id).filter(withdrawn_at=None)
        )
        evses = list(selectors.referencing_evses(tariff.operator, tariff.ocpi_id))
        if request.method == "POST":
            with transaction.atomic():
                count = services.withdraw_tariff(operator=tariff.operator, tariff_id=tariff.ocpi_id)
                audit.record(
                    actor=request.user,
                    action="withdraw",
                    objects=descriptions,
                    detail=tariff.ocpi_id,
                )
            self.message_user(request, f"{count} description(s) of {tariff.ocpi_id} withdrawn.")
            return redirect("admin:tariffs_tariff_changelist")
        return self._page(
            request,
            "withdraw.html",
            f"Withdraw tariff {tariff.ocpi_id}",
            tariff=tariff,
            descriptions=descriptions,
            evses=evses,
        )

    def change_prices_view(self, request, pk):
        """Gireve §3.10.1: new tariff from a date; previewed, then confirmed."""
        tariff = self._tariff_for_change(request, pk)
        descriptions = list(
            selectors.descriptions(tariff.operator, tariff.ocpi_id).filter(withdrawn_at=None)
        )
        zone = selectors.operator_time_zone(tariff.operator)
        posted = request.method == "POST"
        form = ChangePricesForm(
            request.POST if posted else None, descriptions=descriptions, time_zone=zone
        )
        preview = None
        if posted and form.is_valid():
            data = form.cleaned_data

            def change_prices():
                return services.change_prices_from(
                    operator=tariff.operator,
                    tariff_id=tariff.ocpi_id,
                    new_id=data["new_id"],
                    start=data["start_date_time"],
                    elements=form.elements(),
                )

            if "confirm" in request.POST:
                try:
                    with transaction.atomic(), timezone.override(zone):
                        change = change_prices()
                        audit.record(
                            actor=request.user,
                            action="change_prices",
                            objects=[*change.ended_tariffs, *change.new_tariffs],
                            detail=f"{tariff.ocpi_id} → {change.new_tariffs[0].ocpi_id} from "
                            f"{data['start_date_time'].isoformat()}",
                        )
                except ValidationError as exc:
                    _refusal_on_form(form, exc)
                else:
                    self.message_user(
                        request,
                        f"Tariff {change.new_tariffs[0].ocpi_id} applies from "
                        f"{data['start_date_time']:%Y-%m-%d %H:%M} ({zone}); {tariff.ocpi_id} "
                        f"ends then; {len(change.evses)} EVSE(s) now name both.",
                    )
                    return redirect("admin:tariffs_tariff_changelist")
            elif _refused_by_dry_run(form, change_prices, zone):
                pass  # the preview says what Confirm would refuse (audit 2, A19)
            else:
                start = data["start_date_time"]  # aware, in `zone`: said in words there
                preview = {
                    "start": f"{start:%A %d %B %Y, %H:%M}",
                    "start_utc": f"{start.astimezone(dt.UTC):%Y-%m-%d %H:%M}",
                    "prices": [
                        (d, describe_elements(form.elements()[d.pk], d.currency))
                        for d in descriptions
                    ],
                    "evses": list(selectors.referencing_evses(tariff.operator, tariff.ocpi_id)),
                }
        return self._page(
            request,
            "change_prices.html",
            f"Change prices of tariff {tariff.ocpi_id}",
            tariff=tariff,
            form=form,
            preview=preview,
            time_zone=zone,
            descriptions=descriptions,
        )

    @staticmethod
    def describe_view(request):
        """Prices in words for the editor's live preview (tariffs.wording); reads nothing."""
        return _describe(request)

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
            if not evses:
                form.add_error(
                    None,
                    "No EVSE matches this choice (EVSEs with status REMOVED are left out, and "
                    "a power class needs connectors). Nothing was changed.",
                )
                return self._assign_page(request, form)
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
        return self._assign_page(request, form)

    def _assign_page(self, request, form):
        return self._page(request, "assign_evses.html", "Assign tariffs to EVSEs", form=form)


def _named_local(value, empty: str) -> str:
    """A moment in the active zone (the operator's on tariff pages), with the zone named."""
    if value is None:
        return empty
    local = timezone.localtime(value)
    return f"{local:%Y-%m-%d %H:%M:%S} ({timezone.get_current_timezone_name()})"


def _swap_end(field):
    if isinstance(field, tuple):
        return tuple(_swap_end(f) for f in field)
    return "ends_at" if field == "end_date_time" else field


# A service's refusal keyed by a model field, shown on the form's field of the same meaning.
_FORM_FIELDS = {"start_date_time": "start_date_time", "ocpi_id": "new_id"}


def _refusal_on_form(form, exc: ValidationError) -> None:
    """The service's messages, each once, on the field they are about (else on the form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.error_dict.items():
        messages_ = [m for e in errors for m in e.messages]
        form.add_error(_FORM_FIELDS.get(name), messages_)


def _refused_by_dry_run(form, change, zone: str) -> bool:
    """Runs the change and rolls it back (its outbox messages too): the preview refuses
    exactly what Confirm would refuse. True when it was refused."""
    try:
        with transaction.atomic(), timezone.override(zone):
            change()
            transaction.set_rollback(True)
    except ValidationError as exc:
        _refusal_on_form(form, exc)
        return True
    return False


@require_POST
def _describe(request):
    try:
        elements = PricesField().clean(request.POST.get("elements", ""))
    except ValidationError as exc:
        return JsonResponse({"text": "", "errors": exc.messages})
    elements = oc.normalize_elements(elements)
    errors = [problem_in_words(problem) for problem in oc.elements(elements, "prices")]
    if errors:
        return JsonResponse({"text": "", "errors": errors})
    return JsonResponse({"text": describe_elements(elements, request.POST.get("currency", "EUR"))})
