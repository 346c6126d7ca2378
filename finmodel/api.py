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
from finmodel.results import Result, SimulationResult, integrity_failures

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
    from finmodel import engine
    from finmodel.timeline import periods_of
    from finmodel.workbook import source as workbook_source
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


def summary(out: Result, *, brief: bool = False):
    """The terminal summary of a run (a rich renderable; see :mod:`finmodel.summary`); ``brief``: the headline
    sections only."""
    from finmodel.summary import summary as _summary

    return _summary(out.results, out.scenario, brief=brief)


def simulate(
    scenario=None,
    *,
    paths: int,
    seed: int = 0,
    case: str = "base",
    chunk_size: int | None = None,
    workers: int | str = 1,
    explain_paths: int | None = 0,
    client=None,
    scheduler: str | None = None,
    workbook=None,
    json_path=None,
    paths_out=None,
    charts=None,
    on_start=None,
    on_chunk=None,
) -> SimulationResult:
    """Monte Carlo over the scenario's ``risk:`` block, with the financing sized on the base case.

    Parameters
    ----------
    scenario : Scenario, str, Path, Mapping or None
        As for :func:`run` (read once here); it must have a ``risk`` block.
    paths : int
        Number of paths.
    seed : int
        Seed; the same seed gives the same paths whatever ``chunk_size``, ``workers`` and ``client``.
    case : str
        Case whose scenario the drivers apply to.
    chunk_size : int, optional
        Paths per model call (bounds memory, ~40 kB per path). Default: up to 4096, about four chunks per worker.
    workers : int or "auto"
        Local processes running the chunks (``"auto"``: every core this process may use; 1: this process). The
        results are identical for any number. ``finmodel simulate --workers`` (whose default is ``"auto"``).
    explain_paths : int or None
        Paths re-run per driver held at its deterministic value, to say which drivers cause the defaults
        (``.raw.default_drivers``); 0: none; None: as ``finmodel simulate`` without ``--explain-paths``
        (``min(paths, 5000)``).
    client : concurrent.futures.Executor or dask.distributed.Client, optional
        Where the chunks run instead of ``workers`` local processes.
    scheduler : str, optional
        A Dask scheduler address (``tcp://host:8786``) or ``"local"`` (a LocalCluster), connected to and closed
        here (``--scheduler``).
    workbook, json_path, paths_out, charts : optional
        Also write the workbook with a Risk sheet (``.xlsx``), the JSON (``-``: standard output), the per-path
        file (``.csv`` or ``.parquet``) and PNG charts into a folder. Every output is checked before any work.
    on_start, on_chunk : callable, optional
        Progress: ``on_start(paths)`` once, ``on_chunk(start, stop, results)`` after each chunk, in path order.

    Returns
    -------
    SimulationResult
        ``.paths`` (DataFrame, one row per path: metrics, ``senior_loss`` [currency], drivers), ``.summary``
        (Series: probabilities with standard errors, percentiles, expected losses), ``.to_json(path)``,
        ``.to_excel(path)``, ``.tables()`` (the terminal summary), ``.written``.

    Raises
    ------
    finmodel.errors.InputError
        Bad scenario, no ``risk`` block, bad options (``--paths``, ``--seed``, ``--workers``, ...), a run whose
        memory estimate passes the machine's, or a bad output path.

    Examples
    --------
    >>> import finmodel
    >>> sim = finmodel.simulate("scenarios/bolivia_santa_cruz.yaml", paths=200, seed=7)
    >>> sim.paths.shape[0], bool(0.0 <= sim.summary["p_default"] <= 1.0)
    (200, True)
    """
    from finmodel.risk import api as risk_api
    from finmodel.workbook import source as workbook_source

    out = risk_api.simulate(
        scenario if isinstance(scenario, (str, Path)) and not workbook_source.is_workbook(scenario) else load(scenario),
        paths=paths,
        seed=seed,
        case=case,
        chunk_size=chunk_size,
        workers=workers,
        explain_paths=explain_paths,
        workbook=workbook,
        json_path=json_path,
        paths_out=paths_out,
        charts=charts,
        scheduler=scheduler,
        client=client,
        on_start=on_start,
        on_chunk=on_chunk,
    )
    return SimulationResult(out.result, out.deterministic, out.written)


def fund(
    portfolio,
    case: str | None = None,
    *,
    structure: str | None = None,
    first_loss_case: str | None = None,
    workbook=None,
    json_path=None,
    paths: int | None = None,
    seed: int | None = None,
    max_expected_loss: float | None = None,
    correlation: float | None = None,
    paths_out=None,
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
        the private tranche's expected loss at most ``max_expected_loss`` of its contributions (default 0), with
        ``seed`` (default 0), the
        projects loading ``correlation`` on a shared macro factor (default 0; see
        :func:`finmodel.fund.montecarlo.first_loss_monte_carlo`). ``paths`` is used only by the first-loss
        solver, so ``paths`` without ``first_loss_case`` (and ``seed``, ``max_expected_loss`` or ``correlation`` without
        ``paths``) is refused rather than ignored: each tranche's loss over Monte Carlo paths is
        :func:`compare` with ``paths``.
    paths_out : str or Path, optional
        With ``paths``: the fund at the solved share on every path (``.csv`` / ``.parquet``; each tranche's loss,
        contributions, IRR and multiple, each project's equity cash flow to the fund).

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
        paths_out=paths_out,
    )


def compare(
    portfolio,
    case: str | None = None,
    *,
    paths: int | None = None,
    seed: int | None = None,
    workbook=None,
    json_path=None,
    correlation: float | None = None,
    paths_out=None,
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
        projects' ``risk`` blocks (``.monte_carlo``; project ``i`` uses seed ``seed + i``; default 0).
    workbook, json_path : optional
        Also write the workbook (PIS live, GIF on the Cases sheet) / the JSON.
    correlation : float, optional
        With ``paths``: every project's loading on a shared macro factor (default 0: independent projects).
        ``seed`` or ``correlation`` without ``paths`` is refused rather than ignored.
    paths_out : str or Path, optional
        With ``paths``: per path, each structure's tranche loss [KRW], IRR and multiple
        (``<structure>_fund_<tranche>_loss``, ``_irr``, ``_multiple``) and each project's ``p<k>_invested``,
        ``p<k>_returned``, ``p<k>_loss`` [KRW] (``.csv`` or ``.parquet``, as ``simulate``;
        ``.monte_carlo.dataframe()``).

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
        portfolio,
        case,
        workbook=workbook,
        json_path=json_path,
        paths=paths,
        seed=seed,
        correlation=correlation,
        paths_out=paths_out,
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
        from finmodel.fund import portfolio as pf
        from finmodel.fund.sensitivity import tranche_sensitivities

        lp = pf.load(portfolio)  # read once: its files are the inputs no output may overwrite, and it is run
        fund = functools.partial(tranche_sensitivities, lp)
        inputs = [portfolio, *lp.paths]
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

    The file is read once: its bytes decide which kind it is and are the ones validated.

    Returns the base Scenario, or None for a portfolio or programme; raises InputError with every problem."""
    import hashlib

    from finmodel.schema import reading
    from finmodel.validation import validate_file

    data, source = reading.read(path)
    raw = reading.parse(data, source)
    if "projects" in raw and "project" not in raw:
        from finmodel.fund import portfolio, schema

        read = (schema.validate_dict(raw, source), source, hashlib.sha256(data).hexdigest())
        portfolio.load(path, read=read)
        return None
    if "pipeline" in raw and "project" not in raw:
        from finmodel.fund import programme
        from finmodel.fund import programme_schema as ps

        read = (ps.validate_dict(raw, source), source, hashlib.sha256(data).hexdigest())
        programme.load(path, read=read)
        return None
    return validate_file(path, read=(data, source))


def frontier(
    portfolio,
    *,
    paths: int,
    seed: int = 0,
    steps=None,
    case: str | None = None,
    workbook=None,
    json_path=None,
    charts=None,
    paths_out=None,
):
    """The subordination frontier of a portfolio: private risk against the government's first-loss share [KRW].

    Parameters
    ----------
    portfolio : str or Path
        A fund portfolio file (read once here, with its projects' scenarios).
    paths, seed : int
        Monte Carlo paths of the projects' ``risk`` blocks (project ``i`` uses seed ``seed + i``).
    steps : sequence of float or str, optional
        Government first-loss shares as decimals (0 always included), or ``"0,0.05,0.1"``.
    case : str, optional
        Portfolio case (default base; no ``changes``).
    workbook, json_path, charts : optional
        Also write the table (``.xlsx``), the JSON (``-``: standard output) and ``frontier.png`` into a folder;
        every output is checked before any work.
    paths_out : str or Path, optional
        Also write the per-path results (``.csv`` or ``.parquet``, as ``simulate``): one row per (share, path),
        ``fund_private_loss``, ``fund_government_loss`` [KRW], ``fund_private_irr``, each project's
        ``p<k>_invested``, ``p<k>_returned``, ``p<k>_loss`` [KRW] (``.paths``).

    Returns
    -------
    finmodel.fund.frontier_report.FrontierOutput
        ``.points`` (DataFrame, one row per government share), ``.paths`` (DataFrame, one row per share and
        path), ``.frontier`` (per-path arrays), ``.data`` (the JSON), ``.written``.

    Examples
    --------
    >>> import finmodel
    >>> f = finmodel.frontier("scenarios/pis_high_risk_subfund.yaml", paths=40, seed=1, steps="0,0.2")
    >>> list(f.points.index)
    [0.0, 0.2]
    >>> bool((f.points["private_expected_loss"].diff().dropna() <= 0).all())   # more first loss, less private loss
    True
    """
    from finmodel.fund import frontier_report

    return frontier_report.run(
        portfolio,
        paths=paths,
        seed=seed,
        steps=steps,
        case=case,
        json_path=json_path,
        workbook_path=workbook,
        charts=charts,
        paths_out=paths_out,
    )


def solve(
    scenario=None,
    *,
    targets,
    vary,
    minimise=None,
    cases=None,
    paths=None,
    seed=0,
    json_path=None,
    workbook=None,
    write_scenario=None,
    structure=None,
):
    """The structuring solver: the lever values that meet every target at the least subsidy (``finmodel solve``).

    Parameters
    ----------
    scenario : str, Path or None
        A project scenario file (None: the embedded default).
    targets : list of str
        ``METRIC>=VALUE`` or ``METRIC<=VALUE`` on metrics of the run JSON (``equity_irr>=12%``, ``min_dscr>=1.3``);
        with ``paths``, the Monte Carlo summary's too (``cdr_10y<=2%``, ``senior_expected_loss_ratio<=1%``).
    vary : list of str
        Levers ``PATH[=LOW:HIGH]`` named as validation messages name fields
        (``debt.facilities[EDPF].rate.fixed=0.01:0.05``); 1 to 4. Ranges default to the schema's limits and the
        policy rules (found by validating trial values), narrowed by ``=LOW:HIGH``.
    minimise : str, optional
        ``subsidy_equivalent`` or a lever's path (default: the lever for one lever, else ``subsidy_equivalent``).
    cases : list of str, optional
        Cases every target must hold in (default base); financing sized on the base case, as ``run`` does.
    paths, seed : int, optional
        Monte Carlo targets: paths and seed (the same seed for every trial).
    json_path, workbook, write_scenario : optional
        Also write the JSON (``-``: standard output), the solved scenario's live workbook and the solved scenario
        file (the original with the solved values in place and a comment saying so). Checked before any work.
    structure : str, optional
        For a fund portfolio (``scenario`` a portfolio file): ``pis`` or ``gif`` (default: the file's). Its levers
        include ``fund.tranches.government.share`` (the first-loss share, the other tranches in proportion), its
        targets the fund's metrics (``fund_private_irr``) and with ``paths`` the tranche Monte Carlo summary
        (``fund_private_expected_loss``, ``fund_private_p_loss``).

    Returns
    -------
    finmodel.structuring.SolveResult
        ``.feasible``, ``.table`` (levers and targets, a DataFrame), ``.tradeoff_table``, ``.binding``, ``.data``
        (the JSON), ``.scenario`` (the solved scenario, which :func:`run` reproduces), ``.written``.

    Examples
    --------
    >>> import finmodel
    >>> r = finmodel.solve(targets=["equity_irr>=15%"], vary=["revenues[Availability payment].amount"])
    >>> r.feasible, round(r.data["targets"][0]["achieved"], 3)
    (True, 0.15)
    """
    from finmodel import structuring

    return structuring.solve(
        scenario,
        targets=list(targets),
        vary=list(vary),
        minimise=minimise,
        cases=list(cases) if cases else None,
        paths=paths,
        seed=seed,
        json_path=json_path,
        workbook=workbook,
        write_scenario=write_scenario,
        structure=structure,
    )


def programme(path, *, paths: int = 2000, seed: int = 0, workbook=None, json_path=None, charts=None, paths_out=None):
    """Simulate a programme file: a fund deploying into a pipeline of candidate projects [KRW, USD].

    Parameters
    ----------
    path : str or Path
        A programme file (``pipeline:`` of candidates; read once here, with their scenarios).
    paths, seed : int
        Simulated paths (which candidates close, and when) and the seed (same seed, same results).
    workbook, json_path, charts : optional
        Also write the summary tables (``.xlsx``), the JSON (``-``: standard output) and ``programme.png`` into
        a folder; every output is checked before any work.
    paths_out : str or Path, optional
        The per-path results (``.csv`` or ``.parquet``): tranche losses and IRRs, what was deployed, orders, jobs,
        and each candidate's close (:meth:`finmodel.fund.programme.ProgrammeResult.dataframe`).

    Returns
    -------
    finmodel.fund.programme_report.ProgrammeOutput
        ``.tranches`` (DataFrame: each tranche's commitment, expected loss, P(loss), IRR percentiles), ``.summary``
        (distributions of commitments deployed, orders, jobs), ``.data`` (the JSON), ``.written``.
    """
    from finmodel.fund import programme_report

    return programme_report.run(
        path, paths=paths, seed=seed, json_path=json_path, workbook_path=workbook, charts=charts, paths_out=paths_out
    )


GE_OPTIONS = {
    "annual_rate": "--rate",
    "maturity_years": "--maturity",
    "grace_years": "--grace",
    "discount_rate": "--discount-rate",
    "periods_per_year": "--periods-per-year",
    "repayment": "--repayment",
    "method": "--method",
    "country": "--country",
    "cirr": "--cirr",
}
"""Parameters of :func:`grant_element` -> the ``finmodel grant-element`` options its error messages name."""


def grant_element(
    scenario=None,
    case: str | None = None,
    *,
    annual_rate: float | None = None,
    maturity_years: float | None = None,
    grace_years: float | None = None,
    repayment: str | None = None,
    periods_per_year: int | None = None,
    method: str | None = None,
    discount_rate: float | None = None,
    country: str | None = None,
    cirr: float | None = None,
    json_path=None,
):
    """Grant element of loan terms, or of a scenario's modelled facilities and package, with the DAC ODA and
    Helsinki tied-aid verdicts (``finmodel grant-element``).

    Give either ``scenario`` or the loan terms (``annual_rate``, ``maturity_years``, ``grace_years``), not both.

    Parameters
    ----------
    scenario : Scenario, str, Path or Mapping, optional
        Anything :func:`load` takes (read once here): the grant elements of the modelled cash flows (drawdowns,
        interest, repayments; fees excluded), as on the workbook's Blending sheet.
    case : str, optional
        With ``scenario``: the case to run (default base).
    annual_rate, maturity_years, grace_years : float
        Loan terms: [fraction per year], [years from commitment to the last repayment], [years with no
        principal; the first instalment falls at the end of the first period after grace].
    repayment : {"equal", "annuity"}, optional
        Equal principal instalments (default) or level debt service.
    periods_per_year : {1, 2, 4, 12}, optional
        Payments per year (default 2).
    method : {"dac2018", "imf", "ddr", "rate"}, optional
        The discount rate: by the country's income group (the default for terms), 5 %, the OECD differentiated
        rate from ``cirr``, or ``discount_rate``; default ``"rate"`` when ``discount_rate`` is given, else (a
        scenario) its ``blending.method``.
    discount_rate, cirr : float, optional
        [fraction per year].
    country : str, optional
        ISO alpha-3 code of the borrower country (loan terms only).
    json_path : str or Path, optional
        Also write the JSON (``-``: standard output); checked before any work.

    Returns
    -------
    finmodel.results.GrantElementResult
        ``.grant_elements`` (DataFrame: one row per loan, facility or the package), ``.metrics`` and ``.checks``
        (Series: the JSON's), ``.warnings``, ``.report``, ``.lines()``, ``.to_json(path)``, ``.written``.

    Raises
    ------
    finmodel.errors.InputError
        Both or neither of scenario and terms; bad terms (field paths are the command's options: ``--rate``...).

    Examples
    --------
    >>> import finmodel
    >>> ge = finmodel.grant_element(annual_rate=0.0015, maturity_years=40, grace_years=10, method="imf")
    >>> ge.metrics[["grant_element_closed_form", "grant_element_cash_flows", "threshold"]].round(4).tolist()
    [0.6608, 0.6608, 0.35]
    >>> bool(ge.checks["threshold_met"])                  # IMF: at least 35 % at 5 %
    True
    >>> sc = finmodel.grant_element("scenarios/bolivia_santa_cruz.yaml")
    >>> list(sc.grant_elements.index)[-1], sc.grant_elements.loc["package", "kind"]
    ('package', 'package')
    """
    from finmodel.results import GrantElementResult

    def renamed(exc: InputError) -> InputError:  # name the command's options, not the library's parameters
        return InputError([(GE_OPTIONS.get(p, p), m) for p, m in exc.problems], source=exc.source)

    terms = {
        "--rate": annual_rate,
        "--maturity": maturity_years,
        "--grace": grace_years,
        "--repayment": repayment,
        "--periods-per-year": periods_per_year,
        "--country": country,
    }
    given = [opt for opt, v in terms.items() if v is not None]
    if scenario is not None and given:
        raise InputError(
            [(given[0], f"expected either SCENARIO or loan terms, found both ({scenario} and {', '.join(given)})")]
        )
    if scenario is None and case is not None:
        raise InputError([("--case", "expected with SCENARIO only, found it with loan terms")])
    missing = [opt for opt in ("--rate", "--maturity", "--grace") if terms[opt] is None]
    if scenario is None and missing:
        found = f"{', '.join(given)} without {', '.join(missing)}"
        raise InputError(
            [
                (
                    "",
                    f"expected SCENARIO or the loan terms --rate, --maturity and --grace, "
                    f"found {found if len(missing) < 3 else 'neither'}",
                )
            ]
        )
    if discount_rate is not None and method not in (None, "rate"):
        raise InputError([("--discount-rate", f"not used with --method {method}; drop one of them")])
    js = check_output_path(json_path, ".json", "--json")
    if isinstance(scenario, (str, Path)):
        check_not_inputs({"--json": js}, [scenario])
    if scenario is not None:
        from finmodel.grant_report import scenario_report

        try:
            report = scenario_report(load(scenario), case, method=method, discount_rate=discount_rate, cirr=cirr)
        except InputError as exc:
            raise renamed(exc) from None
    else:
        from finmodel.blending.grant_element import grant_element_report
        from finmodel.country_table import get_country

        record = None
        if country is not None:
            record = get_country(country)
            if record is None:
                raise InputError(
                    [("--country", f"unknown ISO alpha-3 code {country!r} (finmodel/data/countries.yaml)")]
                )
        ppy = 2 if periods_per_year is None else periods_per_year
        if str(ppy) not in ("1", "2", "4", "12"):
            raise InputError([("--periods-per-year", f"expected 1, 2, 4 or 12, found {periods_per_year!r}")])
        try:
            report = grant_element_report(
                annual_rate,
                maturity_years,
                grace_years,
                repayment=repayment or "equal",
                periods_per_year=int(ppy),
                method=method or ("rate" if discount_rate is not None else "dac2018"),
                discount_rate=discount_rate,
                country=record,
                cirr=cirr,
            )
        except InputError as exc:
            raise renamed(exc) from None
    result = GrantElementResult(report)
    if js is not None:
        result.to_json(js)
    return result


def scenario_schema(fmt: str = "json"):
    """The scenario file's schema: ``"json"``, a JSON Schema (dict); ``"markdown"``, the field reference
    (``docs/scenario-reference.md``, str). ``finmodel schema [--format markdown]``.

    Examples
    --------
    >>> import finmodel
    >>> sorted(finmodel.scenario_schema()["properties"])[:3]
    ['base_rates', 'blending', 'capex']
    """
    if fmt == "markdown":
        from finmodel.docs import schema_markdown

        return schema_markdown()
    if fmt != "json":
        raise InputError([("--format", f"expected json or markdown, found {fmt!r}")])
    from finmodel.schema import Scenario

    return Scenario.model_json_schema()


def new_scenario(name, template: str | None = None, *, force: bool = False) -> Path:
    """Write ``NAME.yaml``, a new scenario file from a template with NAME as its project name; return its path.

    ``template``: ``umic-availability-ppp`` (default), ``lmic-edcf-koica`` or ``high-risk-ksure``; each has a
    ``risk:`` block and runs as created. The file is validated before it is written (temporary file, then
    rename); an existing file is refused unless ``force``. ``finmodel new``.
    """
    from finmodel.validation import new_scenario_file

    if template is None:
        from finmodel.schema.templates import DEFAULT_TEMPLATE

        template = DEFAULT_TEMPLATE
    return new_scenario_file(name, template, force=force)


def countries(*, json_path=None):
    """The country table: ISO code, name, World Bank income group, OECD country risk category, UN LDC status
    and DAC list group, each value with the list it comes from, that list's date and a confidence code
    (``finmodel/data/countries.yaml``). ``finmodel countries [--json PATH]``.

    Returns a :class:`finmodel.country_table.CountryTable` (``.rows()``, ``.table``: the pandas view, ``.to_json()``,
    ``.written``: the files written). ``finmodel.countries()`` is this function.

    Examples
    --------
    >>> import finmodel
    >>> tab = finmodel.api.countries()
    >>> tab.rows()[0]["income_group"]["date"], tab.table.loc["KEN", "oecd_risk_category_date"]
    ('2025-07-01', '2022-07')
    """
    import dataclasses

    from finmodel import contract
    from finmodel.country_table import country_table

    js = check_output_path(json_path, ".json", "--json")
    tab = country_table()
    if js is not None:
        tab = dataclasses.replace(tab, written=(contract.write_json(tab.to_json(), js),))
    return tab


def warnings(scenario) -> list[dict]:
    """The warnings of a loaded scenario: ``{"kind", "field", "message"}`` each, ``kind`` ``"eligibility"`` (a
    policy exception the plan allows, a benefit left unused) or ``"plausibility"`` (a legal but unusual value).
    """
    from finmodel import plausibility
    from finmodel.blending import warnings_for

    sc = load(scenario)
    out = [{"kind": "eligibility", "field": w.field_path, "message": w.message} for w in warnings_for(sc)]
    out += [{"kind": "plausibility", "field": f, "message": m} for f, m in plausibility.scenario_warnings(sc)]
    return out


__all__ = [
    "DICT_SOURCE",
    "InputError",
    "compare",
    "countries",
    "frontier",
    "fund",
    "grant_element",
    "integrity_failures",
    "load",
    "new_scenario",
    "programme",
    "run",
    "scenario_schema",
    "sensitivity",
    "simulate",
    "summary",
    "validate",
    "warnings",
]
