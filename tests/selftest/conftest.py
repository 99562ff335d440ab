"""The hub simulator playing IOP's side of qualification, registered FromIOP with our live
server (as `bash .ci/start` and the README walkthrough do), on the demo data."""

import io

import pytest
from django.core.management import call_command

from roaming import registration
from roaming.models import Platform

LOCATION = "PAR-SAINT-GERMAIN"  # demo data, operator FR*AB1


@pytest.fixture
def iop(live_server, settings, hub_simulator):
    """Registered FromIOP as "Gireve sim", playing IOP on the qualification token's authorize."""
    from roaming.simulator import tokens

    settings.OCPI_BASE_URL = f"{live_server.url}/ocpi"
    call_command("demo_data", "--no-charging", stdout=io.StringIO())
    _, token_a = registration.invite(name="Gireve sim")
    answer = hub_simulator.register_with(f"{settings.OCPI_BASE_URL}/versions", token_a)
    assert answer["status_code"] == 1000, answer
    hub_simulator.play_iop_on_authorize = True
    tokens.load_qualification_token(hub_simulator)
    # No CSMS here: the remote start starts no session, so the STOP follows after this wait.
    hub_simulator.iop_session_wait = 1.0
    return hub_simulator


@pytest.fixture
def platform(iop) -> Platform:
    return Platform.objects.get(name="Gireve sim")
