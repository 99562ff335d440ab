"""One rule per OCPI type (issue 18.6): what we store (roaming.ocpi_checks) and what we receive
(roaming.ocpi_serializers) judge every value alike, as OCPI 2.2.1 types.asciidoc defines it.

Each value is put to both: the stored-JSON check and a serializer field of the same type.
Before, a Decimal (what our exact JSON parser gives) was refused by the checks and taken by
the serializers, and `http://` or `https://a b` was taken by the serializers and refused by
the checks, while `http://hub:8080/ocpi` (a valid URL) was refused by the checks.
"""

from decimal import Decimal

import pytest

from roaming import ocpi_checks as checks
from roaming import ocpi_serializers as oc


class Sample(oc.OcpiSerializer):
    url = oc.Url()
    number = oc.Number(minimum=0)
    integer = oc.Number(integer=True, minimum=0, maximum=99999)
    datetime = oc.DateTime()
    language = oc.String(2)
    text = oc.String(512)
    ci = oc.String(36, ci=True)


STORED = {
    "url": checks.url,
    "number": checks.number(0),
    "integer": checks.integer(0, 99999),
    "datetime": checks.datetime,
    "language": checks.display_text,
    "text": checks.display_text,
    "ci": checks.string(36, ci=True),
}


def received_ok(field: str, value) -> bool:
    serializer = Sample(data={field: value}, partial=True)
    return serializer.is_valid()


def stored_ok(field: str, value) -> bool:
    if field in ("language", "text"):  # DisplayText: language string(2), text string(512)
        other = {"language": "en", "text": "Open 24/7"}
        return not STORED[field]({**other, field: value}, field)
    return not STORED[field](value, field)


CASES = [
    # types §URL: string(255) following the w3.org URI syntax.
    ("url", "https://hub.example.com/ocpi/2.2.1/locations", True),
    ("url", "http://hub:8080/ocpi/versions", True),  # single-label host: refused by Django's
    ("url", "http://127.0.0.1:8000/ocpi", True),
    ("url", "http://", False),  # no host: taken by the serializers
    ("url", "https://a b.example.com/x", False),  # a blank
    ("url", "ftp://example.com/logo.png", False),
    ("url", "https://example.com:99999/", False),  # port out of range
    ("url", "https://example.com/" + "x" * 240, False),  # over 255
    ("url", 7, False),
    # types §number: a JSON number; our parser gives Decimals (refused by the checks).
    ("number", Decimal("0.2500"), True),
    ("number", 3, True),
    ("number", 0.25, True),
    ("number", Decimal("1e12"), False),  # beyond what our columns hold: taken by the checks
    ("number", float("nan"), False),
    ("number", float("inf"), False),
    ("number", "0.25", False),
    ("number", True, False),
    ("number", Decimal("-0.01"), False),
    ("integer", 640, True),
    ("integer", Decimal("640"), False),
    ("integer", 100000, False),
    # types §DateTime: UTC, 'Z' or no designator, fractions allowed; "+00:00 is not UTC".
    ("datetime", "2015-06-29T20:39:09Z", True),
    ("datetime", "2015-06-29T20:39:09", True),
    ("datetime", "2016-12-29T17:45:09.2Z", True),
    ("datetime", "2018-01-01T01:08:01.123", True),
    ("datetime", "2015-06-29T20:39:09+00:00", False),  # taken by the checks
    ("datetime", "2015-06-29T22:39:09+02:00", False),
    ("datetime", "2015-06-29 20:39:09Z", False),
    ("datetime", "2015-02-30T20:39:09Z", False),
    # types §DisplayText: language string(2), text string(512), printable.
    ("language", "fr", True),
    ("language", "fra", False),
    ("language", "", False),
    ("text", "Ouvert 24h/24 — accès badge", True),
    ("text", "x" * 513, False),
    ("text", "two\nlines", False),
    # "printable": no control character (C0, DEL, C1), no line or paragraph separator, no lone
    # surrogate; a no-break space or an emoji is printable (the OpenAPI pattern says the same).
    ("text", "Parking\u00a0P2 \U0001f50c", True),
    ("text", "a\u2028b", False),
    ("text", "a\x85b", False),
    ("text", "a\ud800b", False),
    # types §CiString: printable ASCII.
    ("ci", "LOC-1_A.B*2", True),
    ("ci", "café", False),
    ("ci", "x" * 37, False),
]


@pytest.mark.parametrize(
    ("field", "value", "valid"), CASES, ids=[f"{c[0]}-{c[1]!r}" for c in CASES]
)
def test_stored_and_received_values_are_judged_by_one_rule(field, value, valid):
    assert (stored_ok(field, value), received_ok(field, value)) == (valid, valid)


def test_the_published_string_pattern_is_the_rule_we_check():
    import re

    for text in ["Parking\u00a0P2 \U0001f50c", "a\u2028b", "a\x85b", "tab\there", "ok"]:
        assert (re.fullmatch(checks.STRING_PATTERN, text) is not None) == (
            not checks.non_printable(text)
        ), text


def test_a_refusal_names_the_rule_in_both_vocabularies():
    assert checks.url("http://", "website") == ["website: 'http://' is not a valid http(s) URL."]
    serializer = Sample(data={"url": "http://"}, partial=True)
    assert not serializer.is_valid()
    assert serializer.errors["url"] == ["'http://' is not a valid http(s) URL"]
