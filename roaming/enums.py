"""OCPI 2.2.1 enumerations of the connection layer, values spelled as the spec."""

from django.db import models


class Role(models.TextChoices):
    CPO = "CPO"
    EMSP = "EMSP"
    HUB = "HUB"
    NAP = "NAP"
    NSP = "NSP"
    OTHER = "OTHER"
    SCSP = "SCSP"


class InterfaceRole(models.TextChoices):
    SENDER = "SENDER"
    RECEIVER = "RECEIVER"


class ModuleID(models.TextChoices):
    CDRS = "cdrs"
    CHARGING_PROFILES = "chargingprofiles"
    COMMANDS = "commands"
    CREDENTIALS = "credentials"
    HUB_CLIENT_INFO = "hubclientinfo"
    LOCATIONS = "locations"
    SESSIONS = "sessions"
    TARIFFS = "tariffs"
    TOKENS = "tokens"


class ConnectionStatus(models.TextChoices):
    """mod_hub_client_info ConnectionStatus."""

    CONNECTED = "CONNECTED"
    OFFLINE = "OFFLINE"
    PLANNED = "PLANNED"
    SUSPENDED = "SUSPENDED"


# mod_locations ImageCategory: Image is shared by operators (logo), locations and tariffs.
ImageCategory = models.TextChoices(
    "ImageCategory",
    [(v, v) for v in ["CHARGER", "ENTRANCE", "LOCATION", "NETWORK", "OPERATOR", "OTHER", "OWNER"]],
)
