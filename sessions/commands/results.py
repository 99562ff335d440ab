"""What follows an accepted command (docs/commands.md "After ACCEPTED"): the CSMS call and
the one result.

- `call_csms`: one attempt at the CSMS command endpoint (sessions.commands.adapter), retried
  only until the command's result is due.
- `decide_result`: the one place a result is set — at most one per command; a later one is
  kept in `late_answers` and never posted (sessions.commands.callbacks posts the first).
- `expire`: TIMEOUT when the charge point stayed silent until `result_due_at`, before the
  announced timeout.
- `report_result`: the CSMS reporting the charge point's answer on the bridge API.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sessions.csms.models import Csms
from sessions.csms.services import BridgeError, once

from . import adapter, doorbell
from .enums import CommandResultType, CommandState, ResultSource
from .models import Command
from .services import evse_mapping

logger = logging.getLogger(__name__)

Result = CommandResultType


# --- the CSMS call ----------------------------------------------------------------------


def call_csms(command_pk: int) -> float | None:
    """One attempt at the CSMS; the seconds until the next one, or None (answered, gave up,
    or nothing to do). Retries stop when the result is due: TIMEOUT takes over then."""
    command = Command.objects.select_related("csms", "evse__location", "session").get(pk=command_pk)
    now = timezone.now()
    if command.state != CommandState.WAITING or command.csms_answered_at is not None:
        return None
    left = (command.result_due_at - now).total_seconds()
    if left <= 0:
        return None
    charge_point_id, ocpp_connector_id = evse_mapping(command.evse)
    answer = adapter.send(
        command,
        charge_point_id=charge_point_id,
        ocpp_connector_id=ocpp_connector_id,
        timeout=min(settings.COMMAND_CSMS_TIMEOUT_SECONDS, left),
    )
    with transaction.atomic():
        command = Command.objects.select_for_update().get(pk=command_pk)
        command.csms_attempts += 1
        command.csms_called_at = command.csms_called_at or now
        command.csms_http_status, command.csms_error = answer.http_status, answer.error
        if answer.error:
            command.save()
            delay = min(2.0 ** (command.csms_attempts - 1), 8.0)
            due = command.result_due_at - timezone.now()
            return delay if delay < due.total_seconds() else None
        command.csms_answered_at, command.csms_answer = timezone.now(), answer.body
        command.save()
        if not answer.accepted:
            decide_result(
                command,
                result=Result.REJECTED,
                source=ResultSource.CSMS_REFUSED,
                message=answer.message or "The charge point refused the command",
            )
    return None


# --- the result -----------------------------------------------------------------------


def decide_result(command: Command, *, result: str, source: str, message: str = "") -> bool:
    """Set the command's result unless it has one (then the answer is only logged); the
    caller holds the row lock. True when this one is the result to post."""
    now = timezone.now()
    first = not command.result and command.state == CommandState.WAITING
    if first and now < command.expires_at:
        command.result, command.result_source = result, source
        command.result_message, command.result_at = message[:1000], now
        command.state = CommandState.RESULT
        command.save()
        doorbell.ring("post_result", command.pk)
        return True
    if first:  # the announced timeout passed (workers were down): nothing may be posted now
        command.state = CommandState.UNDELIVERED
        command.callback_error = "no result before the announced timeout"
    command.late_answers = [
        *command.late_answers,
        {"at": now.isoformat(), "result": result, "source": source, "message": message},
    ]
    command.save(update_fields=["late_answers", "state", "callback_error"])
    logger.info("Command %s: late %s %s logged only", command.command_id, source, result)
    return False


def expire(command_pk: int) -> float | None:
    """TIMEOUT if the charge point is still silent at `result_due_at` (seconds to wait if
    called early, else None)."""
    with transaction.atomic():
        command = Command.objects.select_for_update().get(pk=command_pk)
        if command.state != CommandState.WAITING:
            return None
        early = (command.result_due_at - timezone.now()).total_seconds()
        if early > 0:
            return early
        decide_result(
            command,
            result=Result.TIMEOUT,
            source=ResultSource.TIMEOUT,
            message="No answer from the charge point in time",
        )
    return None


def report_result(*, csms: Csms, event: dict) -> dict:
    """The CSMS's report of what the charge point did (roaming-workflow §7 E6): idempotent
    per event id; after our result (TIMEOUT, or an earlier report) it is logged only."""

    def process() -> dict:
        command = Command.objects.select_for_update().filter(command_id=event["command_id"]).first()
        if command is None:
            raise BridgeError(404, f"Unknown command_id {event['command_id']}.")
        if command.csms_id != csms.pk:
            raise BridgeError(403, "This command was not sent to this CSMS.")
        applied = decide_result(
            command,
            result=event["result"],
            source=ResultSource.CSMS,
            message=event.get("message") or "",
        )
        if applied:
            reason = ""
        elif command.result:
            reason = f"the command already has its result ({command.result}): logged only"
        else:
            reason = "the announced timeout has passed: logged only"
        return {
            "event_id": event["event_id"],
            "command_id": str(command.command_id),
            "applied": applied,
            "reason": reason,
        }

    return once(csms, event, "command-result", process)
