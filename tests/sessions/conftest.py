"""A charger of ours with a day/night tariff, an eMSP token as the hub gave it, and helpers
to run a charge through sessions.session_services."""

import datetime as dt

import pytest

from roaming.models import Platform
from tariffs import services as tariff_services
from tests.factories import ConnectorFactory, EVSEFactory, LocationFactory, TariffFactory

# Energy 0.15/kWh at weekends, else 0.20/kWh from 22:00 to 06:00 local time and 0.30/kWh by
# day; charging time 1.20/h; parking 6.00/h; a 1.00 start fee (every component 20 % VAT).
DAY_NIGHT = [
    {
        "price_components": [{"type": "ENERGY", "price": "0.15", "vat": "20.0", "step_size": 1}],
        "restrictions": {"day_of_week": ["SATURDAY", "SUNDAY"]},
    },
    {
        "price_components": [{"type": "ENERGY", "price": "0.20", "vat": "20.0", "step_size": 1}],
        "restrictions": {"start_time": "22:00", "end_time": "06:00"},
    },
    {
        "price_components": [
            {"type": "FLAT", "price": "1.00", "vat": "20.0", "step_size": 1},
            {"type": "ENERGY", "price": "0.30", "vat": "20.0", "step_size": 1},
            {"type": "TIME", "price": "1.20", "vat": "20.0", "step_size": 60},
            {"type": "PARKING_TIME", "price": "6.00", "vat": "20.0", "step_size": 60},
        ]
    },
]
# The same tariff id as eMSP NL*EMP sees it (Gireve §3.10.4): energy 0.10/kWh all day.
NL_EMP = [
    {
        "price_components": [
            {"type": "ENERGY", "price": "0.10", "vat": "21.0", "step_size": 1},
            {"type": "PARKING_TIME", "price": "3.00", "vat": "21.0", "step_size": 60},
        ]
    }
]

TOKEN = {
    "country_code": "DE",
    "party_id": "TNM",
    "uid": "0102030405060708",
    "type": "RFID",
    "contract_id": "DE-TNM-C12345678-X",
}


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture
def charger(db):
    """(evse, connector) at a Paris location whose EVSE names tariff DAYNIGHT."""
    location = LocationFactory(time_zone="Europe/Paris")
    evse = EVSEFactory(location=location, uid="E1", tariff_ids=["DAYNIGHT"])
    connector = ConnectorFactory(evse=evse)
    start = utc(2026, 1, 1)
    for target, elements in ((("", ""), DAY_NIGHT), (("NL", "EMP"), NL_EMP)):
        tariff_services.save_tariff(
            tariff=TariffFactory.build(
                operator=location.operator,
                ocpi_id="DAYNIGHT",
                elements=elements,
                start_date_time=start,
                target_operator_country_code=target[0],
                target_operator_party_id=target[1],
            )
        )
    return evse, connector


@pytest.fixture
def put_hub(connected_hub):
    """The IOP simulator, taking full PUT session updates (Gireve §3.8.3)."""
    connected_hub.session_update_method = Platform.SessionUpdate.PUT
    connected_hub.save()
    return connected_hub


@pytest.fixture
def patch_hub(connected_hub):
    """The IOP simulator, taking PATCH session updates (the option IOP does not process yet)."""
    connected_hub.session_update_method = Platform.SessionUpdate.PATCH
    connected_hub.save()
    return connected_hub
