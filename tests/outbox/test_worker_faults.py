"""The push outbox under faults, delivered by real Celery workers to the hub simulator.

Real PostgreSQL (the test database, committed: transaction=True), a private redis-server as
broker, `celery worker` subprocesses, the hub simulator on loopback. Every test ends with the
same check (`assert_delivered_in_order`): every message delivered (or skipped by an operator),
none lost, none resent after a later one of its stream (a retry may repeat the head: never
out of order), and never two requests of one stream awaited at once (the simulator's
per-object in-flight tracking).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from locations import services as locations
from locations.models import Location
from locations.ocpi import location_to_ocpi
from locations.selectors import locations_for_ocpi
from roaming.outbox import services, tasks
from roaming.outbox.models import Message, Stream
from tests.factories import ConnectorFactory, EVSEFactory, LocationFactory

from .workers import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

STATUSES = ["CHARGING", "AVAILABLE", "BLOCKED", "AVAILABLE", "OUTOFORDER", "AVAILABLE"]


def sweep():
    """One beat tick of the sweeper, from the test loop."""
    tasks.sweep()


# --- producing and checking ----------------------------------------------------------

_clock = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def produce(platform, *, streams: range, per_stream: int) -> None:
    """Whole-location PUTs, round robin over `streams` (each body unique: its last_updated)."""
    global _clock
    for _ in range(per_stream):
        for n in streams:
            _clock += dt.timedelta(seconds=1)
            location_id = f"LOC{n:04d}"
            services.enqueue(
                platform=platform,
                stream_key=f"location:{location_id}",
                module="locations",
                method="PUT",
                path=f"/FR/AB1/{location_id}",
                body={
                    "country_code": "FR",
                    "party_id": "AB1",
                    "id": location_id,
                    "last_updated": _clock.isoformat().replace("+00:00", "Z"),
                },
                object_id=location_id,
            )


def _canonical(body) -> str:
    return json.dumps(body, sort_keys=True)


def assert_delivered_in_order(hub, *, skipped: int = 0, healed: int = 0) -> None:
    messages = list(Message.objects.select_related("stream").order_by("pk"))
    states = [m.state for m in messages]
    assert states.count(Message.State.DELIVERED) == len(messages) - skipped - healed, states
    assert states.count(Message.State.SKIPPED) == skipped
    assert states.count(Message.State.HEALED) == healed
    # A healing PUT takes the place of the PATCH it healed (it is recorded after the stream's
    # later messages, but sent before them).
    position = {m.pk: m.pk for m in messages}
    position |= {m.superseded_by_id: m.pk for m in messages if m.state == Message.State.HEALED}
    # OCPI DateTimes are whole seconds: two status PATCHes of one EVSE within a second can be
    # byte-identical, so one request may match several messages (candidates in stream order).
    by_object: dict[str, dict[tuple, list[Message]]] = {}
    for message in messages:
        key = hub.object_key(f"/ocpi/2.2.1/{message.stream.module}{message.path}")
        index = by_object.setdefault(key, {})
        index.setdefault((message.method, message.path, _canonical(message.body)), []).append(
            message
        )
    prefix = "/ocpi/2.2.1/"
    received: dict[str, list[int]] = {}
    for request in hub.received:
        key = hub.object_key(request.path)
        if key is None or request.method == "GET":
            continue  # healing reads the hub's copy: nothing queued
        path = "/" + request.path[len(prefix) :].split("/", 1)[1]
        candidates = by_object[key].get((request.method, path, _canonical(request.json)))
        assert candidates, f"the hub got something never queued: {request}"
        order = received.setdefault(key, [])
        last = order[-1] if order else 0
        # The earliest candidate not before what the hub already got: a retry of the same
        # message, or the next identical one; an earlier one only if nothing else fits.
        positions = sorted(position[m.pk] for m in candidates)
        order.append(next((p for p in positions if p >= last), positions[0]))
    for key, index in by_object.items():
        order = received.get(key, [])
        # A retry may repeat a message, never come back to it after a later one.
        assert order == sorted(order), f"{key} received out of order: {order}"
        delivered = {
            position[m.pk]
            for candidates in index.values()
            for m in candidates
            if m.state == Message.State.DELIVERED
        }
        assert delivered <= set(order), f"{key}: delivered but never received"
    assert hub.overlaps == [], "two requests of one stream were in flight at once"
    assert not Stream.objects.exclude(next_attempt_at=None).exists()


def hub_key(location) -> str:
    operator = location.operator
    return f"locations/{operator.country_code}/{operator.party_id}/{location.ocpi_id}"


def all_done() -> bool:
    return not Message.objects.filter(
        state__in=[Message.State.PENDING, Message.State.REJECTED]
    ).exists()


def failed_heads(at_least: int) -> bool:
    return Message.objects.filter(attempts__gte=2, state=Message.State.PENDING).count() >= at_least


# --- scenarios ------------------------------------------------------------------------


def test_hub_refusing_connections_then_back_gets_everything_in_order(
    connected_hub, hub_simulator, workers
):
    hub_simulator.set_fault("down")
    workers.start("w1")
    produce(connected_hub, streams=range(20), per_stream=5)
    # Retries after backoff come only from the sweeper: the heads were each tried twice.
    wait_until(lambda: failed_heads(20), timeout=30, tick=sweep, what="retries while down")
    assert not Message.objects.filter(state=Message.State.DELIVERED).exists()

    hub_simulator.set_fault(None)
    wait_until(all_done, timeout=60, tick=sweep, what="the backlog to drain")
    assert_delivered_in_order(hub_simulator)


def test_status_changes_during_http_500_reach_the_hub_in_order(
    connected_hub, hub_simulator, workers
):
    evses = []
    for _ in range(8):
        location = LocationFactory()
        for uid in ("E1", "E2"):
            evses.append(EVSEFactory(location=location, uid=uid))
            ConnectorFactory(evse=evses[-1])
        locations.save_location(location=location)  # queues the whole PUT
    workers.start("w1")
    workers.start("w2")
    wait_until(all_done, timeout=30, tick=sweep, what="the locations to be shared")

    hub_simulator.set_fault("http500")
    for status in STATUSES:
        for evse in evses:
            locations.set_evse_status(evse=evse, status=status)
    wait_until(lambda: failed_heads(8), timeout=30, tick=sweep, what="retries on HTTP 500")
    hub_simulator.set_fault(None)
    wait_until(all_done, timeout=60, tick=sweep, what="the status changes to drain")

    assert_delivered_in_order(hub_simulator)
    for evse in evses:
        cc, pid = evse.location.operator.country_code, evse.location.operator.party_id
        hub_location = hub_simulator.objects[f"locations/{cc}/{pid}/{evse.location.ocpi_id}"]
        [hub_evse] = [e for e in hub_location["evses"] if e["uid"] == evse.uid]
        assert hub_evse["status"] == STATUSES[-1] == evse.status


def test_statuses_of_locations_the_hub_lost_heal_and_arrive_in_order(
    connected_hub, hub_simulator, workers
):
    shared, evses = [], []
    for _ in range(6):
        shared.append(LocationFactory())
        for uid in ("E1", "E2"):
            evses.append(EVSEFactory(location=shared[-1], uid=uid))
            ConnectorFactory(evse=evses[-1])
        locations.save_location(location=shared[-1])
    workers.start("w1")
    workers.start("w2")
    wait_until(all_done, timeout=30, tick=sweep, what="the locations to be shared")

    paths = [hub_key(location) for location in shared]
    for path in paths[:3]:
        hub_simulator.forget(path)  # the IOP purged them
    hub_simulator.forget(f"{paths[3]}/E1")  # or lost one EVSE
    for status in STATUSES:
        for evse in evses:
            locations.set_evse_status(evse=evse, status=status)
    wait_until(all_done, timeout=60, tick=sweep, what="the status changes to drain")

    assert_delivered_in_order(hub_simulator, healed=4)
    for location, path in zip(shared, paths, strict=True):
        ours = location_to_ocpi(locations_for_ocpi(Location.objects.filter(pk=location.pk)).get())
        theirs = hub_simulator.objects[path]
        assert sorted(theirs["evses"], key=lambda e: e["uid"]) == ours["evses"]
        assert theirs == {**ours, "evses": theirs["evses"]}


def test_answers_slower_than_the_read_timeout_are_retried_in_order(
    connected_hub, hub_simulator, workers
):
    connected_hub.read_timeout = 0.5
    connected_hub.save()
    hub_simulator.set_fault("slow", delay=1.0)
    workers.start("w1", concurrency=4)
    produce(connected_hub, streams=range(8), per_stream=4)
    wait_until(lambda: failed_heads(8), timeout=40, tick=sweep, what="read timeouts")
    assert "ReadTimeout" in Message.objects.filter(attempts__gte=1).first().last_error

    hub_simulator.set_fault(None)
    wait_until(all_done, timeout=60, tick=sweep, what="the backlog to drain")
    assert_delivered_in_order(hub_simulator)


def test_worker_killed_mid_delivery_is_taken_over_by_beat_after_its_lease(
    connected_hub, hub_simulator, workers
):
    # Answers take 2 s, within the 3 s read timeout: the worker is truly mid-delivery.
    connected_hub.read_timeout = 3.0
    connected_hub.save()
    hub_simulator.set_fault("slow", delay=2.0)
    workers.start("doomed", concurrency=2)
    produce(connected_hub, streams=range(6), per_stream=3)
    wait_until(lambda: len(hub_simulator.in_flight) == 2, timeout=20, what="two in flight")
    workers.kill("doomed")
    hub_simulator.set_fault(None)
    leased = Stream.objects.exclude(lease_owner="").count()
    assert leased == 2  # the dead worker's leases, left to expire

    # No sweep from the test: beat in the new worker re-enqueues the orphaned streams.
    workers.start("rescuer", beat=True, OUTBOX_SWEEP_SECONDS=0.5, OUTBOX_REKICK_SECONDS=1)
    wait_until(all_done, timeout=60, what="the rescuer to deliver everything")
    assert_delivered_in_order(hub_simulator)


def test_redis_restarted_mid_run_loses_no_message(
    connected_hub, hub_simulator, workers, private_redis
):
    hub_simulator.set_fault("slow", delay=0.03)  # a steady pace, so the restart is mid-run
    workers.start("w1")
    workers.start("w2")
    produce(connected_hub, streams=range(100), per_stream=3)
    delivered = Message.objects.filter(state=Message.State.DELIVERED)
    wait_until(lambda: delivered.count() >= 30, timeout=30, what="delivery under way")

    private_redis.stop()  # every queued and unacknowledged task is lost
    produce(connected_hub, streams=range(90, 110), per_stream=2)  # kicks fail: committed anyway
    assert delivered.count() < Message.objects.count()
    private_redis.start()

    hub_simulator.set_fault(None)
    wait_until(all_done, timeout=90, tick=sweep, what="the sweeper to recover lost tasks")
    assert_delivered_in_order(hub_simulator)


def test_two_workers_racing_over_500_streams_keep_each_stream_serial(
    connected_hub, hub_simulator, workers
):
    workers.start("w1")
    workers.start("w2")
    produce(connected_hub, streams=range(500), per_stream=2)
    # Duplicate tasks for every stream: both workers compete for the same streams.
    Stream.objects.update(kicked_at=None)
    sweep()
    wait_until(all_done, timeout=90, tick=sweep, what="1000 messages")
    assert_delivered_in_order(hub_simulator)
    assert Message.objects.count() == 1000 and Stream.objects.count() == 500


def test_rejection_holds_streams_until_resent_or_skipped(connected_hub, hub_simulator, workers):
    hub_simulator.set_fault("reject2001")
    workers.start("w1")
    produce(connected_hub, streams=range(6), per_stream=3)
    held = Stream.objects.filter(held=True, held_reason=Stream.HeldReason.REJECTED)
    wait_until(lambda: held.count() == 6, timeout=30, tick=sweep, what="six held streams")
    assert Message.objects.filter(state=Message.State.REJECTED).count() == 6
    # Held: nothing moves, however often the sweeper runs.
    for _ in range(3):
        sweep()
    assert Message.objects.filter(attempts__gt=0).count() == 6

    hub_simulator.set_fault(None)  # the hub fixed its side
    streams = list(Stream.objects.order_by("key"))
    for stream in streams[:3]:
        services.resend(stream=stream, note="hub fixed its reference data")
    for stream in streams[3:]:
        services.skip(stream=stream, reason="superseded by the corrected data that follows")
    wait_until(all_done, timeout=30, tick=sweep, what="resent and skipped streams")
    assert_delivered_in_order(hub_simulator, skipped=3)
    resent_heads = Message.objects.filter(stream__in=streams[:3], attempts=2)
    assert resent_heads.count() == 3
    assert not Stream.objects.filter(held=True).exists()
