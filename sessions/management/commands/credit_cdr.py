"""Credit a CDR already sent, and optionally re-bill the session (Gireve §3.9.3).

Staff action: the actor is named with --user and must hold charging.credit_cdr; the credit
(and re-bill) is recorded with the reason and the user, and leaves an audit entry
(roaming.audit, in the same transaction).
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from roaming.ocpi_json import dumps
from sessions import cdr_services
from sessions.models import Cdr

PERMISSION = "charging.credit_cdr"


class Command(BaseCommand):
    help = (
        "Issue a credit CDR for CDR_ID (credit=true, negative total_cost) and, with --rebill or "
        "--rebill-with-tariff, a corrected CDR with a new id, both pushed on the session's "
        "stream. Gireve today ignores credit CDRs and forwards the re-bill: the eMSP will "
        "receive a second CDR for the session and no credit."
    )

    def add_arguments(self, parser):
        parser.add_argument("cdr_id", help="our CDR id (case-insensitive)")
        parser.add_argument("--reason", required=True, help="why (kept with the CDRs)")
        parser.add_argument(
            "--user", required=True, help=f"username of the staff member acting ({PERMISSION})"
        )
        parser.add_argument("--operator", help="our operator FR*AB1 when ids are ambiguous")
        parser.add_argument("--rebill", action="store_true", help="re-bill with the same tariff")
        parser.add_argument(
            "--rebill-with-tariff",
            metavar="TARIFF_ID",
            help="re-bill with this tariff id (the eMSP's description valid at the start)",
        )

    def handle(self, *args, cdr_id, reason, user, operator, rebill, rebill_with_tariff, **opts):
        actor = get_user_model().objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {user!r}: name the staff member who acts.")
        if not actor.has_perm(PERMISSION):
            raise CommandError(f"{user} lacks the permission {PERMISSION}: ask an administrator.")
        cdrs = Cdr.objects.filter(ocpi_id__iexact=cdr_id)
        if operator:
            cdrs = cdrs.filter(operator__in=_operators(operator))
        found = list(cdrs[:2])
        if not found:
            raise CommandError(f"No CDR {cdr_id}: check the id (see admin, CDRs).")
        if len(found) > 1:
            raise CommandError(f"Several operators have a CDR {cdr_id}: add --operator FR*AB1.")
        try:
            result = cdr_services.credit_cdr(
                cdr=found[0],
                reason=reason,
                user=actor,
                rebill=rebill,
                rebill_tariff_id=rebill_with_tariff,
            )
        except ValidationError as error:
            raise CommandError("Nothing changed: " + "; ".join(error.messages)) from None
        self.stdout.write(f"credit CDR {result.credit.ocpi_id} queued for the hub")
        self.stdout.write(dumps(result.credit.data["total_cost"]))
        if result.rebill is not None:
            state = result.rebill.get_state_display()
            self.stdout.write(f"re-bill CDR {result.rebill.ocpi_id}: {state}")
            if result.rebill.held_reason:
                self.stdout.write(result.rebill.held_reason)


def _operators(emi3_id: str):
    from roaming.models import Operator

    try:
        return [Operator.objects.by_emi3(emi3_id)]
    except Operator.DoesNotExist:
        raise CommandError(f"No operator {emi3_id}.") from None
