"""The orchestrator: scenario -> model rows -> solved financing -> evaluated results.

``build(scenario)`` assembles the rows of every module (timeline, operations, debt, funding, tax,
waterfall, equity, returns, checks) into one :class:`~finmodel.rows.Model`. ``solve`` finds the values
the workbook cannot compute without a circular reference (debt commitments, the debt fraction or equity
commitment, sculpted repayment profiles) and ``evaluate`` runs the rows with them. ``run`` does all of it
for a loaded scenario and its cases.
"""

from __future__ import annotations

import collections
import dataclasses

import numpy as np

from finmodel.errors import FinmodelError
from finmodel.inputs import policy
from finmodel.model import blending as blending_sheet
from finmodel.model import (
    border_tax,
    checks,
    cost_shares,
    debt,
    default_loss,
    equity,
    funding,
    guarantees,
    hedging,
    ledgers,
    operations,
    returns,
    tax,
    termination,
    timeline,
    waterfall,
)
from finmodel.model.context import Builder, facility_specs
from finmodel.rows import Model

MAX_ITERATIONS = 200
REL_TOL = 1e-11  # solved amounts stable to 1e-11 relative: DSCRs then meet their targets to ~1e-10
SETTLE_WINDOW = 50
"""Iterates among which a sizing that cycles takes the least debt (:func:`_settle_cycle`)."""


def build(scenario, *, sizing_case: bool = True) -> Builder:
    """Every row of the model for ``scenario``; ``sizing_case`` adds the checks that prove the sizing.

    A scenario that has not passed the policy rules (built with ``Scenario.model_validate`` rather than
    loaded) has them run here first: :func:`finmodel.inputs.policy.check_scenario` raises its InputError.
    """
    policy.check_scenario(scenario)
    b = Builder(scenario, timeline.periods_of(scenario), facility_specs(scenario), sizing_case=sizing_case)
    timeline.build(b)
    operations.build(b)
    debt.build(b)
    border_tax.build(b)  # Withholding sheet: tax on interest paid abroad; declares the gross-up lines
    hedging.build(b)  # Hedging sheet: interest-rate swaps; declares their settlement lines
    termination.build(b)  # Termination sheet: compensation by cause; declares the sponsors' compensation line
    guarantees.build(b)  # Guarantees sheet: cover, premiums; declares its lines of the shared totals
    funding.build(b)  # the totals are built from here on: uses, tax deductions, CFADS, equity flows
    tax.build(b)
    waterfall.build(b)
    equity.build(b)
    returns.build(b)
    cost_shares.build(b)  # equity and capex shares of project cost (the project's part of fund mobilisation)
    blending_sheet.build(b)  # Blending sheet, cost of debt (with the declared premiums), metrics, warnings
    ledgers.build(b)  # Ledgers sheet: lenders and guarantors party by party, conservation checks
    default_loss.build(b)  # exposure and loss at default, senior loss, DSRA exhausted (read by the Monte Carlo)
    checks.build(b, sizing_case=sizing_case)
    missing = b.unbuilt_totals()
    if missing:
        raise FinmodelError(f"shared totals never built: {', '.join(missing)}")
    b.model.plan()  # fail early on a structural error
    return b


# --- solving the financing ---------------------------------------------------------------------------


def solve(b: Builder, overrides: dict | None = None) -> dict[str, np.ndarray]:
    """Solve debt commitments, sculpted profiles and the funding split, vectorised over paths.

    Fixed point: evaluate the model, size the debt on the resulting uses and CFADS (the smaller of the
    gearing cap and the DSCR capacity), sculpt, update the funding split, repeat until the commitments are
    stable. Returns the solved inputs (name -> array with a leading paths dimension).

    Notes
    -----
    DSCR capacity: let ``A_t = max(0, CFADS_t / target - scheduled DS of fixed senior facilities_t)``, the
    debt service the sized facilities may take. A fixed-amount facility with a sculpted repayment first takes
    ``k_f A_t`` over its repayment periods, ``k_f = amount_f / PV_f(A)``; the sized facilities share what is
    left. A sized facility ``i`` with share ``w_i`` and a
    non-sculpted profile takes ``w_i D u_{i,t}`` (``u`` = scheduled debt service per unit of commitment); a
    sculpted one takes ``k_i (A_t - D U_t)`` with ``k_i = w_i D / PV_i(A - D U)`` (PV at its own rate from
    its first repayment). The capacity is the largest ``D`` with ``A - D U >= 0`` and ``sum k_i <= 1``,
    found by bisection on all paths at once.
    """
    sc, m = b.scenario, b.model
    fac = b.facilities
    sized = [f for f in fac if f.sized]
    fixed = [f for f in fac if not f.sized]
    fixed_sculpted = [f for f in fixed if f.sculpted]
    P = _paths(m, overrides)
    T = b.periods
    solved: dict[str, np.ndarray] = {}
    for f in sized:
        solved[f.i("amount")] = np.zeros((P, 1))
    for f in fac:
        if f.sculpted:
            solved[f.i("profile")] = np.zeros((P, T))
    pro_rata = sc.debt.drawdown != "equity_first"
    fund_key = "in_debt_fraction" if pro_rata else "in_equity_commitment"
    solved[fund_key] = np.zeros((P, 1)) if pro_rata else np.full((P, 1), np.inf)
    own = [f for f in fixed if not f.currency]  # loans in another currency: their commitment row, evaluated
    fixed_total = sum((m.inputs[f.i("amount")].value for f in own), np.zeros((1, 1)))
    if overrides:
        fixed_total = sum(
            (np.asarray(overrides.get(f.i("amount"), m.inputs[f.i("amount")].value)).reshape(-1, 1) for f in own),
            np.zeros((1, 1)),
        )
    sz = sc.debt.sizing
    if sized:
        weights = np.array([f.facility.share for f in sized])
    # the solver reads these rows only: evaluate just what they need (no IRRs, no reporting rows)
    targets = ["funding_need", "operation_flag", "cfads"] + [
        f.n(w) for f in fac for w in ("scheduled_ds", "repay_flag", "period_rate", "profile", "cum_profile")
    ]
    foreign = [f for f in fixed if f.currency]  # their commitment: at the rate of close, evaluated with the rows
    targets += [f.n("commitment") for f in foreign]
    own_total = fixed_total
    prev = None
    recent: collections.deque = collections.deque(maxlen=SETTLE_WINDOW)  # (total, solved) of the last iterates
    for _ in range(MAX_ITERATIONS):
        v = m.evaluate({**(overrides or {}), **solved}, paths=P, targets=targets)
        fixed_total = own_total + sum((np.asarray(v[f.n("commitment")]).reshape(-1, 1) for f in foreign), 0.0)
        need = np.nansum(v["funding_need"], axis=1, keepdims=True)  # (P, 1)
        amounts = {}
        if sized or fixed_sculpted:
            avail0 = _room(v, fixed, sz.target_dscr)
            for f in fixed_sculpted:
                solved[f.i("profile")] = _sculpt(v, f, np.broadcast_to(v[f.i("amount")], (P, 1)), avail0)
            avail = _room_after_fixed_sculpted(v, fixed_sculpted, avail0)
        if sized:
            D = _capacity(v, sized, weights, avail)
            D_gear = sz.max_gearing * need - fixed_total
            D = np.clip(np.minimum(D, D_gear), 0.0, None)
            U = _unit_ds(v, sized, weights)
            for f, w in zip(sized, weights, strict=True):
                a = w * D
                amounts[f.i("amount")] = a
                if f.sculpted:
                    solved[f.i("profile")] = _sculpt(v, f, a, avail - D * U)
            solved.update(amounts)
        total = fixed_total + sum(amounts.values(), np.zeros((P, 1)))
        if pro_rata:
            with np.errstate(divide="ignore", invalid="ignore"):
                solved[fund_key] = np.where(need > 0, np.minimum(total / need, 1.0), 0.0)
        else:
            solved[fund_key] = np.maximum(need - total, 0.0)
        profiles = [solved[f.i("profile")] for f in fac if f.sculpted]
        state = np.concatenate([total, need] + [p * total for p in profiles], axis=1)
        if prev is not None and np.all(np.abs(state - prev) <= REL_TOL * np.maximum(1.0, np.abs(total))):
            return solved
        prev = state
        recent.append((total, {k: np.array(a, copy=True) for k, a in solved.items()}))
    return _settle_cycle(m, overrides, targets, recent, fund_key, pro_rata, P)


def _settle_cycle(m, overrides, targets, recent, fund_key: str, pro_rata: bool, P: int) -> dict[str, np.ndarray]:
    """The sizing when the fixed point cycles instead of converging: the least debt among the last iterates.

    The iteration can have no fixed point when the model jumps at the sizing point: e.g. a period tips into a
    payment default (the ledgers' default interest changes the tax deduction, hence CFADS, hence the DSCR
    capacity), so the sized amount keeps stepping between two sides of the jump. For each path this takes the
    iterate with the least total debt among the last :data:`SETTLE_WINDOW` (the lenders' conservative side),
    holds its amounts and sculpted profiles, and iterates the funding split alone until it is stable (the uses
    depend on the debt only through fees and interest during construction). The model's own checks
    (``check_debt_sizing``, the DSCRs) then say whether that debt meets the sizing rules.
    """
    totals = np.concatenate([t for t, _ in recent], axis=1)  # (paths, iterates) [currency]
    pick, rows = np.argmin(totals, axis=1), np.arange(P)
    solved = {k: np.stack([s[k] for _, s in recent])[pick, rows] for k in recent[0][1]}
    total = totals[rows, pick][:, np.newaxis]
    prev = None
    for _ in range(MAX_ITERATIONS):
        v = m.evaluate({**(overrides or {}), **solved}, paths=P, targets=targets)
        need = np.nansum(v["funding_need"], axis=1, keepdims=True)  # (P, 1)
        if pro_rata:
            with np.errstate(divide="ignore", invalid="ignore"):
                solved[fund_key] = np.where(need > 0, np.minimum(total / need, 1.0), 0.0)
        else:
            solved[fund_key] = np.maximum(need - total, 0.0)
        if prev is not None and np.all(np.abs(need - prev) <= REL_TOL * np.maximum(1.0, np.abs(need))):
            return solved
        prev = need
    raise FinmodelError(f"debt sizing did not converge in {MAX_ITERATIONS} iterations")


def _paths(m: Model, overrides) -> int:
    sizes = [
        np.asarray(v).reshape(-1, np.asarray(v).shape[-1] if np.ndim(v) else 1).shape[0]
        for v in (overrides or {}).values()
    ]
    return max(sizes + [1])


def _discount(v, f):
    """Discount factor of facility ``f`` from the start of its repayment, at its period rates."""
    r = v[f.n("period_rate")] * v[f.n("repay_flag")]
    return np.cumprod(1.0 / (1.0 + r), axis=1)


def _unit_ds(v, sized, weights):
    """Scheduled debt service per unit of sized debt of the non-sculpted sized facilities, (P, T)."""
    U = 0.0
    for f, w in zip(sized, weights, strict=True):
        if f.sculpted:
            continue
        prof = v[f.n("profile")]
        cum_prev = v[f.n("cum_profile")] - prof
        U = U + w * v["operation_flag"] * (prof + (1.0 - cum_prev) * v[f.n("period_rate")])
    return np.broadcast_to(U, v["cfads"].shape) if np.ndim(U) else np.zeros_like(v["cfads"])


def _room(v, fixed, target_dscr):
    """Debt service the sculpted and sized facilities may take: CFADS / target DSCR less the scheduled debt
    service of the fixed, non-sculpted senior facilities (never negative), (P, T)."""
    fixed_ds = sum((v[f.n("scheduled_ds")] for f in fixed if f.senior and not f.sculpted), 0.0)
    return np.maximum(0.0, v["operation_flag"] * v["cfads"] / target_dscr - fixed_ds)


def _room_after_fixed_sculpted(v, fixed_sculpted, avail):
    """What is left of ``avail`` once the fixed-amount sculpted facilities have taken their share."""
    P = avail.shape[0]
    taken = sum((_sculpted_ds(v, f, np.broadcast_to(v[f.i("amount")], (P, 1)), avail) for f in fixed_sculpted), 0.0)
    return np.maximum(0.0, avail - taken)


def sizing_limits(result, path: int = 0) -> dict | None:
    """The two limits the debt was sized against, for one path of a case whose financing was solved on it.

    Returns ``{"debt", "gearing_cap", "dscr_capacity", "max_gearing", "target_dscr", "binding"}`` (amounts in
    the scenario's currency, all debt included: fixed amounts plus sized), ``binding`` being ``"gearing"`` or
    ``"dscr"``; None when no facility is sized (every amount is fixed by the scenario) or the case kept the
    base case's financing.
    """
    b, v = result.builder, result.values
    fac = b.facilities
    sized = [f for f in fac if f.sized]
    sz = b.scenario.debt.sizing
    if not sized or sz is None or not result.resized:
        return None
    fixed = [f for f in fac if not f.sized]
    row = {k: np.asarray(x)[path : path + 1] for k, x in v.items()}
    avail = _room_after_fixed_sculpted(row, [f for f in fixed if f.sculpted], _room(row, fixed, sz.target_dscr))
    weights = np.array([f.facility.share for f in sized])

    def amount(f):  # in the model currency
        return float(row[f.n("commitment") if f.currency else f.i("amount")][0, 0])

    fixed_total = sum(amount(f) for f in fixed)
    need = float(np.nansum(row["funding_need"]))
    debt = sum(amount(f) for f in fac)
    gearing_cap = sz.max_gearing * need
    dscr_capacity = fixed_total + float(_capacity(row, sized, weights, avail)[0, 0])
    return {
        "debt": debt,
        "gearing_cap": gearing_cap,
        "dscr_capacity": dscr_capacity,
        "max_gearing": sz.max_gearing,
        "target_dscr": sz.target_dscr,
        "binding": "gearing" if gearing_cap <= dscr_capacity else "dscr",
    }


def _capacity(v, sized, weights, avail):
    """Largest sized debt D (per path) whose debt service fits within ``avail`` (bisection)."""
    U = _unit_ds(v, sized, weights)
    if all(f.sculpted for f in sized):  # closed form: sum_i w_i D / PV_i(A) = 1
        with np.errstate(divide="ignore"):
            load = sum(
                w / np.sum(avail * _discount(v, f) * v[f.n("repay_flag")], axis=1, keepdims=True)
                for f, w in zip(sized, weights, strict=True)
            )
        return np.where(np.isfinite(load) & (load > 0), 1.0 / load, 0.0)
    sculpted = [
        (f, w, _discount(v, f) * v[f.n("repay_flag")]) for f, w in zip(sized, weights, strict=True) if f.sculpted
    ]
    hi = np.sum(avail, axis=1, keepdims=True) + 1.0  # no debt can exceed the undiscounted debt service
    lo = np.zeros_like(hi)

    def feasible(D):
        x = avail - D * U
        ok = np.all(x >= -1e-9 * np.maximum(1.0, avail), axis=1, keepdims=True)
        if sculpted:
            load = 0.0
            for _, w, df in sculpted:
                pv = np.sum(np.maximum(x, 0.0) * df, axis=1, keepdims=True)
                with np.errstate(divide="ignore", invalid="ignore"):
                    load = load + np.where(pv > 0, w * D / pv, np.where(D > 0, np.inf, 0.0))
            ok &= load <= 1.0
        return ok

    for _ in range(200):
        mid = 0.5 * (lo + hi)
        ok = feasible(mid)
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
        if np.all(hi - lo <= 1e-13 * np.maximum(1.0, hi)):
            break
    return lo


def _sculpted_ds(v, f, amount, avail):
    """Debt service of facility ``f`` sculpted to ``avail``: ``k avail_t`` over its repayment periods."""
    flag = v[f.n("repay_flag")]
    x = np.maximum(avail, 0.0) * flag
    pv = np.sum(x * _discount(v, f) * flag, axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pv > 0, amount / pv, 0.0) * x


def _sculpt(v, f, amount, avail):
    """Repayment profile (fraction of commitment per period) whose debt service is proportional to
    ``avail`` over the facility's repayment periods and repays ``amount`` exactly."""
    flag = v[f.n("repay_flag")]
    r = v[f.n("period_rate")]
    ds = _sculpted_ds(v, f, amount, avail)
    P, T = flag.shape
    prof = np.zeros((P, T))
    bal = amount[:, 0].copy()
    last = T - 1 - np.argmax(flag[:, ::-1] > 0, axis=1)  # last repayment period per path
    for t in range(T):
        on = flag[:, t] > 0
        if not on.any():
            continue
        prin = np.where(on, ds[:, t] - bal * r[:, t], 0.0)
        prin = np.where(on & (last == t), bal, prin)
        bal = bal - prin
        with np.errstate(divide="ignore", invalid="ignore"):
            prof[:, t] = np.where(amount[:, 0] > 0, prin / amount[:, 0], 0.0)
    return prof


# --- results ------------------------------------------------------------------------------------------


@dataclasses.dataclass
class CaseResult:
    """One case evaluated: every row's values, its metrics and checks, and the solved inputs it used."""

    case: str
    builder: Builder
    values: dict[str, np.ndarray]
    solved: dict[str, np.ndarray]
    resized: bool
    live_cases: object = None  # the workbook's live case selector (finmodel.workbook.selector.LiveCases), if any

    @property
    def model(self) -> Model:
        return self.builder.model

    @property
    def metric_names(self) -> list[str]:
        return [n for n, r in self.model.rows.items() if r.sheet == returns.OUT]

    def metrics(self, path: int = 0) -> dict[str, float]:
        return {n: _float(self.values[n][path, 0]) for n in self.metric_names}

    def checks(self, path: int = 0) -> dict[str, bool]:
        names = list(self.builder.check_names) + ["master_check"]
        return {n: bool(self.values[n][path, 0] > 0.5) for n in names}

    def row(self, name: str, path: int = 0) -> np.ndarray:
        return self.values[name][path]


def _float(x) -> float | None:
    x = float(x)
    return None if np.isnan(x) else x


def evaluate_case(scenario, case: str, base_solved: dict | None, *, resize: bool) -> CaseResult:
    """Evaluate one (already case-modified) scenario: solve its financing, or reuse ``base_solved``."""
    b = build(scenario, sizing_case=resize or base_solved is None)
    if base_solved is None or resize:
        solved = solve(b)
        resized = True
    else:
        missing = [k for k in base_solved if k not in b.model.inputs]
        if missing:  # the case changed the structure: its financing must be solved anew
            return evaluate_case(scenario, case, None, resize=True)
        solved = base_solved
        resized = False
    values = b.model.evaluate(solved)
    return CaseResult(case, b, values, solved, resized)


def run_scenario(base_sc, cases: list[str] | None = None) -> list[CaseResult]:
    """Run the named cases (default: base) of a loaded base scenario; the file is not read again.

    Cases keep the financing solved on the base case (lenders' cases test the debt as signed) unless the
    case says ``resize_debt: true``. Every case name is checked before any work.
    """
    from finmodel.inputs.validation import case_scenario

    cases = cases or ["base"]
    case_sc = {c: case_scenario(base_sc, c) for c in dict.fromkeys(cases) if c != "base"}
    base = evaluate_case(base_sc, "base", None, resize=True)
    out = []
    for c in cases:
        if c == "base":
            out.append(base)
            continue
        out.append(evaluate_case(case_sc[c], c, base.solved, resize=bool(base_sc.cases[c].resize_debt)))
    return out


def run(path=None, cases: list[str] | None = None) -> list[CaseResult]:
    """Run the named cases (default: base) of the scenario file at ``path`` (None = embedded default).

    The file is read and validated once (:func:`run_scenario`).
    """
    from finmodel.inputs.validation import load_scenario

    return run_scenario(load_scenario(path), cases)


def every_case(scenario, results) -> list:
    """``results`` followed by an evaluation of every other case of ``scenario`` (for their inputs: the workbook's
    selector holds every case, :func:`finmodel.workbook.writer.write_scenario_workbook`). Cases keep the base
    case's financing unless ``resize_debt: true``."""
    from finmodel.inputs.validation import case_scenario
    from finmodel.schema import BASE_CASE

    have = {r.case for r in results}
    missing = [c for c in scenario.case_names() if c not in have]
    if not missing:
        return list(results)
    base = next((r for r in results if r.case == BASE_CASE), None)
    if base is None:
        base = evaluate_case(scenario, BASE_CASE, None, resize=True)
    out = list(results)
    for c in missing:
        if c == BASE_CASE:
            out.append(base)
        else:
            out.append(
                evaluate_case(case_scenario(scenario, c), c, base.solved, resize=bool(scenario.cases[c].resize_debt))
            )
    return out
