"""Runs the self-test against one platform and stores the run with its report.

Order of work (the report lists use cases in Gireve §3.3 order instead): the registration,
the credentials, Push EVCI and Tariffs, the badge (whose authorize at IOP preprod lets IOP
start its side), the test charge with its CDR, then what the hub must start, awaited last
so that it overlaps with everything before. The EVSE's status is put back at the end
whatever happened.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from django.db.models import Prefetch
from django.utils import timezone

from locations.enums import Status
from locations.models import EVSE, Connector, Location
from roaming.models import Operator, Platform, SelfTestRun, split_emi3
from sessions.enums import TokenType

from . import charging, connection, evci, hub_initiated, report
from .results import PASS, SKIPPED, WAITING, UseCaseResult

ORDER = list(report.USE_CASES)


class SelfTestError(Exception):
    """Options the self-test cannot run with (unknown location, EVSE, production hub)."""


@dataclass
class Options:
    location_id: str
    evse_uid: str = ""
    operator: str = ""  # CC*PID when several operators use the location id
    token_uid: str = ""
    token_type: str = TokenType.RFID
    wait: float = 120.0  # seconds for what the hub starts (registration, pull, commands)
    delivery_timeout: float = 60.0  # seconds for the outbox to deliver one step
    grace: float = 3.0  # seconds a due stream waits for a worker before we deliver it
    allow_production: bool = False


def resolve(options: Options) -> tuple[Location, EVSE]:
    """The test location and EVSE named by the options; SelfTestError says what is wrong."""
    locations = Location.objects.filter(ocpi_id__iexact=options.location_id)
    if options.operator:
        locations = locations.filter(
            operator__in=Operator.objects.party(*split_emi3(options.operator))
        )
    connectors = Prefetch("connectors", queryset=Connector.objects.order_by("pk"))
    found = list(
        locations.select_related("operator").prefetch_related(
            Prefetch("evses", queryset=EVSE.objects.order_by("uid").prefetch_related(connectors))
        )[:2]
    )
    if len(found) != 1:
        raise SelfTestError(
            f"{len(found)} locations have the id {options.location_id!r}"
            + (": name the operator (--operator CC*PID)." if found else ".")
        )
    location = found[0]
    usable = [
        evse
        for evse in location.evses.all()
        if evse.status != Status.REMOVED and not evse.missing_for_gireve()
    ]
    if options.evse_uid:
        usable = [e for e in usable if e.uid.upper() == options.evse_uid.upper()]
    if not usable:
        which = f"EVSE {options.evse_uid!r}" if options.evse_uid else "EVSE"
        raise SelfTestError(
            f"Location {location.ocpi_id} has no {which} the hub can hold (not REMOVED, "
            "complete for Gireve §3.5.1: capabilities, tariff_ids, a connector)."
        )
    if options.token_type not in TokenType.values:
        raise SelfTestError(f"Token type {options.token_type!r}: one of {', '.join(TokenType)}.")
    return location, usable[0]


def check_platform(platform: Platform, options: Options) -> None:
    try:
        connection.refuse_production(platform, allowed=options.allow_production)
    except connection.ProductionHub as error:
        raise SelfTestError(str(error)) from error


def run_selftest(
    *, platform: Platform, options: Options, started_by: str, run: SelfTestRun | None = None
) -> SelfTestRun:
    """Check the options, run every use case, store the run and its report."""
    check_platform(platform, options)
    location, evse = resolve(options)
    run = run or SelfTestRun(platform=platform, started_by=started_by, options=asdict(options))
    run.result, run.started_at = SelfTestRun.Result.RUNNING, timezone.now()
    run.save()
    results = _run(platform, location, evse, options, since=run.started_at)
    run.finished_at = timezone.now()
    document = report.build(
        platform=platform,
        run=run,
        location=location,
        evse=evse,
        options=asdict(options),
        results=[results[key] for key in ORDER],
    )
    run.result = document["result"]
    run.report, run.summary = document, document["summary"]
    run.report_html = report.html(document)
    run.save()
    return run


def _guarded(key: str, check, *args, **kwargs):
    """A check that raised is that use case failing with the error, never a crashed run."""
    try:
        return check(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - reported, not raised: the run goes on
        failed = UseCaseResult(key).start()
        failed.problems.append(f"The check stopped on {type(error).__name__}: {error}")
        return failed.close()


def _run(platform, location, evse, options: Options, *, since: dt.datetime) -> dict:
    results: dict[str, UseCaseResult] = {}
    results["register"] = connection.check_register(platform, wait=options.wait)
    platform.refresh_from_db()
    if results["register"].result != PASS:
        for key in ORDER[1:]:
            results[key] = UseCaseResult(key).close(
                WAITING, "Not run: the platform is not connected."
            )
        return results
    timing = {"timeout": options.delivery_timeout, "grace": options.grace}
    original_status = evse.status
    try:
        results["credentials"] = _guarded("credentials", connection.check_credentials, platform)
        results["push_evci"] = _guarded(
            "push_evci", evci.check_push_evci, platform, location, evse, **timing
        )
        results["push_tariffs"] = _guarded(
            "push_tariffs", evci.check_push_tariffs, platform, location, **timing
        )
        evci.restore_evse_status(evse, original_status)
        rta = _guarded(
            "rta",
            charging.check_rta,
            platform,
            evse,
            token_uid=options.token_uid,
            token_type=options.token_type,
        )
        results["rta"], authorization = rta if isinstance(rta, tuple) else (rta, None)
        charge = _guarded(
            "push_sessions",
            charging.check_sessions_and_cdrs,
            platform,
            evse,
            authorization,
            **timing,
        )
        if isinstance(charge, tuple):
            results["push_sessions"], results["push_cdrs"], _ = charge
        else:
            results["push_sessions"] = charge
    finally:
        evci.restore_evse_status(evse, original_status)
    hub_initiated.wait_for_hub(platform, since, wait=options.wait)
    results["pull_evci"] = _guarded(
        "pull_evci", hub_initiated.check_pull_evci, platform, since, wait=options.wait
    )
    results["commands"] = _guarded(
        "commands", hub_initiated.check_commands, platform, since, wait=options.wait
    )
    for key in ORDER:
        results.setdefault(
            key, UseCaseResult(key).close(SKIPPED, "Not run: an earlier step failed.")
        )
    return results
