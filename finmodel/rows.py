"""Row expressions: every calculation is defined once and rendered twice.

A calculation row (revenue, interest, DSRA balance ...) is an :class:`Expr` tree. The same tree

* evaluates with numpy over arrays shaped ``(paths, periods)`` (:meth:`Expr.ev`), and
* renders as the Excel formula of one period's cell (:meth:`Expr.xl`).

Two kinds of value exist: *period* values (one per period: a row) and *scalar* values (one per path: an
input cell or a named result such as ``equity_irr``). Scalars are stored as ``(paths, 1)`` so that they
broadcast against rows.

Time references
---------------
``Prev(name)``
    the value of a row in the previous period; ``0`` in the first period (the workbook keeps the column
    before the first period empty, so the same formula works in every column).
``Lead(name, k)`` / ``LeadSum(name, n)``
    values of a row ``k`` periods ahead / the sum of the next ``n`` periods; ``0`` beyond the last period.
``SumFrom(name)``
    the sum of a row from this period to the last one.

Rows that refer to each other through ``Prev`` (corkscrews: balances, reserves, the waterfall) are
evaluated one period at a time, vectorised over paths; every other row is evaluated whole, at once.
:class:`Model` finds these blocks itself (strongly connected components of the dependency graph) and
refuses genuine circularities (a row that needs its own value of the same period).
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Iterable, Iterator

import numpy as np

from finmodel.conventions import NAME_PATTERN, check_name  # noqa: F401 (NAME_PATTERN re-exported)
from finmodel.errors import FinmodelError

# Dependency kinds: "now" = same period, "prev" = an earlier period, "whole" = the complete row.
NOW, PREV, WHOLE = "now", "prev", "whole"

# NAME_PATTERN, check_name: every input and row name is a strict identifier, checked here where it is created
# and again by finmodel.rowcode before compiling (finmodel.conventions states the rule).


def _num(v) -> str:
    """Render a numeric literal for a formula (only small structural constants such as 0, 1, 12 appear)."""
    if float(v).is_integer():
        return str(int(v))
    return repr(float(v))


class Expr(abc.ABC):
    """Base of every expression node. Subclasses define ``ev``, ``xl``, ``refs`` and ``scalar``."""

    prec = 100  # rendering precedence: higher binds tighter

    @property
    def scalar(self) -> bool:
        """True if the value has no period dimension (derived from the children)."""
        return all(c.scalar for c in self.children())

    # --- evaluation and rendering -------------------------------------------------------------------

    @abc.abstractmethod
    def xl(self, w: FormulaWriter, col: int | None) -> str:
        """The Excel formula text of this node for period column ``col`` (None: a scalar cell)."""

    #: True when the spreadsheet value is a logical (TRUE/FALSE): a comparison, AND, OR, NOT, or an IF one of
    #: whose branches is one (see :func:`cell_formula`)
    logical = False

    def cell_formula(self, w: FormulaWriter, col: int | None) -> str:
        """The formula of a cell holding this node, ``=`` included: ``=IF(<logical>,1,0)`` when the node is a
        logical, so the cell holds the number 1/0 the engine computes. In Excel a logical is not a number
        where it matters: ``SUM``, ``MAX``, ``MIN`` and ``AVERAGE`` over a range skip TRUE/FALSE cells and
        ``TRUE=1`` is FALSE (LibreOffice, whose logicals are numbers, hides the difference; the ``formulas``
        engine, following Excel, shows it)."""
        f = self.xl(w, col)
        return f"=IF({f},1,0)" if self.logical else f"={f}"

    @abc.abstractmethod
    def py(self, g) -> str:
        """The Python (numpy) source of this node for the evaluation mode of ``g`` (a :class:`finmodel.rowcode.Gen`)."""

    def py_cond(self, g) -> str:
        """Python source of this node used as a condition (a boolean, no conversion to 1.0/0.0)."""
        return g.truth(self.py(g))

    def py_into(self, g, out: str) -> str | None:
        """Python source computing this node into the array ``out`` (numpy ``out=``), or None where the node's
        outermost operation cannot write into an array (the caller then copies the value)."""
        return None

    def refs(self) -> Iterator[tuple[str, str]]:
        for child in self.children():
            yield from child.refs()

    def children(self) -> Iterable[Expr]:
        return ()

    def wrap(self, w, col, prec) -> str:
        s = self.xl(w, col)
        return f"({s})" if self.prec < prec else s

    # --- operators ----------------------------------------------------------------------------------
    def __add__(self, o):
        return Bin("+", self, lift(o))

    def __radd__(self, o):
        return Bin("+", lift(o), self)

    def __sub__(self, o):
        return Bin("-", self, lift(o))

    def __rsub__(self, o):
        return Bin("-", lift(o), self)

    def __mul__(self, o):
        return Bin("*", self, lift(o))

    def __rmul__(self, o):
        return Bin("*", lift(o), self)

    def __truediv__(self, o):
        return Bin("/", self, lift(o))

    def __rtruediv__(self, o):
        return Bin("/", lift(o), self)

    def __pow__(self, o):
        return Bin("^", self, lift(o))

    def __neg__(self):
        return Neg(self)

    def __lt__(self, o):
        return Cmp("<", self, lift(o))

    def __le__(self, o):
        return Cmp("<=", self, lift(o))

    def __gt__(self, o):
        return Cmp(">", self, lift(o))

    def __ge__(self, o):
        return Cmp(">=", self, lift(o))

    def eq(self, o):
        return Cmp("=", self, lift(o))

    def ne(self, o):
        return Cmp("<>", self, lift(o))

    __hash__ = object.__hash__


def lift(v) -> Expr:
    """Numbers become :class:`Const`; expressions pass through."""
    if isinstance(v, Expr):
        return v
    if isinstance(v, (int, float, np.integer, np.floating)):
        return Const(float(v))
    raise TypeError(f"cannot use {v!r} in a row expression")


class Const(Expr):
    """A structural constant (0, 1, 12, 100 ...). Domain numbers are inputs, never constants."""

    def __init__(self, value: float, scalar: bool = True):
        self.value = float(value)
        self._scalar = scalar

    @property
    def scalar(self):
        return self._scalar

    def py(self, g):
        return repr(self.value)

    def xl(self, w, col):
        return _num(self.value)


class Ref(Expr):
    """The value of a row (same period) or of a scalar (input or named result)."""

    def __init__(self, name: str, scalar: bool = False):
        self.name = name
        self._scalar = scalar  # resolved by Model.plan() from what ``name`` is

    @property
    def scalar(self):
        return self._scalar

    def refs(self):
        yield self.name, NOW

    def py(self, g):
        return g.ref(self.name, self.scalar)

    def xl(self, w, col):
        return w.ref(self.name, None if self.scalar else col)


class Prev(Expr):
    """The previous period's value of a row; 0 in the first period."""

    scalar = False

    def __init__(self, name: str):
        self.name = name

    def refs(self):
        yield self.name, PREV

    def py(self, g):
        return g.prev(self.name)

    def xl(self, w, col):
        return w.ref(self.name, col - 1)


class Lead(Expr):
    """A row's value ``k`` periods ahead; 0 beyond the last period. The row must be complete."""

    scalar = False

    def __init__(self, name: str, k: int = 1):
        self.name, self.k = name, int(k)

    def refs(self):
        yield self.name, WHOLE

    def py(self, g):
        return g.shifted("_lead", self.name, self.k)

    def xl(self, w, col):
        return w.ref(self.name, col + self.k)


class LeadSum(Expr):
    """Sum of a row over the next ``n`` periods (not this one); 0 beyond the last period."""

    scalar = False

    def __init__(self, name: str, n: int):
        if n < 1:
            raise ValueError("LeadSum needs n >= 1")
        self.name, self.n = name, int(n)

    def refs(self):
        yield self.name, WHOLE

    def py(self, g):
        return g.shifted("_leadsum", self.name, self.n)

    def xl(self, w, col):
        if self.n == 1:
            return w.ref(self.name, col + 1)
        return f"SUM({w.ref(self.name, col + 1)}:{w.ref(self.name, col + self.n, sheet=False)})"


class SumFrom(Expr):
    """Sum of a row from this period to the last period."""

    scalar = False

    def __init__(self, name: str):
        self.name = name

    def refs(self):
        yield self.name, WHOLE

    def py(self, g):
        return g.shifted("_sumfrom", self.name)

    def xl(self, w, col):
        return f"SUM({w.ref(self.name, col)}:{w.ref(self.name, w.last_col, sheet=False, abs_col=True)})"


_PREC = {"=": 10, "<>": 10, "<": 10, "<=": 10, ">": 10, ">=": 10, "+": 20, "-": 20, "*": 30, "/": 30, "^": 40}


class Bin(Expr):
    """Binary arithmetic: + - * / ^."""

    def __init__(self, op: str, a: Expr, b: Expr):
        self.op, self.a, self.b = op, a, b
        self.prec = _PREC[op]

    def children(self):
        return (self.a, self.b)

    def py(self, g):
        op = "**" if self.op == "^" else self.op
        return f"({self.a.py(g)} {op} {self.b.py(g)})"

    def py_into(self, g, out):
        if not g.can_into(self.op):
            return None
        return g.into(self.op, _operands_into(g, (self.a, self.b), out), out)

    def xl(self, w, col):
        # x+0, x-0 and 0+x render as x (a facility without a sweep, an empty list of contributions): the same
        # value, without a literal zero an analyst would read as a hard-coded number
        if self.op in "+-" and _is_zero(self.b):
            return self.a.wrap(w, col, self.prec)
        if self.op == "+" and _is_zero(self.a):
            return self.b.wrap(w, col, self.prec)
        # left-associative: the right operand of - and / needs brackets at equal precedence
        right_prec = self.prec + 1 if self.op in "-/^" else self.prec
        return f"{self.a.wrap(w, col, self.prec)}{self.op}{self.b.wrap(w, col, right_prec)}"


def _operands_into(g, operands, out: str) -> list[str]:
    """Sources of an operation's operands, the first one that can be computed into ``out`` written there too
    (one only: the operation then reads it from ``out`` and overwrites it with its own value)."""
    srcs, used = [], False
    for e in operands:
        src = None if used else e.py_into(g, out)
        used = used or src is not None
        srcs.append(src or e.py(g))
    return srcs


def _is_zero(e) -> bool:
    return isinstance(e, Const) and e.value == 0.0


class Cmp(Bin):
    """Comparison; evaluates to 1.0 / 0.0 (Excel TRUE/FALSE, which multiply as 1/0)."""

    logical = True

    def py(self, g):
        return g.cmp(self.py_cond(g))

    def py_cond(self, g):
        op = {"=": "==", "<>": "!="}.get(self.op, self.op)
        return f"({self.a.py(g)} {op} {self.b.py(g)})"

    def xl(self, w, col):
        return f"{self.a.wrap(w, col, 20)}{self.op}{self.b.wrap(w, col, 20)}"


class Neg(Expr):
    prec = 35

    def __init__(self, a: Expr):
        self.a = a

    def children(self):
        return (self.a,)

    def py(self, g):
        return f"(-{self.a.py(g)})"

    def py_into(self, g, out):
        if not g.can_into("NEG"):
            return None
        return g.into("NEG", _operands_into(g, (self.a,), out), out)

    def xl(self, w, col):
        return f"-{self.a.wrap(w, col, self.prec + 1)}"


class Func(Expr):
    """Element-wise functions: MIN, MAX, IF, AND, OR, NOT, ABS."""

    def __init__(self, name: str, *args):
        self.name = name
        self.args = [lift(a) for a in args]

    def children(self):
        return self.args

    @property
    def logical(self) -> bool:
        if self.name == "IF":
            return self.args[1].logical or self.args[2].logical
        return self.name in ("AND", "OR", "NOT")

    def py(self, g):
        if self.name in ("AND", "OR", "NOT"):
            return g.cmp(self.py_cond(g))
        if self.name == "IF":
            return g.func("IF", [self.args[0].py_cond(g), self.args[1].py(g), self.args[2].py(g)])
        return g.func(self.name, [a.py(g) for a in self.args])

    def py_into(self, g, out):
        if self.name not in ("MIN", "MAX") or not g.can_into(self.name):
            return None
        return g.into(self.name, _operands_into(g, self.args, out), out)

    def py_cond(self, g):
        if self.name in ("AND", "OR", "NOT"):
            return g.logic(self.name, [a.py_cond(g) for a in self.args])
        return super().py_cond(g)

    def xl(self, w, col):
        return f"{self.name}({','.join(a.xl(w, col) for a in self.args)})"


def Min(*a):  # noqa: N802 - reads like the spreadsheet function
    return Func("MIN", *a)


def Max(*a):  # noqa: N802
    return Func("MAX", *a)


def If(c, a, b):  # noqa: N802
    return Func("IF", c, a, b)


def And(*a):  # noqa: N802
    return Func("AND", *a)


def Or(*a):  # noqa: N802
    return Func("OR", *a)


def Not(a):  # noqa: N802
    return Func("NOT", a)


def Int(a):  # noqa: N802
    return Func("INT", a)


def Mod(a, b):  # noqa: N802
    return Func("MOD", a, b)


def Edate(a, b):  # noqa: N802
    return Func("EDATE", a, b)


def Sum(items) -> Expr:  # noqa: N802
    """Sum of row expressions; an empty list gives a row of zeros."""
    items = list(items)
    if not items:
        return Const(0.0, scalar=False)
    out = items[0]
    for x in items[1:]:
        out = out + x
    return out


def Pos(a):  # noqa: N802
    """max(a, 0)."""
    return Max(a, 0)


class Blank(Expr):
    """An empty result (NaN in numpy, "" in the workbook): e.g. DSCR where no debt service falls due.
    Aggregations (MIN, AVERAGE) skip it in both renderings."""

    scalar = True

    def py(self, g):
        return "_NAN"

    def xl(self, w, col):
        return '""'


class Index(Expr):
    """A row's value in period ``k`` (1-based; ``k`` a scalar per path): Excel ``INDEX(row range, k)``.

    ``k`` outside 1..periods gives the nearest end in numpy (a spreadsheet gives an error): guard it with
    :func:`If`, whose untaken branch a spreadsheet never evaluates."""

    scalar = True

    def __init__(self, name: str, k):
        self.name, self.k = name, lift(k)

    def children(self):
        return (self.k,)

    def refs(self):
        yield self.name, WHOLE
        yield from self.k.refs()

    def py(self, g):
        return g.index(self.name, self.k.py(g.whole()))

    def xl(self, w, col):
        return f"INDEX({w.row_range(self.name)},{self.k.xl(w, None)})"


class Lookup(Expr):
    """Value of a by-year input table at the key (1-based); 0 where the key is outside the table.

    Excel: ``SUMIF(keys, key, values)``.
    """

    def __init__(self, table: str, key: Expr):
        self.table, self.key = table, key

    def children(self):
        return (self.key,)

    def refs(self):
        yield self.table, NOW
        yield from self.key.refs()

    def py(self, g):
        return g.lookup(self.table, self.key.py(g))

    def xl(self, w, col):
        keys, values = w.table_ranges(self.table)
        return f"SUMIF({keys},{self.key.xl(w, col)},{values})"


# --- scalar aggregations over a whole row ---------------------------------------------------------------


class Agg(Expr):
    """A scalar computed from a whole row: SUM, MIN, MAX, AVERAGE (skipping blanks), IRR, NPV, PRODUCT (of a row
    without blanks), LAST (the value in the last period: in the workbook, a reference to that cell).

    ``rate`` is NPV's discount rate. ``guess`` is the starting point of a spreadsheet's IRR (``IRR(range,
    guess)``): the engine's IRR brackets its root and needs none, but a spreadsheet runs Newton from the guess
    (0.1 by default) and fails on long series far from it; see :func:`finmodel.returns.irr_guess`.
    """

    scalar = True

    def __init__(self, func: str, name: str, rate: Expr | None = None, guess: Expr | None = None):
        self.func, self.name, self.rate, self.guess = func, name, rate, guess

    def children(self):
        return tuple(e for e in (self.rate, self.guess) if e is not None)

    def refs(self):
        yield self.name, WHOLE
        for e in self.children():
            yield from e.refs()

    def py(self, g):
        rate = self.rate.py(g.whole()) if self.rate is not None else "None"
        return g.agg(self.func, self.name, rate)

    def xl(self, w, col):
        rng = w.row_range(self.name)
        if self.func == "NPV":
            return f"NPV({self.rate.xl(w, None)},{rng})"
        if self.func == "IRR" and self.guess is not None:
            return f"IRR({rng},{self.guess.xl(w, None)})"
        if self.func == "LAST":
            return w.ref(self.name, w.last_col, abs_col=True)
        return f"{self.func}({rng})"


def Total(name):  # noqa: N802
    return Agg("SUM", name)


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
        """The generated evaluation function (see :mod:`finmodel.rowcode`), built once per model, mode and
        set of targets (None: every row)."""
        from finmodel.rowcode import compile_plan

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


class FormulaWriter:
    """Addresses of every name in the workbook, for :meth:`Expr.xl`. Filled by the workbook writer."""

    def __init__(self, first_col: int, periods: int):
        self.first_col = first_col  # 1-based Excel column of period 0
        self.periods = periods
        self.last_col = periods - 1
        self.cells: dict[str, tuple[str, int]] = {}  # row name -> (sheet, excel row)
        self.names: dict[str, str] = {}  # scalar name -> defined name
        self.tables: dict[str, tuple[str, str]] = {}  # table -> (keys range, values range)
        self.current_sheet = ""

    @staticmethod
    def col_letter(c: int) -> str:
        s = ""
        while c:
            c, r = divmod(c - 1, 26)
            s = chr(65 + r) + s
        return s

    def ref(self, name, col, sheet=True, abs_col=False):
        if col is None:
            if name in self.names:
                return self.names[name]
            raise FinmodelError(f"no defined name for scalar {name!r}")
        sh, r = self.cells[name]
        letter = ("$" if abs_col else "") + self.col_letter(self.first_col + col)
        addr = f"{letter}{r}"
        if sheet and sh != self.current_sheet:
            return f"{_quote(sh)}!{addr}"
        return addr

    def row_range(self, name):
        sh, r = self.cells[name]
        a = self.col_letter(self.first_col)
        b = self.col_letter(self.first_col + self.periods - 1)
        return f"{_quote(sh)}!${a}${r}:${b}${r}"

    def table_ranges(self, name):
        return self.tables[name]


def _quote(sheet: str) -> str:
    return f"'{sheet}'" if not sheet.replace("_", "").isalnum() else sheet
