"""The subordination frontier: how much private risk each won of government first loss removes.

For government first-loss shares ``g`` (fractions of total commitments, from 0 upward) the fund keeps its total
commitments and the PIS loss order (government -> public -> private); the government tranche holds ``g`` of the
total and the other tranches share the rest in their relative proportion::

    government_g = g T        other tranche t:  c_t (1 - g) T / sum of the other tranches' commitments c

Every (share, path) pair is one path of one :meth:`finmodel.rows.Model.evaluate` call (shares x paths, in chunks):
project equity cash flows are the portfolio's Monte Carlo paths (:mod:`finmodel.funds.montecarlo`: each project's
``risk:`` block, seed ``seed + i`` for project ``i``; projects without a risk block keep their deterministic
cash flows), the same paths at every share.

Per share, over ``N`` paths (loss = contributions not returned [KRW]; a loss counts when above 1 KRW):

* private expected loss ``EL_p(g)`` (+ its standard error ``std / sqrt(N)``), probability of loss, IRR P5/P50/P95
  (of paths with a defined IRR; the share of paths without one is reported);
* government expected loss ``EL_g(g)``;
* ``private_capital_per_won_gov_el`` = private commitment / ``EL_g(g)`` [KRW per KRW];
* ``private_el_removed_per_won_gov_el`` = (``EL_p(0)`` - ``EL_p(g)``) / ``EL_g(g)``: the private expected loss
  removed per won of expected loss the government takes on (relative to no government first loss).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from finmodel.conventions import KRW_TOLERANCE
from finmodel.errors import InputError
from finmodel.outputs import definitions

DEFAULT_STEPS = (0.0, 0.025, 0.05, 0.075, 0.10, 0.15, 0.20, 0.25, 0.30, 0.40, 0.50)
TOLERANCE = KRW_TOLERANCE  # [KRW]: the fund's money tolerance; a loss below it is float residue, not a loss
GOVERNMENT = "government"
PROTECTED = "private"
MAX_EVAL_PATHS = 4096  # shares x paths per model call (bounds memory: ~300 rows x periods x this many floats)


def parse_steps(steps) -> list[float]:
    """Government shares: a sequence of decimals or a comma-separated string; 0 is always included.

    Raises InputError (``--steps``) for values outside [0, 1), percent-like values, or duplicates."""
    where = "--steps"
    if steps is None:
        return list(DEFAULT_STEPS)
    if isinstance(steps, str):
        parts = [p.strip() for p in steps.split(",") if p.strip()]
        if not parts:
            raise InputError([(where, f"expected comma-separated decimals such as 0,0.05,0.1, found {steps!r}")])
        try:
            values = [float(p) for p in parts]
        except ValueError:
            raise InputError(
                [(where, f"expected comma-separated decimals such as 0,0.05,0.1, found {steps!r}")]
            ) from None
    else:
        values = [float(x) for x in steps]
    problems = []
    for v in values:
        if not math.isfinite(v) or not 0 <= v < 1:
            hint = " (a decimal: 0.05, never 5)" if math.isfinite(v) and 1 <= v <= 100 else ""
            problems.append((where, f"expected government shares in [0, 1){hint}, found {v:g}"))
    if len(set(values)) != len(values):
        problems.append((where, f"expected each share once, found {', '.join(f'{v:g}' for v in values)}"))
    if problems:
        raise InputError(problems)
    return sorted({0.0, *values})


def government_overrides(terms, shares) -> dict[str, np.ndarray]:
    """Commitment inputs ``{in_fund_<t>_commitment: (n, 1)}`` for government shares ``shares`` (n,)."""
    names = [t.name for t in terms.tranches]
    if GOVERNMENT not in names or PROTECTED not in names:
        raise InputError(
            [("fund.tranches", f"expected a {GOVERNMENT} and a {PROTECTED} tranche, found {', '.join(names)}")]
        )
    g = np.asarray(shares, dtype=float).reshape(-1, 1)
    total = sum(t.commitment for t in terms.tranches)
    others = [t for t in terms.tranches if t.name != GOVERNMENT]
    base = sum(t.commitment for t in others)
    if base <= 0:
        raise InputError([("fund.tranches", "expected commitments besides the government's, found none")])
    out = {f"in_fund_{GOVERNMENT}_commitment": g * total}
    for t in others:
        out[f"in_fund_{t.name}_commitment"] = (1.0 - g) * total * t.commitment / base
    return out


OUTPUTS = ("fund_private_loss", "fund_private_irr", "fund_government_loss")


def evaluate_shares(builder, shares, project_overrides: dict | None = None) -> dict[str, np.ndarray]:
    """The fund ``builder`` at each government share on each path of ``project_overrides`` (inputs shaped
    (m, fund periods), e.g. ``in_p{k}_equity_cf``): ``{output: (shares, m)}`` for :data:`OUTPUTS`, all in one
    model call of ``shares x m`` paths (shares outer, paths inner)."""
    shares = np.asarray(shares, dtype=float)
    n = len(shares)
    ov_in = {k: np.asarray(v, dtype=float) for k, v in (project_overrides or {}).items()}
    m = max([1, *(v.shape[0] for v in ov_in.values())])
    ov = {k: np.repeat(v, m, axis=0) for k, v in government_overrides(builder.terms, shares).items()}
    for k, v in ov_in.items():
        ov[k] = np.tile(v if v.shape[0] == m else np.repeat(v, m, axis=0), (n, 1))
    total = n * m
    run = max(total, 2)  # one path would evaluate in the scalar mode: keep the numpy one
    if total == 1:
        ov = {k: np.repeat(v, 2, axis=0) for k, v in ov.items()}
    v = builder.model.evaluate(ov, paths=run, targets=list(OUTPUTS))
    return {k: np.asarray(v[k][:total, 0], dtype=float).reshape(n, m) for k in OUTPUTS}


@dataclasses.dataclass
class Frontier:
    """Per-path results at each government share: arrays (shares, paths)."""

    shares: list[float]
    commitments: list[dict]  # per share: tranche -> commitment [KRW]
    private_loss: np.ndarray
    private_irr: np.ndarray
    government_loss: np.ndarray
    paths: int
    seed: int
    case: str = "base"
    source: str = ""
    sha256: str = ""
    simulated: dict = dataclasses.field(default_factory=dict)  # project -> seed
    tolerance: float = TOLERANCE
    projects: dict = dataclasses.field(default_factory=dict)  # p<k>_<measure> -> (paths,) [KRW], any share
    project_names: dict = dataclasses.field(default_factory=dict)  # p<k> -> project name

    def points(self) -> list[dict]:
        """The frontier's figures per share (see the module notes)."""
        n = self.paths
        out = []
        el0 = float(np.mean(self.private_loss[0]))
        for i, g in enumerate(self.shares):
            pl, gl, irr = self.private_loss[i], self.government_loss[i], self.private_irr[i]
            el_p, el_g = float(np.mean(pl)), float(np.mean(gl))
            ok = irr[np.isfinite(irr)]
            pct = np.percentile(ok, [5, 50, 95]) if ok.size else [None] * 3
            priv = self.commitments[i][PROTECTED]
            p = float(np.mean(pl > self.tolerance))
            out.append(
                {
                    "government_share": g,
                    "commitments": self.commitments[i],
                    "private_expected_loss": el_p,
                    "private_expected_loss_se": float(np.std(pl) / math.sqrt(n)),
                    "private_expected_loss_ratio": el_p / priv if priv > 0 else None,
                    "private_p_loss": p,
                    "private_p_loss_se": math.sqrt(p * (1 - p) / n),
                    "private_irr_p5": None if pct[0] is None else float(pct[0]),
                    "private_irr_p50": None if pct[1] is None else float(pct[1]),
                    "private_irr_p95": None if pct[2] is None else float(pct[2]),
                    "private_irr_undefined_share": float(1 - ok.size / n),
                    "government_expected_loss": el_g,
                    "government_expected_loss_se": float(np.std(gl) / math.sqrt(n)),
                    "private_capital_per_won_gov_el": priv / el_g if el_g > self.tolerance else None,
                    "private_el_removed_per_won_gov_el": (el0 - el_p) / el_g if el_g > self.tolerance else None,
                }
            )
        return out

    def dataframe(self):
        """Per-path results at every share, one row per (share, path) (index ``government_share``, ``path``
        0-based, the same paths at every share), under the fund's metric names: ``fund_private_loss``,
        ``fund_government_loss`` [KRW] (contributions not returned) and ``fund_private_irr`` [per year] (NaN
        where the path has none); each project's ``p<k>_invested``, ``p<k>_returned``, ``p<k>_loss`` [KRW] (the
        same at every share; ``p<k>`` named in the JSON's ``projects``). :meth:`points` are their statistics:
        expected loss = mean, P(loss) = share of paths with a loss above ``tolerance``, IRR percentiles over the
        paths with an IRR."""
        import pandas as pd

        n = len(self.shares)
        index = pd.MultiIndex.from_product([self.shares, range(self.paths)], names=["government_share", "path"])
        cols = {"fund_private_loss": self.private_loss, "fund_government_loss": self.government_loss}
        cols["fund_private_irr"] = self.private_irr
        data = {k: np.asarray(v, dtype=float).reshape(n * self.paths) for k, v in cols.items()}
        data.update({k: np.tile(np.asarray(v, dtype=float), n) for k, v in self.projects.items()})
        return pd.DataFrame(data, index)

    def to_json(self) -> dict:
        from finmodel.funds.montecarlo import project_stats
        from finmodel.version import __version__

        return {
            "finmodel_version": __version__,
            "scenario": self.source,
            "scenario_sha256": self.sha256,
            "case": self.case,
            "paths": self.paths,
            "seed": self.seed,
            "project_seeds": dict(self.simulated),
            "loss_tolerance_krw": self.tolerance,
            "loss_order": [GOVERNMENT, "public", PROTECTED],
            "definition": "government share g of total commitments (total kept, the other tranches in their "
            "relative proportion); loss = contributions not returned [KRW]; private_el_removed_per_won_gov_el = "
            "(private EL at g = 0 - private EL at g) / government EL at g; private_capital_per_won_gov_el = private "
            "commitment / government EL at g; private_irr_pN: " + definitions.IRR_OVER_PATHS,
            "points": self.points(),
            "projects": project_stats(self.project_names, self.projects, self.tolerance),
        }


def frontier(
    portfolio,
    *,
    paths: int,
    seed: int = 0,
    steps=None,
    case: str | None = None,
    chunk_size: int | None = None,
) -> Frontier:
    """The frontier of a portfolio file (path or LoadedPortfolio) under structure pis, over ``paths`` paths."""
    from finmodel.funds import model as fm
    from finmodel.funds import montecarlo as fund_paths
    from finmodel.funds import portfolio as pf
    from finmodel.funds import waterfall as wf
    from finmodel.risk import simulation

    shares = parse_steps(steps)
    simulation.check_options(paths, seed, chunk_size or simulation.DEFAULT_CHUNK_SIZE)
    lp = portfolio if isinstance(portfolio, pf.LoadedPortfolio) else pf.load(portfolio)
    case = lp.check_case(case)
    flows = pf.project_flows(lp, case)
    projects = fund_paths.simulated_projects(lp, case, seed, flows)
    terms = wf.FundTerms.from_spec(lp.fund)
    terms = terms if terms.structure == "pis" else terms.as_structure("pis")
    builder = fm.build(terms, flows)
    commit = government_overrides(terms, shares)
    commitments = [{k[8:-11]: float(v[i, 0]) for k, v in commit.items()} for i in range(len(shares))]
    chunk = chunk_size or max(1, MAX_EVAL_PATHS // len(shares))
    res = {k: np.full((len(shares), paths), np.nan) for k in OUTPUTS}
    proj: dict[str, np.ndarray] = {}
    for a, z in simulation.chunks(paths, chunk):
        cfs = fund_paths.chunk_equity_cf(projects, a, z)
        ov = fund_paths.fund_overrides(projects, cfs, builder.periods)
        if not ov:  # no project is simulated: every path is the deterministic one
            ov = {"in_p1_equity_cf": np.repeat(flows[0].fund_series(builder.periods)[None, :], z - a, axis=0)}
        v = evaluate_shares(builder, shares, ov)
        for k in OUTPUTS:
            res[k][:, a:z] = v[k]
        n = z - a  # each project's flows to the fund, the same at every share: one evaluation of the paths
        po = {k: (np.repeat(x, 2, axis=0) if n == 1 else x) for k, x in ov.items()}
        pv = builder.model.evaluate(po, paths=max(n, 2), targets=fund_paths.project_targets(builder))
        for key, x in fund_paths.project_columns(builder, pv, n).items():
            proj.setdefault(key, np.full(paths, np.nan))[a:z] = x
    return Frontier(
        shares=shares,
        commitments=commitments,
        private_loss=res["fund_private_loss"],
        private_irr=res["fund_private_irr"],
        government_loss=res["fund_government_loss"],
        paths=paths,
        seed=int(seed),
        case=case,
        source=lp.source,
        sha256=lp.sha256,
        simulated={p.name: p.seed for p in projects},
        projects=proj,
        project_names=fund_paths.project_index(builder),
    )
