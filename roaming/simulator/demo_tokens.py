"""Badges the hub simulator knows in the demo (`manage.py hub_simulator --demo-tokens`), swiped
by `manage.py csms_simulator`: one per authorize outcome. Any other uid is unknown (404/2004)."""

DEMO_AUTHORIZATIONS = {
    "04A23B1C5D6E7F": "ALLOWED",
    "04B1C2D3E4F501": "BLOCKED",
    "04C0FFEE000001": "EXPIRED",
    "1A2B3C4D": "NO_CREDIT",
}


def load_demo_tokens(hub) -> None:
    for uid, allowed in DEMO_AUTHORIZATIONS.items():
        hub.authorize_as(uid, allowed)
