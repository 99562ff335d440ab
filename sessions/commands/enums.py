"""OCPI 2.2.1 mod_commands enumerations, spelled as the spec, and our own words for a command."""

from django.db import models


class CommandResponseType(models.TextChoices):
    """What we answer at once (mod_commands CommandResponseType)."""

    ACCEPTED = "ACCEPTED"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    UNKNOWN_SESSION = "UNKNOWN_SESSION"


class CommandResultType(models.TextChoices):
    """What the charge point did, posted to the response_url (mod_commands CommandResultType)."""

    ACCEPTED = "ACCEPTED"
    CANCELED_RESERVATION = "CANCELED_RESERVATION"
    EVSE_OCCUPIED = "EVSE_OCCUPIED"
    EVSE_INOPERATIVE = "EVSE_INOPERATIVE"
    FAILED = "FAILED"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    TIMEOUT = "TIMEOUT"
    UNKNOWN_RESERVATION = "UNKNOWN_RESERVATION"


# What a CSMS may report for a command (roaming-workflow §7 E6); TIMEOUT is ours to decide.
CSMS_RESULTS = (
    CommandResultType.ACCEPTED,
    CommandResultType.REJECTED,
    CommandResultType.EVSE_OCCUPIED,
    CommandResultType.EVSE_INOPERATIVE,
    CommandResultType.FAILED,
    CommandResultType.NOT_SUPPORTED,
)


class CommandState(models.TextChoices):
    ANSWERED = "ANSWERED", "answered: no result follows"
    WAITING = "WAITING", "accepted: waiting for the charge point"
    RESULT = "RESULT", "result known: posting it to the eMSP"
    DELIVERED = "DELIVERED", "result delivered"
    UNDELIVERED = "UNDELIVERED", "result not delivered before the timeout"


class ResultSource(models.TextChoices):
    CSMS = "CSMS", "reported by the CSMS"
    CSMS_REFUSED = "CSMS_REFUSED", "the CSMS refused the command"
    PLATFORM = "PLATFORM", "decided by us (EVSE occupied or inoperative)"
    TIMEOUT = "TIMEOUT", "no answer before our deadline"
