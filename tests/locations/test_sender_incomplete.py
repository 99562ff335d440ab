"""Issue 9.7: our sender serves a location Gireve cannot take yet as withdrawn, not silence."""

import pytest
from django.test import Client
from py_ocpi.modules.locations.v_2_2_1.schemas import Location as PydanticLocation

from locations.ocpi import location_to_ocpi
from locations.services import save_location
from tests.factories import (
    ConnectorFactory,
    EVSEFactory,
    LocationFactory,
    OperatorFactory,
    PlatformFactory,
)
from tests.ocpi_api import ocpi_headers

pytestmark = pytest.mark.django_db


def test_incomplete_location_is_served_with_publish_false_and_complete_ones_whole():
    PlatformFactory(connected=True)
    operator = OperatorFactory(country_code="FR", party_id="CPO")
    complete, incomplete = LocationFactory(operator=operator), LocationFactory(operator=operator)
    for location in (complete, incomplete):
        ConnectorFactory(evse=EVSEFactory(location=location))
    save_location(location=complete)
    incomplete.owner = None  # Gireve §3.5.1: owner.name required
    save_location(location=incomplete)
    EVSEFactory(location=incomplete, uid="NO-CONNECTOR-YET")

    listed = Client().get("/ocpi/2.2.1/locations", **ocpi_headers()).json()["data"]
    one = Client().get(f"/ocpi/2.2.1/locations/{incomplete.ocpi_id}", **ocpi_headers()).json()

    assert [(loc["id"], loc["publish"]) for loc in listed] == [
        (complete.ocpi_id, True),
        (incomplete.ocpi_id, False),
    ]
    assert listed[0] == location_to_ocpi(complete)
    assert one["data"] == listed[1]
    assert [evse["uid"] for evse in listed[1]["evses"]] == [incomplete.evses.first().uid]
    PydanticLocation(**listed[1])
