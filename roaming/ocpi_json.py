"""OCPI JSON with exact numbers: amounts are Decimal in, Decimal out, digit for digit.

Python's json reads numbers as float and cannot write Decimal; a price of 0.80 would come
back as 0.8 or, worse, as 0.30000000000000004 after arithmetic. Everything we parse or emit
for OCPI (API answers, outbox bodies, imports, exports, price_cdr) goes through here.
"""

from __future__ import annotations

import json
import re
import secrets
from decimal import Decimal


def loads(text: str | bytes):
    """JSON with its non-integer numbers as Decimal."""
    return json.loads(text, parse_float=Decimal)


class RawJSON:
    """JSON text already written (e.g. by PostgreSQL), placed as is by `dumps`."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


# The C encoder writes each Decimal (and each RawJSON) as a marked string, then the marks
# give way to the exact digits (or the raw text). The mark holds a NUL (refused in every
# OCPI string we take in) and a per-process secret, so no stored text can pass for one.
_MARK = f"\x00{secrets.token_hex(8)}:"
_MARKED = re.compile(re.escape(json.dumps(_MARK)[:-1]) + r'(D[-+0-9.E]+|R[0-9]+)"')


def dumps(value, *, indent: int | None = None) -> str:
    """JSON text with every Decimal written as a JSON number with its exact digits."""
    raws: list[str] = []

    def exact(obj):
        if isinstance(obj, RawJSON):
            raws.append(obj.text)
            return f"{_MARK}R{len(raws) - 1}"
        if not isinstance(obj, Decimal):
            raise TypeError(f"{type(obj).__name__} is not JSON serializable")
        if not obj.is_finite():
            raise ValueError(f"{obj} is not a JSON number")
        raws.append("")  # at least one mark to replace
        return f"{_MARK}D{obj:f}"

    def unmark(match) -> str:
        mark = match[1]
        return mark[1:] if mark[0] == "D" else raws[int(mark[1:])]

    text = json.dumps(value, ensure_ascii=False, indent=indent, default=exact)
    return _MARKED.sub(unmark, text) if raws else text


class ExactJSONEncoder(json.JSONEncoder):
    """For JSONField(encoder=...): Decimals stored as numbers with their exact digits."""

    def encode(self, o) -> str:
        return dumps(o)


class ExactJSONDecoder(json.JSONDecoder):
    """For JSONField(decoder=...): numbers read back as Decimal, never float."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("parse_float", Decimal)
        super().__init__(*args, **kwargs)


def same_for_receiver(before, after) -> bool:
    """Two OCPI objects a receiver could not tell apart, `last_updated` aside at every level
    (issue 19.7: a save that changes nothing the hub sees sends nothing)."""
    return _without_dates(before) == _without_dates(after)


def _without_dates(value):
    if isinstance(value, dict):
        return {k: _without_dates(v) for k, v in value.items() if k != "last_updated"}
    if isinstance(value, list):
        return [_without_dates(v) for v in value]
    return value
