"""The CommandResult POST to the eMSP's response_url (OCPI 2.2.1 mod_commands Sender POST).

- The URL is used verbatim ("The CPO is required to use this URL"), with our token for the
  platform that sent the command and routing headers From = our operator, To = the hub
  (roaming.client.OcpiClient), and the inbound X-Correlation-ID (Gireve §2.1.4).
- At most one result per command: the row is claimed under lock before each attempt, and
  `results.decide_result` sets a result only once.
- Never after the announced timeout: each attempt starts before `expires_at` and its connect
  and read timeouts are capped by the time left; a failed attempt is retried only while
  time is left, then the result is dropped (UNDELIVERED) — a stale result is worse than none.
  Not the FIFO outbox: results are not store-and-forward (roaming-workflow §0, §2.2).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from roaming.client import OcpiClient

from .enums import CommandState
from .models import Command

# An attempt needs at least this much time before the announced timeout to start.
MIN_ATTEMPT_SECONDS = 0.5


def result_body(command: Command) -> dict:
    """OCPI CommandResult {result, message?}."""
    body = {"result": command.result}
    if command.result_message:
        body["message"] = [{"language": "en", "text": command.result_message[:512]}]
    return body


def _claim(command_pk: int) -> tuple[Command, float] | None:
    """Lock the command for one attempt: (command, seconds left) or None (nothing to post)."""
    with transaction.atomic():
        command = (
            Command.objects.select_for_update(of=("self",))
            .select_related("platform", "operator")
            .get(pk=command_pk)
        )
        now = timezone.now()
        if command.state != CommandState.RESULT:
            return None
        if command.callback_claimed_until and command.callback_claimed_until > now:
            return None  # another worker is posting it
        left = (command.expires_at - now).total_seconds()
        if left < MIN_ATTEMPT_SECONDS or command.platform is None:
            command.state = CommandState.UNDELIVERED
            command.callback_error = (
                "no platform to post to"
                if command.platform is None
                else "not posted: the announced timeout has passed"
            )
            command.callback_at = now
            command.save()
            return None
        command.callback_attempts += 1
        command.callback_claimed_until = command.expires_at
        command.callback_next_at = None
        command.save()
    return command, left


def post_result(command_pk: int) -> float | None:
    """One attempt at posting the result; seconds until the next attempt, or None."""
    claimed = _claim(command_pk)
    if claimed is None:
        return None
    command, left = claimed
    client = OcpiClient(command.platform, correlation_id=command.correlation_id or None)
    outcome = client.send(
        "POST",
        command.response_url,
        json=result_body(command),
        from_operator=command.operator,
        module="commands",
        object_id=str(command.command_id),
        timeout=left,
    )
    with transaction.atomic():
        command = Command.objects.select_for_update().get(pk=command_pk)
        now = timezone.now()
        command.callback_http_status = outcome.http_status
        command.callback_status_code = outcome.ocpi_status
        command.callback_error = "" if outcome.ok else outcome.message[:1000]
        command.callback_claimed_until = None
        delay = min(2.0 ** (command.callback_attempts - 1), 4.0)
        retry_at = now + dt.timedelta(seconds=delay + MIN_ATTEMPT_SECONDS)
        if outcome.ok:
            command.state, command.callback_at = CommandState.DELIVERED, now
        elif outcome.kind == "technical" and retry_at < command.expires_at:
            command.callback_next_at = now + dt.timedelta(seconds=delay)
            command.save()
            return delay
        else:  # refused (OCPI 2xxx: a verdict), or no time left for another attempt
            command.state, command.callback_at = CommandState.UNDELIVERED, now
        command.save()
    return None
