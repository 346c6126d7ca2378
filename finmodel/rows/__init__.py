"""The row language: every calculation is an expression defined once and rendered twice, to numpy and to Excel.

* :mod:`~finmodel.rows.expressions`: the expression trees (``Ref``, ``Prev``, ``Sum``, ``If`` ...) and the
  spreadsheet functions that build them;
* :mod:`~finmodel.rows.model`: named inputs and rows, their evaluation order and their evaluation with numpy;
* :mod:`~finmodel.rows.code`: the generated numpy code of a model's evaluation plan;
* :mod:`~finmodel.rows.excel`: the Excel address of every name, for the formulas;
* :mod:`~finmodel.rows.kinds`: what a row is (flow, balance, ratio ...), for roll-ups and the annual sheet;
* :mod:`~finmodel.rows.totals`: the shared totals that several sheets contribute lines to.

Nothing here imports the project model, its inputs or an output: the language stands on the base alone.
"""

from finmodel.conventions import NAME_PATTERN, check_name
from finmodel.rows.excel import FormulaWriter
from finmodel.rows.expressions import (
    NOW,
    PREV,
    WHOLE,
    Agg,
    And,
    Bin,
    Blank,
    Cmp,
    Const,
    Edate,
    Expr,
    Func,
    If,
    Index,
    Int,
    Lead,
    LeadSum,
    Lookup,
    Max,
    Min,
    Mod,
    Neg,
    Not,
    Or,
    Pos,
    Prev,
    Ref,
    Sum,
    SumFrom,
    Total,
    lift,
)
from finmodel.rows.model import Input, Model, Row

__all__ = [
    "NAME_PATTERN",
    "NOW",
    "PREV",
    "WHOLE",
    "Agg",
    "And",
    "Bin",
    "Blank",
    "Cmp",
    "Const",
    "Edate",
    "Expr",
    "FormulaWriter",
    "Func",
    "If",
    "Index",
    "Input",
    "Int",
    "Lead",
    "LeadSum",
    "Lookup",
    "Max",
    "Min",
    "Mod",
    "Model",
    "Neg",
    "Not",
    "Or",
    "Pos",
    "Prev",
    "Ref",
    "Row",
    "Sum",
    "SumFrom",
    "Total",
    "check_name",
    "lift",
]
