"""Demo tariffs for the tariff ids the demo locations name (manage.py demo_data)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from roaming.models import Operator

from . import services
from .enums import TariffType
from .models import Tariff

START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
# Per kWh and per hour of parking after charging (excl. VAT), French VAT 20 %.
ELEMENTS = {
    "AC_22KW": [
        {
            "price_components": [
                {"type": "ENERGY", "price": Decimal("0.35"), "vat": Decimal("20.0"), "step_size": 1}
            ]
        },
    ],
    "DC_150KW": [
        {
            "price_components": [
                {"type": "FLAT", "price": Decimal("0.50"), "vat": Decimal("20.0"), "step_size": 1}
            ]
        },
        {
            "price_components": [
                {"type": "ENERGY", "price": Decimal("0.55"), "vat": Decimal("20.0"), "step_size": 1}
            ]
        },
    ],
}
DEFAULT_ELEMENTS = ELEMENTS["AC_22KW"]


def ensure_demo_tariffs(locations: list[dict]) -> int:
    """A REGULAR tariff for every (operator, tariff id) the demo EVSEs name, when missing."""
    wanted: dict[tuple[str, str], set[str]] = {}
    for location in locations:
        for evse in location.get("evses", []):
            for connector in evse.get("connectors", [])[:1]:  # Gireve §3.10.5: first one
                key = (location["country_code"].upper(), location["party_id"].upper())
                wanted.setdefault(key, set()).update(connector.get("tariff_ids") or [])
    created = 0
    for (country_code, party_id), tariff_ids in sorted(wanted.items()):
        operator = Operator.objects.party(country_code, party_id).first()
        if operator is None:
            continue
        for tariff_id in sorted(tariff_ids):
            if Tariff.objects.filter(operator=operator, ocpi_id__iexact=tariff_id).exists():
                continue
            services.save_tariff(
                tariff=Tariff(
                    operator=operator,
                    ocpi_id=tariff_id,
                    currency="EUR",
                    type=TariffType.REGULAR,
                    elements=ELEMENTS.get(tariff_id, DEFAULT_ELEMENTS),
                    start_date_time=START,
                )
            )
            created += 1
    return created
