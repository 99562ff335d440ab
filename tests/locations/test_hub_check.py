"""`ocpi_check`: our Location against the hub's copy, read back from the simulator."""

import pytest
from django.core.management import CommandError, call_command

from locations.ocpi import location_to_ocpi
from locations.selectors import locations_for_ocpi
from roaming.client import OcpiClient
from tests.factories import ConnectorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def location():
    connector = ConnectorFactory(
        evse__uid="E1",
        evse__location__ocpi_id="LOC1",
        evse__location__operator__country_code="FR",
        evse__location__operator__party_id="AB1",
    )
    return locations_for_ocpi().get(pk=connector.evse.location_id)


def push(platform, location, body=None, *ids, method="PUT"):
    client = OcpiClient(platform)
    url = client.object_url("locations", location.operator, location.ocpi_id, *ids)
    outcome = client.send(method, url, json=body or location_to_ocpi(location), module="locations")
    assert outcome.ok, outcome.message


def test_check_says_the_hub_copy_matches(connected_hub, location, capsys):
    push(connected_hub, location)

    call_command("ocpi_check", "LOC1")

    assert "matches ours" in capsys.readouterr().out


def test_check_lists_what_the_hub_has_differently(connected_hub, hub_simulator, location, capsys):
    push(connected_hub, location)
    push(connected_hub, location, {"status": "CHARGING"}, "E1", method="PATCH")
    hub_simulator.objects["locations/FR/AB1/LOC1"]["gireve_id"] = "G123"

    call_command("ocpi_check", "LOC1", "--operator", "FR*AB1")

    out = capsys.readouterr().out
    assert "2 difference(s)" in out
    assert "evses[E1].status: ours 'AVAILABLE', hub 'CHARGING'" in out
    assert "gireve_id: only at the hub ('G123')" in out


def test_check_of_a_location_the_hub_does_not_know(connected_hub, location):
    with pytest.raises(CommandError, match="no usable copy of LOC1.*2003"):
        call_command("ocpi_check", "LOC1")


def test_check_of_an_unknown_location_is_a_clear_error(connected_hub):
    with pytest.raises(CommandError, match="0 locations match"):
        call_command("ocpi_check", "NOPE")
