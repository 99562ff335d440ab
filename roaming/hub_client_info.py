"""ClientInfo objects the hub pushes to us (OCPI 2.2.1 mod_hub_client_info), in and out."""

from django.db import transaction

from .enums import ConnectionStatus, Role
from .models import HubClientInfo, Platform
from .ocpi_serializers import DateTime, Enum, OcpiSerializer, String
from .ocpi_time import format_datetime


class ClientInfo(OcpiSerializer):
    object_name = "ClientInfo"
    party_id = String(3, ci=True, exact=True)
    country_code = String(2, ci=True, exact=True)
    role = Enum(Role)
    status = Enum(ConnectionStatus)
    last_updated = DateTime()


def client_info_errors(data) -> list[str]:
    return ClientInfo.problems(data)


@transaction.atomic
def store_client_info(*, platform: Platform, data: dict) -> tuple[HubClientInfo, bool]:
    """Create or replace the ClientInfo of one party role (the hub owns these objects);
    `data` is a validated ClientInfo. Says whether it was created."""
    info, created = HubClientInfo.objects.update_or_create(
        platform=platform,
        country_code=data["country_code"].upper(),
        party_id=data["party_id"].upper(),
        role=data["role"],
        defaults={"status": data["status"], "last_updated": data["last_updated"]},
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
