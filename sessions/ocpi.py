"""OCPI 2.2.1 Token JSON in and out (mod_tokens §Token object)."""

from roaming.api.datetimes import parse_inbound_datetime
from roaming.ocpi_time import format_datetime, parse_datetime

from .enums import ProfileType, TokenType, WhitelistType
from .models import Token


def _string(max_length: int):
    def check(value):
        if not isinstance(value, str):
            return "must be a string"
        if len(value) > max_length:
            return f"must be at most {max_length} characters"
        return None

    return check


def _choice(enum):
    def check(value):
        return None if value in enum.values else f"must be one of {', '.join(enum.values)}"

    return check


def _boolean(value):
    return None if isinstance(value, bool) else "must be a boolean"


def _energy_contract(value):
    if not isinstance(value, dict) or not isinstance(value.get("supplier_name"), str):
        return "must be an EnergyContract object with supplier_name"
    if len(value["supplier_name"]) > 64 or len(str(value.get("contract_id", ""))) > 64:
        return "strings must be at most 64 characters"
    if set(value) - {"supplier_name", "contract_id"}:
        return "has unknown fields"
    return None


def _datetime(value):
    try:
        parse_inbound_datetime(value)
    except ValueError as error:
        return str(error)
    return None


# field -> (check, required)
FIELDS = {
    "country_code": (_string(2), True),
    "party_id": (_string(3), True),
    "uid": (_string(36), True),
    "type": (_choice(TokenType), True),
    "contract_id": (_string(36), True),
    "visual_number": (_string(64), False),
    "issuer": (_string(64), True),
    "group_id": (_string(36), False),
    "valid": (_boolean, True),
    "whitelist": (_choice(WhitelistType), True),
    "language": (_string(2), False),
    "default_profile_type": (_choice(ProfileType), False),
    "energy_contract": (_energy_contract, False),
    "last_updated": (_datetime, True),
}
IDENTITY = ("country_code", "party_id", "uid", "type")


def token_errors(data, *, partial: bool) -> list[str]:
    """Every problem of a Token body; PATCH (partial) still requires last_updated."""
    if not isinstance(data, dict):
        return ["body must be a JSON object"]
    errors = [f"{name}: unknown field" for name in data if name not in FIELDS]
    for name, (check, required) in FIELDS.items():
        if name not in data or data[name] is None:
            # PATCH leaves absent fields unchanged, but a required field cannot become null.
            if (required and (not partial or name in data)) or name == "last_updated":
                errors.append(f"{name}: required")
            continue
        problem = check(data[name])
        if problem:
            errors.append(f"{name}: {problem}")
    return errors


def token_fields(data: dict) -> dict:
    """Model field values from a validated Token body (absent optional strings become '')."""
    fields = {}
    for name in FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name == "last_updated":
            value = parse_datetime(value)
        elif value is None and name != "energy_contract":
            value = ""
        fields[name] = value
    return fields


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


def _url(value):
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        return "must be an http(s) URL"
    return None if len(value) <= 255 else "must be at most 255 characters"


def _token(value):
    errors = token_errors(value, partial=False)
    return f"must be a Token object ({'; '.join(errors)})" if errors else None


def _number(value):
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return None if ok else "must be a number"


# mod_commands §Object description: field -> (check, required), per CommandType.
COMMAND_FIELDS = {
    "CANCEL_RESERVATION": {"response_url": (_url, True), "reservation_id": (_string(36), True)},
    "RESERVE_NOW": {
        "response_url": (_url, True),
        "token": (_token, True),
        "expiry_date": (_datetime, True),
        "reservation_id": (_string(36), True),
        "location_id": (_string(36), True),
        "evse_uid": (_string(36), False),
        "authorization_reference": (_string(36), False),
    },
    "START_SESSION": {
        "response_url": (_url, True),
        "token": (_token, True),
        "location_id": (_string(36), True),
        "evse_uid": (_string(36), False),
        "connector_id": (_string(36), False),
        "authorization_reference": (_string(36), False),
    },
    "STOP_SESSION": {"response_url": (_url, True), "session_id": (_string(36), True)},
    "UNLOCK_CONNECTOR": {
        "response_url": (_url, True),
        "location_id": (_string(36), True),
        "evse_uid": (_string(36), True),
        "connector_id": (_string(36), True),
    },
}

# mod_sessions §ChargingPreferences object.
CHARGING_PREFERENCES_FIELDS = {
    "profile_type": (_choice(ProfileType), True),
    "departure_time": (_datetime, False),
    "energy_need": (_number, False),
    "discharge_allowed": (_boolean, False),
}


def _object_errors(data, fields: dict, what: str) -> list[str]:
    """Every problem of a request body against a field table; unknown fields are tolerated."""
    if not isinstance(data, dict):
        return [f"body must be a {what} object"]
    errors = []
    for name, (check, required) in fields.items():
        if data.get(name) is None:
            if required:
                errors.append(f"{name}: required")
            continue
        problem = check(data[name])
        if problem:
            errors.append(f"{name}: {problem}")
    return errors


def command_errors(command: str, data) -> list[str]:
    return _object_errors(data, COMMAND_FIELDS[command], command)


def charging_preferences_errors(data) -> list[str]:
    return _object_errors(data, CHARGING_PREFERENCES_FIELDS, "ChargingPreferences")
