"""OCPI 2.2.1 Tokens, commands and charging preferences in and out (mod_tokens, mod_commands,
mod_sessions), read with the serializers of roaming.api."""

from rest_framework.exceptions import ValidationError

from roaming.ocpi_serializers import (
    Boolean,
    DateTime,
    Embedded,
    Enum,
    Number,
    OcpiSerializer,
    String,
    Url,
)
from roaming.ocpi_time import format_datetime

from .enums import ProfileType, TokenType, WhitelistType
from .models import Token

IDENTITY = ("country_code", "party_id", "uid", "type")


class EnergyContract(OcpiSerializer):
    object_name = "EnergyContract"
    supplier_name = String(64)
    contract_id = String(64, required=False)


class TokenIn(OcpiSerializer):
    """mod_tokens §Token object; with partial=True a PATCH (last_updated still required)."""

    object_name = "Token"
    country_code = String(2, ci=True, exact=True)
    party_id = String(3, ci=True, exact=True)
    uid = String(36, ci=True)
    type = Enum(TokenType)
    contract_id = String(36, ci=True)
    visual_number = String(64, required=False)
    issuer = String(64)
    group_id = String(36, ci=True, required=False)
    valid = Boolean()
    whitelist = Enum(WhitelistType)
    language = String(2, required=False)
    default_profile_type = Enum(ProfileType, required=False)
    energy_contract = EnergyContract(required=False, allow_null=True)
    last_updated = DateTime()

    def validate(self, attrs: dict) -> dict:
        if "last_updated" not in attrs:  # mod_tokens §PATCH: "last_updated is required"
            raise ValidationError({"last_updated": "required"})
        return attrs


def token_errors(data, *, partial: bool) -> list[str]:
    return TokenIn.problems(data, partial=partial)


def token_fields(data: dict) -> dict:
    """Model field values from a validated Token (null optional strings become '')."""
    return {
        name: "" if value is None and name != "energy_contract" else value
        for name, value in data.items()
    }


def token_to_ocpi(token: Token) -> dict:
    obj = {
        "country_code": token.country_code,
        "party_id": token.party_id,
        "uid": token.uid,
        "type": token.type,
        "contract_id": token.contract_id,
        "issuer": token.issuer,
        "valid": token.valid,
        "whitelist": token.whitelist,
        "last_updated": format_datetime(token.last_updated),
    }
    for name in ("visual_number", "group_id", "language", "default_profile_type"):
        if getattr(token, name):
            obj[name] = getattr(token, name)
    if token.energy_contract:
        obj["energy_contract"] = token.energy_contract
    return obj


# mod_commands §Object description: one request object per CommandType.
class CancelReservation(OcpiSerializer):
    object_name = "CancelReservation"
    response_url = Url()
    reservation_id = String(36, ci=True)


class ReserveNow(OcpiSerializer):
    object_name = "ReserveNow"
    response_url = Url()
    token = Embedded(TokenIn)
    expiry_date = DateTime()
    reservation_id = String(36, ci=True)
    location_id = String(36, ci=True)
    evse_uid = String(36, ci=True, required=False)
    authorization_reference = String(36, ci=True, required=False)


class StartSession(OcpiSerializer):
    object_name = "StartSession"
    response_url = Url()
    token = Embedded(TokenIn)
    location_id = String(36, ci=True)
    evse_uid = String(36, ci=True, required=False)
    connector_id = String(36, ci=True, required=False)
    authorization_reference = String(36, ci=True, required=False)


class StopSession(OcpiSerializer):
    object_name = "StopSession"
    response_url = Url()
    session_id = String(36, ci=True)


class UnlockConnector(OcpiSerializer):
    object_name = "UnlockConnector"
    response_url = Url()
    location_id = String(36, ci=True)
    evse_uid = String(36, ci=True)
    connector_id = String(36, ci=True)


COMMANDS: dict[str, type[OcpiSerializer]] = {
    "CANCEL_RESERVATION": CancelReservation,
    "RESERVE_NOW": ReserveNow,
    "START_SESSION": StartSession,
    "STOP_SESSION": StopSession,
    "UNLOCK_CONNECTOR": UnlockConnector,
}


def command_errors(command: str, data) -> list[str]:
    return COMMANDS[command].problems(data)


class ChargingPreferences(OcpiSerializer):
    """mod_sessions §ChargingPreferences object."""

    object_name = "ChargingPreferences"
    profile_type = Enum(ProfileType)
    departure_time = DateTime(required=False)
    energy_need = Number(minimum=0, required=False)
    discharge_allowed = Boolean(required=False)
