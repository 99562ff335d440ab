"""Receiver interfaces for eMSP data: tokens, commands, charging preferences (OCPI 2.2.1)."""

from roaming.api import OcpiError, OcpiView, ocpi_response, paginated_response
from roaming.api.base import INVALID_PARAMETERS, UNKNOWN_TOKEN, party_roles

from .enums import CommandType, TokenType
from .ocpi import IDENTITY, token_errors, token_to_ocpi
from .services import find_token, patch_token, put_token

# mod_commands: the CPO answers at once; the real result would follow on response_url.
COMMAND_TIMEOUT_SECONDS = 30


def _invalid(errors: list[str]) -> OcpiError:
    return OcpiError(INVALID_PARAMETERS, "Invalid Token: " + "; ".join(errors))


class TokensView(OcpiView):
    """OCPI 2.2.1 mod_tokens §Receiver Interface: /tokens/{country_code}/{party_id}/{uid}."""

    module = "tokens"

    def identity(self, request, country_code, party_id, uid) -> dict:
        if (country_code.upper(), party_id.upper()) not in party_roles(request.ocpi_platform):
            raise OcpiError(
                INVALID_PARAMETERS, "country_code/party_id is not a party behind this platform"
            )
        token_type = request.GET.get("type") or TokenType.RFID
        if token_type not in TokenType.values:
            raise OcpiError(
                INVALID_PARAMETERS, f"type must be one of {', '.join(TokenType.values)}"
            )
        return {"country_code": country_code, "party_id": party_id, "uid": uid, "type": token_type}

    def existing(self, identity: dict):
        token = find_token(**identity)
        if token is None:
            raise OcpiError(UNKNOWN_TOKEN, "Unknown token", http_status=404)
        return token

    def get(self, request, country_code, party_id, uid):
        return ocpi_response(
            token_to_ocpi(self.existing(self.identity(request, country_code, party_id, uid)))
        )

    def put(self, request, country_code, party_id, uid):
        identity = self.identity(request, country_code, party_id, uid)
        data = request.ocpi_json
        errors = token_errors(data, partial=False)
        if errors:
            raise _invalid(errors)
        mismatched = [
            name for name in IDENTITY if str(data[name]).upper() != str(identity[name]).upper()
        ]
        if mismatched:
            raise _invalid([f"{name}: does not match the URL" for name in mismatched])
        put_token(platform=request.ocpi_platform, data=data)
        return ocpi_response()

    def patch(self, request, country_code, party_id, uid):
        token = self.existing(self.identity(request, country_code, party_id, uid))
        data = request.ocpi_json
        errors = token_errors(data, partial=True)
        if errors:
            raise _invalid(errors)
        changed = [
            name
            for name in IDENTITY
            if name in data and str(data[name]).upper() != str(getattr(token, name)).upper()
        ]
        if changed:
            raise _invalid([f"{name}: cannot be changed by PATCH" for name in changed])
        patch_token(token=token, data=data)
        return ocpi_response()


class CommandsView(OcpiView):
    """OCPI 2.2.1 mod_commands §Receiver Interface: we support no command yet."""

    module = "commands"

    def post(self, request, command):
        if command not in CommandType.values:
            raise OcpiError(INVALID_PARAMETERS, f"Unknown command {command!r}", http_status=404)
        if not isinstance(request.ocpi_json, dict) or not isinstance(
            request.ocpi_json.get("response_url"), str
        ):
            raise OcpiError(INVALID_PARAMETERS, "Command body must be an object with response_url")
        return ocpi_response({"result": "NOT_SUPPORTED", "timeout": COMMAND_TIMEOUT_SECONDS})


class ChargingPreferencesView(OcpiView):
    """OCPI 2.2.1 mod_sessions §Set Charging Preferences: smart charging is not offered."""

    module = "sessions"

    def put(self, request, session_id):
        if not isinstance(request.ocpi_json, dict) or "profile_type" not in request.ocpi_json:
            raise OcpiError(
                INVALID_PARAMETERS, "ChargingPreferences must be an object with profile_type"
            )
        # ChargingPreferencesResponse has no NOT_SUPPORTED value; NOT_POSSIBLE is the closest.
        return ocpi_response("NOT_POSSIBLE")


class SessionsView(OcpiView):
    """OCPI 2.2.1 mod_sessions §Sender Interface: no charging session is recorded yet."""

    module = "sessions"
    # Sessions are filled in by the sessions issue; until then the list is honestly empty.
    sessions: tuple = ()

    def get(self, request):
        return paginated_response(request, list(self.sessions), dict, module=self.module)


class CdrsView(SessionsView):
    """OCPI 2.2.1 mod_cdrs §Sender Interface: no CDR is recorded yet."""

    module = "cdrs"
