"""The structured tariff editor: OCPI elements edited as prices with units, JSON kept as advanced.

The textarea stays the form's value (OCPI JSON, exact decimals); tariffs/static/tariffs/editor.js
builds the editor from it and writes it back, and asks the admin for the words
(tariffs.wording) as prices change.
"""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.html import format_html


class TariffElementsEditor(forms.Textarea):
    def __init__(self, *, currency: str = "EUR", attrs=None):
        super().__init__({"rows": 12, "cols": 80, **(attrs or {})})
        self.currency = currency

    def render(self, name, value, attrs=None, renderer=None):
        textarea = super().render(name, value, {**(attrs or {}), "class": "te-json"}, renderer)
        return format_html(
            '<div class="tariff-editor" data-currency="{}" data-describe-url="{}">'
            '<div class="te-elements"></div>'
            '<p><button type="button" class="button te-add-element">Add prices for a period or '
            "a condition</button></p>"
            '<p class="te-preview"><strong>In words:</strong> <span class="te-words">-</span></p>'
            '<details class="te-advanced"><summary>OCPI JSON (advanced)</summary>{}</details>'
            "</div>",
            self.currency,
            reverse("admin:tariffs_tariff_describe"),
            textarea,
        )

    class Media:
        js = ["tariffs/editor.js"]
        css = {"all": ["tariffs/editor.css"]}
