"""Virtual charge points that talk to the bridge API over HTTP, as a CSMS would
(`manage.py csms_simulator`, tests, README walkthrough).

Each round, one charge point gets one badge: Available → swipe → (accepted) Preparing,
Charging, SuspendedEV, Finishing, Available; every fifth round a charge point faults and is
repaired. Badges cycle through every outcome: valid, blocked, expired, no credit (the hub
simulator's `--demo-tokens`), unknown, a valid one written with separators in lowercase
(normalised), and malformed ones that never reach the hub. Then a Plug & Charge car: it plugs
in (Preparing) and the charge point authorizes the eMAID of its contract certificate (OCPP
2.0.1 IdToken type eMAID, ISO 15118), no badge.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import requests

BADGES = [
    ("valid", "04A23B1C5D6E7F", "HEX"),
    ("blocked", "04B1C2D3E4F501", "HEX"),
    ("valid, reversed reader", "7F6E5D1C3BA204", "HEX_REVERSED"),
    ("unknown", "04DDDDDDDDDD01", "HEX"),
    ("valid, written 04:a2:…", "04:a2:3b:1c:5d:6e:7f", "HEX"),
    ("expired", "04C0FFEE000001", "HEX"),
    ("malformed", "XY-12-34", "HEX"),
    ("no credit", "1A2B3C4D", "HEX"),
    ("malformed (9 bytes)", "04A23B1C5D6E7F8091", "HEX"),
]
CHARGING = ["Preparing", "Charging", "SuspendedEV", "Finishing", "Available"]


@dataclass(frozen=True)
class PncCar:
    """An EV with an ISO 15118 contract certificate: its eMAID, as the charge point has it."""

    label: str
    emaid: str


# The demo eMAID the hub simulator knows (roaming/simulator/demo_tokens.py), with separators.
PNC_CAR = PncCar("PnC car", "FR-DEM-C00000005")
VISITS: list[tuple[str, str, str] | PncCar] = [*BADGES, PNC_CAR]


@dataclass(frozen=True)
class ChargePoint:
    location_id: str
    evse_uid: str

    def __str__(self) -> str:
        return f"{self.location_id}/{self.evse_uid}"


@dataclass
class Reply:
    status: int
    body: dict
    ms: float


class CsmsSimulator:
    def __init__(self, base_url: str, api_key: str, *, out: Callable[[str], None] = print):
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {api_key}"
        self.out = out

    def post(self, endpoint: str, body: dict) -> Reply:
        started = time.monotonic()
        response = self.http.post(f"{self.base_url}/{endpoint}", json=body, timeout=10)
        try:
            data = response.json()
        except ValueError:
            data = {"detail": response.text[:200]}
        return Reply(response.status_code, data, (time.monotonic() - started) * 1000)

    @staticmethod
    def event(charge_point: ChargePoint, **fields) -> dict:
        return {
            "event_id": str(uuid.uuid4()),
            # OCPP times carry milliseconds: events of one second keep their order.
            "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
            "location_id": charge_point.location_id,
            "evse_uid": charge_point.evse_uid,
            **fields,
        }

    def status(self, charge_point: ChargePoint, status: str, error_code: str = "NoError") -> Reply:
        body = self.event(charge_point, protocol="ocpp1.6", status=status, error_code=error_code)
        reply = self.post("evse-status", body)
        result = reply.body.get("ocpi_status") if reply.status == 200 else reply.body
        self.out(f"{charge_point}  status {status:<13} → {reply.status} {result}")
        return reply

    def swipe(self, charge_point: ChargePoint, label: str, id_tag: str, reader: str) -> Reply:
        event = self.event(charge_point, id_tag=id_tag, reader_format=reader)
        return self.authorize(charge_point, event, f"badge {id_tag} [{label}]")

    def authorize(self, charge_point: ChargePoint, event: dict, what: str) -> Reply:
        reply = self.post("authorize", event)
        answer = reply.body
        if reply.status == 200:
            result = f"{answer['ocpp_status']} ({answer['reason']} via {answer['source']})"
            if answer.get("message"):
                result += f": {answer['message']}"
        else:
            result = str(answer)
        self.out(f"{charge_point}  {what} → {reply.status} {result} in {reply.ms:.0f} ms")
        return reply

    def plug_and_charge(self, charge_point: ChargePoint, car: PncCar) -> bool:
        """A PnC visit: the car plugs in, its eMAID is authorized, it charges if accepted
        (else it leaves); True if it was accepted."""
        self.status(charge_point, "Preparing")
        event = self.event(charge_point, id_tag=car.emaid, id_token_type="eMAID")
        reply = self.authorize(charge_point, event, f"{car.label} eMAID {car.emaid}")
        accepted = reply.body.get("accepted") is True
        for status in CHARGING[1:] if accepted else ["Available"]:
            self.status(charge_point, status)
        return accepted

    def charge(self, charge_point: ChargePoint, badge: tuple[str, str, str]) -> bool:
        """One visit: a badge, then a charge if it is accepted; True if it was."""
        accepted = self.swipe(charge_point, *badge).body.get("accepted") is True
        if accepted:
            for status in CHARGING:
                self.status(charge_point, status)
        return accepted

    def fault(self, charge_point: ChargePoint) -> None:
        self.status(charge_point, "Faulted", error_code="GroundFailure")
        self.status(charge_point, "Available")

    def run(self, charge_points: Iterable[ChargePoint], rounds: int, pause: float = 0.0) -> int:
        """`rounds` visits over the charge points and VISITS in turn; accepted visits."""
        charge_points = list(charge_points)
        if not charge_points:
            return 0
        for charge_point in charge_points:
            self.status(charge_point, "Available")
        accepted = 0
        turns = zip(itertools.cycle(charge_points), itertools.cycle(VISITS), strict=False)
        for number, (charge_point, visit) in enumerate(turns, start=1):
            if number > rounds:
                break
            if isinstance(visit, PncCar):
                accepted += self.plug_and_charge(charge_point, visit)
            else:
                accepted += self.charge(charge_point, visit)
            if number % 5 == 0:
                self.fault(charge_point)
            time.sleep(pause)
        return accepted
