"""One trial of the structuring solver: the scenario with the levers at given values, validated, its financing
re-sized as ``finmodel run`` sizes it (debt sizing, funding split, IDC and fees solved anew), its cases run and
(with ``--paths``) simulated; the metrics the targets and the objective read. Trials are cached by value.

The quick way (:meth:`Evaluator.quicken`): where every lever is one scalar input of the model (the availability
payment is ``in_rev1_amount``) and only the base case is asked for, without ``--paths``, a trial validates the
scenario with the levers set (the same rules as ``run``) and then solves and evaluates one model built once,
with the levers' inputs set, instead of building it again (about half the time of a trial). The solver then runs
the answer the full way and keeps it only if every metric agrees (``finmodel.structuring.solver._search``); otherwise
it searches again the full way."""

from __future__ import annotations

import dataclasses
import math

from finmodel.errors import InputError
from finmodel.structuring.levers import first_problem, with_values

# what every trial records besides the targets' metrics (the objective and the officer's summary)
ALWAYS = ("subsidy_equivalent", "package_grant_element", "equity_irr", "min_dscr", "total_debt")


@dataclasses.dataclass
class Trial:
    """Lever values, the achieved value of each target (the worst over the cases), the recorded metrics of the
    base case, and why the trial could not run (``refused``: a rule refuses the values; ``failed``: an
    integrity check failed, a finmodel defect reported as such)."""

    values: tuple
    achieved: dict
    metrics: dict
    refused: str | None = None
    failed: str | None = None

    def feasible(self, targets) -> bool:
        return self.refused is None and self.failed is None and all(t.met(self.achieved.get(t.text)) for t in targets)

    def objective(self, name: str, levers) -> float:
        names = [lv.name for lv in levers]
        if name in names:
            return self.values[names.index(name)]
        v = self.metrics.get(name)
        return math.inf if v is None else float(v)


class Evaluator:
    """Run trials of ``raw`` (the base scenario as read) for lever values; ``count``: trials run (not cached)."""

    def __init__(self, raw, source, levers, targets, cases, paths=None, seed=0):
        self.raw, self.source, self.levers, self.targets = raw, source, levers, targets
        self.cases = list(cases) or ["base"]
        self.paths, self.seed = paths, seed
        self.cache: dict[tuple, Trial] = {}
        self.count = 0
        self.quick = None  # (builder, input name of each lever) once set up by quicken()

    def quicken(self) -> bool:
        """Set up the quick way if it applies (see the module notes); True when it does."""
        from finmodel.model import engine
        from finmodel.workbook.scenario_paths import scenario_path

        if self.paths or self.cases != ["base"] or any(lv.kind != "field" for lv in self.levers):
            return False
        try:
            b = engine.build(self.scenario([lv.clamp(lv.value) for lv in self.levers]))
        except InputError:
            return False
        names = []
        for lv in self.levers:
            dotted = ".".join(str(k) for k in lv.keys)
            found = [n for n, i in b.model.inputs.items() if i.kind == "scalar" and scenario_path(n, i) == dotted]
            if len(found) != 1:
                return False
            names.append(found[0])
        self.quick = (b, names)
        self.cache.clear()
        return True

    def slow(self) -> None:
        """Back to the full way for every trial (the cache of quick trials dropped)."""
        self.quick = None
        self.cache.clear()

    def scenario(self, values):
        """The validated scenario with the levers at ``values`` (InputError if a rule refuses them)."""
        from finmodel.inputs.validation import scenario_from_dict

        return scenario_from_dict(with_values(self.raw, self.levers, values), self.source)

    def __call__(self, values) -> Trial:
        key = tuple(lv.clamp(x) for lv, x in zip(self.levers, values, strict=True))
        if key not in self.cache:
            self.cache[key] = self._run(key)
            self.count += 1
        return self.cache[key]

    def _run(self, values) -> Trial:
        from finmodel.model import engine
        from finmodel.outputs.results import integrity_failures

        try:
            sc = self.scenario(values)
        except InputError as exc:
            return Trial(values, {}, {}, refused=first_problem(exc))
        if self.quick is not None:
            import numpy as np

            b, names = self.quick
            overrides = {n: np.array([[float(x)]]) for n, x in zip(names, values, strict=True)}
            solved = engine.solve(b, overrides)
            runs = [engine.CaseResult("base", b, b.model.evaluate({**overrides, **solved}), solved, True)]
        else:
            runs = engine.run_scenario(sc, list(dict.fromkeys(["base", *self.cases])))
        failures = integrity_failures(runs)
        by_case = {r.case: r.metrics() for r in runs}
        base = by_case["base"]
        metrics = {k: base.get(k) for k in ALWAYS}
        achieved = {}
        for t in self.targets:
            if t.monte_carlo:
                continue
            vals = [by_case[c].get(t.metric) for c in self.cases]
            achieved[t.text] = _worst(t, vals)
            metrics[t.metric] = base.get(t.metric)
        if any(t.monte_carlo for t in self.targets):
            for t, v in self._simulate(sc).items():
                achieved[t] = v
        return Trial(values, achieved, metrics, failed="; ".join(failures) if failures else None)

    def _simulate(self, sc) -> dict:
        """Monte Carlo metrics of the targets (the worst over the cases): the same seed in every trial, so the
        solver moves along one set of paths (common random numbers) and a target is a function of the lever."""
        out: dict = {}
        for case in self.cases:
            summary = simulated_summary(sc, self.paths, self.seed, case)
            for t in self.targets:
                if t.monte_carlo:
                    v = summary.get(t.metric)
                    v = None if v is None or not math.isfinite(float(v)) else float(v)
                    out[t.text] = v if t.text not in out else _worst(t, [out[t.text], v])
        return out


def _worst(t, vals):
    if any(v is None or not math.isfinite(v) for v in vals):
        return None
    return min(vals) if t.op == ">=" else max(vals)


def simulated_summary(sc, paths: int, seed: int, case: str):
    """The Monte Carlo summary (a Series) of a scenario, in this process, without the driver explanation."""
    from finmodel.risk import api as risk_api
    from finmodel.risk.frames import SimulationResult

    out = risk_api.simulate(sc, paths=paths, seed=seed, case=case, workers=1, explain_paths=0)
    return SimulationResult(out.result, out.deterministic, out.written).summary


class PortfolioEvaluator(Evaluator):
    """Trials of a fund portfolio (``finmodel solve PORTFOLIO``): the portfolio file with the levers set, validated
    by the fund's rules, its projects loaded as ``finmodel compare`` loads them, the fund run under ``structure``
    (default the file's); targets on the fund's metrics (``fund_private_irr``, ``fund_private_loss`` ...) and,
    with ``paths``, the Monte Carlo tranche summary (``fund_private_expected_loss``, ``fund_private_p_loss``). The
    projects' cash flows are computed once per distinct ``projects`` block (a fund lever leaves them alone)."""

    def __init__(self, raw, source, levers, targets, cases, paths=None, seed=0, structure=None, sha256=""):
        super().__init__(raw, source, levers, targets, cases, paths, seed)
        self.structure, self.sha256 = structure, sha256
        self._flows: dict = {}

    def scenario(self, values):
        from finmodel.funds import portfolio, schema

        spec = schema.validate_dict(with_values(self.raw, self.levers, values), self.source)
        return portfolio.load(None, read=(spec, self.source, self.sha256))

    def results(self, lp, case):
        """The fund under the structure for ``case`` (project flows cached)."""
        import json

        from finmodel.funds import model
        from finmodel.funds import portfolio as pf
        from finmodel.funds import waterfall as wf

        case = lp.check_case(None if case == "base" else case)
        key = (case, json.dumps(lp.spec.model_dump(mode="json", exclude={"fund"}), sort_keys=True, default=str))
        if key not in self._flows:
            self._flows[key] = pf.project_flows(lp, case)
        terms = wf.FundTerms.from_spec(lp.fund)
        structure = self.structure or terms.structure
        return model.evaluate(terms.as_structure(structure), self._flows[key], case), self._flows[key], case

    def _run(self, values) -> Trial:
        try:
            lp = self.scenario(values)
        except InputError as exc:
            return Trial(values, {}, {}, refused=first_problem(exc))
        by_case, failures = {}, []
        for case in self.cases:
            res, flows, pcase = self.results(lp, case)
            m = res.metrics()
            if self.paths and any(t.monte_carlo for t in self.targets):
                from finmodel.funds import montecarlo

                s = res.structure
                mc = montecarlo.simulate_fund(
                    lp, paths=self.paths, seed=self.seed, case=pcase, structures=(s,), flows=flows
                )
                m = {**m, **mc.summary(s), **expected_loss_ratios(lp, mc.summary(s))}
            failed = [n for n, ok in res.checks().items() if not ok and n != "master_check"]
            failures += [f"case {case}: {n}" for n in failed]
            by_case[case] = m
        first = by_case[self.cases[0]]
        achieved = {t.text: _worst(t, [by_case[c].get(t.metric) for c in self.cases]) for t in self.targets}
        metrics = {k: first.get(k) for k in PORTFOLIO_ALWAYS if k in first}
        metrics.update({t.metric: first.get(t.metric) for t in self.targets})
        return Trial(values, achieved, metrics, failed="; ".join(failures) if failures else None)


PORTFOLIO_ALWAYS = (
    "fund_private_irr", "fund_private_loss", "fund_government_loss", "fund_government_contributions",
    "fund_irr", "fund_loss",
)  # fmt: skip


def expected_loss_ratios(lp, summary: dict) -> dict[str, float | None]:
    """``fund_<tranche>_expected_loss_ratio``: each tranche's expected loss / its commitment [fraction] (the
    frontier's measure: "private expected loss under 1 % of its commitments")."""
    out = {}
    for name, tr in lp.fund.tranches.items():
        el = summary.get(f"fund_{name}_expected_loss")
        out[f"fund_{name}_expected_loss_ratio"] = el / tr.commitment if el is not None and tr.commitment > 0 else None
    return out
