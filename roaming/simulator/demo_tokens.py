"""Badges the hub simulator knows in the demo (`manage.py hub_simulator --demo-tokens`), swiped
by `manage.py csms_simulator`: one per authorize outcome, and the eMAID of a Plug & Charge
contract (the simulator's PnC car), known as type OTHER (docs/csms-bridge.md: how the bridge
sends an eMAID). Any other uid, or a uid asked as another type, is unknown (404/2004).

Each is also a whole OCPI Token of a demo eMSP (FR*DEM) in the hub's tokens list, so the
AuthorizationInfo carries the full token, as IOP's does (mod_tokens: `token` is a Token), and
a session started with it has its CdrToken. The qualification badge comes along
(tokens.QUALIFICATION_TOKEN)."""

from .tokens import load_qualification_token

DEMO_AUTHORIZATIONS = {
    "04A23B1C5D6E7F": "ALLOWED",
    "04B1C2D3E4F501": "BLOCKED",
    "04C0FFEE000001": "EXPIRED",
    "1A2B3C4D": "NO_CREDIT",
    "FRDEMC00000005": "ALLOWED",  # Plug & Charge: eMAID FR-DEM-C00000005
}
# Token types other than RFID (the demo eMAID's, as the bridge sends it).
DEMO_TOKEN_TYPES = {"FRDEMC00000005": "OTHER"}


def demo_token(uid: str, number: int) -> dict:
    return {
        "country_code": "FR",
        "party_id": "DEM",
        "uid": uid,
        "type": DEMO_TOKEN_TYPES.get(uid, "RFID"),
        "contract_id": f"FR-DEM-C{number:08d}",
        "issuer": "Demo eMSP",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2026-01-01T00:00:00Z",
    }


def load_demo_tokens(hub) -> None:
    for number, (uid, allowed) in enumerate(DEMO_AUTHORIZATIONS.items(), start=1):
        hub.authorize_as(uid, allowed)
        hub.tokens.append(demo_token(uid, number))
    load_qualification_token(hub)
