"""The structured tariff editor: OCPI elements edited as prices with units, JSON kept as advanced.

The textarea stays the form's value (OCPI JSON, exact decimals); tariffs/static/tariffs/editor.js
builds the editor from it and writes it back, and asks the admin for the words
(tariffs.wording) as prices change.
"""

from __future__ import annotations

import json

from django import forms
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from roaming.ocpi_json import ExactJSONDecoder

from .wording import describe_elements


def _words(value, currency: str) -> str:
    """The prices in words at once (the editor refreshes them as they change)."""
    try:
        elements = json.loads(value, cls=ExactJSONDecoder) if isinstance(value, str) else value
        return describe_elements(elements, currency) or "-"
    except Exception:  # noqa: BLE001 - any unreadable value: the editor says what is wrong
        return "-"


class TariffElementsEditor(forms.Textarea):
    def __init__(self, *, currency: str = "EUR", attrs=None):
        super().__init__({"rows": 12, "cols": 80, **(attrs or {})})
        self.currency = currency

    def render(self, name, value, attrs=None, renderer=None):
        words = _words(value, self.currency)
        textarea = super().render(name, value, {**(attrs or {}), "class": "te-json"}, renderer)
        return format_html(
            '<div class="tariff-editor" data-currency="{}" data-describe-url="{}">'
            '<div class="te-elements"></div>'
            '<p><button type="button" class="button te-add-element">Add prices for a period or '
            "a condition</button></p>"
            '<p class="te-preview"><strong>In words:</strong> <span class="te-words">{}</span></p>'
            '<details class="te-advanced"><summary>OCPI JSON (advanced)</summary>{}</details>'
            "</div>",
            self.currency,
            reverse("admin:tariffs_tariff_describe"),
            words,
            textarea,
        )

    class Media:
        js = ["tariffs/editor.js"]
        css = {"all": ["tariffs/editor.css"]}


# --- small OCPI classes as fields (Price, DisplayText list, EnergyMix): no JSON to type ------


def _input(name: str, value, size: int = 8, label: str = "", kind: str = "text") -> str:
    return format_html(
        '<input type="{}" name="{}" value="{}" size="{}" aria-label="{}">',
        kind,
        name,
        "" if value is None else value,
        size,
        label,
    )


def _select(name: str, value, choices, label: str) -> str:
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((k, mark_safe(" selected") if str(k) == str(value or "") else "", v) for k, v in choices),
    )
    return format_html('<select name="{}" aria-label="{}">{}</select>', name, label, options)


class PriceWidget(forms.Widget):
    """OCPI Price as two amounts side by side: excl. VAT, incl. VAT."""

    def value_from_datadict(self, data, files, name):
        return {key: data.get(f"{name}_{key}", "") for key in ("excl_vat", "incl_vat")}

    def value_omitted_from_data(self, data, files, name):
        return not any(f"{name}_{key}" in data for key in ("excl_vat", "incl_vat"))

    def render(self, name, value, attrs=None, renderer=None):
        value = value if isinstance(value, dict) else {}
        return format_html(
            '<span class="te-price-pair">{} excl. VAT &nbsp; {} incl. VAT</span>',
            mark_safe(_input(f"{name}_excl_vat", value.get("excl_vat"), label="excl. VAT")),
            mark_safe(_input(f"{name}_incl_vat", value.get("incl_vat"), label="incl. VAT")),
        )


class RowsWidget(forms.Widget):
    """A list of small objects as table rows, one spare empty row to add one; posted as
    name_<row>_<key>. columns: (key, header, choices or None, size)."""

    def __init__(self, columns, *, spare: int = 1, attrs=None):
        super().__init__(attrs)
        self.columns, self.spare = columns, spare

    def value_from_datadict(self, data, files, name):
        rows, i = [], 0
        while any(f"{name}_{i}_{key}" in data for key, *_ in self.columns):
            rows.append(
                {key: data.get(f"{name}_{i}_{key}", "").strip() for key, *_ in self.columns}
            )
            i += 1
        return rows

    def value_omitted_from_data(self, data, files, name):
        return f"{name}_0_{self.columns[0][0]}" not in data

    def render(self, name, value, attrs=None, renderer=None):
        rows = [r for r in value or [] if isinstance(r, dict)]
        rows += [{}] * self.spare
        header = format_html_join("", "<th>{}</th>", ((head,) for _, head, *_ in self.columns))
        body = format_html_join(
            "",
            "<tr>{}</tr>",
            (
                (
                    format_html_join(
                        "",
                        "<td>{}</td>",
                        (
                            (
                                mark_safe(
                                    _select(f"{name}_{i}_{key}", row.get(key), choices, head)
                                    if choices
                                    else _input(f"{name}_{i}_{key}", row.get(key), size, head)
                                ),
                            )
                            for key, head, choices, size in self.columns
                        ),
                    ),
                )
                for i, row in enumerate(rows)
            ),
        )
        return format_html(
            '<table class="te-rows"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>'
            '<p class="help">Save to get another empty line.</p>',
            header,
            body,
        )


class EnergyMixWidget(forms.Widget):
    """OCPI EnergyMix: green or not, supplier and product names, sources and impact rows."""

    def __init__(self, *, sources: RowsWidget, impacts: RowsWidget, attrs=None):
        super().__init__(attrs)
        self.sources, self.impacts = sources, impacts

    def value_from_datadict(self, data, files, name):
        return {
            "is_green_energy": data.get(f"{name}_is_green_energy") == "on",
            "supplier_name": data.get(f"{name}_supplier_name", "").strip(),
            "energy_product_name": data.get(f"{name}_energy_product_name", "").strip(),
            "energy_sources": self.sources.value_from_datadict(data, files, f"{name}_sources"),
            "environ_impact": self.impacts.value_from_datadict(data, files, f"{name}_impact"),
        }

    def value_omitted_from_data(self, data, files, name):
        return f"{name}_supplier_name" not in data

    def render(self, name, value, attrs=None, renderer=None):
        value = value if isinstance(value, dict) else {}
        green = format_html(
            '<label><input type="checkbox" name="{}_is_green_energy"{}> green energy</label>',
            name,
            mark_safe(" checked") if value.get("is_green_energy") else "",
        )
        return format_html(
            '<div class="te-energy-mix"><p>{}</p><p>Supplier {} &nbsp; product {}</p>'
            "<p>Sources (% of the energy):</p>{}<p>Environmental impact (g/kWh):</p>{}</div>",
            green,
            mark_safe(_input(f"{name}_supplier_name", value.get("supplier_name"), 30, "supplier")),
            mark_safe(
                _input(
                    f"{name}_energy_product_name", value.get("energy_product_name"), 30, "product"
                )
            ),
            self.sources.render(f"{name}_sources", value.get("energy_sources")),
            self.impacts.render(f"{name}_impact", value.get("environ_impact")),
        )
