"""Creates (or resets) the first-run admin user and prints its credentials.

Also says whether logins need a second factor (STAFF_2FA_REQUIRED, off with DEBUG on for
the embedded run), and with --reset-two-factor removes the admin's devices: the way back in
for the last superuser who lost their phone (roaming.accounts.services).
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from roaming import audit
from roaming.accounts import services as accounts
from roaming.groups import ensure_staff_groups


class Command(BaseCommand):
    help = "Create or reset the admin superuser and print its credentials."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", help="default: a new random password")
        parser.add_argument(
            "--reset-two-factor",
            action="store_true",
            help="remove the user's two-factor devices: they enrol again at the next login",
        )

    def handle(self, *args, username, password, reset_two_factor, **options):
        user, _ = get_user_model().objects.get_or_create(username=username)
        if password:
            try:
                validate_password(password, user)
            except ValidationError as refusal:
                raise CommandError(
                    f"Password refused: {' '.join(refusal.messages)} "
                    "Choose another, or omit --password for a random one."
                ) from None
        password = password or secrets.token_urlsafe(12)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        actor = audit.command_actor("ensure_admin")
        audit.record(actor=actor, action="admin_user", objects=[user])
        if reset_two_factor:
            removed = accounts.reset_second_factor(actor=actor, users=[user])
            self.stdout.write(f"Two-factor devices removed: {removed}")
        self.stdout.write(f"Admin login: Username: {username}  Password: {password}")
        if settings.STAFF_2FA_REQUIRED:
            self.stdout.write(
                "Two-factor authentication: required. At the first login, scan the QR code "
                "with an authenticator app and keep the backup codes."
            )
        else:
            self.stdout.write(
                "Two-factor authentication: OFF (STAFF_2FA_REQUIRED is off; it is on by default "
                "when DEBUG is off). Staff log in with the password alone."
            )
        groups = ensure_staff_groups()
        self.stdout.write(f"Staff groups ready: {', '.join(sorted(groups))}")
