"""A real chromium (Debian's, driven by Playwright) against a live server on PostgreSQL.

Screenshots of each step land in docs/screenshots/ (committed: the README shows them).
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

# Playwright's sync API keeps an event loop running in this thread, which Django takes for
# an async context; the ORM calls of these tests are plain synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "browser-test-pass-1"


def next_code(device) -> str:
    """The authenticator's next code (one step ahead, within django-otp's tolerance): a code
    already used in this 30 s step is refused as a replay, and tests do not wait."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.drift = max(device.last_t + 1 - totp.t(), device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture(scope="session")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def staff_user(transactional_db):
    """A staff user in one of the project's groups (roaming.groups), as ops staff have."""
    from django.contrib.auth.models import User

    from roaming.groups import ensure_staff_groups

    def make(username: str, group: str) -> User:
        groups = ensure_staff_groups()
        user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
        user.groups.add(groups[group])
        return user

    return make


@pytest.fixture
def browse(chromium, live_server):
    """browse(user) -> a logged-in page at 1280x800; page.shot(name) saves a screenshot.
    `address`: the client address a reverse proxy would forward (X-Forwarded-For)."""
    contexts = []

    def open_as(user, address=None):
        context = chromium.new_context(
            viewport={"width": 1280, "height": 800},
            locale="en-GB",
            timezone_id="Europe/Paris",
            extra_http_headers={"X-Forwarded-For": address} if address else None,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.base = live_server.url
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_auth-username", user.username)
        page.fill("#id_auth-password", PASSWORD)
        page.click("input[type=submit]")
        if page.locator("#id_token-otp_token").count():  # an enrolled user: the code step
            page.fill("#id_token-otp_token", next_code(user.totpdevice_set.get()))
            page.click("input[type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")

        def shot(name: str, full_page: bool = False):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

        page.shot = shot
        return page

    yield open_as
    for context in contexts:
        context.close()
