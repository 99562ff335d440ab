"""OCPI 2.2.1 enumerations of mod_tokens / mod_sessions / mod_commands, spelled as the spec."""

from django.db import models


class TokenType(models.TextChoices):
    AD_HOC_USER = "AD_HOC_USER"
    APP_USER = "APP_USER"
    OTHER = "OTHER"
    RFID = "RFID"


class WhitelistType(models.TextChoices):
    ALWAYS = "ALWAYS"
    ALLOWED = "ALLOWED"
    ALLOWED_OFFLINE = "ALLOWED_OFFLINE"
    NEVER = "NEVER"


class ProfileType(models.TextChoices):
    CHEAP = "CHEAP"
    FAST = "FAST"
    GREEN = "GREEN"
    REGULAR = "REGULAR"


class CommandType(models.TextChoices):
    CANCEL_RESERVATION = "CANCEL_RESERVATION"
    RESERVE_NOW = "RESERVE_NOW"
    START_SESSION = "START_SESSION"
    STOP_SESSION = "STOP_SESSION"
    UNLOCK_CONNECTOR = "UNLOCK_CONNECTOR"


class AuthMethod(models.TextChoices):
    """OCPI 2.2.1 mod_cdrs AuthMethod."""

    AUTH_REQUEST = "AUTH_REQUEST"
    COMMAND = "COMMAND"
    WHITELIST = "WHITELIST"


class SessionStatus(models.TextChoices):
    """OCPI 2.2.1 mod_sessions SessionStatus (we never push PENDING or RESERVATION:
    Gireve §3.8.1, the first PUT is ACTIVE)."""

    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    INVALID = "INVALID"
    PENDING = "PENDING"
    RESERVATION = "RESERVATION"


class AllowedType(models.TextChoices):
    """OCPI 2.2.1 mod_tokens AllowedType: the eMSP's verdict in an AuthorizationInfo."""

    ALLOWED = "ALLOWED"
    BLOCKED = "BLOCKED"
    EXPIRED = "EXPIRED"
    NO_CREDIT = "NO_CREDIT"
    NOT_ALLOWED = "NOT_ALLOWED"


class AuthorizationSource(models.TextChoices):
    """Who decided: the hub in real time, or we, from what we hold."""

    HUB = "HUB", "hub (real-time authorize)"
    WHITELIST = "WHITELIST", "local: token whitelist ALWAYS"
    REMOTE_START = "REMOTE_START", "local: remote start in the last 15 minutes"
    OFFLINE = "OFFLINE", "local: hub unreachable, cached token"
    LOCAL = "LOCAL", "local: refused before asking the hub"


class AuthorizationReason(models.TextChoices):
    """Why a badge was accepted or refused (AllowedType values plus our own)."""

    ALLOWED = "ALLOWED"
    BLOCKED = "BLOCKED"
    EXPIRED = "EXPIRED"
    NO_CREDIT = "NO_CREDIT"
    NOT_ALLOWED = "NOT_ALLOWED"
    WHITELIST_ALWAYS = "WHITELIST_ALWAYS"
    REMOTE_START = "REMOTE_START"
    OFFLINE_WHITELIST = "OFFLINE_WHITELIST", "hub unreachable, cached token allowed offline"
    UNKNOWN_TOKEN = "UNKNOWN_TOKEN", "unknown token (HTTP 404 / OCPI 2004)"
    INVALID_UID = "INVALID_UID", "malformed id tag, never sent to the hub"
    EVSE_NOT_ALLOWED = "EVSE_NOT_ALLOWED", "allowed, but not at this EVSE"
    HUB_UNREACHABLE = "HUB_UNREACHABLE", "hub unreachable and no cached token allows it"
    HUB_REJECTED = "HUB_REJECTED", "hub refused the request (OCPI 2xxx)"
