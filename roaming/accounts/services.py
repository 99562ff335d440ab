"""Every write about staff accounts: the login audit entries, unlocking, resetting a device.

Each entry names the client (address behind OCPI_TRUSTED_PROXIES, user agent) so a security
review can tell a typo from a guessing robot. Failed logins are recorded under the
`anonymous` user (roaming.audit), with the account as object when the name exists, never
shown to the person logging in.
"""

from __future__ import annotations

from collections.abc import Iterable

from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from axes.utils import reset
from django.contrib.auth import get_user_model
from django.db import transaction
from django_otp import devices_for_user

from roaming import audit
from roaming.api.access import client_address

USER_AGENT_CHARS = 200


def client_of(request) -> str:
    """'from 203.0.113.7, Mozilla/5.0 ...': where a login came from."""
    agent = request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_CHARS] or "no user agent"
    return f"from {client_address(request) or 'unknown address'}, {agent}"


def record_login(*, request, user, device=None) -> None:
    how = f"with {type(device).__name__} {device.name!r}" if device else "password only"
    audit.record(actor=user, action="login", objects=[user], detail=f"{how}, {client_of(request)}")


def record_login_failed(*, request, username: str, reason: str) -> None:
    audit.record(
        actor=None,
        action="login_failed",
        objects=_accounts(username),
        detail=f"{reason}, username {username!r}, {client_of(request)}",
    )


def lockout_signalled(sender, request, username, ip_address, **kwargs) -> None:
    """axes' `user_locked_out`: sent when the limit is reached and again for each attempt
    refused meanwhile. Only the first is a new lockout; the others are failed logins
    (the login view records those)."""
    credentials = getattr(request, "axes_credentials", None)
    if getattr(request, "axes_failures_since_start", None) != get_failure_limit(
        request, credentials
    ):
        return
    audit.record(
        actor=None,
        action="lockout",
        objects=_accounts(username or ""),
        detail=f"username {username!r}, {client_of(request)}",
    )


@transaction.atomic
def unlock(*, actor, attempts: Iterable[AccessAttempt]) -> int:
    """Lift the lockout of each attempt's username and address (axes forgets their
    failures); returns how many attempt records went."""
    removed = 0
    for attempt in list(attempts):
        removed += reset(ip=attempt.ip_address, username=attempt.username, ip_or_username=True)
        audit.record(
            actor=actor,
            action="unlock",
            objects=_accounts(attempt.username or ""),
            detail=f"username {attempt.username!r}, address {attempt.ip_address}",
        )
    return removed


@transaction.atomic
def reset_second_factor(*, actor, users: Iterable) -> int:
    """Delete every OTP device (authenticator, backup codes) of `users`: each enrols again at
    the next login. Returns how many devices went."""
    removed = 0
    for user in users:
        devices = list(devices_for_user(user, confirmed=None))
        for device in devices:
            device.delete()
        removed += len(devices)
        audit.record(
            actor=actor, action="otp_reset", objects=[user], detail=f"{len(devices)} device(s)"
        )
    return removed


def record_enrolment(*, request, device) -> None:
    user = request.user
    audit.record(
        actor=user,
        action="otp_enrolled",
        objects=[user],
        detail=f"{type(device).__name__} {device.name!r}, {client_of(request)}",
    )


def record_backup_codes(*, request, count: int) -> None:
    user = request.user
    audit.record(
        actor=user,
        action="backup_codes",
        objects=[user],
        detail=f"{count} codes, {client_of(request)}",
    )


def _accounts(username: str) -> list:
    return list(get_user_model().objects.filter(username=username)) if username else []
