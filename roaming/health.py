"""Health endpoints: liveness for load balancers, and the outbox for monitoring.

`/health` stays 200 while the database answers (a hub outage must not take our API out of
the load balancer) and reports the outbox; `/health/outbox` answers 503 when streams are
stuck (due for longer than OUTBOX_STUCK_SECONDS: no worker or beat is delivering).
"""

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone

from roaming.outbox import selectors


def _outbox_report() -> dict:
    now = timezone.now()
    backlogs = selectors.platform_backlogs()
    stuck = selectors.stuck_streams(now).count()
    return {
        "status": "stuck" if stuck else "ok",
        "stuck_streams": stuck,
        "pending_messages": sum(b.pending_messages for b in backlogs),
        "held_streams": sum(b.held_streams for b in backlogs),
        "oldest_pending_age_seconds": round(
            max((b.oldest_pending_age(now) for b in backlogs), default=0.0), 1
        ),
    }


def health(request):
    """Liveness: the database answers; the outbox figures are informative."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "outbox": _outbox_report()})


def outbox_health(request):
    """503 when the outbox is stuck, for an alerting probe."""
    report = _outbox_report()
    return JsonResponse(report, status=503 if report["stuck_streams"] else 200)
