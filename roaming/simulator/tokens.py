"""Tokens as the hub serves them to a CPO: the SENDER list (paginated, Gireve §2.1.9) and
real-time authorization (OCPI 2.2.1 mod_tokens POST {token_uid}/authorize, Gireve §3.6.2).

Authorize answers are set per token uid with `hub.authorize_as(uid, ...)`:
- an AllowedType (ALLOWED, BLOCKED, EXPIRED, NO_CREDIT, NOT_ALLOWED);
- UNKNOWN: mod_tokens "If the Token is not known, the response SHALL contain the status code
  2004: Unknown Token", with HTTP 404 (`unknown_http=404`, default) or 200;
- `delay` seconds before answering (a slow eMSP behind the hub: the CPO's timeout runs out).
A token in `hub.tokens` without a set answer is ALLOWED; any other uid is UNKNOWN. A token is
known by its uid and type together (mod_tokens Token.uid: "combined with the Token type"): a
uid listed only with another type than the request's `type` is UNKNOWN, whatever its answer.

`QUALIFICATION_TOKEN` plays the test badge Gireve gives a CPO for qualification: known
(ALLOWED) with --demo-tokens or --play-iop; with --play-iop its authorize starts play_iop.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from .server import envelope

Answer = tuple[int, dict, dict]
ALLOWED_TYPES = ("ALLOWED", "BLOCKED", "EXPIRED", "NO_CREDIT", "NOT_ALLOWED")
UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class Authorization:
    """How the hub answers an authorize request for one token uid."""

    allowed: str = "ALLOWED"  # an AllowedType, or UNKNOWN
    unknown_http: int = 404  # HTTP status of the 2004 answer for an UNKNOWN token
    delay: float = 0.0  # seconds to wait before answering
    info: dict | None = None  # DisplayText shown to the driver, if any

    def __post_init__(self):
        if self.allowed not in (*ALLOWED_TYPES, UNKNOWN):
            raise ValueError(f"allowed must be one of {ALLOWED_TYPES} or UNKNOWN")
        if self.unknown_http not in (200, 404):
            raise ValueError("unknown_http must be 200 or 404")


QUALIFICATION_TOKEN = {
    "country_code": "FR",
    "party_id": "QUA",
    "uid": "0A1B2C3D4E5F60",
    "type": "RFID",
    "contract_id": "FR-QUA-C00000001",
    "issuer": "Gireve qualification eMSP",
    "valid": True,
    "whitelist": "ALLOWED",
    "last_updated": "2026-01-01T00:00:00Z",
}


def load_qualification_token(hub) -> None:
    if not any(t.get("uid") == QUALIFICATION_TOKEN["uid"] for t in hub.tokens):
        hub.authorize_as(QUALIFICATION_TOKEN["uid"], "ALLOWED")
        hub.tokens.append(dict(QUALIFICATION_TOKEN))


def authorization_for(hub, uid: str, type: str = "RFID") -> Authorization:
    configured = hub.authorizations.get(uid)
    if isinstance(configured, str):  # hub.authorizations[uid] = "BLOCKED" also works
        configured = Authorization(allowed=configured)
    listed = [t for t in hub.tokens if t.get("uid") == uid]
    known = any(t.get("type", "RFID") == type for t in listed)
    if listed and not known:  # the eMSP has this uid, but as another type of token
        return Authorization(
            allowed=UNKNOWN, unknown_http=(configured or Authorization()).unknown_http
        )
    if configured is not None:
        return configured
    return Authorization(allowed="ALLOWED" if known else UNKNOWN)


def authorize(hub, uid: str, query: dict, body) -> Answer:
    # Gireve §3.6.2: LocationReferences are mandatory in POST authorize.
    if not isinstance(body, dict) or not body.get("location_id"):
        return 200, envelope(None, 2002, "LocationReferences required (§3.6.2)"), {}
    rule = authorization_for(hub, uid, _type(query))
    if rule.delay:
        time.sleep(rule.delay)
    with hub.lock:
        hub.authorize_requests.append({"uid": uid, "type": _type(query), "location": body})
    if rule.allowed == UNKNOWN:
        return rule.unknown_http, envelope(None, 2004, "Unknown token"), {}
    token = next(
        (t for t in hub.tokens if t.get("uid") == uid and t.get("type", "RFID") == _type(query)),
        None,
    )
    token = token or {"uid": uid, "type": _type(query)}
    info = {
        "allowed": rule.allowed,
        "token": token,
        "authorization_reference": secrets.token_hex(8),
    }
    if rule.info is not None:
        info["info"] = rule.info
    return 200, envelope(info), {}


def _type(query: dict) -> str:
    return query.get("type", ["RFID"])[0]


def tokens_page(hub, query: dict) -> Answer:
    offset = int(query.get("offset", ["0"])[0])
    limit = min(int(query.get("limit", ["1000"])[0]), 1000)  # Gireve §2.1.9: tokens 1000
    page = hub.tokens[offset : offset + limit]
    headers = {"X-Total-Count": str(len(hub.tokens)), "X-Limit": str(limit)}
    if offset + limit < len(hub.tokens):
        # An opaque cursor, as a hub may add: the client must follow Link verbatim.
        cursor = f"offset={offset + limit}&limit={limit}&cursor={secrets.token_hex(4)}"
        headers["Link"] = f'<{hub.url}/2.2.1/tokens?{cursor}>; rel="next"'
    return 200, envelope(page), headers
