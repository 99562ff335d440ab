"""Connector power: what voltage x amperage x phases allows, so that a unit slip is caught.

OCPI 2.2.1 Connector: max_electric_power (W) is optional and "should be set when lower than
the value calculated from voltage and amperage"; max_voltage is line to neutral for AC 3-phase.
Staff often type the line-to-line 400 V instead of 230 V, so both readings are accepted.
"""

from __future__ import annotations

from decimal import Decimal

PHASES = {"AC_1_PHASE": 1, "AC_2_PHASE": 2, "AC_2_PHASE_SPLIT": 2, "AC_3_PHASE": 3, "DC": 1}
SQRT3 = Decimal("1.7320508")
# Above the nominal power by more than this is physically impossible (rounding margin).
TOLERANCE = Decimal("1.05")
# Below this share of the nominal power is taken for a unit slip (W typed as kW, or kW as W).
LOWEST_SHARE = Decimal("0.05")


def kw(watts: Decimal | int) -> str:
    """22000 -> "22 kW", 3680 -> "3.68 kW"."""
    value = (Decimal(watts) / 1000).quantize(Decimal("0.01")).normalize()
    return f"{value:f} kW"


def nominal_range(power_type: str, voltage: int, amperage: int) -> tuple[Decimal, Decimal]:
    """(lowest, highest) nominal power in W: line-to-line and line-to-neutral readings."""
    phases = PHASES.get(power_type, 1)
    highest = Decimal(voltage) * amperage * phases
    lowest = highest / SQRT3 if phases == 3 else highest
    return lowest, highest


def power_problem(
    *, power_type: str, voltage: int | None, amperage: int | None, power_w: int | None
) -> str | None:
    """A readable refusal when max_electric_power cannot match voltage, amperage and phases."""
    if not (power_w and voltage and amperage and power_type):
        return None
    lowest, highest = nominal_range(power_type, voltage, amperage)
    phases = PHASES.get(power_type, 1)
    formula = f"{voltage} V x {amperage} A" + (f" x {phases} phases" if phases > 1 else "")
    if power_w > highest * TOLERANCE:
        return (
            f"{kw(power_w)} is more than {formula} can deliver ({kw(highest)}). "
            "Check the power (in kW), the voltage and the amperage."
        )
    if power_w < lowest * LOWEST_SHARE:
        return (
            f"{kw(power_w)} is far below what {formula} gives ({kw(lowest)}): "
            "the power is in kW (e.g. 22 for 22 kW)."
        )
    return None
