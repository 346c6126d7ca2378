"""The library's public entry points, for notebooks and for the command line (which is built on them).

``import finmodel`` exposes them lazily: :func:`load`, :func:`run`, :func:`simulate`, :func:`fund` and
:func:`compare`. Each reads and validates its inputs once; provenance (``scenario.sha256``) comes from the
bytes that were read. No printing.

Examples
--------
>>> import finmodel
>>> sc = finmodel.load("scenarios/bolivia_santa_cruz.yaml")
>>> sc.project.country, sc.sha256 == finmodel.load(sc.source).sha256
('BOL', True)
>>> res = finmodel.run(sc, cases=["base", "downside"])
>>> list(res)
['base', 'downside']
>>> bool(res.metrics["equity_irr"] == res["base"].metrics["equity_irr"])  # the first case, directly
True
>>> res.cashflows.index[0].date(), res.cashflows.attrs["units"]["revenue"]
(datetime.date(2028, 6, 30), 'USD')
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from finmodel.errors import InputError
from finmodel.files import check_folder, check_not_inputs, check_output_path
from finmodel.results import Result, SimulationResult

DICT_SOURCE = "<dict>"
"""``Scenario.source`` of a scenario given as a mapping rather than a file."""


def load(source=None):
    """Read and validate a scenario once.

    Parameters
    ----------
    source : str, Path, Mapping or None
        A scenario YAML file; a mapping shaped like one (as ``yaml.safe_load`` returns it); or None for the
        embedded default scenario (Kota Kinabalu).

    Returns
    -------
    finmodel.schema.Scenario
        Immutable and fully validated, with ``source`` (the path as given, ``"<default>"`` or ``"<dict>"``)
        and ``sha256``: of the file's bytes; for a mapping, of its canonical JSON (sorted keys, dates as ISO
        text). Cases are applied from it without reading the file again (:func:`run`).

    Raises
    ------
    finmodel.errors.InputError
        Every problem of the file, each with its field path (a ``ScenarioFileError`` for an unreadable
        file or bad YAML).

    Examples
    --------
    >>> import finmodel
    >>> sc = finmodel.load()
    >>> sc.source, sc.project.currency, sc.timeline.periods_per_year
    ('<default>', 'USD', 2)
    >>> sc.case_names()
    ['base', 'downside', 'capex_overrun']
    >>> from finmodel.schema import load_raw
    >>> raw = load_raw()                      # the default scenario as a plain mapping
    >>> finmodel.load(raw).source
    '<dict>'
    >>> raw["equity_discount_rate"] = 12      # 12 where 0.12 is meant
    >>> finmodel.load(raw)
    Traceback (most recent call last):
    ...
    finmodel.errors.InputError: <dict>: equity_discount_rate: expected a decimal such as 0.08, found 12
    """
    from finmodel import validation
    from finmodel.schema import Scenario
    from finmodel.workbook import source as workbook_source

    if isinstance(source, Scenario):
        return source
    if workbook_source.is_workbook(source):  # a workbook finmodel wrote, with the analyst's edits
        return workbook_source.from_workbook(source).base
    if isinstance(source, Mapping):
        text = json.dumps(source, sort_keys=True, default=str, ensure_ascii=False)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return validation.scenario_from_dict(source, DICT_SOURCE, sha256=digest)
    return validation.load_scenario(source)


ALL_CASES = "all"
"""``cases=["all"]`` (``--case all``): the base case and every case of the scenario, in file order."""


def case_names(scenario=None) -> list[tuple[str, str]]:
    """``(name, description)`` of every case of a scenario, the base case first."""
    sc = load(scenario)
    return [("base", "the scenario as written")] + [(n, c.description or "") for n, c in sc.cases.items()]


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
        The folder the caller will write PNG charts to: only checked here, with the other outputs.

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
    from finmodel import engine
    from finmodel.timeline import periods_of
    from finmodel.workbook import source as workbook_source
    from finmodel.workbook.writer import check_columns

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
    return result


def _same_file(out_path, source) -> bool:
    if source is None or isinstance(source, Mapping) or not isinstance(source, (str, Path)):
        return False
    try:
        return Path(out_path).resolve() == Path(source).resolve() or (
            Path(out_path).exists() and Path(out_path).samefile(source)
        )
    except OSError:
        return False


def export(workbook_path, scenario_out) -> tuple[Path, list]:
    """Write the scenario behind a (possibly edited) finmodel workbook as YAML.

    Returns the path written and the edits found against the scenario embedded in the workbook (each a
    :class:`finmodel.workbook.source.Change`: path, old, new). With no edit the file written is the scenario the
    workbook was built from, byte for byte.
    """
    from finmodel.files import atomic_write
    from finmodel.workbook import source as workbook_source

    out = Path(scenario_out)
    if out.suffix.lower() not in (".yaml", ".yml"):
        raise InputError([("--output", f"expected a .yaml file name, found {str(scenario_out)!r}")])
    if out.is_dir():
        raise InputError([("--output", f"expected a file name, found the folder {str(scenario_out)!r}")])
    if not workbook_source.is_workbook(workbook_path):
        raise InputError(
            [("WORKBOOK", f"expected an .xlsx workbook written by finmodel, found {str(workbook_path)!r}")]
        )
    src = workbook_source.from_workbook(workbook_path)

    def write(tmp):
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(src.text)

    return atomic_write(out, write), src.changes


def integrity_failures(results) -> list[str]:
    """One line per case whose integrity checks fail: the case and each failed check's name and label.

    Every check on the Checks sheet is an integrity check (sources = uses, cash conserved, balances repaid
    unless in default and never negative, DSRA never negative, commitments drawn, debt sized as solved): a
    failure means the model cannot be trusted, not that the project is weak. Covenant breaches and payment
    defaults are results (rows and metrics), never checks.
    """
    lines = []
    for r in results:
        failed = [n for n, ok in r.checks().items() if not ok and n != "master_check"]
        if failed:
            names = "; ".join(f"{n} ({r.model.rows[n].label})" for n in failed)
            lines.append(f"case {r.case}: {names}")
    return lines


def summary(out: Result):
    """The terminal summary of a run (a rich renderable; see :mod:`finmodel.summary`)."""
    from finmodel.summary import summary as _summary

    return _summary(out.results, out.scenario)


def simulate(
    scenario=None, *, paths: int, seed: int = 0, case: str = "base", chunk_size: int | None = None, client=None
) -> SimulationResult:
    """Monte Carlo over the scenario's ``risk:`` block, with the financing sized on the base case.

    Parameters
    ----------
    scenario : Scenario, str, Path, Mapping or None
        As for :func:`run`; it must have a ``risk`` block.
    paths : int
        Number of paths.
    seed : int
        Seed; the same seed gives the same paths whatever ``chunk_size`` and ``client``.
    case : str
        Case whose scenario the drivers apply to.
    chunk_size : int, optional
        Paths per model call (bounds memory, ~40 kB per path). Default 4096.
    client : concurrent.futures.Executor or dask.distributed.Client, optional
        Where the chunks run (default: this process).

    Returns
    -------
    SimulationResult
        ``.paths`` (DataFrame, one row per path: metrics, ``senior_loss`` [currency], drivers), ``.summary``
        (Series: probabilities with standard errors, percentiles, expected losses), ``.to_json(path)``,
        ``.to_excel(path)``.

    Examples
    --------
    >>> import finmodel
    >>> sim = finmodel.simulate("scenarios/bolivia_santa_cruz.yaml", paths=200, seed=7)
    >>> sim.paths.shape[0], bool(0.0 <= sim.summary["p_default"] <= 1.0)
    (200, True)
    """
    from finmodel.risk import simulation

    chunk_size = simulation.DEFAULT_CHUNK_SIZE if chunk_size is None else chunk_size
    simulation.check_options(paths, seed, chunk_size)
    sc = load(scenario)
    prepared = simulation.prepare(sc, case)
    raw = simulation.simulate(
        sc, paths=paths, seed=seed, case=case, chunk_size=chunk_size, client=client, prepared=prepared
    )
    return SimulationResult(raw, prepared[1])


def fund(
    portfolio,
    case: str | None = None,
    *,
    structure: str | None = None,
    first_loss_case: str | None = None,
    workbook=None,
    json_path=None,
    paths: int | None = None,
    seed: int = 0,
    max_expected_loss: float = 0.0,
    correlation: float = 0.0,
):
    """Run a portfolio file's PIS / GIF fund: tranche results, first-loss share, mobilisation [KRW].

    Parameters
    ----------
    portfolio : str or Path
        A fund portfolio file (``projects:`` naming scenario files; see ``scenarios/pis_smart_city_subfund.yaml``).
    case : str, optional
        Portfolio case (default: base).
    structure : {"pis", "gif"}, optional
        Replace the file's structure (term capped at the structure's limit).
    first_loss_case : str, optional
        Also solve the smallest government + public share keeping the private tranche whole under this case.
    workbook, json_path : optional
        Also write the live fund workbook / the JSON.
    paths, seed, max_expected_loss, correlation : optional
        With ``first_loss_case``: solve on ``paths`` Monte Carlo paths of the projects' ``risk`` blocks instead,
        the private tranche's expected loss at most ``max_expected_loss`` of its contributions, the projects
        loading ``correlation`` on a shared macro factor (:func:`finmodel.fund.montecarlo.first_loss_monte_carlo`).

    Returns
    -------
    finmodel.fund.FundOutput
        ``.tranches`` (DataFrame: tranche x (structure, metric)), ``.structures[s].cashflows`` / ``.annual``,
        ``.metrics``, ``.first_loss``, ``.mobilisation``, ``.to_json(path)``, ``.to_excel(path)``
        (:class:`finmodel.fund.frames.FundFrames`).

    Examples
    --------
    >>> import finmodel
    >>> f = finmodel.fund("scenarios/pis_smart_city_subfund.yaml")
    >>> list(f.tranches.index)
    ['government', 'public', 'private', 'fund']
    """
    from finmodel.fund import run_portfolio

    return run_portfolio(
        portfolio,
        case,
        structure=structure,
        workbook=workbook,
        json_path=json_path,
        first_loss_case=first_loss_case,
        paths=paths,
        seed=seed,
        max_expected_loss=max_expected_loss,
        correlation=correlation,
    )


def compare(
    portfolio,
    case: str | None = None,
    *,
    paths: int | None = None,
    seed: int = 0,
    workbook=None,
    json_path=None,
    correlation: float = 0.0,
):
    """The same portfolio under PIS (subordinated) and GIF (pari passu), tranche by tranche [KRW].

    Parameters
    ----------
    portfolio : str or Path
        A fund portfolio file.
    case : str, optional
        Portfolio case (default: base).
    paths, seed : int, optional
        Also each tranche's loss probability and expected loss over ``paths`` Monte Carlo paths of the
        projects' ``risk`` blocks (``.monte_carlo``; project ``i`` uses seed ``seed + i``).
    workbook, json_path : optional
        Also write the workbook (PIS live, GIF on the Cases sheet) / the JSON.
    correlation : float
        With ``paths``: every project's loading on a shared macro factor (0: independent projects).

    Returns
    -------
    finmodel.fund.FundOutput
        ``.structures`` with ``"pis"`` and ``"gif"``; ``.tranches`` side by side; ``.monte_carlo`` with
        ``paths``; ``.decomposition`` (loss order against term).

    Examples
    --------
    >>> import finmodel
    >>> cmp = finmodel.compare("scenarios/pis_smart_city_subfund.yaml", case="severe")
    >>> loss = cmp.tranches.xs("loss", axis=1, level="metric")
    >>> bool(loss.loc["private", "pis"] <= loss.loc["private", "gif"])
    True
    """
    from finmodel.fund import compare_portfolio

    return compare_portfolio(
        portfolio, case, workbook=workbook, json_path=json_path, paths=paths, seed=seed, correlation=correlation
    )


def sensitivity(
    scenario=None, *, case: str = "base", workbook=None, json_path=None, charts=None, only=None, portfolio=None
):
    """One-at-a-time sensitivities (tornado, spider) and breakevens of a case, financing as sized on the base case.

    Parameters
    ----------
    scenario : str, Path or None
        A scenario file (None: the embedded default).
    case : str
        The case the drivers move from.
    only : list of str, optional
        Drivers to move (revenue, capex, opex, delay, rates, fx); default all.
    portfolio : str or Path, optional
        A fund portfolio file: also each fund tranche's IRR with the driver moved in every project
        (:func:`finmodel.fund.sensitivity.tranche_sensitivities`).
    workbook, json_path, charts : optional
        Also write the workbook with a Sensitivity sheet, the JSON, and tornado / spider PNGs into a folder.

    Returns
    -------
    finmodel.risk.api.SensitivityOutput
        ``.result`` (tornado, spider, breakevens, ``fund``) and ``.written``.
    """
    import functools

    from finmodel.risk import api as risk_api

    fund = None
    inputs = []
    if portfolio is not None:
        from finmodel.fund.portfolio import input_paths
        from finmodel.fund.sensitivity import tranche_sensitivities

        fund = functools.partial(tranche_sensitivities, portfolio)
        inputs = input_paths(portfolio)
    return risk_api.sensitivity(
        scenario,
        case=case,
        workbook=workbook,
        json_path=json_path,
        charts=charts,
        only=only,
        fund=fund,
        input_files=inputs,
    )


def validate(path):
    """Validate a scenario file (and every case in it), a fund portfolio file (and its projects), or a programme
    file (and its candidates' scenarios).

    Returns the base Scenario, or None for a portfolio or programme; raises InputError with every problem."""
    from finmodel.schema import load_raw
    from finmodel.validation import validate_file

    raw = load_raw(path)
    if isinstance(raw, dict) and "projects" in raw and "project" not in raw:
        from finmodel.fund import portfolio

        portfolio.load(path)
        return None
    if isinstance(raw, dict) and "pipeline" in raw and "project" not in raw:
        from finmodel.fund import programme

        programme.load(path)
        return None
    return validate_file(path)


__all__ = [
    "DICT_SOURCE",
    "InputError",
    "compare",
    "fund",
    "integrity_failures",
    "load",
    "run",
    "sensitivity",
    "simulate",
    "summary",
    "validate",
]
