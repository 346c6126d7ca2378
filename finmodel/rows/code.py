"""Python rendering of the row expressions: the evaluation plan compiled to one function.

:class:`finmodel.rows.Model` evaluates by generating Python source from its rows once (``Expr.py``) and
running it. Layout inside the generated function is time-major: rows ``(T, P)``, scalars ``(P,)``, tables
``(n, P)``, so the period-by-period blocks read and write contiguous memory.

Three modes render a node:

``whole``  a row at once, numpy over ``(T, P)``;
``vec``    one period inside a block, numpy over ``(P,)``;
``scal``   one period inside a block when there is a single path: plain Python floats, about twenty times
           faster than numpy on one-element arrays (used for deterministic runs and the solver).

The formulas are those of ``Expr.xl``; numpy semantics apply (``IF`` evaluates both branches in ``whole``
and ``vec`` modes, so errors are silenced and the unused branch discarded).
"""

from __future__ import annotations

import math

import numpy as np

from finmodel.conventions import check_name, edate_serials
from finmodel.errors import FinmodelError

_AGG_FUNCS = frozenset({"SUM", "MIN", "MAX", "AVERAGE", "IRR", "NPV", "PRODUCT", "LAST"})
_SHIFT_FUNCS = frozenset({"_lead", "_leadsum", "_sumfrom"})

_NAN = float("nan")


class Gen:
    """Source snippets for one mode; collects the prelude a period block needs before its loop."""

    def __init__(self, mode: str, block: frozenset = frozenset()):
        self.mode = mode
        self.block = block
        self.pre: dict[str, tuple[str, str]] = {}  # variable -> (key, source), computed before the loop

    def whole(self) -> Gen:
        return Gen("whole")

    def _var(self, key: str, src: str) -> str:
        """A prelude variable holding ``src`` (one per distinct ``key``)."""
        for var, (k, _) in self.pre.items():
            if k == key:
                return var
        var = f"_p{len(self.pre)}"
        self.pre[var] = (key, src)
        return var

    def _rowvar(self, name: str, src: str) -> str:
        """A whole row ``src`` indexed at period t (vec) or as a list (scal)."""
        if self.mode == "scal":
            return self._var(src, f"{src}[:, 0].tolist()") + "[t]"
        return self._var(src, src) + "[t]"

    def _scalarvar(self, key: str, src: str) -> str:
        """A per-path scalar ``src`` (shape (P,) or (1,))."""
        if self.mode == "scal":
            return self._var(key, f"float({src}[0])")
        return self._var(key, src)

    # --- references -------------------------------------------------------------------------------------
    def ref(self, name: str, scalar: bool) -> str:
        check_name(name)
        if self.mode == "whole":
            return f"V[{name!r}]"
        if name in self.block:
            return f"v_{name}"
        if scalar:
            return self._scalarvar(f"V[{name!r}]", f"V[{name!r}]")
        return self._rowvar(name, f"V[{name!r}]")

    def prev(self, name: str) -> str:
        check_name(name)
        if self.mode == "whole":
            return f"_prev(V[{name!r}])"
        if name in self.block:
            return f"q_{name}"
        return self._rowvar(name, f"_prev(V[{name!r}])")

    def shifted(self, func: str, name: str, *args) -> str:
        check_name(name)
        if func not in _SHIFT_FUNCS or not all(type(a) is int for a in args):
            raise FinmodelError(f"cannot render {func}{args!r} in generated code")
        src = f"{func}(V[{name!r}]{''.join(', ' + repr(a) for a in args)})"
        if self.mode == "whole":
            return src
        if name in self.block:
            raise FinmodelError(f"{func} of {name!r} inside its own period block")
        return self._rowvar(name, src)

    def agg(self, func: str, name: str, rate: str) -> str:
        check_name(name)
        if func not in _AGG_FUNCS:
            raise FinmodelError(f"unknown aggregation {func!r}")
        src = f"_agg({func!r}, V[{name!r}], {rate})"
        if self.mode == "whole":
            return src
        return self._scalarvar(src, src)

    def index(self, name: str, k: str) -> str:
        """A row's value in period ``k`` (1-based) of each path (:class:`finmodel.rows.Index`)."""
        check_name(name)
        src = f"_index(V[{name!r}], {k})"
        if self.mode == "whole":
            return src
        return self._scalarvar(src, src)

    def lookup(self, table: str, key: str) -> str:
        check_name(table)
        if self.mode == "scal":
            tab = self._var(f"T:{table}", f"V[{table!r}][:, 0].tolist()")
            return f"_lookup_s({tab}, {key})"
        if self.mode == "whole":
            return f"_lookup(V[{table!r}], {key})"
        return f"_lookup({self._var(f'V[{table!r}]', f'V[{table!r}]')}, {key})"

    # --- operators ----------------------------------------------------------------------------------------
    def cmp(self, src: str) -> str:
        """A condition as a number (1.0 / 0.0)."""
        return f"(1.0 if {src} else 0.0)" if self.mode == "scal" else f"_f({src})"

    def truth(self, src: str) -> str:
        """A number as a condition."""
        return f"({src} != 0)"

    def logic(self, name: str, conds: list[str]) -> str:
        """AND / OR / NOT of conditions, as a condition."""
        if self.mode == "scal":
            if name == "NOT":
                return f"(not {conds[0]})"
            return "(" + (" and " if name == "AND" else " or ").join(conds) + ")"
        if name == "NOT":
            return f"np.logical_not({conds[0]})"
        f = "np.logical_and" if name == "AND" else "np.logical_or"
        out = conds[0]
        for c in conds[1:]:
            out = f"{f}({out}, {c})"
        return out

    def can_into(self, op: str) -> bool:
        return self.mode == "vec" and op in _INTO_UFUNCS

    def into(self, op: str, args: list[str], out: str) -> str | None:
        """``op`` of ``args`` written into the array ``out`` (vec mode; None elsewhere or for other ops).

        The same numpy operations as :meth:`func` and the Python operators (``a * b`` on an array is
        ``np.multiply(a, b)``), so the values are the same to the bit; the period's value lands in its row
        without a temporary and a copy."""
        if not self.can_into(op):
            return None
        ufunc = _INTO_UFUNCS[op]
        if op == "NEG":
            return f"np.negative({args[0]}, out={out})"
        if op in ("MIN", "MAX"):
            inner = self.func(op, args[:-1]) if len(args) > 2 else args[0]
            return f"{ufunc}({inner}, {args[-1]}, out={out})"
        return f"{ufunc}({args[0]}, {args[1]}, out={out})"

    def func(self, name: str, args: list[str]) -> str:
        if self.mode == "scal":
            if name == "MIN":
                return f"min({', '.join(args)})"
            if name == "MAX":
                return f"max({', '.join(args)})"
            if name == "IF":
                return f"({args[1]} if {args[0]} else {args[2]})"
            if name == "ABS":
                return f"abs({args[0]})"
            if name == "INT":
                return f"float(_floor({args[0]}))"
            if name == "MOD":
                return f"({args[0]} % {args[1]})"
            if name == "EDATE":
                return f"float(_edate({args[0]}, {args[1]}))"
        else:
            if name in ("MIN", "MAX"):
                f = "np.minimum" if name == "MIN" else "np.maximum"
                out = args[0]
                for a in args[1:]:
                    out = f"{f}({out}, {a})"
                return out
            if name == "IF":
                return f"np.where({args[0]}, {args[1]}, {args[2]})"
            if name == "ABS":
                return f"np.abs({args[0]})"
            if name == "INT":
                return f"np.floor({args[0]})"
            if name == "MOD":
                return f"np.mod({args[0]}, {args[1]})"
            if name == "EDATE":
                return f"_edate({args[0]}, {args[1]})"
        raise FinmodelError(f"unknown function {name}")


_INTO_UFUNCS = {
    "+": "np.add",
    "-": "np.subtract",
    "*": "np.multiply",
    "/": "np.true_divide",
    "NEG": "np.negative",
    "MIN": "np.minimum",
    "MAX": "np.maximum",
}
"""Operations that write a period block's value straight into its row (:meth:`Gen.into`); not ``^`` (Python's
``**`` on two floats differs from numpy's power for a negative base)."""


def compile_plan(model, plan, scalar_mode: bool, drop=None):
    """Python source for the whole plan, compiled; returns ``f(V, P, T)`` that fills ``V`` in place.

    ``drop`` (optional, one list per step of ``plan``): rows removed from ``V`` after that step (rows no later
    step reads and nobody asked for), so that their memory is freed as the evaluation goes. Each period block
    is a function of its own, so its working arrays are freed when it returns. A block's row that is dropped
    right after its block is never stored whole (:func:`_block_source`)."""
    lines = ["def _run(V, P, T):"]
    blocks: list[str] = []
    for i, (kind, names) in enumerate(plan):
        internal: frozenset = frozenset()
        if kind == "whole":
            (name,) = names
            row = model.rows[name]
            src = row.expr.py(Gen("whole"))
            fn = "_bc_scalar" if row.scalar else "_bc_row"
            lines.append(f"    V[{check_name(name)!r}] = {fn}({src}, T)")
        else:
            k = sum(1 for line in blocks if line.startswith("def "))
            internal = frozenset(drop[i]).intersection(names) if drop else frozenset()
            lines.append(f"    _block{k}(V, P, T)")
            src, internal = _block_source(model, names, scalar_mode, k, internal)
            blocks.extend(src)
        for n in drop[i] if drop else ():
            if n not in internal:
                lines.append(f"    del V[{check_name(n)!r}]")
    src = "\n".join(blocks + lines) + "\n"
    ns = dict(_RUNTIME)
    try:
        exec(compile(src, f"<finmodel rows {'scalar' if scalar_mode else 'vector'}>", "exec"), ns)
    except SyntaxError as exc:  # pragma: no cover - a bug in a node's rendering
        raise FinmodelError(f"generated evaluation code does not compile: {exc}") from exc
    fn = ns["_run"]
    fn.source = src
    return fn


def _block_source(model, names, scalar_mode: bool, k: int, internal: frozenset) -> tuple[list[str], frozenset]:
    """Source lines of the function ``_block<k>(V, P, T)`` evaluating one period block period by period, and
    the rows it does not put in ``V``.

    ``internal``: rows of the block that nothing after it reads (and nobody asked for). In vector mode such
    a row is kept in two ``(paths,)`` buffers, this period's and the last one's, used in turn, instead of a
    whole ``(periods, paths)`` array: the same operations on the same values, but a period's work stays in
    the processor's cache (in the Monte Carlo's debt and cash block, 67 of its 83 rows)."""
    lines = [f"def _block{k}(V, P, T):"]
    mode = "scal" if scalar_mode else "vec"
    g = Gen(mode, frozenset(check_name(n) for n in names))
    two = frozenset() if scalar_mode else internal - _aliased(model, names, Gen(mode, g.block))
    body, copied = [], []
    for n in names:
        into = None if scalar_mode else model.rows[n].expr.py_into(g, f"w_{n}")
        if into is not None:
            body.append(f"        w_{n} = {f'(a_{n} if t & 1 else b_{n})' if n in two else f'o_{n}[t]'}")
        body.append(f"        v_{n} = {into or model.rows[n].expr.py(g)}")
        if into is None and n not in two:
            copied.append(n)
    for var, (_, src) in g.pre.items():
        lines.append(f"    {var} = {src}")
    if not scalar_mode:  # a block whose inputs are the same on every path is computed once, not P times
        lines.append(f"    _pw = _width({', '.join(g.pre) or '1.0'})")
    for n in names:
        if scalar_mode:
            lines.append(f"    o_{n} = [0.0] * T")
        elif n in two:
            lines.append(f"    a_{n} = np.empty(_pw)")
            lines.append(f"    b_{n} = np.empty(_pw)")
        else:
            lines.append(f"    o_{n} = np.empty((T, _pw))")
        lines.append(f"    q_{n} = 0.0")
    lines.append("    for t in range(T):")
    lines.extend(body)
    for n in copied:
        lines.append(f"        o_{n}[t] = v_{n}")
    for n in names:
        lines.append(f"        q_{n} = v_{n}")
    for n in names:
        if scalar_mode:
            lines.append(f"    V[{n!r}] = np.array(o_{n}).reshape(T, 1)")
        elif n not in two:
            lines.append(f"    V[{n!r}] = o_{n}")
    return lines, two


def _aliased(model, names, g: Gen) -> frozenset:
    """Rows of a block that another row's value is the same array as (``x = prev(y)`` renders ``v_x =
    q_y``): their period values must stay where they are, so they are not kept in two buffers. ``g``: a
    scratch generator of the block's mode (rendering registers prelude variables)."""
    out = set()
    for n in names:
        src = model.rows[n].expr.py(g).strip("()")
        if src[:2] in ("v_", "q_") and src[2:] in names:
            out.add(src[2:])
    return frozenset(out)


# --- runtime helpers used by the generated code ------------------------------------------------------------


def _f(x):
    return np.asarray(x, dtype=float)


def _bc_row(x, T):
    """A row's value as (T, p): p = P where it varies by path, 1 where it does not (broadcast later, lazily)."""
    a = np.asarray(x, dtype=float)
    shape = (T, a.shape[-1] if a.ndim else 1)
    return a if a.shape == shape else np.array(np.broadcast_to(a, shape))


def _bc_scalar(x, T):
    """A scalar's value as (p,): p = P where it varies by path, else 1."""
    a = np.asarray(x, dtype=float)
    return a.reshape(1) if a.ndim == 0 else a.reshape(-1)


def _width(*arrays) -> int:
    """Number of paths a period block must be computed for: 1 unless an input varies by path."""
    return max((a.shape[-1] for a in arrays if isinstance(a, np.ndarray) and a.ndim), default=1)


def _prev(a):
    out = np.zeros_like(a)
    out[1:] = a[:-1]
    return out


def _lead(a, k):
    out = np.zeros_like(a)
    if k < a.shape[0]:
        out[: a.shape[0] - k] = a[k:]
    return out


def _leadsum(a, n):
    T = a.shape[0]
    c = np.concatenate([np.zeros((1,) + a.shape[1:]), np.cumsum(a, axis=0)], axis=0)  # c[j] = sum a[:j]
    idx = np.arange(T)
    return c[np.minimum(idx + 1 + n, T)] - c[np.minimum(idx + 1, T)]


def _sumfrom(a):
    return np.flip(np.cumsum(np.flip(a, axis=0), axis=0), axis=0)


def _nan_agg(f, a):
    ok = ~np.all(np.isnan(a), axis=0)
    out = np.full(a.shape[1], np.nan)
    if ok.any():
        out[ok] = f(a[:, ok], axis=0)
    return out


def _agg(func, a, rate=None):
    """Aggregate a time-major row over periods -> (P,)."""
    from finmodel import finance

    if func == "SUM":
        return np.nansum(a, axis=0)
    if func == "PRODUCT":  # rows multiplied hold no blanks (finmodel.rows.Agg)
        return np.prod(a, axis=0)
    if func == "LAST":
        return a[-1].copy()
    if func == "MIN":
        return _nan_agg(np.nanmin, a)
    if func == "MAX":
        return _nan_agg(np.nanmax, a)
    if func == "AVERAGE":
        return _nan_agg(np.nanmean, a)
    if func == "IRR":
        return np.asarray(finance.irr(a.T), dtype=float).reshape(-1)
    if func == "NPV":
        r = np.asarray(rate, dtype=float).reshape(-1)
        p = max(a.shape[1], r.shape[0])  # a row or a rate may be the same on every path (width 1)
        a, r = np.broadcast_to(a, (a.shape[0], p)), np.broadcast_to(r, (p,))
        return np.asarray(finance.npv(r, a.T), dtype=float).reshape(-1)
    raise FinmodelError(f"unknown aggregation {func}")


def _index(a, k):
    """``a[k - 1]`` per path of a time-major row ``a`` (T, P or 1), ``k`` (P,) or (1,) clipped to 1..T -> (P,)."""
    k = np.asarray(k, dtype=float).reshape(-1)
    p = max(a.shape[1], k.shape[0])
    i = np.broadcast_to(np.clip(np.nan_to_num(k) - 1.0, 0, a.shape[0] - 1).astype(np.intp), (p,))
    return a[i, np.arange(p) if a.shape[1] == p else np.zeros(p, dtype=np.intp)]


def _lookup(tab, key):
    """Table (n, P) looked up at 1-based keys of any shape ending in P (or scalar); 0 off the table."""
    n, Pt = tab.shape
    k = np.asarray(key, dtype=float)
    ki = np.rint(k).astype(np.int64)
    ok = (ki >= 1) & (ki <= n) & (ki == k)
    idx = np.clip(ki - 1, 0, n - 1)
    if k.ndim == 0:
        return np.where(ok, tab[idx], 0.0)
    Pk = k.shape[-1]
    P = max(Pk, Pt)
    idx_b = np.broadcast_to(idx, k.shape[:-1] + (P,))
    cols = np.arange(P) if Pt > 1 else np.zeros(P, dtype=np.int64)
    return np.where(np.broadcast_to(ok, idx_b.shape), tab[idx_b, cols], 0.0)


def _lookup_s(tab, key):
    i = int(round(key))
    return tab[i - 1] if (i == key and 1 <= i <= len(tab)) else 0.0


_edate = edate_serials  # Excel EDATE on date serials (finmodel.conventions)


_RUNTIME = {
    "np": np,
    "_NAN": _NAN,
    "_f": _f,
    "_bc_row": _bc_row,
    "_bc_scalar": _bc_scalar,
    "_width": _width,
    "_prev": _prev,
    "_lead": _lead,
    "_leadsum": _leadsum,
    "_sumfrom": _sumfrom,
    "_agg": _agg,
    "_index": _index,
    "_lookup": _lookup,
    "_lookup_s": _lookup_s,
    "_edate": _edate,
    "_floor": math.floor,
}
