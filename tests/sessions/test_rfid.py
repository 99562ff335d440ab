"""RFID uid normalisation (Gireve §2.3.3), pure: checked against an independent formatting."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessions.rfid import BadUid, normalise_rfid

uids = st.one_of(st.binary(min_size=4, max_size=4), st.binary(min_size=7, max_size=7))


@given(uids, st.sampled_from(["", ":", "-", " "]), st.booleans())
def test_hex_as_read_becomes_uppercase_with_its_leading_zeros(uid, separator, lower):
    written = separator.join(f"{byte:02x}" if lower else f"{byte:02X}" for byte in uid)

    assert normalise_rfid(written) == uid.hex().upper()


@given(uids)
def test_reversed_and_decimal_readers_give_the_same_uid(uid):
    expected = uid.hex().upper()

    assert normalise_rfid(uid[::-1].hex(), reader_format="HEX_REVERSED") == expected
    value = int.from_bytes(uid, "big")
    from_decimal = normalise_rfid(str(value), reader_format="DECIMAL")
    # A decimal reader loses leading zero bytes: the value is kept, padded to 8 or 14.
    assert int(from_decimal, 16) == value and len(from_decimal) in (8, 14)
    if len(uid) == 4 or value >= 16**8:
        assert from_decimal == expected


def test_short_uids_get_leading_zeros_to_8_or_14():
    assert normalise_rfid("A23B1C") == "00A23B1C"
    assert normalise_rfid("1A23B1C5D") == "000001A23B1C5D"


@pytest.mark.parametrize(
    ("raw", "reader_format"),
    [
        ("", "HEX"),
        ("04A23B1G", "HEX"),
        ("04A23B1C5D6E7F80", "HEX"),
        ("０４A23B1C", "HEX"),  # full-width digits are not hex
        ("12a", "DECIMAL"),
        (str(16**14), "DECIMAL"),
        ("04A", "HEX_REVERSED"),
        ("04A23B1C", "OCTAL"),
    ],
)
def test_anything_else_is_refused(raw, reader_format):
    with pytest.raises(BadUid):
        normalise_rfid(raw, reader_format=reader_format)
