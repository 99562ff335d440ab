"""OCPI 2.2.1 pricing engine: the cost of a session or CDR under a Tariff, exactly, in Decimal.

Pure Python, no database: tariffs and CDRs are OCPI JSON dicts (parse JSON numbers as
Decimal, e.g. json.loads(text, parse_float=Decimal)). The rules and the choices made where
OCPI 2.2.1 is silent are in docs/pricing.md.

    tariff = compile_tariff(tariff_json)        # validate once (compile_tariff_once: cached)
    result = price_cdr(tariff, cdr_json, "Europe/Paris")
    result.cost_fields()  # {"total_cost": {"excl_vat": Decimal("4.0000"), ...}, ...}
"""

from .cache import compile_tariff_once
from .emsp import select_tariff_for_emsp
from .engine import get_zone, price_session
from .numbers import PricingError
from .result import OUTPUT_DECIMALS, Line, PricingResult, price_dict, round_money
from .session import Period, Session, parse_session, session_from_cdr
from .tariff import CompiledTariff, Price, compile_tariff

__all__ = [
    "OUTPUT_DECIMALS",
    "CompiledTariff",
    "Line",
    "Period",
    "Price",
    "PricingError",
    "PricingResult",
    "Session",
    "compile_tariff",
    "compile_tariff_once",
    "get_zone",
    "parse_session",
    "price_cdr",
    "price_dict",
    "price_session",
    "round_money",
    "select_tariff_for_emsp",
    "session_from_cdr",
]


def price_cdr(tariff, cdr, time_zone, *, reservation_expired: bool | None = None) -> PricingResult:
    """Price an OCPI CDR dict (its cost fields are ignored) with a tariff dict or CompiledTariff
    (a dict is compiled once per content in the process: compile_tariff_once)."""
    if not isinstance(tariff, CompiledTariff):
        tariff = compile_tariff_once(tariff)
    return price_session(
        tariff, session_from_cdr(cdr), time_zone, reservation_expired=reservation_expired
    )
