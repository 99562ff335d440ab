"""Nothing the hub knows is deleted from the admin, even by a superuser (issue 9.3, 11.3).

mod_locations: "There is no way to entirely delete Locations, EVSEs and Connectors": the
hub would keep them for ever. REMOVED takes their place, and it is final.
"""

import pytest
from django.contrib.admin.models import LogEntry
from django.db import transaction
from django.urls import reverse

from locations import services
from locations.enums import Status
from locations.models import EVSE, Connector, Location
from roaming.models import MessageLog, Platform
from roaming.outbox.models import Message
from tariffs.models import Tariff
from tests.factories import (
    ConnectorFactory,
    EVSEFactory,
    LocationFactory,
    MessageFactory,
    MessageLogFactory,
    OperatorFactory,
    PlatformFactory,
    StreamFactory,
    TariffFactory,
)

pytestmark = pytest.mark.django_db


def _delete(admin_client, obj):
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_delete", args=[obj.pk])
    return admin_client.get(url).status_code, admin_client.post(url, {"post": "yes"}).status_code


def test_superuser_cannot_delete_evses_or_what_the_hub_may_hold(admin_client):
    evse = ConnectorFactory().evse
    shared = evse.location
    pushed = LocationFactory(publish=False)  # not shared now, but once queued to a platform
    StreamFactory(key=f"location:{pushed.pk}")
    published = TariffFactory(published_at="2026-01-01T00:00:00Z")
    withdrawn = TariffFactory(withdrawn_at="2026-01-01T00:00:00Z")
    platform = PlatformFactory(status="UNREGISTERED")
    message = MessageFactory()
    log = MessageLogFactory(platform=message.stream.platform)

    for obj in [evse, shared, pushed, shared.operator, published, withdrawn, platform]:
        assert _delete(admin_client, obj) == (403, 403), obj
    for obj in [message, log]:
        assert _delete(admin_client, obj) == (403, 403), obj

    assert EVSE.objects.filter(pk=evse.pk).exists()
    assert Location.objects.count() == 2 and Tariff.objects.count() == 2
    assert Platform.objects.filter(pk=platform.pk).exists()
    assert Message.objects.exists() and MessageLog.objects.exists()


def test_connectors_of_an_evse_the_hub_may_hold_cannot_be_deleted(admin_client):
    connector = ConnectorFactory()
    services.save_location(location=connector.evse.location)  # shared: publishable, published

    page = admin_client.get(reverse("admin:locations_evse_change", args=[connector.evse.pk]))

    assert page.context["inline_admin_formsets"][0].formset.can_delete is False
    assert Connector.objects.filter(pk=connector.pk).exists()


def test_drafts_and_never_shared_objects_can_still_be_deleted_by_a_superuser(admin_client):
    location = LocationFactory(publish=False)
    draft = TariffFactory(start_date_time=None)
    platform = PlatformFactory(status="NEW")
    operator = OperatorFactory()

    for obj in [location, draft, platform, operator]:
        assert _delete(admin_client, obj) == (200, 302), obj

    assert not Location.objects.filter(pk=location.pk).exists()
    assert not Tariff.objects.filter(pk=draft.pk).exists()


def test_delete_button_and_bulk_delete_are_not_offered(admin_client):
    evse = EVSEFactory()

    page = admin_client.get(reverse("admin:locations_evse_change", args=[evse.pk]))
    changelist = admin_client.get(reverse("admin:locations_evse_changelist"))

    assert not page.context["has_delete_permission"]
    assert "deletelink" not in page.content.decode()
    assert "delete_selected" not in changelist.content.decode()


def _bulk(admin_client, evse, status, **extra):
    return admin_client.post(
        reverse("admin:locations_evse_changelist"),
        {"action": "set_status", "status": status, "_selected_action": [evse.pk], **extra},
        follow=True,
    )


def test_setting_removed_asks_for_confirmation_then_is_final(admin_client):
    evse = ConnectorFactory().evse

    asked = admin_client.post(
        reverse("admin:locations_evse_changelist"),
        {"action": "mark_removed", "_selected_action": [evse.pk]},
    )
    assert "REMOVED is final" in asked.content.decode()
    assert EVSE.objects.get(pk=evse.pk).status == Status.AVAILABLE  # nothing yet
    assert "REMOVED is final" in _bulk(admin_client, evse, "REMOVED").content.decode()
    assert EVSE.objects.get(pk=evse.pk).status == Status.AVAILABLE

    _bulk(admin_client, evse, "REMOVED", confirm="1")
    assert EVSE.objects.get(pk=evse.pk).status == Status.REMOVED
    entry = LogEntry.objects.get(object_id=str(evse.pk))
    assert entry.change_message == "EVSE status set: REMOVED"

    back = _bulk(admin_client, evse, "AVAILABLE")
    assert "REMOVED, which is final" in back.content.decode()
    assert "Nothing was changed." in back.content.decode()
    assert EVSE.objects.get(pk=evse.pk).status == Status.REMOVED


def test_service_refuses_to_bring_back_a_removed_evse():
    evse = ConnectorFactory(evse__status=Status.REMOVED).evse

    # set_evse_status has no savepoint of its own (the status feed's hot path): a refusal
    # aborts the caller's transaction, so each call here gets one, as every caller has.
    with pytest.raises(Exception, match="final"), transaction.atomic():
        services.set_evse_status(evse=evse, status=Status.AVAILABLE)
    evse.status = Status.AVAILABLE
    with pytest.raises(Exception, match="final"), transaction.atomic():
        services.save_evse(evse=evse)

    assert EVSE.objects.get(pk=evse.pk).status == Status.REMOVED


def test_evse_page_shows_removed_read_only_and_refuses_choosing_it(admin_client):
    removed = EVSEFactory(status=Status.REMOVED)
    page = admin_client.get(reverse("admin:locations_evse_change", args=[removed.pk]))
    assert "status" not in page.context["adminform"].form.fields

    evse = EVSEFactory()
    page = admin_client.get(reverse("admin:locations_evse_change", args=[evse.pk]))
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v is not None}
    for name in ("capabilities",):
        data[name] = list(data.get(name) or [])
    data.update(
        {
            "status": "REMOVED",
            "connectors-TOTAL_FORMS": "0",
            "connectors-INITIAL_FORMS": "0",
        }
    )
    answer = admin_client.post(reverse("admin:locations_evse_change", args=[evse.pk]), data)

    assert answer.status_code == 200
    assert "REMOVED is final: use the action" in answer.content.decode()
    assert EVSE.objects.get(pk=evse.pk).status == Status.AVAILABLE


def test_a_superuser_gets_no_connector_delete_box_on_a_hub_held_location(admin_client):
    """Audit 2, A6: the box was offered, ignored, and History said "Deleted connector"."""
    from tests.admin_forms import form_data

    connector = ConnectorFactory()
    location = connector.evse.location
    services.save_location(location=location)  # shared: the hub holds it
    url = reverse("admin:locations_location_change", args=[location.pk])

    page = admin_client.get(url).content.decode()
    assert 'name="evses-0-connectors-0-DELETE"' not in page
    # A forged tick changes nothing and is not recorded as a deletion.
    data = form_data(page)
    data["evses-0-connectors-0-DELETE"] = ["on"]
    assert admin_client.post(url, data).status_code == 302
    assert Connector.objects.filter(pk=connector.pk).exists()
    assert not LogEntry.objects.filter(change_message__icontains="deleted").exists()
