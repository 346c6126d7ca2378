"""The fund commands: a portfolio's fund (``finmodel fund``), PIS against GIF (``finmodel compare``), the
subordination frontier (``finmodel frontier``) and a programme (``finmodel programme``)."""

from __future__ import annotations


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
        :func:`finmodel.funds.montecarlo.first_loss_monte_carlo`). ``paths`` is used only by the first-loss
        solver, so ``paths`` without ``first_loss_case`` (and ``seed``, ``max_expected_loss`` or ``correlation`` without
        ``paths``) is refused rather than ignored: each tranche's loss over Monte Carlo paths is
        :func:`compare` with ``paths``.
    paths_out : str or Path, optional
        With ``paths``: the fund at the solved share on every path (``.csv`` / ``.parquet``; each tranche's loss,
        contributions, IRR and multiple, each project's equity cash flow to the fund).

    Returns
    -------
    finmodel.funds.FundOutput
        ``.tranches`` (DataFrame: tranche x (structure, metric)), ``.structures[s].cashflows`` / ``.annual``,
        ``.metrics``, ``.first_loss``, ``.mobilisation``, ``.to_json(path)``, ``.to_excel(path)``
        (:class:`finmodel.funds.frames.FundFrames`).

    Examples
    --------
    >>> import finmodel
    >>> f = finmodel.fund("scenarios/pis_smart_city_subfund.yaml")
    >>> list(f.tranches.index)
    ['government', 'public', 'private', 'fund']
    """
    from finmodel.funds import run_portfolio

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
    finmodel.funds.FundOutput
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
    from finmodel.funds import compare_portfolio

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
    finmodel.funds.frontier_report.FrontierOutput
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
    from finmodel.funds import frontier_report

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
        and each candidate's close (:meth:`finmodel.funds.programme.ProgrammeResult.dataframe`).

    Returns
    -------
    finmodel.funds.programme_report.ProgrammeOutput
        ``.tranches`` (DataFrame: each tranche's commitment, expected loss, P(loss), IRR percentiles), ``.summary``
        (distributions of commitments deployed, orders, jobs), ``.data`` (the JSON), ``.written``.
    """
    from finmodel.funds import programme_report

    return programme_report.run(
        path, paths=paths, seed=seed, json_path=json_path, workbook_path=workbook, charts=charts, paths_out=paths_out
    )
