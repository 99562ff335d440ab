"""OCPI 2.2.1 Location JSON out of (and into) our models.

Out: `location_to_ocpi`, `evse_to_ocpi`, `connector_to_ocpi` build the objects exactly as
mod_locations defines them; optional fields are left out when empty. Use them on
`locations.selectors.locations_for_ocpi()` querysets so that serialization costs no query.
In: `parse_location` checks an inbound Location object and returns it as model field values,
with errors that name the location, EVSE uid, connector id and field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from roaming.ocpi_io import ImportRefused
from roaming.ocpi_time import format_datetime, parse_datetime

from . import enums
from . import ocpi_classes as oc
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


def location_to_ocpi(location: Location, *, evses: bool = True) -> dict:
    """OCPI Location; `evses=False` leaves its EVSEs out (compare a location's own fields)."""
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
    if evses:
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


def location_to_hub(location: Location) -> dict:
    """The location as the hub may hold it: its EVSEs complete for Gireve only (an incomplete
    one is held back, issue 19.1; OCPI EVSE.connectors is 1..*), and publish=false unless
    the location is shared (published and complete for Gireve §3.5.1: a withdrawal, OCPI
    2.2.1 Location.publish)."""
    obj = location_to_ocpi(location)
    sent = {evse.uid for evse in location.evses.all() if not evse.missing_for_gireve()}
    obj["evses"] = [evse for evse in obj["evses"] if evse["uid"] in sent]
    if not (location.publish and location.is_publishable):
        obj["publish"] = False
    return obj


# --- inbound Location JSON ---------------------------------------------------


_CONNECTOR_FIELDS = {
    "id": (oc.url_id, True),
    "standard": (oc.enum(enums.ConnectorType), True),
    "format": (oc.enum(enums.ConnectorFormat), True),
    "power_type": (oc.enum(enums.PowerType), True),
    "max_voltage": (oc.integer(0), True),
    "max_amperage": (oc.integer(0), True),
    "max_electric_power": (oc.integer(0), False),
    "tariff_ids": (oc.tariff_ids, False),
    "terms_and_conditions": (oc.url, False),
    "last_updated": (oc.datetime, True),
}
_EVSE_FIELDS = {
    "uid": (oc.url_id, True),
    "evse_id": (oc.string(48, ci=True), False),
    "status": (oc.enum(enums.Status), True),
    "status_schedule": (oc.list_of(oc.status_schedule), False),
    "capabilities": (oc.capabilities, False),
    "connectors": (oc.list_of(lambda value, path: []), True),  # checked one by one below
    "floor_level": (oc.string(4), False),
    "coordinates": (oc.geo_location, False),
    "physical_reference": (oc.string(16), False),
    "directions": (oc.display_texts, False),
    "parking_restrictions": (oc.parking_restrictions, False),
    "images": (oc.images, False),
    "last_updated": (oc.datetime, True),
}
_LOCATION_FIELDS = {
    "country_code": (oc.string(2, ci=True), True),
    "party_id": (oc.string(3, ci=True), True),
    "id": (oc.url_id, True),
    "publish": (oc.boolean, True),
    "publish_allowed_to": (oc.list_of(oc.publish_token), False),
    "name": (oc.string(255), False),
    "address": (oc.string(255), True),
    "city": (oc.string(45), True),
    "postal_code": (oc.string(10), False),
    "state": (oc.string(45), False),
    "country": (oc.string(3), True),
    "coordinates": (oc.geo_location, True),
    "related_locations": (oc.list_of(oc.additional_geo_location), False),
    "parking_type": (oc.enum(enums.ParkingType), False),
    "evses": (oc.list_of(lambda value, path: []), False),  # checked one by one below
    "directions": (oc.display_texts, False),
    "operator": (oc.business_details, False),
    "suboperator": (oc.business_details, False),
    "owner": (oc.business_details, False),
    "facilities": (oc.facilities, False),
    "time_zone": (oc.string(255), True),
    "opening_times": (oc.hours, False),
    "charging_when_closed": (oc.boolean, False),
    "images": (oc.images, False),
    "energy_mix": (oc.energy_mix, False),
    "last_updated": (oc.datetime, True),
}


@dataclass
class ParsedConnector:
    fields: dict


@dataclass
class ParsedEVSE:
    fields: dict
    connectors: list[ParsedConnector]
    label: str
    warnings: list[str] = field(default_factory=list)


@dataclass
class ParsedLocation:
    country_code: str
    party_id: str
    fields: dict
    operator: dict | None
    evses: list[ParsedEVSE]
    label: str


def _problems(check, value, label: str) -> list[str]:
    return [f"{label}: {problem}" for problem in check(value, "")]


def _check(fields: dict, value, label: str) -> list[str]:
    # Paths come out as ".field"; drop the leading dot for readability.
    return [p.replace(": .", ": ", 1) for p in _problems(oc.obj(fields), value, label)]


def _duplicates(ids: list[str]) -> list[str]:
    upper = [i.upper() for i in ids]
    return sorted({i for i in ids if upper.count(i.upper()) > 1})


def parse_location(data, *, label: str = "") -> ParsedLocation:
    """Check one OCPI Location object; model field values or ImportRefused."""
    if not isinstance(data, dict):
        raise ImportRefused([f"{label or 'location'}: must be a JSON object."])
    label = f"{label}location {data.get('id', '?')}".strip()
    errors = _check(_LOCATION_FIELDS, data, label)
    evses = []
    evse_list = data.get("evses") if isinstance(data.get("evses"), list) else []
    for evse_data in evse_list:
        evse_label = (
            f"{label}, EVSE {evse_data.get('uid', '?') if isinstance(evse_data, dict) else '?'}"
        )
        if not isinstance(evse_data, dict):
            errors.append(f"{evse_label}: must be a JSON object.")
            continue
        errors += _check(_EVSE_FIELDS, evse_data, evse_label)
        connectors = []
        connector_list = evse_data.get("connectors")
        for connector_data in connector_list if isinstance(connector_list, list) else []:
            if not isinstance(connector_data, dict):
                errors.append(f"{evse_label}, connector ?: must be a JSON object.")
                continue
            connector_label = f"{evse_label}, connector {connector_data.get('id', '?')}"
            errors += _check(_CONNECTOR_FIELDS, connector_data, connector_label)
            connectors.append(connector_data)
        if isinstance(connector_list, list) and not connector_list:
            errors.append(f"{evse_label}: connectors: at least one connector is required.")
        for duplicate in _duplicates([str(c.get("id")) for c in connectors]):
            errors.append(f"{evse_label}: connector id {duplicate} appears twice.")
        evses.append((evse_label, evse_data, connectors))
    for duplicate in _duplicates([str(e.get("uid")) for _, e, _ in evses]):
        errors.append(f"{label}: EVSE uid {duplicate} appears twice.")
    if errors:
        raise ImportRefused(errors)
    return ParsedLocation(
        country_code=data["country_code"],
        party_id=data["party_id"],
        fields=_location_fields(data),
        operator=data.get("operator"),
        evses=[_parsed_evse(lbl, e, cs) for lbl, e, cs in evses],
        label=label,
    )


def _location_fields(data: dict) -> dict:
    return {
        "ocpi_id": data["id"],
        "publish": data["publish"],
        "publish_allowed_to": data.get("publish_allowed_to") or [],
        "name": data.get("name") or "",
        "address": data["address"],
        "city": data["city"],
        "postal_code": data.get("postal_code") or "",
        "state": data.get("state") or "",
        "country": data["country"],
        "latitude": data["coordinates"]["latitude"],
        "longitude": data["coordinates"]["longitude"],
        "related_locations": data.get("related_locations") or [],
        "parking_type": data.get("parking_type") or "",
        "directions": data.get("directions") or [],
        "operator_details": data.get("operator"),
        "suboperator": data.get("suboperator"),
        "owner": data.get("owner"),
        "facilities": data.get("facilities") or [],
        "time_zone": data["time_zone"],
        "opening_times": data.get("opening_times"),
        "charging_when_closed": data.get("charging_when_closed"),
        "images": data.get("images") or [],
        "energy_mix": data.get("energy_mix"),
        "last_updated": parse_datetime(data["last_updated"]),
    }


def _parsed_evse(label: str, data: dict, connectors: list[dict]) -> ParsedEVSE:
    coordinates = data.get("coordinates") or {}
    tariff_groups = [c.get("tariff_ids") or [] for c in connectors]
    warnings = []
    if any(group != tariff_groups[0] for group in tariff_groups):
        # Gireve §3.5.5: IOP keeps the first connector's tariff_ids for the whole EVSE.
        warnings.append(
            f"{label}: connectors have different tariff_ids; the EVSE keeps the first "
            f"connector's {tariff_groups[0]} (Gireve applies tariffs per EVSE)."
        )
    fields = {
        "uid": data["uid"],
        "evse_id": data.get("evse_id") or "",
        "status": data["status"],
        "status_schedule": data.get("status_schedule") or [],
        "capabilities": data.get("capabilities") or [],
        "floor_level": data.get("floor_level") or "",
        "latitude": coordinates.get("latitude", ""),
        "longitude": coordinates.get("longitude", ""),
        "physical_reference": data.get("physical_reference") or "",
        "directions": data.get("directions") or [],
        "parking_restrictions": data.get("parking_restrictions") or [],
        "images": data.get("images") or [],
        "tariff_ids": tariff_groups[0] if tariff_groups else [],
        "last_updated": parse_datetime(data["last_updated"]),
    }
    parsed_connectors = [
        ParsedConnector(
            fields={
                "ocpi_id": c["id"],
                "standard": c["standard"],
                "format": c["format"],
                "power_type": c["power_type"],
                "max_voltage": c["max_voltage"],
                "max_amperage": c["max_amperage"],
                "max_electric_power": c.get("max_electric_power"),
                "terms_and_conditions": c.get("terms_and_conditions") or "",
                "last_updated": parse_datetime(c["last_updated"]),
            }
        )
        for c in connectors
    ]
    return ParsedEVSE(fields=fields, connectors=parsed_connectors, label=label, warnings=warnings)
