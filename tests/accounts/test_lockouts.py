"""Throttled logins (django-axes): lockout by username and by address, the same page for an
unknown name, unlock from the admin (audited) or after the cool-off, the proxy's address."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from roaming import audit

from .conftest import post_password

pytestmark = pytest.mark.django_db


def _entries(code):
    return list(LogEntry.objects.filter(audit.is_action(code)).order_by("pk"))


def test_six_wrong_passwords_lock_the_account_and_the_trail_shows_it(client, people):
    answers = [
        post_password(client, "operations-user", "wrong-guess").status_code for _ in range(6)
    ]

    assert answers == [200, 200, 200, 200, 429, 429]
    refused = post_password(client, "operations-user")  # the right password, too late
    assert refused.status_code == 429
    assert "Too many failed logins" in refused.content.decode()
    assert "_auth_user_id" not in client.session

    [lockout] = _entries("lockout")
    assert lockout.object_repr == "operations-user"
    assert "198.51.100.1" in lockout.change_message and "pytest-agent" in lockout.change_message
    failed = _entries("login_failed")
    assert len(failed) == 7
    assert "wrong username or password" in failed[0].change_message
    assert "refused while locked out" in failed[-1].change_message
    assert {entry.user.username for entry in failed} == {audit.ANONYMOUS_USERNAME}


def test_the_lockout_page_does_not_tell_whether_the_user_exists(client, people):
    pages = {}
    for username, address in (("operations-user", "198.51.100.1"), ("nobody-here", "198.51.100.2")):
        for _ in range(5):
            answer = post_password(client, username, "wrong-guess", address=address)
        pages[username] = (answer.status_code, answer.content.decode())
    assert pages["operations-user"] == pages["nobody-here"]
    assert pages["nobody-here"][0] == 429
    before = post_password(client, "nobody-at-all", "wrong", address="198.51.100.3")
    assert "Please enter the correct username and password" in before.content.decode()


def test_one_address_guessing_many_names_is_locked_out(client, people):
    for n in range(5):
        post_password(client, f"guess-{n}", "wrong-guess", address="203.0.113.9")
    assert post_password(client, "finance-user", address="203.0.113.9").status_code == 429
    # Another address logs in with the same account: the lock was on the address.
    assert post_password(client, "finance-user", address="203.0.113.10").status_code == 302


def test_behind_the_proxy_the_forwarded_address_is_the_one_locked(client, people, settings):
    settings.OCPI_TRUSTED_PROXIES = 1
    for n in range(5):  # every request reaches us from the proxy, 10.0.0.2
        post_password(
            client, f"guess-{n}", "wrong", address="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9"
        )
    assert "203.0.113.9" in _entries("login_failed")[0].change_message
    assert AccessAttempt.objects.filter(ip_address="203.0.113.9").count() == 5
    other_client = post_password(
        client, "finance-user", address="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.10"
    )
    assert other_client.status_code == 302  # the proxy itself is not locked out


def test_an_admin_unlocks_from_the_admin_and_the_trail_says_who(
    client, people, login_with_second_factor
):
    for _ in range(5):
        post_password(client, "finance-user", "wrong-guess")
    assert post_password(client, "finance-user").status_code == 429

    admin_client = type(client)()
    login_with_second_factor(admin_client, people["superuser"])
    attempts = reverse("admin:axes_accessattempt_changelist")
    page = admin_client.get(attempts).content.decode()
    assert "finance-user" in page
    selected = list(AccessAttempt.objects.values_list("pk", flat=True))
    done = admin_client.post(
        attempts, {"action": "unlock", "_selected_action": selected}, follow=True
    )
    assert "Unlocked 1" in done.content.decode()

    assert not AccessAttempt.objects.exists()
    [unlock] = _entries("unlock")
    assert unlock.user == people["superuser"] and "finance-user" in unlock.change_message
    assert post_password(client, "finance-user").status_code == 302


def test_operations_and_finance_may_not_unlock(client, people, login_with_second_factor):
    for group in ("operations", "finance"):
        login_with_second_factor(client, people[group])
        url = reverse("admin:axes_accessattempt_changelist")
        assert client.get(url).status_code == 403


def test_the_lock_lifts_after_the_cool_off(client, people, settings):
    for _ in range(5):
        post_password(client, "finance-user", "wrong-guess")
    assert post_password(client, "finance-user").status_code == 429
    past = dt.datetime.now(dt.UTC) - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1)
    AccessAttempt.objects.update(attempt_time=past)
    assert post_password(client, "finance-user").status_code == 302


def test_metrics_count_failed_logins_and_lockouts(client, people):
    for _ in range(6):
        post_password(client, "operations-user", "wrong-guess")
    text = client.get(reverse("metrics")).content.decode()
    assert "staff_login_failures_total 6.0" in text
    assert "staff_login_lockouts_total 1.0" in text
