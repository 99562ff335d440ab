"""deploy/systemd/*.service pass `systemd-analyze verify` (syntax, directives, commands).

The units name the documented install (/srv/cpo-roaming); the test points them at this
checkout, whose .venv has the same gunicorn and celery, so the commands are checked too.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "deploy/systemd").glob("*.service"))
ANALYZE = shutil.which("systemd-analyze")


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_unit_verifies(unit, tmp_path):
    copy = tmp_path / unit.name
    copy.write_text(unit.read_text().replace("/srv/cpo-roaming", str(ROOT)))
    result = subprocess.run(
        [ANALYZE, "verify", "--man=no", str(copy)], capture_output=True, text=True, timeout=60
    )
    problems = [line for line in result.stderr.splitlines() if unit.stem.split("@")[0] in line]
    assert result.returncode == 0 and not problems, result.stderr


def test_the_units_and_the_procfile_run_the_same_processes():
    procfile = (ROOT / "Procfile").read_text()
    for command in ("gunicorn -c deploy/gunicorn.conf.py config.wsgi",
                    "celery -A config worker", "celery -A config beat"):
        assert command in procfile
        assert any(command in unit.read_text() for unit in UNITS), command
