"""Real-time authorization of a badge presented at one of our EVSEs (OCPI 2.2.1 mod_tokens,
Gireve §3.6; rules in docs/csms-bridge.md and roaming-workflow.md §1).

Decision path, first match wins:
1. RFID uid normalised (Gireve §2.3.3); an OCPP 2.0.1 IdToken mapped to its OCPI TokenType
   (`ocpp_id_token`: an eMAID as ISO 15118 writes it); a malformed id tag or a type that
   cannot roam is refused here, never sent to IOP.
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
import re
import time
from urllib.parse import quote

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from locations.models import EVSE
from roaming import ocpi_checks as checks
from roaming import platforms, rows
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
    found = _hub_and_endpoints()
    return found[0] if found else None


def _hub_and_endpoints() -> tuple[Platform, dict] | None:
    found = platforms.connected_with("tokens", InterfaceRole.SENDER)
    return found[0] if found else None


def decide(
    *,
    evse: EVSE,
    id_tag: str,
    type: str = TokenType.RFID,
    reader_format: str = "HEX",
    charge_point_id: str = "",
    id_token_type: str | None = None,
) -> Authorization:
    """The decision on one badge at `evse`, unsaved; asks the hub when it must. With
    `id_token_type` (OCPP 2.0.1 IdTokenEnumType) the OCPI `type` is the one it maps to."""
    started = time.monotonic()
    if id_token_type is not None:
        type = ID_TOKEN_TYPES.get(id_token_type) or TokenType.OTHER
    decision = Authorization(
        evse=evse, charge_point_id=charge_point_id, id_tag=id_tag[:64], type=type
    )
    _decide(decision, reader_format, id_token_type)
    decision.latency_ms = int((time.monotonic() - started) * 1000)
    metrics.count_decision(decision)
    return decision


def _decide(decision: Authorization, reader_format: str, id_token_type: str | None) -> None:
    try:
        if id_token_type is None:
            decision.uid = token_uid(decision.id_tag, decision.type, reader_format)
        else:
            decision.uid = ocpp_id_token(decision.id_tag, id_token_type, reader_format)[0]
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


# OCPP 2.0.1 IdTokenEnumType → OCPI 2.2.1 TokenType (docs/csms-bridge.md "Plug & Charge and
# OCPP 2.0.1 id tokens"). OCPI 2.2.1's TokenType has no eMAID (2.3.0 adds EMAID): an eMAID is
# neither an RFID hidden ID nor "generated by a server (or App.) to identify a user of an
# App" (APP_USER), so OTHER, "Other type of token".
ID_TOKEN_TYPES = {
    "ISO14443": TokenType.RFID,
    "ISO15693": TokenType.RFID,
    "eMAID": TokenType.OTHER,
    "Central": TokenType.APP_USER,
    "KeyCode": None,
    "Local": None,
    "MacAddress": None,
    "NoAuthorization": None,
}
# Why the others never reach the hub: no eMSP issued them, so no eMSP can authorize them.
REFUSED_ID_TOKEN_TYPES = {
    "KeyCode": "a code keyed in at the charge point is not a token an eMSP issued",
    "Local": "a token only the charge point or CSMS knows is not a token an eMSP issued",
    "MacAddress": "the EV's MAC address names a car, not an eMSP contract (no OCPI "
    "TokenType for it)",
    "NoAuthorization": "no identification was presented (a free-vend start needs no authorize)",
}
# ISO 15118-2 Annex H eMAID: country code (2 letters), provider id (3 alphanumerics), eMA
# instance (9 alphanumerics), an optional check digit, optionally separated by "-".
EMAID = re.compile(
    r"(?P<country>[A-Z]{2})-?(?P<provider>[A-Z0-9]{3})-?(?P<instance>[A-Z0-9]{9})"
    r"(?:-?(?P<check>[A-Z0-9]))?"
)


def normalise_emaid(raw: str) -> str:
    """The eMAID as ISO 15118 writes it, without separators, uppercase (14 characters, 15
    with its check digit): "fr-abc-c12345678-9" -> "FRABCC123456789". Raises BadUid.
    The check digit is kept as given, not verified."""
    text = (raw or "").strip().upper()
    if not text:
        raise BadUid("empty eMAID")
    match = EMAID.fullmatch(text)
    if match is None:
        raise BadUid(
            f"eMAID {raw!r} is not country code (2 letters), provider id (3), eMA instance "
            "(9 letters or digits) and an optional check digit (ISO 15118-2 Annex H)"
        )
    return "".join(part for part in match.groups() if part)


def ocpp_id_token(id_token: str, id_token_type: str, reader_format: str = "HEX") -> tuple[str, str]:
    """An OCPP 2.0.1 IdToken as (uid, OCPI TokenType): ISO 14443 / 15693 by the RFID rules
    (`token_uid`), an eMAID normalised, Central as an APP_USER uid. Raises BadUid for a
    malformed one and for the types that cannot roam (REFUSED_ID_TOKEN_TYPES)."""
    if id_token_type not in ID_TOKEN_TYPES:
        raise BadUid(f"unknown OCPP 2.0.1 id token type {id_token_type!r}")
    type = ID_TOKEN_TYPES[id_token_type]
    if type is None:
        raise BadUid(
            f"{id_token_type}: {REFUSED_ID_TOKEN_TYPES[id_token_type]}; not sent to the hub"
        )
    if id_token_type == "eMAID":
        return normalise_emaid(id_token), type
    try:
        return token_uid(id_token, type, reader_format), type
    except BadUid as exc:
        raise BadUid(f"{id_token_type}: {exc}") from exc


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


_REMOTE_START_SQL = f"""
SELECT {rows.columns(RemoteStart, "r")} FROM {RemoteStart._meta.db_table} r
WHERE UPPER(r.uid) = UPPER(%(uid)s) AND r.type = %(type)s
  AND r.created_at >= %(since)s AND r.created_at <= %(until)s
  AND (r.evse_id = %(evse)s OR (%(charge_point)s <> '' AND r.charge_point_id = %(charge_point)s))
ORDER BY r.created_at DESC, r.id DESC LIMIT 1
"""


def remote_start_for(
    *, evse: EVSE, uid: str, type: str, charge_point_id: str = "", at: dt.datetime
) -> RemoteStart | None:
    """The one matcher of a START_SESSION: for this token (uid from `token_uid`) at this EVSE
    or its charge point (an OCPP remote start names the charge point, the EV may plug into
    another of its connectors), the newest within the window of `at`. Asked by every badge:
    its SQL is written once (roaming.rows, issue 21)."""
    window = _window(at)
    params = {
        "uid": uid,
        "type": type,
        "since": window["created_at__gte"],
        "until": window["created_at__lte"],
        "evse": evse.pk,
        "charge_point": charge_point_id or "",
    }
    with connection.cursor() as cursor:
        cursor.execute(_REMOTE_START_SQL, params)
        row = cursor.fetchone()
    return rows.instance(RemoteStart, row) if row else None


def decisions_for(*, evse: EVSE, uid: str, type: str, at: dt.datetime) -> list[Authorization]:
    """The one matcher of earlier decisions on this token (uid from `token_uid`) at this
    EVSE within the window of `at`, newest first (the transaction that follows a swipe)."""
    return list(
        Authorization.objects.filter(uid__iexact=uid, type=type, evse=evse, **_window(at)).order_by(
            "-created_at", "-pk"
        )[:10]
    )


def _ask_hub(decision: Authorization) -> None:
    found = _hub_and_endpoints()
    if found is None:
        return _set(decision, Source.HUB, Reason.HUB_UNREACHABLE, message="no connected hub")
    client = OcpiClient(found[0], endpoints=found[1])
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
