"""Accepted commands, run step by step (the task functions called directly: timing is not the
point here): the signed call to the CSMS double, the one result posted to the response_url,
the remote-started token accepted locally, late answers logged only."""

import base64
import datetime as dt

from django.utils import timezone
from py_ocpi.modules.commands.v_2_2_1.schemas import CommandResult

from roaming import ocpi_checks as checks
from roaming.simulator.commands import APP_TOKEN
from sessions.commands import callbacks, results, tasks
from sessions.commands.enums import CommandResultType
from sessions.commands.models import Command
from sessions.csms.simulator import ChargePoint
from sessions.models import Authorization, RemoteStart, Session
from tests.factories import SessionFactory

from .conftest import send, start_body

# Our own check of an emitted CommandResult (mod_commands), strict: unknown fields refused.
command_result_errors = checks.obj(
    {
        "result": (checks.enum(CommandResultType), True),
        "message": (checks.display_texts, False),
    }
)


def emitted(results: list[dict]) -> list[dict]:
    """The CommandResults the hub received, each checked by py_ocpi and by our schema."""
    for result in results:
        CommandResult(**result)
        assert command_result_errors(result, "CommandResult") == []
    return results


def run(command: Command, double) -> Command:
    """What the workers do: call the CSMS, let the charge point answer, post the result."""
    results.call_csms(command.pk)
    double.wait_idle()
    callbacks.post_result(command.pk)
    return Command.objects.get(pk=command.pk)


def test_start_without_connector_id_reaches_the_csms_once_and_gets_one_accepted_result(
    hub, double, location
):
    e2 = location.evses.get(uid="E2")
    SessionFactory(connector=e2.connectors.get(ocpi_id="1"), operator=location.operator)
    double.mode = "no_ev"  # the charge point accepts; the driver never plugs in
    body = start_body(evse_uid="E2")  # Gireve §3.7.2: no connector_id from 2.1.1 eMSPs

    first = send(hub, "START_SESSION", body)
    retry = send(hub, "START_SESSION", body, command_id=first.command_id)  # same response_url
    command = run(Command.objects.get(), double)
    callbacks.post_result(command.pk)  # a second attempt finds nothing to post

    assert first.response == retry.response == {"result": "ACCEPTED", "timeout": 60}
    assert Command.objects.count() == 1 and RemoteStart.objects.count() == 1
    [call] = double.received  # signed, verified by the double, once
    assert call.verified and call.body["command_id"] == str(command.command_id)
    assert call.body["connector_id"] == "2"  # the only free connector of E2
    assert call.body["id_tag"] == APP_TOKEN["uid"] and call.body["token"] == APP_TOKEN
    assert call.body["authorization_reference"] == "GIREVE-AUTH-1"
    # One result, at the response_url verbatim, with our token, routing and correlation id.
    assert emitted(hub.results_of(first.command_id)) == [{"result": "ACCEPTED"}]
    [posted] = [r for r in hub.received if r.path.endswith(f"/results/{first.command_id}")]
    assert posted.headers["Authorization"] == "Token " + base64.b64encode(b"hub-token-c").decode()
    assert posted.headers["X-Correlation-ID"] == first.correlation_id
    routing = [
        posted.headers[f"OCPI-{w}-{p}"]
        for w in ("from", "to")
        for p in ("country-code", "party-id")
    ]
    assert routing == ["FR", "AB1", "FR", "107"]
    assert command.state == "DELIVERED" and command.callback_attempts == 1
    # No car: the ACCEPTED result is all (no session, no PUT to the hub).
    assert not Session.objects.filter(evse=e2, auth_method="COMMAND").exists()
    assert hub.requests_to("sessions") == []
    # The charge point's Authorize of that token at that EVSE: accepted without the hub.
    swipe = double.bridge.event(
        ChargePoint("PAR-1", "E2"), id_tag=APP_TOKEN["uid"], token_type="APP_USER"
    )
    assert double.report("authorize", swipe)["reason"] == "REMOTE_START"
    assert hub.authorize_requests == []
    assert Authorization.objects.get().authorization_reference == "GIREVE-AUTH-1"


def test_a_refusing_csms_gives_rejected_and_an_unsigned_call_is_retried(hub, double, location):
    double.mode = "refuses"
    double.secret, secret = "not-the-secret", double.secret
    sent = send(hub, "START_SESSION", start_body())
    command = Command.objects.get()

    retry_in = results.call_csms(command.pk)  # refused by the double: HTTP 401
    failed = Command.objects.get(pk=command.pk)
    double.secret = secret
    command = run(command, double)

    assert retry_in is not None and failed.csms_error == "HTTP 401"
    assert [call.verified for call in double.received] == [False, True]
    assert command.csms_attempts == 2 and command.result_source == "CSMS_REFUSED"
    [result] = emitted(hub.results_of(sent.command_id))
    assert result["result"] == "REJECTED"
    assert result["message"] == [{"language": "en", "text": "Charge point offline"}]


def test_an_occupied_evse_is_answered_without_the_charge_point(hub, double, location):
    evse = location.evses.get(uid="E1")
    evse.status = "CHARGING"
    evse.save()

    sent = send(hub, "START_SESSION", start_body())
    callbacks.post_result(Command.objects.get().pk)

    assert sent.response["result"] == "ACCEPTED"
    assert [r["result"] for r in hub.results_of(sent.command_id)] == ["EVSE_OCCUPIED"]
    assert double.received == [] and not RemoteStart.objects.exists()


def test_after_our_timeout_a_late_answer_is_logged_and_never_posted(hub, double, location):
    double.mode, double.late_seconds = "late", 1.0
    sent = send(hub, "START_SESSION", start_body())
    command = Command.objects.get()
    results.call_csms(command.pk)  # accepted; the charge point answers a second later
    Command.objects.filter(pk=command.pk).update(result_due_at=timezone.now())
    results.expire(command.pk)  # silent so far: TIMEOUT
    callbacks.post_result(command.pk)
    double.wait_idle()  # the late ACCEPTED arrives
    callbacks.post_result(command.pk)

    command.refresh_from_db()
    assert emitted(hub.results_of(sent.command_id)) == [
        {"result": "TIMEOUT", "message": [{"language": "en", "text": command.result_message}]}
    ]
    [late] = command.late_answers
    assert (late["result"], late["source"]) == ("ACCEPTED", "CSMS")
    assert double.reports[-1][3]["applied"] is False


def test_no_result_is_posted_once_the_announced_timeout_has_passed(hub, double, location):
    double.mode = "silent"
    sent = send(hub, "STOP_SESSION", {"session_id": _active(location).ocpi_id})
    command = Command.objects.get()
    results.call_csms(command.pk)
    past = timezone.now() - dt.timedelta(seconds=1)
    Command.objects.filter(pk=command.pk).update(result_due_at=past, expires_at=past)

    results.expire(command.pk)
    callbacks.post_result(command.pk)

    command.refresh_from_db()
    assert sent.response["result"] == "ACCEPTED"
    assert command.result == "" and command.late_answers[0]["result"] == "TIMEOUT"
    assert command.state == "UNDELIVERED"  # the sweeper will not try again
    assert hub.results_of(sent.command_id) == []


def _active(location):
    e1 = location.evses.get(uid="E1")
    return SessionFactory(connector=e1.connectors.get(), operator=location.operator)


def test_the_sweeper_finishes_what_lost_tasks_left(hub, double, location):
    """No worker consumes the tasks this test publishes: as if the broker lost them."""
    double.mode = "silent"
    sent = send(hub, "START_SESSION", start_body())
    command = Command.objects.get()
    earlier = timezone.now() - dt.timedelta(seconds=20)

    Command.objects.filter(pk=command.pk).update(received_at=earlier)
    tasks.sweep()  # never sent to the CSMS: sent now
    Command.objects.filter(pk=command.pk).update(result_due_at=earlier)
    tasks.sweep()  # the TIMEOUT task was lost: TIMEOUT decided now
    Command.objects.filter(pk=command.pk).update(result_at=earlier)
    tasks.sweep()  # the callback task was lost: posted now
    tasks.sweep()

    assert [call.verified for call in double.received] == [True]
    assert [r["result"] for r in hub.results_of(sent.command_id)] == ["TIMEOUT"]
    assert Command.objects.get().state == "DELIVERED"
