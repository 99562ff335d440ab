"""What the hub gets while a session runs (sessions.session_push): PUT or PATCH per platform,
meter updates throttled, queued intermediate updates superseded, ACTIVE/COMPLETED kept."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from py_ocpi.modules.sessions.v_2_2_1.schemas import Session as PydanticSession
from py_ocpi.modules.sessions.v_2_2_1.schemas import SessionPartialUpdate

from roaming.models import Platform
from roaming.outbox import delivery
from roaming.outbox.models import Message, Stream
from sessions import session_push
from sessions import session_services as services
from sessions.charging_periods import Sample

from .conftest import TOKEN, utc

pytestmark = pytest.mark.django_db
EXAMPLES = Path(__file__).parent.parent / "data" / "ocpi_examples"
START = utc(2026, 3, 13, 20, 30)  # Paris 21:30; the night tariff starts at 22:00 local


def _start(evse, connector):
    return services.start_session(
        evse=evse,
        connector=connector,
        started_at=START,
        meter_start_wh=0,
        cdr_token=TOKEN,
        auth_method="AUTH_REQUEST",
        now=START,
    )


def _meter(session, minutes, *, now_minutes=None, state="CHARGING"):
    at = START + dt.timedelta(minutes=minutes)
    now = START + dt.timedelta(minutes=now_minutes if now_minutes is not None else minutes)
    sample = Sample(at, 120 * minutes, state)
    return services.record_meter_values(session=session, samples=[sample], now=now)


def _deliver(session):
    """What is queued reaches the hub simulator (real HTTP on loopback)."""
    stream = Stream.objects.get(key=session_push.stream_key(session))
    while delivery.deliver_stream(stream.pk):
        pass


def _messages(session, *states):
    queryset = Message.objects.filter(stream__key=session_push.stream_key(session))
    if states:
        queryset = queryset.filter(state__in=states)
    return list(queryset.order_by("pk"))


def test_put_platform_gets_every_period_in_each_update(put_hub, charger):
    session = _start(*charger)
    for minutes in (10, 20, 40):
        session = _meter(session, minutes)
    updates = _messages(session)[1:]
    assert [m.method for m in updates] == ["PUT", "PUT", "PUT"]
    # 21:30 -> 22:00 local is one period, then the night window: two after 40 minutes.
    assert [len(m.body["charging_periods"]) for m in updates] == [1, 1, 2]
    for message in updates:
        PydanticSession(**message.body)
        assert message.body["status"] == "ACTIVE"


def test_patch_platform_gets_only_new_periods_kwh_cost_and_last_updated(patch_hub, charger):
    assert patch_hub.session_update_method == Platform.SessionUpdate.PATCH
    session = _start(*charger)
    for minutes in (20, 40, 60):
        _deliver(session)  # nothing queued: each update may be a PATCH
        session = _meter(session, minutes)
    active, *updates = _messages(session)
    assert active.method == "PUT" and active.body["status"] == "ACTIVE"
    assert [m.method for m in updates] == ["PATCH", "PATCH", "PATCH"]
    for message in updates:
        SessionPartialUpdate(**message.body)
        assert set(message.body) <= {"kwh", "charging_periods", "total_cost", "last_updated"}
        assert "last_updated" in message.body
    # ACTIVE sent period 1 (21:30); the 22:00 period is new at minute 40 only.
    assert [
        [p["start_date_time"] for p in m.body.get("charging_periods", [])] for m in updates
    ] == [[], ["2026-03-13T21:00:00Z"], []]
    assert updates[-1].body["kwh"] == session.kwh
    # the spec's own PATCH example carries exactly these fields
    spec = json.loads((EXAMPLES / "session_patch_example_charging_period.json").read_text())
    assert set(updates[1].body) == set(spec)
    # The end is always a full PUT, so an IOP that ignores PATCH learns it (Gireve §3.8.3).
    session = services.stop_transaction(
        session=session, stopped_at=START + dt.timedelta(minutes=70), meter_stop_wh=8400
    )
    completed = _messages(session)[-2]
    assert (completed.method, completed.body["status"]) == ("PUT", "COMPLETED")
    assert len(completed.body["charging_periods"]) == 2


def test_meter_updates_are_throttled_status_changes_are_not(put_hub, charger, settings):
    settings.SESSION_UPDATE_MIN_SECONDS = 120
    session = _start(*charger)
    session = _meter(session, 1)  # 60 s after the ACTIVE PUT: filtered (spam for Gireve)
    session = _meter(session, 2)  # 120 s: sent
    session = _meter(session, 3)  # 60 s after that one: filtered
    assert [m.body["kwh"] for m in _messages(session)] == [0, Decimal("0.24")]
    session = services.stop_transaction(
        session=session,
        stopped_at=START + dt.timedelta(minutes=3, seconds=10),
        meter_stop_wh=380,
        now=START + dt.timedelta(minutes=3, seconds=10),
    )
    statuses = [(m.method, m.body.get("status") if m.body else None) for m in _messages(session)]
    assert statuses[-2:] == [("PUT", "COMPLETED"), ("POST", None)]
    assert _messages(session)[-2].body["kwh"] == Decimal("0.38")  # what was filtered arrives


def test_newer_update_supersedes_queued_ones_but_never_active_or_completed(put_hub, charger):
    session = _start(*charger)
    for minutes in (10, 20, 30):
        session = _meter(session, minutes)
    pending = _messages(session, Message.State.PENDING)
    assert len(pending) == 2  # ACTIVE + the newest update
    assert pending[0].body["status"] == "ACTIVE"
    superseded = _messages(session, Message.State.SUPERSEDED)
    # each queued update is dropped for the next one; the newest waits behind ACTIVE
    assert [m.superseded_by_id for m in superseded] == [superseded[1].pk, pending[1].pk]
    session = services.stop_transaction(
        session=session, stopped_at=START + dt.timedelta(minutes=35), meter_stop_wh=4200
    )
    pending = _messages(session, Message.State.PENDING)
    # the COMPLETED PUT drops neither the ACTIVE PUT nor the update still queued before it
    assert [(m.method, (m.body or {}).get("status")) for m in pending] == [
        ("PUT", "ACTIVE"),
        ("PUT", "ACTIVE"),
        ("PUT", "COMPLETED"),
        ("POST", None),
    ]


def test_update_in_flight_is_not_superseded(put_hub, charger):
    session = _start(*charger)
    session = _meter(session, 10)
    Message.objects.filter(pk=_messages(session)[0].pk).update(state=Message.State.DELIVERED)
    stream = Stream.objects.get(key=session_push.stream_key(session))
    stream.lease_owner, stream.locked_until = "worker-1", timezone.now() + dt.timedelta(minutes=1)
    stream.save()
    in_flight = _messages(session, Message.State.PENDING)[0]
    session = _meter(session, 20)
    in_flight.refresh_from_db()
    assert in_flight.state == Message.State.PENDING
    assert len(_messages(session, Message.State.PENDING)) == 2


def test_patch_backlog_collapses_into_one_full_put(patch_hub, charger):
    session = _start(*charger)
    session = _meter(session, 20)
    session = _meter(session, 40)
    pending = _messages(session, Message.State.PENDING)
    # the PATCH of minute 20 is dropped: the next message must carry its periods, so a PUT
    assert [m.method for m in pending] == ["PUT", "PUT"]
    assert len(pending[1].body["charging_periods"]) == 2
    session = _meter(session, 60)
    assert _messages(session)[-1].method == "PUT"  # still superseding the queued PUT


def test_late_sample_reshaping_sent_periods_forces_a_put(patch_hub, charger):
    session = _start(*charger)
    session = _meter(session, 40)
    _deliver(session)
    # an offline charger's older value arrives now: the 22:00 split shifts energy back
    late = Sample(START + dt.timedelta(minutes=35), 100)
    session = services.record_meter_values(
        session=session, samples=[late], now=START + dt.timedelta(minutes=45)
    )
    assert _messages(session)[-1].method == "PUT"


def test_coalescing_platform_keeps_the_session_stream_in_order(put_hub, charger):
    put_hub.coalesce_pushes = True
    put_hub.save()
    session = _start(*charger)
    session = services.stop_transaction(
        session=session, stopped_at=START + dt.timedelta(minutes=5), meter_stop_wh=600
    )
    stream = Stream.objects.get(key=session_push.stream_key(session))
    assert delivery.deliver_stream(stream.pk) == 3
    sent = [(m.method, (m.body or {}).get("status")) for m in _messages(session)]
    assert sent == [("PUT", "ACTIVE"), ("PUT", "COMPLETED"), ("POST", None)]
    assert {m.state for m in _messages(session)} == {Message.State.DELIVERED}
