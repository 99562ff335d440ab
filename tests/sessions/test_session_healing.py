"""A session PATCH the hub answers "unknown object" (OCPI 2.2.1 transport_and_format PATCH:
"If the object doesn't exist, the client should do a PUT"), healed by the outbox with the
whole PUT sessions.session_push.whole_session builds; delivered in-process to the real hub
simulator (the same healing runs in Celery workers)."""

import datetime as dt

import pytest

from roaming.outbox import delivery
from roaming.outbox.models import Message, Stream
from sessions import session_push
from sessions import session_services as services
from sessions.charging_periods import Sample

from .conftest import TOKEN, utc

pytestmark = pytest.mark.django_db
START = utc(2026, 3, 13, 20, 30)  # Friday, Paris 21:30: night rate at 22:00, Saturday at 00:00


def _meter(session, minutes):
    at = START + dt.timedelta(minutes=minutes)
    sample = Sample(at, 120 * minutes)
    return services.record_meter_values(session=session, samples=[sample], now=at)


def _deliver(session):
    stream = Stream.objects.get(key=session_push.stream_key(session))
    while delivery.deliver_stream(stream.pk):
        pass


def _starts(periods) -> list[str]:
    return [p["start_date_time"] for p in periods]


def test_a_patch_of_a_session_the_hub_lost_is_healed_by_the_put_the_hub_lacked(
    patch_hub, charger, hub_simulator
):
    session = services.start_session(
        evse=charger[0],
        connector=charger[1],
        started_at=START,
        meter_start_wh=0,
        cdr_token=TOKEN,
        auth_method="AUTH_REQUEST",
        now=START,
    )
    session = _meter(session, 20)  # PATCH: kwh and cost only
    _deliver(session)
    operator = session.operator
    hub_path = f"sessions/{operator.country_code}/{operator.party_id}/{session.ocpi_id}"
    assert hub_simulator.forget(hub_path)  # the hub purged it

    session = _meter(session, 40)  # PATCH adding the 22:00 period
    # A worker is sending that PATCH (leased), when the next update adds the midnight period:
    # it is queued behind as a PATCH carrying only that period.
    stream = Stream.objects.get(key=session_push.stream_key(session))
    Stream.objects.filter(pk=stream.pk).update(
        lease_owner="worker-1", locked_until=START + dt.timedelta(days=3650)
    )
    session = _meter(session, 160)
    Stream.objects.filter(pk=stream.pk).update(lease_owner="", locked_until=None)
    patch, behind = Message.objects.filter(stream=stream, state=Message.State.PENDING)
    assert (patch.method, behind.method) == ("PATCH", "PATCH")
    assert _starts(behind.body["charging_periods"]) == ["2026-03-13T23:00:00Z"]

    _deliver(session)

    patch.refresh_from_db()
    assert patch.state == Message.State.HEALED
    put = patch.superseded_by
    assert (put.state, put.method, put.path) == (Message.State.DELIVERED, "PUT", patch.path)
    assert "did not know" in patch.note
    # The PUT is what the hub would hold after the healed PATCH: ACTIVE PUT + both PATCHes,
    # not the current session, whose midnight period the PATCH behind it adds.
    assert put.body["last_updated"] == patch.body["last_updated"]
    assert put.body["kwh"] == patch.body["kwh"]
    assert put.body["status"] == "ACTIVE" and put.body["id"] == session.ocpi_id
    assert _starts(put.body["charging_periods"]) == [
        "2026-03-13T20:30:00Z",
        "2026-03-13T21:00:00Z",
    ]
    # Together, once each: the periods of the session.
    assert _starts(put.body["charging_periods"] + behind.body["charging_periods"]) == _starts(
        session.charging_periods
    )
    received = [
        (r.method, r.path.rsplit("/", 1)[-1]) for r in hub_simulator.requests_to("sessions")
    ]
    assert received[-4:] == [
        ("PATCH", session.ocpi_id),  # 404 / 2003
        ("GET", session.ocpi_id),  # 404: really gone
        ("PUT", session.ocpi_id),
        ("PATCH", session.ocpi_id),  # then what followed, in order
    ]
    behind.refresh_from_db()
    assert behind.state == Message.State.DELIVERED

    # The end is a full PUT: the hub ends with exactly our session, then the CDR follows.
    session = services.stop_transaction(
        session=session, stopped_at=START + dt.timedelta(minutes=170), meter_stop_wh=20400
    )
    _deliver(session)
    at_hub = hub_simulator.session(operator.country_code, operator.party_id, session.ocpi_id)
    assert at_hub["status"] == "COMPLETED"
    assert _starts(at_hub["charging_periods"]) == _starts(session.charging_periods)
    assert hub_simulator.cdr(operator.country_code, operator.party_id, session.ocpi_id)


def test_a_patch_rejected_for_bad_data_is_not_healed_and_holds_the_stream(
    patch_hub, charger, hub_simulator
):
    session = services.start_session(
        evse=charger[0],
        connector=charger[1],
        started_at=START,
        meter_start_wh=0,
        cdr_token=TOKEN,
        auth_method="AUTH_REQUEST",
        now=START,
    )
    _deliver(session)
    session = _meter(session, 20)
    hub_simulator.set_fault("reject2001")
    _deliver(session)
    patch = Message.objects.get(stream__key=session_push.stream_key(session), method="PATCH")
    assert patch.state == Message.State.REJECTED
    assert [r.method for r in hub_simulator.requests_to("sessions")] == ["PUT", "PATCH"]
    assert Stream.objects.get(pk=patch.stream_id).held
