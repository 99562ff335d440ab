"""RFID uid normalisation before a badge is sent to the hub (Gireve §2.3.3).

IOP wants the hexadecimal 4- or 7-byte UID, uppercase, with leading zeros to 8 or 14
characters, and "rejects requests done with a bad RFID UID format": we normalise what a
reader produced and refuse locally what cannot be made right. How a reader writes its UID
(hex as read, hex in reversed byte order, decimal) is told by the CSMS, never guessed.
Pure functions: no database.
"""

from __future__ import annotations

import re

READER_FORMATS = ("HEX", "HEX_REVERSED", "DECIMAL")
SEPARATORS = re.compile(r"[\s:\-]")
HEX = re.compile(r"^[0-9A-F]+$")
# Gireve §2.3.3: 4-byte UID = 8 hex characters, 7-byte UID = 14.
LENGTHS = (8, 14)


class BadUid(ValueError):
    """The id tag cannot be a Gireve RFID uid; the message says why."""


def normalise_rfid(raw: str, *, reader_format: str = "HEX") -> str:
    """The uid as IOP expects it, e.g. "04:a2:3b:1c" -> "04A23B1C"; raises BadUid."""
    if reader_format not in READER_FORMATS:
        raise BadUid(f"unknown reader format {reader_format!r}")
    text = SEPARATORS.sub("", raw or "").upper()
    if not text:
        raise BadUid("empty id tag")
    if reader_format == "DECIMAL":
        if not text.isascii() or not text.isdigit():
            raise BadUid("a DECIMAL reader format takes digits only")
        value = int(text)
        width = next((n for n in LENGTHS if value < 16**n), None)
        if width is None:
            raise BadUid("decimal value larger than a 7-byte UID")
        return f"{value:0{width}X}"
    if not HEX.match(text):
        raise BadUid("not hexadecimal")
    width = next((n for n in LENGTHS if len(text) <= n), None)
    if width is None:
        raise BadUid(f"{len(text)} hex characters: a 4- or 7-byte UID has 8 or 14")
    if reader_format == "HEX_REVERSED":
        if len(text) % 2:
            raise BadUid("HEX_REVERSED needs whole bytes (an even number of characters)")
        # Gireve §2.3.3: lowest address byte first; the reader gave it last.
        text = "".join(reversed([text[i : i + 2] for i in range(0, len(text), 2)]))
    return text.zfill(width)
