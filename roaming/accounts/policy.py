"""Who must log in with a second factor, and how long a staff session lasts (issue 23).

Read at each request from settings, so `STAFF_2FA_REQUIRED` can change without a migration
(and tests can switch it with pytest-django's `settings`).
"""

from __future__ import annotations

import time

from django.conf import settings

# Groups whose members act on the network and on money (roaming.groups).
STAFF_GROUPS = ("operations", "finance")
# Session keys: when this login started, and when a request last renewed the idle timeout
# (seconds since the epoch).
LOGIN_STARTED = "accounts_login_started"
LAST_RENEWED = "accounts_last_renewed"
# The idle timeout is renewed at most this often: a session row is written once a minute of
# activity, not on every request (a write per page would cost every admin view 3 queries).
RENEW_EVERY_SECONDS = 60


def second_factor_required(user) -> bool:
    """Superusers, the staff groups, and every other staff account: each can open a staff
    page, and none may without a second factor when STAFF_2FA_REQUIRED is on."""
    if not settings.STAFF_2FA_REQUIRED or not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return user.groups.filter(name__in=STAFF_GROUPS).exists()


def session_expired(session) -> bool:
    """True once STAFF_SESSION_HOURS have passed since the login. A session without the
    mark (made before this rule) counts from now."""
    started = session.get(LOGIN_STARTED)
    if started is None:
        mark_login(session)
        return False
    return time.time() - started > settings.STAFF_SESSION_HOURS * 3600


def renew_idle_timeout(session) -> None:
    """Push the session's expiry (SESSION_COOKIE_AGE = the idle timeout) forward, at most once
    a minute: modifying the session makes Django save it with a fresh expiry and cookie."""
    now = int(time.time())
    if now - session.get(LAST_RENEWED, 0) >= RENEW_EVERY_SECONDS:
        session[LAST_RENEWED] = now


def mark_login(session) -> None:
    now = int(time.time())
    session[LOGIN_STARTED] = now
    session[LAST_RENEWED] = now
