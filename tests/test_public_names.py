"""No module reaches into another's private names: what one module imports from another is public (no leading
underscore), and the headline metric lists and tolerances live in :mod:`finmodel.conventions`."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def private_imports() -> list[str]:
    """``file: from module import _name`` for every private name imported from another finmodel module."""
    found = []
    for path in sorted([*(ROOT / "finmodel").rglob("*.py"), ROOT / "cli.py"]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("finmodel"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{path.relative_to(ROOT)}: from {node.module} import {alias.name}")
    return found


def test_no_private_name_is_imported_across_modules():
    assert private_imports() == []


def test_headline_lists_and_tolerances_come_from_conventions():
    from finmodel import conventions
    from finmodel.model import checks
    from finmodel.risk import sensitivity, simulation

    assert simulation.PATH_METRICS is conventions.PATH_METRICS
    assert sensitivity.METRICS is conventions.SENSITIVITY_METRICS
    assert "avg_dscr" not in conventions.PATH_METRICS  # an average of ratios says nothing across paths
    for module in ("inputs/grant_element.py", "inputs/cover_rules.py", "model/checks.py"):
        text = (ROOT / "finmodel" / module).read_text(encoding="utf-8")
        assert "1e-9" not in text and "_TOL =" not in text, module
    assert checks.MONEY_TOLERANCE is conventions.MONEY_TOLERANCE  # in_check_tolerance's default
