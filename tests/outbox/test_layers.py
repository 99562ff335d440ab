"""The outbox reads in one direction: tasks -> delivery/services -> dispatch, healing -> models."""

import ast
from pathlib import Path

import roaming.outbox

PACKAGE = Path(roaming.outbox.__file__).parent
# Who may import whom inside roaming.outbox (function-level imports count too).
FORBIDDEN = {
    "dispatch": {"tasks", "delivery", "services", "coalescing"},
    "services": {"tasks", "delivery"},
    "delivery": {"tasks", "services"},
    "coalescing": {"tasks", "delivery", "services", "dispatch"},
    "registry": {"tasks", "delivery", "services", "dispatch", "healing"},
    "healing": {"tasks", "delivery", "services", "dispatch"},
}


def outbox_imports(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level == 1 and base:
                found.add(base.split(".")[0])
            elif node.level == 1:
                found |= {alias.name for alias in node.names}
            elif base.startswith("roaming.outbox."):
                found.add(base.split(".")[2])
        elif isinstance(node, ast.Import):
            found |= {
                alias.name.split(".")[2]
                for alias in node.names
                if alias.name.startswith("roaming.outbox.")
            }
    return found


def test_no_module_of_the_outbox_imports_one_above_it():
    wrong = {
        module: sorted(outbox_imports(module) & above)
        for module, above in FORBIDDEN.items()
        if (PACKAGE / f"{module}.py").exists() and outbox_imports(module) & above
    }

    assert wrong == {}
