"""What the hub receives when tariffs change (OCPI 2.2.1 mod_tariffs receiver, Gireve §3.10).

Called by tariffs.services inside its transaction: messages go to the outbox
(roaming.outbox) with the change. One FIFO stream per tariff id and platform, key
"tariff:{CC}:{PID}:{ID}" (ids upper-cased) (Gireve §3.10.6: resend in order after an outage), at the
client-owned URL /{country_code}/{party_id}/{tariff_id}:
- each publishable description -> PUT (a tariff id with three descriptions is PUT three
  times, each body carrying its target, Gireve §3.10.4);
- a withdrawn tariff id -> DELETE;
- drafts (no start_date_time, Gireve §3.10.3) are never pushed.
"""

from __future__ import annotations

from roaming.models import Operator, Platform
from roaming.outbox import services as outbox

from .models import Tariff
from .ocpi import tariff_to_ocpi
from .selectors import roaming_tariffs

MODULE = "tariffs"


def stream_key(operator: Operator, tariff_id: str) -> str:
    # CiStrings: one stream whatever the case the id is written in.
    ids = f"{operator.country_code}:{operator.party_id}:{tariff_id}".upper()
    return f"tariff:{ids}"


def _path(operator: Operator, tariff_id: str) -> str:
    return f"/{operator.country_code}/{operator.party_id}/{tariff_id}"


def _put(tariff: Tariff) -> tuple[str, str, dict]:
    # Decimal amounts: the outbox body keeps them exact (roaming.ocpi_json).
    return "PUT", _path(tariff.operator, tariff.ocpi_id), tariff_to_ocpi(tariff)


def tariff_changed(tariff: Tariff) -> int:
    """PUT one description to every platform receiving tariffs (nothing for a draft)."""
    if not tariff.is_publishable:
        return 0
    method, path, body = _put(tariff)
    return len(
        outbox.enqueue_for_hub(
            module=MODULE,
            stream_key=stream_key(tariff.operator, tariff.ocpi_id),
            method=method,
            path=path,
            body=body,
            object_id=tariff.ocpi_id,
        )
    )


def tariff_withdrawn(operator: Operator, tariff_id: str) -> int:
    """OCPI 2.2.1 mod_tariffs DELETE: the hub removes the tariff id (all its descriptions)."""
    return len(
        outbox.enqueue_for_hub(
            module=MODULE,
            stream_key=stream_key(operator, tariff_id),
            method="DELETE",
            path=_path(operator, tariff_id),
            body=None,
            object_id=tariff_id,
        )
    )


def push_all(*, platform: Platform) -> int:
    """PUT every shared description to `platform` (after (re)registration), in id streams."""
    count = 0
    for tariff in roaming_tariffs().order_by("operator_id", "ocpi_id", "pk").iterator(200):
        method, path, body = _put(tariff)
        outbox.enqueue(
            platform=platform,
            stream_key=stream_key(tariff.operator, tariff.ocpi_id),
            module=MODULE,
            method=method,
            path=path,
            body=body,
            object_id=tariff.ocpi_id,
        )
        count += 1
    return count
