"""A roaming charge end to end, over real HTTP both ways: the CSMS simulator drives the bridge
API of the live server; the hub simulator receives the Session and the CDR through the outbox.

The session starts at 21:40 Paris time on a past weekday, so it crosses the tariff's 22:00
window and local midnight, has a load-management pause (not parking) and EV-side idle time
(parking), and is stopped with the EV plugged before it leaves.
"""

import datetime as dt
import json
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from py_ocpi.modules.cdrs.v_2_2_1.schemas import Cdr as PydanticCdr
from py_ocpi.modules.sessions.v_2_2_1.schemas import Session as PydanticSession

from roaming import ocpi_json
from roaming.models import MessageLog, Platform
from roaming.outbox import delivery
from roaming.outbox.models import Stream
from sessions import session_push
from sessions.csms.session_simulator import SessionPlan, SessionSimulator, events
from sessions.csms.simulator import ChargePoint, CsmsSimulator
from sessions.models import Cdr, Session
from sessions.session_ocpi import session_to_ocpi
from tariffs import services as tariff_services
from tariffs.models import Tariff
from tariffs.ocpi import tariff_to_ocpi
from tariffs.pricing import compile_tariff, price_cdr
from tests.factories import TariffFactory
from tests.sessions.conftest import DAY_NIGHT

from .bridge import HUB_TOKEN, UID
from .session_schema import check_cdr, check_session

PARIS = ZoneInfo("Europe/Paris")


def weekday_plan() -> SessionPlan:
    """21:40 Paris on the latest Monday-Thursday whose session is over: the night window
    (22:00) and the weekday change at midnight both fall inside it."""
    day = dt.datetime.now(PARIS).date() - dt.timedelta(days=2)
    while day.weekday() > 3:
        day -= dt.timedelta(days=1)
    start = dt.datetime.combine(day, dt.time(21, 40), tzinfo=PARIS).astimezone(dt.UTC)
    return SessionPlan(start=start)


@pytest.fixture
def roaming_charger(live_server, transactional_db, csms, location, connected_hub, hub_simulator):
    """PAR-1's EVSEs under the day/night tariff; the hub knows the badge's token."""
    connected_hub.session_update_method = Platform.SessionUpdate.PUT
    connected_hub.save()
    tariff_services.save_tariff(
        tariff=TariffFactory.build(
            operator=location.operator,
            ocpi_id="DAYNIGHT",
            elements=DAY_NIGHT,
            start_date_time=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        )
    )
    location.evses.update(tariff_ids=["DAYNIGHT"])
    hub_simulator.tokens.append(HUB_TOKEN)
    return CsmsSimulator(f"{live_server.url}/api/csms/v1", csms.api_key, out=lambda line: None)


def deliver(session: Session) -> None:
    """What the session's stream holds reaches the hub simulator (real HTTP on loopback)."""
    stream = Stream.objects.get(key=session_push.stream_key(session))
    while delivery.deliver_stream(stream.pk):
        pass


def as_json(value):
    """What a JSON reader gets from our bytes (the hub simulator's view)."""
    return json.loads(ocpi_json.dumps(value))


def exact(value):
    """The same JSON read back with exact numbers, for our schema and the pricing engine."""
    return ocpi_json.loads(json.dumps(value))


def test_full_session_reaches_the_hub_equal_to_ours_and_priced_by_the_tariff(
    roaming_charger, hub_simulator, csms
):
    plan = weekday_plan()

    run = SessionSimulator(roaming_charger).run(ChargePoint("PAR-1", "E1"), plan)

    assert [reply.status for _, reply in run.replies] == [200] * len(run.replies)
    assert run.last["session_status"] == "COMPLETED"
    session = Session.objects.get(ocpi_id=run.last["session_id"])
    deliver(session)

    cc, pid = "FR", "AB1"
    hub_session = hub_simulator.objects[f"sessions/{cc}/{pid}/{session.ocpi_id}"]
    hub_cdr = hub_simulator.objects[f"cdrs/{cc}/{pid}/{session.ocpi_id}"]
    cdr = Cdr.objects.get(session=session)
    assert hub_session == as_json(session_to_ocpi(session))
    assert hub_cdr == as_json(cdr.data)
    # The hub got ACTIVE first, COMPLETED then the CDR last, on one stream.
    received = [r for r in hub_simulator.received if "/sessions/" in r.path or "/cdrs" in r.path]
    assert (received[0].method, received[0].json["status"]) == ("PUT", "ACTIVE")
    assert [(r.method, (r.json or {}).get("status")) for r in received[-2:]] == [
        ("PUT", "COMPLETED"),
        ("POST", None),
    ]
    assert hub_cdr["cdr_token"] == {k: HUB_TOKEN[k] for k in hub_cdr["cdr_token"]}
    assert hub_cdr["authorization_reference"] == run.authorization["authorization_reference"]

    PydanticSession(**hub_session)
    PydanticCdr(**hub_cdr)
    assert check_session(exact(hub_session)) == []
    assert check_cdr(exact(hub_cdr)) == []

    # Periods split at 22:00 (night energy) and at local midnight (the weekday changes).
    starts = {p["start_date_time"] for p in hub_cdr["charging_periods"]}
    day = plan.start.astimezone(PARIS).date()
    for local in (
        dt.datetime.combine(day, dt.time(22), tzinfo=PARIS),
        dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=PARIS),
    ):
        assert local.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") in starts
    # Parking: the EV idle (30 min) and plugged after the stop (10 min); the load-management
    # pause is charging time. 3 h of charging minus the 10 min pause at 7.2 kW.
    cdr_exact = exact(hub_cdr)
    assert cdr_exact["total_parking_time"] == Decimal("0.6667")
    assert cdr_exact["total_time"] == Decimal("3.6667")
    assert cdr_exact["total_energy"] == Decimal("20.4")

    # Every cost field equals the pricing engine on the same data and the tariff as stored.
    tariff = exact(as_json(tariff_to_ocpi(Tariff.objects.get(ocpi_id="DAYNIGHT"))))
    expected = price_cdr(compile_tariff(tariff), cdr_exact, "Europe/Paris").cost_fields()
    for name, price in expected.items():
        assert cdr_exact[name] == price, name
    assert cdr_exact["total_cost"]["excl_vat"] > 0

    # Every CSMS exchange is in the message log, under its event id.
    logged = set(MessageLog.objects.filter(module="csms").values_list("object_id", flat=True))
    assert {event.body["event_id"] for event, _ in run.replies} <= logged


def _cdr_of(simulator: CsmsSimulator, evse_uid: str, plan: SessionPlan, order) -> dict:
    """Swipe at `evse_uid`, then post the session's events in the order `order` gives."""
    charge_point = ChargePoint("PAR-1", evse_uid)
    authorization = simulator.swipe(charge_point, "valid", UID, "HEX").body
    found = events(
        plan,
        charge_point,
        transaction_id=f"TX-{evse_uid}",
        authorization_id=authorization["authorization_id"],
        id_tag=UID,
    )
    answers = {}
    for event in order(found):
        reply = simulator.post(event.endpoint, event.body)
        assert reply.status == 200, reply.body
        event_id = event.body["event_id"]
        if event_id in answers:
            assert reply.body == {**answers[event_id], "duplicate": True}
        answers[event_id] = reply.body
    session = Session.objects.get(transaction_id=f"TX-{evse_uid}")
    assert session.status == "COMPLETED"
    return Cdr.objects.get(session=session).data


def _duplicated_and_late(found):
    """Every meter value twice, in a shuffled order; the last hour's values arrive after the
    transaction-stopped (an offline charge point emptying its queue), before ev-left."""
    meter = [e for e in found if e.endpoint == "meter-values"]
    others = [e for e in found if e.endpoint != "meter-values"]
    late = [e for e in meter if e.at > found[-1].at - dt.timedelta(hours=1)]
    early = [e for e in meter if e not in late] * 2
    random.Random(13).shuffle(early)
    started, *middle, left = [e for e in others if e.endpoint != "evse-status"]
    return [started, *early, *middle, middle[0], *late, *late[::-1], left]


def test_duplicated_and_late_events_give_the_same_cdr_as_in_order_delivery(roaming_charger):
    plan = weekday_plan()

    in_order = _cdr_of(roaming_charger, "E1", plan, lambda found: found)
    disordered = _cdr_of(roaming_charger, "E2", plan, _duplicated_and_late)

    differs = {"id", "session_id", "cdr_location", "last_updated", "authorization_reference"}
    assert {k: v for k, v in disordered.items() if k not in differs} == {
        k: v for k, v in in_order.items() if k not in differs
    }
    assert len(in_order["charging_periods"]) >= 4


# Issue 18, item 1: 1.80 EUR/h in steps of 300 s; 10 min of parking is 2 steps (0.30), not
# the 3 steps 0.1667 h (600.12 s) used to bill (0.45).
PARKING_300 = [
    {
        "price_components": [
            {"type": "ENERGY", "price": "0.30", "vat": "20.0", "step_size": 1},
            {"type": "PARKING_TIME", "price": "1.80", "vat": "20.0", "step_size": 300},
        ]
    }
]


def test_exactly_ten_minutes_of_parking_is_billed_two_steps_at_the_hub(
    live_server, transactional_db, csms, location, connected_hub, hub_simulator
):
    tariff_services.save_tariff(
        tariff=TariffFactory.build(
            operator=location.operator,
            ocpi_id="PARK300",
            elements=PARKING_300,
            start_date_time=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        )
    )
    location.evses.update(tariff_ids=["PARK300"])
    hub_simulator.tokens.append(HUB_TOKEN)
    simulator = CsmsSimulator(f"{live_server.url}/api/csms/v1", csms.api_key, out=lambda _: None)
    # One hour of charging, no EV idle time, stopped with the EV plugged, gone 10 min later.
    plan = SessionPlan(
        start=weekday_plan().start,
        charging=dt.timedelta(hours=1),
        pause_after=dt.timedelta(hours=2),
        ev_idle=dt.timedelta(0),
        parked_after_stop=dt.timedelta(minutes=10),
    )

    run = SessionSimulator(simulator).run(ChargePoint("PAR-1", "E1"), plan)

    assert [reply.status for _, reply in run.replies] == [200] * len(run.replies)
    session = Session.objects.get(ocpi_id=run.last["session_id"])
    deliver(session)
    hub_cdr = exact(hub_simulator.objects[f"cdrs/FR/AB1/{session.ocpi_id}"])
    assert hub_cdr["total_parking_time"] == Decimal("0.1667")
    assert hub_cdr["total_parking_cost"] == {
        "excl_vat": Decimal("0.3000"),
        "incl_vat": Decimal("0.3600"),
    }
    assert Cdr.objects.get(session=session).state == Cdr.State.QUEUED  # its self-check agrees
