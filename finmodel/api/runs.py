"""The deterministic run (``finmodel run``) and its terminal summary."""

from __future__ import annotations

from pathlib import Path

from finmodel.api.scenarios import ALL_CASES, load
from finmodel.files import check_folder, check_not_inputs, check_output_path
from finmodel.outputs.results import Result


def run(scenario=None, cases=None, *, workbook=None, json_path=None, charts=None) -> Result:
    """Run the cases of a scenario deterministically (financing solved on the base case).

    Parameters
    ----------
    scenario : Scenario, str, Path, Mapping or None
        A scenario from :func:`load`, or anything :func:`load` takes (read once here).
    cases : list of str, optional
        Case names, ``"base"`` included or not (``["all"]``: every case); default ``["base"]``. The first is the
        live case of the workbook. Cases keep the debt as sized on the base case unless the case says
        ``resize_debt: true``.
    workbook, json_path : str or Path, optional
        Also write the live workbook (``.xlsx``) / the JSON output contract (``.json``; ``-``: standard output).
        Both paths are checked before any work, so bad input never leaves a file behind; an output that is the
        scenario file itself is refused.
    charts : str or Path, optional
        Also write the live (first) case's charts as PNG files (matplotlib) into this folder, for credit papers.

    Returns
    -------
    Result
        ``result["downside"].cashflows`` (DataFrame indexed by period-end dates [currency]), ``.annual``,
        ``.metrics`` (Series), ``.checks``; the first case's directly on ``result``; ``.to_excel(path)``,
        ``.to_json(path)``.

    Raises
    ------
    finmodel.errors.InputError
        Bad scenario, unknown case, or a bad output path (nothing is computed or written).

    Examples
    --------
    >>> import finmodel
    >>> res = finmodel.run(finmodel.load(), cases=["base", "downside"])
    >>> res.summary.loc["min_dscr"].round(2).to_dict()    # [x]
    {'base': 1.58, 'downside': 1.07}
    >>> bool(res.checks["master_check"])
    True
    >>> yearly = res.annual                           # flows summed by model year, balances at year end
    >>> import math
    >>> math.isclose(yearly["revenue"].sum(), res.cashflows["revenue"].sum(), rel_tol=1e-12)  # summing order
    True
    """
    from finmodel.api import workbook_source
    from finmodel.model import engine
    from finmodel.model.timeline import periods_of
    from finmodel.workbook.layout import check_columns

    wb_path = check_output_path(workbook, ".xlsx", "--output")
    js_path = check_output_path(json_path, ".json", "--json")
    if charts is not None:
        check_folder(charts)
    if isinstance(scenario, (str, Path)):
        check_not_inputs({"--output": wb_path, "--json": js_path, "--charts": charts}, [scenario])
    # an edited workbook: its inputs read back, the financing solved again, its live case first
    src = workbook_source.from_workbook(scenario) if workbook_source.is_workbook(scenario) else None
    sc = src.base if src is not None else load(scenario)
    cases = list(cases) if cases else (src.cases if src is not None else None)
    if cases and ALL_CASES in cases and ALL_CASES not in sc.cases:
        cases = list(dict.fromkeys(c for c in ["base", *sc.cases, *cases] if c != ALL_CASES))
    if wb_path is not None:
        check_columns(periods_of(sc))
    result = Result(sc, engine.run_scenario(sc, list(cases) if cases else None))
    if src is not None:
        result.scenario_text = src.text  # what the next workbook embeds
    if wb_path is not None:
        result.to_excel(wb_path)
    if js_path is not None:
        result.to_json(js_path)
    if charts is not None:
        from finmodel.workbook import pngs

        result.written.extend(pngs.write_charts(result.results, charts))
    return result


def summary(out: Result, *, brief: bool = False):
    """The terminal summary of a run (a rich renderable; see :mod:`finmodel.outputs.summary`); ``brief``: the headline
    sections only."""
    from finmodel.outputs.summary import summary as _summary

    return _summary(out.results, out.scenario, brief=brief)
