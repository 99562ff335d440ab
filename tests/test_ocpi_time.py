import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from roaming.ocpi_time import format_datetime, parse_datetime


def test_format_is_utc_whole_seconds_with_z():
    paris = dt.datetime(2026, 7, 1, 14, 0, 5, 999999, tzinfo=ZoneInfo("Europe/Paris"))
    assert format_datetime(paris) == "2026-07-01T12:00:05Z"


def test_format_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="naive"):
        format_datetime(dt.datetime(2026, 1, 1, 12, 0))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-01T12:00:00Z", dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)),
        ("2026-01-01T12:00:00", dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)),  # OCPI: UTC
        ("2026-01-01T12:00:00.250Z", dt.datetime(2026, 1, 1, 12, 0, 0, 250000, tzinfo=dt.UTC)),
        ("2026-01-01T13:30:00+01:30", dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)),
    ],
)
def test_parse_accepts_what_ocpi_allows(text, expected):
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    "text",
    ["2026-01-01", "2026-01-01 12:00:00Z", "2026-13-01T12:00:00Z", "2026-01-01T12:00:00Z\n", ""],
)
def test_parse_rejects_anything_else_with_a_clear_message(text):
    with pytest.raises(ValueError, match="OCPI DateTime|not a valid date"):
        parse_datetime(text)


def test_parse_rejects_non_strings():
    with pytest.raises(ValueError, match="must be a string"):
        parse_datetime(1700000000)


def test_round_trip():
    text = "2015-06-29T20:39:09Z"
    assert format_datetime(parse_datetime(text)) == text
