"""Real-time authorization of a badge presented at one of our EVSEs (OCPI 2.2.1 mod_tokens,
Gireve §3.6; rules in docs/csms-bridge.md and roaming-workflow.md §1).

Decision path, first match wins:
1. RFID uid normalised (Gireve §2.3.3); a malformed one is refused here, never sent to IOP.
2. The token was remote-started at this charge point in the last 15 minutes (mod_commands
   START_SESSION): accepted without asking the hub.
3. The one cached Token (pushed by its eMSP) with this uid and type is valid and whitelisted
   ALWAYS (mod_tokens WhitelistType): accepted locally.
4. Otherwise the hub is asked synchronously — `POST {tokens SENDER}/{uid}/authorize?type=`
   with LocationReferences naming the location and exactly one EVSE (Gireve §3.6.2) — through
   `OcpiClient`, never the outbox, with AUTHORIZE_TIMEOUT_SECONDS.
5. Hub unreachable (network, timeout, 5xx, 4002, 4003, an answer we cannot read): only a cached
   token whitelisted ALWAYS, ALLOWED or ALLOWED_OFFLINE passes.

`decide` makes no write (the caller stores the decision with its own records in one
transaction, `record_authorization`).
"""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from locations.models import EVSE
from roaming import ocpi_checks as checks
from roaming.client import OcpiClient
from roaming.enums import InterfaceRole
from roaming.models import Platform

from . import metrics
from .enums import AllowedType, TokenType, WhitelistType
from .enums import AuthorizationReason as Reason
from .enums import AuthorizationSource as Source
from .models import Authorization, RemoteStart, Token
from .ocpi import token_to_ocpi
from .rfid import BadUid, normalise_rfid

# OCPI 2.2.1 mod_commands START_SESSION: the token may be used at that charge point for 15 min.
REMOTE_START_WINDOW = dt.timedelta(minutes=15)
# A charge point's clock may run this far ahead of ours (the CSMS bridge refuses more).
CLOCK_AHEAD = dt.timedelta(minutes=5)
OFFLINE_WHITELISTS = {WhitelistType.ALWAYS, WhitelistType.ALLOWED, WhitelistType.ALLOWED_OFFLINE}
# OCPI status_codes: the hub could not reach the eMSP (timeout, not connected).
HUB_UNREACHABLE_STATUSES = {4002, 4003}
UNKNOWN_TOKEN = 2004


def _token_reference(value, path):
    """AuthorizationInfo.token: kept as the hub gave it; we need at least its uid and type."""
    if not isinstance(value, dict):
        return [f"{path}: must be an object."]
    return checks.string(36, ci=True)(value.get("uid"), f"{path}.uid") + checks.enum(TokenType)(
        value.get("type"), f"{path}.type"
    )


_location_references = checks.obj(
    {
        "location_id": (checks.string(36, ci=True), True),
        "evse_uids": (checks.list_of(checks.string(36, ci=True)), False),
    }
)
authorization_info_errors = checks.obj(
    {
        "allowed": (checks.enum(AllowedType), True),
        "token": (_token_reference, True),
        "location": (_location_references, False),
        "authorization_reference": (checks.string(36, ci=True), False),
        "info": (checks.display_text, False),
    }
)


def hub_platform() -> Platform | None:
    """The connected hub that authorizes tokens (a tokens SENDER endpoint)."""
    return (
        Platform.objects.filter(
            status=Platform.Status.CONNECTED,
            endpoints__identifier="tokens",
            endpoints__role=InterfaceRole.SENDER,
        )
        .order_by("pk")
        .first()
    )


def decide(
    *,
    evse: EVSE,
    id_tag: str,
    type: str = TokenType.RFID,
    reader_format: str = "HEX",
    charge_point_id: str = "",
) -> Authorization:
    """The decision on one badge at `evse`, unsaved; asks the hub when it must."""
    started = time.monotonic()
    decision = Authorization(
        evse=evse, charge_point_id=charge_point_id, id_tag=id_tag[:64], type=type
    )
    _decide(decision, reader_format)
    decision.latency_ms = int((time.monotonic() - started) * 1000)
    metrics.count_decision(decision)
    return decision


def _decide(decision: Authorization, reader_format: str) -> None:
    try:
        decision.uid = token_uid(decision.id_tag, decision.type, reader_format)
    except BadUid as exc:
        return _set(decision, Source.LOCAL, Reason.INVALID_UID, message=str(exc))
    remote_start = remote_start_for(
        evse=decision.evse,
        uid=decision.uid,
        type=decision.type,
        charge_point_id=decision.charge_point_id,
        at=timezone.now(),
    )
    if remote_start is not None:
        decision.token = remote_start.token
        decision.authorization_reference = remote_start.authorization_reference
        return _set(decision, Source.REMOTE_START, Reason.REMOTE_START)
    cached = list(Token.objects.filter(uid__iexact=decision.uid, type=decision.type)[:2])
    # Same uid at two eMSPs (mod_tokens: unique per eMSP only): whose badge is unknown.
    only = cached[0] if len(cached) == 1 else None
    if only is not None and only.valid and only.whitelist == WhitelistType.ALWAYS:
        decision.token = token_to_ocpi(only)
        return _set(decision, Source.WHITELIST, Reason.WHITELIST_ALWAYS)
    _ask_hub(decision)
    unreachable = decision.reason == Reason.HUB_UNREACHABLE
    if unreachable and only is not None and only.valid and only.whitelist in OFFLINE_WHITELISTS:
        decision.token = token_to_ocpi(only)
        _set(decision, Source.OFFLINE, Reason.OFFLINE_WHITELIST)


def token_uid(id_tag: str, type: str, reader_format: str = "HEX") -> str:
    """The one normaliser of a badge's id tag into the Token.uid we send and match on (the
    authorize decision and the transaction that follows it both call it): RFID by Gireve
    §2.3.3 (sessions.rfid), any other type as given if a CiString(36). Raises BadUid."""
    if type == TokenType.RFID:
        return normalise_rfid(id_tag, reader_format=reader_format)
    problems = checks.string(36, ci=True)(id_tag, "id_tag")  # Token.uid: CiString(36)
    if problems:
        raise BadUid(problems[0])
    return id_tag


def _set(decision: Authorization, source: str, reason: str, *, message: str = "") -> None:
    decision.source, decision.reason = source, reason
    decision.accepted = reason in {
        Reason.ALLOWED,
        Reason.WHITELIST_ALWAYS,
        Reason.REMOTE_START,
        Reason.OFFLINE_WHITELIST,
    }
    if message:
        decision.hub_message = message[:1000]


def _window(at: dt.datetime) -> dict:
    """From 15 minutes before `at` to CLOCK_AHEAD after it (a charge point's clock may run
    a little ahead of ours)."""
    return {"created_at__gte": at - REMOTE_START_WINDOW, "created_at__lte": at + CLOCK_AHEAD}


def remote_start_for(
    *, evse: EVSE, uid: str, type: str, charge_point_id: str = "", at: dt.datetime
) -> RemoteStart | None:
    """The one matcher of a START_SESSION: for this token (uid from `token_uid`) at this EVSE
    or its charge point (an OCPP remote start names the charge point, the EV may plug into
    another of its connectors), the newest within the window of `at`."""
    recent = RemoteStart.objects.filter(uid__iexact=uid, type=type, **_window(at))
    here = recent.filter(evse=evse)
    if charge_point_id:
        here = here | recent.filter(charge_point_id=charge_point_id)
    return here.order_by("-created_at", "-pk").first()


def decisions_for(*, evse: EVSE, uid: str, type: str, at: dt.datetime) -> list[Authorization]:
    """The one matcher of earlier decisions on this token (uid from `token_uid`) at this
    EVSE within the window of `at`, newest first (the transaction that follows a swipe)."""
    return list(
        Authorization.objects.filter(uid__iexact=uid, type=type, evse=evse, **_window(at)).order_by(
            "-created_at", "-pk"
        )[:10]
    )


def _ask_hub(decision: Authorization) -> None:
    platform = hub_platform()
    if platform is None:
        return _set(decision, Source.HUB, Reason.HUB_UNREACHABLE, message="no connected hub")
    client = OcpiClient(platform)
    evse = decision.evse
    location = evse.location
    url = f"{client.endpoint('tokens', 'SENDER').rstrip('/')}/{quote(decision.uid, safe='')}"
    outcome = client.send(
        "POST",
        url + "/authorize",
        params={"type": decision.type},
        # Gireve §3.6.2: one Location, and we name the one EVSE the badge was presented at.
        json={"location_id": location.ocpi_id, "evse_uids": [evse.uid]},
        from_operator=location.operator,
        module="tokens",
        object_id=decision.uid,
        timeout=settings.AUTHORIZE_TIMEOUT_SECONDS,
    )
    decision.hub_http_status, decision.hub_ocpi_status = outcome.http_status, outcome.ocpi_status
    decision.hub_latency_ms = outcome.duration_ms
    decision.hub_message = outcome.message[:1000]
    # mod_tokens: unknown token = HTTP 404 and/or OCPI 2004; never "hub down" (allow offline).
    if outcome.http_status == 404 or outcome.ocpi_status == UNKNOWN_TOKEN:
        return _set(decision, Source.HUB, Reason.UNKNOWN_TOKEN)
    if outcome.kind == "rejected":
        return _set(decision, Source.HUB, Reason.HUB_REJECTED)
    if outcome.kind != "success" or outcome.ocpi_status in HUB_UNREACHABLE_STATUSES:
        return _set(decision, Source.HUB, Reason.HUB_UNREACHABLE)
    problems = authorization_info_errors(outcome.data, "AuthorizationInfo")
    if problems:
        return _set(decision, Source.HUB, Reason.HUB_UNREACHABLE, message="; ".join(problems))
    _apply_info(decision, outcome.data)


def _apply_info(decision: Authorization, info: dict) -> None:
    decision.token = info["token"]
    # Gireve §3.8.5: a Gireve value, echoed exactly in the Session and CDR; never ours.
    decision.authorization_reference = info.get("authorization_reference") or ""
    decision.info = info.get("info")
    allowed = info["allowed"]
    if allowed != AllowedType.ALLOWED:
        return _set(decision, Source.HUB, allowed)
    location = info.get("location")
    if location and not _names_our_evse(location, decision.evse):
        # mod_tokens AuthorizationInfo.location: "Only the EVSEs the EV driver is allowed
        # to charge at are returned".
        return _set(decision, Source.HUB, Reason.EVSE_NOT_ALLOWED)
    _set(decision, Source.HUB, Reason.ALLOWED)


def _names_our_evse(location: dict, evse: EVSE) -> bool:
    if location["location_id"].upper() != evse.location.ocpi_id.upper():
        return False
    uids = [uid.upper() for uid in location.get("evse_uids") or []]
    return not uids or evse.uid.upper() in uids


@transaction.atomic
def record_authorization(*, authorization: Authorization) -> Authorization:
    """Store a decision made by `decide` (its EVSE was just read: not looked up again)."""
    authorization.full_clean(exclude=["evse"])
    authorization.save()
    return authorization
