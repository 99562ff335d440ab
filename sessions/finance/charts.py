"""Charts drawn on the server as inline SVG: no script, no CDN, readable in a screenshot.

Coordinates are floats (drawing only); every figure written on a chart is the exact Decimal.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .words import DIMENSIONS

# One colour per tariff element (1-based), then parking in grey.
PALETTE = ["#cfe3ff", "#ffe2b8", "#d6f5d6", "#f3d1f4", "#fff4a8", "#d1f0f0"]
PARKING = "#e3e3e3"
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 860, 240, 56, 16, 28, 36


def element_colour(element: int) -> str:
    return PALETTE[(element - 1) % len(PALETTE)]


def timeline(
    points: list[tuple[dt.datetime, Decimal]],
    bands: list[tuple[dt.datetime, dt.datetime, int, str]],
    start: dt.datetime,
    end: dt.datetime,
    zone,
) -> SafeString:
    """Energy delivered over time (kWh) over shaded bands (start, end, element, type)."""
    span = max((end - start).total_seconds(), 1.0)
    top = max([float(kwh) for _, kwh in points] + [0.001])
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(moment: dt.datetime) -> float:
        return LEFT + inner_w * min(max((moment - start).total_seconds() / span, 0), 1)

    def y(kwh: float) -> float:
        return TOP + inner_h * (1 - kwh / top)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        'aria-label="Energy over time with the tariff elements shaded">'
    ]
    for band_start, band_end, element, kind in bands:
        colour = PARKING if kind == "PARKING_TIME" else element_colour(element)
        width = max(x(band_end) - x(band_start), 1)
        parts.append(
            f'<rect x="{x(band_start):.1f}" y="{TOP}" width="{width:.1f}"'
            f' height="{inner_h}" fill="{colour}"><title>element {element}, '
            f"{escape(DIMENSIONS.get(kind, (kind.lower(),))[0])}: "
            f"{band_start.astimezone(zone):%H:%M}–{band_end.astimezone(zone):%H:%M}</title></rect>"
        )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + inner_h}" x2="{WIDTH - RIGHT}" y2="{TOP + inner_h}" '
        'stroke="#555"/>'
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + inner_h}" stroke="#555"/>'
    )
    if points:
        path = " ".join(f"{x(at):.1f},{y(float(kwh)):.1f}" for at, kwh in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1f5fbf" stroke-width="2"/>')
        last_kwh = points[-1][1]
        parts.append(
            f'<text x="{LEFT + 4}" y="{TOP - 8}" class="tick">'
            f"{escape(str(last_kwh))} kWh delivered</text>"
        )
    parts.append(
        f'<text x="{LEFT - 6}" y="{TOP + inner_h}" text-anchor="end" class="tick">0</text>'
    )
    for i in range(5):
        moment = start + (end - start) * i / 4
        parts.append(
            f'<text x="{x(moment):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'class="tick">{moment.astimezone(zone):%H:%M}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - built from numbers and escaped text


def daily_bars(days: list[dt.date], values: list[Decimal], unit: str, colour: str) -> SafeString:
    """One bar per day; the value of each bar in its tooltip, exact."""
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    if not days:
        return mark_safe('<p class="muted">No CDR in this period.</p>')
    top = max([float(v) for v in values] + [0.001])
    low = min([float(v) for v in values] + [0.0])
    scale = top - low
    width = inner_w / len(days)

    def y(value: float) -> float:
        return TOP + inner_h * (top - value) / scale

    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{unit}">']
    for i, (day, value) in enumerate(zip(days, values, strict=True)):
        v = float(value)
        y0, y1 = sorted((y(0), y(v)))
        parts.append(
            f'<rect x="{LEFT + i * width + 1:.1f}" y="{y0:.1f}" width="{max(width - 2, 1):.1f}" '
            f'height="{max(y1 - y0, 0.5):.1f}" fill="{colour}"><title>{day:%a %d %b}: '
            f"{escape(str(value))} {escape(unit)}</title></rect>"
        )
    parts.append(
        f'<line x1="{LEFT}" y1="{y(0):.1f}" x2="{WIDTH - RIGHT}" y2="{y(0):.1f}" stroke="#555"/>'
        f'<text x="{LEFT + 4}" y="{TOP - 8}" class="tick">highest day: '
        f"{max(values)} {escape(unit)}</text>"
    )
    step = max(len(days) // 8, 1)
    for i in range(0, len(days), step):
        parts.append(
            f'<text x="{LEFT + (i + 0.5) * width:.1f}" y="{HEIGHT - BOTTOM + 16}" '
            f'text-anchor="middle" class="tick">{days[i]:%d %b}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - built from numbers and escaped text
