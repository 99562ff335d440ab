"""Operator FR*AB1's location PAR-1, run by a CSMS whose command endpoint is the CSMS double,
and the hub simulator connected as IOP: it sends the commands and receives the results.
The platform is served on loopback (live_server): every exchange is real HTTP."""

import pytest

from locations import services as locations
from roaming.simulator.commands import APP_TOKEN
from roaming.simulator.hub import HUB_ROLE
from tests.factories import (
    ConnectorFactory,
    EVSEFactory,
    LocationFactory,
    OperatorFactory,
)

US = ("FR", "AB1")


@pytest.fixture
def operator(transactional_db):
    return OperatorFactory(country_code="FR", party_id="AB1", name="Électro Route")


@pytest.fixture
def location(operator):
    """E1: one connector; E2: two connectors (DC, CCS + CHAdeMO); E3: no remote start."""
    location = LocationFactory(operator=operator, ocpi_id="PAR-1")
    ConnectorFactory(evse=EVSEFactory(location=location, uid="E1"))
    e2 = EVSEFactory(location=location, uid="E2")
    for connector_id in ("1", "2"):
        ConnectorFactory(evse=e2, ocpi_id=connector_id)
    ConnectorFactory(evse=EVSEFactory(location=location, uid="E3", capabilities=["RFID_READER"]))
    locations.save_location(location=location)
    return location


@pytest.fixture
def hub(live_server, connected_hub, hub_simulator, settings):
    """IOP: presents its HUB role (Gireve §2.1.6), so it speaks for every eMSP behind it."""
    settings.OCPI_BASE_URL = f"{live_server.url}/ocpi"
    connected_hub.roles = [HUB_ROLE]
    connected_hub.save()
    hub_simulator.our_commands_url = f"{live_server.url}/ocpi/2.2.1/commands"
    return hub_simulator


def start_body(**fields) -> dict:
    """A StartSession for PAR-1/E1 with an app user's token; a field given None is left out."""
    body = {
        "token": APP_TOKEN,
        "location_id": "PAR-1",
        "evse_uid": "E1",
        "authorization_reference": "GIREVE-AUTH-1",
        **fields,
    }
    return {name: value for name, value in body.items() if value is not None}


def send(hub, command: str, body: dict, **options):
    """The hub forwards an eMSP's command to us (to FR*AB1 unless `to` is given)."""
    options.setdefault("to", US)
    return hub.send_command(command, body, url=hub.our_commands_url, **options)
