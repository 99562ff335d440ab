"""The location page with a hub that holds the location (issues 19.1 and 19.7): an incomplete
EVSE is held back and named, a withdrawing save asks first, an unchanged save sends nothing."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from locations import services
from locations.models import EVSE, Location
from roaming.outbox.models import Message, Stream
from tests.admin_forms import form_data
from tests.factories import ConnectorFactory, EVSEFactory, LocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(connected_hub):
    """A location with two complete EVSEs that the hub holds (its PUT delivered)."""
    location = LocationFactory()
    for uid in ("E1", "E2"):
        ConnectorFactory(evse=EVSEFactory(location=location, uid=uid))
    services.save_location(location=location)
    Message.objects.update(state=Message.State.DELIVERED)
    return location


def _pending():
    return [(m.method, m.path, m.body) for m in Message.objects.filter(state="PENDING")]


def _page(admin_client, location):
    url = reverse("admin:locations_location_change", args=[location.pk])
    return url, admin_client.get(url)


def test_unchanged_location_page_saved_queues_nothing(admin_client, shared):
    stamp = Location.objects.get(pk=shared.pk).last_updated
    url, page = _page(admin_client, shared)
    response = admin_client.post(url, form_data(page.content.decode()))
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert _pending() == []
    assert Location.objects.get(pk=shared.pk).last_updated == stamp
    assert set(EVSE.objects.values_list("last_updated", flat=True)) == {
        e.last_updated for e in shared.evses.all()
    }


def test_evse_added_without_tariff_is_held_back_and_named(admin_client, shared):
    url, page = _page(admin_client, shared)
    data = form_data(page.content.decode())
    evse_id = f"{shared.operator.emi3_id}*ENEW"
    data |= {
        "evses-TOTAL_FORMS": ["3"],
        "evses-2-uid": ["NEW"],
        "evses-2-evse_id": [evse_id],
        "evses-2-status": ["AVAILABLE"],
        "evses-2-capabilities": ["RFID_READER"],
        "evses-2-tariff_ids": [""],
        "evses-2-connectors-TOTAL_FORMS": ["1"],
        "evses-2-connectors-INITIAL_FORMS": ["0"],
        "evses-2-connectors-0-ocpi_id": ["1"],
        "evses-2-connectors-0-standard": ["IEC_62196_T2"],
        "evses-2-connectors-0-format": ["SOCKET"],
        "evses-2-connectors-0-power_type": ["AC_3_PHASE"],
        "evses-2-connectors-0-max_voltage": ["230"],
        "evses-2-connectors-0-max_amperage": ["32"],
        "evses-2-connectors-0-max_power_kw": ["22"],
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert _pending() == []  # no withdrawal, no PUT of the held-back EVSE
    assert Stream.objects.get().memo == {"synced": True}

    content = admin_client.get(url).content.decode()
    assert "Held back from the hub, not sent until complete for Gireve (§3.5.1): " in content
    assert f"EVSE {evse_id} (tariff_ids)" in content
    assert f"EVSE {evse_id}: give its tariff ids" in content

    evse = EVSE.objects.get(uid="NEW")
    evse.tariff_ids = ["AC_STANDARD"]
    services.save_evse(evse=evse)
    [(method, path, body)] = _pending()
    assert (method, path.rsplit("/", 1)[-1], body["uid"]) == ("PUT", "NEW", "NEW")


def test_withdrawing_save_asks_first_and_names_the_consequence(admin_client, shared):
    url, page = _page(admin_client, shared)
    data = form_data(page.content.decode())
    data["owner_name"] = [""]
    refused = admin_client.post(url, data)
    content = refused.content.decode()
    assert refused.status_code == 200
    assert f"Saving withdraws {shared.ocpi_id} from the hub because it would miss owner.name" in (
        content
    )
    assert "eMSPs stop showing it and its 2 EVSE(s)" in content
    assert _pending() == [] and Location.objects.get(pk=shared.pk).owner

    data["confirm_withdrawal"] = ["on"]
    assert admin_client.post(url, data).status_code == 302
    [(method, _, body)] = _pending()
    assert method == "PUT" and body["publish"] is False
    entry = LogEntry.objects.get(object_id=str(shared.pk), change_message__startswith="Location w")
    assert entry.change_message == "Location withdrawn from the hub (confirmed on save): owner.name"
