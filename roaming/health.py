"""Health endpoints: liveness for load balancers, and the outbox for monitoring.

`/health` stays 200 while the database answers (a hub outage must not take our API out of
the load balancer) and reports the outbox and the background processes; `/health/outbox`
answers 503 when streams are stuck (due for longer than OUTBOX_STUCK_SECONDS: no worker or beat
is delivering); `/health/workers` answers 503 when beat's or the workers' heartbeat is older
than HEARTBEAT_MAX_AGE_SECONDS (roaming/heartbeat.py), before anything is stuck.
"""

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone

from roaming import heartbeat
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
    return JsonResponse(
        {"status": "ok", "outbox": _outbox_report(), "workers": heartbeat.report()}
    )


def outbox_health(request):
    """503 when the outbox is stuck, for an alerting probe."""
    report = _outbox_report()
    return JsonResponse(report, status=503 if report["stuck_streams"] else 200)


def workers_health(request):
    """503 when beat or every worker has stopped, for an alerting probe."""
    report = heartbeat.report()
    return JsonResponse(report, status=503 if report["stale"] else 200)
