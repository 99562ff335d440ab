"""Two factors for staff (django-otp TOTP, django-two-factor-auth): required with
STAFF_2FA_REQUIRED on, enrolment with a QR code and backup codes, login with a code,
an admin resets a lost device; all in the audit trail."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.urls import reverse
from django_otp import user_has_device
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken

from roaming import audit
from tests.factories import TOTPDeviceFactory, UserFactory

from .conftest import code_of, post_code, post_password

pytestmark = pytest.mark.django_db
STAFF = ["superuser", "operations", "finance"]
STAFF_PAGES = ["/admin/", "/admin/locations/location/", "/finance/", "/finance/cdrs/"]


def _messages(code):
    return [e.change_message for e in LogEntry.objects.filter(audit.is_action(code))]


@pytest.mark.parametrize("group", STAFF)
@pytest.mark.parametrize("page", STAFF_PAGES)
def test_with_2fa_on_no_staff_page_opens_on_a_password_alone(client, people, settings, group, page):
    settings.STAFF_2FA_REQUIRED = True
    client.force_login(people[group])  # a password login, no device yet
    answer = client.get(page)
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("two_factor:setup"))

    TOTPDeviceFactory(user=people[group])  # enrolled, but this session gave no code
    answer = client.get(page)
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("admin:login"))
    assert "_auth_user_id" not in client.session  # logged out: log in again with the code


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_with_2fa_off_the_password_alone_opens_staff_pages(client, people, page):
    client.force_login(people["superuser"])  # the suite's default: STAFF_2FA_REQUIRED off
    assert client.get(page, follow=True).status_code == 200


def test_login_with_a_code_from_the_authenticator(client, people, settings):
    settings.STAFF_2FA_REQUIRED = True
    device = TOTPDeviceFactory(user=people["operations"])
    asked = post_password(client, "operations-user")
    assert asked.status_code == 200 and "authenticator app" in asked.content.decode()
    assert "_auth_user_id" not in client.session  # not logged in before the code

    wrong = post_code(client, "000000" if code_of(device) != "000000" else "111111")
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    device.refresh_from_db()
    device.throttling_failure_count = 0  # django-otp's own throttle after the wrong code
    device.save()

    done = post_code(client, code_of(device))
    assert done.status_code == 302 and done["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("finance:dashboard")).status_code == 200
    [wrong_entry] = _messages("login_failed")
    assert "wrong two-factor code" in wrong_entry and "operations-user" in wrong_entry
    [login] = _messages("login")
    assert "TOTPDevice 'default'" in login and "198.51.100.1" in login


def test_enrolment_with_a_qr_code_then_backup_codes(client, people, settings):
    settings.STAFF_2FA_REQUIRED = True
    user = people["finance"]
    assert post_password(client, "finance-user").status_code == 302  # no device: logged in
    sent = client.get(reverse("finance:dashboard"))
    setup = sent["Location"]
    assert setup.startswith(reverse("two_factor:setup"))

    assert "Enable Two-Factor Authentication" in client.get(setup).content.decode()
    wizard = "staff_setup_view-current_step"
    qr_step = client.post(setup, {wizard: "welcome"})
    assert reverse("two_factor:qr") in qr_step.content.decode()
    qr = client.get(reverse("two_factor:qr"))
    assert qr.status_code == 200 and qr["Content-Type"].startswith("image/svg")

    key = client.session["django_two_factor-qr_secret_key"]  # what the QR code carries
    from base64 import b32decode

    code = f"{totp(b32decode(key)):06d}"
    done = client.post(setup, {wizard: "generator", "generator-token": code})
    codes_page = done["Location"]
    assert codes_page.startswith(reverse("two_factor:backup_tokens"))
    assert "next=%2Ffinance%2F" in codes_page
    generated = client.post(codes_page, {"next": "/finance/"}, follow=True)
    page = generated.content.decode()
    assert "Print these codes" in page and 'href="/finance/"' in page
    assert client.get("/finance/").status_code == 200  # verified by the enrolment itself

    assert user_has_device(user)
    assert len(_messages("otp_enrolled")) == 1 and len(_messages("backup_codes")) == 1

    # Phone lost: a backup code logs in, once.
    backup = StaticToken.objects.filter(device__user=user).first().token
    client.logout()
    post_password(client, "finance-user")
    client.post(reverse("admin:login"), {"staff_login_view-current_step": "token",
                                         "wizard_goto_step": "backup"})  # fmt: skip
    assert post_code(client, backup, step="backup").status_code == 302
    assert client.get("/finance/").status_code == 200
    assert not StaticToken.objects.filter(token=backup).exists()


def test_an_admin_resets_a_lost_device_and_the_trail_says_who(
    client, people, login_with_second_factor
):
    lost = TOTPDeviceFactory(user=people["operations"])
    login_with_second_factor(client, people["superuser"])
    users = reverse("admin:auth_user_changelist")
    done = client.post(
        users,
        {"action": "reset_second_factor", "_selected_action": [people["operations"].pk]},
        follow=True,
    )
    assert "Removed 1 device(s) of 1 user(s)" in done.content.decode()
    assert not type(lost).objects.filter(pk=lost.pk).exists()
    [entry] = LogEntry.objects.filter(audit.is_action("otp_reset"))
    assert entry.user == people["superuser"] and entry.object_repr == "operations-user"

    other = type(client)()
    post_password(other, "operations-user")  # no device now: straight in, then enrolment
    assert other.get("/admin/")["Location"].startswith(reverse("two_factor:setup"))


def test_staff_cannot_switch_their_own_second_factor_off(client, people, login_with_second_factor):
    login_with_second_factor(client, people["finance"])
    assert client.get(reverse("two_factor:disable")).status_code == 403


def test_ensure_admin_says_whether_2fa_is_on_and_resets_the_admins_device(capsys, settings):
    call_command("ensure_admin")
    assert "Two-factor authentication: OFF" in capsys.readouterr().out

    settings.STAFF_2FA_REQUIRED = True
    TOTPDeviceFactory(user=UserFactory(username="admin"))
    call_command("ensure_admin", "--reset-two-factor")
    out = capsys.readouterr().out
    assert "Two-factor authentication: required" in out and "devices removed: 1" in out
    assert not user_has_device(UserFactory(username="admin"))


def test_the_deploy_check_warns_when_2fa_is_off(settings):
    from roaming.accounts.checks import staff_accounts_check

    assert [w.id for w in staff_accounts_check(None)] == ["accounts.W001"]
    settings.STAFF_2FA_REQUIRED = True
    assert staff_accounts_check(None) == []
