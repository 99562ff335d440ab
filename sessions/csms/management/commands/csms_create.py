"""Create a CSMS (or issue a new key for one) and print its API key, shown only this once."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from roaming import audit
from roaming.models import Operator
from sessions.csms import services
from sessions.csms.models import Csms


class Command(BaseCommand):
    help = (
        "Create a CSMS running the given operators' EVSEs and print its API key "
        "(--rotate: a new key for an existing one). Needs csms.add_csms / "
        "csms.rotate_csms_key for --as-user; the admin history records it."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument(
            "--operator", action="append", default=[], help="FR*AB1 (repeat for several)"
        )
        parser.add_argument("--rotate", action="store_true", help="new key for NAME")
        parser.add_argument(
            "--as-user", default="admin", help="staff user recorded in the admin history"
        )

    def handle(self, *args, name, operator, rotate, as_user, **options):
        user = get_user_model().objects.filter(username=as_user).first()
        permission = "csms.rotate_csms_key" if rotate else "csms.add_csms"
        if user is None or not user.has_perm(permission):
            raise CommandError(f"User {as_user!r} needs the permission {permission}.")
        if rotate:
            csms = Csms.objects.filter(name=name).first()
            if csms is None:
                raise CommandError(f"No CSMS named {name!r}.")
            with transaction.atomic():
                key = services.rotate_key(csms=csms)
                self._audit(user, csms, "rotate_csms_key")
        else:
            try:
                operators = [Operator.objects.by_emi3(emi3) for emi3 in operator]
            except Operator.DoesNotExist as exc:
                raise CommandError(f"Unknown operator in {operator}: create it first.") from exc
            if Csms.objects.filter(name=name).exists():
                raise CommandError(f"A CSMS named {name!r} exists: --rotate for a new key.")
            with transaction.atomic():
                csms, key = services.create_csms(name=name, operators=operators)
                self._audit(user, csms, "create_csms")
        self.stdout.write(f"API key of {csms} (shown once): {key}")

    @staticmethod
    def _audit(user, csms, action: str) -> None:
        audit.record(
            actor=user, action=action, objects=[csms], detail=audit.command_actor("csms_create")
        )
