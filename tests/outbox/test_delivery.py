"""Delivery of one stream in this process against the hub simulator: outcomes, order, leases."""

import datetime as dt

import pytest
from django.utils import timezone

from roaming.models import MessageLog
from roaming.outbox import delivery, services
from roaming.outbox.models import Message, Stream

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _short_backoff(settings):
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 10
    settings.OUTBOX_BACKOFF_CAP_SECONDS = 3600


def _status(platform, status, *, location="LOC1", evse="E1", key=None):
    return services.enqueue(
        platform=platform,
        stream_key=key or f"location:{location}",
        module="locations",
        method="PATCH",
        path=f"/FR/AB1/{location}/{evse}",
        body={"status": status, "last_updated": "2026-01-01T12:00:00Z"},
        object_id=location,
    )


def _put_location(platform, location="LOC1", evses=("E1",)):
    body = {
        "country_code": "FR",
        "party_id": "AB1",
        "id": location,
        "evses": [{"uid": uid, "status": "AVAILABLE"} for uid in evses],
    }
    return services.enqueue(
        platform=platform,
        stream_key=f"location:{location}",
        module="locations",
        method="PUT",
        path=f"/FR/AB1/{location}",
        body=body,
        object_id=location,
    )


def _make_due(stream):
    Stream.objects.filter(pk=stream.pk).update(next_attempt_at=timezone.now())


def test_stream_is_delivered_in_creation_order(connected_hub, hub_simulator):
    first = _put_location(connected_hub)
    for status in ["CHARGING", "AVAILABLE", "OUTOFORDER"]:
        _status(connected_hub, status)
    assert delivery.deliver_stream(first.stream_id) == 4
    received = hub_simulator.requests_to("locations")
    assert [r.method for r in received] == ["PUT", "PATCH", "PATCH", "PATCH"]
    assert [r.json.get("status") for r in received[1:]] == ["CHARGING", "AVAILABLE", "OUTOFORDER"]
    assert hub_simulator.objects["locations/FR/AB1/LOC1"]["evses"][0]["status"] == "OUTOFORDER"
    assert set(Message.objects.values_list("state", flat=True)) == {"DELIVERED"}
    stream = Stream.objects.get()
    assert stream.next_attempt_at is None and stream.lease_owner == ""
    assert stream.delivered_count == 4


def test_delivered_message_links_to_its_exchange_in_the_message_log(connected_hub):
    message = _put_location(connected_hub)
    delivery.deliver_stream(message.stream_id)
    message.refresh_from_db()
    assert message.last_log.url.endswith("/locations/FR/AB1/LOC1")
    assert message.last_log.ocpi_status == 1000


def test_technical_failure_keeps_the_head_and_backs_off(connected_hub, hub_simulator):
    first = _put_location(connected_hub)
    _status(connected_hub, "CHARGING")
    hub_simulator.set_fault("http500")
    before = timezone.now()
    assert delivery.deliver_stream(first.stream_id) == 0
    first.refresh_from_db()
    assert first.state == Message.State.PENDING and first.attempts == 1
    assert first.last_http_status == 500 and "Simulated server error" in first.last_error
    stream = Stream.objects.get()
    # First retry after 5..10 s (base 10 s, jitter in the upper half).
    assert before + dt.timedelta(seconds=5) <= stream.next_attempt_at
    assert stream.next_attempt_at <= timezone.now() + dt.timedelta(seconds=10)
    # Not due yet: a new task does nothing.
    assert delivery.deliver_stream(first.stream_id) == 0
    assert len(hub_simulator.requests_to("locations")) == 1

    hub_simulator.set_fault(None)
    _make_due(stream)
    assert delivery.deliver_stream(first.stream_id) == 2
    methods = [r.method for r in hub_simulator.requests_to("locations")]
    assert methods == ["PUT", "PUT", "PATCH"]


def test_connection_refused_is_a_technical_failure(connected_hub, hub_simulator):
    message = _put_location(connected_hub)
    hub_simulator.set_fault("down")
    delivery.deliver_stream(message.stream_id)
    message.refresh_from_db()
    assert message.state == Message.State.PENDING
    assert message.last_http_status is None and "ConnectionError" in message.last_error


def test_backoff_grows_exponentially_up_to_the_cap(settings):
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 10
    settings.OUTBOX_BACKOFF_CAP_SECONDS = 3600
    for attempts, ceiling in [(1, 10), (2, 20), (3, 40), (9, 2560), (10, 3600), (60, 3600)]:
        delays = [delivery.backoff_seconds(attempts) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays), (attempts, min(delays))


def test_rejection_holds_only_its_stream_until_resent(connected_hub, hub_simulator):
    rejected = _put_location(connected_hub, "LOC1")
    _status(connected_hub, "CHARGING", location="LOC1")
    hub_simulator.set_fault("reject2001")
    delivery.deliver_stream(rejected.stream_id)
    rejected.refresh_from_db()
    stream = rejected.stream
    stream.refresh_from_db()
    assert rejected.state == Message.State.REJECTED and rejected.last_ocpi_status == 2001
    assert stream.held and stream.held_reason == Stream.HeldReason.REJECTED
    assert "2001" in stream.held_note and "Simulated rejection" in stream.held_note
    assert stream.next_attempt_at is None

    hub_simulator.set_fault(None)
    other = _put_location(connected_hub, "LOC2")
    assert delivery.deliver_stream(other.stream_id) == 1
    assert delivery.deliver_stream(rejected.stream_id) == 0  # held: nothing moves

    services.resend(stream=stream, note="hub fixed its reference data")
    assert delivery.deliver_stream(rejected.stream_id) == 2
    rejected.refresh_from_db()
    assert rejected.state == Message.State.DELIVERED and rejected.attempts == 2
    paths = [r.path for r in hub_simulator.requests_to("locations")]
    assert paths[-2:] == [
        "/ocpi/2.2.1/locations/FR/AB1/LOC1",
        "/ocpi/2.2.1/locations/FR/AB1/LOC1/E1",
    ]


def test_skipped_rejection_lets_the_corrected_message_through(connected_hub, hub_simulator):
    bad = _put_location(connected_hub)
    hub_simulator.set_fault("reject2001")
    delivery.deliver_stream(bad.stream_id)
    hub_simulator.set_fault(None)
    fixed = _put_location(connected_hub, evses=("E1", "E2"))
    assert delivery.deliver_stream(bad.stream_id) == 0
    services.skip(stream=bad.stream, reason="EVSE E2 was missing; corrected PUT queued")
    assert delivery.deliver_stream(bad.stream_id) == 1
    fixed.refresh_from_db()
    assert fixed.state == Message.State.DELIVERED
    assert len(hub_simulator.objects["locations/FR/AB1/LOC1"]["evses"]) == 2
    bad.refresh_from_db()
    assert bad.state == Message.State.SKIPPED and bad.note.startswith("EVSE E2")


def test_paused_platform_keeps_its_messages(connected_hub, hub_simulator):
    message = _put_location(connected_hub)
    connected_hub.push_paused = True
    connected_hub.save()
    assert delivery.deliver_stream(message.stream_id) == 0
    assert hub_simulator.requests_to("locations") == []
    connected_hub.push_paused = False
    connected_hub.save()
    assert delivery.deliver_stream(message.stream_id) == 1


def test_leased_stream_is_left_to_its_worker_until_the_lease_expires(connected_hub, hub_simulator):
    message = _put_location(connected_hub)
    stream = message.stream
    Stream.objects.filter(pk=stream.pk).update(
        lease_owner="other-worker", locked_until=timezone.now() + dt.timedelta(seconds=30)
    )
    assert delivery.deliver_stream(stream.pk) == 0
    assert hub_simulator.requests_to("locations") == []
    # The other worker died: its lease expires and the stream is taken over.
    Stream.objects.filter(pk=stream.pk).update(locked_until=timezone.now())
    assert delivery.deliver_stream(stream.pk) == 1


def test_outcome_of_a_worker_that_lost_its_lease_is_not_recorded(connected_hub):
    message = _put_location(connected_hub)
    owner = "slow-worker"
    stream, head = delivery._acquire(message.stream_id, owner)
    Stream.objects.filter(pk=stream.pk).update(lease_owner="new-owner")
    outcome = delivery._send(
        delivery.OcpiClient(connected_hub),
        connected_hub.endpoint_url("locations", "RECEIVER"),
        stream,
        head,
    )
    assert outcome.ok
    assert delivery._record(stream.pk, head, outcome, owner, 0) == (None, 0)
    message.refresh_from_db()
    assert message.state == Message.State.PENDING and message.attempts == 0


def test_first_retry_that_succeeds_ends_every_other_backoff(connected_hub, hub_simulator):
    one = _put_location(connected_hub, "LOC1")
    two = _put_location(connected_hub, "LOC2")
    hub_simulator.set_fault("down")
    delivery.deliver_stream(one.stream_id)
    delivery.deliver_stream(two.stream_id)
    assert Stream.objects.filter(next_attempt_at__gt=timezone.now()).count() == 2
    hub_simulator.set_fault(None)
    _make_due(one.stream)
    delivery.deliver_stream(one.stream_id)
    two.stream.refresh_from_db()
    assert two.stream.next_attempt_at <= timezone.now()
    assert delivery.deliver_stream(two.stream_id) == 1


def test_batch_limit_yields_the_worker_and_leaves_the_stream_due(connected_hub, settings):
    settings.OUTBOX_BATCH = 2
    first = _put_location(connected_hub)
    for status in ["CHARGING", "AVAILABLE"]:
        _status(connected_hub, status)
    assert delivery.deliver_stream(first.stream_id) == 2
    stream = Stream.objects.get()
    assert stream.next_attempt_at is not None and stream.lease_owner == ""
    assert delivery.deliver_stream(first.stream_id) == 1


def test_purge_keeps_pending_and_recent_messages(connected_hub, settings):
    settings.OUTBOX_RETENTION_DAYS = 30
    old = _put_location(connected_hub, "LOC1")
    delivery.deliver_stream(old.stream_id)
    recent = _put_location(connected_hub, "LOC2")
    delivery.deliver_stream(recent.stream_id)
    pending = _put_location(connected_hub, "LOC3")
    Message.objects.filter(pk__in=[old.pk, pending.pk]).update(
        done_at=timezone.now() - dt.timedelta(days=31),
        created_at=timezone.now() - dt.timedelta(days=40),
    )
    Message.objects.filter(pk=pending.pk).update(done_at=None)
    assert services.purge() == 1
    assert set(Message.objects.values_list("pk", flat=True)) == {recent.pk, pending.pk}
    assert MessageLog.objects.exists()
