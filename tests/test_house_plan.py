"""The house plan (issue 26, docs/architecture.md): layers as folders, package files that only hand names on,
modules a reader can hold, and the picture of the layers that the contract (.importlinter) states.

``lint-imports`` (the contract itself, every import counted) runs in ``.ci/run``; it runs here too where
import-linter is installed, so a local ``pytest`` sees a broken layer before CI does.
"""

from __future__ import annotations

import ast
import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "finmodel"
MAX_LINES = 800
EXPLAIN_OVER = 600
MAX_TOP_LEVEL_MODULES = 12


def contract_layers() -> list[list[str]]:
    """The layers of the contract over ``finmodel`` (top first), each a list of its sibling names."""
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / ".importlinter")
    layers = cfg["importlinter:contract:layers"]["layers"]
    return [re.split(r"\s*[|:]\s*", line.strip()) for line in layers.strip().splitlines()]


def picture_layers(doc: str = "docs/architecture.md") -> list[list[str]]:
    """The layer rows of the picture in ``doc`` (below its rule), each a list of names."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    block = text.split("<!-- layers:", 1)[1].split("```", 2)[1]
    rows = block.split("─" * 10, 1)[1].splitlines()
    out = []
    for line in rows:
        if line.startswith(" ") and line[1:2].strip():  # a layer row starts at column 1; continuations are indented
            names = line.split("  ")[0].strip()  # the names end where two spaces begin the description
            out.append(re.split(r"\s*\|\s*", names))
    return out


def test_the_picture_shows_the_contract_layers():
    assert picture_layers() == contract_layers()
    assert picture_layers("README.md") == contract_layers()  # the README's developer section shows the same
    assert contract_layers()[0] == ["api"] and contract_layers()[-1][0] == "term"


def test_the_contract_covers_every_child_of_finmodel():
    listed = {name for layer in contract_layers() for name in layer}
    children = {p.stem for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    children |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert children - listed == {"data"}  # packaged data files, no code
    assert listed <= children


def test_at_most_twelve_modules_at_the_top():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


def test_no_module_is_too_long_to_read():
    long = {}
    for p in PACKAGE.rglob("*.py"):
        n = len(p.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES:
            long[str(p.relative_to(ROOT))] = n
        elif n > EXPLAIN_OVER:
            doc = ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) or ""
            assert "Why one module" in doc, f"{p.relative_to(ROOT)}: {n} lines without a reason at its top"
    assert long == {}


def test_package_files_only_hand_names_on():
    for init in PACKAGE.rglob("__init__.py"):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        defined = [
            n.name
            for n in tree.body
            if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name != "__getattr__"  # PEP 562 lazy names
        ]
        assert defined == [], f"{init.relative_to(ROOT)} defines {defined}"
        assert "sys.modules" not in init.read_text(encoding="utf-8"), init


def test_the_api_function_and_the_fund_package_have_their_own_names():
    import finmodel
    import finmodel.funds

    assert callable(finmodel.fund) and finmodel.fund.__module__ == "finmodel.api.portfolio"
    assert not callable(finmodel.funds)


@pytest.mark.skipif(
    shutil.which("lint-imports") is None and not os.environ.get("CI"),
    reason="import-linter not installed: pip install -e '.[test]' (CI installs it, and fails without it)",
)
def test_lint_imports_keeps_every_contract():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    out = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout
