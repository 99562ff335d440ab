"""Who must log in with a second factor, and how long a staff session lasts (issue 23).

Read at each request from settings, so `STAFF_2FA_REQUIRED` can change without a migration
(and tests can switch it with pytest-django's `settings`).
"""

from __future__ import annotations

import time

from django.conf import settings

# Groups whose members act on the network and on money (roaming.groups).
STAFF_GROUPS = ("operations", "finance")
# Session key: when this login started (seconds since the epoch).
LOGIN_STARTED = "accounts_login_started"


def second_factor_required(user) -> bool:
    """Superusers, the staff groups, and every other staff account: each can open a staff
    page, and none may without a second factor when STAFF_2FA_REQUIRED is on."""
    if not settings.STAFF_2FA_REQUIRED or not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return user.groups.filter(name__in=STAFF_GROUPS).exists()


def session_expired(session) -> bool:
    """True once STAFF_SESSION_HOURS have passed since the login (the idle timeout is
    Django's own: SESSION_COOKIE_AGE renewed by SESSION_SAVE_EVERY_REQUEST)."""
    started = session.setdefault(LOGIN_STARTED, int(time.time()))
    return time.time() - started > settings.STAFF_SESSION_HOURS * 3600


def mark_login(session) -> None:
    session[LOGIN_STARTED] = int(time.time())
