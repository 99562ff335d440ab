"""List stored ids that cannot go into OCPI URLs (issue 19.2: saved before the rule).

Renaming is not offered: the hub knows objects by these ids (OCPI: ids never change).
"""

from django.core.management.base import BaseCommand, CommandError

from locations.selectors import bad_url_ids as location_ids
from tariffs.selectors import bad_url_ids as tariff_ids


class Command(BaseCommand):
    help = "List location, EVSE, connector and tariff ids that would break OCPI URLs."

    def handle(self, *args, **options):
        lines = location_ids() + tariff_ids()
        for line in lines:
            self.stdout.write(line)
        if lines:
            raise CommandError(
                f"{len(lines)} id(s) would break OCPI URLs (the hub answers 404 and the stream "
                "is held). Ids never change once the hub knows them: create the object again "
                "with a valid id (mark old EVSEs REMOVED) and fix tariff_ids on the EVSEs."
            )
        self.stdout.write("Every id can go into an OCPI URL.")
