"""A full charging session played over the bridge API by a virtual charge point
(`manage.py csms_simulator --session`, the end-to-end tests, README walkthrough).

swipe (authorize) → transaction-started → meter values every `step` simulated seconds →
a load-management pause (SuspendedEVSE: still charging time) → the EV is full (SuspendedEV:
parking) → transaction-stopped with the EV plugged → ev-left.

Times are simulated: by default the session starts at 21:40 local time on the latest day it
can end before now, so it crosses a 22:00 tariff window and local midnight, and every event
carries its real (past) time, as a charge point sends its queue after being offline. The
clock runs `speed` simulated seconds per real second (0: no waiting).
The events after the swipe are built first (`events`), so a test can replay, duplicate or
reorder them.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from .simulator import BADGES, ChargePoint, CsmsSimulator, Reply

LOCAL_START = dt.time(21, 40)


def stamp(moment: dt.datetime) -> str:
    """RFC 3339 UTC with milliseconds, as OCPP charge points write it."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


@dataclass(frozen=True)
class SessionPlan:
    """What the EV does, in simulated time."""

    start: dt.datetime
    charging: dt.timedelta = dt.timedelta(hours=3)  # energy flows (pause included)
    pause_after: dt.timedelta = dt.timedelta(minutes=90)  # load management starts
    pause: dt.timedelta = dt.timedelta(minutes=10)  # SuspendedEVSE: not parking
    ev_idle: dt.timedelta = dt.timedelta(minutes=30)  # SuspendedEV, then the driver stops
    parked_after_stop: dt.timedelta = dt.timedelta(minutes=10)
    step: dt.timedelta = dt.timedelta(minutes=5)  # meter values interval
    power_w: int = 7200
    meter_start_wh: int = 1_250_000

    @property
    def stop(self) -> dt.datetime:
        return self.start + self.charging + self.ev_idle

    @property
    def left(self) -> dt.datetime:
        return self.stop + self.parked_after_stop

    def state_at(self, moment: dt.datetime) -> str:
        """OCPP 1.6 words for the time after `moment` (the bridge maps them)."""
        elapsed = moment - self.start
        if elapsed >= self.charging:
            return "SuspendedEV"
        if self.pause_after <= elapsed < self.pause_after + self.pause:
            return "SuspendedEVSE"
        return "Charging"

    def register_at(self, moment: dt.datetime) -> int:
        """The energy register (Wh): power flows while charging, not in the pause."""
        charged = min(moment - self.start, self.charging)
        paused = min(max(charged - self.pause_after, dt.timedelta(0)), self.pause)
        seconds = (charged - paused).total_seconds()
        return self.meter_start_wh + round(self.power_w * seconds / 3600)


def plan_before(
    now: dt.datetime, time_zone: str, local_start: dt.time = LOCAL_START, **options
) -> SessionPlan:
    """The plan starting at `local_start` on the latest local day it ends before `now`."""
    zone = ZoneInfo(time_zone)
    day = now.astimezone(zone).date()
    while True:
        start = dt.datetime.combine(day, local_start, tzinfo=zone).astimezone(dt.UTC)
        plan = SessionPlan(start=start, **options)
        if plan.left <= now:
            return plan
        day -= dt.timedelta(days=1)


class SimulatedClock:
    """Simulated time running `speed` times faster than real time (0: never waits)."""

    def __init__(self, start: dt.datetime, speed: float, *, sleep=time.sleep):
        self.start, self.speed, self.sleep = start, speed, sleep
        self.real_start = time.monotonic()

    def wait_until(self, moment: dt.datetime) -> None:
        if self.speed <= 0:
            return
        due = self.real_start + (moment - self.start).total_seconds() / self.speed
        self.sleep(max(0.0, due - time.monotonic()))


@dataclass
class Event:
    endpoint: str
    at: dt.datetime  # simulated time it happened
    body: dict


@dataclass
class SessionRun:
    authorization: dict
    replies: list[tuple[Event, Reply]] = field(default_factory=list)

    @property
    def last(self) -> dict:
        return self.replies[-1][1].body if self.replies else {}


def events(
    plan: SessionPlan,
    charge_point: ChargePoint,
    *,
    transaction_id: str,
    authorization_id: int | None,
    id_tag: str,
    reader_format: str = "HEX",
) -> list[Event]:
    """Every event after the swipe, in the order the charge point sends them."""

    def event(endpoint: str, at: dt.datetime, **fields) -> Event:
        return Event(
            endpoint,
            at,
            {"event_id": str(uuid.uuid4()), "timestamp": stamp(at), **fields},
        )

    where = {"location_id": charge_point.location_id, "evse_uid": charge_point.evse_uid}
    tx = {"transaction_id": transaction_id}
    started = {"meter_start_wh": plan.meter_start_wh, "id_tag": id_tag}
    started |= {"reader_format": reader_format}
    if authorization_id is not None:
        started["authorization_id"] = authorization_id
    found = [
        event("evse-status", plan.start, **where, protocol="ocpp1.6", status="Charging"),
        event("transaction-started", plan.start, **where, **tx, **started),
    ]
    previous = plan.state_at(plan.start)
    moment = plan.start + plan.step
    while moment < plan.stop:
        state = plan.state_at(moment)
        if state != previous:
            status = {"protocol": "ocpp1.6", "status": state}
            found.append(event("evse-status", moment, **where, **status))
            previous = state
        sample = {
            "timestamp": stamp(moment),
            "energy_wh": plan.register_at(moment),
            "charging_state": state,
            "power_w": str(plan.power_w if state == "Charging" else 0),
        }
        found.append(event("meter-values", moment, **tx, samples=[sample]))
        moment += plan.step
    stopped = {"meter_stop_wh": plan.register_at(plan.stop), "reason": "Local"}
    found += [
        event("transaction-stopped", plan.stop, **tx, **stopped, ev_still_plugged=True),
        event("evse-status", plan.stop, **where, protocol="ocpp1.6", status="Finishing"),
        event("evse-status", plan.left, **where, protocol="ocpp1.6", status="Available"),
        event("ev-left", plan.left, **tx),
    ]
    return found


class SessionSimulator:
    """Plays one charging session at one charge point through a CsmsSimulator."""

    def __init__(self, csms: CsmsSimulator, *, out: Callable[[str], None] | None = None):
        self.csms = csms
        self.out = out or csms.out

    def swipe(self, charge_point: ChargePoint, id_tag: str, reader_format: str) -> dict:
        label = next((name for name, tag, _ in BADGES if tag == id_tag), "badge")
        return self.csms.swipe(charge_point, label, id_tag, reader_format).body

    def run(
        self,
        charge_point: ChargePoint,
        plan: SessionPlan,
        *,
        speed: float = 0.0,
        id_tag: str = BADGES[0][1],
        reader_format: str = BADGES[0][2],
        transaction_id: str | None = None,
    ) -> SessionRun:
        """Swipe, then the session's events on the simulated clock; stops at the first
        refusal (an answer other than 200)."""
        authorization = self.swipe(charge_point, id_tag, reader_format)
        run = SessionRun(authorization)
        if authorization.get("accepted") is not True:
            self.out(f"{charge_point}  badge refused: no charge")
            return run
        clock = SimulatedClock(plan.start, speed)
        transaction_id = transaction_id or f"SIM-{uuid.uuid4().hex[:12]}"
        for event in events(
            plan,
            charge_point,
            transaction_id=transaction_id,
            authorization_id=authorization.get("authorization_id"),
            id_tag=id_tag,
            reader_format=reader_format,
        ):
            clock.wait_until(event.at)
            reply = self.csms.post(event.endpoint, event.body)
            run.replies.append((event, reply))
            self.out(_line(charge_point, event, reply))
            if reply.status != 200:
                break
        return run


def _line(charge_point: ChargePoint, event: Event, reply: Reply) -> str:
    body = reply.body
    if reply.status != 200:
        result = body.get("detail") or body
    elif event.endpoint == "evse-status":
        result = f"{event.body['status']} → {body.get('ocpi_status')}"
    else:
        result = f"session {body.get('session_status')} {body.get('kwh')} kWh"
        if body.get("reason"):
            result += f" ({body['reason']})"
    return f"{stamp(event.at)} {charge_point}  {event.endpoint:<19} → {reply.status} {result}"
