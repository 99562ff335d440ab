"""Price an OCPI 2.2.1 CDR with a tariff and print the CDR cost fields as JSON.

    manage.py price_cdr --tariff tariff.json --cdr cdr.json --time-zone Europe/Paris [--explain]

Only the CDR's charging_periods, start_date_time and end_date_time are priced; its own
total_cost is printed beside the computed one (`cdr_total_cost`, `matches_cdr`) and a line on
stderr says whether they agree (audit 2: a different total went by unremarked). The tariff
file holds one Tariff or a list (then the tariff named by the CDR is used, per eMSP with
--emsp; Gireve §3.10.4).
"""

import json
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from roaming import ocpi_json
from tariffs.pricing import (
    PricingError,
    compile_tariff,
    get_zone,
    price_session,
    select_tariff_for_emsp,
    session_from_cdr,
)
from tariffs.pricing.numbers import written


class Command(BaseCommand):
    help = "Price an OCPI CDR with an OCPI Tariff (OCPI 2.2.1 rules); prints the cost fields."

    def add_arguments(self, parser):
        parser.add_argument("--cdr", required=True, help="OCPI CDR JSON file")
        parser.add_argument(
            "--tariff",
            help="OCPI Tariff JSON file: one Tariff or a list (default: the CDR's own tariffs)",
        )
        parser.add_argument(
            "--time-zone", required=True, help="IANA time zone of the Location (Europe/Paris)"
        )
        parser.add_argument(
            "--emsp", help="eMSP party (FR*ABC): price with its description of the tariff"
        )
        parser.add_argument(
            "--explain", action="store_true", help="also print which element priced what"
        )

    def handle(self, *args, cdr, tariff, time_zone, emsp, explain, **options):
        cdr_data = _load(cdr)
        if not isinstance(cdr_data, dict):
            raise CommandError(f"{cdr}: must hold one OCPI CDR object")
        if tariff:
            tariff_source, tariff_data = tariff, _load(tariff)
        else:
            tariff_source, tariff_data = f"{cdr}: tariffs", cdr_data.get("tariffs")
            if not tariff_data:
                raise CommandError(f"{cdr}: the CDR has no tariffs; give --tariff")
        wanted = _tariff_id_of(cdr_data, cdr)
        chosen, prefix = _choose_tariff(tariff_data, tariff_source, wanted, emsp)
        try:
            compiled = compile_tariff(chosen)
        except PricingError as error:
            raise CommandError(f"{tariff_source}: {prefix}{error}") from None
        if cdr_data.get("currency") not in (None, compiled.currency):
            raise CommandError(
                f"{cdr}: currency: the CDR is in {cdr_data['currency']}, "
                f"the tariff in {compiled.currency}"
            )
        try:
            session = session_from_cdr(cdr_data)
        except PricingError as error:
            raise CommandError(f"{cdr}: {error}") from None
        try:
            zone = get_zone(time_zone)
        except PricingError:
            raise CommandError(f"--time-zone: {time_zone!r} is not an IANA time zone") from None
        try:
            result = price_session(compiled, session, zone)
        except PricingError as error:
            raise CommandError(f"{cdr}: {error}") from None
        output = {"currency": result.currency, "tariff_id": compiled.id, **result.cost_fields()}
        if explain:
            output["min_price_applied"] = result.min_price_applied
            output["max_price_applied"] = result.max_price_applied
            output["breakdown"] = result.breakdown()
            output["vat"] = result.vat_breakdown()  # per component, on the rounded amount
        own = cdr_data.get("total_cost")
        if isinstance(own, dict) and "excl_vat" in own:
            output["cdr_total_cost"] = own
            output["matches_cdr"] = _same_price(own, output["total_cost"])
        self.stdout.write(ocpi_json.dumps(output, indent=2))
        self.stderr.write(_verdict(own, output["total_cost"], result.currency))


def _same_price(own: dict, computed: dict) -> bool:
    """Equal amounts (4.0 == 4.0000); incl_vat compared when the CDR gives it."""
    try:
        if Decimal(str(own["excl_vat"])) != Decimal(str(computed["excl_vat"])):
            return False
        if own.get("incl_vat") is None:
            return True
        return Decimal(str(own["incl_vat"])) == Decimal(str(computed.get("incl_vat")))
    except (ArithmeticError, ValueError, TypeError):
        return False  # a CDR total that is not a number cannot match


def _verdict(own, computed: dict, currency: str) -> str:
    """One sentence for the person at the terminal, on stderr (stdout stays JSON)."""

    def amounts(price: dict) -> str:
        incl = price.get("incl_vat")
        tail = f" / {written(incl)} incl. VAT" if incl is not None else ""
        return f"{written(price.get('excl_vat'))} excl. VAT{tail} {currency}"

    if not isinstance(own, dict) or "excl_vat" not in own:
        return f"Computed total: {amounts(computed)} (the CDR has no total_cost to compare)."
    if _same_price(own, computed):
        return f"Computed total {amounts(computed)} matches the CDR's total_cost."
    return (
        f"Computed total {amounts(computed)} DIFFERS from the CDR's total_cost "
        f"{amounts(own)}: the CDR was priced otherwise (another tariff or step, or an "
        "error); --explain shows each line."
    )


def _load(path: str):
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"{path}: cannot be read ({error})") from None
    try:
        # Money is Decimal: JSON numbers are read as Decimal, never float.
        return ocpi_json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(
            f"{path}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    except (ArithmeticError, ValueError):
        # Numbers no Decimal or int can hold (1e99999999999999999999, 5,000 digits) fail in
        # the JSON reader itself, before any field is known; in-range ones are bounded, field
        # by field, by the engine (tariffs/pricing/numbers.py).
        raise CommandError(
            f"{path}: holds a number with more digits or a larger exponent than any OCPI "
            "number (bounds: docs/pricing.md)"
        ) from None


def _tariff_id_of(cdr: dict, path: str) -> str | None:
    """The tariff the CDR was priced with: its periods' tariff_id, else its first tariff."""
    periods = cdr.get("charging_periods")
    ids = {  # CiString: compared case-insensitively, reported as written
        str(period["tariff_id"]).upper(): str(period["tariff_id"])
        for period in periods or []
        if isinstance(period, dict) and period.get("tariff_id")
    }
    if len(ids) > 1:
        # OCPI 2.2.1 mod_cdrs: step_size is "not taken into account when switching between
        # two Tariffs"; pricing a session over several tariffs is not supported here.
        raise CommandError(
            f"{path}: charging_periods: the periods name several tariffs "
            f"({', '.join(sorted(ids.values()))}); one tariff per session only"
        )
    if ids:
        return ids.popitem()[1]
    tariffs = cdr.get("tariffs")
    if isinstance(tariffs, list) and tariffs and isinstance(tariffs[0], dict):
        return tariffs[0].get("id")
    return None


def _choose_tariff(data, source: str, wanted: str | None, emsp: str | None):
    """(tariff dict, field prefix for its errors) out of one Tariff or a list of them."""
    if isinstance(data, dict):
        if wanted and str(data.get("id", "")).upper() != wanted.upper():
            raise CommandError(
                f"{source}: id: the tariff is {written(data.get('id'))}, "
                f"the CDR was priced with {written(wanted)}"
            )
        return data, ""
    if not isinstance(data, list) or not data:
        raise CommandError(f"{source}: must hold a Tariff object or a non-empty list of them")
    if wanted is None:
        first = data[0]
        wanted = first.get("id") if isinstance(first, dict) else None
        if not wanted:
            raise CommandError(f"{source}: [0].id: is required to choose the tariff")
    try:
        chosen = select_tariff_for_emsp(data, wanted, emsp)
    except PricingError as error:
        raise CommandError(f"{source}: {error}") from None
    index = next(i for i, item in enumerate(data) if item is chosen)
    return chosen, f"[{index}]."
