"""Creates (or resets) the first-run admin user and prints its credentials."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from roaming import audit
from roaming.groups import ensure_staff_groups


class Command(BaseCommand):
    help = "Create or reset the admin superuser and print its credentials."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", help="default: a new random password")

    def handle(self, *args, username, password, **options):
        password = password or secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        audit.record(actor=audit.command_actor("ensure_admin"), action="admin_user", objects=[user])
        self.stdout.write(f"Admin login: Username: {username}  Password: {password}")
        groups = ensure_staff_groups()
        self.stdout.write(f"Staff groups ready: {', '.join(sorted(groups))}")
