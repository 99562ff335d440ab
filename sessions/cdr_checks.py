"""What a CDR must satisfy before it is queued for the hub (roaming-workflow §4.6).

A CDR "cannot be changed or replaced once sent" (OCPI 2.2.1 mod_cdrs), so one that fails
these checks is held for a person with the reasons, never sent. Pure: the CDR dict and the
session's data in, a list of sentences out (empty: good).
"""

from __future__ import annotations

from decimal import Decimal

from roaming.ocpi_time import parse_datetime
from tariffs.pricing import (
    PricingError,
    compile_tariff_once,
    price_cdr,
    select_tariff_for_emsp,
)

from .charging_periods import SESSION_ONLY_DIMENSIONS

# mod_cdrs: "Normal (non-credit) CDRs SHALL only have an ID with a maximum length of 36".
MAX_ID = 36
MAX_CREDIT_ID = 39


def _sum(cdr: dict, kind: str) -> Decimal:
    return sum(
        (
            Decimal(d["volume"])
            for period in cdr["charging_periods"]
            for d in period["dimensions"]
            if d["type"] == kind
        ),
        Decimal(0),
    )


def cdr_errors(cdr: dict, *, cdr_token: dict, session_total_cost: dict | None, time_zone: str):
    """Every broken invariant of `cdr`, in words a person can act on."""
    errors: list[str] = []
    limit = MAX_CREDIT_ID if cdr.get("credit") else MAX_ID
    if not cdr.get("id") or len(cdr["id"]) > limit:
        errors.append(f"id must be 1 to {limit} characters (mod_cdrs CDR object).")
    start, end = parse_datetime(cdr["start_date_time"]), parse_datetime(cdr["end_date_time"])
    if start > end:
        errors.append("start_date_time is after end_date_time.")
    periods = cdr.get("charging_periods") or []
    if not periods:
        errors.append("charging_periods: a CDR needs at least one period (mod_cdrs).")
        return errors
    starts = [parse_datetime(p["start_date_time"]) for p in periods]
    if starts[0] != start:
        errors.append("the first charging period does not start at start_date_time.")
    if starts != sorted(starts) or starts[-1] > end:
        errors.append("charging periods are not sorted inside the session.")
    for index, period in enumerate(periods):
        kinds = {d["type"] for d in period["dimensions"]}
        if kinds & SESSION_ONLY_DIMENSIONS:
            errors.append(
                f"charging_periods[{index}] carries Session-only dimensions "
                f"{sorted(kinds & SESSION_ONLY_DIMENSIONS)} (mod_cdrs CdrDimensionType)."
            )
    if Decimal(cdr["total_energy"]) != _sum(cdr, "ENERGY"):
        errors.append("total_energy is not the sum of the periods' ENERGY.")
    parking = Decimal(cdr.get("total_parking_time", 0))
    if parking != _sum(cdr, "PARKING_TIME"):
        errors.append("total_parking_time is not the sum of the periods' PARKING_TIME.")
    total_time = Decimal(cdr["total_time"])
    if total_time != _sum(cdr, "TIME") + parking:
        errors.append("total_time is not the sum of the periods' TIME and PARKING_TIME.")
    if total_time * 3600 > Decimal((end - start).total_seconds()) + 1:
        errors.append("total_time is longer than the session.")
    if {k: cdr["cdr_token"].get(k) for k in cdr_token} != cdr_token:
        errors.append("cdr_token differs from the session's.")
    errors += _cost_errors(cdr, session_total_cost, time_zone)
    return errors


def _cost_errors(cdr: dict, session_total_cost: dict | None, time_zone: str) -> list[str]:
    tariffs = cdr.get("tariffs") or []
    ids = {p.get("tariff_id") for p in cdr["charging_periods"]} - {None}
    if not tariffs:
        if ids:
            return [f"periods name tariffs {sorted(ids)} but the CDR lists none."]
        zero = {"excl_vat": Decimal(0), "incl_vat": Decimal(0)}
        ok = cdr["total_cost"] == zero
        return [] if ok else ["total_cost must be 0 when no tariff applies."]
    errors = []
    listed = {t["id"].upper() for t in tariffs}
    if {i.upper() for i in ids} - listed:
        errors.append("a period's tariff_id is not in the CDR's tariffs.")
    if cdr["currency"] != tariffs[0]["currency"]:
        errors.append("currency differs from the tariff's.")
    emsp = f"{cdr['cdr_token']['country_code']}*{cdr['cdr_token']['party_id']}"
    tariff = tariffs[0]
    if cdr["cdr_token"]["country_code"].isalpha():  # Advenir "$$" tokens: the default one
        # Gireve §3.10.4: the description this eMSP gets, never another eMSP's variant.
        try:
            chosen = select_tariff_for_emsp(tariffs, tariff["id"], emsp)
        except PricingError as error:
            chosen = error
        if chosen is not tariff:
            return [*errors, f"the tariff listed is not the description eMSP {emsp} gets."]
    try:
        expected = price_cdr(compile_tariff_once(tariff), cdr, time_zone).cost_fields()
    except PricingError as error:
        return [*errors, f"the pricing engine refuses the CDR: {error}"]
    for name in (
        "total_cost",
        "total_fixed_cost",
        "total_energy_cost",
        "total_time_cost",
        "total_parking_cost",
        "total_reservation_cost",
    ):
        if cdr.get(name) != expected.get(name):
            errors.append(f"{name} {cdr.get(name)} differs from the engine's {expected.get(name)}.")
    total = cdr["total_cost"]
    if total.get("incl_vat") is not None and total["incl_vat"] < total["excl_vat"]:
        errors.append("total_cost.incl_vat is below excl_vat.")
    if session_total_cost is not None and session_total_cost != total:
        errors.append("total_cost differs from the session's last estimate.")
    return errors
