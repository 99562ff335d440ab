"""What the hub gets at once for every command we do not execute (OCPI 2.2.1 mod_commands,
Gireve §3.7, roaming-workflow §2.3/§2.4): the answer, its OCPI status, and nothing else —
no CSMS call, no remote start, no result posted."""

import datetime as dt

from py_ocpi.core.schemas import OCPIResponse
from py_ocpi.modules.commands.v_2_2_1.schemas import CommandResponse

from sessions.commands.models import Command
from sessions.models import RemoteStart
from tests.factories import LocationFactory, OperatorFactory, SessionFactory

from .conftest import send, start_body

STOP = "STOP_SESSION"
START = "START_SESSION"


def _cases(active, completed) -> list[tuple]:
    """(what, command, body, send options, HTTP, OCPI status, result, words in the message)."""
    reserve = {
        "token": start_body()["token"],
        "expiry_date": "2026-01-01T12:00:00Z",
        "reservation_id": "R1",
        "location_id": "PAR-1",
    }
    unlock = {"location_id": "PAR-1", "evse_uid": "E1", "connector_id": "1"}
    return [
        (
            "unknown location",
            START,
            start_body(location_id="NOWHERE"),
            {},
            200,
            2003,
            "REJECTED",
            "NOWHERE",
        ),
        (
            "another operator's location",
            START,
            start_body(location_id="LYO-1"),
            {},
            200,
            2003,
            "REJECTED",
            "LYO-1",
        ),
        ("unknown EVSE", START, start_body(evse_uid="E9"), {}, 200, 1000, "REJECTED", "E9"),
        (
            "unknown connector",
            START,
            start_body(connector_id="9"),
            {},
            200,
            1000,
            "REJECTED",
            "connector 9",
        ),
        (
            "EVSE without remote start",
            START,
            start_body(evse_uid="E3"),
            {},
            200,
            1000,
            "NOT_SUPPORTED",
            "E3",
        ),
        (
            "token of another eMSP",
            START,
            start_body(),
            {"sender": ("NL", "EMP")},
            200,
            1000,
            "REJECTED",
            "token",
        ),
        (
            "several EVSEs and no evse_uid",
            START,
            start_body(evse_uid=None),
            {},
            200,
            1000,
            "REJECTED",
            "evse_uid",
        ),
        (
            "connector_id without evse_uid",
            START,
            start_body(evse_uid=None, connector_id="1"),
            {},
            200,
            2001,
            None,
            "evse_uid",
        ),
        (
            "unknown session",
            STOP,
            {"session_id": "GIREVE-123"},
            {},
            200,
            1000,
            "UNKNOWN_SESSION",
            "GIREVE-123",
        ),
        (
            "another eMSP's session",
            STOP,
            {"session_id": active},
            {"sender": ("NL", "EMP")},
            200,
            1000,
            "REJECTED",
            "eMSP",
        ),
        (
            "completed session",
            STOP,
            {"session_id": completed},
            {},
            200,
            1000,
            "REJECTED",
            "already ended",
        ),
        ("RESERVE_NOW", "RESERVE_NOW", reserve, {}, 200, 1000, "NOT_SUPPORTED", "RESERVE_NOW"),
        (
            "CANCEL_RESERVATION",
            "CANCEL_RESERVATION",
            {"reservation_id": "R1"},
            {},
            200,
            1000,
            "NOT_SUPPORTED",
            "CANCEL_RESERVATION",
        ),
        (
            "UNLOCK_CONNECTOR",
            "UNLOCK_CONNECTOR",
            unlock,
            {},
            200,
            1000,
            "NOT_SUPPORTED",
            "UNLOCK_CONNECTOR",
        ),
        (
            "unknown command",
            "SELF_DESTRUCT",
            {"session_id": active},
            {},
            404,
            2001,
            None,
            "SELF_DESTRUCT",
        ),
    ]


def test_commands_we_do_not_execute_are_answered_at_once_and_nothing_follows(hub, double, location):
    OperatorFactory(country_code="FR", party_id="XY2")
    LocationFactory(operator__country_code="FR", operator__party_id="XY2", ocpi_id="LYO-1")
    e1 = location.evses.get(uid="E1")
    active = SessionFactory(connector=e1.connectors.get(), operator=location.operator)
    completed = SessionFactory(
        connector=e1.connectors.get(),
        operator=location.operator,
        status="COMPLETED",
        end_date_time=active.start_date_time + dt.timedelta(hours=1),
    )
    wrong = []
    for what, command, body, options, http, status, result, words in _cases(
        active.ocpi_id, completed.ocpi_id
    ):
        sent = send(hub, command, body, **options)
        data = sent.response
        got = (sent.http_status, sent.answer["status_code"], (data or {}).get("result"))
        text = " ".join(m["text"] for m in (data or {}).get("message", [])) or sent.answer.get(
            "status_message", ""
        )
        if got != (http, status, result) or words not in text:
            wrong.append(f"{what}: got {got} {text!r}, expected {(http, status, result)} {words!r}")
        if data is not None:  # the envelope and CommandResponse, checked independently
            OCPIResponse(**sent.answer)
            assert CommandResponse(**data).timeout == 60
    assert not wrong, "\n".join(wrong)
    # Answered, stored for ops, and nothing executed: no CSMS call, no remote start, no result.
    assert double.received == []
    assert not RemoteStart.objects.exists()
    assert hub.command_results_received == {}
    stored = Command.objects.values_list("state", flat=True)
    assert set(stored) == {"ANSWERED"} and len(stored) == 13  # the two 2001/404 are not kept
