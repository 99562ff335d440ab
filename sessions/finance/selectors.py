"""Reads of CDRs for the finance UI: rows, totals and statements aggregated in SQL.

Figures are net of credits: a credit CDR carries the original's volumes and negative
amounts (OCPI 2.2.1 mod_cdrs), so it counts -1 session and minus its volumes; a credited
and re-billed session then counts once, at its corrected price. Periods and days are taken
in FINANCE_ZONE (the platform's business is French), on the CDR's start_date_time.
Self-test CDRs (Cdr.is_test, sessions.test_charge) are never billed: no total, statement or
export counts them (`billable`); the CDR list shows them only when asked, marked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Concat, TruncDate, Upper

from roaming.models import Platform
from roaming.outbox.models import Message

from ..models import Cdr
from ..session_push import CDR_MODULE, stream_key

FINANCE_ZONE = ZoneInfo("Europe/Paris")


class Quantized(DecimalField):
    """A computed decimal read back with exactly its `decimal_places`, on every database.

    PostgreSQL returns numeric(20, 4) with 4 decimals; SQLite (`bash .ci/start`) computes in
    REAL and Django hands back 15 significant digits ("9.85570000000000"), which the list,
    the statement and the CSV then printed (issue 18, item 7)."""

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return quantized(value, self.decimal_places)


def quantized(value, decimal_places: int) -> Decimal:
    """`value` with exactly `decimal_places` decimals (half up; a float goes through str)."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return number.quantize(Decimal(1).scaleb(-decimal_places), rounding=ROUND_HALF_UP)


MONEY = Quantized(max_digits=20, decimal_places=4)
# OCPI total_time / total_parking_time are hours with up to 6 decimals (whole seconds).
HOURS = Quantized(max_digits=20, decimal_places=6)
_SIGN = Case(When(credit=True, then=Value(-1)), default=Value(1), output_field=IntegerField())


def _json_number(path: str, field=MONEY):
    return Cast(KT(path), field)


def _signed(expression, field):
    return Case(When(credit=True, then=-expression), default=expression, output_field=field)


def billable(queryset: QuerySet[Cdr] | None = None) -> QuerySet[Cdr]:
    """CDRs that count for money: every one but the self-test CDRs (never billed)."""
    queryset = Cdr.objects.all() if queryset is None else queryset
    return queryset.filter(is_test=False)


def cdr_rows(queryset: QuerySet[Cdr] | None = None) -> QuerySet[Cdr]:
    """CDRs with the columns the list and the exports show (one query, no JSON in Python)."""
    queryset = Cdr.objects.all() if queryset is None else queryset
    # A credit CDR carries the original's volumes and negative amounts (OCPI 2.2.1 mod_cdrs):
    # its rows show its volumes negative too, so a column sums to the net totals.
    return queryset.annotate(
        incl_vat=_json_number("data__total_cost__incl_vat"),
        kwh=_signed(F("total_energy"), MONEY),
        hours=_signed(_json_number("data__total_time", HOURS), HOURS),
        parking_hours=_signed(_json_number("data__total_parking_time", HOURS), HOURS),
        location_id=KT("data__cdr_location__id"),
        evse_id=KT("data__cdr_location__evse_id"),
        tariff_id=KT("data__tariffs__0__id"),
        contract_id=KT("data__cdr_token__contract_id"),
        time_zone=F("session__time_zone"),
        operator_code=F("operator__country_code"),
        operator_party=F("operator__party_id"),
    )


def searchable(queryset: QuerySet[Cdr]) -> QuerySet[Cdr]:
    """The expressions free text and tariff filters compare (indexed: 0004_finance_indexes)."""
    return queryset.annotate(
        id_upper=Upper("ocpi_id"),
        contract_upper=Upper(KT("data__cdr_token__contract_id")),
        uid_upper=Upper(KT("data__cdr_token__uid")),
        tariff_upper=Upper(KT("data__tariffs__0__id")),
    )


@dataclass(frozen=True)
class Totals:
    """One currency's net figures."""

    currency: str
    cdrs: int
    sessions: int
    kwh: Decimal
    hours: Decimal
    parking_hours: Decimal
    excl_vat: Decimal
    incl_vat: Decimal

    @property
    def sessions_words(self) -> str:
        """Net sessions said in words: a credit-only set was "-1 sessions (net)" (E4)."""
        if self.sessions < 0:
            count = -self.sessions
            return f"{count} session{'s' if count != 1 else ''} credited"
        return f"{self.sessions} session{'s' if self.sessions != 1 else ''} billed, net of credits"


_ZERO = Decimal(0)


def _totals_expressions() -> dict:
    return {
        "cdrs": Count("pk"),
        "sessions": Sum(_SIGN),
        "kwh": Sum(_signed(F("total_energy"), MONEY)),
        "hours": Sum(_signed(_json_number("data__total_time", HOURS), HOURS)),
        "parking_hours": Sum(_signed(_json_number("data__total_parking_time", HOURS), HOURS)),
        "excl_vat": Sum("total_cost_excl_vat"),
        "incl_vat": Sum(_json_number("data__total_cost__incl_vat")),
    }


_MONEY_QUANTUM, _HOURS_QUANTUM = Decimal("0.0001"), Decimal("0.000001")


def _totals(row: dict, currency: str) -> Totals:
    def value(name: str, empty=_ZERO, quantum=_MONEY_QUANTUM):
        if row[name] is None:
            return empty
        # PostgreSQL sums numeric(…, 4) exactly; SQLite (.ci/start) returns its sums with
        # 12 decimals: both come back with the columns' own decimals.
        return row[name] if quantum is None else row[name].quantize(quantum)

    return Totals(
        currency=currency,
        cdrs=value("cdrs", 0, None),
        sessions=value("sessions", 0, None),
        kwh=value("kwh"),
        hours=value("hours", quantum=_HOURS_QUANTUM),
        parking_hours=value("parking_hours", quantum=_HOURS_QUANTUM),
        excl_vat=value("excl_vat"),
        incl_vat=value("incl_vat"),
    )


def totals_by_currency(queryset: QuerySet[Cdr]) -> list[Totals]:
    """Net totals of the filtered set per currency, self-test CDRs left out (1 query)."""
    rows = (
        billable(queryset)
        .order_by()
        .values("currency")
        .annotate(**_totals_expressions())
        .order_by("currency")
    )
    return [_totals(row, row["currency"]) for row in rows]


def totals_by(queryset: QuerySet[Cdr], *fields: str) -> list[dict]:
    """Net totals grouped by `fields` and currency (the dashboard's tables; self-test CDRs
    left out; 1 query)."""
    rows = (
        billable(queryset)
        .order_by()
        .values(*fields, "currency")
        .annotate(**_totals_expressions())
        .order_by(*fields, "currency")
    )
    return [
        {**{f: row[f] for f in fields}, "totals": _totals(row, row["currency"])} for row in rows
    ]


def daily(queryset: QuerySet[Cdr]) -> list[dict]:
    """Net revenue and energy per local day (FINANCE_ZONE) and currency, self-test CDRs left
    out (1 query)."""
    rows = (
        billable(queryset)
        .order_by()
        .annotate(day=TruncDate("start_date_time", tzinfo=FINANCE_ZONE))
        .values("day", "currency")
        .annotate(
            excl_vat=Sum("total_cost_excl_vat"),
            kwh=Sum(_signed(F("total_energy"), MONEY)),
        )
        .order_by("day", "currency")
    )
    return [
        {**row, "excl_vat": row["excl_vat"].quantize(_MONEY_QUANTUM),
         "kwh": row["kwh"].quantize(_MONEY_QUANTUM)}
        for row in rows
    ]  # fmt: skip


def local_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[first 00:00, day after last 00:00) in FINANCE_ZONE, as aware datetimes."""
    start = dt.datetime.combine(first, dt.time(), FINANCE_ZONE)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), FINANCE_ZONE)
    return start, end


def in_period(queryset: QuerySet[Cdr], first: dt.date, last: dt.date) -> QuerySet[Cdr]:
    start, end = local_bounds(first, last)
    return queryset.filter(start_date_time__gte=start, start_date_time__lt=end)


def for_emsp(queryset: QuerySet[Cdr], emsp: str) -> QuerySet[Cdr]:
    """eMSP `FR*ABC` (the CDR token's party; compared upper-case, as stored by the hub)."""
    country_code, party_id = emsp.upper().split("*")
    return queryset.filter(emsp_country_code=country_code, emsp_party_id=party_id)


# A loose index scan: one probe of the eMSP index per eMSP, not a DISTINCT over every CDR
# (2 s at a million CDRs under load, 1 ms this way).
_EMSPS_SQL = """
WITH RECURSIVE e AS (
    (SELECT emsp_country_code AS c, emsp_party_id AS p FROM charging_cdr WHERE NOT is_test
     ORDER BY 1, 2 LIMIT 1)
    UNION ALL
    SELECT n.c, n.p FROM e, LATERAL (
        SELECT emsp_country_code AS c, emsp_party_id AS p FROM charging_cdr
        WHERE (emsp_country_code, emsp_party_id) > (e.c, e.p) AND NOT is_test
        ORDER BY 1, 2 LIMIT 1) n
)
SELECT c, p FROM e
"""


def emsps() -> list[str]:
    """The eMSPs that have billable CDRs, as FR*ABC (1 query on the eMSP index)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_EMSPS_SQL)
            rows = cursor.fetchall()
    else:  # the embedded SQLite of .ci/start: a few hundred CDRs
        rows = (
            billable()
            .order_by("emsp_country_code", "emsp_party_id")
            .values_list("emsp_country_code", "emsp_party_id")
            .distinct()
        )
    return [f"{country}*{party}" for country, party in rows]


def unacknowledged(queryset: QuerySet[Cdr] | None = None) -> QuerySet[Cdr]:
    """Queued CDRs whose POST to the hub waits or was refused (not yet acknowledged)."""
    queryset = Cdr.objects.all() if queryset is None else queryset
    # Driven by the few waiting messages (partial index outbox_msg_waiting), not the CDRs.
    waiting = Message.objects.filter(
        state__in=[Message.State.PENDING, Message.State.REJECTED], endpoint_module=CDR_MODULE
    ).values("object_id")
    return queryset.filter(state=Cdr.State.QUEUED, ocpi_id__in=waiting)


def messages_of(cdr: Cdr) -> list[Message]:
    """The hub messages that carried this CDR (its POST on the session's stream; 1 query)."""
    return list(
        Message.objects.filter(
            stream__key=stream_key(cdr.session), endpoint_module=CDR_MODULE, object_id=cdr.ocpi_id
        )
        .select_related("stream__platform")
        .order_by("pk")
    )


def chain_of(cdr: Cdr) -> list[Cdr]:
    """Every CDR of the session in creation order: original, credits, re-bills (1 query)."""
    return list(
        Cdr.objects.filter(session_id=cdr.session_id)
        .select_related("created_by", "credit_reference", "rebill_of")
        .order_by("created_at", "pk")
    )


def previous_period(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """The period just before: the previous calendar month for a whole month, else the same
    number of days before."""
    next_day = last + dt.timedelta(days=1)
    if first.day == 1 and next_day.day == 1:
        end = first - dt.timedelta(days=1)
        return end.replace(day=1), end
    length = (last - first).days + 1
    return first - dt.timedelta(days=length), first - dt.timedelta(days=1)


# What the hub holds of each CDR, in words: Cdr.state says only whether it passed our checks
# (QUEUED) or waits for a person (HELD); the outbox says the rest (audit 2, B4).
HUB_WORDS = {
    Message.State.DELIVERED: "acknowledged by the hub",
    Message.State.PENDING: "waiting to be sent to the hub",
    Message.State.REJECTED: "refused by the hub (its stream is held)",
    Message.State.SKIPPED: "not sent: skipped by an operator",
}


def hub_states(cdrs: list[Cdr], session) -> dict[int, str]:
    """{cdr pk: what the hub holds of it} for the CDRs of `session` (1 query)."""
    if not cdrs:
        return {}
    sent: dict[str, list[str]] = {}
    for object_id, state in (
        Message.objects.filter(
            stream__key=stream_key(session),
            endpoint_module=CDR_MODULE,
            object_id__in=[c.ocpi_id for c in cdrs],
        )
        .order_by("pk")
        .values_list("object_id", "state")
    ):
        sent.setdefault(object_id, []).append(state)
    words = {}
    for cdr in cdrs:
        states = sent.get(cdr.ocpi_id, [])
        delivered = Message.State.DELIVERED in states
        words[cdr.pk] = hub_words(cdr.state, delivered, states[-1] if states else None)
    return words


def hub_words(cdr_state: str, delivered: bool, last_message_state: str | None) -> str:
    """What the hub holds of one CDR, from its state and its outbox messages' states."""
    if cdr_state == Cdr.State.HELD:
        return "held: failed a check, not sent"
    if delivered:
        return HUB_WORDS[Message.State.DELIVERED]
    if last_message_state:
        return HUB_WORDS.get(last_message_state, "sent to the hub")
    return "not sent: no hub platform took CDRs"


def with_hub_messages(queryset: QuerySet[Cdr]) -> QuerySet[Cdr]:
    """`hub_delivered` and `hub_last` (its last message's state) on each CDR, for hub_words
    in the exports: by the session's stream key (indexed), as hub_states reads them."""
    key = Upper(
        Concat(
            Value("session:"), OuterRef("session__operator__country_code"), Value(":"),
            OuterRef("session__operator__party_id"), Value(":"), OuterRef("session__ocpi_id"),
            output_field=CharField(),
        )
    )  # fmt: skip
    # With the platforms named, (platform, key) is the streams' unique index: one index
    # lookup per CDR, then the messages' (stream, state, id) index; never a scan.
    platforms = list(Platform.objects.values_list("pk", flat=True))
    messages = Message.objects.filter(
        stream__platform_id__in=platforms,
        stream__key=key,
        endpoint_module=CDR_MODULE,
        object_id=OuterRef("ocpi_id"),
    )
    return queryset.annotate(
        hub_delivered=Exists(messages.filter(state=Message.State.DELIVERED)),
        hub_last=Subquery(messages.order_by("-pk").values("state")[:1]),
    )
