"""Recording of OCPI exchanges in MessageLog, secrets removed and bodies truncated.

Written by B1 (inbound API) first; B2's outbound client uses the same `record(...)`.
"""

import datetime as dt

from django.conf import settings
from django.db import connection
from django.utils import timezone

from . import ocpi_json, partitions, rows
from .models import MessageLog

SECRET_HEADERS = {"authorization", "cookie", "proxy-authorization"}
DEFAULT_BODY_LIMIT = 10_000


def text(value) -> str:
    """A string PostgreSQL can store: NUL characters (never valid OCPI) are marked."""
    return str(value).replace("\x00", "\ufffd")


def clean_headers(headers) -> dict:
    """Headers as a dict with every secret replaced by a mark."""
    return {
        text(name): ("<hidden>" if name.lower() in SECRET_HEADERS else text(value))
        for name, value in dict(headers).items()
    }


def hide_tokens(body):
    """Credentials bodies carry tokens (ours and theirs): replace every "token" string."""
    if not body:
        return body
    try:
        data = ocpi_json.loads(body)
    except (TypeError, ValueError):
        return body

    def walk(value):
        if isinstance(value, dict):
            return {
                k: "<hidden>" if k == "token" and isinstance(v, str) else walk(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    return ocpi_json.dumps(walk(data))


def truncate(body) -> str:
    if body is None:
        return ""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    limit = getattr(settings, "OCPI_LOG_BODY_LIMIT", DEFAULT_BODY_LIMIT)
    return text(body if len(body) <= limit else body[:limit] + "…[truncated]")


def fields(
    *,
    direction: str,
    method: str,
    url: str,
    platform=None,
    module: str = "",
    request_headers=None,
    request_body=None,
    http_status: int | None = None,
    ocpi_status: int | None = None,
    response_body=None,
    duration_ms: int | None = None,
    request_id: str = "",
    correlation_id: str = "",
    object_id: str = "",
    party: str = "",
    error: str = "",
) -> dict:
    """The MessageLog field values of one exchange: secrets hidden, text cut to the columns."""
    if module == "credentials":
        request_body, response_body = hide_tokens(request_body), hide_tokens(response_body)
    return dict(
        direction=direction,
        platform=platform,
        method=text(method)[:8],
        url=text(url)[:1000],
        module=module[:20],
        request_headers=clean_headers(request_headers or {}),
        request_body=truncate(request_body),
        http_status=http_status,
        ocpi_status=ocpi_status,
        response_body=truncate(response_body),
        duration_ms=duration_ms,
        request_id=text(request_id)[:64],
        correlation_id=text(correlation_id)[:64],
        object_id=text(object_id)[:100],
        party=text(party)[:10],
        error=text(error),
    )


def record(**exchange) -> MessageLog:
    """Write one exchange (arguments: `fields`). One prepared INSERT rather than
    `objects.create`: every push and every authorize writes one, and the ORM's statement
    building cost more than the insert (bench/outbox_push.py, cProfile)."""
    row = MessageLog(**fields(**exchange))
    if not connection.features.can_return_columns_from_insert:
        row.save(force_insert=True)
        return row
    sql, params = rows.insert_sql(row, returning=True)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row.pk = cursor.fetchone()[0]
    row._state.adding, row._state.db = False, connection.alias
    return row


def insert_sql(**exchange) -> tuple[str, list]:
    """`record` as one INSERT statement and its parameters, for a caller that writes the log
    row in the same statement as its own (sessions.csms.services: the event's record)."""
    return rows.insert_sql(MessageLog(**fields(**exchange)))


def purge(*, older_than_days: int | None = None) -> int:
    """Delete exchanges older than the retention (settings.OCPI_MESSAGE_LOG_RETENTION_DAYS):
    on PostgreSQL whole days at once, so a row may outlive it by a day. The rows deleted
    one by one (the DEFAULT partition's, or every one on SQLite)."""
    if older_than_days is None:
        older_than_days = settings.OCPI_MESSAGE_LOG_RETENTION_DAYS
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    if partitions.is_partitioned(MessageLog._meta.db_table):
        # Whole days dropped (O(1)); rows deleted one by one only in the DEFAULT partition.
        partitions.drop_partitions_older_than(MessageLog, cutoff)
        return partitions.purge_default(MessageLog, cutoff)
    deleted, _ = MessageLog.objects.filter(created_at__lt=cutoff).delete()
    return deleted
