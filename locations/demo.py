"""Demo operators and French locations (`demo_data`); creates only what is missing.

One location (Bordeaux) is deliberately incomplete for Gireve (no owner, no capabilities)
so that the admin shows a "not publishable" example.
"""

from django.db import transaction
from django.utils import timezone

from roaming.models import Operator
from roaming.ocpi_time import format_datetime

from .models import Location
from .services import import_locations, save_operator

OPERATORS = [
    ("FR", "AB1", "Électro Route", "https://www.electro-route.example"),
    ("FR", "XY2", "VoltCité", "https://www.voltcite.example"),
]
AC_CAPABILITIES = ["RFID_READER", "REMOTE_START_STOP_CAPABLE", "UNLOCK_CAPABLE"]
DC_CAPABILITIES = [*AC_CAPABILITIES, "CREDIT_CARD_PAYABLE", "CONTACTLESS_CARD_SUPPORT"]


def _ac_evse(operator: str, uid: str, number: str, capabilities=AC_CAPABILITIES) -> dict:
    """AC 22 kW: Type 2 socket, 3-phase 32 A 230 V."""
    return {
        "uid": uid,
        "evse_id": f"{operator}*E{number}",
        "status": "AVAILABLE",
        "capabilities": capabilities,
        "connectors": [
            {
                "id": "1",
                "standard": "IEC_62196_T2",
                "format": "SOCKET",
                "power_type": "AC_3_PHASE",
                "max_voltage": 230,
                "max_amperage": 32,
                "max_electric_power": 22000,
                "tariff_ids": ["AC_22KW"],
            }
        ],
    }


def _dc_evse(operator: str, uid: str, number: str) -> dict:
    """DC 150 kW multi-connector: CCS2 and CHAdeMO cables, one at a time."""
    return {
        "uid": uid,
        "evse_id": f"{operator}*E{number}",
        "status": "AVAILABLE",
        "capabilities": DC_CAPABILITIES,
        "connectors": [
            {
                "id": "1",
                "standard": "IEC_62196_T2_COMBO",
                "format": "CABLE",
                "power_type": "DC",
                "max_voltage": 500,
                "max_amperage": 300,
                "max_electric_power": 150000,
                "tariff_ids": ["DC_150KW"],
            },
            {
                "id": "2",
                "standard": "CHADEMO",
                "format": "CABLE",
                "power_type": "DC",
                "max_voltage": 500,
                "max_amperage": 125,
                "max_electric_power": 50000,
                "tariff_ids": ["DC_150KW"],
            },
        ],
    }


def _location(operator: str, location_id: str, evses: list[dict], **fields) -> dict:
    country_code, party_id = operator.split("*")
    return {
        "country_code": country_code,
        "party_id": party_id,
        "id": location_id,
        "publish": True,
        "country": "FRA",
        "time_zone": "Europe/Paris",
        "evses": evses,
        **fields,
    }


def demo_locations() -> list[dict]:
    ab1, xy2 = "FR*AB1", "FR*XY2"
    return [
        _location(
            ab1,
            "PAR-SAINT-GERMAIN",
            [_ac_evse(ab1, "PAR-SG-1", "PARSG1"), _ac_evse(ab1, "PAR-SG-2", "PARSG2")],
            name="Boulevard Saint-Germain",
            address="169 Boulevard Saint-Germain",
            city="Paris",
            postal_code="75006",
            coordinates={"latitude": "48.853900", "longitude": "2.333300"},
            parking_type="ON_STREET",
            owner={"name": "Ville de Paris"},
            opening_times={"twentyfourseven": True},
        ),
        _location(
            ab1,
            "LYO-PART-DIEU",
            [
                _ac_evse(ab1, "LYO-PD-1", "LYOPD1"),
                _ac_evse(ab1, "LYO-PD-2", "LYOPD2"),
                _dc_evse(ab1, "LYO-PD-3", "LYOPD3"),
            ],
            name="Parking Gare Part-Dieu",
            address="Boulevard Marius Vivier Merle",
            city="Lyon",
            postal_code="69003",
            coordinates={"latitude": "45.760500", "longitude": "4.859600"},
            parking_type="PARKING_GARAGE",
            owner={"name": "Lyon Parc Auto"},
            facilities=["TRAIN_STATION", "PARKING_LOT"],
            opening_times={
                "twentyfourseven": False,
                "regular_hours": [
                    {"weekday": day, "period_begin": "05:00", "period_end": "23:59"}
                    for day in range(1, 8)
                ],
            },
            charging_when_closed=True,
        ),
        _location(
            ab1,
            "A6-BEAUNE-TAILLY",
            [
                _dc_evse(ab1, "A6-BT-1", "A6BT1"),
                _dc_evse(ab1, "A6-BT-2", "A6BT2"),
                _ac_evse(ab1, "A6-BT-3", "A6BT3"),
            ],
            name="Aire de Beaune-Tailly (A6)",
            address="Autoroute A6, aire de Beaune-Tailly",
            city="Tailly",
            postal_code="21190",
            coordinates={"latitude": "46.979400", "longitude": "4.812700"},
            parking_type="ALONG_MOTORWAY",
            owner={"name": "APRR"},
            facilities=["RESTAURANT", "FUEL_STATION", "WIFI"],
            opening_times={"twentyfourseven": True},
        ),
        _location(
            xy2,
            "MRS-VIEUX-PORT",
            [_ac_evse(xy2, "MRS-VP-1", "MRSVP1"), _ac_evse(xy2, "MRS-VP-2", "MRSVP2")],
            name="Parking Vieux-Port",
            address="Quai du Port",
            city="Marseille",
            postal_code="13002",
            coordinates={"latitude": "43.296500", "longitude": "5.369800"},
            parking_type="UNDERGROUND_GARAGE",
            owner={"name": "Ville de Marseille"},
        ),
        # Deliberately not publishable: no owner, EVSE without capabilities (Gireve §3.5.1).
        _location(
            xy2,
            "BDX-QUINCONCES",
            [_ac_evse(xy2, "BDX-QC-1", "BDXQC1", capabilities=[])],
            name="Esplanade des Quinconces",
            address="Esplanade des Quinconces",
            city="Bordeaux",
            postal_code="33000",
            coordinates={"latitude": "44.845000", "longitude": "-0.574000"},
            parking_type="ON_STREET",
        ),
    ]


def _stamp(location: dict, now: str) -> dict:
    location["last_updated"] = now
    for evse in location["evses"]:
        evse["last_updated"] = now
        for connector in evse["connectors"]:
            connector["last_updated"] = now
    return location


@transaction.atomic
def ensure_demo_locations() -> list[Location]:
    """Create the demo operators and locations that do not exist yet; the locations created."""
    for country_code, party_id, name, website in OPERATORS:
        if not Operator.objects.party(country_code, party_id).exists():
            save_operator(
                operator=Operator(
                    country_code=country_code, party_id=party_id, name=name, website=website
                )
            )
    now = format_datetime(timezone.now())
    missing = [
        _stamp(location, now)
        for location in demo_locations()
        if not Location.objects.filter(
            operator__in=Operator.objects.party(location["country_code"], location["party_id"]),
            ocpi_id__iexact=location["id"],
        ).exists()
    ]
    return import_locations(missing, label="demo data").objects if missing else []
