"""Reads of charging infrastructure, shaped for OCPI serialization."""

from django.db.models import Prefetch, QuerySet

from roaming.models import Operator

from .models import EVSE, Connector, Location


def locations_for_ocpi(queryset: QuerySet[Location] | None = None) -> QuerySet[Location]:
    """Locations with everything `locations.ocpi.location_to_ocpi` reads, in 3 queries."""
    queryset = Location.objects.all() if queryset is None else queryset
    return queryset.select_related("operator").prefetch_related(
        Prefetch(
            "evses",
            queryset=EVSE.objects.order_by("pk").prefetch_related(
                Prefetch("connectors", queryset=Connector.objects.order_by("pk"))
            ),
        )
    )


def sender_locations(operator: Operator | None = None) -> QuerySet[Location]:
    """What our sender serves (GET /locations): published locations, complete or not; one
    Gireve cannot take yet goes out as `locations.ocpi.location_to_hub` shows it
    (publish=false, as the withdrawal PUT said), so a pull agrees with our pushes."""
    queryset = Location.objects.filter(publish=True)
    if operator is not None:
        queryset = queryset.filter(operator=operator)
    return locations_for_ocpi(queryset).order_by("last_updated", "pk")


def roaming_locations(operator: Operator | None = None) -> QuerySet[Location]:
    """Locations shared with the hub: complete for Gireve (§3.5.1) and published."""
    return sender_locations(operator).filter(gireve_missing=[])
