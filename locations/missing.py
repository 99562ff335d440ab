"""What Gireve still misses, in plain words, each with where to fix it.

Gireve §3.5.1 / §3.5.5 list what a location needs before it may be pushed (stored in
Location.gireve_missing: "owner.name", "operator.name") and what each EVSE needs before it
is sent (EVSE.missing_for_gireve: held back until then). Staff read sentences and follow
links instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import reverse

from .models import Location

_EVSE_ITEM = re.compile(r"^EVSE (?P<label>.+): (?P<what>.+)$")
_EVSE_WORDS = {
    "at least one connector": ("add at least one connector", "connectors-group"),
    "capabilities": ("tick what it can do (capabilities)", "capabilities"),
    "tariff_ids": (
        "give its tariff ids (or use Tariffs › Assign tariffs to EVSEs)",
        "tariff_ids",
    ),
}


@dataclass(frozen=True)
class MissingItem:
    text: str
    url: str  # a link to the field or EVSE that fixes it


def explain(location: Location) -> list[MissingItem]:
    """Each missing item as a sentence with a link into the location's page (or the operator):
    what keeps the location from the hub, then each EVSE held back (issue 19.1)."""
    items = []
    for item in location.gireve_missing:
        if item == "owner.name":
            items.append(MissingItem("The owner's name (who owns the site).", "#id_owner_name"))
        elif item == "operator.name":
            url = reverse("admin:roaming_operator_change", args=[location.operator_id])
            items.append(MissingItem("The operator's name, on the operator's page.", url))
        elif match := _EVSE_ITEM.match(item):  # stored before EVSEs were held back one by one
            items.append(_evse_item(list(location.evses.all()), match["label"], match["what"]))
        else:
            items.append(MissingItem(item, "#"))
    return items


def held_back(location: Location) -> list[MissingItem]:
    """Each EVSE not sent to the hub, what it misses and a link to the field that fixes it."""
    evses = list(location.evses.all())  # the inline lists them in this order
    return [
        _evse_item(evses, evse.evse_id or evse.uid, what)
        for evse, missing in location.held_back_evses()
        for what in missing
    ]


def _evse_item(evses: list, label: str, what: str) -> MissingItem:
    words, anchor = _EVSE_WORDS.get(what, (what, ""))
    for index, evse in enumerate(evses):
        if label in (evse.evse_id, evse.uid):
            # Nested inline ids: the EVSE block is "evses-<n>", its fields "id_evses-<n>-<name>".
            if anchor == "connectors-group":
                return MissingItem(f"EVSE {label}: {words}.", f"#evses-{index}-connectors-group")
            return MissingItem(f"EVSE {label}: {words}.", f"#id_evses-{index}-{anchor}")
    return MissingItem(f"EVSE {label}: {words}.", "#evses-group")
