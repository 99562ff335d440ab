"""Every write to tariffs goes through here (admin, commands, demo data, tests).

Each function runs in one transaction, validates with the model's own rules (Gireve §3.10.2
immutability included) and queues what the hub must receive in that same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from locations import services as location_services
from locations.models import EVSE
from roaming.models import Operator
from roaming.ocpi_io import error_lines
from roaming.ocpi_json import same_for_receiver

from . import push, selectors
from .models import Tariff
from .ocpi import tariff_to_ocpi


def publish_and_save(tariff: Tariff, *, touch: bool = True) -> Tariff:
    """Save a validated description, stamp its first publication and queue its push."""
    if tariff.is_publishable and tariff.published_at is None:
        tariff.published_at = timezone.now()
    tariff.save(touch=touch)
    push.tariff_changed(tariff)
    return tariff


@transaction.atomic
def save_tariff(*, tariff: Tariff) -> Tariff:
    """Create or edit one description; published ones only in texts and end date (§3.10.2)."""
    stored = tariff.stored()
    if stored is not None and stored.withdrawn_at is not None:
        raise ValidationError(
            f"Tariff {tariff.ocpi_id} was withdrawn from the hub: it can no longer change."
        )
    tariff.full_clean()
    if (
        stored is not None
        and stored.published_at is not None
        and same_for_receiver(tariff_to_ocpi(stored), tariff_to_ocpi(tariff))
    ):
        # Issue 19.7: nothing the hub sees changed (it holds the published description).
        tariff.save(touch=False)
        return tariff
    return publish_and_save(tariff)


@transaction.atomic
def withdraw_tariff(*, operator: Operator, tariff_id: str) -> int:
    """Withdraw every description of a tariff id: one DELETE to the hub (OCPI mod_tariffs).

    Rows are kept (pricing of past sessions); EVSEs still naming the id get flagged.
    """
    live = list(selectors.descriptions(operator, tariff_id).filter(withdrawn_at__isnull=True))
    if not live:
        return 0
    now = timezone.now()
    for tariff in live:
        tariff.withdrawn_at = now
        tariff.save()
    if any(tariff.is_published for tariff in live):
        push.tariff_withdrawn(operator, live[0].ocpi_id)
    return len(live)


# --- Gireve §3.10.1: change prices from a date ------------------------------


@dataclass
class PriceChange:
    new_tariffs: list[Tariff]
    ended_tariffs: list[Tariff]
    evses: list[EVSE]


@transaction.atomic
def change_prices_from(
    *,
    operator: Operator,
    tariff_id: str,
    new_id: str,
    start: dt.datetime,
    elements: dict[int, list] | None = None,
) -> PriceChange:
    """Gireve §3.10.1: a new tariff `new_id` from `start` (a copy of every description of
    `tariff_id`, with `elements[description pk]` when given), the old one ends at `start`,
    and every EVSE naming the old id names the new one too (right after it)."""
    if start <= timezone.now():
        raise ValidationError(
            {
                "start_date_time": "Must be in the future: sessions until now were priced with "
                "the current tariff."
            }
        )
    old = list(
        selectors.descriptions(operator, tariff_id).filter(
            withdrawn_at__isnull=True, published_at__isnull=False
        )
    )
    if not old:
        raise ValidationError(
            f"Tariff {tariff_id} is not published (or was withdrawn): edit it directly."
        )
    if selectors.descriptions(operator, new_id).exists():
        raise ValidationError({"ocpi_id": f"{operator.emi3_id} already has a tariff {new_id}."})
    change = PriceChange([], [], [])
    for previous in old:
        if previous.end_date_time and previous.end_date_time <= start:
            raise ValidationError(
                {
                    "end_date_time": f"Tariff {previous} already ends at "
                    f"{timezone.localtime(previous.end_date_time):%Y-%m-%d %H:%M} "
                    f"({timezone.get_current_timezone_name()}), before the new prices start."
                }
            )
        new = Tariff(
            operator=operator,
            ocpi_id=new_id,
            target_operator_country_code=previous.target_operator_country_code,
            target_operator_party_id=previous.target_operator_party_id,
            currency=previous.currency,
            type=previous.type,
            tariff_alt_text=previous.tariff_alt_text,
            tariff_alt_url=previous.tariff_alt_url,
            min_price=previous.min_price,
            max_price=previous.max_price,
            elements=(elements or {}).get(previous.pk, previous.elements),
            start_date_time=start,
            end_date_time=None,
            energy_mix=previous.energy_mix,
        )
        try:
            new.full_clean()
        except ValidationError as exc:
            raise ValidationError(error_lines(f"new tariff {new}", exc)) from None
        change.new_tariffs.append(publish_and_save(new))
        previous.end_date_time = start  # Gireve §3.10.2: end date may change
        previous.full_clean()
        change.ended_tariffs.append(publish_and_save(previous))
    for evse in selectors.referencing_evses(operator, tariff_id):
        ids = list(evse.tariff_ids)
        if new_id.upper() in {t.upper() for t in ids}:
            continue
        position = [t.upper() for t in ids].index(tariff_id.upper()) + 1
        evse.tariff_ids = [*ids[:position], new_id, *ids[position:]]
        change.evses.append(location_services.save_evse(evse=evse))
    return change


# --- EVSE tariff groups (Gireve §3.5.3, §3.10.5) -----------------------------


@transaction.atomic
def assign_tariff_group(*, evses: Iterable[EVSE], tariff_ids: list[str], add: bool = False) -> int:
    """Set (or, with `add`, extend) the tariff ids of EVSEs; each saved through
    locations.services.save_evse so that connectors are PATCHed. All or nothing."""
    changed = 0
    known: dict[int, set[str]] = {}
    for evse in evses:
        operator = evse.location.operator
        if operator.pk not in known:
            known[operator.pk] = selectors.known_tariff_ids(operator)
        unknown = [t for t in tariff_ids if t.upper() not in known[operator.pk]]
        if unknown:
            raise ValidationError(
                f"{operator.emi3_id} has no tariff {', '.join(unknown)} (EVSE {evse}): "
                "create it first."
            )
        if add:
            present = {t.upper() for t in evse.tariff_ids}
            wanted = [*evse.tariff_ids, *(t for t in tariff_ids if t.upper() not in present)]
        else:
            wanted = list(tariff_ids)
        if wanted == list(evse.tariff_ids):
            continue
        evse.tariff_ids = wanted
        try:
            location_services.save_evse(evse=evse)
        except ValidationError as exc:
            raise ValidationError(error_lines(f"EVSE {evse}", exc)) from None
        changed += 1
    return changed
