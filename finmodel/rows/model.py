"""The model: named inputs and calculation rows (:mod:`finmodel.rows.expressions`), their evaluation order (blocks
of rows that refer to each other through ``Prev`` are evaluated one period at a time, vectorised over paths; every
other row whole, at once) and their evaluation with numpy.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from finmodel.conventions import check_name
from finmodel.errors import FinmodelError
from finmodel.rows.expressions import NOW, WHOLE, Agg, Expr, Ref, lift

# --- definitions and the model ----------------------------------------------------------------------------


@dataclasses.dataclass
class Input:
    """A named input: ``scalar`` (one value), ``table`` (values by year 1..n) or ``series`` (one per period)."""

    name: str
    kind: str  # "scalar" | "table" | "series"
    value: np.ndarray
    label: str
    unit: str = ""
    source: str = ""
    group: str = "General"
    fmt: str = "number"
    solved: bool = False  # written by the engine's solver (a labelled input that a check row proves)
    text: str | None = None  # a text shown instead of the value (e.g. dates); value stays numeric


@dataclasses.dataclass
class Row:
    """A calculation row (or a named scalar result when ``expr.scalar``)."""

    name: str
    expr: Expr
    sheet: str
    label: str
    unit: str = ""
    total: bool = False
    fmt: str = "money"
    section: str = ""
    as_row: bool = False  # a scalar expression shown (and evaluated) in every period

    @property
    def scalar(self) -> bool:
        return self.expr.scalar and not self.as_row


class Model:
    """Inputs and rows; knows the evaluation order. Build once, evaluate many times."""

    def __init__(self, periods: int):
        self.periods = periods
        self.inputs: dict[str, Input] = {}
        self.rows: dict[str, Row] = {}
        self._plan = None
        self._compiled: dict[bool, object] = {}

    # --- building ---------------------------------------------------------------------------------
    def add_input(
        self,
        name,
        value,
        label,
        *,
        kind="scalar",
        unit="",
        source="",
        group="General",
        fmt="number",
        solved=False,
        text=None,
    ) -> Ref:
        check_name(name)
        if name in self.inputs or name in self.rows:
            raise FinmodelError(f"duplicate model name {name!r}")
        arr = np.asarray(value, dtype=float)
        if kind == "scalar":
            arr = arr.reshape(-1, 1)
        elif kind in ("table", "series"):
            arr = arr.reshape(-1, arr.shape[-1]) if arr.ndim else arr.reshape(1, 1)
        else:
            raise FinmodelError(f"unknown input kind {kind!r}")
        self.inputs[name] = Input(name, kind, arr, label, unit, source, group, fmt, solved, text)
        self._plan, self._compiled = None, {}
        return Ref(name, scalar=(kind == "scalar"))

    def add(self, name, expr, sheet, label, *, unit="", total=False, fmt="money", section="", as_row=False) -> Ref:
        check_name(name)
        if name in self.inputs or name in self.rows:
            raise FinmodelError(f"duplicate model name {name!r}")
        row = Row(name, lift(expr), sheet, label, unit, total, fmt, section, as_row)
        self.rows[name] = row
        self._plan, self._compiled = None, {}
        return Ref(name, scalar=row.scalar)

    def ref(self, name) -> Ref:
        if name in self.inputs:
            return Ref(name, scalar=self.inputs[name].kind == "scalar")
        return Ref(name, scalar=self.rows[name].scalar)

    # --- ordering ---------------------------------------------------------------------------------
    def plan(self):
        """Evaluation plan: a list of ("whole", [row]) and ("loop", [rows in same-period order]) steps."""
        if self._plan is None:
            self._plan = _make_plan(self)
        return self._plan

    # --- evaluation -------------------------------------------------------------------------------
    def compiled(self, scalar_mode: bool, targets: frozenset | None = None):
        """The generated evaluation function (see :mod:`finmodel.rows.code`), built once per model, mode and
        set of targets (None: every row)."""
        from finmodel.rows.code import compile_plan

        key = (scalar_mode, targets)
        if key not in self._compiled:
            plan, drop = self.plan(), None
            if targets is not None:
                need = self.needed(targets)
                plan = [(kind, names) for kind, names in plan if any(n in need for n in names)]
                drop = self._drops(plan, targets)
            self._compiled[key] = compile_plan(self, plan, scalar_mode, drop)
        return self._compiled[key]

    def _drops(self, plan, targets) -> list[list[str]]:
        """For each step of ``plan``: the rows no later step reads and not in ``targets``, dropped after it."""
        last: dict[str, int] = {}
        for i, (_, names) in enumerate(plan):
            for n in names:
                last[n] = i  # a row nobody reads goes right after its own step
                for ref, _ in _py_refs(self.rows[n].expr):
                    if ref in self.rows:
                        last[ref] = i
        drop: list[list[str]] = [[] for _ in plan]
        for n, i in last.items():
            if n not in targets:
                drop[i].append(n)
        return drop

    def needed(self, targets) -> set[str]:
        """The rows the evaluation of ``targets`` reads, themselves included (not IRR guesses: :func:`_py_refs`)."""
        need, todo = set(), list(targets)
        while todo:
            n = todo.pop()
            if n in need or n not in self.rows:
                continue
            need.add(n)
            todo.extend(ref for ref, _ in _py_refs(self.rows[n].expr))
        return need

    def evaluate(self, overrides: dict | None = None, paths: int | None = None, targets=None) -> dict[str, np.ndarray]:
        """Evaluate every row for every path.

        ``overrides`` replaces input values: arrays with a leading paths dimension ((paths, 1) or (paths,)
        for scalars, (paths, periods) for series, (paths, n) for tables). Returns name -> array for every
        input and row: rows (paths, periods), scalars (paths, 1), tables (paths, n). ``targets`` (names of
        rows) restricts the evaluation to what they need; the result then holds only those rows.
        """
        targets = frozenset(targets) if targets is not None else None
        ext = {k: v.value for k, v in self.inputs.items()}
        for k, v in (overrides or {}).items():
            if k not in self.inputs:
                raise FinmodelError(f"override of unknown input {k!r}")
            a = np.asarray(v, dtype=float)
            ext[k] = a.reshape(-1, 1) if self.inputs[k].kind == "scalar" else a.reshape(-1, a.shape[-1])
        P = paths or max(v.shape[0] for v in ext.values())
        T = self.periods
        # internal layout is time-major: rows (T, P), scalars (P,), tables (n, P): one period is contiguous
        V = {}
        for k, a in ext.items():
            V[k] = a[:, 0] if self.inputs[k].kind == "scalar" else np.ascontiguousarray(a.T)
        with np.errstate(all="ignore"):
            if P == 1:
                try:
                    self.compiled(True, targets)(V, P, T)
                except ZeroDivisionError:  # Python floats raise where numpy gives inf/nan: use numpy
                    self.compiled(False, targets)(V, P, T)
            else:
                self.compiled(False, targets)(V, P, T)
        out = {}
        for k, a in V.items():
            if a.ndim == 1:
                out[k] = np.broadcast_to(a.reshape(-1, 1), (P, 1)) if a.shape[0] != P else a.reshape(-1, 1)
            else:
                out[k] = a.T if a.shape[1] == P else np.broadcast_to(a.T, (P, a.shape[0]))
        return out


def _py_refs(expr):
    """The references the Python evaluation of ``expr`` reads: ``refs()`` without an IRR's ``guess``, which only a
    spreadsheet's IRR uses (:class:`Agg`)."""
    if isinstance(expr, Agg):
        yield expr.name, WHOLE
        if expr.rate is not None:
            yield from _py_refs(expr.rate)
    elif type(expr).refs is Expr.refs:
        for child in expr.children():
            yield from _py_refs(child)
    else:
        yield from expr.refs()


def _walk(expr):
    yield expr
    for c in expr.children():
        yield from _walk(c)


def _resolve_scalars(model: Model) -> None:
    """Tell every Ref whether its name is a scalar (an input cell or a named result) or a row."""
    memo: dict[str, bool] = {}

    def is_scalar(name, seen=()):
        if name in model.inputs:
            return model.inputs[name].kind == "scalar"
        if name not in model.rows:
            raise FinmodelError(f"unknown name {name!r}")
        if name not in memo:
            if name in seen:
                return False  # part of a time loop: a row
            row = model.rows[name]
            for e in _walk(row.expr):
                if isinstance(e, Ref):
                    e._scalar = is_scalar(e.name, seen + (name,))
            memo[name] = row.scalar
        return memo[name]

    for name in model.rows:
        is_scalar(name)


def _make_plan(model: Model):
    _resolve_scalars(model)
    rows = model.rows
    deps: dict[str, list[tuple[str, str]]] = {}
    for name, row in rows.items():
        ds = []
        for ref, kind in row.expr.refs():
            if ref in model.inputs:
                continue
            if ref not in rows:
                raise FinmodelError(f"row {name!r} refers to unknown name {ref!r}")
            ds.append((ref, kind))
        deps[name] = ds

    # Tarjan's strongly connected components over all dependency edges (emits dependencies first)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    comps: list[list[str]] = []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w, _ in deps[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            comps.append(comp)

    import sys

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 10 * len(rows) + 100))
    try:
        for v in rows:
            if v not in index:
                strong(v)
    finally:
        sys.setrecursionlimit(old)

    order = {n: i for i, n in enumerate(rows)}
    plan = []
    for comp in comps:
        members = set(comp)
        cyclic = len(comp) > 1 or any(d == comp[0] for d, _ in deps[comp[0]])
        if not cyclic:
            if any(k == NOW and d == comp[0] for d, k in deps[comp[0]]):
                raise FinmodelError(f"row {comp[0]!r} refers to itself in the same period")
            plan.append(("whole", comp))
            continue
        # inside a loop block: only same-period and previous-period references among members
        for n in comp:
            if rows[n].scalar:
                raise FinmodelError(f"scalar {n!r} is part of a period-by-period block {sorted(members)}")
            for d, k in deps[n]:
                if d in members and k == WHOLE:
                    raise FinmodelError(f"row {n!r} needs the whole of row {d!r} inside one block")
        # same-period order by topological sort (stable by definition order)
        indeg = {n: 0 for n in comp}
        users: dict[str, list[str]] = {n: [] for n in comp}
        for n in comp:
            for d, k in set(deps[n]):
                if d in members and k == NOW:
                    indeg[n] += 1
                    users[d].append(n)
        ready = sorted([n for n in comp if indeg[n] == 0], key=order.get)
        seq = []
        while ready:
            n = ready.pop(0)
            seq.append(n)
            for u in users[n]:
                indeg[u] -= 1
                if indeg[u] == 0:
                    ready.append(u)
                    ready.sort(key=order.get)
        if len(seq) != len(comp):
            stuck = sorted(set(comp) - set(seq), key=order.get)
            raise FinmodelError(f"circular reference within a period among rows {stuck}")
        plan.append(("loop", seq))
    return plan
