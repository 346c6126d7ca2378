"""First-loss solver: the smallest share of the fund's commitments that must sit ahead of the private
tranche (government + public, in their relative proportion) to keep it whole under a downside.

Many candidate structures are evaluated in one :meth:`finmodel.rows.Model.evaluate` call (candidates are
paths: commitment overrides shaped ``(candidates, 1)``); the bracket around the smallest feasible share is
narrowed on a grid of candidates per call (a multi-point bisection), until it is narrower than ``xtol``.

The criterion is pluggable, which is the hook for the Monte Carlo version: pass ``extra_overrides`` with a
leading dimension of ``m`` simulated paths (e.g. project equity cash flows ``in_p{k}_equity_cf`` shaped
``(m, fund periods)``, see :meth:`finmodel.funds.portfolio.ProjectFlows.fund_series`) and a criterion such as
:func:`expected_loss_below` or :func:`loss_probability_below`; each candidate is then evaluated on all
``m`` paths (``candidates x m`` paths in one call).

Assumption: feasibility is monotone in the share (more capital ahead of the private tranche never hurts
it), true of the subordinated waterfall of :mod:`finmodel.funds.waterfall`. Under a pari passu structure
the private tranche is whole only when it is empty (share 1) or the fund makes no loss.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from finmodel.errors import InputError

Criterion = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``criterion(loss, contributions) -> feasible``: arrays ``(candidates, m)`` of the protected tranche's
loss and contributions [KRW] -> bool ``(candidates,)``."""


def whole(tolerance: float = 1.0) -> Criterion:
    """The protected tranche loses no more than ``tolerance`` [KRW] on every path."""

    def crit(loss, contributions):
        return np.all(loss <= tolerance, axis=1)

    return crit


def expected_loss_below(target: float) -> Criterion:
    """Expected loss as a fraction of contributions at most ``target`` [fraction] (Monte Carlo)."""

    def crit(loss, contributions):
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(contributions > 0, loss / contributions, 0.0)
        return ratio.mean(axis=1) <= target

    return crit


def loss_probability_below(target: float, tolerance: float = 1.0) -> Criterion:
    """Probability of any loss (above ``tolerance`` [KRW]) at most ``target`` [fraction] (Monte Carlo)."""

    def crit(loss, contributions):
        return (loss > tolerance).mean(axis=1) <= target

    return crit


@dataclasses.dataclass
class FirstLossResult:
    """The smallest first-loss share found, and the commitments it implies."""

    share: float  # [fraction of total commitments] ahead of the protected tranche
    commitments: dict[str, float]  # [KRW] at that share
    protected: str
    protected_loss: float  # [KRW] at that share (path 0)
    bracket: tuple[float, float]
    evaluations: int
    attainable: bool  # False when only an empty protected tranche is whole (share 1)
    structure: str = ""
    case: str = ""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def commitment_overrides(terms, shares, protected: str = "private") -> dict[str, np.ndarray]:
    """Commitment inputs for candidate first-loss shares ``shares`` (n,): the total kept, the tranches ahead
    of ``protected`` in their relative proportion. Returns ``{input name: (n, 1)}``."""
    shares = np.asarray(shares, dtype=float).reshape(-1, 1)
    names = [t.name for t in terms.tranches]
    if protected not in names:
        raise InputError([("--protect", f"expected a tranche name ({', '.join(names)}), found {protected!r}")])
    total = sum(t.commitment for t in terms.tranches)
    others = [t for t in terms.tranches if t.name != protected]
    if not others:
        raise InputError([("fund.tranches", "expected at least one tranche besides the protected one")])
    base = sum(t.commitment for t in others)
    weights = {t.name: (t.commitment / base if base > 0 else 1.0 / len(others)) for t in others}
    out = {f"in_fund_{protected}_commitment": (1.0 - shares) * total}
    for name, w in weights.items():
        out[f"in_fund_{name}_commitment"] = shares * total * w
    return out


def solve(
    builder,
    *,
    protected: str = "private",
    criterion: Criterion | None = None,
    extra_overrides: dict | None = None,
    candidates: int = 33,
    xtol: float = 1e-7,
    max_rounds: int = 20,
) -> FirstLossResult:
    """Smallest first-loss share keeping ``protected`` acceptable under ``criterion`` (default: whole).

    Parameters
    ----------
    builder : finmodel.funds.waterfall.FundBuilder
        The fund model of the downside (its project cash flows are the case's).
    protected : str
        The tranche to protect (default ``private``).
    criterion : callable, optional
        See :data:`Criterion`; default :func:`whole` with a 1 KRW tolerance.
    extra_overrides : dict, optional
        Inputs with a leading dimension ``m`` (simulated paths), tiled over the candidates.
    candidates : int
        Candidate shares per evaluation call (grid points of the bracket).
    xtol : float
        Width of the final bracket [fraction of commitments]; the upper end is returned.
    """
    criterion = criterion or whole()
    terms, model = builder.terms, builder.model
    m = 1
    tiled = {}
    for k, v in (extra_overrides or {}).items():
        a = np.asarray(v, dtype=float)
        a = a.reshape(-1, 1) if model.inputs[k].kind == "scalar" else a.reshape(-1, a.shape[-1])
        m = max(m, a.shape[0])
        tiled[k] = a
    evaluations = 0

    def feasible(shares):
        nonlocal evaluations
        n = len(shares)
        ov = {k: np.repeat(v, m, axis=0) for k, v in commitment_overrides(terms, shares, protected).items()}
        for k, a in tiled.items():
            ov[k] = np.tile(a, (n, 1)) if a.shape[0] == m else np.repeat(a, n * m, axis=0)
        v = model.evaluate(ov, paths=n * m)
        evaluations += 1
        loss = v[f"fund_{protected}_loss"][:, 0].reshape(n, m)
        contrib = v[f"fund_{protected}_contributions"][:, 0].reshape(n, m)
        return np.asarray(criterion(loss, contrib), dtype=bool), loss[:, 0]

    lo, hi = 0.0, 1.0
    grid = np.linspace(lo, hi, candidates)
    ok, loss = feasible(grid)
    if ok[0]:
        lo = hi = 0.0
        at_loss = float(loss[0])
    else:
        for _ in range(max_rounds):
            if not ok.any():  # not even the last grid point: nothing feasible in (lo, hi]
                lo = hi = 1.0
                break
            i = max(1, int(np.argmax(ok)))  # grid[0] is the infeasible lower end after the first round
            lo, hi = float(grid[i - 1]), float(grid[i])
            at_loss = float(loss[i])
            if hi - lo <= xtol:
                break
            grid = np.linspace(lo, hi, candidates)
            ok, loss = feasible(grid)
        if lo == hi == 1.0:
            at_loss = float("nan")
    share = hi
    commitments = {
        k.removeprefix("in_fund_").removesuffix("_commitment"): float(v[0, 0])
        for k, v in commitment_overrides(terms, [share], protected).items()
    }
    return FirstLossResult(
        share=share,
        commitments={t.name: commitments[t.name] for t in terms.tranches},
        protected=protected,
        protected_loss=at_loss,
        bracket=(lo, hi),
        evaluations=evaluations,
        attainable=share < 1.0,
        structure=terms.structure,
    )
