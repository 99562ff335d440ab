"""Prometheus /metrics: states read from the database at scrape time, events counted live.

States (the outbox backlog, active sessions, held CDRs…) are computed from the database on each
scrape: it is the source of truth, shared by every machine. Events (hub calls and their latency,
authorize decisions, CSMS bridge events) are counted where they happen, with prometheus_client;
with PROMETHEUS_MULTIPROC_DIR set (deploy/systemd) every gunicorn and Celery process of the
machine writes there and /metrics sums them. The collectors of each app are listed in
settings.METRICS_COLLECTORS (roaming imports no domain app). Set METRICS_TOKEN to require
`Authorization: Bearer <token>`. Failed staff logins and lockouts come from the audit trail
(roaming.accounts.metrics).
"""

import hmac
import os

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.module_loading import import_string
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

# Hub calls (roaming.client.OcpiClient.send): seconds per module, method and outcome
# (success, rejected, technical); the count of {module="cdrs", method="POST",
# outcome="success"} is the CDRs the hub accepted.
HUB_CALL_SECONDS = Histogram(
    "ocpi_hub_call_seconds",
    "Duration of our calls to the hub, by OCPI module, method and outcome.",
    ["module", "method", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)


class OutboxCollector:
    """Gauges of what waits and counters of what happened, labelled by platform name."""

    def collect(self):
        from roaming.outbox import selectors  # (it imports the client, which imports us)

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
    for path in settings.METRICS_COLLECTORS:
        registry.register(import_string(path)())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # every process of this machine
        body = generate_latest(registry)
    else:
        body = generate_latest(registry) + generate_latest(REGISTRY)  # this process
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
