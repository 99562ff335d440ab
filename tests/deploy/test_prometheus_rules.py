"""deploy/prometheus/alerts.yml: valid rules (`promtool check rules`), on metrics we export."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

RULES = Path(__file__).resolve().parents[2] / "deploy/prometheus/alerts.yml"
PROMTOOL = shutil.which("promtool")


@pytest.mark.skipif(PROMTOOL is None, reason="promtool is not installed (.ci/test does)")
def test_promtool_accepts_the_rules():
    result = subprocess.run([PROMTOOL, "check", "rules", str(RULES)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_rule_names_a_metric_we_export():
    exported = (Path(__file__).resolve().parents[2] / "roaming/metrics.py").read_text() + (
        Path(__file__).resolve().parents[2] / "sessions/metrics.py"
    ).read_text()
    for rule in yaml.safe_load(RULES.read_text())["groups"][0]["rules"]:
        for metric in re.findall(r"\b(ocpi_[a-z_]+|csms_[a-z_]+)", rule["expr"]):
            base = re.sub(r"_(total|count|bucket|sum)$", "", metric)
            assert f'"{base}"' in exported, (rule["alert"], metric)
