"""The answer to a remote command (OCPI 2.2.1 mod_commands; Gireve §3.7; rules and
traps in roaming-workflow §2; design in docs/commands.md).

- `receive_command`: the answer the hub gets at once (CommandResponse), never waiting for the
  charge point. A START_SESSION accepted here leaves a RemoteStart (the token may start at that
  charge point for 15 minutes without a real-time authorization, sessions.authorization).
What follows an ACCEPTED command (the CSMS call, the result) is in sessions.commands.results.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from locations.enums import Status
from locations.models import EVSE, Connector, Location
from roaming.models import Operator, Platform
from sessions.csms.models import Csms, EvseMapping
from sessions.enums import CommandType, SessionStatus
from sessions.models import RemoteStart, Session

from . import doorbell
from .enums import CommandResponseType, CommandResultType, CommandState, ResultSource
from .models import Command

logger = logging.getLogger(__name__)

Response = CommandResponseType
Result = CommandResultType
# OCPI status_codes 2003: "Command: START_SESSION with unknown location" (HTTP 200).
UNKNOWN_LOCATION = 2003
REMOTE_CAPABILITY = "REMOTE_START_STOP_CAPABLE"
# Known EVSE states answered at once, without bothering the charge point (roaming-workflow
# §2.3: ACCEPTED then the precise result, rather than REJECTED).
OCCUPIED = {Status.CHARGING, Status.BLOCKED, Status.RESERVED}
INOPERATIVE = {Status.INOPERATIVE, Status.OUTOFORDER}
GONE = {Status.REMOVED, Status.PLANNED}
# OCPP 1.6 idTag: CiString20. A longer token uid (APP_USER, AD_HOC_USER: up to 36) gets an
# alias the CSMS uses instead (roaming-workflow §2.7: never truncate silently).
OCPP_ID_TAG_LENGTH = 20


@dataclasses.dataclass(frozen=True)
class Inbound:
    """Who sent a command and how (the transport of the OCPI request)."""

    platform: Platform
    sender: tuple[str, str]
    operator: Operator
    raw_body: str
    request_id: str
    correlation_id: str


class Refusal(Exception):
    """A command answered without being executed: its CommandResponse."""

    def __init__(self, response: str, message: str, status_code: int = 1000):
        super().__init__(message)
        self.response, self.message, self.status_code = response, message, status_code


# --- the answer at once ---------------------------------------------------------------


def command_response(command: Command) -> dict:
    """OCPI CommandResponse {result, timeout, message?}."""
    answer = {"result": command.response, "timeout": command.timeout_seconds}
    if command.response_message:
        answer["message"] = [{"language": "en", "text": command.response_message[:512]}]
    return answer


def receive_command(*, type: str, data: dict, inbound: Inbound) -> Command:
    """Decide and store the answer to a command; a retry of a request already received
    (same type and response_url) gets the first answer and changes nothing."""
    seen = _replayed(type, data["response_url"], inbound.raw_body)
    if seen is not None:
        return seen
    now = timezone.now()
    command = Command(
        type=type,
        state=CommandState.ANSWERED,
        platform=inbound.platform,
        sender="*".join(inbound.sender).upper(),
        operator=inbound.operator,
        response_url=data["response_url"],
        request_body=inbound.raw_body,
        request_id=inbound.request_id[:255],
        correlation_id=inbound.correlation_id[:255],
        received_at=now,
        timeout_seconds=settings.COMMAND_TIMEOUT_SECONDS,
        expires_at=now + dt.timedelta(seconds=settings.COMMAND_TIMEOUT_SECONDS),
    )
    try:
        if type == CommandType.START_SESSION:
            _decide_start(command, data, inbound)
        elif type == CommandType.STOP_SESSION:
            _decide_stop(command, data, inbound)
        else:
            # Gireve §3.7.1: only START_SESSION and STOP_SESSION exist at IOP.
            raise Refusal(Response.NOT_SUPPORTED, f"{type} is not supported")
        command.response = Response.ACCEPTED
    except Refusal as refusal:
        command.response, command.response_message = refusal.response, refusal.message
        command.response_status_code = refusal.status_code
    try:
        with transaction.atomic():
            _save_and_follow_up(command)
    except IntegrityError:
        # The same request, concurrently: the first one stored wins, this one gets its answer.
        seen = _replayed(type, data["response_url"], inbound.raw_body)
        if seen is None:
            raise
        return seen
    return command


def _replayed(type: str, response_url: str, raw_body: str) -> Command | None:
    seen = Command.objects.filter(type=type, response_url=response_url).first()
    if seen is not None and json.loads(seen.request_body) != json.loads(raw_body):
        # The eMSP reused a response_url for another request: its result could not be told
        # apart from the first one's (mod_commands: "unique for every request").
        return Command(
            type=type,
            response=Response.REJECTED,
            response_message="response_url was already used for another command",
            timeout_seconds=settings.COMMAND_TIMEOUT_SECONDS,
        )
    return seen


def _save_and_follow_up(command: Command) -> None:
    if command.response != Response.ACCEPTED:
        command.full_clean()
        command.save()
        return
    if command.result:  # known at once (EVSE occupied / inoperative): post it, no CSMS call
        command.state, command.result_source = CommandState.RESULT, ResultSource.PLATFORM
        command.result_at = command.received_at
        command.full_clean()
        command.save()
        doorbell.ring("post_result", command.pk)
        return
    command.state = CommandState.WAITING
    margin = min(settings.COMMAND_TIMEOUT_MARGIN_SECONDS, command.timeout_seconds // 2)
    command.result_due_at = command.expires_at - dt.timedelta(seconds=margin)
    command.full_clean()
    command.save()
    if command.type == CommandType.START_SESSION:
        command.remote_start = RemoteStart.objects.create(
            created_at=command.received_at,
            evse=command.evse,
            charge_point_id=evse_mapping(command.evse)[0],
            uid=command.id_tag,
            type=command.token["type"],
            token=command.token,
            authorization_reference=command.authorization_reference,
        )
        command.save(update_fields=["remote_start"])
    doorbell.ring("call_csms", command.pk)
    doorbell.ring("expire", command.pk, eta=command.result_due_at)


# --- START_SESSION --------------------------------------------------------------------


def _decide_start(command: Command, data: dict, inbound: Inbound) -> None:
    location = (
        Location.objects.filter(
            operator=inbound.operator, ocpi_id__iexact=data["location_id"], publish=True
        )
        .select_related("operator")
        .first()
    )
    if location is None:
        message = f"Unknown location {data['location_id']}"
        raise Refusal(Response.REJECTED, message, status_code=UNKNOWN_LOCATION)
    command.location = location
    # The Token exactly as the eMSP sent it (validated by the serializer): for Session and CDR.
    token = command.token = json.loads(inbound.raw_body)["token"]
    command.authorization_reference = data.get("authorization_reference") or ""
    if not _sender_may_use(inbound, token["country_code"], token["party_id"]):
        # mod_commands StartSession: "SHALL only use Token that are owned by this eMSP".
        raise Refusal(Response.REJECTED, "The token is not one of the sending eMSP's")
    evse = command.evse = _start_evse(location, data.get("evse_uid"))
    if REMOTE_CAPABILITY not in (evse.capabilities or []):
        raise Refusal(Response.NOT_SUPPORTED, f"EVSE {evse.uid} cannot be started remotely")
    command.connector = _start_connector(evse, data.get("connector_id"))
    command.csms = _csms_for(evse)
    # The token is not validated (mod_commands: the eMSP authorized it); it goes to the CSMS
    # and later into the Session and CDR.
    uid = token["uid"]
    command.id_tag = uid if len(uid) <= OCPP_ID_TAG_LENGTH else f"R{command.command_id.hex[:19]}"
    if evse.status in OCCUPIED:
        command.result = Result.EVSE_OCCUPIED
        command.result_message = f"EVSE {evse.uid} is {evse.status}"
    elif evse.status in INOPERATIVE:
        command.result = Result.EVSE_INOPERATIVE
        command.result_message = f"EVSE {evse.uid} is {evse.status}"


def _start_evse(location: Location, evse_uid: str | None) -> EVSE:
    evses = location.evses.exclude(status__in=GONE)
    if evse_uid:
        evse = evses.filter(uid__iexact=evse_uid).first()
        if evse is None:
            raise Refusal(Response.REJECTED, f"Unknown EVSE {evse_uid} at {location.ocpi_id}")
        return evse
    # OCPI lets the charge point choose; a CSMS needs one EVSE: only when there is no doubt.
    candidates = [e for e in evses if REMOTE_CAPABILITY in (e.capabilities or [])]
    free = [e for e in candidates if e.status == Status.AVAILABLE]
    for choice in (candidates, free):
        if len(choice) == 1:
            return choice[0]
    raise Refusal(Response.REJECTED, f"evse_uid is required: {location.ocpi_id} has several EVSEs")


def _start_connector(evse: EVSE, connector_id: str | None) -> Connector:
    connectors = list(evse.connectors.order_by("ocpi_id"))
    if connector_id:
        for connector in connectors:
            if connector.ocpi_id.upper() == connector_id.upper():
                return connector
        raise Refusal(Response.REJECTED, f"Unknown connector {connector_id} on EVSE {evse.uid}")
    if not connectors:
        raise Refusal(Response.REJECTED, f"EVSE {evse.uid} has no connector")
    # Gireve §3.7.2: eMSPs on OCPI 2.1.1 cannot send connector_id; never refuse for that.
    # The only connector, else the only free one, else the first free one (the charge point
    # reports the connector really used when the transaction starts).
    busy = set(
        Session.objects.filter(
            evse=evse, status=SessionStatus.ACTIVE, stopped_at__isnull=True
        ).values_list("connector_id", flat=True)
    )
    free = [c for c in connectors if c.pk not in busy]
    return (free or connectors)[0]


# --- STOP_SESSION ---------------------------------------------------------------------


def _decide_stop(command: Command, data: dict, inbound: Inbound) -> None:
    session = (
        Session.objects.filter(operator=inbound.operator, ocpi_id__iexact=data["session_id"])
        .select_related("evse", "location")
        .first()
    )
    if session is None:
        # Gireve §3.8.5: eMSPs know IOP's session id; the raw id stays in the message log.
        logger.info("STOP_SESSION for unknown session %r", data["session_id"])
        raise Refusal(Response.UNKNOWN_SESSION, f"Unknown session {data['session_id']}")
    command.session, command.evse = session, session.evse
    command.location, command.connector_id = session.location, session.connector_id
    token = session.cdr_token or {}
    foreign = session.origin != Session.Origin.ROAMING or not _sender_may_use(
        inbound, token.get("country_code", ""), token.get("party_id", "")
    )
    if foreign:
        # mod_commands REJECTED: "Session might not be from a customer of the eMSP".
        raise Refusal(Response.REJECTED, "The session is not one of the sending eMSP's")
    if session.status != SessionStatus.ACTIVE or session.stopped_at is not None:
        raise Refusal(Response.REJECTED, f"Session {session.ocpi_id} has already ended")
    if REMOTE_CAPABILITY not in (session.evse.capabilities or []):
        raise Refusal(Response.NOT_SUPPORTED, f"EVSE {session.evse.uid} cannot be stopped remotely")
    command.csms = _csms_for(session.evse)


# --- shared checks --------------------------------------------------------------------


def _sender_may_use(inbound: Inbound, country_code: str, party_id: str) -> bool:
    """An eMSP commands only its own tokens and sessions; a hub speaking as itself (not
    naming the eMSP in OCPI-from) is trusted to have checked (Gireve §2.1.5)."""
    sender = tuple(part.upper() for part in inbound.sender)
    hub = (inbound.platform.hub_country_code.upper(), inbound.platform.hub_party_id.upper())
    return sender == hub or sender == (country_code.upper(), party_id.upper())


def _csms_for(evse: EVSE) -> Csms:
    """The active CSMS running this EVSE and taking commands (else NOT_SUPPORTED)."""
    runs = Q(operators=evse.location.operator_id) | Q(locations=evse.location_id)
    csms = Csms.objects.filter(runs, active=True).exclude(command_url="").order_by("pk").first()
    if csms is None:
        raise Refusal(Response.NOT_SUPPORTED, f"EVSE {evse.uid} takes no remote command")
    return csms


def evse_mapping(evse: EVSE) -> tuple[str, int | None]:
    mapping = EvseMapping.objects.filter(evse=evse).first()
    return (mapping.charge_point_id, mapping.connector_id) if mapping else ("", None)
