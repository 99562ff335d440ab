"""Every OCPI CDR field in plain words (OCPI 2.2.1 mod_cdrs CDR object), for the detail page."""

from __future__ import annotations

from roaming.ocpi_time import parse_datetime

AUTH_METHODS = {
    "AUTH_REQUEST": "real-time authorization asked to the eMSP through the hub",
    "COMMAND": "started by a remote command of the eMSP",
    "WHITELIST": "allowed by a whitelist, no eMSP asked",
}
DIMENSIONS = {
    "ENERGY": ("energy", "kWh"),
    "TIME": ("charging time", "h"),
    "PARKING_TIME": ("parking time", "h"),
    "RESERVATION_TIME": ("reservation time", "h"),
    "FLAT": ("flat", ""),
    "MAX_CURRENT": ("max current", "A"),
    "MIN_CURRENT": ("min current", "A"),
    "MAX_POWER": ("max power", "kW"),
    "MIN_POWER": ("min power", "kW"),
}


def _when(value: str | None, zone) -> str:
    if not value:
        return ""
    moment = parse_datetime(value)
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M:%S} {zone.key} ({value})"


def _price(value: dict | None, currency: str) -> str:
    if not value:
        return ""
    text = f"{value.get('excl_vat')} {currency} excl. VAT"
    if value.get("incl_vat") is not None:
        text += f", {value['incl_vat']} {currency} incl. VAT"
    return text


def cdr_fields(data: dict, zone) -> list[tuple[str, str, str]]:
    """(plain label, OCPI field name, value) for every field the CDR carries."""
    token = data.get("cdr_token") or {}
    where = data.get("cdr_location") or {}
    currency = data.get("currency", "")
    coordinates = where.get("coordinates") or {}
    rows = [
        ("Operator (CPO) that issued it", "country_code / party_id",
         f"{data.get('country_code')}*{data.get('party_id')}"),
        ("CDR id", "id", data.get("id")),
        ("Session id", "session_id", data.get("session_id", "")),
        ("Charge started", "start_date_time", _when(data.get("start_date_time"), zone)),
        ("Charge ended (EV left)", "end_date_time", _when(data.get("end_date_time"), zone)),
        ("eMSP of the driver", "cdr_token.country_code / party_id",
         f"{token.get('country_code')}*{token.get('party_id')}"),
        ("Token uid and type", "cdr_token.uid / type", f"{token.get('uid')} ({token.get('type')})"),
        ("Contract id of the driver", "cdr_token.contract_id", token.get("contract_id", "")),
        ("How it was authorized", "auth_method",
         AUTH_METHODS.get(data.get("auth_method"), data.get("auth_method", ""))),
        ("eMSP's authorization reference", "authorization_reference",
         data.get("authorization_reference", "")),
        ("Location", "cdr_location.id / name",
         f"{where.get('id')} — {where.get('name', '')}".strip(" —")),
        ("Address", "cdr_location.address / postal_code / city / country",
         ", ".join(str(where.get(n)) for n in ("address", "postal_code", "city", "country")
                   if where.get(n))),
        ("Coordinates", "cdr_location.coordinates",
         f"{coordinates.get('latitude')}, {coordinates.get('longitude')}" if coordinates else ""),
        ("Charge point (EVSE)", "cdr_location.evse_uid / evse_id",
         f"{where.get('evse_uid')} / {where.get('evse_id')}"),
        ("Connector", "cdr_location.connector_id / standard / format / power_type",
         " / ".join(str(where.get(n)) for n in ("connector_id", "connector_standard",
                                                  "connector_format", "connector_power_type")
                    if where.get(n))),
        ("Meter id", "meter_id", data.get("meter_id", "")),
        ("Currency", "currency", currency),
        ("Tariff used", "tariffs", ", ".join(str(t.get("id")) for t in data.get("tariffs") or [])
         or "none"),
        ("Total cost", "total_cost", _price(data.get("total_cost"), currency)),
        ("Fixed cost (start fees)", "total_fixed_cost",
         _price(data.get("total_fixed_cost"), currency)),
        ("Energy delivered", "total_energy", f"{data.get('total_energy')} kWh"),
        ("Cost of the energy", "total_energy_cost",
         _price(data.get("total_energy_cost"), currency)),
        ("Session time (charging and parking)", "total_time", f"{data.get('total_time')} h"),
        ("Cost of the charging time", "total_time_cost",
         _price(data.get("total_time_cost"), currency)),
        ("Time parked after charging", "total_parking_time",
         f"{data.get('total_parking_time')} h" if "total_parking_time" in data else ""),
        ("Cost of the parking time", "total_parking_cost",
         _price(data.get("total_parking_cost"), currency)),
        ("Cost of the reservation", "total_reservation_cost",
         _price(data.get("total_reservation_cost"), currency)),
        ("Remark", "remark", data.get("remark", "")),
        ("Credit CDR (negative amounts)", "credit", "yes" if data.get("credit") else "no"),
        ("Credit of CDR", "credit_reference_id", data.get("credit_reference_id", "")),
        ("Home-charging compensation", "home_charging_compensation",
         "yes" if data.get("home_charging_compensation") else ""),
        ("Invoice reference", "invoice_reference_id", data.get("invoice_reference_id", "")),
        ("Last updated", "last_updated", _when(data.get("last_updated"), zone)),
    ]  # fmt: skip
    return [(label, name, value) for label, name, value in rows if value not in ("", None)]


def period_rows(data: dict, zone) -> list[dict]:
    """Charging periods: local start, tariff id, each dimension in words."""
    result = []
    periods = data.get("charging_periods") or []
    for i, period in enumerate(periods):
        start = parse_datetime(period["start_date_time"])
        following = periods[i + 1]["start_date_time"] if i + 1 < len(periods) else None
        end = parse_datetime(following or data["end_date_time"])
        result.append(
            {
                "number": i + 1,
                "start": start.astimezone(zone),
                "end": end.astimezone(zone),
                "tariff_id": period.get("tariff_id", ""),
                "dimensions": [
                    f"{DIMENSIONS.get(d['type'], (d['type'], ''))[0]} {d['volume']} "
                    f"{DIMENSIONS.get(d['type'], ('', ''))[1]}".strip()
                    for d in period.get("dimensions", [])
                ],
            }
        )
    return result
