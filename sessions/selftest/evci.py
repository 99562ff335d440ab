"""Push EVCI and Push Tariffs (ToIOP), each checked by reading the hub's copy back.

A whole PUT of the test location and of its tariffs is queued in the outbox exactly as
`push_all` does after a registration (same streams, so order with real changes is kept);
the EVSE status goes through `set_evse_status`, the service the charge points' feed uses.
Check EVCI (Gireve §3.5): a GET on the hub's receiver, compared with what we sent.
"""

from __future__ import annotations

from django.db import transaction

from locations import services as location_services
from locations.enums import Status
from locations.models import EVSE, Location
from locations.ocpi import location_to_hub
from locations.selectors import locations_for_ocpi
from locations.selectors import stream_key as location_stream
from roaming.client import OcpiClient
from roaming.models import Platform
from roaming.outbox import services as outbox
from tariffs.ocpi import tariff_to_ocpi
from tariffs.push import stream_key as tariff_stream
from tariffs.selectors import roaming_tariffs

from . import delivery
from .readback import compare, get
from .results import SKIPPED, UseCaseResult


def check_push_evci(
    platform: Platform, location: Location, evse: EVSE, *, timeout: float, grace: float
) -> UseCaseResult:
    """Whole PUT of the location, then PATCH of the EVSE's status and back, each read back."""
    use_case = UseCaseResult("push_evci").start()
    if not location.publish or location.gireve_missing:
        use_case.problems.append(
            f"Location {location.ocpi_id} is not shared with the hub (publish off or missing "
            f"for Gireve §3.5.1: {', '.join(location.gireve_missing) or 'unpublished'})"
        )
        return use_case.close()
    client = OcpiClient(platform)
    operator = location.operator
    path = f"/{operator.country_code}/{operator.party_id}/{location.ocpi_id}"
    with transaction.atomic():
        body = location_to_hub(locations_for_ocpi(Location.objects.filter(pk=location.pk)).get())
        put = outbox.enqueue(
            platform=platform,
            stream_key=location_stream(location.pk),
            module="locations",
            method="PUT",
            path=path,
            body=body,
            object_id=location.ocpi_id,
            memo={"synced": True},
        )
    if delivery.wait_delivered(
        [put], timeout=timeout, grace=grace, use_case=use_case, what="Whole PUT of the location"
    ):
        use_case.checks.append(f"PUT location {location.ocpi_id} delivered (OCPI 1000)")
        outcome = get(use_case, client, "location", "locations", operator, location.ocpi_id)
        compare(use_case, f"Location {location.ocpi_id}", body, outcome)
    if use_case.problems:
        return use_case.close()
    original = evse.status
    target = Status.INOPERATIVE if original == Status.AVAILABLE else Status.AVAILABLE
    for status in (target, original):
        after = delivery.marker()
        with transaction.atomic():
            location_services.set_evse_status(evse=evse, status=status)
        sent = delivery.queued_since(
            platform=platform, stream_key=location_stream(location.pk), after=after
        )
        what = f"EVSE {evse.uid} status {status}"
        if not delivery.wait_delivered(
            sent, timeout=timeout, grace=grace, use_case=use_case, what=f"PATCH {what}"
        ):
            break
        use_case.checks.append(f"PATCH {what} delivered (OCPI 1000)")
        outcome = get(use_case, client, "EVSE", "locations", operator, location.ocpi_id, evse.uid)
        theirs = outcome.data.get("status") if isinstance(outcome.data, dict) else None
        if not use_case.check(
            theirs == status,
            f"The hub's EVSE {evse.uid} reads {status}",
            f"The hub's EVSE {evse.uid} reads {theirs or 'nothing'} after our PATCH to {status} "
            f"(HTTP {outcome.http_status}, OCPI {outcome.ocpi_status})",
        ):
            break
    return use_case.close()


def restore_evse_status(evse: EVSE, status: str) -> None:
    """Put the EVSE back as it was (nothing left in a test state, pushed as usual)."""
    evse.refresh_from_db()
    if evse.status != status:
        with transaction.atomic():
            location_services.set_evse_status(evse=evse, status=status)


def check_push_tariffs(
    platform: Platform, location: Location, *, timeout: float, grace: float
) -> UseCaseResult:
    """PUT each tariff the location's EVSEs name, then GET each back (Gireve §3.10)."""
    use_case = UseCaseResult("push_tariffs").start()
    ids = {tariff_id.upper() for evse in location.evses.all() for tariff_id in evse.tariff_ids}
    tariffs = [
        tariff
        for tariff in roaming_tariffs(location.operator).order_by("ocpi_id", "pk")
        if tariff.ocpi_id.upper() in ids
    ]
    if not tariffs:
        return use_case.close(
            SKIPPED,
            f"Location {location.ocpi_id} names no tariff we publish by OCPI (not required "
            "when tariffs are described in Gireve's connect place, §3.3).",
        )
    client = OcpiClient(platform)
    operator = location.operator
    last_sent: dict[str, dict] = {}
    with transaction.atomic():
        messages = []
        for tariff in tariffs:
            body = tariff_to_ocpi(tariff)
            last_sent[tariff.ocpi_id] = body
            messages.append(
                outbox.enqueue(
                    platform=platform,
                    stream_key=tariff_stream(operator, tariff.ocpi_id),
                    module="tariffs",
                    method="PUT",
                    path=f"/{operator.country_code}/{operator.party_id}/{tariff.ocpi_id}",
                    body=body,
                    object_id=tariff.ocpi_id,
                )
            )
    if not delivery.wait_delivered(
        messages, timeout=timeout, grace=grace, use_case=use_case, what="PUT tariff"
    ):
        return use_case.close()
    use_case.checks.append(f"PUT of {len(messages)} tariff description(s) delivered (OCPI 1000)")
    for tariff_id, body in last_sent.items():
        outcome = get(use_case, client, f"tariff {tariff_id}", "tariffs", operator, tariff_id)
        compare(use_case, f"Tariff {tariff_id}", body, outcome)
    return use_case.close()
