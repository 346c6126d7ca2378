"""The solver's entry point: :func:`solve` validates the request, builds the trials and searches them (see the
package's description in :mod:`finmodel.structuring`)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from finmodel.errors import InputError
from finmodel.structuring import search as search_mod
from finmodel.structuring.levers import parse_lever, validator
from finmodel.structuring.output import SolveResult, binding_text, build_data
from finmodel.structuring.targets import parse_target
from finmodel.structuring.trials import Evaluator, simulated_summary

__all__ = ["SolveResult", "solve"]


def _mc_names(sc, case, seed) -> set[str]:
    return set(simulated_summary(sc, 8, seed, case).index)


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
) -> SolveResult:
    """Find the lever values that meet every target at the least objective.

    Parameters
    ----------
    scenario : str, Path or None
        A project scenario file (None: the embedded default).
    targets : list of str
        ``METRIC>=VALUE`` / ``METRIC<=VALUE`` (``VALUE`` a decimal or ``12%``); every one must hold in every case.
    vary : list of str
        Levers ``PATH[=LOW:HIGH]`` (1 to 4), by field path as validation messages name fields.
    minimise : str, optional
        ``subsidy_equivalent`` or a lever's path; default: the lever itself for one lever, else
        ``subsidy_equivalent``.
    cases : list of str, optional
        Cases the targets must hold in (default: base); the financing is sized on the base case as ``run`` does.
    paths, seed : int, optional
        Monte Carlo paths and seed for Monte Carlo targets (the same seed in every trial).
    json_path, workbook, write_scenario : optional
        Also write the JSON (``-``: standard output), the solved scenario's live workbook (``.xlsx``) and the
        solved scenario file (``.yaml``: the original with the solved values in place and a comment saying so).
        Every output is checked before any work.
    structure : str, optional
        A fund portfolio: the structure the fund runs under (``pis``, ``gif``; default the file's). A portfolio's
        levers are its fields and ``fund.tranches.government.share``; its targets the fund's metrics and, with
        ``paths``, the tranche Monte Carlo summary (:mod:`finmodel.structuring.portfolio`).

    Returns
    -------
    SolveResult
        ``.feasible``, ``.table`` (DataFrame of levers and targets), ``.tradeoff_table``, ``.binding``, ``.data``
        (the JSON), ``.scenario`` (the solved scenario), ``.written``.

    Examples
    --------
    >>> import finmodel
    >>> r = finmodel.solve(targets=["equity_irr>=15%"], vary=["revenues[Availability payment].amount"])
    >>> r.feasible, r.data["targets"][0]["achieved"] >= 0.15
    (True, True)
    """
    from finmodel.files import check_not_inputs, check_output_path
    from finmodel.inputs.validation import load_scenario
    from finmodel.model import engine
    from finmodel.outputs.results import Result
    from finmodel.schema import reading

    js = check_output_path(json_path, ".json", "--json")
    wb = check_output_path(workbook, ".xlsx", "--output")
    ys = None
    if write_scenario is not None:
        if Path(write_scenario).suffix.lower() not in (".yaml", ".yml"):
            raise InputError([("--write-scenario", f"expected a .yaml file name, found {str(write_scenario)!r}")])
        ys = check_output_path(write_scenario, Path(write_scenario).suffix.lower(), "--write-scenario")
    if isinstance(scenario, str | Path):
        check_not_inputs({"--json": js, "--output": wb, "--write-scenario": ys}, [scenario])
    if not targets:
        raise InputError([("--target", "expected at least one target METRIC>=VALUE, found none")])
    if not vary:
        raise InputError([("--vary", "expected at least one lever PATH[=LOW:HIGH], found none")])
    if paths is not None and paths < 1:
        raise InputError([("--paths", f"expected a positive number of paths, found {paths}")])
    data, source = reading.read(None if scenario is None else scenario)
    raw = reading.parse(data, source)
    if "projects" in raw and "project" not in raw:  # a fund portfolio
        from finmodel.structuring.portfolio import solve_portfolio

        return solve_portfolio(
            raw, data, source, targets=targets, vary=vary, minimise=minimise, cases=cases, paths=paths, seed=seed,
            structure=structure, js=js, wb=wb, ys=ys,
        )  # fmt: skip
    if structure is not None:
        raise InputError([("--structure", "expected a fund portfolio for --structure, found a project scenario")])
    text = data.decode("utf-8-sig")
    base_sc = load_scenario(scenario)
    cases = list(dict.fromkeys(cases or ["base"]))
    base_runs = engine.run_scenario(base_sc, list(dict.fromkeys(["base", *cases])))
    deterministic = set(base_runs[0].metric_names)
    mc = _mc_names(base_sc, cases[0], seed) if paths else None
    if mc is not None and not base_sc.risk:
        raise InputError([("--paths", "expected a scenario with a risk: block for Monte Carlo targets, found none")])
    tgts = [parse_target(t, deterministic, mc) for t in targets]
    from finmodel.inputs.validation import scenario_from_dict

    valid = validator(scenario_from_dict, source)
    scale = float(base_runs[0].metrics().get("total_uses") or 0.0)
    levers = [parse_lever(v, raw, base_sc, valid, scale) for v in vary]
    if len({lv.keys for lv in levers}) != len(levers):
        raise InputError([("--vary", "expected each lever once, found a field named twice")])
    objective = minimise or (levers[0].name if len(levers) == 1 else "subsidy_equivalent")
    names = [lv.name for lv in levers]
    if objective not in {*names, "subsidy_equivalent"}:
        allowed = ", ".join(["subsidy_equivalent", *names])
        raise InputError([("--minimise", f"expected one of {allowed}, found {objective!r}")])
    ev = Evaluator(raw, source, levers, tgts, cases, paths, seed)
    found = _search(ev, objective)
    cur = base_sc.project.currency
    fmts = {n: base_runs[0].model.rows[n].fmt for n in deterministic}
    binding = binding_text(found, ev, tgts, cur, fmts)
    out = build_data(base_sc, ev, tgts, objective, found, binding, search_mod.TOLERANCE, found.outer_step)
    out["currency"], out["formats"] = (
        cur,
        {t.metric: fmts.get(t.metric) for t in tgts}
        | {
            k: fmts[k]
            for k in ("subsidy_equivalent", "package_grant_element", "equity_irr", "min_dscr", "total_debt")
            if k in fmts
        },
    )
    res = SolveResult(
        found.best is not None,
        out["levers"],
        out["targets"],
        objective,
        found.best,
        found.tradeoff,
        binding,
        len(found.trials),
        out,
    )
    if found.best is not None:
        from finmodel.structuring.rewrite import rewrite

        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
        solved_text = rewrite(text, levers, found.best.values, f"solved by finmodel solve {stamp}")
        res.scenario = ev.scenario(found.best.values)
        if ys is not None:
            from finmodel.files import atomic_write

            res.written.append(atomic_write(ys, lambda tmp: Path(tmp).write_text(solved_text, encoding="utf-8")))
        if wb is not None:
            solved = Result(res.scenario, engine.run_scenario(res.scenario, cases))
            solved.scenario_text = solved_text
            from finmodel.structuring.sheet import add_sheet

            solved.to_excel(wb, extra=lambda book, lay, live: add_sheet(book, lay, live, out, levers))
            res.written.extend(solved.written)
    elif wb is not None or ys is not None:
        out["not_written"] = "infeasible: no solved scenario to write"
    if js is not None:
        from finmodel.outputs.contract import write_json

        res.written.append(write_json(out, js))
    return res


def _search(ev, objective: str):
    """The search, the quick way where it applies (:meth:`Evaluator.quicken`), its answer then run the full way:
    kept when every target's achieved value and every recorded metric agree to 1e-9 (relative), else searched
    again the full way (a lever whose value changes the model's structure, not only its input)."""
    if not ev.quicken():
        return search_mod.run(ev, objective)
    found = search_mod.run(ev, objective)
    count = ev.count
    if found.best is None:
        ev.slow()
        return search_mod.run(ev, objective)
    quick = found.best
    ev.slow()
    full = ev(quick.values)
    if _agree(quick, full):
        ev.count += count
        ev.cache.update({t.values: t for t in found.trials if t.values not in ev.cache})
        ev.cache[full.values] = full
        found.best = full
        return found
    return search_mod.run(ev, objective)


def _agree(a, b, rel: float = 1e-9) -> bool:
    """Two trials of the same values with the same outcome: refusals, failures, achieved values and metrics."""
    if (a.refused, a.failed) != (b.refused, b.failed) or a.achieved.keys() != b.achieved.keys():
        return False

    def close(x, y):
        if x is None or y is None:
            return x is y
        return math.isclose(x, y, rel_tol=rel, abs_tol=1e-12)

    return all(close(a.achieved[k], b.achieved[k]) for k in a.achieved) and all(
        close(a.metrics.get(k), b.metrics.get(k)) for k in a.metrics
    )
