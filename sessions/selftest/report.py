"""The self-test report: a JSON document, one self-contained HTML file rendered from it, and
a plain-text summary to paste into the qualification mail to Gireve.

Built from the results only, so a stored run shows the same report later; bodies and
headers come from the message log, tokens already hidden there (roaming.message_log).
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string

from roaming.ocpi_time import format_datetime

from .results import FAIL, PASS, SKIPPED, USE_CASES, WAITING, UseCaseResult

__all__ = ["USE_CASES", "build", "html", "overall", "summary"]

LABELS = {PASS: "PASS", FAIL: "FAIL", WAITING: "WAITING", SKIPPED: "SKIPPED"}


def overall(results: list[UseCaseResult]) -> str:
    """fail if any failed, else waiting if any is still waiting, else pass (skips listed)."""
    verdicts = {result.result for result in results}
    if FAIL in verdicts:
        return FAIL
    if WAITING in verdicts:
        return WAITING
    return PASS


def summary(document: dict) -> str:
    """Plain text for the qualification mail: one line per use case, then what to read."""
    lines = [
        f"OCPI 2.2.1 self-test of {document['platform']} ({document['hub_party']}), "
        f"{document['started_at']} to {document['finished_at']}: {LABELS[document['result']]}",
        f"Test location {document['location']}, EVSE {document['evse']}"
        + (
            f", token {document['options']['token_uid']}"
            if document["options"]["token_uid"]
            else ""
        ),
        "",
    ]
    for case in document["use_cases"]:
        line = f"- {case['title']}: {LABELS[case['result']]}"
        if case["reason"]:
            line += f" ({case['reason']})"
        lines.append(line)
    if document["test_charge"]:
        lines += ["", document["test_charge"]]
    lines += ["", "Evidence (requests, answers, timings) is in the attached HTML/JSON report."]
    return "\n".join(lines)


def build(*, platform, run, location, evse, options: dict, results: list[UseCaseResult]) -> dict:
    document = {
        "platform": platform.name,
        "hub_party": f"{platform.hub_country_code}*{platform.hub_party_id}",
        "versions_url": platform.versions_url,
        "our_versions_url": f"{settings.OCPI_BASE_URL}/versions",
        "location": f"{location.operator.emi3_id} {location.ocpi_id}",
        "evse": evse.evse_id or evse.uid,
        "started_at": format_datetime(run.started_at),
        "finished_at": format_datetime(run.finished_at),
        "seconds": round((run.finished_at - run.started_at).total_seconds(), 1),
        "started_by": run.started_by,
        "options": options,
        "result": overall(results),
        "label": LABELS[overall(results)],
        "use_cases": [{**result.as_json(), "label": LABELS[result.result]} for result in results],
        "test_charge": _test_charge(results),
    }
    document["summary"] = summary(document)
    return document


def _test_charge(results: list[UseCaseResult]) -> str:
    ran = any(r.key == "push_sessions" and r.result != SKIPPED for r in results)
    if not ran:
        return ""
    return (
        "The test charge (session and CDR) is marked as a test: never billed, excluded from "
        "finance totals, exports and statements; its CDR costs nothing and says so in remark. "
        "The EVSE status changed for the test was put back."
    )


def html(document: dict) -> str:
    """One HTML file, CSS inline, no link to the platform: readable as an attachment."""
    return render_to_string("selftest/report.html", {"report": document})
