"""manage.py price_cdr: prices a CDR file with a tariff file and prints exact JSON."""

import json
import os
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

DATA = Path(__file__).resolve().parent.parent / "data" / "ocpi_examples"
D = Decimal


def descriptions():
    """tariff_A described three times (Gireve §3.10.4), plus another tariff."""

    def tariff(tariff_id, kind, price, **target):
        return {
            "country_code": "FR",
            "party_id": "CPO",
            "id": tariff_id,
            "currency": "EUR",
            "elements": [
                {"price_components": [{"type": kind, "price": price, "vat": 20.0, "step_size": 1}]}
            ],
            "last_updated": "2026-01-01T00:00:00Z",
            **target,
        }

    return [
        tariff("tariff_B", "TIME", 9.0),
        tariff(
            "tariff_A",
            "TIME",
            0.5,
            target_operator_country_code="DE",
            target_operator_party_id="MP1",
        ),
        tariff(
            "tariff_A",
            "ENERGY",
            0.1,
            target_operator_country_code="NL",
            target_operator_party_id="MP2",
        ),
        tariff("tariff_A", "TIME", 0.8),
    ]


CDR = {
    "country_code": "FR",
    "party_id": "CPO",
    "id": "CDR1",
    "start_date_time": "2026-01-05T10:00:00Z",
    "end_date_time": "2026-01-05T12:30:00Z",
    "currency": "EUR",
    "tariffs": [{"id": "tariff_A"}],
    "charging_periods": [
        {
            "start_date_time": "2026-01-05T10:00:00Z",
            "dimensions": [{"type": "ENERGY", "volume": 12.5}, {"type": "TIME", "volume": 2.5}],
            "tariff_id": "tariff_A",
        }
    ],
    "total_cost": {"excl_vat": 999.0},  # not priced: printed beside, as not matching
}


@pytest.fixture
def files(tmp_path):
    def write(name, content):
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        return str(path)

    return write


def run(*args) -> str:
    out = StringIO()
    call_command("price_cdr", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("emsp", "expected"),
    [
        # NL*MP2's description: 12.5 kWh x 0.10 = 1.25, +20% = 1.50
        (
            "NL*MP2",
            {
                "total_cost": {"excl_vat": D("1.2500"), "incl_vat": D("1.5000")},
                "total_energy_cost": {"excl_vat": D("1.2500"), "incl_vat": D("1.5000")},
            },
        ),
        # default description for everybody else: 2.5 h x 0.80 = 2.00, +20% = 2.40
        (
            "FR*XYZ",
            {
                "total_cost": {"excl_vat": D("2.0000"), "incl_vat": D("2.4000")},
                "total_time_cost": {"excl_vat": D("2.0000"), "incl_vat": D("2.4000")},
            },
        ),
    ],
)
def test_prices_the_cdr_with_the_emsp_description_of_its_tariff(files, emsp, expected):
    output = run(
        "--tariff",
        files("tariffs.json", descriptions()),
        "--cdr",
        files("cdr.json", CDR),
        "--time-zone",
        "Europe/Paris",
        "--emsp",
        emsp,
    )
    assert json.loads(output, parse_float=Decimal) == {
        "currency": "EUR",
        "tariff_id": "tariff_A",
        **expected,
        "cdr_total_cost": {"excl_vat": D("999.0")},
        "matches_cdr": False,
    }
    # Decimals are written as JSON numbers with their exact digits
    assert '"excl_vat": ' + str(next(iter(expected.values()))["excl_vat"]) in output


def test_explain_and_the_cdr_own_tariff(files):
    # The spec's CDR example carries its tariff: 1.973 h x 2.00 -> 2 h (step 300) = 4.00 / 4.40.
    # 1.973 h is 7102.8 s, read as 7103 s (docs/pricing.md "Durations"): 97 s of step rounding.
    output = run(
        "--cdr", str(DATA / "cdr_example.json"), "--time-zone", "Europe/Brussels", "--explain"
    )
    result = json.loads(output, parse_float=Decimal)
    assert result["total_cost"] == {"excl_vat": D("4.0000"), "incl_vat": D("4.4000")}
    assert [
        (line["element"], line["seconds"], line["step_rounding"]) for line in result["breakdown"]
    ] == [(0, 7103, False), (0, 97, True)]


@pytest.mark.parametrize(
    ("tariff_content", "cdr_change", "time_zone", "message"),
    [
        (None, {}, "Europe/Paris", "{tmp}/missing.json: no such file"),
        ("{not json", {}, "Europe/Paris", "{tmp}/tariffs.json: invalid JSON at line 1 column 2"),
        (
            "bad_step",
            {},
            "Europe/Paris",
            "{tmp}/tariffs.json: [3].elements[0].price_components[0].step_size: must be a "
            "positive integer, not 0",
        ),
        (
            "ok",
            {"charging_periods": [{**CDR["charging_periods"][0], "tariff_id": "tariff_C"}]},
            "Europe/Paris",
            "{tmp}/tariffs.json: tariff tariff_C: no description and no default one",
        ),
        ("ok", {"currency": "USD"}, "Europe/Paris", "{tmp}/cdr.json: currency: the CDR is in USD"),
        (
            "ok",
            {"end_date_time": "2026-01-05T09:00:00Z"},
            "Europe/Paris",
            "{tmp}/cdr.json: end_date_time: is before start_date_time",
        ),
        ("ok", {}, "Paris", "--time-zone: 'Paris' is not an IANA time zone"),
    ],
    ids=[
        "missing-file",
        "invalid-json",
        "invalid-tariff",
        "unknown-tariff",
        "currency",
        "cdr-field",
        "time-zone",
    ],
)
def test_errors_name_the_file_and_field(
    files, tmp_path, tariff_content, cdr_change, time_zone, message
):
    tariffs = descriptions()
    if tariff_content == "bad_step":
        tariffs[3]["elements"][0]["price_components"][0]["step_size"] = 0
    if tariff_content is None:
        tariff_path = str(tmp_path / "missing.json")
    elif tariff_content in ("ok", "bad_step"):
        tariff_path = files("tariffs.json", tariffs)
    else:
        tariff_path = files("tariffs.json", tariff_content)
    cdr_path = files("cdr.json", {**CDR, **cdr_change})
    with pytest.raises(CommandError) as error:
        run("--tariff", tariff_path, "--cdr", cdr_path, "--time-zone", time_zone)
    assert str(error.value).startswith(message.format(tmp=tmp_path))


RAW = "@raw@"  # stands for a JSON number json.dumps cannot write (1e400), spliced in as text


def with_raw(data, raw: str) -> str:
    return json.dumps(data).replace(json.dumps(RAW), raw)


def cdr_with(change) -> dict:
    data = json.loads(json.dumps(CDR))
    change(data)
    return data


def tariffs_with(change) -> list:
    data = descriptions()
    change(data[3])  # tariff_A's default description, the one priced
    return data


def set_energy(value):
    return lambda c: c["charging_periods"][0]["dimensions"][0].update(volume=value)


def set_component(**fields):
    return lambda t: t["elements"][0]["price_components"][0].update(fields)


def set_restrictions(**fields):
    return lambda t: t["elements"][0].update(restrictions=fields)


COMPONENT = "[3].elements[0].price_components[0]"
OUT_OF_RANGE = "is out of range (must be below 1e12, and 0 or at least 1e-20, in absolute value)"


@pytest.mark.parametrize(
    ("cdr_change", "tariff_change", "raw", "message"),
    [
        (
            set_energy(12345678901234567),
            None,
            None,
            f"{{cdr}}: charging_periods[0].dimensions[0].volume: 12345678901234567 {OUT_OF_RANGE}",
        ),
        (
            set_energy(RAW),
            None,
            "1e-999999",
            f"{{cdr}}: charging_periods[0].dimensions[0].volume: 1E-999999 {OUT_OF_RANGE}",
        ),
        (None, set_component(price=RAW), "1e400", f"{{tariffs}}: {COMPONENT}.price: 1E+400"),
        (None, set_component(vat=RAW), "1e400", f"{{tariffs}}: {COMPONENT}.vat: 1E+400"),
        (
            None,
            set_component(step_size=RAW),
            "60.5",
            f"{{tariffs}}: {COMPONENT}.step_size: must be a positive integer, not 60.5",
        ),
        (
            None,
            set_component(step_size=10**20),
            None,
            f"{{tariffs}}: {COMPONENT}.step_size: 100000000000000000000 is out of range",
        ),
        (
            None,
            set_restrictions(max_kwh=RAW),
            "1e400",
            f"{{tariffs}}: [3].elements[0].restrictions.max_kwh: 1E+400 {OUT_OF_RANGE}",
        ),
        (
            None,
            set_restrictions(min_duration=10**30),
            None,
            f"{{tariffs}}: [3].elements[0].restrictions.min_duration: 1{'0' * 30} is out of",
        ),
        (
            None,
            lambda t: t.update(max_price={"excl_vat": RAW}),
            "1e400",
            f"{{tariffs}}: [3].max_price.excl_vat: 1E+400 {OUT_OF_RANGE}",
        ),
        (
            lambda c: c.update(end_date_time="9999-12-31T23:59:59Z"),
            None,
            None,
            "{cdr}: end_date_time: '9999-12-31T23:59:59Z' is out of range "
            "(1970-01-01T00:00:00Z to 9998-12-31T23:59:59Z)",
        ),
        (
            lambda c: c.update(end_date_time="2028-01-05T12:30:00Z"),
            None,
            None,
            "{cdr}: end_date_time: the session lasts more than 366 days",
        ),
        (
            set_energy(RAW),
            None,
            "1e99999999999999999999",
            "{cdr}: holds a number with more digits or a larger exponent than any OCPI number",
        ),
    ],
    ids=[
        "energy-17-digits",
        "energy-tiny",
        "price-1e400",
        "vat-1e400",
        "step-size-not-integer",
        "step-size-huge",
        "max-kwh-1e400",
        "min-duration-huge",
        "max-price-1e400",
        "datetime-far-future",
        "session-two-years",
        "number-no-decimal-holds",
    ],
)
def test_out_of_range_numbers_are_refused_in_one_line_naming_file_and_field(
    files, cdr_change, tariff_change, raw, message
):
    # Issue 9: these ended in decimal.Overflow / InvalidOperation / OverflowError tracebacks
    # (or priced absurd amounts); the value is shown as written (60.5, not Decimal('60.5')).
    cdr = cdr_with(cdr_change or (lambda c: None))
    tariffs = tariffs_with(tariff_change or (lambda t: None))
    cdr_path = files("cdr.json", with_raw(cdr, raw) if raw and cdr_change else cdr)
    tariff_path = files(
        "tariffs.json", with_raw(tariffs, raw) if raw and tariff_change else tariffs
    )
    with pytest.raises(CommandError) as error:
        run("--tariff", tariff_path, "--cdr", cdr_path, "--time-zone", "Asia/Tokyo")
    assert str(error.value).startswith(message.format(cdr=cdr_path, tariffs=tariff_path))
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("cdr_change", "stderr"),
    [
        (
            lambda c: c.update(charging_periods=[]),
            "{cdr}: charging_periods: must be a non-empty list",
        ),
        (
            set_energy(12345678901234567),
            "{cdr}: charging_periods[0].dimensions[0].volume: 12345678901234567 is out of range",
        ),
    ],
    ids=["no-periods", "energy-17-digits"],
)
def test_command_line_error_exits_non_zero_without_traceback(files, cdr_change, stderr):
    cdr_path = files("cdr.json", cdr_with(cdr_change))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": settings.SECRET_KEY,
    }
    process = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "price_cdr",
            "--tariff",
            files("tariffs.json", descriptions()),
            "--cdr",
            cdr_path,
            "--time-zone",
            "UTC",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 1
    assert process.stdout == ""
    assert "Traceback" not in process.stderr
    assert process.stderr.startswith("CommandError: " + stderr.format(cdr=cdr_path))
    assert process.stderr.count("\n") == 1  # one line


def test_cost_fields_fit_an_ocpi_cdr(files):
    # The spec's CDR example, charged 20 kWh then parked 40 min under tariff_10: our cost
    # fields replace the example's and the CDR still validates against py_ocpi's model.
    from py_ocpi.modules.cdrs.v_2_2_1.schemas import Cdr

    tariff = json.loads((DATA / "tariff_10_025kwh_parking_start.json").read_text())
    cdr = json.loads((DATA / "cdr_example.json").read_text())
    cdr.update(
        tariffs=[tariff],
        end_date_time="2015-06-29T22:39:09Z",
        charging_periods=[
            {
                "start_date_time": "2015-06-29T21:39:09Z",
                "tariff_id": "18",
                "dimensions": [{"type": "ENERGY", "volume": 20}, {"type": "TIME", "volume": 0.33}],
            },
            {
                "start_date_time": "2015-06-29T21:59:09Z",
                "tariff_id": "18",
                "dimensions": [{"type": "PARKING_TIME", "volume": 0.666667}],
            },
        ],
    )
    for field in [name for name in cdr if name.startswith("total_") and name.endswith("cost")]:
        del cdr[field]
    output = json.loads(run("--cdr", files("cdr.json", cdr), "--time-zone", "Europe/Brussels"))
    costs = {name: value for name, value in output.items() if name.startswith("total_")}
    # 0.50 (0.60) + 20 x 0.25 = 5.00 (5.50) + 40 min -> 45 min x 2.00 = 1.50 (1.80)
    assert costs == {
        "total_cost": {"excl_vat": 7.0, "incl_vat": 7.9},
        "total_fixed_cost": {"excl_vat": 0.5, "incl_vat": 0.6},
        "total_energy_cost": {"excl_vat": 5.0, "incl_vat": 5.5},
        "total_parking_cost": {"excl_vat": 1.5, "incl_vat": 1.8},
    }
    Cdr(**{**cdr, **costs})


def test_the_cdrs_own_total_is_printed_beside_the_computed_one_and_compared():
    """Audit 2 (first-audit item 5): the spec's CDR example priced with tariff_1 (steps of
    60 s) printed 3.9667 while the CDR says 4.00, without a word. 1.973 h is read as 7103 s:
    119 steps of 60 s = 7140 s × 2.00/h = 3.9667, incl. 10 % VAT 4.3634."""
    out, err = StringIO(), StringIO()
    call_command(
        "price_cdr", cdr=str(DATA / "cdr_example.json"),
        tariff=str(DATA / "tariff_1_simple_2hour.json"), time_zone="Europe/Paris",
        stdout=out, stderr=err,
    )  # fmt: skip
    printed = json.loads(out.getvalue(), parse_float=D)
    assert printed["total_cost"] == {"excl_vat": D("3.9667"), "incl_vat": D("4.3634")}
    assert printed["cdr_total_cost"] == {"excl_vat": D("4.00"), "incl_vat": D("4.40")}
    assert printed["matches_cdr"] is False
    assert "DIFFERS from the CDR's total_cost 4.00 excl. VAT / 4.40 incl. VAT" in err.getvalue()

    out, err = StringIO(), StringIO()  # its own tariff (steps of 300 s): 2 h, 4.00 / 4.40
    call_command(
        "price_cdr", cdr=str(DATA / "cdr_example.json"), time_zone="Europe/Paris",
        stdout=out, stderr=err,
    )  # fmt: skip
    printed = json.loads(out.getvalue(), parse_float=D)
    assert printed["total_cost"] == {"excl_vat": D("4.0000"), "incl_vat": D("4.4000")}
    assert printed["matches_cdr"] is True
    assert "matches the CDR's total_cost" in err.getvalue()
