"""A Paris charger with a simple tariff, three charges made through the session services,
and staff users of each kind: the cast of the finance UI tests."""

import datetime as dt
from decimal import Decimal

import pytest

from roaming.groups import ensure_staff_groups
from sessions.finance.demo import charge
from tariffs import services as tariff_services
from tests.factories import (
    ConnectorFactory,
    EVSEFactory,
    LocationFactory,
    TariffFactory,
    UserFactory,
)

# 0.40/kWh and parking 6.00/h billed per started minute, both 20 % VAT: sums by hand.
SIMPLE = [
    {
        "price_components": [
            {"type": "ENERGY", "price": "0.40", "vat": "20.0", "step_size": 1},
            {"type": "PARKING_TIME", "price": "6.00", "vat": "20.0", "step_size": 60},
        ]
    }
]
DE_TNM = {"country_code": "DE", "party_id": "TNM", "uid": "0102030405060708", "type": "RFID",
          "contract_id": "DE-TNM-C12345678-X"}  # fmt: skip
NL_EMP = {"country_code": "NL", "party_id": "EMP", "uid": "AABBCCDD", "type": "RFID",
          "contract_id": "NL-EMP-C00000042-K"}  # fmt: skip


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture
def charger(db):
    location = LocationFactory(time_zone="Europe/Paris", ocpi_id="PARIS-1")
    evse = EVSEFactory(location=location, uid="E1", tariff_ids=["SIMPLE"])
    ConnectorFactory(evse=evse)
    tariff_services.save_tariff(
        tariff=TariffFactory.build(
            operator=location.operator, ocpi_id="SIMPLE", elements=SIMPLE,
            start_date_time=utc(2026, 1, 1),
        )
    )  # fmt: skip
    return evse


@pytest.fixture
def three_charges(charger):
    """A: DE*TNM 10 kWh in March (4.0000 / 4.8000); B: NL*EMP 20 kWh + 30 min parking in
    March (8.0000 + 3.0000 = 11.0000 / 13.2000); C: DE*TNM 5 kWh in April (2.0000 / 2.4000)."""
    plans = {
        "A": (DE_TNM, utc(2026, 3, 3, 9, 0), Decimal("10"), 60, 0),
        "B": (NL_EMP, utc(2026, 3, 10, 17, 0), Decimal("20"), 90, 30),
        "C": (DE_TNM, utc(2026, 4, 2, 8, 0), Decimal("5"), 30, 0),
    }
    sessions = {}
    for name, (token, start, kwh, minutes, parking) in plans.items():
        sessions[name] = charge(
            evse=charger, token=token, start=start, kwh=kwh, minutes=minutes,
            parking_minutes=parking, transaction_id=f"T-{name}",
        )  # fmt: skip
    return {name: session.cdrs.get() for name, session in sessions.items()}


@pytest.fixture
def staff(db):
    groups = ensure_staff_groups()
    users = {
        "superuser": UserFactory(username="root", is_superuser=True),
        "no group": UserFactory(username="nobody"),
    }
    for name in ("operations", "finance"):
        users[name] = UserFactory(username=f"{name}-user")
        users[name].groups.add(groups[name])
    return users
