"""Reads of sessions and CDRs for our OCPI senders (mod_sessions, mod_cdrs GET list).

Both lists are read in creation order by the pagination (roaming.api.pagination), so a
session updated during a hub's crawl keeps its place (issue 9.1); date_from/date_to filter
on `last_updated`.
"""

from __future__ import annotations

from django.db.models import DateTimeField, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from roaming.models import Operator

from .models import Cdr, Session

Party = tuple[str, str]


def sender_sessions(operator: Operator | None = None, emsp: Party | None = None):
    """Sessions the hub may pull: every session we pushed (roaming and Advenir) of the
    operator named by OCPI-to; only those of one eMSP's tokens when an eMSP asks (the
    eMSP of a session is its token's, roaming-workflow §0 "eMSP-specific behaviour")."""
    queryset = Session.objects.select_related("operator")
    if operator is not None:
        queryset = queryset.filter(operator=operator)
    if emsp is not None:
        queryset = queryset.filter(
            cdr_token__country_code__iexact=emsp[0], cdr_token__party_id__iexact=emsp[1]
        )
    return queryset


def sender_cdrs(operator: Operator | None = None, emsp: Party | None = None) -> QuerySet[Cdr]:
    """CDRs as they left for the hub, credit and re-bill CDRs included; a HELD CDR never
    left (it failed a check, cdr_checks) so it is not served either.

    `last_updated` is the CDR's own (mod_cdrs: its creation, the CDR never changes), read
    from the sealed OCPI object, so date_from/date_to filter on what the hub sees."""
    queryset = Cdr.objects.filter(state=Cdr.State.QUEUED).annotate(
        last_updated=Cast(KT("data__last_updated"), DateTimeField())
    )
    if operator is not None:
        queryset = queryset.filter(operator=operator)
    if emsp is not None:
        queryset = queryset.filter(emsp_country_code__iexact=emsp[0], emsp_party_id__iexact=emsp[1])
    return queryset


def cdrs_ocpi(page: list[Cdr]) -> list[dict]:
    """The CDR objects exactly as POSTed (sealed at creation, immutable)."""
    return [cdr.data for cdr in page]
