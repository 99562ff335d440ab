"""The numbers the pricing engine reads, bounded once when read, and the Decimal contexts it
computes in, so that no in-bound input can end in a decimal exception (issue 9, item 5).

OCPI 2.2.1 types `number`: "Numbers in OCPI are formatted as JSON numbers. Unless mentioned
otherwise, numbers use 4 decimals and a sufficiently large amount of digits." OCPI gives no
upper bound, so we set one a CPO never reaches (docs/pricing.md "Bounds"): every decimal the
engine reads (prices, VAT, volumes, levels, restriction thresholds, min/max price) is 0 or
between 1e-20 and 1e12 in absolute value, every integer (step_size, min/max_duration) below
1e12. With those bounds the largest intermediate amount is about N x 1e34 for N charging
periods (volume x price x VAT factor), far inside ENGINE's exponent range and inside the
precision of the contexts that quantize.
"""

from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

MAX_NUMBER = Decimal(10) ** 12  # exclusive, for decimals and integers alike
MIN_EXPONENT = -20  # a non-zero decimal is at least 1e-20 (the noise level result.py drops)
_MAX_INT = 10**12
_RANGE = "must be below 1e12, and 0 or at least 1e-20, in absolute value"
_TRAPS = [InvalidOperation, DivisionByZero, Overflow]
# The engine's arithmetic: the default context's precision and rounding (results unchanged),
# fixed here so that a caller's thread context (a smaller precision, more traps) cannot change
# a price or raise inside the engine.
ENGINE = Context(prec=28, rounding=ROUND_HALF_EVEN, Emin=-999999, Emax=999999, traps=_TRAPS)
# Quantizing needs as many digits as the result has: amounts up to 1e80 at 1e-20 resolution.
WIDE = Context(prec=100, rounding=ROUND_HALF_EVEN, Emin=-999999, Emax=999999, traps=_TRAPS)
HALF_UP = Context(prec=100, rounding=ROUND_HALF_UP, Emin=-999999, Emax=999999, traps=_TRAPS)


class PricingError(ValueError):
    """A tariff, session or CDR that cannot be priced; the message starts with the field."""


def written(value) -> str:
    """A JSON value as the user wrote it (`60.5`, `true`), not a Python repr (`Decimal('60.5')`),
    cut short when long (a 5,000-digit number must not fill the error line). Strings keep
    their quotes ('12:00'), as in the messages of roaming.ocpi_time."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, Decimal | int | float):
        text = str(value)
    elif isinstance(value, str):
        text = repr(value)
    else:
        text = json_type(value)
    return text if len(text) <= 40 else text[:37] + "..."


def json_type(value) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def to_decimal(value, field: str) -> Decimal:
    """A JSON number as an exact, in-bound Decimal (floats go through str so 0.1 stays 0.1)."""
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise PricingError(f"{field}: must be a number, not {json_type(value)}")
    else:
        number = Decimal(str(value))
    if not number.is_finite():
        raise PricingError(f"{field}: must be a finite number")
    # adjusted() is the exponent of the first digit: |number| < 1e12 <=> adjusted() < 12.
    if number and not MIN_EXPONENT <= number.adjusted() < 12:
        raise PricingError(f"{field}: {written(value)} is out of range ({_RANGE})")
    return number


def to_integer(value, field: str, *, positive: bool) -> int:
    """A JSON integer (an integral Decimal such as 60.0 too) in [0 or 1, 1e12)."""
    number = value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        if abs(value) >= MAX_NUMBER:  # checked before int(): 1e999999 has a million digits
            raise PricingError(f"{field}: {written(value)} is out of range (below 1e12)")
        number = int(value)
    if isinstance(number, bool) or not isinstance(number, int) or number < (1 if positive else 0):
        kind = "a positive integer" if positive else "a non-negative integer"
        raise PricingError(f"{field}: must be {kind}, not {written(value)}")
    if number >= _MAX_INT:
        raise PricingError(f"{field}: {written(value)} is out of range (below 1e12)")
    return number
