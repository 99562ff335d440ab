"""Forms of the finance actions and of the statement period."""

from __future__ import annotations

import datetime as dt

from django import forms

from .filters import EMSP
from .selectors import FINANCE_ZONE


class CreditForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text="Why: it is kept with the credit CDR and in the audit trail.",
    )
    rebill = forms.BooleanField(
        required=False,
        initial=True,
        label="Issue a corrected CDR (re-bill) after the credit",
    )
    rebill_tariff_id = forms.CharField(
        required=False,
        max_length=36,
        label="Re-bill under tariff id",
        help_text="Empty: the session's own tariff. Its description for this eMSP valid at the "
        "start is used (Gireve §3.10.3, §3.10.4).",
    )
    confirm = forms.BooleanField(
        label="I understand: the credit CDR is not forwarded by the hub today; the corrected "
        "CDR is (Gireve §3.9.3)."
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("A reason is required.")
        return reason


class StatementForm(forms.Form):
    emsp = forms.CharField(
        label="eMSP",
        max_length=6,
        widget=forms.TextInput(attrs={"placeholder": "FR*ABC", "list": "emsps"}),
    )
    month = forms.CharField(
        required=False,
        label="Month",
        widget=forms.TextInput(attrs={"type": "month"}),
        help_text="A month, or a period below.",
    )
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(
        required=False, label="To (included)", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_emsp(self) -> str:
        value = self.cleaned_data["emsp"].strip()
        if not EMSP.match(value):
            raise forms.ValidationError("An eMSP is written like FR*ABC (country*party).")
        return value.upper()

    def clean_month(self) -> dt.date | None:
        value = self.cleaned_data["month"].strip()
        if not value:
            return None
        try:
            return dt.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError("A month is written YYYY-MM, e.g. 2026-03.") from None

    def clean(self):
        data = super().clean()
        month, start, end = data.get("month"), data.get("start"), data.get("end")
        if month:
            following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            data["start"], data["end"] = month, following - dt.timedelta(days=1)
        elif start and end:
            if end < start:
                self.add_error("end", "The end date is before the start date.")
            elif (end - start).days > 366:
                self.add_error("end", "A statement covers at most a year.")
        elif not self.errors:
            raise forms.ValidationError("Choose a month, or both dates of a period.")
        return data


def this_month() -> str:
    return dt.datetime.now(FINANCE_ZONE).strftime("%Y-%m")
