"""Staff accounts in a real browser (issue 23), with STAFF_2FA_REQUIRED on as in production:
an ops user enrols a phone, logs in with a code, is locked out by wrong passwords, and an
admin unlocks her; she comes back with a backup code. Screenshots: docs/screenshots/accounts-*.
"""

import re

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.models import LogEntry
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from playwright.sync_api import expect

from roaming import audit
from tests.factories import TOTPDeviceFactory

from .conftest import PASSWORD, SCREENSHOTS, next_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, username, password=PASSWORD):
    page.goto(f"{page.base}/admin/login/")
    page.fill("#id_auth-username", username)
    page.fill("#id_auth-password", password)
    page.click("input[type=submit]")


def test_ops_enrols_logs_in_with_a_code_is_locked_out_and_unlocked(
    chromium, live_server, browse, staff_user, settings
):
    settings.STAFF_2FA_REQUIRED = True
    settings.OCPI_TRUSTED_PROXIES = 1  # as behind the production proxy: each person's address
    olga = staff_user("olga", "operations")
    contexts = []

    def browser_at(address):
        context = chromium.new_context(
            viewport={"width": 1280, "height": 800},
            locale="en-GB",
            extra_http_headers={"X-Forwarded-For": address},
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        new_page = context.new_page()
        new_page.base = live_server.url
        return new_page

    page = browser_at("198.51.100.10")  # Olga's desk

    def shot(name):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))

    # 1. First login: the password, then enrolment (no staff page before it).
    _log_in(page, "olga")
    expect(page).to_have_url(re.compile(r"/account/two_factor/setup/"))
    page.click("button[type=submit].btn-primary")  # the welcome step's Next
    expect(page.locator("img[alt='QR Code']")).to_be_visible()
    page.wait_for_function("document.querySelector(\"img[alt='QR Code']\").naturalWidth > 0")
    shot("accounts-1-enrol-qr-code")
    secret = page.locator("a[href^='otpauth://']").inner_text().strip()
    from base64 import b32decode

    phone = TOTP(b32decode(secret))
    page.fill("#id_generator-token", f"{phone.token():06d}")
    page.click("button[type=submit].btn-primary")

    # 2. Backup codes, printed before going on.
    expect(page).to_have_url(re.compile(r"/account/two_factor/backup/tokens/"))
    page.click("input[type=submit]")
    expect(page.locator("#backup-codes li")).to_have_count(10)
    shot("accounts-2-backup-codes")
    page.click("#continue")
    expect(page).to_have_url(f"{live_server.url}/admin/")
    device = olga.totpdevice_set.get()

    # 3. Next login: password, then the code from the phone.
    page.click("#logout-form button")
    _log_in(page, "olga")
    expect(page.locator("#step-help")).to_contain_text("authenticator app")
    shot("accounts-3-code-step")
    device.refresh_from_db()
    page.fill("#id_token-otp_token", next_code(device))
    page.click("input[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/admin/")

    # 4. Someone elsewhere guesses her password: her name is locked at the fifth failure,
    # and Olga too is refused, even with the right password.
    page.click("#logout-form button")
    guesser = browser_at("203.0.113.66")
    for _ in range(5):
        _log_in(guesser, "olga", "not-her-password")
    expect(guesser.locator("#locked-out")).to_contain_text("Too many failed logins")
    _log_in(page, "olga")
    expect(page.locator("#locked-out")).to_be_visible()
    shot("accounts-4-locked-out")

    # 5. An admin (enrolled too) unlocks her from the admin; the trail shows all of it.
    admin_user = staff_user("ada", "operations")
    admin_user.is_superuser = True
    admin_user.save()
    TOTPDeviceFactory(user=admin_user)
    admin_page = browse(admin_user, address="198.51.100.20")
    admin_page.goto(f"{admin_page.base}/admin/axes/accessattempt/")
    admin_page.check("#action-toggle")
    admin_page.select_option("select[name=action]", "unlock")
    admin_page.click("button[name=index]")
    expect(admin_page.locator(".messagelist")).to_contain_text("Unlocked")
    admin_page.shot("accounts-5-unlocked")
    assert not AccessAttempt.objects.exists()
    admin_page.goto(f"{admin_page.base}/admin/roaming/auditentry/?q=olga")
    expect(admin_page.locator("#result_list")).to_contain_text("Login locked out")
    expect(admin_page.locator("#result_list")).to_contain_text("203.0.113.66")
    admin_page.shot("accounts-6-audit-trail", full_page=True)

    # 6. Phone left at home: a backup code, once.
    backup = StaticToken.objects.filter(device__user=olga).first().token
    _log_in(page, "olga")
    page.click("button[value=backup]")
    page.fill("#id_backup-otp_token", backup)
    page.click("#login-form input[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/admin/")
    codes = [e.change_message for e in LogEntry.objects.filter(audit.is_action("login"))]
    assert any("StaticDevice" in message for message in codes)
    for context in contexts:
        context.close()
