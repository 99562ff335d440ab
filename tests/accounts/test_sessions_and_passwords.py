"""Sessions: lifetime, idle timeout, cookies in production, logout everywhere on a password
change; passwords: Django's validators at 12 characters and the common-password list."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from roaming.accounts.policy import LAST_RENEWED, LOGIN_STARTED

from .conftest import PASSWORD, post_password

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _settings_with(**environ) -> dict:
    """config.settings as a fresh process reads them from this environment."""
    names = ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
             "SESSION_COOKIE_SAMESITE", "SESSION_COOKIE_AGE", "SESSION_SAVE_EVERY_REQUEST",
             "STAFF_SESSION_HOURS", "STAFF_2FA_REQUIRED", "AXES_FAILURE_LIMIT"]  # fmt: skip
    script = (
        "import json, config.settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {names}}}))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "STAFF_2FA_REQUIRED")}
    env.update(SECRET_KEY="x", **environ)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    return json.loads(out)


def test_production_defaults_secure_cookies_8_hours_and_a_second_factor():
    production = _settings_with()
    assert production["SESSION_COOKIE_SECURE"] and production["CSRF_COOKIE_SECURE"]
    assert production["SESSION_COOKIE_HTTPONLY"] and production["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert production["STAFF_SESSION_HOURS"] == 8 and production["SESSION_COOKIE_AGE"] == 3600
    assert not production["SESSION_SAVE_EVERY_REQUEST"]  # renewed once a minute (policy)
    assert production["STAFF_2FA_REQUIRED"] and production["AXES_FAILURE_LIMIT"] == 5

    embedded = _settings_with(DEBUG="1")  # .ci/start
    assert not embedded["STAFF_2FA_REQUIRED"] and not embedded["SESSION_COOKIE_SECURE"]
    tuned = _settings_with(STAFF_SESSION_HOURS="4", STAFF_IDLE_MINUTES="15")
    assert tuned["STAFF_SESSION_HOURS"] == 4 and tuned["SESSION_COOKIE_AGE"] == 900


def test_the_session_cookie_is_httponly_and_lax(client, people):
    answer = post_password(client, "finance-user")
    cookie = answer.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_a_session_ends_after_its_lifetime(client, people, settings):
    settings.STAFF_SESSION_HOURS = 8
    post_password(client, "finance-user")
    assert client.get("/finance/").status_code == 200
    session = client.session
    session[LOGIN_STARTED] = int(time.time()) - 8 * 3600 - 1
    session.save()
    answer = client.get("/finance/")
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("admin:login"))
    assert "_auth_user_id" not in client.session


def test_an_idle_session_ends(client, people):
    post_password(client, "finance-user")
    assert client.get("/finance/").status_code == 200
    Session.objects.update(expire_date=timezone.now())  # SESSION_COOKIE_AGE without a request
    assert client.get("/finance/").status_code == 302


def test_each_request_renews_the_idle_timeout(client, people, settings):
    post_password(client, "finance-user")
    session = client.session
    session[LAST_RENEWED] = int(time.time()) - 61  # the last renewal was over a minute ago
    session.save()
    Session.objects.update(expire_date=timezone.now() + timezone.timedelta(seconds=5))
    client.get("/finance/")
    renewed = Session.objects.get().expire_date
    assert renewed > timezone.now() + timezone.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)


def test_a_password_change_logs_out_every_other_session(client, people):
    elsewhere = type(client)()
    post_password(client, "root")
    post_password(elsewhere, "root", address="198.51.100.2")
    assert elsewhere.get("/admin/").status_code == 200

    changed = client.post(
        reverse("admin:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase-7",
            "new_password2": "a-new-long-passphrase-7",
        },  # fmt: skip
    )
    assert changed.status_code == 302
    assert client.get("/admin/").status_code == 200  # the changer stays (update_session_auth_hash)
    answer = elsewhere.get("/admin/")
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize(
    "password",
    ["short-pw-1", "password1234", "123456789012345", "finance-user-1"],
    ids=["under 12", "common", "all digits", "like the username"],
)
def test_weak_passwords_are_refused(people, password):
    with pytest.raises(ValidationError):
        validate_password(password, people["finance"])


def test_a_long_uncommon_password_is_accepted(people):
    validate_password("correct-horse-battery-9", people["finance"])


def test_requests_within_a_minute_do_not_write_the_session(client, people):
    post_password(client, "finance-user")
    client.get("/finance/")
    before = Session.objects.get().expire_date
    client.get("/finance/")
    assert Session.objects.get().expire_date == before  # no write per page view
