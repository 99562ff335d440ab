"""Receiver interfaces for eMSP data (tokens, charging preferences) and our sessions and CDRs
senders (OCPI 2.2.1); commands are in sessions.commands.views."""

from rest_framework.response import Response

from roaming.api import OcpiAPIView, OcpiError, invalid
from roaming.api.access import party_behind
from roaming.api.errors import INVALID_PARAMETERS, UNKNOWN_TOKEN

from .enums import TokenType
from .ocpi import IDENTITY, ChargingPreferences, TokenIn, token_to_ocpi
from .selectors import cdrs_ocpi, sender_cdrs, sender_sessions
from .services import find_token, patch_token, put_token
from .session_ocpi import session_to_ocpi


class TokensView(OcpiAPIView):
    """OCPI 2.2.1 mod_tokens §Receiver Interface: /tokens/{country_code}/{party_id}/{uid}."""

    module = "tokens"
    request_bodies = {"put": TokenIn, "patch": TokenIn}
    # mod_tokens §Receiver Interface: ?type= names the token type (default RFID); stated in
    # the OpenAPI schema (roaming.openapi).
    query_parameters = {"type": {"type": "string", "enum": TokenType.values, "default": "RFID"}}

    def identity(self, request, country_code, party_id, uid) -> dict:
        # transport_and_format §Client Owned Object Push: the URL names the owner (the eMSP);
        # §Errors: another party's objects may be answered with HTTP 404.
        if not party_behind(request.user, country_code, party_id):
            message = "country_code/party_id is not a party behind this platform"
            raise OcpiError(INVALID_PARAMETERS, message, http_status=404)
        token_type = request.query_params.get("type") or TokenType.RFID
        if token_type not in TokenType.values:
            raise invalid(f"type must be one of {', '.join(TokenType.values)}")
        return {"country_code": country_code, "party_id": party_id, "uid": uid, "type": token_type}

    def existing(self, identity: dict):
        token = find_token(**identity)
        if token is None:
            raise OcpiError(UNKNOWN_TOKEN, "Unknown token", http_status=404)
        return token

    def get(self, request, country_code, party_id, uid):
        token = self.existing(self.identity(request, country_code, party_id, uid))
        return Response(token_to_ocpi(token))

    def put(self, request, country_code, party_id, uid):
        identity = self.identity(request, country_code, party_id, uid)
        data = TokenIn.read(request.data)
        mismatched = [name for name in IDENTITY if data[name].upper() != identity[name].upper()]
        if mismatched:
            problems = "; ".join(f"{name}: does not match the URL" for name in mismatched)
            raise invalid(f"Invalid Token: {problems}")
        _, created = put_token(platform=request.user, data=data)
        # status_codes: 201 when the object was newly created, 200 when it was updated.
        return Response(status=201 if created else 200)

    def patch(self, request, country_code, party_id, uid):
        token = self.existing(self.identity(request, country_code, party_id, uid))
        data = TokenIn.read(request.data, partial=True)
        changed = [
            name
            for name in IDENTITY
            if name in data and str(data[name]).upper() != str(getattr(token, name)).upper()
        ]
        if changed:
            problems = "; ".join(f"{name}: cannot be changed by PATCH" for name in changed)
            raise invalid(f"Invalid Token: {problems}")
        patch_token(token=token, data=data)
        return Response()


class ChargingPreferencesView(OcpiAPIView):
    """OCPI 2.2.1 mod_sessions §Set Charging Preferences: smart charging is not offered."""

    module = "sessions"
    request_bodies = {"put": ChargingPreferences}

    def put(self, request, session_id):
        ChargingPreferences.read(request.data)
        # mod_sessions §ChargingPreferencesResponse: for an EVSE without the capability
        # CHARGING_PREFERENCES_CAPABLE (none of ours has it) answer HTTP 404 with OCPI 2001.
        raise OcpiError(
            INVALID_PARAMETERS,
            f"Charging preferences not supported for session {session_id}: "
            "no EVSE of ours is CHARGING_PREFERENCES_CAPABLE",
            http_status=404,
        )


def requesting_emsp(request) -> tuple[str, str] | None:
    """The eMSP asking (OCPI-from-*), or None when the hub itself asks (its own HUB role):
    an eMSP sees the sessions and CDRs of its own tokens only, the hub every one it was
    sent (Gireve §2.1.5: the hub pulls for the parties behind it)."""
    from_cc, from_pid = request.ocpi_from
    roles = request.user.roles if isinstance(request.user.roles, list) else []
    for role in roles:
        if (
            isinstance(role, dict)
            and role.get("role") == "HUB"
            and str(role.get("country_code")).upper() == from_cc
            and str(role.get("party_id")).upper() == from_pid
        ):
            return None
    return from_cc, from_pid


class SessionsView(OcpiAPIView):
    """OCPI 2.2.1 mod_sessions §Sender Interface (GET list, Gireve "Pull Sessions")."""

    module = "sessions"

    def get(self, request):
        # mod_sessions §GET Request Parameters: date_from is required on this endpoint
        # (unlike the other modules' lists); a missing one is a 2001 naming it.
        if not request.query_params.get("date_from"):
            raise invalid(
                "date_from is required: only Sessions with last_updated on or after it "
                "are returned (OCPI 2.2.1 mod_sessions GET)"
            )
        sessions = sender_sessions(request.ocpi_to_operator, requesting_emsp(request))
        return self.paginated(sessions, session_to_ocpi)


class CdrsView(OcpiAPIView):
    """OCPI 2.2.1 mod_cdrs §Sender Interface (GET list; Gireve pages by 20, §2.1.9): the
    CDRs as they were POSTed, credit and re-bill CDRs included."""

    module = "cdrs"

    def get(self, request):
        cdrs = sender_cdrs(request.ocpi_to_operator, requesting_emsp(request))
        return self.paginated(cdrs, page_to_ocpi=cdrs_ocpi)
