"""The connection use cases: the hub is not production, the platform is registered, and the
endpoints we stored are the ones it publishes now (Gireve §3.4; OCPI 2.2.1 credentials)."""

from __future__ import annotations

import time
import uuid

from roaming import registration
from roaming.models import MessageLog, Platform

from .results import WAITING, Evidence, UseCaseResult


class ProductionHub(Exception):
    """The platform is Gireve's production IOP: qualification runs on preproduction."""


def refuse_production(platform: Platform, *, allowed: bool) -> None:
    """Gireve §2.1.6: IOP is FR*107 in preproduction, FR*007 in production."""
    if platform.is_production_hub and not allowed:
        raise ProductionHub(
            f"{platform.name} is Gireve's production hub (FR*007, Gireve §2.1.6): the self-test "
            "sends test locations, sessions and CDRs. Run it on preproduction (FR*107), or "
            "pass --allow-production if Gireve asked for it."
        )


def check_register(platform: Platform, *, wait: float) -> UseCaseResult:
    """CONNECTED, with the credentials exchange that made it so; an INVITED platform is
    given `wait` seconds for IOP to register (Register FromIOP, the way Gireve uses)."""
    use_case = UseCaseResult("register").start()
    if platform.status == Platform.Status.INVITED:
        deadline = time.monotonic() + wait
        while platform.status == Platform.Status.INVITED and time.monotonic() < deadline:
            time.sleep(0.5)
            platform.refresh_from_db()
    if platform.status != Platform.Status.CONNECTED:
        if platform.status == Platform.Status.INVITED:
            return use_case.close(
                WAITING,
                f"Token A issued, but IOP did not register within {wait:g} s: give Gireve our "
                "versions URL and the token A, then run the self-test again.",
            )
        use_case.problems.append(
            f"{platform.name} is {platform.get_status_display()}: issue a token A "
            "(manage.py ocpi_invite) for IOP to register with (Gireve §3.4)."
        )
        return use_case.close()
    exchange = (
        MessageLog.objects.filter(platform=platform, module="credentials", method__in=["POST"])
        .order_by("-created_at")
        .first()
    )
    if exchange is not None:
        way = "FromIOP" if exchange.direction == MessageLog.Direction.INBOUND else "ToIOP"
        use_case.evidence.append(Evidence.from_log(f"Register {way}: credentials POST", exchange))
        use_case.checks.append(f"Registered {way} at {exchange.created_at:%Y-%m-%d %H:%M:%S} UTC")
    else:
        use_case.checks.append("No credentials exchange left in the message log (purged)")
    use_case.check(
        platform.hub_party_id != "",
        f"Hub party {platform.hub_country_code}*{platform.hub_party_id} (HUB role)",
        "The platform presented no HUB role (no FR*107 party)",
    )
    return use_case.close()


def check_credentials(platform: Platform) -> UseCaseResult:
    """GET versions and 2.2.1 details with our token; the stored endpoints still match."""
    use_case = UseCaseResult("credentials").start()
    correlation_id = str(uuid.uuid4())
    try:
        new, gone = registration.endpoint_changes(platform=platform, correlation_id=correlation_id)
    except registration.RegistrationError as error:
        use_case.problems.append(f"Versions or details unreadable with our token: {error}")
        new = gone = None
    for log in MessageLog.objects.filter(correlation_id=correlation_id).order_by("created_at"):
        use_case.evidence.append(Evidence.from_log("Read with our token", log))
    if new is not None:
        use_case.checks.append("Versions and 2.2.1 details answered to our token (OCPI 1000)")
        drift = [f"{i} {r} now {u}" for i, r, u in sorted(new)]
        drift += [f"{i} {r} no longer {u}" for i, r, u in sorted(gone)]
        use_case.check(
            not drift,
            f"The {platform.endpoints.count()} endpoints we stored match theirs",
            "Endpoints changed since registration (unregister and register again, Gireve "
            "§3.4): " + "; ".join(drift),
        )
    return use_case.close()
