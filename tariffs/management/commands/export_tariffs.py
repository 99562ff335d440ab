"""Print tariffs as an OCPI 2.2.1 Tariff JSON list, one item per description."""

from django.core.management.base import BaseCommand, CommandError

from roaming.models import Operator
from roaming.ocpi_json import dumps
from tariffs.models import Tariff
from tariffs.ocpi import tariff_to_ocpi


class Command(BaseCommand):
    help = (
        "Print all tariffs (or one operator's), drafts included and withdrawn ones left out, "
        "as a JSON list of OCPI 2.2.1 Tariffs with exact amounts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--operator", help="eMI3 operator id, e.g. FR*AB1")

    def handle(self, *args, operator: str | None, **options):
        queryset = Tariff.objects.filter(withdrawn_at__isnull=True).select_related("operator")
        if operator:
            try:
                match = Operator.objects.by_emi3(operator)
            except Operator.DoesNotExist:
                raise CommandError(
                    f"Unknown operator {operator!r} (expected e.g. FR*AB1)."
                ) from None
            queryset = queryset.filter(operator=match)
        data = [tariff_to_ocpi(tariff) for tariff in queryset.order_by("operator", "ocpi_id", "pk")]
        self.stdout.write(dumps(data, indent=2))
