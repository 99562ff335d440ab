"""Which connected platform plays a role for a module, with its endpoints, in one statement.

Asked by every push (who receives it) and every real-time authorize (who decides), so the
SQL is written once (roaming.rows, issue 21): the ORM's join, DISTINCT and the endpoints'
second query cost more CPU than the rest of a status event.
"""

from __future__ import annotations

from django.db import connection

from . import rows
from .models import Platform, PlatformEndpoint

# A platform `p`'s endpoints as one JSON column (read by `endpoints_of`), for the statements
# that load a platform to call it (here and roaming.outbox.hot_path).
ENDPOINTS_COLUMN = f"""(
    SELECT coalesce(json_agg(json_build_array(e.identifier, e.role, e.url)), '[]')
    FROM {PlatformEndpoint._meta.db_table} e WHERE e.platform_id = p.id)"""

_SQL = f"""
SELECT {rows.columns(Platform, "p")}, {ENDPOINTS_COLUMN}
FROM {Platform._meta.db_table} p
WHERE p.status = %(connected)s AND EXISTS (
    SELECT 1 FROM {PlatformEndpoint._meta.db_table} e
    WHERE e.platform_id = p.id AND e.identifier = %(module)s AND e.role = %(role)s)
ORDER BY p.id
"""


def connected_with(module: str, role: str) -> list[tuple[Platform, dict]]:
    """CONNECTED platforms with a `role` endpoint for `module`, in id order, each with its
    endpoints {(module, role): url} (for OcpiClient)."""
    params = {"connected": Platform.Status.CONNECTED, "module": module, "role": role}
    if connection.vendor != "postgresql":
        platforms = (
            Platform.objects.filter(
                status=Platform.Status.CONNECTED, endpoints__identifier=module, endpoints__role=role
            )
            .distinct()
            .order_by("pk")
        )
        return [
            (p, endpoints_of(p.endpoints.values_list("identifier", "role", "url")))
            for p in platforms
        ]
    with connection.cursor() as cursor:
        cursor.execute(_SQL, params)
        found = cursor.fetchall()
    width = rows.width(Platform)
    return [(rows.instance(Platform, row[:width]), endpoints_of(row[width])) for row in found]


def endpoints_of(triples) -> dict:
    """{(module, role): url} from (identifier, role, url) triples, as OcpiClient takes them."""
    return {(identifier, role): url for identifier, role, url in triples}
