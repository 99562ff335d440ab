"""POST /api/csms/v1/evse-status: mapping, ordering, idempotency, and the PATCH to the hub."""

import datetime as dt

import pytest

from locations import services as locations
from locations.models import EVSE, OutOfOrderInterval
from roaming.outbox import delivery
from roaming.outbox.models import Message
from sessions.csms.models import ProcessedEvent
from tests.factories import EvseMappingFactory

from .bridge import call, now, stamp, status_event

pytestmark = pytest.mark.django_db


def report(csms, **fields):
    response = call(csms, "evse-status", status_event(**fields))
    assert response.status_code == 200, response.content
    return response.json()


def status(evse) -> str:
    return EVSE.objects.get(pk=evse.pk).status


@pytest.mark.parametrize(
    ("protocol", "reported", "ocpi"),
    [
        ("ocpp1.6", "Available", "AVAILABLE"),
        ("ocpp1.6", "Preparing", "CHARGING"),
        ("ocpp1.6", "SuspendedEVSE", "CHARGING"),
        ("ocpp1.6", "Finishing", "CHARGING"),
        ("ocpp1.6", "Reserved", "RESERVED"),
        ("ocpp1.6", "Unavailable", "INOPERATIVE"),
        ("ocpp1.6", "Faulted", "OUTOFORDER"),
        ("ocpp2.0.1", "Occupied", "CHARGING"),
        ("ocpi", "BLOCKED", "BLOCKED"),
    ],
)
def test_reported_status_is_mapped_to_ocpi(csms, evse, protocol, reported, ocpi):
    answer = report(csms, protocol=protocol, status=reported)

    assert (answer["applied"], answer["ocpi_status"]) == (True, ocpi)
    assert status(evse) == ocpi


def test_status_change_reaches_the_hub_as_a_patch(csms, evse, connected_hub, hub_simulator):
    locations.save_location(location=evse.location)  # the hub gets the whole location first
    [put] = Message.objects.all()
    delivery.deliver_stream(put.stream_id)

    report(csms, status="Charging")

    [message] = Message.objects.exclude(pk=put.pk)
    assert (message.method, message.path) == ("PATCH", "/FR/AB1/PAR-1/E1")
    delivery.deliver_stream(message.stream_id)
    [patch] = hub_simulator.requests_to("locations", "PATCH")
    assert patch.path.endswith("/locations/FR/AB1/PAR-1/E1")
    assert patch.json == message.body and message.body["status"] == "CHARGING"
    held = hub_simulator.objects["locations/FR/AB1/PAR-1"]
    assert [e["status"] for e in held["evses"] if e["uid"] == "E1"] == ["CHARGING"]


def test_older_status_is_acknowledged_and_ignored(csms, evse):
    later, earlier = now(), now() - dt.timedelta(seconds=30)
    report(csms, status="Charging", timestamp=stamp(later))

    answer = report(csms, status="Available", timestamp=stamp(earlier))

    assert answer["applied"] is False and "older" in answer["reason"]
    assert status(evse) == "CHARGING"
    assert ProcessedEvent.objects.count() == 2


def test_out_of_order_interval_follows_the_charge_point_clock(csms, evse):
    faulted, repaired = now() - dt.timedelta(minutes=20), now() - dt.timedelta(minutes=5)
    report(csms, status="Faulted", error_code="GroundFailure", timestamp=stamp(faulted))
    report(csms, status="Available", timestamp=stamp(repaired))
    report(csms, status="Charging")

    [interval] = OutOfOrderInterval.objects.filter(evse=evse)
    assert (interval.started_at, interval.ended_at) == (
        faulted.replace(microsecond=faulted.microsecond // 1000 * 1000),
        repaired.replace(microsecond=repaired.microsecond // 1000 * 1000),
    )


def test_replay_is_acknowledged_and_changes_nothing(csms, evse, connected_hub):
    event = status_event(status="Charging")
    first = call(csms, "evse-status", event).json()
    queued = Message.objects.count()
    report(csms, status="Available")  # a later status in between
    again = call(csms, "evse-status", event).json()

    assert again == {**first, "duplicate": True}
    assert status(evse) == "AVAILABLE"
    assert Message.objects.count() == queued + 1  # only the Available change


def test_event_id_reused_for_another_event_is_refused(csms, evse):
    event = status_event(status="Charging")
    call(csms, "evse-status", event)

    response = call(csms, "evse-status", {**event, "status": "Available"})

    assert response.status_code == 409
    assert status(evse) == "CHARGING"


def test_ocpp_ids_resolve_through_the_mapping(csms, location):
    e2 = location.evses.get(uid="E2")
    EvseMappingFactory(csms=csms, evse=e2, charge_point_id="CP-PARIS-01", connector_id=2)
    ids = {"location_id": None, "evse_uid": None}

    answer = report(csms, **ids, charge_point_id="cp-paris-01", connector_id="2", status="Faulted")
    unmapped = call(
        csms, "evse-status", status_event(**ids, charge_point_id="CP-X", connector_id="1")
    )

    assert (answer["evse_uid"], status(e2)) == ("E2", "OUTOFORDER")
    assert unmapped.status_code == 404 and "admin" in unmapped.json()["detail"]


def test_removed_evse_is_not_revived(csms, evse):
    EVSE.objects.filter(pk=evse.pk).update(status="REMOVED")

    response = call(csms, "evse-status", status_event(status="Available"))

    assert response.status_code == 409
    assert status(evse) == "REMOVED" and not ProcessedEvent.objects.exists()


def test_evse_with_incomplete_data_is_a_clear_409_not_a_500(csms, evse):
    EVSE.objects.filter(pk=evse.pk).update(evse_id="")  # Gireve §3.5.5: required unless REMOVED

    response = call(csms, "evse-status", status_event(status="Faulted"))

    assert response.status_code == 409 and "evse_id" in response.json()["detail"]
    assert status(evse) == "AVAILABLE" and not ProcessedEvent.objects.exists()
