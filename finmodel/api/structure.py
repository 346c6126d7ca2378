"""The structuring solver (``finmodel solve``)."""

from __future__ import annotations


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
