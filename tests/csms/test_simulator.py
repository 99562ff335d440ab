"""The CSMS simulator against the platform served on loopback and the hub simulator."""

from locations.models import EVSE
from roaming.simulator.demo_tokens import load_demo_tokens
from sessions.csms.simulator import BADGES, ChargePoint, CsmsSimulator
from sessions.models import Authorization


def test_one_visit_per_badge_gives_every_outcome(
    live_server, transactional_db, csms, location, connected_hub, hub_simulator
):
    load_demo_tokens(hub_simulator)
    lines: list[str] = []
    simulator = CsmsSimulator(f"{live_server.url}/api/csms/v1", csms.api_key, out=lines.append)
    charge_points = [ChargePoint("PAR-1", "E1"), ChargePoint("PAR-1", "E2")]

    accepted = simulator.run(charge_points, rounds=len(BADGES))

    reasons = list(Authorization.objects.order_by("pk").values_list("reason", flat=True))
    assert reasons == [
        "ALLOWED",
        "BLOCKED",
        "ALLOWED",
        "UNKNOWN_TOKEN",
        "ALLOWED",
        "EXPIRED",
        "INVALID_UID",
        "NO_CREDIT",
        "INVALID_UID",
    ]
    assert accepted == 3
    sent = [(r["uid"], r["location"]) for r in hub_simulator.authorize_requests]
    assert [uid for uid, _ in sent] == [
        "04A23B1C5D6E7F",
        "04B1C2D3E4F501",
        "04A23B1C5D6E7F",
        "04DDDDDDDDDD01",
        "04A23B1C5D6E7F",
        "04C0FFEE000001",
        "1A2B3C4D",
    ]
    assert all(len(location["evse_uids"]) == 1 for _, location in sent)
    # Visit 5 (E1) ended with a fault and its repair: every EVSE is back to AVAILABLE.
    assert set(EVSE.objects.values_list("status", flat=True)) == {"AVAILABLE"}
    assert any("Faulted" in line for line in lines)
