"""The import graph of the ``finmodel`` package has no cycles, between modules and between packages.

What counts as an edge ``A -> B`` (read from the source with ``ast``, nothing imported):

- every ``import finmodel.x`` and ``from finmodel.x import y`` in module ``A``, wherever it stands: at module
  level, inside a function or method (a deferred import is still a dependency), inside ``try``; ``B`` is the
  submodule ``finmodel.x.y`` when ``y`` is one, else ``finmodel.x``; relative imports are resolved;
- imports under ``if TYPE_CHECKING:`` too: never executed, but a reader and every tool see the dependency (the
  house plan, issue 26, counts them, as ``lint-imports`` does with ``exclude_type_checking_imports = False``);
- not counted: the implicit import of a parent package when a submodule is imported (``finmodel.funds.model``
  runs ``finmodel/funds/__init__.py`` first: that is how packages work, not a dependency one module chose).

Checked: the module graph has no cycle; no module imports the package root ``finmodel`` (its lazy public API sits
on top of everything: the version is in ``finmodel.version``); the package graph (every module of
``finmodel.funds``, ``finmodel.risk``, ... taken as one node; top-level modules stay themselves) has no cycle, so
that, say, ``fund`` and ``risk`` cannot lean on each other through different modules (no edge is set aside: the
exceptions this check once listed are gone, issue 12); and the scenario schema imports no domain module
(:data:`SCHEMA_MAY_IMPORT`). The drawing in docs/architecture.md follows the package graph.
"""

from __future__ import annotations

import ast
import functools
import graphlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "finmodel"

SCHEMA_MAY_IMPORT = {
    "finmodel.conventions",
    "finmodel.errors",
    "finmodel.readfile",
    "finmodel.version",
}
"""What the scenario schema (``finmodel.schema``) may import besides itself: no domain module (blending,
guarantees, countries, the engine, risk simulation...); the risk block's presets and political-event defaults are
part of the file format, so they are the schema's own (``finmodel.schema.riskdata``). The rules that need domain data
are ``finmodel.inputs.policy``."""


def module_files() -> dict[str, Path]:
    out = {}
    for p in sorted(PACKAGE.rglob("*.py")):
        parts = list(p.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = p
    return out


def imports_of(name: str, path: Path, modules) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parts + ([base] if base else []))
            for a in node.names:
                sub = f"{base}.{a.name}"
                out.add(sub if sub in modules else base)
    return {m for m in out if m in modules and m != name}


@functools.cache
def module_graph() -> dict[str, set[str]]:
    modules = module_files()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def package_of(module: str) -> str:
    """``finmodel.funds.model`` -> ``finmodel.funds``; a top-level module (or the root) stays itself."""
    return ".".join(module.split(".")[:2])


def package_graph(graph) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for a, deps in graph.items():
        pa = package_of(a)
        out.setdefault(pa, set()).update(package_of(b) for b in deps if package_of(b) != pa)
    return out


def find_cycle(graph) -> list[str] | None:
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        return exc.args[1]
    return None


def test_the_reader_sees_every_kind_of_import(tmp_path):
    """The edge rule above, on a small made-up module (so the checks below cannot pass by reading nothing)."""
    src = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "import finmodel.rows\n"
        "from finmodel import __version__\n"
        "from finmodel.model import engine\n"
        "from .model import timeline\n"
        "from .funds import model\n"
        "if TYPE_CHECKING:\n"
        "    from finmodel.workbook import writer\n"
        "def f():\n"
        "    from finmodel.risk.simulation import prepare\n"
        "    try:\n"
        "        from finmodel.inputs import eligibility\n"
        "    except ImportError:\n"
        "        pass\n"
    )
    path = tmp_path / "probe.py"
    path.write_text(src)
    deps = imports_of("finmodel.probe", path, module_files())
    assert deps == {
        "finmodel.rows",
        "finmodel.model.engine",
        "finmodel",
        "finmodel.model.timeline",
        "finmodel.funds.model",
        "finmodel.risk.simulation",
        "finmodel.inputs.eligibility",
        "finmodel.workbook.writer",  # under TYPE_CHECKING: counted
    }


def test_graph_covers_the_package():
    graph = module_graph()
    assert {
        "finmodel",
        "finmodel.model.engine",
        "finmodel.workbook.writer",
        "finmodel.funds.model",
        "finmodel.risk.simulation",
    } <= set(graph)
    assert "finmodel.rows" in graph["finmodel.model.engine"]
    assert package_graph(graph)["finmodel.funds"] >= {"finmodel.risk", "finmodel.model"}


def test_no_import_cycle_between_modules():
    cycle = find_cycle(module_graph())
    assert cycle is None, f"import cycle between modules: {' -> '.join(cycle)}"


def test_no_module_imports_the_package_root():
    offenders = sorted(m for m, deps in module_graph().items() if "finmodel" in deps)
    assert offenders == [], f"{offenders} import finmodel itself (take __version__ from finmodel.version)"


def test_no_import_cycle_between_packages():
    cycle = find_cycle(package_graph(module_graph()))
    assert cycle is None, f"import cycle between packages: {' -> '.join(cycle)}"


def test_the_package_check_sees_a_cycle_through_different_modules():
    """A lower package reaching up through another module than the one reached down from is a package cycle
    (so the check above cannot pass by looking at modules only)."""
    graph = {
        "finmodel.outputs": {"finmodel.rows"},
        "finmodel.outputs.report": {"finmodel.api"},
        "finmodel.api": {"finmodel.outputs"},
        "finmodel.rows": set(),
    }
    assert find_cycle(graph) is None
    assert find_cycle(package_graph(graph)) is not None


def test_fund_builds_on_risk_never_the_reverse():
    graph = package_graph(module_graph())
    assert "finmodel.risk" in graph["finmodel.funds"]  # fund Monte Carlo, frontier, programme use the simulation
    assert "finmodel.funds" not in graph["finmodel.risk"]


def test_the_schema_imports_no_domain_module():
    graph = module_graph()
    schema = [m for m in graph if package_of(m) == "finmodel.schema"]
    assert {"finmodel.schema.project", "finmodel.schema.risk", "finmodel.schema.rules"} <= set(schema)
    outside = {(m, d) for m in schema for d in graph[m] if package_of(d) != "finmodel.schema"}
    assert {d for _, d in outside} <= SCHEMA_MAY_IMPORT, sorted(e for e in outside if e[1] not in SCHEMA_MAY_IMPORT)


def test_policy_runs_on_the_schema_and_the_loader_on_both():
    """The policy stage reads domain data on top of the schema; loading (finmodel.inputs.validation) runs both."""
    graph = module_graph()
    domain = {"finmodel.inputs.eligibility", "finmodel.inputs.cover_rules", "finmodel.inputs.countries"}
    assert domain <= graph["finmodel.inputs.policy"]
    assert {"finmodel.inputs.policy", "finmodel.schema.errors"} <= graph["finmodel.inputs.validation"]
    assert "finmodel.inputs.policy" in graph["finmodel.model.engine"]  # engine.build runs it on a scenario not loaded
