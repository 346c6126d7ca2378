"""The Monte Carlo (``finmodel simulate``) and the one-at-a-time sensitivities (``finmodel sensitivity``)."""

from __future__ import annotations

from pathlib import Path

from finmodel.api.scenarios import load
from finmodel.risk.frames import SimulationResult


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
    from finmodel.api import workbook_source
    from finmodel.risk import api as risk_api

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
        (:func:`finmodel.funds.sensitivity.tranche_sensitivities`).
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
        from finmodel.funds import portfolio as pf
        from finmodel.funds.sensitivity import tranche_sensitivities

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
