"""ClientInfo objects the hub pushes to us (OCPI 2.2.1 mod_hub_client_info), in and out."""

from django.db import transaction

from .api.datetimes import parse_inbound_datetime
from .enums import ConnectionStatus, Role
from .models import HubClientInfo, Platform
from .ocpi_time import format_datetime, parse_datetime

FIELDS = ("party_id", "country_code", "role", "status", "last_updated")


def client_info_errors(data) -> list[str]:
    if not isinstance(data, dict):
        return ["body must be a ClientInfo object"]
    errors = [f"{name}: unknown field" for name in data if name not in FIELDS]
    errors += [f"{name}: required" for name in FIELDS if data.get(name) is None]
    for name, length in (("country_code", 2), ("party_id", 3)):
        if name in data and (not isinstance(data[name], str) or len(data[name]) != length):
            errors.append(f"{name}: must be a string of {length} characters")
    if "role" in data and data["role"] not in Role.values:
        errors.append(f"role: must be one of {', '.join(Role.values)}")
    if "status" in data and data["status"] not in ConnectionStatus.values:
        errors.append(f"status: must be one of {', '.join(ConnectionStatus.values)}")
    if data.get("last_updated") is not None:
        try:
            parse_inbound_datetime(data["last_updated"])
        except ValueError as error:
            errors.append(f"last_updated: {error}")
    return errors


@transaction.atomic
def store_client_info(*, platform: Platform, data: dict) -> tuple[HubClientInfo, bool]:
    """Create or replace the ClientInfo of one party role (the hub owns these objects);
    says whether it was created."""
    info, created = HubClientInfo.objects.update_or_create(
        platform=platform,
        country_code=data["country_code"].upper(),
        party_id=data["party_id"].upper(),
        role=data["role"],
        defaults={"status": data["status"], "last_updated": parse_datetime(data["last_updated"])},
    )
    return info, created


def client_info_to_ocpi(info: HubClientInfo) -> dict:
    return {
        "party_id": info.party_id,
        "country_code": info.country_code,
        "role": info.role,
        "status": info.status,
        "last_updated": format_datetime(info.last_updated),
    }
