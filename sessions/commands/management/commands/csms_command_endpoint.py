"""Set where a CSMS takes remote commands, and print the secret that signs them."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from roaming import audit
from sessions.csms.models import Csms, new_command_secret


class Command(BaseCommand):
    help = (
        "Set a CSMS's command URL (remote start/stop) and print its HMAC secret; --new-secret "
        "issues a new one (the old one stops working). Needs csms.change_csms for --as-user; "
        "the admin history records it."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--url", help="the CSMS command endpoint (https://…)")
        parser.add_argument("--new-secret", action="store_true")
        parser.add_argument(
            "--as-user", default="admin", help="staff user recorded in the admin history"
        )

    def handle(self, *args, name, url, new_secret, as_user, **options):
        user = get_user_model().objects.filter(username=as_user).first()
        if user is None or not user.has_perm("csms.change_csms"):
            raise CommandError(f"User {as_user!r} needs the permission csms.change_csms.")
        csms = Csms.objects.filter(name=name).first()
        if csms is None:
            raise CommandError(f"No CSMS named {name!r}.")
        changed = []
        if url is not None:
            csms.command_url, changed = url, [*changed, "command_url"]
        if new_secret:
            csms.command_secret, changed = new_command_secret(), [*changed, "command_secret"]
        if changed:
            try:
                csms.full_clean()
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
            with transaction.atomic():
                csms.save(update_fields=changed)
                audit.record(
                    actor=user,
                    action="csms_command_endpoint",
                    objects=[csms],
                    detail=f"{', '.join(changed)} ({audit.command_actor('csms_command_endpoint')})",
                )
        self.stdout.write(f"{csms}: command URL {csms.command_url or '(none)'}")
        self.stdout.write(f"Command secret (HMAC-SHA256 key): {csms.command_secret}")
