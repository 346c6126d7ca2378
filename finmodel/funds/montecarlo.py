"""Fund tranche losses under Monte Carlo: each project's simulated SPC equity cash flows through the fund.

For a portfolio file (:func:`finmodel.funds.portfolio.load`), every project whose scenario has a ``risk:``
block is simulated with the machinery of :mod:`finmodel.risk.simulation` (financing sized on the project's
base case, held fixed), keeping each path's ``equity_cf`` row (paths x project periods). Those rows are
mapped onto the fund's periods exactly as the deterministic fund maps them
(:meth:`finmodel.funds.portfolio.ProjectFlows.fund_series`: same dates, same mapping matrix; the model applies
stake and FX to KRW) and the fund model (:mod:`finmodel.funds.model`, one per structure, ``pis`` / ``gif`` as
``compare`` switches them) is evaluated once per chunk with overrides ``in_p{k}_equity_cf`` shaped
(paths, fund periods). Projects without a risk block keep their deterministic cash flows.

Seeds: the project at position ``i`` (0-based) of the portfolio's ``projects`` list uses seed ``seed + i``,
so its paths are exactly those of ``finmodel simulate <its scenario> --seed <seed + i> --case <its case>``
(path ``j`` of the fund run is path ``j`` of that simulation) when ``correlation`` is 0 (the default:
projects drawn independently). With ``correlation`` rho > 0 the projects share one macro (country / cycle)
factor ``M`` per path and period, drawn from its own stream of ``seed``: each project's demand and
political-event scores become ``sqrt(rho) M + sqrt(1 - rho) z`` (:func:`finmodel.risk.simulation._mix_macro`),
so the scores of two projects correlate with rho while each project's own distribution is unchanged.
``finmodel/data/risk.yaml`` (portfolio.macro_correlation) states a default view of rho with its source.

First loss on Monte Carlo results (:func:`first_loss_monte_carlo`): the smallest government + public share
of commitments keeping the protected tranche's expected loss (or its loss probability) within a target over
the simulated paths, solved by :func:`finmodel.funds.first_loss.solve` with the paths' project cash flows.

Memory: paths run in chunks (``chunk_size``); a chunk's project rows and fund rows are dropped before the
next; what is kept is one loss per tranche, structure and path.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from finmodel.conventions import KRW_TOLERANCE
from finmodel.errors import InputError
from finmodel.risk import simulation

TOLERANCE = KRW_TOLERANCE
"""A tranche loses on a path when its loss exceeds this [KRW] (the fund's money tolerance)."""


@dataclasses.dataclass
class _Project:
    k: int  # 1-based fund model index (in_p{k}_equity_cf)
    name: str
    seed: int
    flows: object  # finmodel.funds.portfolio.ProjectFlows (deterministic; its mapping to fund periods)
    spec: simulation.SimSpec


@dataclasses.dataclass
class FundSimulationResult:
    """Per-path tranche losses [KRW] by structure: ``losses[structure][tranche]`` arrays of shape (paths,)."""

    portfolio: object  # LoadedPortfolio
    case: str
    paths: int
    seed: int
    chunk_size: int
    tolerance: float
    seeds: dict[str, int]  # simulated project -> its seed
    structures: list[str]
    tranches: dict[str, list[str]]  # structure -> tranche names
    losses: dict[str, dict[str, np.ndarray]]
    deterministic: dict[str, dict[str, float]]  # structure -> tranche -> deterministic loss [KRW]
    correlation: float = 0.0  # loading on the shared macro factor
    irr: dict = dataclasses.field(default_factory=dict)  # structure -> tranche -> (paths,) [per year], NaN: none
    multiple: dict = dataclasses.field(default_factory=dict)  # structure -> tranche -> (paths,) [x]
    projects: dict = dataclasses.field(default_factory=dict)  # p<k>_<measure> -> (paths,) [KRW]
    project_names: dict = dataclasses.field(default_factory=dict)  # p<k> -> project name

    def summary(self, structure: str) -> dict[str, float]:
        """``fund_<tranche>_p_loss`` (+ ``_se``, binomial ``sqrt(p (1 - p) / N)``), ``fund_<tranche>_expected_loss``
        [KRW] (+ ``_se``, ``std / sqrt(N)``) and ``fund_<tranche>_loss_p99`` [KRW] (numpy linear percentile)."""
        n = self.paths
        out: dict[str, float] = {}
        for t in self.tranches[structure]:
            x = self.losses[structure][t]
            p = float(np.mean(x > self.tolerance))
            out[f"fund_{t}_p_loss"] = p
            out[f"fund_{t}_p_loss_se"] = math.sqrt(p * (1.0 - p) / n)
            out[f"fund_{t}_expected_loss"] = float(np.mean(x))
            out[f"fund_{t}_expected_loss_se"] = float(np.std(x) / math.sqrt(n))
            out[f"fund_{t}_loss_p99"] = float(np.percentile(x, 99))
        return out

    def dataframe(self):
        """Per-path results, one row per path (index ``path``, 0-based): per structure and tranche the fund's
        metric names prefixed by the structure, ``<structure>_fund_<tranche>_loss`` [KRW] (contributions not
        returned), ``_irr`` [per year, NaN where the path has none] and ``_multiple`` [x]; per project
        ``p<k>_invested``, ``p<k>_returned``, ``p<k>_loss`` [KRW]
        (:func:`project_columns`; ``p<k>`` named in the JSON's ``projects``). :meth:`summary` is their statistics:
        expected loss = mean, P(loss) = share of paths with a loss above ``tolerance``, P99 = numpy's linear
        percentile."""
        import pandas as pd

        cols = {}
        for s in self.structures:
            for t in self.tranches[s]:
                cols[f"{s}_fund_{t}_loss"] = self.losses[s][t]
                if s in self.irr:
                    cols[f"{s}_fund_{t}_irr"] = self.irr[s][t]
                    cols[f"{s}_fund_{t}_multiple"] = self.multiple[s][t]
        cols.update(self.projects)
        df = pd.DataFrame(cols)
        df.index.name = "path"
        return df

    def to_json(self) -> dict:
        return {
            "paths": self.paths,
            "seed": self.seed,
            "project_seeds": dict(self.seeds),
            "case": self.case,
            "macro_correlation": self.correlation,
            "loss_tolerance_krw": self.tolerance,
            "note": "project drivers as in each scenario's risk block, financing as sized on its base case; "
            "projects without a risk block keep their deterministic cash flows",
            "structures": {s: self.summary(s) for s in self.structures},
            "projects": project_stats(self.project_names, self.projects, self.tolerance),
        }

    def table(self):
        """A rich Table: one row per tranche, per structure P(loss) ± se, expected loss and P99 [bn KRW]."""
        from rich.table import Table

        from finmodel.term import text

        t = Table(
            title=text(
                f"Fund tranche losses: {self.paths:,} paths, seed {self.seed} "
                f"(simulated: {', '.join(f'{k} seed {v}' for k, v in self.seeds.items()) or 'none'})"
            ),
            title_justify="left",
        )
        t.add_column("tranche")
        t.add_column("structure")
        for head in ("P(loss) ± s.e.", "expected loss", "P99 loss"):
            t.add_column(head, justify="right")
        names = list(dict.fromkeys(n for s in self.structures for n in self.tranches[s]))
        sums = {s: self.summary(s) for s in self.structures}
        for name in names:  # one line per tranche and structure: fits a 100-column terminal
            shown = [s for s in self.structures if f"fund_{name}_p_loss" in sums[s]]
            for k, s in enumerate(shown):
                m = sums[s]
                t.add_row(
                    text(name) if k == 0 else "",
                    text(s),
                    f"{m[f'fund_{name}_p_loss']:.2%} ± {m[f'fund_{name}_p_loss_se']:.2%}",
                    f"{m[f'fund_{name}_expected_loss'] / 1e9:,.2f} bn",
                    f"{m[f'fund_{name}_loss_p99'] / 1e9:,.2f} bn",
                    end_section=(k == len(shown) - 1),
                )
        t.caption = f"loss = contributions not returned [KRW]; P(loss): loss > {self.tolerance:g} KRW, ± binomial s.e."
        return t


def _project_case(lp, case: str, entry) -> str:
    pcase = lp.spec.cases.get(case)
    if pcase is not None and pcase.changes:
        raise InputError(
            [
                (
                    f"cases.{case}.changes",
                    "expected a portfolio case without changes for --paths (Monte Carlo runs each "
                    "project's own scenario cases), found changes",
                )
            ],
            lp.source,
        )
    return (pcase.projects.get(entry.name) if pcase else None) or entry.case


def check_correlation(correlation) -> None:
    if not isinstance(correlation, (int, float)) or not 0.0 <= float(correlation) < 1.0:
        raise InputError([("--correlation", f"expected a loading 0 <= rho < 1 such as 0.3, found {correlation!r}")])


def simulated_projects(lp, case: str, seed: int, flows, correlation: float = 0.0) -> list[_Project]:
    """The portfolio's projects with a ``risk:`` block, each prepared for simulation with seed ``seed + i``
    and, with a ``correlation``, the shared macro factor of ``seed``."""
    project_cases = [_project_case(lp, case, e) for e in lp.spec.projects]
    projects: list[_Project] = []
    for i, (entry, sc) in enumerate(zip(lp.spec.projects, lp.scenarios, strict=True)):
        if sc.risk is None:
            continue
        sc_case, det = simulation.prepare(sc, project_cases[i])  # the scenario loaded with the portfolio
        spec = simulation.make_spec(sc_case, project_cases[i], det, seed + i, keep_rows=("equity_cf",))
        if correlation > 0:
            spec = dataclasses.replace(spec, macro=(float(correlation), int(seed)))
        if len(flows[i].index) != det.model.periods:  # the same project run as the deterministic fund's
            raise InputError([(f"projects.{i}", "project periods differ between the fund and the simulation")])
        projects.append(_Project(i + 1, entry.name, seed + i, flows[i], spec))
    return projects


def chunk_equity_cf(projects: list[_Project], a: int, z: int) -> dict[int, np.ndarray]:
    """Paths ``a..z-1`` of each simulated project's equity cash flows: ``{k: (z - a, project periods)}``."""
    return {p.k: simulation.run_chunk(p.spec, a, z)["equity_cf"] for p in projects}


def fund_overrides(projects: list[_Project], cfs: dict, fund_periods: int) -> dict[str, np.ndarray]:
    """The fund model's inputs ``in_p{k}_equity_cf`` (paths, fund periods) of a chunk's simulated cash flows."""
    return {f"in_p{p.k}_equity_cf": p.flows.fund_series(fund_periods, equity_cf=cfs[p.k]) for p in projects}


TRANCHE_MEASURES = ("loss", "irr", "multiple")


def project_targets(builder) -> list[str]:
    """The fund rows each project's per-path figures come from: ``p<k>_invest``, ``p<k>_dist``, ``p<k>_exit``."""
    return [f"p{k}_{w}" for k in range(1, len(builder.projects) + 1) for w in ("invest", "dist", "exit")]


def project_columns(builder, v, n: int) -> dict[str, np.ndarray]:
    """Per path (the first ``n`` of ``v``), each project ``p<k>`` (its position in the portfolio, 1-based; the
    names are in the JSON's ``projects``): ``p<k>_invested`` [KRW] (the fund's investment in it over the term),
    ``p<k>_returned`` [KRW] (distributions in the term + the exit value at the term) and ``p<k>_loss`` [KRW]
    (invested not returned, at least 0)."""
    out: dict[str, np.ndarray] = {}
    for k in range(1, len(builder.projects) + 1):
        invested = v[f"p{k}_invest"][:n].sum(axis=1)
        returned = v[f"p{k}_dist"][:n].sum(axis=1) + v[f"p{k}_exit"][:n].sum(axis=1)
        out[f"p{k}_invested"] = invested
        out[f"p{k}_returned"] = returned
        out[f"p{k}_loss"] = np.maximum(0.0, invested - returned)
    return out


def project_index(builder) -> dict[str, str]:
    """``{"p1": project name, ...}``: what the per-path files' ``p<k>_`` columns stand for (user text stays out
    of column names)."""
    return {f"p{k}": p.name for k, p in enumerate(builder.projects, 1)}


def project_stats(names: dict, cols: dict, tolerance: float = TOLERANCE) -> dict:
    """``{p<k>: {"name", "expected_loss" [KRW], "p_loss"}}`` over the paths of :func:`project_columns`' ``cols``:
    the JSON's statistics of the per-path files' project columns (mean; share of paths above ``tolerance``)."""
    out = {}
    for key, name in names.items():
        if f"{key}_loss" in cols:
            x = cols[f"{key}_loss"]
            out[key] = {"name": name, "expected_loss": float(np.mean(x)), "p_loss": float(np.mean(x > tolerance))}
    return out


def expected_loss_within(target: float, tolerance: float = TOLERANCE):
    """First-loss criterion: mean over paths of the protected tranche's loss / contributions at most
    ``target``, a loss up to ``tolerance`` [KRW] counting as none (as the deterministic solver's "whole")."""

    def crit(loss, contributions):
        lost = np.where(loss > tolerance, loss, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(contributions > 0, lost / contributions, 0.0)
        return ratio.mean(axis=1) <= target

    return crit


def first_loss_monte_carlo(
    portfolio,
    *,
    paths: int,
    seed: int = 0,
    case: str | None = None,
    max_expected_loss: float = 0.0,
    protect: str = "private",
    correlation: float = 0.0,
    structure: str | None = None,
):
    """Smallest first-loss share keeping ``protect``'s expected loss, as a fraction of its contributions and
    averaged over ``paths`` simulated paths, at most ``max_expected_loss`` (:func:`expected_loss_within`).
    Project ``i`` uses seed ``seed + i`` as in :func:`simulate_fund`. Returns a
    :class:`finmodel.funds.first_loss.FirstLossResult`.
    """
    from finmodel.funds import first_loss, model
    from finmodel.funds import portfolio as pf
    from finmodel.funds import waterfall as wf

    simulation.check_options(paths, seed, simulation.DEFAULT_CHUNK_SIZE)
    check_correlation(correlation)
    if not isinstance(max_expected_loss, (int, float)) or not 0.0 <= max_expected_loss < 1.0:
        raise InputError(
            [("--max-expected-loss", f"expected a fraction in [0, 1) such as 0.01, found {max_expected_loss!r}")]
        )
    lp = portfolio if isinstance(portfolio, pf.LoadedPortfolio) else pf.load(portfolio)
    case = lp.check_case(case)
    flows = pf.project_flows(lp, case)
    terms = wf.FundTerms.from_spec(lp.fund)
    if structure is not None:
        terms = terms.as_structure(structure)
    builder = model.build(terms, flows)
    extra = {}
    for p in simulated_projects(lp, case, seed, flows, correlation):
        parts = [
            p.flows.fund_series(builder.periods, equity_cf=simulation.run_chunk(p.spec, a, z)["equity_cf"])
            for a, z in simulation.chunks(paths, simulation.DEFAULT_CHUNK_SIZE)
        ]  # (paths, fund periods): a few numbers per path once mapped onto the fund's periods
        extra[f"in_p{p.k}_equity_cf"] = np.concatenate(parts)
    res = first_loss.solve(
        builder,
        protected=protect,
        criterion=expected_loss_within(float(max_expected_loss)),
        extra_overrides=extra or None,
    )
    res.case = case
    res.per_path = first_loss_paths(builder, res, extra, paths)
    return res


def first_loss_paths(builder, res, extra: dict, paths: int):
    """The fund at the solved first-loss share on every simulated path: one row per path (index ``path``), each
    tranche's ``fund_<tranche>_loss`` [KRW], ``_contributions`` [KRW], ``_irr`` [per year, empty without one]
    and ``_multiple`` [x] (the fund's metric names), and each project's ``p<k>_invested``, ``p<k>_returned``,
    ``p<k>_loss`` [KRW]
    (:func:`project_columns`). The first-loss solver's criterion is the protected tranche's mean loss /
    contributions here."""
    import pandas as pd

    from finmodel.funds import first_loss

    m = max(paths, 2)  # one path would evaluate in the scalar (Python float) mode
    ov = {
        k: np.repeat(v, m, axis=0)
        for k, v in first_loss.commitment_overrides(builder.terms, [res.share], res.protected).items()
    }
    for k, v in extra.items():
        ov[k] = np.repeat(v, 2, axis=0) if paths == 1 else v
    names = builder.terms.names
    targets = [f"fund_{t}_{w}" for t in names for w in ("loss", "contributions", "irr", "multiple")]
    v = builder.model.evaluate(ov, paths=m, targets=targets + project_targets(builder))
    cols = {t: v[t][:paths, 0] for t in targets}
    cols.update(project_columns(builder, v, paths))
    df = pd.DataFrame(cols)
    df.index.name = "path"
    return df


def simulate_fund(
    portfolio,
    *,
    paths: int,
    seed: int = 0,
    case: str | None = None,
    structures=("pis", "gif"),
    chunk_size: int = simulation.DEFAULT_CHUNK_SIZE,
    tolerance: float = TOLERANCE,
    flows=None,
    correlation: float = 0.0,
) -> FundSimulationResult:
    """Tranche losses of a portfolio's fund over ``paths`` Monte Carlo paths, under each structure.

    Parameters
    ----------
    portfolio : path or LoadedPortfolio
    paths, seed, chunk_size : int
        As ``finmodel simulate``; project ``i`` uses seed ``seed + i`` (see the module docstring).
    case : str
        Portfolio case (default base); cases with ``changes`` are refused (InputError).
    structures : tuple of str
        Fund structures (:meth:`finmodel.funds.waterfall.FundTerms.as_structure`).
    flows : list of ProjectFlows, optional
        The deterministic project flows of ``case`` (avoids running the projects twice).
    correlation : float
        Loading rho of every project on the shared macro factor, 0 <= rho < 1 (0: independent projects).
    """
    from finmodel.funds import model as fm
    from finmodel.funds import portfolio as pf
    from finmodel.funds import waterfall as wf

    simulation.check_options(paths, seed, chunk_size)
    check_correlation(correlation)
    lp = portfolio if isinstance(portfolio, pf.LoadedPortfolio) else pf.load(portfolio)
    case = lp.check_case(case)
    flows = flows if flows is not None else pf.project_flows(lp, case)
    projects = simulated_projects(lp, case, seed, flows, correlation)
    base = wf.FundTerms.from_spec(lp.fund)
    builders = {s: fm.build(base.as_structure(s), flows) for s in structures}
    tranches = {s: b.terms.names for s, b in builders.items()}
    deterministic = {}
    for s, b in builders.items():
        v = b.model.evaluate()
        deterministic[s] = {t: float(v[f"fund_{t}_loss"][0, 0]) for t in tranches[s]}
    per = {w: {s: {t: np.full(paths, np.nan) for t in tranches[s]} for s in structures} for w in TRANCHE_MEASURES}
    first = builders[structures[0]]
    proj = {f"p{k}_{w}": np.full(paths, np.nan) for k in range(1, len(first.projects) + 1)
            for w in ("invested", "returned", "loss")}  # fmt: skip
    for a, z in simulation.chunks(paths, chunk_size):
        n = z - a
        m = max(n, 2)  # one path would evaluate in the scalar (Python float) mode: keep the numpy one
        cfs = chunk_equity_cf(projects, a, z)
        for s, b in builders.items():
            ov = {}
            for k, cf in fund_overrides(projects, cfs, b.periods).items():
                ov[k] = np.repeat(cf, m, axis=0) if n == 1 else cf
            names = [f"fund_{t}_{w}" for t in tranches[s] for w in TRANCHE_MEASURES]
            extra = project_targets(b) if b is first else []
            v = b.model.evaluate(ov, paths=m, targets=names + extra)
            for t in tranches[s]:
                for w in TRANCHE_MEASURES:
                    per[w][s][t][a:z] = v[f"fund_{t}_{w}"][:n, 0]
            if b is first:  # a project's flows to the fund do not depend on the structure
                for key, x in project_columns(b, v, n).items():
                    proj[key][a:z] = x
        del cfs
    losses = per["loss"]
    return FundSimulationResult(
        correlation=float(correlation),
        portfolio=lp,
        case=case,
        paths=paths,
        seed=int(seed),
        chunk_size=chunk_size,
        tolerance=float(tolerance),
        seeds={p.name: p.seed for p in projects},
        structures=list(structures),
        tranches=tranches,
        losses=losses,
        deterministic=deterministic,
        irr=per["irr"],
        multiple=per["multiple"],
        projects=proj,
        project_names=project_index(first),
    )
