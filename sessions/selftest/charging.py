"""Real-Time Authorization, Push Sessions and Push CDRs (ToIOP), on a synthetic test charge.

The badge goes through `sessions.authorization` (the CSMS bridge's decision path) and the
charge through `sessions.test_charge` (the services a real charge uses, marked is_test,
never billed): ACTIVE, one update, COMPLETED, then the CDR, each on the session's outbox
stream, waited for until delivered and read back where the hub serves it (Gireve §3.8, §3.9).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from locations.models import EVSE
from roaming import ocpi_json
from roaming.client import OcpiClient
from roaming.models import MessageLog, Platform
from roaming.outbox.models import Message
from sessions.authorization import decide, hub_platform, record_authorization
from sessions.enums import AuthorizationSource
from sessions.models import Authorization
from sessions.session_push import CDR_MODULE, stream_key
from sessions.test_charge import begin_test_charge, finish_test_charge, update_test_charge

from . import delivery
from .readback import compare, get
from .results import SKIPPED, Evidence, UseCaseResult


def check_rta(
    platform: Platform, evse: EVSE, *, token_uid: str | None, token_type: str
) -> tuple[UseCaseResult, Authorization | None]:
    """POST tokens/{uid}/authorize naming this location and one EVSE (Gireve §3.6.2)."""
    use_case = UseCaseResult("rta").start()
    if not token_uid:
        use_case.close(SKIPPED, "No --token given: ask Gireve for a test token (RFID uid).")
        return use_case, None
    asked = hub_platform()
    if asked is None or asked.pk != platform.pk:
        use_case.problems.append(
            f"Badges are authorized at {asked or 'no platform'} (the first connected platform "
            f"with a tokens SENDER endpoint), not at {platform.name}"
        )
        return use_case.close(), None
    since = timezone.now()
    decision = record_authorization(
        authorization=decide(evse=evse, id_tag=token_uid, type=token_type)
    )
    log = (
        MessageLog.objects.filter(
            platform=platform, module="tokens", method="POST", created_at__gte=since
        )
        .order_by("-created_at")
        .first()
    )
    use_case.evidence.append(Evidence.from_log("POST authorize", log))
    if not use_case.check(
        decision.source == AuthorizationSource.HUB,
        "The hub was asked in real time",
        f"Decided without the hub ({decision.get_reason_display()}): a cached or remote-started "
        "token; use a token the platform does not whitelist",
    ):
        return use_case.close(), None
    sent = _json(log.request_body) if log else None
    use_case.check(
        isinstance(sent, dict)
        and sent.get("location_id") == evse.location.ocpi_id
        and sent.get("evse_uids") == [evse.uid],
        f"LocationReferences named location {evse.location.ocpi_id} and EVSE {evse.uid} only",
        f"LocationReferences sent: {sent!r}",
    )
    use_case.check(
        decision.accepted,
        f"The hub answered ALLOWED (authorization_reference "
        f"{decision.authorization_reference or 'none'})",
        f"Not authorized: {decision.get_reason_display()} (HTTP {decision.hub_http_status}, "
        f"OCPI {decision.hub_ocpi_status}) {decision.hub_message}".strip(),
    )
    return use_case.close(), (decision if decision.accepted else None)


def _json(text: str):
    try:
        return ocpi_json.loads(text)
    except (TypeError, ValueError):
        return None


@dataclass
class Charge:
    """What the test charge left, for the report and the clean-up."""

    session_id: str = ""
    cdr_id: str = ""
    notes: list[str] = field(default_factory=list)


def check_sessions_and_cdrs(
    platform: Platform,
    evse: EVSE,
    authorization: Authorization | None,
    *,
    timeout: float,
    grace: float,
) -> tuple[UseCaseResult, UseCaseResult, Charge]:
    """ACTIVE, update, COMPLETED, then the CDR: each delivered, then read back."""
    sessions = UseCaseResult("push_sessions").start()
    cdrs = UseCaseResult("push_cdrs")
    charge = Charge()
    client = OcpiClient(platform)

    after = delivery.marker()
    session = begin_test_charge(evse=evse, authorization=authorization)
    charge.session_id = session.ocpi_id
    sessions.check(session.is_test, f"Session {session.ocpi_id} is marked test", "Not marked test")
    if not _step(sessions, client, session, after, "ACTIVE", timeout=timeout, grace=grace):
        return sessions.close(), cdrs.start().close(SKIPPED, "Not run: the session failed"), charge

    after = delivery.marker()
    session = update_test_charge(session)
    if not _step(sessions, client, session, after, "update", timeout=timeout, grace=grace):
        return sessions.close(), cdrs.start().close(SKIPPED, "Not run: the session failed"), charge

    after = delivery.marker()
    cdr = finish_test_charge(session)
    session.refresh_from_db()
    charge.cdr_id = cdr.ocpi_id
    cdrs.start()
    queued = delivery.queued_since(platform=platform, stream_key=stream_key(session), after=after)
    cdr_posts = [m for m in queued if m.endpoint_module == CDR_MODULE]
    puts = [m for m in queued if m.endpoint_module != CDR_MODULE]
    if _wait_and_read(sessions, client, session, puts, "COMPLETED", timeout=timeout, grace=grace):
        sessions.check(True, "Session read back COMPLETED", "")
    sessions.close()
    cdrs.check(
        cdr.is_test and _zero_cost(cdr.data),
        f"CDR {cdr.ocpi_id} is marked test and costs nothing (not billable)",
        f"CDR {cdr.ocpi_id} would be billable: is_test={cdr.is_test}, "
        f"total_cost={cdr.data.get('total_cost')}",
    )
    if delivery.wait_delivered(
        cdr_posts, timeout=timeout, grace=grace, use_case=cdrs, what="POST CDR"
    ):
        cdrs.checks.append(f"POST CDR {cdr.ocpi_id} delivered after the COMPLETED session")
        post = Message.objects.get(pk=cdr_posts[-1].pk)
        if cdrs.check(
            bool(post.response_location),
            f"The hub answered Location {post.response_location}",
            "The hub's answer to the CDR POST had no Location header (mod_cdrs: it SHALL)",
        ):
            outcome = get(
                cdrs,
                client,
                "CDR at Location",
                "cdrs",
                session.operator,
                url=post.response_location,
            )
            compare(cdrs, f"CDR {cdr.ocpi_id}", cdr_posts[-1].body, outcome)
    return sessions, cdrs.close(), charge


def _zero_cost(data: dict) -> bool:
    cost = data.get("total_cost") or {}
    return all(
        str(cost.get(key, "0")) in ("0", "0.0", "0.00", "0.0000")
        for key in ("excl_vat", "incl_vat")
    )


def _step(use_case, client, session, after, label, *, timeout, grace) -> bool:
    queued = delivery.queued_since(
        platform=client.platform, stream_key=stream_key(session), after=after
    )
    return _wait_and_read(use_case, client, session, queued, label, timeout=timeout, grace=grace)


def _wait_and_read(use_case, client, session, queued, label, *, timeout, grace) -> bool:
    """Wait for the session's messages, then GET the hub's copy and compare it with them."""
    if not delivery.wait_delivered(
        queued, timeout=timeout, grace=grace, use_case=use_case, what=f"Session {label}"
    ):
        return False
    use_case.checks.append(f"Session {label}: {len(queued)} message(s) delivered")
    outcome = get(
        use_case, client, f"session after {label}", "sessions", session.operator, session.ocpi_id
    )
    last = queued[-1]
    expected = last.body if last.method == "PUT" else _patched(last.body)
    return compare(use_case, f"Session {label}", expected, outcome)


def _patched(body: dict) -> dict:
    # A PATCH adds charging_periods (mod_sessions): only the fields it replaces compare.
    return {k: v for k, v in (body or {}).items() if k != "charging_periods"}
