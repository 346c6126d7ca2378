"""The live workbook: every row of the model written as Excel formulas (FAST layout), written atomically.

Sheets: Cover (:mod:`~finmodel.workbook.cover`), Inputs (:mod:`~finmodel.workbook.inputs`), Timing and the
calculation sheets of the model, Outputs (the metrics, each a defined name) and Checks
(:mod:`~finmodel.workbook.calculation`, :mod:`~finmodel.workbook.checks`), Annual
(:mod:`~finmodel.workbook.annual`), Cases when several cases run (:mod:`~finmodel.workbook.cases`), Charts
(:mod:`~finmodel.workbook.charts`). Where everything goes is decided first (:class:`~finmodel.workbook.layout.Layout`);
the cells that only link around the model rows come with the engine value they must show
(:func:`~finmodel.workbook.links.extra_cells`), which :mod:`finmodel.workbook.parity` compares after recalculation.

Styles come from the workbook template (:mod:`finmodel.workbook.styles`): inputs blue on light yellow, solved
inputs purple on light green, calculations black, links to other sheets green, checks green/red.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from finmodel.files import atomic_write
from finmodel.version import __version__
from finmodel.workbook import annual, calculation, charts, checks, styles
from finmodel.workbook.cases import write_cases
from finmodel.workbook.cells import CHARTS, write_cells
from finmodel.workbook.cover import write_cover
from finmodel.workbook.headers import master_format, write_headers
from finmodel.workbook.inputs import write_inputs
from finmodel.workbook.layout import ANNUAL, CASES, COVER, Layout, check_columns
from finmodel.workbook.links import extra_cells


def write_workbook(
    results: list, path: str | Path, *, scenario, provenance: dict, embed: dict | None = None, extra=None
) -> Path:
    """Write the workbook of ``results[0]`` (live) and, for several results, a Cases sheet comparing them.

    ``provenance``: what the Cover says about where the workbook came from (:func:`provenance`); ``embed``: the
    scenario behind the workbook (:func:`finmodel.workbook.read.embed`'s keywords), for ``finmodel export`` and
    ``finmodel run WORKBOOK``, or None. Written to a temporary file in the target folder and renamed, so an
    interrupted run never leaves a broken file nor destroys the previous one. ``extra(wb, lay, live)``: adds a
    sheet of its own (the Solve sheet of ``finmodel solve -o``) once every model cell and name is placed. Returns
    the path written.
    """
    live = results[0]
    check_columns(live.model.periods)
    lay = Layout(live.model, getattr(live, "live_cases", None))
    wb = styles.load_template()
    sheets = _create_sheets(wb, lay, several=len(results) > 1)
    extras = extra_cells(lay, live)
    write_inputs(wb, sheets["Inputs"], lay, live)
    for sh in lay.sheets[1:]:
        calculation.write_sheet(wb, sheets[sh], lay, sh)
    write_cells(sheets, extras)
    if ANNUAL in sheets:
        annual.write_sheet(sheets[ANNUAL], lay, live)
    if "Checks" in lay.titles:
        checks.write_reasons(sheets[lay.titles["Checks"]], lay)
    if extra is not None:
        extra(wb, lay, live)
    write_cover(sheets[COVER], lay, live, results, scenario, provenance, wb.sheetnames)
    if CASES in sheets:
        write_cases(sheets[CASES], lay, results, scenario)
    write_headers(sheets[CHARTS], CHARTS, live.model.periods, period_cols=True, freeze=False)
    charts.write_sheet(sheets[CHARTS], lay, live, results)
    styles.page_setup(sheets[CHARTS])
    for ws in sheets.values():
        master_format(ws)
    if embed is not None:
        from finmodel.workbook import read

        read.embed(wb, **embed)
    wb.active = 0
    wb.calculation.fullCalcOnLoad = True
    return atomic_save(wb, path)


def _create_sheets(wb, lay: Layout, *, several: bool) -> dict:
    """Title -> worksheet: the template's Cover, Inputs and the calculation sheets in layout order, then (before
    Checks) Annual if the model has period rows to roll up, Cases if ``several`` results, and Charts."""
    sheets = {name: wb.create_sheet(name) for name in lay.sheets}
    at = wb.sheetnames.index(lay.titles["Checks"]) if "Checks" in lay.titles else len(wb.sheetnames)
    extra = ([ANNUAL] if annual.plan(lay) is not None else []) + ([CASES] if several else []) + [CHARTS]
    for k, name in enumerate(extra):
        sheets[name] = wb.create_sheet(name, at + k)
    sheets[COVER] = wb[COVER]
    return sheets


def write_scenario_workbook(
    scenario, results: list, path, *, every: list, provenance: dict, scenario_text: str | None = None, extra=None
):
    """The live workbook of ``results`` (the first live) with the case selector over every case of ``scenario``
    (:mod:`finmodel.workbook.selector`) and the scenario embedded (:mod:`finmodel.workbook.read`): what
    ``finmodel run -o`` writes. ``every``: ``results`` and an evaluation of each other case, for their inputs
    (:func:`finmodel.model.engine.every_case`: the writer runs no model). ``scenario_text``: the YAML to embed
    (default: the scenario file's text)."""
    from finmodel.workbook import read, selector

    cases = selector.build({r.case: r for r in every}, scenario.case_names(), results[0].case)
    for r in every:
        r.live_cases = cases.with_live(r.case) if r.case in cases.names else None
    text = scenario_text if scenario_text is not None else read.scenario_text(scenario)
    embedded = {
        "text": text,
        "source": str(scenario.source),
        "sha256": scenario.sha256 or "",
        "cases_run": list(dict.fromkeys(r.case for r in results)),
        "selector": cases.names,
    }
    return write_workbook(results, path, scenario=scenario, provenance=provenance, embed=embedded, extra=extra)


def atomic_save(wb, path) -> Path:
    """Save ``wb`` to ``path`` through a temporary file (see :func:`finmodel.files.atomic_write`)."""
    return atomic_write(path, wb.save)


def provenance(scenario, case: str, *, seed=None) -> dict:
    """What every output says about where it came from."""
    return {
        "finmodel_version": __version__,
        "scenario": str(scenario.source),
        "scenario_sha256": scenario.sha256 or "",
        "case": case,
        "seed": "" if seed is None else str(seed),
        "generated": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
    }
