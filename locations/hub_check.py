"""Our Location against the hub's copy of it, for ops (`ocpi_check`)."""

from roaming.client import OcpiClient
from roaming.hub_check import CheckResult, differences
from roaming.models import Platform

from .models import Location
from .ocpi import location_to_ocpi
from .selectors import locations_for_ocpi


def check_location(*, platform: Platform, location: Location) -> CheckResult:
    """Our Location as OCPI against the hub's copy of it."""
    location = locations_for_ocpi(Location.objects.filter(pk=location.pk)).get()
    ours = location_to_ocpi(location)
    outcome = OcpiClient(platform).get_object("locations", location.operator, location.ocpi_id)
    if not outcome.ok or not isinstance(outcome.data, dict):
        why = f"{outcome.message} (HTTP {outcome.http_status}, OCPI {outcome.ocpi_status})"
        return CheckResult(found=False, differences=[], message=why)
    return CheckResult(found=True, differences=differences(ours, outcome.data))
