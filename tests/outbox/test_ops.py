"""Ops on the outbox through the admin, /metrics and /health, against the hub simulator."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from locations import services as location_services
from roaming.outbox import delivery
from roaming.outbox.models import Message, Stream
from tests.factories import (
    ConnectorFactory,
    EVSEFactory,
    LocationFactory,
    MessageFactory,
    StreamFactory,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:outbox_stream_changelist"


def _shared_location():
    location = LocationFactory()
    ConnectorFactory(evse=EVSEFactory(location=location, uid="E1"))
    location_services.save_location(location=location)
    return location


def _action(admin_client, action, stream, **extra):
    data = {"action": action, "_selected_action": [stream.pk], **extra}
    return admin_client.post(reverse(CHANGELIST), data, follow=True)


def test_rejected_push_is_held_shown_to_ops_and_resent_after_the_fix(
    admin_client, connected_hub, hub_simulator
):
    location = _shared_location()
    stream = Stream.objects.get()
    hub_simulator.set_fault("reject2001")
    delivery.deliver_stream(stream.pk)
    location_services.set_evse_status(evse=location.evses.get(), status="CHARGING")
    delivery.deliver_stream(stream.pk)  # held: the status PATCH waits behind the refused PUT

    page = admin_client.get(reverse(CHANGELIST)).content.decode()
    assert "Simulated rejection: invalid data" in page
    assert "held" in page
    assert [m.state for m in Message.objects.order_by("pk")] == ["REJECTED", "PENDING"]

    hub_simulator.set_fault(None)  # the hub (or our data) was fixed
    _action(admin_client, "resend_head", stream)
    delivery.deliver_stream(stream.pk)
    received = hub_simulator.requests_to("locations")
    assert [r.method for r in received] == ["PUT", "PUT", "PATCH"]  # refused PUT, PUT, PATCH
    assert set(Message.objects.values_list("state", flat=True)) == {"DELIVERED"}
    stored = hub_simulator.objects[f"locations/FR/{location.party_id}/{location.ocpi_id}"]
    assert stored["evses"][0]["status"] == "CHARGING"


def test_skip_asks_for_a_reason_keeps_the_message_and_sends_the_rest(
    admin_client, connected_hub, hub_simulator
):
    location = _shared_location()
    stream = Stream.objects.get()
    hub_simulator.set_fault("reject2001")
    delivery.deliver_stream(stream.pk)
    location_services.set_evse_status(evse=location.evses.get(), status="CHARGING")
    hub_simulator.set_fault(None)

    form = _action(admin_client, "skip_head", stream)
    assert b'name="reason"' in form.content
    _action(admin_client, "skip_head", stream, apply="1", reason="  ")
    assert Message.objects.order_by("pk").first().state == "REJECTED"  # no reason, no skip

    _action(admin_client, "skip_head", stream, apply="1", reason="PUT refused, data fixed")
    skipped = Message.objects.order_by("pk").first()
    assert skipped.state == "SKIPPED" and skipped.note.startswith("PUT refused, data fixed")
    delivery.deliver_stream(stream.pk)
    # The hub never got the location: the PATCH is healed (GET EVSE, GET location, whole PUT).
    methods = [r.method for r in hub_simulator.requests_to("locations")]
    assert methods == ["PUT", "PATCH", "GET", "GET", "PUT"]


def test_hold_stops_delivery_and_retry_now_ends_a_backoff(
    admin_client, connected_hub, hub_simulator
):
    _shared_location()
    stream = Stream.objects.get()
    _action(admin_client, "hold_streams", stream)
    assert delivery.deliver_stream(stream.pk) == 0
    assert hub_simulator.requests_to("locations") == []

    _action(admin_client, "resend_head", stream)  # release: head was never refused
    hub_simulator.set_fault("http500")
    delivery.deliver_stream(stream.pk)
    stream.refresh_from_db()
    assert stream.next_attempt_at > timezone.now()  # backing off
    hub_simulator.set_fault(None)
    _action(admin_client, "retry_now", stream)
    assert delivery.deliver_stream(stream.pk) == 1


def test_message_page_links_to_its_exchange_in_the_message_log(
    admin_client, connected_hub, hub_simulator
):
    _shared_location()
    message = Message.objects.get()
    delivery.deliver_stream(message.stream_id)
    message.refresh_from_db()
    page = admin_client.get(reverse("admin:outbox_message_change", args=[message.pk]))
    log_url = reverse("admin:roaming_messagelog_change", args=[message.last_log_id])
    assert log_url in page.content.decode()


def test_metrics_report_the_backlog_per_platform(client, connected_hub, hub_simulator):
    _shared_location()
    stream = Stream.objects.get()
    Message.objects.filter(stream=stream).update(
        created_at=timezone.now() - dt.timedelta(minutes=10)
    )
    hub_simulator.set_fault("http500")
    delivery.deliver_stream(stream.pk)
    MessageFactory.create_batch(2, stream=_held_stream(connected_hub))

    text = client.get("/metrics").content.decode()
    name = connected_hub.name
    assert f'ocpi_outbox_pending_messages{{platform="{name}"}} 3.0' in text
    assert f'ocpi_outbox_held_streams{{platform="{name}"}} 1.0' in text
    assert f'ocpi_outbox_technical_failures_total{{platform="{name}"}} 1.0' in text
    age = _sample(text, "ocpi_outbox_oldest_pending_age_seconds", name)
    assert 600 <= age < 700


def test_metrics_token_is_required_when_set(client, settings):
    settings.METRICS_TOKEN = "s3cret"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200


def test_health_reports_a_stuck_outbox(client, connected_hub, settings):
    settings.OUTBOX_STUCK_SECONDS = 60
    _shared_location()
    assert client.get("/health/outbox").status_code == 200
    # Due for two minutes and nobody took it: workers or beat are down.
    Stream.objects.update(next_attempt_at=timezone.now() - dt.timedelta(minutes=2))
    answer = client.get("/health/outbox")
    assert answer.status_code == 503
    assert answer.json()["stuck_streams"] == 1
    liveness = client.get("/health")
    assert liveness.status_code == 200 and liveness.json()["outbox"]["status"] == "stuck"
    # A stream in backoff (hub failing) is waiting, not stuck.
    Stream.objects.update(next_attempt_at=timezone.now() + dt.timedelta(minutes=5))
    assert client.get("/health/outbox").status_code == 200


def _held_stream(platform):
    return StreamFactory(platform=platform, held=True, held_reason=Stream.HeldReason.OPERATOR)


def _sample(text: str, metric: str, platform: str) -> float:
    prefix = f'{metric}{{platform="{platform}"}} '
    line = next(line for line in text.splitlines() if line.startswith(prefix))
    return float(line.removeprefix(prefix))


def test_stream_list_reads_a_constant_number_of_queries(
    admin_client, connected_hub, django_assert_max_num_queries
):
    for _ in range(30):
        MessageFactory(stream=StreamFactory(platform=connected_hub), last_error="HTTP 500")
    with django_assert_max_num_queries(12):
        page = admin_client.get(reverse(CHANGELIST))
    assert page.content.decode().count("HTTP 500") == 30
