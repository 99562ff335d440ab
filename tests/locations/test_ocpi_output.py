"""What the hub receives for a location (OCPI 2.2.1 mod_locations, Gireve §3.5)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from py_ocpi.modules.locations.v_2_2_1.schemas import EVSE as PydanticEVSE
from py_ocpi.modules.locations.v_2_2_1.schemas import Connector as PydanticConnector

from locations.ocpi import connector_to_ocpi, evse_to_ocpi, location_to_hub, location_to_ocpi
from locations.selectors import locations_for_ocpi, locations_ocpi_json
from roaming import ocpi_json
from tests.factories import ConnectorFactory, EVSEFactory, LocationFactory, OperatorFactory

pytestmark = pytest.mark.django_db


def test_every_connector_reports_its_evse_tariff_group():
    evse = EVSEFactory(tariff_ids=["DC_150", "DC_NIGHT"])
    ConnectorFactory(evse=evse, ocpi_id="1")
    ConnectorFactory(evse=evse, ocpi_id="2", standard="CHADEMO", power_type="DC")

    data = evse_to_ocpi(evse)

    assert [c["tariff_ids"] for c in data["connectors"]] == [["DC_150", "DC_NIGHT"]] * 2
    PydanticEVSE(**data)


def test_optional_fields_are_left_out_not_sent_empty():
    connector = ConnectorFactory(max_electric_power=None, evse__tariff_ids=[])
    data = connector_to_ocpi(connector)
    assert "max_electric_power" not in data
    assert "tariff_ids" not in data
    assert "terms_and_conditions" not in data
    assert data["last_updated"].endswith("Z")
    PydanticConnector(**data)

    location = LocationFactory(name="", postal_code="", owner=None, facilities=[])
    data = location_to_ocpi(location)
    for key in ("name", "postal_code", "owner", "facilities", "publish_allowed_to", "images"):
        assert key not in data


def test_operator_falls_back_to_the_operators_business_details():
    location = LocationFactory(
        operator__name="Électro Route", operator__website="https://e.example"
    )
    assert location_to_ocpi(location)["operator"] == {
        "name": "Électro Route",
        "website": "https://e.example",
    }
    location.operator_details = {"name": "Brand"}
    assert location_to_ocpi(location)["operator"] == {"name": "Brand"}


def test_case_of_ids_is_kept():
    evse = EVSEFactory(uid="Bay-1a", location__ocpi_id="Loc-9x")
    data = location_to_ocpi(evse.location)
    assert (data["id"], data["evses"][0]["uid"]) == ("Loc-9x", "Bay-1a")


def test_serializing_many_locations_costs_three_queries():
    for _ in range(20):
        ConnectorFactory(evse=EVSEFactory(location=LocationFactory()))
    with CaptureQueriesContext(connection) as queries:
        data = [location_to_ocpi(location) for location in locations_for_ocpi()]
    assert len(data) == 20
    assert len(queries.captured_queries) == 3


def test_pages_written_by_postgresql_equal_location_to_ocpi():
    """The sender's page query (locations.selectors.locations_ocpi_json) writes exactly what
    location_to_hub writes (location_to_ocpi, withdrawn when not shared: issue 9.7), every
    optional field present or absent."""
    image = {"url": "https://cpo.example.com/a.png", "category": "CHARGER", "type": "png"}
    operator = OperatorFactory(website="https://cpo.example.com", logo=image)
    full = LocationFactory(
        operator=operator,
        publish=False,
        publish_allowed_to=[{"visual_number": "C1"}],
        state="IDF",
        related_locations=[
            {
                "latitude": "48.856600",
                "longitude": "2.352200",
                "name": {"language": "fr", "text": "Entrée"},
            }
        ],
        directions=[{"language": "fr", "text": "Niveau -1"}],
        operator_details={"name": "Réseau", "website": "https://reseau.example.com"},
        suboperator={"name": "Sous"},
        facilities=["SUPERMARKET"],
        opening_times={"twentyfourseven": True},
        charging_when_closed=False,
        images=[image],
        energy_mix={
            "is_green_energy": True,
            "energy_sources": [{"source": "SOLAR", "percentage": 12.5}],
        },
    )
    rich = EVSEFactory(
        location=full,
        status_schedule=[{"period_begin": "2026-01-01T00:00:00Z", "status": "BLOCKED"}],
        floor_level="-1",
        latitude="48.856700",
        longitude="2.352300",
        physical_reference="A1",
        directions=[{"language": "en", "text": "Left"}],
        parking_restrictions=["EV_ONLY"],
        images=[image],
    )
    ConnectorFactory(evse=rich, ocpi_id="2", terms_and_conditions="https://cpo.example.com/t")
    ConnectorFactory(evse=rich, ocpi_id="1", max_electric_power=None)
    EVSEFactory(location=full, evse_id="", capabilities=[], tariff_ids=[], latitude="48.8")
    bare = LocationFactory(name="", postal_code="", parking_type="", owner=None, facilities=[])
    locations = [full, bare]

    written = locations_ocpi_json([location.pk for location in locations])

    expected = [location_to_hub(location) for location in locations_for_ocpi().order_by("pk")]
    assert [ocpi_json.loads(raw.text) for raw in written] == expected
