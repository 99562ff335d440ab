"""Prometheus /metrics: the outbox backlog per platform, read from the database at scrape time.

The database is the source of truth (Celery may lose a task, the outbox never loses a message),
so every figure is computed from it on each scrape; no process-local counters.
Set METRICS_TOKEN to require `Authorization: Bearer <token>`. Failed staff logins and
lockouts come from the audit trail (roaming.accounts.metrics).
"""

import hmac

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from roaming.accounts.metrics import LoginCollector
from roaming.outbox import selectors


class OutboxCollector:
    """Gauges of what waits and counters of what happened, labelled by platform name."""

    def collect(self):
        now = timezone.now()
        labels = ["platform"]
        pending = GaugeMetricFamily(
            "ocpi_outbox_pending_messages",
            "Messages not yet delivered (incl. held heads).",
            labels=labels,
        )
        waiting = GaugeMetricFamily(
            "ocpi_outbox_streams_waiting",
            "Streams with at least one undelivered message.",
            labels=labels,
        )
        held = GaugeMetricFamily(
            "ocpi_outbox_held_streams",
            "Streams held until a person resends or skips.",
            labels=labels,
        )
        oldest = GaugeMetricFamily(
            "ocpi_outbox_oldest_pending_age_seconds",
            "Age of the oldest undelivered message.",
            labels=labels,
        )
        paused = GaugeMetricFamily(
            "ocpi_outbox_push_paused", "1 when pushes to the platform are paused.", labels=labels
        )
        delivered = CounterMetricFamily(
            "ocpi_outbox_delivered", "Messages the platform accepted.", labels=labels
        )
        failures = CounterMetricFamily(
            "ocpi_outbox_technical_failures", "Failed attempts, retried later.", labels=labels
        )
        rejected = CounterMetricFamily(
            "ocpi_outbox_rejected", "Messages refused with OCPI 2xxx.", labels=labels
        )
        for backlog in selectors.platform_backlogs():
            name = [backlog.platform_name]
            pending.add_metric(name, backlog.pending_messages)
            waiting.add_metric(name, backlog.streams_waiting)
            held.add_metric(name, backlog.held_streams)
            oldest.add_metric(name, backlog.oldest_pending_age(now))
            paused.add_metric(name, int(backlog.paused))
            delivered.add_metric(name, backlog.delivered_total)
            failures.add_metric(name, backlog.failures_total)
            rejected.add_metric(name, backlog.rejected_total)
        stuck = GaugeMetricFamily(
            "ocpi_outbox_stuck_streams",
            "Streams due for longer than OUTBOX_STUCK_SECONDS (no worker delivering).",
        )
        stuck.add_metric([], selectors.stuck_streams(now).count())
        yield from [pending, waiting, held, oldest, paused, delivered, failures, rejected, stuck]


def metrics(request):
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OutboxCollector())
    registry.register(LoginCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
