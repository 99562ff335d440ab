"""Locations sender interface (OCPI 2.2.1 mod_locations §Sender Interface)."""

from roaming.api import OcpiError, OcpiView, ocpi_response, paginated_response
from roaming.api.base import UNKNOWN_LOCATION

from .ocpi import connector_to_ocpi, evse_to_ocpi, location_to_hub
from .selectors import sender_locations


def _unknown(what: str) -> OcpiError:
    return OcpiError(UNKNOWN_LOCATION, f"Unknown {what}", http_status=404)


class LocationsView(OcpiView):
    module = "locations"

    def get(self, request, location_id=None, evse_uid=None, connector_id=None):
        # Issue 9.7: an incomplete location is served with publish=false (location_to_hub).
        locations = sender_locations(request.ocpi_to_operator)
        if location_id is None:
            return paginated_response(request, locations, location_to_hub, module=self.module)
        location = locations.filter(ocpi_id__iexact=location_id).first()
        if location is None:
            raise _unknown("location")
        if evse_uid is None:
            return ocpi_response(location_to_hub(location))
        evse = next((e for e in location.evses.all() if e.uid.upper() == evse_uid.upper()), None)
        if evse is None:
            raise _unknown("EVSE")
        if connector_id is None:
            return ocpi_response(evse_to_ocpi(evse))
        connector = next((c for c in evse.connectors.all() if c.ocpi_id == connector_id), None)
        if connector is None:
            raise _unknown("connector")
        return ocpi_response(connector_to_ocpi(connector, tariff_ids=evse.tariff_ids))
