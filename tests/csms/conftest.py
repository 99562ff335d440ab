"""A CSMS running operator FR*AB1's location (two EVSEs), and its calls to the bridge API."""

import pytest

from locations import services as locations
from tests.factories import (
    ConnectorFactory,
    CsmsFactory,
    EVSEFactory,
    LocationFactory,
    OperatorFactory,
)


@pytest.fixture
def operator(db):
    return OperatorFactory(country_code="FR", party_id="AB1", name="Électro Route")


@pytest.fixture
def location(operator):
    location = LocationFactory(operator=operator, ocpi_id="PAR-1")
    for uid in ("E1", "E2"):
        ConnectorFactory(evse=EVSEFactory(location=location, uid=uid))
    locations.save_location(location=location)  # publishable; the hub gets it when connected
    return location


@pytest.fixture
def evse(location):
    return location.evses.get(uid="E1")


@pytest.fixture
def csms(operator):
    return CsmsFactory(name="SteVe", operators=[operator])
