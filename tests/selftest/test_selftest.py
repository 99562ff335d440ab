"""`ocpi_selftest` against the hub simulator playing IOP: every use case passes on a healthy
hub, and each use case the simulator breaks turns red in the report with its evidence."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from locations.models import EVSE
from roaming.models import Platform, SelfTestRun
from roaming.outbox.models import Message
from roaming.simulator import USE_CASE_FAULTS
from roaming.simulator.tokens import QUALIFICATION_TOKEN
from sessions.models import Cdr, Session
from sessions.selftest.runner import Options, SelfTestError, run_selftest
from tests.factories import PlatformFactory

from .conftest import LOCATION

pytestmark = pytest.mark.django_db(transaction=True)
TOKEN = QUALIFICATION_TOKEN["uid"]


def options(**changes) -> Options:
    # grace=0: no worker in these tests, the self-test delivers its streams itself at once.
    return Options(
        **{"location_id": LOCATION, "token_uid": TOKEN, "wait": 10, "grace": 0, **changes}
    )


def by_key(run: SelfTestRun) -> dict:
    return {case["key"]: case for case in run.report["use_cases"]}


@pytest.mark.worker
def test_every_use_case_passes_with_a_worker_delivering_the_outbox(
    iop, platform, workers, tmp_path
):
    workers.start("w1")
    evse = EVSE.objects.get(location__ocpi_id=LOCATION, uid="PAR-SG-1")
    status_before = evse.status
    out = io.StringIO()

    call_command(
        "ocpi_selftest", "Gireve sim", "--location", LOCATION, "--token", TOKEN,
        "--wait", "20", "--output", str(tmp_path), stdout=out,
    )  # fmt: skip

    run = SelfTestRun.objects.get()
    cases = by_key(run)
    assert list(cases) == [
        "register", "credentials", "push_evci", "pull_evci", "rta", "commands",
        "push_sessions", "push_cdrs", "push_tariffs",
    ]  # fmt: skip
    assert {key: case["result"] for key, case in cases.items()} == dict.fromkeys(cases, "pass")
    assert run.result == "pass" and "Push CDRs (ToIOP): PASS" in out.getvalue()
    # The report files: the JSON is the stored report; the HTML stands alone.
    html = next(tmp_path.glob("*.html")).read_text()
    assert json.loads(next(tmp_path.glob("*.json")).read_text())["result"] == "pass"
    assert "<style>" in html and "/static/" not in html and "Push Tariffs (ToIOP)" in html
    # Evidence: the hub's requests as we logged them, tokens hidden.
    pulls = [e for e in cases["pull_evci"]["evidence"] if e["method"] == "GET"]
    assert any("limit=" in e["url"] for e in pulls)
    assert "hub-token" not in json.dumps(run.report) and platform.outgoing_token not in html
    # What IOP saw is what we sent: the session and CDR of the test charge, never billable.
    session, cdr = Session.objects.get(), Cdr.objects.get()
    assert session.is_test and cdr.is_test
    assert iop.cdr("FR", "AB1", cdr.ocpi_id)["total_cost"]["excl_vat"] == 0
    evse.refresh_from_db()
    assert evse.status == status_before
    stored = iop.objects[f"locations/FR/AB1/{LOCATION}"]
    assert next(e for e in stored["evses"] if e["uid"] == "PAR-SG-1")["status"] == status_before


@pytest.mark.parametrize("fault", USE_CASE_FAULTS)
def test_each_broken_use_case_is_named_in_the_report_with_its_evidence(iop, platform, fault):
    iop.break_use_case(fault)

    run = run_selftest(platform=platform, options=options(wait=4), started_by="test")

    case = by_key(run)[fault]
    assert case["result"] in ("fail", "waiting"), case
    assert run.result == case["result"] or run.result == "fail"
    assert f"{case['title']}: {case['label']}" in run.summary
    assert case["reason"]
    if fault in ("pull_evci", "commands"):
        assert case["result"] == "waiting"  # the hub never started it: nothing to show
    else:
        assert case["result"] == "fail" and case["evidence"]
        assert case["problems"] and case["evidence"][-1]["http_status"] is not None
    assert case["title"] in run.report_html


def test_a_healthy_hub_passes_in_process_as_well(iop, platform):
    """The reference for the parametrized faults: without a fault nothing is red."""
    run = run_selftest(platform=platform, options=options(), started_by="test")

    assert {c["key"]: c["result"] for c in run.report["use_cases"]} == dict.fromkeys(
        by_key(run), "pass"
    )


def test_a_production_hub_is_refused_and_nothing_is_sent(db):
    PlatformFactory(name="Gireve prod", hub_country_code="FR", hub_party_id="007")

    with pytest.raises(CommandError, match="production hub.*--allow-production"):
        call_command("ocpi_selftest", "Gireve prod", "--location", LOCATION)

    assert not SelfTestRun.objects.exists() and not Message.objects.exists()


def test_allow_production_lets_it_through_to_the_option_checks(db):
    platform = PlatformFactory(name="Gireve prod", hub_country_code="FR", hub_party_id="007")

    with pytest.raises(SelfTestError, match="0 locations have the id 'NOWHERE'"):
        run_selftest(
            platform=platform,
            options=Options(location_id="NOWHERE", allow_production=True),
            started_by="test",
        )
    assert not SelfTestRun.objects.exists()


def test_an_unknown_platform_is_named_with_the_existing_ones(db):
    PlatformFactory(name="Gireve preprod")

    with pytest.raises(CommandError, match="No platform named 'Nope'.*Gireve preprod"):
        call_command("ocpi_selftest", "Nope", "--location", LOCATION)


def test_an_invited_platform_not_registering_in_time_waits_and_runs_nothing(db, tmp_path):
    PlatformFactory(name="Gireve sim", token_a=True)
    call_command("demo_data", "--no-charging", stdout=io.StringIO())

    with pytest.raises(CommandError, match="WAITING"):
        call_command(
            "ocpi_selftest", "Gireve sim", "--location", LOCATION, "--wait", "0.5",
            "--output", str(tmp_path), stdout=io.StringIO(),
        )  # fmt: skip

    run = SelfTestRun.objects.get()
    assert by_key(run)["register"]["result"] == "waiting"
    assert Platform.objects.get().status == "INVITED" and not Message.objects.exists()
