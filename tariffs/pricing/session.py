"""Read a session's OCPI ChargingPeriods (from a CDR or a Session) into engine units.

Times become integer microseconds since the epoch (exact arithmetic, no float), volumes
Decimals. Every error names the field, e.g. `charging_periods[2].dimensions[0].volume`.

TIME, PARKING_TIME and RESERVATION_TIME are read as whole seconds (issue 18, item 1): OCPI
DateTimes have one-second resolution, so a duration is a whole number of seconds, and the
4-decimal hours a CDR carries (10 min = 0.1667 h = 600.12 s) are rounded to the nearest
second (half up) before anything is priced or step-rounded (docs/pricing.md "Durations").
"""

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from operator import attrgetter

from roaming.ocpi_time import parse_datetime

from .numbers import ENGINE, MAX_NUMBER, MIN_EXPONENT, PricingError, to_decimal, written
from .tariff import DAY_US, EPOCH, ONE_US, _object

# OCPI 2.2.1 mod_cdrs CdrDimensionType: the dimensions a CDR may carry. The "Session only"
# ones (CURRENT, POWER, ENERGY_EXPORT/IMPORT, STATE_OF_CHARGE) do not price anything and are
# accepted and ignored so a Session's periods can be priced too.
_VOLUMES = ("ENERGY", "TIME", "PARKING_TIME", "RESERVATION_TIME")
_LEVELS = ("MIN_CURRENT", "MAX_CURRENT", "MIN_POWER", "MAX_POWER")
_IGNORED = ("CURRENT", "POWER", "ENERGY_EXPORT", "ENERGY_IMPORT", "STATE_OF_CHARGE")
_KNOWN = frozenset(_VOLUMES + _LEVELS)
_NO_LEVELS = (None, None, None, None)
_ZERO = Decimal(0)
_SECONDS_PER_HOUR = Decimal(3600)
_multiply = ENGINE.multiply
# The fast path of _parse_period takes a volume in [1e-20, 1e12) without a further look;
# zero, negative and out-of-range ones go to _checked_volume (numbers.py: the bounds).
_SMALLEST = Decimal(1).scaleb(MIN_EXPONENT)
# Session instants: from the epoch to a year before the last one Python's datetime holds, so
# converting to the Location's local time (up to 1 day off) cannot leave that range; and at
# most 366 days long (pricing cuts the session at every local midnight, so its work grows
# with the days covered; no charging session lasts a year).
_FIRST_US, _FIRST = 0, "1970-01-01T00:00:00Z"
_LAST_US = (dt.datetime(9999, 1, 1, tzinfo=dt.UTC) - EPOCH) // ONE_US
_LAST = "9998-12-31T23:59:59Z"
MAX_SESSION_DAYS = 366
# UTC, as OCPI sends it. ASCII digits only (cheaper to match than \d, which takes any Unicode
# digit): fromisoformat refuses other digits anyway, and parse_datetime says what is wrong.
_UTC_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z?\Z")
_utc_match = _UTC_RE.match
_NAIVE_EPOCH = dt.datetime(1970, 1, 1)
_fromisoformat = dt.datetime.fromisoformat
_TARIFF_ID = attrgetter("tariff_id")  # None or a non-empty string


@dataclass(slots=True)
class Period:
    """One ChargingPeriod: [start, end) in µs, additive volumes and the measured levels."""

    index: int
    start: int
    end: int
    energy: Decimal  # kWh
    time: Decimal  # seconds charging (whole seconds as read: see seconds())
    parking: Decimal  # seconds parking
    reservation: Decimal | None  # seconds reserved; None: not a reservation period
    min_current: Decimal | None
    max_current: Decimal | None
    min_power: Decimal | None
    max_power: Decimal | None
    # OCPI 2.2.1 ChargingPeriod.tariff_id: "If not provided, no Tariff is relevant during this
    # period." None: not named; see Session.named_tariffs.
    tariff_id: str | None = None

    @property
    def average_power(self) -> Decimal | None:
        """kW, ENERGY / TIME: stands in for MIN/MAX_POWER when the period lacks them."""
        return self.energy * _SECONDS_PER_HOUR / self.time if self.time else None


@dataclass(slots=True)
class Session:
    start: int
    end: int
    periods: tuple[Period, ...]
    # Some period names its tariff: the periods naming none are free (docs/pricing.md).
    named_tariffs: bool = False


def _fast_microseconds(value) -> int | None:
    """The common `2026-01-01T12:00:00Z` form, quickly; None for anything else."""
    if type(value) is str and _utc_match(value):
        try:
            return (
                _fromisoformat(value[:-1] if value[-1] == "Z" else value) - _NAIVE_EPOCH
            ) // ONE_US
        except ValueError:
            return None  # e.g. 2026-02-30: parse_datetime says what is wrong
    return None


def to_microseconds(value, field: str) -> int:
    """An OCPI DateTime as µs since the epoch (UTC); PricingError names the field."""
    fast = _fast_microseconds(value)
    if fast is not None:
        return fast
    try:
        moment = parse_datetime(value)
    except ValueError as error:
        raise PricingError(f"{field}: {error}") from None
    return (moment - EPOCH) // ONE_US


def parse_session(charging_periods, start_date_time, end_date_time) -> Session:
    """Validate ChargingPeriods and the session's start and end (OCPI DateTime strings)."""
    start = _session_instant(start_date_time, "start_date_time")
    end = _session_instant(end_date_time, "end_date_time")
    if end < start:
        raise PricingError("end_date_time: is before start_date_time")
    if end - start > MAX_SESSION_DAYS * DAY_US:
        raise PricingError(
            f"end_date_time: the session lasts more than {MAX_SESSION_DAYS} days "
            f"({start_date_time} to {end_date_time})"
        )
    if not isinstance(charging_periods, list) or not charging_periods:
        raise PricingError("charging_periods: must be a non-empty list of ChargingPeriod")
    starts = []
    previous = start
    for i, period in enumerate(charging_periods):
        if type(period) is not dict:
            _object(period, f"charging_periods[{i}]")
        moment = _fast_microseconds(period.get("start_date_time"))
        if moment is None:
            field = f"charging_periods[{i}].start_date_time"
            moment = to_microseconds(period.get("start_date_time"), field)
        if moment < previous or moment > end:
            field = f"charging_periods[{i}].start_date_time"
            if moment < start or moment > end:
                raise PricingError(
                    f"{field}: is outside the session ({start_date_time} to {end_date_time})"
                )
            raise PricingError(f"{field}: is before the previous period's start")
        starts.append(moment)
        previous = moment
    # OCPI 2.2.1 ChargingPeriod.start_date_time: "A period ends when the next period starts.
    # The last period ends when the session ends."
    ends = starts[1:]
    ends.append(end)
    periods = tuple(map(_parse_period, range(len(starts)), charging_periods, starts, ends))
    return Session(start, end, periods, any(map(_TARIFF_ID, periods)))


def _session_instant(value, field: str) -> int:
    """A session's start or end; the periods' starts lie between them (checked above)."""
    moment = to_microseconds(value, field)
    if not _FIRST_US <= moment < _LAST_US:
        raise PricingError(f"{field}: {written(value)} is out of range ({_FIRST} to {_LAST})")
    return moment


def _parse_period(index: int, data: dict, start: int, end: int) -> Period:
    dimensions = data.get("dimensions")
    if type(dimensions) is not list or not dimensions:
        raise PricingError(
            f"charging_periods[{index}].dimensions: must be a non-empty list of CdrDimension"
        )
    values: dict[str, Decimal] = {}
    try:
        for j, dimension in enumerate(dimensions):
            if type(dimension) is not dict:
                raise PricingError(f"charging_periods[{index}].dimensions[{j}]: must be an object")
            kind = dimension.get("type")
            volume = dimension.get("volume")
            if (
                kind not in _KNOWN
                or kind in values
                or type(volume) is not Decimal
                or not _SMALLEST <= volume < MAX_NUMBER
            ):
                if kind in _IGNORED:
                    continue
                volume = _checked_volume(index, j, kind, volume, values)
            values[kind] = volume
    except TypeError:  # an unhashable type ([], {}); try costs nothing while nothing is raised
        raise PricingError(
            f"charging_periods[{index}].dimensions[{j}].type: {written(kind)} "
            "is not a CdrDimensionType"
        ) from None
    except InvalidOperation:  # Decimal("NaN") compared above (JSON NaN is a float: slow path)
        raise PricingError(
            f"charging_periods[{index}].dimensions[{j}].volume: must be a finite number"
        ) from None
    reservation = values.pop("RESERVATION_TIME", None)
    energy = values.pop("ENERGY", _ZERO)
    # Durations as whole seconds (see seconds(), inlined: this runs for every period)
    time = values.pop("TIME", _ZERO)
    if time:
        time = _multiply(time, _SECONDS_PER_HOUR).to_integral_value(ROUND_HALF_UP)
    parking = values.pop("PARKING_TIME", _ZERO)
    if parking:
        parking = _multiply(parking, _SECONDS_PER_HOUR).to_integral_value(ROUND_HALF_UP)
    if reservation is not None:
        reservation = seconds(reservation)
    if reservation is not None and (energy or time or parking):
        raise PricingError(
            f"charging_periods[{index}].dimensions: a reservation period (RESERVATION_TIME) "
            "cannot also carry ENERGY, TIME or PARKING_TIME"
        )
    if values:
        get = values.get
        levels = get("MIN_CURRENT"), get("MAX_CURRENT"), get("MIN_POWER"), get("MAX_POWER")
    else:
        levels = _NO_LEVELS
    tariff_id = data.get("tariff_id")
    if tariff_id is not None and type(tariff_id) is not str:
        raise PricingError(
            f"charging_periods[{index}].tariff_id: must be a string, not {written(tariff_id)}"
        )
    return Period(index, start, end, energy, time, parking, reservation, *levels, tariff_id or None)


def seconds(hours: Decimal) -> Decimal:
    """An hours volume as whole seconds, the nearest (half up): 0.1667 h is 600 s, not 600.12
    s, so a step_size of 300 s bills 2 steps, not 3 (docs/pricing.md "Durations")."""
    if not hours:
        return _ZERO
    return _multiply(hours, _SECONDS_PER_HOUR).to_integral_value(ROUND_HALF_UP)


def _checked_volume(index: int, j: int, kind, volume, values: dict) -> Decimal:
    """The slow path of _parse_period: say what is wrong with a dimension, or convert it."""
    field = f"charging_periods[{index}].dimensions[{j}]"
    if kind not in _KNOWN:
        raise PricingError(f"{field}.type: {written(kind)} is not a CdrDimensionType")
    if kind in values:
        raise PricingError(f"{field}.type: {kind} appears twice in this period")
    if volume is None:
        raise PricingError(f"{field}.volume: is required")
    volume = to_decimal(volume, f"{field}.volume")
    if volume < _ZERO and kind in _VOLUMES:
        # Energy fed back to the grid (negative ENERGY) is not priced by OCPI 2.2.1 tariffs.
        raise PricingError(f"{field}.volume: a {kind} volume must not be negative")
    return volume


def session_from_cdr(cdr) -> Session:
    """The session of an OCPI CDR dict; its cost fields are not read."""
    cdr = _object(cdr, "cdr")
    return parse_session(
        cdr.get("charging_periods"), cdr.get("start_date_time"), cdr.get("end_date_time")
    )
