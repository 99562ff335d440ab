"""Remote start and stop end to end, real HTTP every way: the hub simulator plays IOP sending
the commands and receiving the results; the CSMS double answers our signed calls and plays
the charge point on the bridge API (command-result, transaction-started/-stopped, ev-left);
the session and its CDR reach the hub through the outbox. (The task functions are called
directly: tests/commands/test_timeout_worker.py runs them on a real worker.)"""

import json
from decimal import Decimal

from py_ocpi.modules.cdrs.v_2_2_1.schemas import Cdr as PydanticCdr
from py_ocpi.modules.sessions.v_2_2_1.schemas import Session as PydanticSession

from roaming import ocpi_json
from roaming.outbox import delivery
from roaming.outbox.models import Stream
from roaming.simulator.commands import APP_TOKEN
from sessions.commands.csms_double import ENERGY_WH
from sessions.commands.models import Command
from sessions.csms.simulator import ChargePoint
from sessions.models import Session
from tests.csms.session_schema import check_cdr, check_session

from .conftest import send, start_body
from .test_remote_start import run

BADGE = "04A23B1C5D6E7F"
BADGE_TOKEN = {
    "country_code": "NL",
    "party_id": "EMP",
    "uid": BADGE,
    "type": "RFID",
    "contract_id": "NL-EMP-C00000042-Z",
    "issuer": "eMobility Provider",
    "valid": True,
    "whitelist": "ALLOWED",
    "last_updated": "2026-01-01T00:00:00Z",
}


def deliver_all() -> None:
    """Every queued push reaches the hub simulator (one stream after the other, in order)."""
    for stream in Stream.objects.order_by("pk"):
        while delivery.deliver_stream(stream.pk):
            pass


def exact(value):
    return ocpi_json.loads(json.dumps(value))


def checked(session: dict, cdr: dict) -> None:
    """The hub's copies pass py_ocpi and our own schema."""
    PydanticSession(**session)
    PydanticCdr(**cdr)
    assert check_session(exact(session)) == []
    assert check_cdr(exact(cdr)) == []


def test_remote_start_charge_and_remote_stop_give_the_hub_results_session_and_cdr(
    hub, double, location
):
    started = send(hub, "START_SESSION", start_body())
    run(Command.objects.get(), double)  # accepted; the EV plugs in: transaction-started
    session = Session.objects.get()
    deliver_all()
    active = hub.session("FR", "AB1", session.ocpi_id)

    stopped = send(hub, "STOP_SESSION", {"session_id": session.ocpi_id})
    run(Command.objects.get(type="STOP_SESSION"), double)  # stopped, then the EV leaves
    deliver_all()

    assert started.response["result"] == stopped.response["result"] == "ACCEPTED"
    assert hub.results_of(started.command_id) == [{"result": "ACCEPTED"}]
    assert hub.results_of(stopped.command_id) == [{"result": "ACCEPTED"}]
    # ACTIVE at plug-in with the command's token and reference (Gireve §3.8.1, mod_commands).
    assert active["status"] == "ACTIVE" and active["auth_method"] == "COMMAND"
    assert active["authorization_reference"] == "GIREVE-AUTH-1"
    token = {k: APP_TOKEN[k] for k in ("country_code", "party_id", "uid", "type", "contract_id")}
    assert active["cdr_token"] == token
    # The stop reached the transaction the start began; COMPLETED and its CDR follow.
    [stop_call] = [r.body for r in double.received if r.body["type"] == "STOP_SESSION"]
    assert stop_call["transaction_id"] == session.transaction_id != ""
    final = hub.session("FR", "AB1", session.ocpi_id)
    cdr = hub.cdr("FR", "AB1", session.ocpi_id)
    assert final["status"] == "COMPLETED" and cdr is not None
    assert cdr["auth_method"] == "COMMAND" and cdr["cdr_token"] == token
    assert cdr["authorization_reference"] == "GIREVE-AUTH-1"
    assert exact(cdr)["total_energy"] == Decimal(ENERGY_WH) / 1000  # the double's meter
    checked(final, cdr)


def test_a_badge_session_is_stopped_remotely_by_its_emsp(hub, double, location):
    hub.tokens.append(BADGE_TOKEN)  # the hub authorizes the badge
    charge_point = ChargePoint("PAR-1", "E1")
    swipe = double.report(
        "authorize", double.bridge.event(charge_point, id_tag=BADGE, reader_format="HEX")
    )
    double.report(
        "transaction-started",
        double.bridge.event(
            charge_point,
            transaction_id="TX-BADGE-1",
            id_tag=BADGE,
            authorization_id=swipe["authorization_id"],
            meter_start_wh=1000,
        ),
    )
    session = Session.objects.get()

    stopped = send(hub, "STOP_SESSION", {"session_id": session.ocpi_id}, sender=("NL", "EMP"))
    run(Command.objects.get(), double)
    deliver_all()

    assert session.auth_method == "AUTH_REQUEST"
    assert stopped.response["result"] == "ACCEPTED"
    assert hub.results_of(stopped.command_id) == [{"result": "ACCEPTED"}]
    assert hub.session("FR", "AB1", session.ocpi_id)["status"] == "COMPLETED"
    cdr = hub.cdr("FR", "AB1", session.ocpi_id)
    assert cdr["cdr_token"]["uid"] == BADGE and cdr["auth_method"] == "AUTH_REQUEST"
    checked(hub.session("FR", "AB1", session.ocpi_id), cdr)
