"""Session streams under faults, delivered by real Celery workers to the hub simulator
(issue 13.9): PostgreSQL committed (transaction=True), a private redis-server as broker,
`celery worker` subprocesses (tests/outbox/workers.py), sessions driven through
sessions.session_services (the CSMS HTTP path is tested with the events API).

Every test ends with `assert_sessions_in_order`: for each session the hub received its
messages ACTIVE PUT → updates → COMPLETED PUT → CDR POST (→ credit / re-bill) in the order
they were queued (a retry may repeat one, never come back to it after a later one), every
one of them (superseded intermediate updates excepted), never two at once, and the hub ends
with exactly our session and CDR.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from roaming import ocpi_json
from roaming.outbox import services, tasks
from roaming.outbox.models import Message, Stream
from sessions import cdr_services, session_push
from sessions import session_services as sessions
from sessions.charging_periods import Sample
from sessions.models import Cdr, Session
from sessions.session_ocpi import session_to_ocpi
from tests.factories import ConnectorFactory, EVSEFactory, UserFactory
from tests.outbox.workers import wait_until

from .conftest import TOKEN, utc

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
START = utc(2026, 3, 13, 20, 30)  # Friday, Paris 21:30: a night rate at 22:00 local


def sweep():
    tasks.sweep()


def all_done() -> bool:
    return not Message.objects.filter(
        state__in=[Message.State.PENDING, Message.State.REJECTED]
    ).exists()


# --- driving sessions ------------------------------------------------------------------


def chargers(charger, count: int) -> list[tuple]:
    """`count` EVSEs at the charger's location (tariff DAYNIGHT), one connector each."""
    evse = charger[0]
    more = [charger]
    for n in range(1, count):
        other = EVSEFactory(location=evse.location, uid=f"E{n + 1}", tariff_ids=["DAYNIGHT"])
        more.append((other, ConnectorFactory(evse=other)))
    return more


def start(evse, connector, n: int = 0) -> Session:
    return sessions.start_session(
        evse=evse,
        connector=connector,
        started_at=START,
        meter_start_wh=0,
        cdr_token=TOKEN,
        auth_method="AUTH_REQUEST",
        authorization_reference=f"AUTH-{n}",
        transaction_id=f"TX{n}",
        now=START,
    )


def meter(session: Session, minutes: int) -> Session:
    at = START + dt.timedelta(minutes=minutes)
    sample = Sample(at, 120 * minutes, "CHARGING", power_w=Decimal(7200))
    return sessions.record_meter_values(session=session, samples=[sample], now=at)


def stop(session: Session, minutes: int) -> Session:
    at = START + dt.timedelta(minutes=minutes)
    return sessions.stop_transaction(
        session=session, stopped_at=at, meter_stop_wh=120 * minutes, reason="Local", now=at
    )


def whole_charge(evse, connector, n: int) -> Session:
    session = start(evse, connector, n)
    for minutes in (10, 20, 30, 40, 50):
        session = meter(session, minutes)
    return stop(session, 60)


# --- checking --------------------------------------------------------------------------


def _canonical(body) -> str:
    return json.dumps(json.loads(ocpi_json.dumps(body)), sort_keys=True)


def _hub_requests(hub, session: Session, cdr_ids: set[str]) -> list[tuple[str, str]]:
    """What the hub received for this session and its CDRs, in order (healing GETs aside)."""
    cc, pid = session.operator.country_code, session.operator.party_id
    session_path = f"/ocpi/2.2.1/sessions/{cc}/{pid}/{session.ocpi_id}"
    received = []
    with hub.lock:
        requests = list(hub.received)
    for request in requests:
        is_session = request.path == session_path and request.method in ("PUT", "PATCH")
        is_cdr = (
            request.path == "/ocpi/2.2.1/cdrs"
            and request.method == "POST"
            and (request.json or {}).get("id") in cdr_ids
        )
        if is_session or is_cdr:
            received.append((request.method, _canonical(request.json)))
    return received


def assert_sessions_in_order(hub, all_sessions: list[Session]) -> None:
    for session in all_sessions:
        session.refresh_from_db()
        stream = Stream.objects.get(key=session_push.stream_key(session))
        queued = [
            m
            for m in stream.messages.order_by("pk")
            if m.state != Message.State.SUPERSEDED  # replaced before it left: never sent
        ]
        assert [m.state for m in queued] == [Message.State.DELIVERED] * len(queued), [
            (m.pk, m.state) for m in queued
        ]
        kinds = [(m.method, (m.body or {}).get("status"), m.endpoint_module) for m in queued]
        assert kinds[0] == ("PUT", "ACTIVE", "")
        completed = kinds.index(("PUT", "COMPLETED", ""))
        assert kinds[completed + 1][::2] == ("POST", "cdrs")
        assert all(k[:2] == ("PUT", "ACTIVE") for k in kinds[1:completed])

        expected = [(m.method, _canonical(m.body)) for m in queued]
        cdr_ids = {m.object_id for m in queued if m.endpoint_module == "cdrs"}
        received = _hub_requests(hub, session, cdr_ids)
        positions = []
        for request in received:
            assert request in expected, f"the hub got something never queued: {request}"
            last = positions[-1] if positions else 0
            candidates = [i for i, e in enumerate(expected) if e == request]
            positions.append(next((i for i in candidates if i >= last), candidates[0]))
        assert positions == sorted(positions), f"{session.ocpi_id} out of order: {positions}"
        assert set(positions) == set(range(len(expected))), "a message never reached the hub"

        cc, pid = session.operator.country_code, session.operator.party_id
        assert _canonical(hub.session(cc, pid, session.ocpi_id)) == _canonical(
            session_to_ocpi(session)
        )
        for cdr in Cdr.objects.filter(session=session):
            assert _canonical(hub.cdr(cc, pid, cdr.ocpi_id)) == _canonical(cdr.data)
    assert hub.overlaps == [], "two requests of one stream were in flight at once"


# --- scenarios -------------------------------------------------------------------------


def test_hub_down_during_whole_sessions_then_everything_arrives_in_order(
    put_hub, charger, hub_simulator, workers
):
    hub_simulator.set_fault("down")
    workers.start("w1")
    charged = [
        whole_charge(evse, connector, n) for n, (evse, connector) in enumerate(chargers(charger, 3))
    ]
    # The sessions' heads (the DAYNIGHT tariff's PUT may be waiting too, when the hub
    # takes tariffs).
    heads = Message.objects.filter(
        stream__module="sessions", attempts__gte=2, state=Message.State.PENDING
    )
    wait_until(lambda: heads.count() == 3, timeout=90, tick=sweep, what="retries while down")
    assert not Message.objects.filter(state=Message.State.DELIVERED).exists()

    hub_simulator.set_fault(None)
    wait_until(all_done, timeout=120, tick=sweep, what="the sessions to drain")
    assert_sessions_in_order(hub_simulator, charged)
    # Intermediate updates queued during the outage were superseded by the newest one.
    for session in charged:
        sent = [
            m.body.get("status")
            for m in Message.objects.filter(
                stream__key=session_push.stream_key(session), state=Message.State.DELIVERED
            ).order_by("pk")
        ]
        assert sent == ["ACTIVE", "ACTIVE", "COMPLETED", None]


def test_a_cdr_rejected_with_2001_holds_the_stream_until_a_person_resends_it(
    put_hub, charger, hub_simulator, workers
):
    workers.start("w1")
    session = start(*charger)
    session = meter(session, 20)
    wait_until(all_done, timeout=60, tick=sweep, what="the session to reach the hub")

    # The hub's reference data lacks something this CDR names: its CDRs answer 2001.
    hub_simulator.set_fault("reject2001", module="cdrs")
    session = stop(session, 40)
    cdr = Cdr.objects.get(session=session)
    stream = Stream.objects.get(key=session_push.stream_key(session))
    held = Stream.objects.filter(pk=stream.pk, held=True, held_reason=Stream.HeldReason.REJECTED)
    wait_until(held.exists, timeout=60, tick=sweep, what="the CDR to be refused")
    post = Message.objects.get(stream=stream, endpoint_module="cdrs", object_id=cdr.ocpi_id)
    assert (post.state, post.last_ocpi_status) == (Message.State.REJECTED, 2001)
    # Finance credits and re-bills meanwhile: queued behind the refused CDR, never sent.
    correction = cdr_services.credit_cdr(
        cdr=cdr, reason="wrong tariff", user=UserFactory(), rebill=True
    )
    for _ in range(5):
        sweep()
    posts = hub_simulator.requests_to("cdrs", "POST")
    assert [r.json["id"] for r in posts] == [cdr.ocpi_id]
    assert Message.objects.filter(stream=stream, state=Message.State.PENDING).count() == 2
    assert (
        hub_simulator.session(
            session.operator.country_code, session.operator.party_id, session.ocpi_id
        )["status"]
        == "COMPLETED"
    )

    hub_simulator.set_fault(None)  # the hub fixed its side
    services.resend(stream=Stream.objects.get(pk=stream.pk), note="IOP loaded our tariff")
    wait_until(all_done, timeout=60, tick=sweep, what="the resent CDR and what follows")
    posted = [r.json["id"] for r in hub_simulator.requests_to("cdrs", "POST")]
    assert posted == [
        cdr.ocpi_id,
        cdr.ocpi_id,
        correction.credit.ocpi_id,
        correction.rebill.ocpi_id,
    ]
    assert_sessions_in_order(hub_simulator, [session])


def test_worker_killed_mid_delivery_of_session_streams_is_taken_over_in_order(
    put_hub, charger, hub_simulator, workers
):
    # Answers take 2 s, within the 3 s read timeout: the worker is truly mid-delivery.
    put_hub.read_timeout = 3.0
    put_hub.save()
    hub_simulator.set_fault("slow", delay=2.0)
    workers.start("doomed", concurrency=2)
    charged = [
        whole_charge(evse, connector, n) for n, (evse, connector) in enumerate(chargers(charger, 4))
    ]
    wait_until(lambda: len(hub_simulator.in_flight) == 2, timeout=40, what="two in flight")
    workers.kill("doomed")
    hub_simulator.set_fault(None)
    assert Stream.objects.exclude(lease_owner="").count() == 2  # left to expire

    # No sweep from the test: beat in the new worker hands the orphaned streams over.
    workers.start("rescuer", beat=True, OUTBOX_SWEEP_SECONDS=0.5, OUTBOX_REKICK_SECONDS=1)
    wait_until(all_done, timeout=120, what="the rescuer to deliver everything")
    assert_sessions_in_order(hub_simulator, charged)
