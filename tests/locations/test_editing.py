"""Building a site on one page: defaults, units and checks that catch typing slips."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from locations.enums import ConnectorType, PowerType, Status
from locations.forms import LocationForm
from locations.models import EVSE, Location
from tests.factories import ConnectorFactory, LocationFactory, OperatorFactory

pytestmark = pytest.mark.django_db


def test_enum_labels_are_readable_and_values_stay_ocpi():
    assert Status.OUTOFORDER.label == "Out of order"
    assert ConnectorType.IEC_62196_T2.label == "IEC 62196 Type 2"
    assert PowerType.AC_3_PHASE.label == "AC 3-phase"
    assert Status.OUTOFORDER.value == "OUTOFORDER"


@pytest.mark.parametrize(
    ("power_w", "problem"),
    [
        (22000, None),  # 400 V line to line x 32 A x 3 phases: 22 kW
        (11000, None),  # limited below the connector's rating (OCPI allows it)
        (22, "far below"),  # 22 typed meaning W in a kW field, or W in an import
        (22_000_000, "more than"),  # 22000 typed meaning W in the kW field
    ],
)
def test_connector_power_is_checked_against_voltage_amperage_and_phases(power_w, problem):
    connector = ConnectorFactory.build(
        evse=None, max_voltage=400, max_amperage=32, max_electric_power=power_w
    )
    if problem is None:
        connector.clean()
        return
    with pytest.raises(ValidationError) as refused:
        connector.clean()
    message = refused.value.message_dict["max_electric_power"][0]
    assert problem in message and "400 V x 32 A x 3 phases" in message


def test_location_form_pads_coordinates_and_takes_the_time_zone_of_the_country():
    operator = OperatorFactory()
    form = LocationForm(
        data={
            "operator": operator.pk,
            "ocpi_id": "NTE1",
            "publish": "on",
            "address": "1 quai de la Fosse",
            "city": "Nantes",
            "country": "FRA",
            "latitude": "47,2064",
            "longitude": "-1.55362549",
            "time_zone": "",
            "owner_name": "Nantes Métropole",
            **{
                name: "[]"
                for name in ["publish_allowed_to", "related_locations", "directions", "images"]
            },
            **{
                name: "null"
                for name in ["operator_details", "suboperator", "opening_times", "energy_mix"]
            },
        }
    )
    assert form.is_valid(), form.errors
    location = form.save(commit=False)
    assert (location.latitude, location.longitude) == ("47.20640", "-1.5536255")
    assert location.time_zone == "Europe/Paris"


def test_one_page_builds_a_location_with_evses_and_connectors(admin_client):
    from tests.locations.test_admin import _location_post

    operator = OperatorFactory(country_code="FR", party_id="AB1")
    data = _location_post(LocationFactory.build(operator=operator, ocpi_id="NEW1"))
    data |= {
        "evses-TOTAL_FORMS": "2",
        "evses-INITIAL_FORMS": "0",
        "evses-0-uid": "E1",
        "evses-0-evse_id": "FR*AB1*E1",
        "evses-0-status": "AVAILABLE",
        "evses-0-preset": "AC_22",  # capabilities left unticked: the preset's are used
        "evses-0-tariff_ids": "AC",
        "evses-0-connectors-TOTAL_FORMS": "1",
        "evses-0-connectors-INITIAL_FORMS": "0",
        "evses-0-connectors-0-ocpi_id": "1",
        "evses-0-connectors-0-standard": "IEC_62196_T2",
        "evses-0-connectors-0-format": "SOCKET",
        "evses-0-connectors-0-power_type": "AC_3_PHASE",
        "evses-0-connectors-0-max_voltage": "400",
        "evses-0-connectors-0-max_amperage": "32",
        "evses-0-connectors-0-max_power_kw": "22",
        "evses-1-uid": "e1",  # same uid as the first row, other case
        "evses-1-evse_id": "FR*AB1*E2",
        "evses-1-status": "AVAILABLE",
        "evses-1-connectors-TOTAL_FORMS": "0",
        "evses-1-connectors-INITIAL_FORMS": "0",
    }
    url = reverse("admin:locations_location_add")

    refused = admin_client.post(url, data)
    assert refused.status_code == 200
    assert "Another EVSE of this location has this uid." in refused.content.decode()
    assert not Location.objects.exists()

    data["evses-1-uid"] = "E2"
    assert admin_client.post(url, data).status_code == 302
    first = EVSE.objects.get(uid="E1")
    assert first.capabilities == ["RFID_READER", "REMOTE_START_STOP_CAPABLE", "UNLOCK_CAPABLE"]
    assert first.connectors.get().max_electric_power == 22000
    location = first.location
    # The second EVSE has no connector, capabilities nor tariff: said in words, linked.
    page = admin_client.get(reverse("admin:locations_location_change", args=[location.pk]))
    content = page.content.decode()
    assert '<a href="#evses-1-connectors-group">EVSE FR*AB1*E2: add at least one connector.' in (
        content
    )
    assert '<a href="#id_evses-1-tariff_ids">EVSE FR*AB1*E2: give its tariff ids' in content


def test_saving_an_evse_returns_to_its_location(admin_client):
    evse = ConnectorFactory().evse
    url = reverse("admin:locations_evse_change", args=[evse.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {
        "evse_id": evse.evse_id,
        "status": Status.AVAILABLE,
        "capabilities": evse.capabilities,
        "tariff_ids": "AC_STANDARD",
        "status_schedule": "[]",
        "directions": "[]",
        "images": "[]",
        "connectors-TOTAL_FORMS": "0",
        "connectors-INITIAL_FORMS": "0",
    }
    assert "location" not in form.fields  # shown once, as a link back
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert response.url == reverse("admin:locations_location_change", args=[evse.location_id])


def test_a_second_connector_with_the_same_id_is_a_row_error_not_a_crash(admin_client):
    connector = ConnectorFactory(ocpi_id="1")
    evse = connector.evse
    url = reverse("admin:locations_evse_change", args=[evse.pk])
    row = {
        "ocpi_id": "1",
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": "230",
        "max_amperage": "32",
        "max_power_kw": "22",
    }
    data = {
        "evse_id": evse.evse_id,
        "status": Status.AVAILABLE,
        "capabilities": evse.capabilities,
        "tariff_ids": "AC_STANDARD",
        "status_schedule": "[]",
        "directions": "[]",
        "images": "[]",
        "connectors-TOTAL_FORMS": "2",
        "connectors-INITIAL_FORMS": "1",
        "connectors-0-id": str(connector.pk),
        "connectors-0-evse": str(evse.pk),
        **{f"connectors-0-{k}": v for k, v in row.items()},
        **{f"connectors-1-{k}": v for k, v in row.items()},
    }
    data["connectors-1-ocpi_id"] = "1"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "Another connector of this EVSE has this id." in response.content.decode()
    assert evse.connectors.count() == 1
