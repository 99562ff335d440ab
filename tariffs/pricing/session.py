"""Read a session's OCPI ChargingPeriods (from a CDR or a Session) into engine units.

Times become integer microseconds since the epoch (exact arithmetic, no float), volumes
Decimals. Every error names the field, e.g. `charging_periods[2].dimensions[0].volume`.
"""

from dataclasses import dataclass
from decimal import Decimal

from roaming.ocpi_time import parse_datetime

from .tariff import EPOCH, ONE_US, PricingError, _object, to_decimal

# OCPI 2.2.1 mod_cdrs CdrDimensionType: the dimensions a CDR may carry. The "Session only"
# ones (CURRENT, POWER, ENERGY_EXPORT/IMPORT, STATE_OF_CHARGE) do not price anything and are
# accepted and ignored so a Session's periods can be priced too.
_VOLUMES = ("ENERGY", "TIME", "PARKING_TIME", "RESERVATION_TIME")
_LEVELS = ("MIN_CURRENT", "MAX_CURRENT", "MIN_POWER", "MAX_POWER")
_IGNORED = ("CURRENT", "POWER", "ENERGY_EXPORT", "ENERGY_IMPORT", "STATE_OF_CHARGE")
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Period:
    """One ChargingPeriod: [start, end) in µs, additive volumes and the measured levels."""

    index: int
    start: int
    end: int
    energy: Decimal  # kWh
    time: Decimal  # hours charging
    parking: Decimal  # hours parking
    reservation: Decimal | None  # hours reserved; None: not a reservation period
    min_current: Decimal | None
    max_current: Decimal | None
    min_power: Decimal | None
    max_power: Decimal | None
    average_power: Decimal | None  # kW, ENERGY / TIME, when MIN/MAX_POWER are missing


@dataclass(frozen=True, slots=True)
class Session:
    start: int
    end: int
    periods: tuple[Period, ...]


def to_microseconds(value, field: str) -> int:
    try:
        moment = parse_datetime(value)
    except ValueError as error:
        raise PricingError(f"{field}: {error}") from None
    return (moment - EPOCH) // ONE_US


def parse_session(charging_periods, start_date_time, end_date_time) -> Session:
    """Validate ChargingPeriods and the session's start and end (OCPI DateTime strings)."""
    start = to_microseconds(start_date_time, "start_date_time")
    end = to_microseconds(end_date_time, "end_date_time")
    if end < start:
        raise PricingError("end_date_time: is before start_date_time")
    if not isinstance(charging_periods, list) or not charging_periods:
        raise PricingError("charging_periods: must be a non-empty list of ChargingPeriod")
    starts = []
    for i, period in enumerate(charging_periods):
        field = f"charging_periods[{i}]"
        period = _object(period, field)
        moment = to_microseconds(period.get("start_date_time"), f"{field}.start_date_time")
        if moment < start or moment > end:
            raise PricingError(
                f"{field}.start_date_time: is outside the session "
                f"({start_date_time} to {end_date_time})"
            )
        if starts and moment < starts[-1]:
            raise PricingError(f"{field}.start_date_time: is before the previous period's start")
        starts.append(moment)
    # OCPI 2.2.1 ChargingPeriod.start_date_time: "A period ends when the next period starts.
    # The last period ends when the session ends."
    ends = starts[1:] + [end]
    periods = tuple(
        _parse_period(i, data, starts[i], ends[i]) for i, data in enumerate(charging_periods)
    )
    return Session(start, end, periods)


def _parse_period(index: int, data: dict, start: int, end: int) -> Period:
    field = f"charging_periods[{index}].dimensions"
    dimensions = data.get("dimensions")
    if not isinstance(dimensions, list) or not dimensions:
        raise PricingError(f"{field}: must be a non-empty list of CdrDimension")
    values: dict[str, Decimal] = {}
    for j, dimension in enumerate(dimensions):
        dimension = _object(dimension, f"{field}[{j}]")
        kind = dimension.get("type")
        if kind in _IGNORED:
            continue
        if kind not in _VOLUMES and kind not in _LEVELS:
            raise PricingError(f"{field}[{j}].type: {kind!r} is not a CdrDimensionType")
        if kind in values:
            raise PricingError(f"{field}[{j}].type: {kind} appears twice in this period")
        if "volume" not in dimension:
            raise PricingError(f"{field}[{j}].volume: is required")
        volume = to_decimal(dimension["volume"], f"{field}[{j}].volume")
        if kind in _VOLUMES and volume < 0:
            # Energy fed back to the grid (negative ENERGY) is not priced by OCPI 2.2.1 tariffs.
            raise PricingError(f"{field}[{j}].volume: a {kind} volume must not be negative")
        values[kind] = volume
    reservation = values.get("RESERVATION_TIME")
    energy = values.get("ENERGY", _ZERO)
    time = values.get("TIME", _ZERO)
    parking = values.get("PARKING_TIME", _ZERO)
    if reservation is not None and (energy or time or parking):
        raise PricingError(
            f"{field}: a reservation period (RESERVATION_TIME) cannot also carry "
            "ENERGY, TIME or PARKING_TIME"
        )
    return Period(
        index=index,
        start=start,
        end=end,
        energy=energy,
        time=time,
        parking=parking,
        reservation=reservation,
        min_current=values.get("MIN_CURRENT"),
        max_current=values.get("MAX_CURRENT"),
        min_power=values.get("MIN_POWER"),
        max_power=values.get("MAX_POWER"),
        average_power=energy / time if time else None,
    )


def session_from_cdr(cdr) -> Session:
    """The session of an OCPI CDR dict; its cost fields are not read."""
    cdr = _object(cdr, "cdr")
    return parse_session(
        cdr.get("charging_periods"), cdr.get("start_date_time"), cdr.get("end_date_time")
    )
