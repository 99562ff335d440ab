"""Admin inputs that help staff type OCPI formats: suggestions, coordinates, units."""

from __future__ import annotations

import zoneinfo
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.html import format_html, format_html_join


class DatalistInput(forms.TextInput):
    """A text input with suggestions (HTML datalist): searchable, free text still allowed."""

    def __init__(self, options, *, list_id: str, attrs=None):
        super().__init__({**(attrs or {}), "list": list_id, "autocomplete": "off"})
        self.options = options  # iterable of (value, label) or a callable returning one
        self.list_id = list_id

    def render(self, name, value, attrs=None, renderer=None):
        options = self.options() if callable(self.options) else self.options
        return super().render(name, value, attrs, renderer) + format_html(
            '<datalist id="{}">{}</datalist>',
            self.list_id,
            format_html_join("", '<option value="{}">{}</option>', options),
        )


def time_zone_options() -> list[tuple[str, str]]:
    return [(zone, zone) for zone in sorted(zoneinfo.available_timezones()) if "/" in zone]


class CoordinateField(forms.CharField):
    """Decimal degrees as OCPI wants them (5 to 7 decimals): 47.2064 becomes 47.20640.

    A comma is read as the decimal point; more than 7 decimals are rounded (7 decimals
    is about 1 cm). Range and format are still checked by the model's validators.
    """

    def to_python(self, value):
        text = super().to_python(value).strip().replace(",", ".")
        if not text:
            return text
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text  # the model validator explains the format
        if not number.is_finite():
            return text
        decimals = -number.as_tuple().exponent
        if decimals < 5:
            return f"{number:.5f}"
        if decimals > 7:
            return f"{number:.7f}"
        return text
