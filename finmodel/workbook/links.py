"""Every linking cell the writer adds around the model rows, with the value it must show after recalculation.

The model rows (one formula per row) are checked against the engine row by row; the cells around them (Cover,
Cases, the live case selector on Inputs, the Checks status column, every sheet's master check and period
headers, the Annual sheet, the Charts data block) are :class:`~finmodel.workbook.cells.ExtraCell` s listed
here, which :mod:`finmodel.workbook.parity` compares after a recalculation and the writer writes.
"""

from __future__ import annotations

from finmodel.workbook import annual, charts, checks
from finmodel.workbook.cases import cases_cells
from finmodel.workbook.cells import CHARTS, ExtraCell
from finmodel.workbook.cover import cover_cells
from finmodel.workbook.headers import master_cells, period_header_cells
from finmodel.workbook.inputs import live_case_cells
from finmodel.workbook.layout import Layout


def extra_cells(lay: Layout, result) -> list[ExtraCell]:
    """Every linking cell of the workbook of ``result`` (the live case's), in writing order."""
    out = cover_cells(lay, result)
    out += cases_cells(lay, result)
    out += live_case_cells(lay, result)
    out += checks.status_cells(lay, result)
    no_period_headers = (lay.titles.get("Timing"), lay.titles.get("Outputs"), lay.titles.get("Checks"))
    for sh in lay.sheets:
        out += master_cells(sh, result.values)
        if sh not in no_period_headers:
            out += period_header_cells(lay, sh, result.values)
    out += annual.cells(lay, result)
    out += master_cells(CHARTS, result.values)
    out += period_header_cells(lay, CHARTS, result.values)
    out += charts.data_cells(lay, result)
    return out
