"""OCPI JSON with exact numbers: amounts are Decimal in, Decimal out, digit for digit.

Python's json reads numbers as float and cannot write Decimal; a price of 0.80 would come
back as 0.8 or, worse, as 0.30000000000000004 after arithmetic. Everything we parse or emit
for OCPI (API answers, outbox bodies, imports, exports, price_cdr) goes through here.
"""

from __future__ import annotations

import json
from decimal import Decimal


def loads(text: str | bytes):
    """JSON with its non-integer numbers as Decimal."""
    return json.loads(text, parse_float=Decimal)


def dumps(value, *, indent: int | None = None) -> str:
    """JSON text with every Decimal written as a JSON number with its exact digits."""
    try:
        # Most bodies (locations) hold no Decimal: the C encoder writes the same text ~20x
        # faster (bench/import_locations.py queues 10,000 of them in one import).
        separators = (",", ": ") if indent is not None else (", ", ": ")
        return json.dumps(value, ensure_ascii=False, indent=indent, separators=separators)
    except TypeError:
        return "".join(_encode(value, indent, 0))


def _encode(value, indent: int | None, depth: int):
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        yield format(value, "f")
        return
    if isinstance(value, dict | list | tuple):
        items = list(value.items()) if isinstance(value, dict) else list(value)
        opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
        if not items:
            yield opening + closing
            return
        inner = "" if indent is None else "\n" + " " * (indent * (depth + 1))
        outer = "" if indent is None else "\n" + " " * (indent * depth)
        separator = "," if indent is not None else ", "
        yield opening
        for index, item in enumerate(items):
            yield (separator if index else "") + inner
            if isinstance(value, dict):
                yield json.dumps(str(item[0]), ensure_ascii=False) + ": "
                yield from _encode(item[1], indent, depth + 1)
            else:
                yield from _encode(item, indent, depth + 1)
        yield outer + closing
        return
    yield json.dumps(value, ensure_ascii=False)


class ExactJSONEncoder(json.JSONEncoder):
    """For JSONField(encoder=...): Decimals stored as numbers with their exact digits."""

    def encode(self, o) -> str:
        return dumps(o)


class ExactJSONDecoder(json.JSONDecoder):
    """For JSONField(decoder=...): numbers read back as Decimal, never float."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("parse_float", Decimal)
        super().__init__(*args, **kwargs)
