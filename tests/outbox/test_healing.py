"""A PATCH the hub answers "unknown object" is healed by a whole PUT (roaming.outbox.healing).

OCPI 2.2.1 transport_and_format (PATCH): on failure GET the object; if it does not exist, PUT it.
"""

import pytest
from django.urls import reverse

from locations import services
from locations.models import Location
from locations.ocpi import location_to_ocpi
from locations.selectors import locations_for_ocpi
from roaming.outbox import delivery
from roaming.outbox.models import Message, Stream
from tests.factories import ConnectorFactory, EVSEFactory, LocationFactory

pytestmark = pytest.mark.django_db


def _pushed_location():
    """A location with EVSEs E1, E2 that the hub got (its whole PUT delivered)."""
    location = LocationFactory()
    for uid in ("E1", "E2"):
        ConnectorFactory(evse=EVSEFactory(location=location, uid=uid))
    services.save_location(location=location)
    assert delivery.deliver_stream(Stream.objects.get().pk) == 1
    return location


def _ours(location):
    return location_to_ocpi(locations_for_ocpi(Location.objects.filter(pk=location.pk)).get())


def _hub_path(location, *ids):
    operator = location.operator
    return "/".join(["locations", operator.country_code, operator.party_id, location.ocpi_id, *ids])


def _evses_by_uid(location: dict) -> dict:
    """The hub appends an EVSE PUT anew: compare EVSEs by uid, not by position."""
    return {**location, "evses": sorted(location["evses"], key=lambda evse: evse["uid"])}


def _exchanges_since(hub, count):
    received = hub.requests_to("locations")[count:]
    return [(r.method, r.path.split("/locations/")[1]) for r in received]


def _change_statuses(location):
    services.set_evse_status(evse=location.evses.get(uid="E1"), status="CHARGING")
    services.set_evse_status(evse=location.evses.get(uid="E2"), status="CHARGING")
    services.set_evse_status(evse=location.evses.get(uid="E1"), status="AVAILABLE")


def test_location_the_hub_lost_is_put_whole_then_later_statuses_follow_in_order(
    connected_hub, hub_simulator, admin_client
):
    location = _pushed_location()
    hub_simulator.forget(_hub_path(location))
    seen = len(hub_simulator.requests_to("locations"))
    _change_statuses(location)

    delivery.deliver_stream(Stream.objects.get().pk)

    here = _hub_path(location).removeprefix("locations/")
    assert _exchanges_since(hub_simulator, seen) == [
        ("PATCH", f"{here}/E1"),  # 404 / 2003
        ("GET", f"{here}/E1"),
        ("GET", here),
        ("PUT", here),  # the whole location, as it is now
        ("PATCH", f"{here}/E2"),
        ("PATCH", f"{here}/E1"),
    ]
    assert hub_simulator.objects[_hub_path(location)] == _ours(location)
    stream = Stream.objects.get()
    assert not stream.held and stream.next_attempt_at is None
    healed = Message.objects.get(state=Message.State.HEALED)
    put = healed.superseded_by
    assert (healed.method, healed.last_ocpi_status) == ("PATCH", 2003)
    assert (put.method, put.path, put.state) == ("PUT", f"/{here}", Message.State.DELIVERED)
    assert f"#{put.pk}" in healed.note
    page = admin_client.get(reverse("admin:outbox_stream_change", args=[stream.pk]))
    assert "replaced by a whole PUT" in page.content.decode()
    assert reverse("admin:outbox_message_change", args=[put.pk]) in page.content.decode()


def test_evse_the_hub_lost_is_put_alone(connected_hub, hub_simulator):
    location = _pushed_location()
    hub_simulator.forget(_hub_path(location, "E1"))
    seen = len(hub_simulator.requests_to("locations"))
    _change_statuses(location)

    delivery.deliver_stream(Stream.objects.get().pk)

    here = _hub_path(location).removeprefix("locations/")
    assert _exchanges_since(hub_simulator, seen) == [
        ("PATCH", f"{here}/E1"),
        ("GET", f"{here}/E1"),
        ("GET", here),  # the location is there: only the EVSE is missing
        ("PUT", f"{here}/E1"),
        ("PATCH", f"{here}/E2"),
        ("PATCH", f"{here}/E1"),
    ]
    assert _evses_by_uid(hub_simulator.objects[_hub_path(location)]) == _ours(location)
    assert Message.objects.get(state=Message.State.HEALED).superseded_by.path == f"/{here}/E1"


def test_a_location_we_no_longer_share_is_not_rebuilt_and_the_patch_holds(
    connected_hub, hub_simulator
):
    location = _pushed_location()
    hub_simulator.forget(_hub_path(location))
    services.set_evse_status(evse=location.evses.get(uid="E1"), status="CHARGING")
    Location.objects.filter(pk=location.pk).update(publish=False)  # not ours to rebuild now

    delivery.deliver_stream(Stream.objects.get().pk)

    head = Message.objects.get(method="PATCH")
    assert head.state == Message.State.REJECTED and Stream.objects.get().held
    assert not hub_simulator.requests_to("locations", "PUT")[1:]


def test_a_genuine_2001_still_holds_the_stream(connected_hub, hub_simulator):
    location = _pushed_location()
    seen = len(hub_simulator.requests_to("locations"))
    hub_simulator.set_fault("reject2001")
    _change_statuses(location)

    delivery.deliver_stream(Stream.objects.get().pk)

    here = _hub_path(location).removeprefix("locations/")
    assert _exchanges_since(hub_simulator, seen) == [("PATCH", f"{here}/E1")]
    stream = Stream.objects.get()
    assert stream.held and stream.held_note.startswith("OCPI 2001")
    assert Message.objects.filter(state=Message.State.PENDING).count() == 2
    assert not Message.objects.filter(state=Message.State.HEALED).exists()
