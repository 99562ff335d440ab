"""Finance screens: thin views over selectors (reads) and sessions.cdr_services (the credit).

Every view declares its permission (access.finance_view); the query count of each page is
bounded and tested (tests/finance/test_pages.py).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from roaming.ocpi_time import parse_datetime

from .. import cdr_services
from ..models import Cdr
from ..session_state import energy_points
from . import charts, exports, selectors
from .access import CREDIT, can_credit, finance_view
from .explanation import explain_cdr
from .filters import CdrFilterForm
from .forms import CreditForm, StatementForm, this_month
from .words import cdr_fields, period_rows

PAGE_SIZE = 50


def _page(request: HttpRequest, queryset, count: int):
    paginator = Paginator(queryset, PAGE_SIZE)
    paginator.count = count  # known from the totals query: no second COUNT(*)
    return paginator.get_page(request.GET.get("page"))


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@finance_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.now().astimezone(selectors.FINANCE_ZONE).date()
    month = selectors.in_period(selectors.billable(), today.replace(day=1), today)
    held = selectors.billable().filter(state=Cdr.State.HELD).order_by("-start_date_time")
    waiting = selectors.unacknowledged(selectors.billable()).order_by("-start_date_time")
    return render(
        request,
        "finance/dashboard.html",
        {
            "today": today,
            "month_label": today.strftime("%B %Y"),
            "month_param": today.strftime("%Y-%m"),
            "by_emsp": selectors.totals_by(month, "emsp_country_code", "emsp_party_id"),
            "by_operator": selectors.totals_by(
                month, "operator__country_code", "operator__party_id"
            ),
            "totals": selectors.totals_by_currency(month),
            "held": list(held[:20]),
            "held_count": held.count(),
            "waiting": list(waiting[:20]),
            "waiting_count": waiting.count(),
        },
    )


@finance_view()
def cdr_list(request: HttpRequest) -> HttpResponse:
    if not request.GET:
        # Opening the list shows this month (totals over years of CDRs are seconds, not ms);
        # the From field says so and can be emptied.
        today = timezone.now().astimezone(selectors.FINANCE_ZONE).date()
        return redirect(f"{reverse('finance:cdrs')}?start={today.replace(day=1).isoformat()}")
    form = CdrFilterForm(request.GET)
    queryset = form.filter_qs(Cdr.objects.all())
    totals = selectors.totals_by_currency(queryset)
    billable = sum(t.cdrs for t in totals)
    # Self-test CDRs are in no total: counted apart, only when the list shows them.
    tests = queryset.filter(is_test=True).count() if form.shows_tests() else 0
    page = _page(request, selectors.cdr_rows(queryset), billable + tests)
    return render(
        request,
        "finance/cdr_list.html",
        {
            "form": form,
            "page": page,
            "totals": totals,
            "emsps": selectors.emsps(),
            "sort": form.sort_key(),
            "sortable": True,
            "query": _query_without(request, "page"),
            "sort_query": _query_without(request, "page", "sort"),
            "export_query": _query_without(request, "page"),
            "export_count": billable,
            "test_count": tests,
        },
    )


@finance_view()
def cdr_export(request: HttpRequest, fmt: str) -> HttpResponse:
    form = CdrFilterForm(request.GET)
    queryset = form.filter_qs(Cdr.objects.all())
    if not form.is_valid():
        return render(
            request, "finance/cdr_list.html", {"form": form, "totals": [], "page": None}, status=400
        )
    stamp = timezone.now().astimezone(selectors.FINANCE_ZONE).strftime("%Y%m%d-%H%M")
    return _export(fmt, f"cdrs-{stamp}", exports.rows(queryset))


def _export(fmt: str, name: str, body, summary: list[list] | None = None) -> HttpResponse:
    if fmt == "csv":
        return exports.csv_response(f"{name}.csv", body, preamble=summary or ())
    if fmt == "xlsx":
        return exports.xlsx_response(f"{name}.xlsx", body, summary)
    raise Http404("Exports are csv or xlsx.")


@finance_view()
def cdr_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cdr = get_object_or_404(Cdr.objects.select_related("session", "operator", "created_by"), pk=pk)
    session = cdr.session
    zone = ZoneInfo(session.time_zone)
    explanation = explain_cdr(cdr, session.time_zone)
    chain = selectors.chain_of(cdr)
    states = selectors.hub_states(chain, session)
    for other in chain:
        other.hub_state = states[other.pk]
    return render(
        request,
        "finance/cdr_detail.html",
        {
            "cdr": cdr,
            "fields": cdr_fields(cdr.data, zone),
            "periods": period_rows(cdr.data, zone),
            "explanation": explanation,
            "chart": _timeline(cdr, explanation, zone),
            "legend": [
                (i + 1, charts.element_colour(i + 1), words)
                for i, words in enumerate(explanation.elements)
            ],
            "parking_colour": charts.PARKING,
            "messages_sent": selectors.messages_of(cdr),
            "chain": chain,
            "creditable": _creditable(cdr, chain),
            "can_credit": can_credit(request.user),
            "zone": session.time_zone,
            "meter_resets": [
                {**reset, "at": parse_datetime(reset["at"]).astimezone(zone)}
                for reset in session.meter_resets
            ],
        },
    )


def _creditable(cdr: Cdr, chain: list[Cdr]) -> bool:
    credited = any(other.credit_reference_id == cdr.pk for other in chain)
    billed = not cdr.credit and not cdr.is_test  # a self-test CDR costs nothing
    return billed and cdr.state == Cdr.State.QUEUED and not credited


def _timeline(cdr: Cdr, explanation, zone) -> str:
    start = parse_datetime(cdr.data["start_date_time"])
    end = parse_datetime(cdr.data["end_date_time"])
    session = cdr.session
    points = [(start, Decimal(0))]
    # The meter register rule (docs/sessions.md): a reset adds nothing, counting goes on.
    points += [(at, kwh) for at, kwh in energy_points(session) if start <= at <= end]
    if len(points) == 1:  # no samples kept: the periods' energy, cumulated
        total = Decimal(0)
        for period in cdr.data.get("charging_periods", []):
            for dimension in period.get("dimensions", []):
                if dimension.get("type") == "ENERGY":
                    total += Decimal(dimension["volume"])
        points.append((end, total))
    if points[-1][0] < end:  # parked: the energy stays as it was
        points.append((end, points[-1][1]))
    bands = [
        (line.start, line.end, line.element, line.type)
        for line in explanation.lines
        if not line.step_rounding and line.type != "FLAT"
    ]
    return charts.timeline(points, bands, start, max(end, start + dt.timedelta(seconds=1)), zone)


@finance_view(CREDIT)
def cdr_credit(request: HttpRequest, pk: int) -> HttpResponse:
    cdr = get_object_or_404(Cdr.objects.select_related("session"), pk=pk)
    form = CreditForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            correction = cdr_services.credit_cdr(
                cdr=cdr,
                reason=form.cleaned_data["reason"],
                user=request.user,
                rebill=form.cleaned_data["rebill"],
                rebill_tariff_id=form.cleaned_data["rebill_tariff_id"].strip() or None,
            )
        except ValidationError as error:
            for message in _messages_of(error):
                form.add_error(None, message)
        else:
            issued = f"Credit CDR {correction.credit.ocpi_id} issued"
            if correction.rebill:
                issued += f" and corrected CDR {correction.rebill.ocpi_id}"
                if correction.rebill.state == Cdr.State.HELD:
                    issued += " (held: it failed a check, see its page)"
            messages.success(request, issued + ".")
            target = correction.rebill or correction.credit
            return redirect(reverse("finance:cdr", args=[target.pk]))
    return render(request, "finance/credit.html", {"cdr": cdr, "form": form})


def _messages_of(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{field}: {m}" for field, items in error.message_dict.items() for m in items]
    return list(error.messages)


def _statement_data(form: StatementForm) -> dict:
    emsp, first, last = (form.cleaned_data[name] for name in ("emsp", "start", "end"))
    # A statement is what the eMSP is billed: never a self-test CDR.
    cdrs = selectors.for_emsp(selectors.in_period(selectors.billable(), first, last), emsp)
    before = selectors.previous_period(first, last)
    previous = selectors.for_emsp(selectors.in_period(selectors.billable(), *before), emsp)
    return {"emsp": emsp, "first": first, "last": last, "cdrs": cdrs, "before": before,
            "previous": previous}  # fmt: skip


@finance_view()
def statement(request: HttpRequest) -> HttpResponse:
    form = StatementForm(request.GET or None, initial={"month": this_month()})
    context: dict = {"form": form, "emsps": selectors.emsps()}
    if form.is_valid():
        data = _statement_data(form)
        totals = selectors.totals_by_currency(data["cdrs"])
        previous = {t.currency: t for t in selectors.totals_by_currency(data["previous"])}
        context.update(
            data,
            totals=[(t, previous.get(t.currency)) for t in totals],
            previous_only=[t for c, t in previous.items() if c not in {t.currency for t in totals}],
            charts=_daily_charts(selectors.daily(data["cdrs"]), data["first"], data["last"]),
            page=_page(
                request,
                selectors.cdr_rows(data["cdrs"]).order_by("start_date_time", "pk"),
                sum(t.cdrs for t in totals),
            ),
            query=_query_without(request, "page"),
        )
    return render(request, "finance/statement.html", context)


def _daily_charts(rows: list[dict], first: dt.date, last: dt.date) -> list[dict]:
    """Per currency: a revenue chart and an energy chart over every day of the period."""
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    by_currency: dict[str, dict] = {}
    for row in rows:
        by_currency.setdefault(row["currency"], {})[row["day"]] = row
    result = []
    for currency, per_day in sorted(by_currency.items()):
        revenue = [(per_day.get(d) or {}).get("excl_vat") or Decimal(0) for d in days]
        energy = [(per_day.get(d) or {}).get("kwh") or Decimal(0) for d in days]
        result.append(
            {
                "currency": currency,
                "revenue": charts.daily_bars(days, revenue, f"{currency} excl. VAT", "#1f5fbf"),
                "energy": charts.daily_bars(days, energy, "kWh", "#3a9a4a"),
            }
        )
    return result


@finance_view()
def statement_export(request: HttpRequest, fmt: str) -> HttpResponse:
    form = StatementForm(request.GET)
    if not form.is_valid():
        return render(request, "finance/statement.html", {"form": form, "emsps": []}, status=400)
    data = _statement_data(form)
    summary = _statement_summary(data)
    name = f"statement-{data['emsp'].replace('*', '')}-{data['first']:%Y%m%d}-{data['last']:%Y%m%d}"
    body = exports.rows(data["cdrs"].order_by("start_date_time", "pk"))
    return _export(fmt, name, body, summary)


def _statement_summary(data: dict) -> list[list]:
    first, last = f"{data['first']:%Y-%m-%d}", f"{data['last']:%Y-%m-%d}"
    lines = [
        ["Statement", data["emsp"]],
        ["Period", f"{first} to {last}", str(selectors.FINANCE_ZONE)],
        ["Figures are net of credits (a credit CDR counts minus its original)."],
        ["Currency", "Sessions", "Energy (kWh)", "Session time (h)", "of which parking (h)",
         "Total excl. VAT", "Total incl. VAT", "Previous period excl. VAT"],
    ]  # fmt: skip
    previous = {t.currency: t for t in selectors.totals_by_currency(data["previous"])}
    for t in selectors.totals_by_currency(data["cdrs"]):
        before = previous.get(t.currency)
        lines.append(
            [t.currency, t.sessions, t.kwh, t.hours, t.parking_hours, t.excl_vat, t.incl_vat,
             before.excl_vat if before else Decimal(0)]
        )  # fmt: skip
    lines.append([])
    return lines
