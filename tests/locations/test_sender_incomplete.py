"""What our locations sender serves the hub: what it holds, never what it was never sent.

Issue 9.7: a location the hub holds that was withdrawn is served with publish=false.
Issue 18.5: a location never shared (Gireve §3.5.1 incomplete) is not served at all: 404 and
not counted (Gireve §3.5.4: publish=false means "do not display", not "not shared").
Issue 19.1: an EVSE incomplete for Gireve is held back, left out of the sender's copy.
"""

import pytest
from django.test import Client
from py_ocpi.modules.locations.v_2_2_1.schemas import Location as PydanticLocation

from locations.models import Location
from locations.ocpi import location_to_hub
from locations.selectors import locations_for_ocpi
from locations.services import save_location
from tests.factories import (
    ConnectorFactory,
    EVSEFactory,
    LocationFactory,
    OperatorFactory,
    PlatformEndpointFactory,
    PlatformFactory,
)
from tests.ocpi_api import ocpi_headers

pytestmark = pytest.mark.django_db


@pytest.fixture
def hub():
    """The calling platform, also receiving our location pushes (so it may hold some)."""
    platform = PlatformFactory(connected=True)
    PlatformEndpointFactory(platform=platform, url="http://127.0.0.1:9/locations")
    return platform


def _site(operator, **fields):
    location = LocationFactory(operator=operator, **fields)
    ConnectorFactory(evse=EVSEFactory(location=location, uid="E1"))
    return location


def _get(path=""):
    return Client().get(f"/ocpi/2.2.1/locations{path}", **ocpi_headers())


def _hub_copy(location):
    return location_to_hub(locations_for_ocpi(Location.objects.filter(pk=location.pk)).get())


def test_location_never_shared_is_neither_listed_nor_counted_nor_served(hub):
    operator = OperatorFactory(country_code="FR", party_id="CPO")
    shared = _site(operator)
    save_location(location=shared)
    never = _site(operator, owner=None)  # Gireve §3.5.1: owner.name required
    save_location(location=never)

    listed = _get()
    one = _get(f"/{never.ocpi_id}")

    assert [loc["id"] for loc in listed.json()["data"]] == [shared.ocpi_id]
    assert listed["X-Total-Count"] == "1"
    assert one.status_code == 404 and one.json()["status_code"] == 2003
    assert _get(f"/{never.ocpi_id}/E1").status_code == 404


def test_withdrawn_location_the_hub_holds_is_served_with_publish_false(hub):
    operator = OperatorFactory(country_code="FR", party_id="CPO")
    complete, withdrawn = _site(operator), _site(operator)
    for location in (complete, withdrawn):
        save_location(location=location)
    withdrawn.owner = None
    save_location(location=withdrawn)  # the hub gets PUT publish=false

    listed = _get().json()["data"]
    one = _get(f"/{withdrawn.ocpi_id}").json()

    assert [(loc["id"], loc["publish"]) for loc in listed] == [
        (complete.ocpi_id, True),
        (withdrawn.ocpi_id, False),
    ]
    assert listed[0] == _hub_copy(complete)
    assert one["data"] == listed[1] == _hub_copy(withdrawn)
    PydanticLocation(**listed[1])


def test_held_back_evse_is_left_out_of_the_sender_copy(hub):
    operator = OperatorFactory(country_code="FR", party_id="CPO")
    location = _site(operator)
    save_location(location=location)
    EVSEFactory(location=location, uid="NO-CONNECTOR-YET")
    ConnectorFactory(evse=EVSEFactory(location=location, uid="NO-TARIFF", tariff_ids=[]))

    listed = _get().json()["data"]
    one = _get(f"/{location.ocpi_id}").json()["data"]

    assert [evse["uid"] for evse in listed[0]["evses"]] == ["E1"]
    assert one == listed[0] == _hub_copy(location)
    assert listed[0]["publish"] is True
    assert _get(f"/{location.ocpi_id}/NO-TARIFF").status_code == 404
    assert _get(f"/{location.ocpi_id}/E1").status_code == 200
