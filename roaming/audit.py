"""The audit trail: who changed what, when, and on which objects, outside ordinary form saves.

Rule (developers' guide): every staff action — admin action, custom admin view, management
command changing state — leaves an audit entry. Entries are Django `LogEntry` rows, one per
object, so each object's admin History shows them; `AuditEntry` lists them all (read-only).
Commands have no logged-in user: they are recorded under the inactive user `commands`,
with "command:<name>" and the OS user in the message. Failed logins and lockouts have no
user either (the name typed may not exist): they go under the inactive user `anonymous`, with
the account concerned as the object when it exists (roaming.accounts).
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models

# action code -> the words that open its entries' message (the audit list filters on them).
ACTIONS = {
    "evse_status": "EVSE status set",
    "evse_removed": "EVSE marked REMOVED",
    "unpublish": "Location unpublished",
    "withdraw_location": "Location withdrawn from the hub (confirmed on save)",
    "assign_tariffs": "Tariffs assigned to EVSEs",
    "change_prices": "Prices changed from a date",
    "withdraw": "Tariff withdrawn from the hub",
    "publish": "Tariff published",
    "issue_token_a": "Registration token A issued",
    "register": "Registered with the platform",
    "update_credentials": "Credentials updated",
    "unregister": "Unregistered from the platform",
    "forget": "Platform forgotten locally",
    "resync": "Whole resync queued",
    "initial_push": "Initial full push queued",
    "selftest": "Self-test run",
    "retry": "Stream retried now",
    "hold": "Stream held",
    "resend": "Stream head resent",
    "skip": "Stream head skipped",
    "import_locations": "Locations imported",
    "import_tariffs": "Tariffs imported",
    "demo_data": "Demo data loaded",
    "admin_user": "Admin user created or reset",
    "rotate_csms_key": "CSMS API key rotated",
    "create_csms": "CSMS connection created",
    "credit_cdr": "CDR credited",
    "rebill_cdr": "CDR re-billed",
    # Staff accounts (roaming.accounts): logins, lockouts, second factors.
    "login": "Logged in",
    "login_failed": "Login failed",
    "lockout": "Login locked out",
    "unlock": "Login lockout lifted",
    "otp_enrolled": "Two-factor device enrolled",
    "backup_codes": "Backup codes generated",
    "otp_reset": "Two-factor devices reset",
}
COMMANDS_USERNAME = "commands"
ANONYMOUS_USERNAME = "anonymous"


def command_actor(name: str) -> str:
    """The actor of a management command: its name and the OS user who ran it."""
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        os_user = "unknown"
    return f"command:{name} (OS user {os_user})"


def record(
    *,
    actor,
    action: str,
    objects: Iterable[models.Model] = (),
    detail: str = "",
) -> list[LogEntry]:
    """Write one entry per object (or one without object); `actor` is a User,
    `command_actor(...)`, or None for someone not logged in. Call it inside the transaction
    of the change it describes."""
    label = ACTIONS[action]  # an unknown code is a programming error: fail loudly
    if actor is None:
        user = _system_user(ANONYMOUS_USERNAME, "Not logged in")
        message = f"{label}: {detail}" if detail else label
    elif isinstance(actor, str):
        user = _system_user(COMMANDS_USERNAME, "Management commands")
        message = f"{label}: {detail} — by {actor}" if detail else f"{label} — by {actor}"
    else:
        user = actor
        message = f"{label}: {detail}" if detail else label
    entries = [
        LogEntry(
            user=user,
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            action_flag=CHANGE,
            change_message=message,
        )
        for obj in objects
    ] or [LogEntry(user=user, action_flag=CHANGE, change_message=message)]
    return LogEntry.objects.bulk_create(entries)


def action_of(entry: LogEntry) -> str | None:
    """The action code of an entry written by `record`, None for an ordinary form save."""
    for code, label in ACTIONS.items():
        message = entry.change_message
        if message == label or message.startswith((f"{label}:", f"{label} —")):
            return code
    return None


def is_action(code: str) -> models.Q:
    """The entries of one action code (the audit list's filter, /metrics' login counters)."""
    label = ACTIONS[code]
    return (
        models.Q(change_message=label)
        | models.Q(change_message__startswith=f"{label}:")
        | models.Q(change_message__startswith=f"{label} —")
    )


def _system_user(username: str, first_name: str):
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"is_active": False, "first_name": first_name}
    )
    if created:  # nobody logs in as it
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
