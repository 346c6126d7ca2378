"""Row expressions: every calculation is defined once and rendered twice (the model that holds them is
:mod:`finmodel.rows.model`, their Excel addresses :mod:`finmodel.rows.excel`).

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
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from finmodel.conventions import NAME_PATTERN, check_name  # noqa: F401 (NAME_PATTERN re-exported)

if TYPE_CHECKING:
    from finmodel.rows.excel import FormulaWriter

# Dependency kinds: "now" = same period, "prev" = an earlier period, "whole" = the complete row.
NOW, PREV, WHOLE = "now", "prev", "whole"

# NAME_PATTERN, check_name: every input and row name is a strict identifier, checked here where it is created
# and again by finmodel.rows.code before compiling (finmodel.conventions states the rule).


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
        """The Python (numpy) source of this node for the evaluation mode of ``g`` (a
        :class:`finmodel.rows.code.Gen`)."""

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
    (0.1 by default) and fails on long series far from it; see :func:`finmodel.model.returns.irr_guess`.
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
