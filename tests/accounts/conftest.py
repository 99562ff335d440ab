"""The cast of the staff account tests: staff of each kind with a known password, and the
login page driven as a browser posts it (django-two-factor-auth's wizard at /admin/login/)."""

import pytest
from django.urls import reverse
from django_otp.oath import totp

from roaming.groups import ensure_staff_groups
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery-9"
WIZARD = "staff_login_view-current_step"  # formtools' management field of StaffLoginView


@pytest.fixture
def people(db):
    groups = ensure_staff_groups()
    users = {"superuser": UserFactory(username="root", is_superuser=True)}
    for name in ("operations", "finance"):
        users[name] = UserFactory(username=f"{name}-user")
        users[name].groups.add(groups[name])
    for user in users.values():
        user.set_password(PASSWORD)
        user.save()
    return users


def post_password(client, username, password=PASSWORD, address="198.51.100.1", **extra):
    """Step 1 of the login page."""
    data = {WIZARD: "auth", "auth-username": username, "auth-password": password}
    return client.post(
        reverse("admin:login"), data, REMOTE_ADDR=address, HTTP_USER_AGENT="pytest-agent", **extra
    )


def post_code(client, code, step="token", address="198.51.100.1"):
    """Step 2: the authenticator's code (or, step='backup', a backup code)."""
    data = {WIZARD: step, f"{step}-otp_token": code}
    return client.post(reverse("admin:login"), data, REMOTE_ADDR=address)


def code_of(device) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):0{device.digits}d}"
