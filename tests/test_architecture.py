"""The layers of docs/architecture.md hold: a lower layer never imports a higher one."""

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_no_layer_imports_a_layer_above_it(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    exit_code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True)
    assert exit_code == 0, capsys.readouterr().out
