"""The CDR filter form: GET parameters in, a filtered and sorted queryset out.

Bad input (a date that is not one, an end before the start, "FR-AB" as an eMSP) is a form
error shown above the list, which then stays empty: never a 500, never a silently wider set.
"""

from __future__ import annotations

import re

from django import forms
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from locations.models import Location
from roaming.models import Operator

from ..models import Cdr
from . import selectors

EMSP = re.compile(r"^[A-Za-z]{2}\*[A-Za-z0-9]{3}$")
KINDS = [
    ("", "any"),
    ("original", "originals (not credit, not re-bill)"),
    ("credit", "credit CDRs"),
    ("rebill", "re-billed (corrected) CDRs"),
    ("credited", "credited CDRs"),
    ("held", "held (failed a check, not sent)"),
]
# Self-test CDRs (sessions.test_charge): never billed, listed only when asked, never in totals.
TESTS = [
    ("", "hidden"),
    ("shown", "shown, marked TEST (never in totals)"),
    ("only", "only those"),
]
# Sort key in the URL -> ORDER BY; pk keeps pages stable when values tie.
SORTS = {
    "start": ("start_date_time", "pk"),
    "-start": ("-start_date_time", "-pk"),
    "amount": ("total_cost_excl_vat", "pk"),
    "-amount": ("-total_cost_excl_vat", "-pk"),
    "energy": ("total_energy", "pk"),
    "-energy": ("-total_energy", "-pk"),
    "id": ("ocpi_id", "pk"),
    "-id": ("-ocpi_id", "-pk"),
    "emsp": ("emsp_country_code", "emsp_party_id", "-start_date_time", "pk"),
    "-emsp": ("-emsp_country_code", "-emsp_party_id", "-start_date_time", "-pk"),
}
# Amounts as an accountant reads them, not "no more than 14 digits in total" (audit 2, E4).
_LIMIT = "An amount is at most 9999999999.9999"
AMOUNT_ERRORS = {
    "max_digits": f"{_LIMIT}.",
    "max_whole_digits": f"{_LIMIT}.",
    "max_decimal_places": f"{_LIMIT}: 4 decimals at most.",
}


class CdrFilterForm(forms.Form):
    start = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label="To (included)", widget=forms.DateInput(attrs={"type": "date"})
    )
    emsp = forms.CharField(
        required=False,
        label="eMSP",
        max_length=6,
        widget=forms.TextInput(attrs={"placeholder": "FR*ABC", "list": "emsps"}),
    )
    operator = forms.ModelChoiceField(
        queryset=Operator.objects.order_by("country_code", "party_id"),
        required=False,
        empty_label="any",
    )
    location = forms.ModelChoiceField(
        queryset=Location.objects.select_related("operator").order_by("ocpi_id"),
        required=False,
        empty_label="any",
    )
    tariff = forms.CharField(required=False, max_length=36, label="Tariff id")
    kind = forms.ChoiceField(choices=KINDS, required=False, label="Kind")
    tests = forms.ChoiceField(choices=TESTS, required=False, label="Self-test CDRs")
    min_amount = forms.DecimalField(
        required=False, label="Excl. VAT from", max_digits=14, decimal_places=4,
        error_messages=AMOUNT_ERRORS,
    )  # fmt: skip
    max_amount = forms.DecimalField(
        required=False, label="Excl. VAT to", max_digits=14, decimal_places=4,
        error_messages=AMOUNT_ERRORS,
    )  # fmt: skip
    q = forms.CharField(
        required=False,
        max_length=64,
        label="Search",
        widget=forms.TextInput(attrs={"placeholder": "CDR/session id, contract id, token uid"}),
    )
    sort = forms.ChoiceField(
        choices=[(key, key) for key in SORTS],
        required=False,
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": "The sort order in the address is unknown: click a column "
            "heading to sort, or Clear."
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].label_from_instance = lambda loc: f"{loc.ocpi_id} ({loc.city})"
        self.fields["operator"].label_from_instance = lambda op: (
            f"{op.country_code}*{op.party_id} {op.name}"
        )

    def clean_emsp(self) -> str:
        value = self.cleaned_data["emsp"].strip()
        if value and not EMSP.match(value):
            raise forms.ValidationError("An eMSP is written like FR*ABC (country*party).")
        return value.upper()

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The end date is before the start date.")
        low, high = data.get("min_amount"), data.get("max_amount")
        if low is not None and high is not None and high < low:
            self.add_error("max_amount", "The upper amount is below the lower one.")
        return data

    def filter_qs(self, queryset: QuerySet[Cdr]) -> QuerySet[Cdr]:
        """The form's filters and sort on `queryset`; nothing at all when the form is invalid."""
        if not self.is_valid():
            return queryset.none()
        data = self.cleaned_data
        if data["start"]:
            start, _ = selectors.local_bounds(data["start"], data["start"])
            queryset = queryset.filter(start_date_time__gte=start)
        if data["end"]:
            _, end = selectors.local_bounds(data["end"], data["end"])
            queryset = queryset.filter(start_date_time__lt=end)
        if data["emsp"]:
            queryset = selectors.for_emsp(queryset, data["emsp"])
        if data["operator"]:
            queryset = queryset.filter(operator=data["operator"])
        if data["location"]:
            queryset = queryset.filter(session__location=data["location"])
        queryset = _kind(queryset, data["kind"])
        if data["tests"] == "only":
            queryset = queryset.filter(is_test=True)
        elif data["tests"] != "shown":
            queryset = selectors.billable(queryset)
        if data["min_amount"] is not None:
            queryset = queryset.filter(total_cost_excl_vat__gte=data["min_amount"])
        if data["max_amount"] is not None:
            queryset = queryset.filter(total_cost_excl_vat__lte=data["max_amount"])
        if data["tariff"] or data["q"]:
            queryset = selectors.searchable(queryset)
        if data["tariff"]:
            queryset = queryset.filter(tariff_upper=data["tariff"].strip().upper())
        if data["q"]:
            text = data["q"].strip().upper()
            queryset = queryset.filter(
                Q(id_upper__startswith=text)
                | Q(contract_upper__startswith=text)
                | Q(uid_upper=text)
            )
        narrowed = any(data[name] for name in ("emsp", "location", "tariff", "start", "end"))
        return queryset.order_by(
            *_ordering(data["sort"] or "-start", search=bool(data["q"]), narrowed=narrowed)
        )

    def shows_tests(self) -> bool:
        """Whether the list shows self-test CDRs (totals never count them)."""
        return self.is_bound and self.is_valid() and bool(self.cleaned_data["tests"])

    def sort_key(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_bound and self.is_valid() else "") or (
            "-start"
        )


def _ordering(sort: str, *, search: bool, narrowed: bool) -> list:
    """ORDER BY for `sort`. With free text, or a non-time sort of a narrowed set:
    COALESCE(col, col), which no index covers. With a LIMIT, PostgreSQL would else walk the
    start (or amount) index hoping to meet 50 matches soon, and read most of a million rows
    when the matches sit elsewhere (a CDR id prefix: 10 s in bench/finance.py); this way it
    filters by its indexes first, then sorts the matches. Otherwise the columns themselves, so
    the start, eMSP or amount index hands the rows in order (a whole table sorted by amount)."""
    fields = SORTS[sort]
    if not search and (sort in ("start", "-start") or not narrowed):
        return list(fields)
    ordering = []
    for name in fields:
        column = name.lstrip("-")
        if column == "pk":
            ordering.append(name)
            continue
        expression = Coalesce(F(column), F(column))
        ordering.append(expression.desc() if name.startswith("-") else expression.asc())
    return ordering


def _kind(queryset: QuerySet[Cdr], kind: str) -> QuerySet[Cdr]:
    if kind == "original":
        return queryset.filter(credit=False, rebill_of__isnull=True)
    if kind == "credit":
        return queryset.filter(credit=True)
    if kind == "rebill":
        return queryset.filter(rebill_of__isnull=False)
    if kind == "credited":
        return queryset.filter(Exists(Cdr.objects.filter(credit_reference=OuterRef("pk"))))
    if kind == "held":
        return queryset.filter(state=Cdr.State.HELD)
    return queryset
