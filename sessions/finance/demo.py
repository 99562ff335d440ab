"""Demo charging for the finance UI: a few months of priced sessions and their CDRs.

Every charge goes through sessions.session_services (start, meter values, stop, EV left),
so the CDRs are built, checked and priced exactly as in production. Deterministic (a seeded
random), idempotent (nothing is added once demo sessions exist), a few hundred CDRs so that
`bash .ci/start` stays quick.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from locations.models import EVSE
from roaming import audit
from roaming.models import Operator
from tariffs import services as tariff_services
from tariffs.enums import TariffType
from tariffs.models import Tariff

from .. import cdr_services, session_services
from ..charging_periods import Sample
from ..models import Cdr, Session

TRANSACTION_PREFIX = "DEMO-FIN-"
# Demo eMSPs (fictitious parties) and the drivers' contracts they issue.
EMSPS = [
    ("FR", "MOB", "MobiCharge"),
    ("DE", "EVP", "EV-Pass"),
    ("NL", "EMP", "E-Mobility Partners"),
    ("BE", "VLT", "Voltaro"),
]
# Gireve §3.10.4: NL*EMP negotiated its own description of AC_22KW at FR*AB1 (night energy
# cheaper, parking billed after charging); every other eMSP gets the default one.
TARGETED = {
    "operator": ("FR", "AB1"),
    "tariff_id": "AC_22KW",
    "emsp": ("NL", "EMP"),
    "elements": [
        {
            "price_components": [
                {"type": "ENERGY", "price": Decimal("0.25"), "vat": Decimal("21.0"), "step_size": 1}
            ],
            "restrictions": {"start_time": "22:00", "end_time": "06:00"},
        },
        {
            "price_components": [
                {
                    "type": "ENERGY",
                    "price": Decimal("0.32"),
                    "vat": Decimal("21.0"),
                    "step_size": 1,
                },
                {
                    "type": "PARKING_TIME",
                    "price": Decimal("4.80"),
                    "vat": Decimal("21.0"),
                    "step_size": 300,
                },
            ]
        },
    ],
}
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def ensure_targeted_tariff() -> bool:
    """The NL*EMP description of AC_22KW at FR*AB1, when that operator exists and it does not."""
    operator = Operator.objects.party(*TARGETED["operator"]).first()
    if operator is None:
        return False
    country, party = TARGETED["emsp"]
    exists = Tariff.objects.filter(
        operator=operator,
        ocpi_id__iexact=TARGETED["tariff_id"],
        target_operator_country_code=country,
        target_operator_party_id=party,
    ).exists()
    if not exists:
        tariff_services.save_tariff(
            tariff=Tariff(
                operator=operator,
                ocpi_id=TARGETED["tariff_id"],
                target_operator_country_code=country,
                target_operator_party_id=party,
                currency="EUR",
                type=TariffType.REGULAR,
                elements=TARGETED["elements"],
                start_date_time=START,
            )
        )
    return not exists


def _token(rng: random.Random, emsp: tuple[str, str, str], driver: int) -> dict:
    country, party, _ = emsp
    return {
        "country_code": country,
        "party_id": party,
        "uid": f"{country}{party}{driver:010d}",
        "type": "RFID",
        "contract_id": f"{country}-{party}-C{driver:08d}-{rng.choice('ABCDEFGHJK')}",
    }


def charge(
    *,
    evse: EVSE,
    token: dict,
    start: dt.datetime,
    kwh: Decimal,
    minutes: int,
    parking_minutes: int,
    transaction_id: str,
) -> Session:
    """One charge through the services: start, a meter value every 15 min, stop, EV left."""
    connector = evse.connectors.order_by("pk").first()
    session = session_services.start_session(
        evse=evse,
        connector=connector,
        started_at=start,
        meter_start_wh=0,
        cdr_token=token,
        auth_method="AUTH_REQUEST",
        authorization_reference=transaction_id[-20:],
        transaction_id=transaction_id,
        now=start,
    )
    total_wh = int(kwh * 1000)
    steps = max(minutes // 15, 1)
    power = Decimal(total_wh * 60) / Decimal(minutes) if minutes else Decimal(0)
    samples = [
        Sample(
            start + dt.timedelta(minutes=15 * i),
            total_wh * i // steps,
            power_w=power.quantize(Decimal(1)),
        )
        for i in range(1, steps)
    ]
    if samples:
        session = session_services.record_meter_values(
            session=session, samples=samples, now=samples[-1].at
        )
    stopped = start + dt.timedelta(minutes=minutes)
    session = session_services.stop_transaction(
        session=session,
        stopped_at=stopped,
        meter_stop_wh=total_wh,
        reason="Local",
        ev_still_plugged=parking_minutes > 0,
        now=stopped,
    )
    if parking_minutes:
        left = stopped + dt.timedelta(minutes=parking_minutes)
        session = session_services.ev_left(session=session, left_at=left, now=left)
    return session


def _plan(rng: random.Random, evse: EVSE, start: dt.datetime) -> tuple[Decimal, int, int]:
    """kWh, minutes charging, minutes parked: fast charges on DC, longer ones on AC."""
    dc = any(c.power_type == "DC" for c in evse.connectors.all())
    if dc:
        minutes = rng.randint(15, 50)
        kwh = Decimal(rng.randint(15000, 65000)) / 1000
        parking = rng.choice([0, 0, 0, 5])
    else:
        minutes = rng.randint(45, 300)
        kwh = min(Decimal(rng.randint(4000, 45000)) / 1000, Decimal(minutes * 22) / 60)
        parking = rng.choice([0, 0, 10, 30, 75])
    return kwh, minutes, parking


@transaction.atomic
def create_demo_charging(*, today: dt.date, months: int = 3, per_day: int = 3) -> int:
    """Charges at the demo EVSEs (published, with tariffs) from `months` months before
    `today` until yesterday; then one credit and re-bill. Returns CDRs created (0 if any
    demo session already exists)."""
    if Session.objects.filter(transaction_id__startswith=TRANSACTION_PREFIX).exists():
        return 0
    ensure_targeted_tariff()
    evses = [
        evse
        for evse in EVSE.objects.select_related("location__operator")
        .prefetch_related("connectors")
        .filter(location__publish=True)
        .exclude(tariff_ids=[])
        .order_by("pk")
        if evse.connectors.all()
    ]
    if not evses:
        return 0
    rng = random.Random(15)
    first = (today.replace(day=1) - dt.timedelta(days=31 * (months - 1))).replace(day=1)
    before = Cdr.objects.count()
    day, number = first, 0
    while day < today:
        for _ in range(rng.randint(max(per_day - 2, 0), per_day + 2)):
            evse = rng.choice(evses)
            emsp = rng.choice(EMSPS)
            hour = rng.choice([7, 8, 9, 12, 13, 17, 18, 19, 21, 23])
            start = dt.datetime(
                day.year, day.month, day.day, hour, rng.randint(0, 59), tzinfo=dt.UTC
            )
            kwh, minutes, parking = _plan(rng, evse, start)
            number += 1
            charge(
                evse=evse,
                token=_token(rng, emsp, rng.randint(1, 40)),
                start=start,
                kwh=kwh,
                minutes=minutes,
                parking_minutes=parking,
                transaction_id=f"{TRANSACTION_PREFIX}{number:05d}",
            )
        day += dt.timedelta(days=1)
    _credit_one()
    return Cdr.objects.count() - before


def _credit_one() -> None:
    """A credit and re-bill, as finance would do after a dispute."""
    cdr = (
        Cdr.objects.filter(
            session__transaction_id__startswith=TRANSACTION_PREFIX,
            credit=False,
            state=Cdr.State.QUEUED,
        )
        .order_by("start_date_time")
        .first()
    )
    if cdr is None:
        return
    audit.record(actor=audit.command_actor("demo_finance"), action="demo_data", objects=[cdr])
    user = get_user_model().objects.get(username=audit.COMMANDS_USERNAME)
    cdr_services.credit_cdr(
        cdr=cdr,
        reason="Demo: the driver was billed for a charge interrupted by a faulty cable.",
        user=user,
        rebill=True,
    )
