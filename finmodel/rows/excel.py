"""Excel addresses of every name of a model, for :meth:`finmodel.rows.expressions.Expr.xl`."""

from __future__ import annotations

from finmodel.errors import FinmodelError


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
