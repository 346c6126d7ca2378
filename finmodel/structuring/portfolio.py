"""``finmodel solve PORTFOLIO``: the structuring solver on a fund portfolio (levers on the portfolio file, such as
``fund.tranches.government.share`` (the first-loss share of commitments, the other tranches keeping their
proportions) or ``fund.tranches.private.preferred_return``; targets on the fund's tranche metrics and, with
``--paths``, the Monte Carlo tranche summary: ``fund_private_expected_loss``, ``fund_private_p_loss``)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from finmodel.errors import InputError
from finmodel.structuring import search as search_mod
from finmodel.structuring.levers import parse_lever, validator
from finmodel.structuring.output import SolveResult, binding_text, build_data
from finmodel.structuring.targets import parse_target
from finmodel.structuring.trials import PortfolioEvaluator

MC_MEASURES = ("p_loss", "p_loss_se", "expected_loss", "expected_loss_se", "expected_loss_ratio", "loss_p99")


def solve_portfolio(
    raw, data: bytes, source: str, *, targets, vary, minimise, cases, paths, seed, structure, js, wb, ys
):
    """The portfolio solve (arguments as :func:`finmodel.structuring.solve`, outputs already checked)."""
    from finmodel.funds import portfolio, schema

    sha = hashlib.sha256(data).hexdigest()
    spec = schema.validate_dict(raw, source)
    lp = portfolio.load(None, read=(spec, source, sha))
    cases = list(dict.fromkeys(cases or ["base"]))
    ev = PortfolioEvaluator(raw, source, [], [], cases, paths, seed, structure, sha)
    base, _, _ = ev.results(lp, cases[0])
    deterministic = set(base.metrics())
    tranches = list(spec.fund.tranches)
    mc = {f"fund_{t}_{w}" for t in tranches for w in MC_MEASURES} if paths else None
    tgts = [parse_target(t, deterministic, mc) for t in targets]
    scale = float(sum(t.commitment for t in spec.fund.tranches.values()))
    levers = [parse_lever(v, raw, spec, validator(schema.validate_dict, source), scale) for v in vary]
    if len({lv.keys for lv in levers}) != len(levers):
        raise InputError([("--vary", "expected each lever once, found a field named twice")])
    names = [lv.name for lv in levers]
    objective = minimise or names[0]
    if objective not in {*names, *deterministic}:
        allowed = f"a lever ({', '.join(names)}) or a fund metric"
        raise InputError([("--minimise", f"expected {allowed}, found {objective!r}")])
    ev.levers, ev.targets = levers, tgts
    found = search_mod.run(ev, objective)
    fmts = {n: base.model.rows[n].fmt for n in deterministic if n in base.model.rows}
    binding = binding_text(found, ev, tgts, "KRW", fmts)
    out = build_data(lp, ev, tgts, objective, found, binding, search_mod.TOLERANCE, found.outer_step)
    out["currency"], out["structure"] = "KRW", structure or spec.fund.structure
    out["formats"] = {k: fmts.get(k) for k in {*(t.metric for t in tgts), *out["solution_metrics"]}}
    res = SolveResult(found.best is not None, out["levers"], out["targets"], objective, found.best, found.tradeoff,
                      binding, len(found.trials), out)  # fmt: skip
    if found.best is not None:
        from finmodel.files import atomic_write
        from finmodel.structuring.rewrite import rewrite

        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
        moved = _repointed(spec, source, ys)
        note = f"solved by finmodel solve {stamp}"
        text = rewrite(data.decode("utf-8-sig"), levers, found.best.values, note, paths=moved)
        res.scenario = ev.scenario(found.best.values)
        if ys is not None:
            res.written.append(atomic_write(ys, lambda tmp: Path(tmp).write_text(text, encoding="utf-8")))
        if wb is not None:
            from finmodel.funds import workbook as wbk

            solved, _, _ = ev.results(res.scenario, cases[0])
            res.written.append(wbk.write([solved], wb, res.scenario))
    if js is not None:
        from finmodel.outputs.contract import write_json

        res.written.append(write_json(out, js))
    return res


def _repointed(spec, source: str, out) -> list[tuple[tuple, str]]:
    """The project scenario paths of a portfolio written to ``out`` in another folder: each relative path made
    relative to ``out``'s folder (absolute where no relative path exists), so the written file runs as is."""
    import os

    from finmodel.funds import schema

    if out is None:
        return []
    here, there = Path(source).resolve().parent, Path(out).resolve().parent
    if here == there:
        return []
    moved = []
    for i, entry in enumerate(spec.projects):
        p = schema.scenario_path(entry, source)
        if p is None or Path(entry.scenario).is_absolute():
            continue
        try:
            new = os.path.relpath(p, there)
        except ValueError:  # another drive
            new = str(p)
        moved.append((("projects", i, "scenario"), new))
    return moved
