"""Locations sender interface (OCPI 2.2.1 mod_locations §Sender Interface)."""

from rest_framework.response import Response

from roaming.api import OcpiAPIView, OcpiError
from roaming.api.errors import UNKNOWN_LOCATION

from .ocpi import connector_to_ocpi, evse_to_ocpi, location_to_hub
from .selectors import locations_for_ocpi, locations_ocpi_json, sender_locations


def _unknown(what: str) -> OcpiError:
    return OcpiError(UNKNOWN_LOCATION, f"Unknown {what}", http_status=404)


class LocationsView(OcpiAPIView):
    module = "locations"

    def get(self, request, location_id=None, evse_uid=None, connector_id=None):
        # Issue 18.5: shared locations, and withdrawn ones the hub holds (publish=false);
        # never one the hub was never sent. Held-back EVSEs are left out (issue 19.1).
        served = sender_locations(request.ocpi_to_operator, platform=request.user)
        if location_id is None:
            # Written by PostgreSQL as location_to_hub would: no Python object per row.
            ids = served.values_list("pk", flat=True)
            return self.paginated(ids, page_to_ocpi=locations_ocpi_json)
        location = locations_for_ocpi(served).filter(ocpi_id__iexact=location_id).first()
        if location is None:
            raise _unknown("location")
        if evse_uid is None:
            return Response(location_to_hub(location))
        evse = next(
            (
                e
                for e in location.evses.all()
                if e.uid.upper() == evse_uid.upper() and not e.missing_for_gireve()
            ),
            None,
        )
        if evse is None:
            raise _unknown("EVSE")
        if connector_id is None:
            return Response(evse_to_ocpi(evse))
        connector = next((c for c in evse.connectors.all() if c.ocpi_id == connector_id), None)
        if connector is None:
            raise _unknown("connector")
        return Response(connector_to_ocpi(connector, tariff_ids=evse.tariff_ids))
