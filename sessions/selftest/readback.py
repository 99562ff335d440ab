"""Check by reading back (Check EVCI, Gireve §3.5): GET the hub's copy of what we sent and
compare, with the exchange kept as evidence."""

from __future__ import annotations

from roaming.client import OcpiClient, Outcome
from roaming.hub_check import differences
from roaming.models import MessageLog

from .results import Evidence, UseCaseResult


def get(use_case: UseCaseResult, client: OcpiClient, what: str, *args, **kwargs) -> Outcome:
    """`client.get_object(*args, **kwargs)`, its exchange added to the evidence."""
    outcome = client.get_object(*args, **kwargs)
    log = MessageLog.objects.filter(pk=outcome.log_id).first() if outcome.log_id else None
    use_case.evidence.append(Evidence.from_log(f"Check: GET {what}", log))
    return outcome


def compare(use_case: UseCaseResult, what: str, sent: dict, outcome: Outcome) -> bool:
    """The hub's copy equals what we sent (for a PATCH body: the fields it set)."""
    if not use_case.check(
        outcome.ok and isinstance(outcome.data, dict),
        f"{what}: the hub answers a GET with its copy",
        f"{what}: the hub's GET answered HTTP {outcome.http_status}, OCPI "
        f"{outcome.ocpi_status} ({outcome.message or 'no object'})",
    ):
        return False
    theirs = outcome.data
    if set(sent) < set(theirs):  # a PATCH: compare only what it set
        theirs = {k: v for k, v in theirs.items() if k in sent}
    found = differences(sent, theirs)
    return use_case.check(
        not found,
        f"{what}: the hub's copy equals what we sent",
        f"{what}: the hub's copy differs from what we sent: " + "; ".join(found[:10]),
    )
