"""OCPI 2.2.1 Location JSON out of (and into) our models.

Out: `location_to_ocpi`, `evse_to_ocpi`, `connector_to_ocpi` build the objects exactly as
mod_locations defines them; optional fields are left out when empty. Use them on
`locations.selectors.locations_for_ocpi()` querysets so that serialization costs no query.
In: `parse_location` checks an inbound Location object and returns it as model field values,
with errors that name the location, EVSE uid, connector id and field.
"""

from __future__ import annotations

from roaming.ocpi_time import format_datetime

from .models import EVSE, Connector, Location


def _put_optional(obj: dict, key: str, value) -> None:
    """OCPI cardinality ?/*: leave out what we do not have rather than sending null/""."""
    if value is None or value == "" or value == [] or value == {}:
        return
    obj[key] = value


def connector_to_ocpi(connector: Connector, *, tariff_ids: list[str] | None = None) -> dict:
    """OCPI Connector; `tariff_ids` are the EVSE's (Gireve §3.5.3: tariffs live on the EVSE)."""
    if tariff_ids is None:
        tariff_ids = connector.tariff_ids
    obj = {
        "id": connector.ocpi_id,
        "standard": connector.standard,
        "format": connector.format,
        "power_type": connector.power_type,
        "max_voltage": connector.max_voltage,
        "max_amperage": connector.max_amperage,
    }
    _put_optional(obj, "max_electric_power", connector.max_electric_power)
    _put_optional(obj, "tariff_ids", list(tariff_ids))
    _put_optional(obj, "terms_and_conditions", connector.terms_and_conditions)
    obj["last_updated"] = format_datetime(connector.last_updated)
    return obj


def evse_to_ocpi(evse: EVSE) -> dict:
    obj: dict = {"uid": evse.uid}
    _put_optional(obj, "evse_id", evse.evse_id)
    obj["status"] = evse.status
    _put_optional(obj, "status_schedule", evse.status_schedule)
    _put_optional(obj, "capabilities", evse.capabilities)
    obj["connectors"] = [
        connector_to_ocpi(connector, tariff_ids=evse.tariff_ids)
        for connector in evse.connectors.all()
    ]
    _put_optional(obj, "floor_level", evse.floor_level)
    if evse.latitude and evse.longitude:
        obj["coordinates"] = {"latitude": evse.latitude, "longitude": evse.longitude}
    _put_optional(obj, "physical_reference", evse.physical_reference)
    _put_optional(obj, "directions", evse.directions)
    _put_optional(obj, "parking_restrictions", evse.parking_restrictions)
    _put_optional(obj, "images", evse.images)
    obj["last_updated"] = format_datetime(evse.last_updated)
    return obj


def location_to_ocpi(location: Location) -> dict:
    operator = location.operator
    obj: dict = {
        "country_code": operator.country_code,
        "party_id": operator.party_id,
        "id": location.ocpi_id,
        "publish": location.publish,
    }
    _put_optional(obj, "publish_allowed_to", location.publish_allowed_to)
    _put_optional(obj, "name", location.name)
    obj["address"] = location.address
    obj["city"] = location.city
    _put_optional(obj, "postal_code", location.postal_code)
    _put_optional(obj, "state", location.state)
    obj["country"] = location.country
    obj["coordinates"] = {"latitude": location.latitude, "longitude": location.longitude}
    _put_optional(obj, "related_locations", location.related_locations)
    _put_optional(obj, "parking_type", location.parking_type)
    obj["evses"] = [evse_to_ocpi(evse) for evse in location.evses.all()]
    _put_optional(obj, "directions", location.directions)
    # OCPI: without `operator` the receiver falls back to credentials, which at a hub
    # are Gireve's; Gireve §3.5.1 wants operator.name, so send the Operator's details.
    obj["operator"] = location.operator_details or operator.business_details()
    _put_optional(obj, "suboperator", location.suboperator)
    _put_optional(obj, "owner", location.owner)
    _put_optional(obj, "facilities", location.facilities)
    obj["time_zone"] = location.time_zone
    _put_optional(obj, "opening_times", location.opening_times)
    _put_optional(obj, "charging_when_closed", location.charging_when_closed)
    _put_optional(obj, "images", location.images)
    _put_optional(obj, "energy_mix", location.energy_mix)
    obj["last_updated"] = format_datetime(location.last_updated)
    return obj
