"""What a session takes from the decision that let it start: its OCPI CdrToken and
AuthMethod (Gireve §3.6.1, §3.8.5: exactly what the hub returned).

Shared by the CSMS bridge (sessions.csms.transactions) and the self-test charge
(sessions.test_charge), so both read an Authorization the same way.
"""

from __future__ import annotations

from .enums import AuthMethod, AuthorizationSource
from .models import Token
from .session_ocpi import CDR_TOKEN_FIELDS

# OCPI 2.2.1 mod_cdrs AuthMethod by who decided (sessions.authorization): a local decision
# is WHITELIST ("no request to an eMSP has been performed").
AUTH_METHODS = {
    AuthorizationSource.HUB: AuthMethod.AUTH_REQUEST,
    AuthorizationSource.WHITELIST: AuthMethod.WHITELIST,
    AuthorizationSource.OFFLINE: AuthMethod.WHITELIST,
    AuthorizationSource.REMOTE_START: AuthMethod.COMMAND,
}


def cdr_token_of(token: dict, uid: str, type: str) -> dict | None:
    """OCPI CdrToken from the Token the hub gave, exactly; a field it left out is taken from
    the one Token its eMSP pushed us with that uid and type (same identity). None if still
    incomplete."""
    cdr_token = {name: token.get(name) for name in CDR_TOKEN_FIELDS}
    if not all(cdr_token.values()):
        cached = list(Token.objects.filter(uid__iexact=token.get("uid") or uid, type=type)[:2])
        if len(cached) == 1:
            for name in CDR_TOKEN_FIELDS:
                cdr_token[name] = cdr_token[name] or getattr(cached[0], name)
    return cdr_token if all(cdr_token.values()) else None
