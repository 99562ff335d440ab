"""Admin for operations staff: listing, editing with Gireve feedback, bulk actions."""

import json

import pytest
from django.urls import reverse

from locations import services
from locations.enums import Status
from locations.models import EVSE, Location
from tests.factories import ConnectorFactory, EVSEFactory, LocationFactory, OperatorFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:locations_location_changelist")


def _location_post(location: Location, **overrides) -> dict:
    data = {
        "operator": location.operator_id,
        "ocpi_id": location.ocpi_id,
        "name": location.name,
        "publish": "on" if location.publish else "",
        "address": location.address,
        "city": location.city,
        "postal_code": location.postal_code,
        "state": "",
        "country": location.country,
        "latitude": location.latitude,
        "longitude": location.longitude,
        "time_zone": location.time_zone,
        "parking_type": location.parking_type,
        "owner_name": (location.owner or {}).get("name", ""),
        "owner_website": "",
        "opening_times": "null",
        "charging_when_closed": "unknown",
        "operator_details": "null",
        "suboperator": "null",
        "directions": "[]",
        "related_locations": "[]",
        "images": "[]",
        "energy_mix": "null",
        "publish_allowed_to": "[]",
        "evses-TOTAL_FORMS": "0",
        "evses-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


def test_changelists_query_count_does_not_grow_with_locations(
    admin_client, django_assert_max_num_queries
):
    operator = OperatorFactory()
    for _ in range(200):
        EVSEFactory(location=LocationFactory(operator=operator))
    # session, user, count(s), page rows, filter choices: independent of the 200 rows
    with django_assert_max_num_queries(8):
        response = admin_client.get(CHANGELIST, {"all": "", "publishable": "yes"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 200
    with django_assert_max_num_queries(8):
        response = admin_client.get(reverse("admin:locations_evse_changelist"), {"all": ""})
    assert response.context["cl"].result_count == 200


def test_changelist_searches_by_evse_id_and_filters_unpublishable(admin_client):
    ok = ConnectorFactory().evse.location
    services.refresh_publishability(ok)
    incomplete = LocationFactory(owner=None)
    services.refresh_publishability(incomplete)
    evse = ok.evses.get()

    found = admin_client.get(CHANGELIST, {"q": evse.evse_id})
    assert list(found.context["cl"].result_list) == [ok]
    not_publishable = admin_client.get(CHANGELIST, {"publishable": "no"})
    assert list(not_publishable.context["cl"].result_list) == [incomplete]
    assert '<td class="field-missing_for_gireve">owner.name</td>' in (
        not_publishable.content.decode()
    )
    by_status = admin_client.get(CHANGELIST, {"evses__status": Status.AVAILABLE})
    assert list(by_status.context["cl"].result_list) == [ok]


def test_change_page_shows_what_gireve_misses_and_the_ocpi_preview(admin_client):
    connector = ConnectorFactory()
    location = connector.evse.location
    location.owner = None
    services.save_location(location=location)

    response = admin_client.get(reverse("admin:locations_location_change", args=[location.pk]))

    content = response.content.decode()
    assert "Still needed: The owner&#x27;s name (who owns the site)." in content
    assert "never pushed to the hub" in content
    assert f"&quot;evse_id&quot;: &quot;{connector.evse.evse_id}&quot;" in content


def test_owner_name_field_fills_the_owner_business_details(admin_client):
    location = ConnectorFactory().evse.location
    location.owner = None
    services.save_location(location=location)
    url = reverse("admin:locations_location_change", args=[location.pk])

    response = admin_client.post(
        url,
        _location_post(
            location,
            owner_name="Ville de Lyon",
            owner_website="https://www.lyon.fr",
            facilities=["WIFI", "CAFE"],
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    location.refresh_from_db()
    assert location.owner == {"name": "Ville de Lyon", "website": "https://www.lyon.fr"}
    assert location.facilities == ["WIFI", "CAFE"]
    assert location.gireve_missing == []


def test_adding_location_with_evse_of_another_operator_is_refused(admin_client):
    operator = OperatorFactory(country_code="FR", party_id="AB1")
    data = _location_post(
        LocationFactory.build(operator=operator, ocpi_id="NEW1"),
        **{
            "evses-TOTAL_FORMS": "1",
            "evses-0-uid": "E1",
            "evses-0-evse_id": "FR*XY2*E1",
            "evses-0-status": "AVAILABLE",
            "evses-0-tariff_ids": "AC_1, AC_2",
            "evses-0-connectors-TOTAL_FORMS": "0",
            "evses-0-connectors-INITIAL_FORMS": "0",
        },
    )

    response = admin_client.post(reverse("admin:locations_location_add"), data)

    assert response.status_code == 200
    assert "must start with the operator id FR*AB1" in response.content.decode()
    assert not Location.objects.exists()

    data["evses-0-evse_id"] = "FRAB1E1"
    response = admin_client.post(reverse("admin:locations_location_add"), data)
    assert response.status_code == 302
    evse = EVSE.objects.get()
    assert (evse.location.ocpi_id, evse.tariff_ids) == ("NEW1", ["AC_1", "AC_2"])
    # No connector and no capabilities yet: saved, held back from the hub (issue 19.1).
    assert evse.location.gireve_missing == []
    assert evse.missing_for_gireve() == ["at least one connector", "capabilities"]


def test_evse_page_edits_capabilities_and_connectors(admin_client):
    evse = EVSEFactory(capabilities=[])
    url = reverse("admin:locations_evse_change", args=[evse.pk])
    data = {
        "uid": evse.uid,
        "evse_id": evse.evse_id,
        "status": "AVAILABLE",
        "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
        "tariff_ids": "AC_1",
        "status_schedule": "[]",
        "directions": "[]",
        "images": "[]",
        "connectors-TOTAL_FORMS": "1",
        "connectors-INITIAL_FORMS": "0",
        "connectors-0-ocpi_id": "1",
        "connectors-0-standard": "IEC_62196_T2",
        "connectors-0-format": "SOCKET",
        "connectors-0-power_type": "AC_3_PHASE",
        "connectors-0-max_voltage": "230",
        "connectors-0-max_amperage": "32",
        "connectors-0-max_power_kw": "22",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    evse.refresh_from_db()
    assert evse.capabilities == ["RFID_READER", "REMOTE_START_STOP_CAPABLE"]
    assert evse.connectors.get().max_electric_power == 22000
    assert evse.location.gireve_missing == []


def test_bulk_set_evse_status_goes_through_services(admin_client):
    evses = [ConnectorFactory().evse for _ in range(2)]
    before = [evse.last_updated for evse in evses]

    response = admin_client.post(
        reverse("admin:locations_evse_changelist"),
        {"action": "set_status", "status": "OUTOFORDER", "_selected_action": [e.pk for e in evses]},
    )

    assert response.status_code == 302
    for evse, previous in zip(evses, before, strict=True):
        evse.refresh_from_db()
        assert evse.status == Status.OUTOFORDER
        assert evse.last_updated > previous
        assert Location.objects.get(pk=evse.location_id).last_updated == evse.last_updated


def test_bulk_status_is_all_or_nothing(admin_client):
    good = ConnectorFactory(evse__status=Status.OUTOFORDER).evse  # processed first
    no_id = EVSEFactory(evse_id="", status=Status.UNKNOWN)

    response = admin_client.post(
        reverse("admin:locations_evse_changelist"),
        {"action": "set_status", "status": "AVAILABLE", "_selected_action": [good.pk, no_id.pk]},
        follow=True,
    )

    assert f"EVSE {no_id.uid}: evse_id is required" in response.content.decode()
    assert "Nothing was changed." in response.content.decode()
    assert EVSE.objects.get(pk=no_id.pk).status == Status.UNKNOWN
    assert EVSE.objects.get(pk=good.pk).status == Status.OUTOFORDER


def test_bulk_unpublish_names_the_withdrawal_then_unpublishes(admin_client):
    locations = [LocationFactory() for _ in range(2)]
    data = {"action": "unpublish", "_selected_action": [loc.pk for loc in locations]}
    asked = admin_client.post(CHANGELIST, data)
    assert asked.status_code == 200
    assert "Unpublishing withdraws these locations from the hub." in asked.content.decode()
    assert Location.objects.filter(publish=True).count() == 2  # nothing before the answer
    response = admin_client.post(CHANGELIST, {**data, "confirm": "1"})
    assert response.status_code == 302
    assert not Location.objects.filter(publish=True).exists()


def test_location_add_page_offers_checkboxes_for_ocpi_lists(admin_client):
    content = admin_client.get(reverse("admin:locations_location_add")).content.decode()
    assert 'type="checkbox" name="facilities" value="WIFI"' in content
    evse = EVSEFactory()
    content = admin_client.get(
        reverse("admin:locations_evse_change", args=[evse.pk])
    ).content.decode()
    assert 'type="checkbox" name="capabilities" value="RFID_READER"' in content
    assert 'value="AC_STANDARD"' in content  # tariff ids as plain text
    assert json.dumps(evse.tariff_ids) not in content
