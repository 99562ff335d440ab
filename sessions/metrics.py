"""Prometheus figures of the roaming workflow (served by roaming.metrics at /metrics).

Live counters and histograms, incremented where things happen: authorize decisions (outcome,
source) and their latency, ours and the hub's; CSMS bridge events by type and HTTP result.
`WorkflowCollector` reads states from the database at each scrape: active sessions, CDRs by
state (held ones wait for a person) and credits, commands by type and result (TIMEOUT: the
charge point never answered).
"""

from django.db.models import Count
from prometheus_client import Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10)

AUTHORIZE_DECISIONS = Counter(
    "ocpi_authorize_decisions",
    "Badge decisions for the CSMS, by reason (ALLOWED, BLOCKED, UNKNOWN…) and source.",
    ["reason", "source", "accepted"],
)
AUTHORIZE_SECONDS = Histogram(
    "ocpi_authorize_seconds",
    "Badge decision latency: `decision` is ours end to end, `hub` the hub's answer.",
    ["part"],
    buckets=LATENCY_BUCKETS,
)
BRIDGE_EVENTS = Counter(
    "csms_bridge_events", "CSMS bridge API calls, by event type and HTTP status.",
    ["event", "status"],
)


def count_decision(decision) -> None:
    """One badge decision (sessions.authorization.decide)."""
    AUTHORIZE_DECISIONS.labels(decision.reason, decision.source, str(decision.accepted)).inc()
    AUTHORIZE_SECONDS.labels("decision").observe(decision.latency_ms / 1000)
    if decision.hub_latency_ms is not None:
        AUTHORIZE_SECONDS.labels("hub").observe(decision.hub_latency_ms / 1000)


class WorkflowCollector:
    """Three grouped counts per scrape (indexed columns; CDRs: one GROUP BY over the table)."""

    def collect(self):
        from sessions.commands.models import Command
        from sessions.enums import SessionStatus
        from sessions.models import Cdr, Session

        active = GaugeMetricFamily("ocpi_sessions_active", "Charging sessions ACTIVE now.")
        active.add_metric([], Session.objects.filter(status=SessionStatus.ACTIVE).count())
        cdrs = GaugeMetricFamily(
            "ocpi_cdrs", "CDRs by state (QUEUED for the hub, HELD for a person) and kind.",
            labels=["state", "kind"],
        )
        for row in Cdr.objects.values("state", "credit").annotate(n=Count("pk")):
            cdrs.add_metric([row["state"], "credit" if row["credit"] else "cdr"], row["n"])
        commands = CounterMetricFamily(
            "ocpi_commands", "Commands from eMSPs by type, result and who decided it "
            "(source TIMEOUT: no answer from the charge point).",
            labels=["type", "result", "source"],
        )
        rows = Command.objects.values("type", "result", "result_source").annotate(n=Count("pk"))
        for row in rows:
            commands.add_metric(
                [row["type"], row["result"] or "NONE", row["result_source"] or "NONE"], row["n"]
            )
        yield from [active, cdrs, commands]
