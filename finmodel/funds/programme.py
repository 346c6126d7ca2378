"""A programme run: a fund deploying into a pipeline of candidate projects, simulated.

On each path (all arrays (paths, candidates); Python loops over candidates only, never over paths):

1. **closing**: candidate ``k`` reaches financial close with probability ``p_k``, in a fund year drawn uniformly
   from its ``earliest_year .. latest_year`` (stream ``SeedSequence([seed, 1])``).
2. **deployment**: closed candidates are taken in order of close (year, then pipeline order); each takes the
   fund's equity ``F_k = stake_k x (equity / cost of its scenario) x size_k`` if it still fits the fund's
   investable capacity, else it is passed over::

       capacity = C (1 - f I) / (1 + f (T - I))

   (``C`` commitments, ``f`` management fee, ``I`` investment years, ``T`` term: investments plus the fees on
   commitments in the investment period and on invested cost after it stay within the commitments).
3. **mobilisation** of the deployed candidates, bottom-up (:func:`finmodel.funds.mobilisation.chain`): orders
   ``o_k x capex share_k x size_k`` [KRW], in USD at the scenario's own KRW/USD, jobs at 33,000 per USD 10 bn.
4. **the fund**: the candidate's scenario equity cash flows scaled by ``size_k / (its project cost in KRW)``,
   moved to its close date (1 January of the close year), zero when not deployed, through the fund model
   (:mod:`finmodel.funds.waterfall`, the programme's structure) -> each tranche's loss and IRR. A candidate whose
   scenario has a ``risk:`` block has simulated cash flows (seed ``seed + k``, as :mod:`finmodel.funds.montecarlo`);
   the others keep their deterministic cash flows, so their randomness is closing and timing only.

Same seed, same results; paths run in chunks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from finmodel.errors import InputError
from finmodel.funds import mobilisation as mob
from finmodel.funds import portfolio as pf
from finmodel.funds import programme_schema as ps
from finmodel.funds import waterfall as wf

CLOSING_STREAM = 1  # SeedSequence([seed, CLOSING_STREAM]): closing and timing draws
TOLERANCE = 1.0  # [KRW] a tranche loses on a path when its loss exceeds this


@dataclasses.dataclass
class CandidateRun:
    """A candidate with its scenario evaluated (deterministic base of its case) and its fund figures."""

    index: int
    spec: ps.Candidate
    scenario_path: object  # Path or None (embedded default)
    scenario: object
    equity_cf: np.ndarray  # (project periods,) [project currency], scaled to the candidate's size
    periods_per_year: int
    fx_to_krw: float
    krw_per_usd: float
    scale: float  # size / scenario project cost (in KRW)
    fund_equity_krw: float  # stake x equity x scale x fx
    orders_krw: float
    orders_usd: float
    jobs: float
    equity_share: float
    capex_share: float


@dataclasses.dataclass
class LoadedProgramme:
    spec: ps.Programme
    source: str
    sha256: str
    candidates: list[CandidateRun]

    @property
    def fund(self):
        return self.spec.fund

    def capacity(self) -> float:
        f = self.fund
        c = sum(t.commitment for t in f.tranches.values())
        fee, inv, term = f.management_fee, f.investment_years, f.term_years
        return c * (1 - fee * inv) / (1 + fee * (term - inv))


def _scenario_path(c: ps.Candidate, source: str):
    name = c.scenario if c.scenario is not None else c.template
    if name == "default":
        return None
    if c.template is not None:
        from finmodel.schema import template_path

        return template_path(name)
    from pathlib import Path

    p = Path(name)
    return p if p.is_absolute() else Path(source).resolve().parent / p


def input_paths(path, read: tuple | None = None) -> list:
    """The files a programme run reads: the programme file and its candidates' scenario files (None = the
    embedded default). Raises InputError if the programme file itself is invalid. ``read``: as for :func:`load`."""
    from pathlib import Path

    spec, source, _ = read or ps.read_programme(path)
    return [Path(path), *(_scenario_path(c, source) for c in spec.pipeline)]


def load(path, read: tuple | None = None) -> LoadedProgramme:
    """Read a programme file, load and run every candidate's scenario (once per scenario and case).

    ``read``: the file as already read and validated, ``(spec, source, sha256)`` as
    :func:`finmodel.funds.programme_schema.read_programme` returns it; the file is then not read again."""
    from finmodel.funds.schema import structures_data
    from finmodel.inputs.countries import get_country
    from finmodel.inputs.validation import case_scenario, load_scenario
    from finmodel.model import engine

    spec, source, digest = read or ps.read_programme(path)
    bu = mob.data()["bottom_up"]
    default_share = float(bu["orders_share"]["value"])
    jobs_per = float(bu["jobs_per_usd_10bn"]["value"])
    hr = structures_data()["high_risk"]
    problems: list[tuple[str, str]] = []
    cache: dict = {}
    out = []
    for i, c in enumerate(spec.pipeline):
        where = f"pipeline.{i}." + ("scenario" if c.scenario is not None else "template")
        p = _scenario_path(c, source)
        key = (str(p), c.case)
        if key not in cache:
            try:
                sc = load_scenario(p)
                if c.case != "base" and c.case not in sc.cases:
                    raise InputError(
                        [
                            (
                                "case",
                                f"expected a case of the scenario ({', '.join(['base', *sc.cases])}), found {c.case!r}",
                            )
                        ]
                    )
                res = engine.evaluate_case(sc, "base", None, resize=True)
                if c.case != "base":
                    sc_case = case_scenario(sc, c.case)  # from the bytes already read
                    res = engine.evaluate_case(sc_case, c.case, res.solved, resize=bool(sc.cases[c.case].resize_debt))
                cache[key] = (sc, res)
            except InputError as exc:
                if [pp for pp, _ in exc.problems] == ["case"]:  # our own message: a case the scenario lacks
                    problems.append((f"pipeline.{i}.case", f"{exc.source or ''}: {exc.problems[0][1]}".lstrip(": ")))
                else:  # never quote the file: a programme may name any file (finmodel validate shows its problems)
                    from finmodel.funds.portfolio import refused_scenario_message

                    problems.append((where, refused_scenario_message(p, exc)))
                continue
        sc, res = cache[key]
        country = get_country(c.country)
        if (
            country is not None
            and country.oecd_risk_category is not None
            and (
                country.oecd_risk_category >= hr["min_oecd_category"]
                and not set(hr["co_investor_kinds"]) & set(c.co_investors)
                and not any(f.kind in hr["co_investor_kinds"] for f in sc.debt.facilities)
            )
        ):
            problems.append(
                (
                    f"pipeline.{i}.co_investors",
                    f"expected an MDB or ECA co-investor ({hr['rule']}): {country.name} is OECD risk category "
                    f"{country.oecd_risk_category}; declare co_investors: [eca] or [mdb], found none",
                )
            )
        m = res.metrics()
        uses, equity = (float(m.get(k) or 0.0) for k in ("total_uses", "total_equity"))
        if uses <= 0 or equity <= 0:
            problems.append((where, "expected a scenario with equity and a project cost, found none"))
            continue
        e, c_share = (
            m["equity_share_of_cost"],
            m["capex_share_of_cost"],
        )  # the project's rows (finmodel.model.cost_shares)
        fx = sc.project.fx_to_krw
        x = fx / sc.project.fx_to_usd
        scale = c.size / (uses * fx)
        o = default_share if c.orders_share is None else c.orders_share
        fund_eq = c.stake * equity * scale * fx
        _, _, orders, usd, jobs = (float(v) for v in mob.chain(fund_eq, c.stake, e, c_share, o, x, jobs_per))
        out.append(
            CandidateRun(
                index=i,
                spec=c,
                scenario_path=p,
                scenario=sc,
                equity_cf=np.asarray(res.row("equity_cf"), dtype=float) * scale,
                periods_per_year=sc.timeline.periods_per_year,
                fx_to_krw=fx,
                krw_per_usd=x,
                scale=scale,
                fund_equity_krw=fund_eq,
                orders_krw=orders,
                orders_usd=usd,
                jobs=jobs,
                equity_share=e,
                capex_share=c_share,
            )
        )
    if problems:
        raise InputError(problems, source)
    return LoadedProgramme(spec, source, digest, out)


def close_date(fund_start: dt.date, year: int) -> dt.date:
    return pf.edate(fund_start, 12 * (year - 1))


def year_range(lp: LoadedProgramme, c: CandidateRun) -> range:
    latest = c.spec.latest_year if c.spec.latest_year is not None else lp.spec.programme.deployment_years
    return range(c.spec.earliest_year, latest + 1)


def mapping(lp: LoadedProgramme, c: CandidateRun, year: int) -> np.ndarray:
    """Fund period (1-based) of each project period when the candidate closes in fund year ``year``."""
    f = lp.fund
    dates = pf.period_ends(close_date(f.start_date, year), len(c.equity_cf), c.periods_per_year)
    return pf.fund_period_of(dates, f.start_date, f.periods_per_year)


def draw_closing(lp: LoadedProgramme, paths: int, seed: int):
    """``(closed bool, year int, deployed bool)``, each (paths, candidates)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, CLOSING_STREAM]))
    cs = lp.candidates
    p = np.array([c.spec.probability_of_close for c in cs])
    closed = rng.random((paths, len(cs))) < p
    lo = np.array([year_range(lp, c).start for c in cs])
    hi = np.array([year_range(lp, c).stop for c in cs])  # exclusive
    year = rng.integers(lo, hi, size=(paths, len(cs)))
    deployed = deploy(closed, year, np.array([c.fund_equity_krw for c in cs]), lp.capacity())
    return closed, year, deployed


def deploy(closed, year, equity, capacity) -> np.ndarray:
    """Closed candidates in order of (year, pipeline index), each taken if it fits what is left of ``capacity``."""
    paths, k = closed.shape
    order = np.argsort(year * k + np.arange(k), axis=1, kind="stable")
    used = np.zeros(paths)
    deployed = np.zeros((paths, k), dtype=bool)
    rows = np.arange(paths)
    for r in range(k):  # over candidates, vectorised over paths
        idx = order[:, r]
        take = closed[rows, idx] & (used + equity[idx] <= capacity * (1 + 1e-12))  # float sums of KRW amounts
        used += np.where(take, equity[idx], 0.0)
        deployed[rows, idx] = take
    return deployed


@dataclasses.dataclass
class ProgrammeResult:
    """A simulated programme (per-path arrays); its summary is :func:`finmodel.funds.programme_report.summary`."""

    programme: LoadedProgramme
    paths: int
    seed: int
    closed: np.ndarray  # (paths, candidates)
    year: np.ndarray
    deployed: np.ndarray
    per_path: dict  # name -> (paths,)
    tranches: list[str]
    simulated: dict  # candidate -> seed

    def dataframe(self):
        """One row per path (index ``path``, 0-based): every per-path result the summary's statistics are taken
        from -- each tranche's and the fund's loss [KRW] and IRR [per year, empty without one], the projects closed
        and deployed [#], commitments deployed, project cost and orders [KRW], orders [USD], jobs -- and, per
        candidate ``c<k>`` (in pipeline order), whether it closed and was deployed [1/0] and its close year."""
        import pandas as pd

        cols = dict(self.per_path)
        cols.pop("master_check", None)
        cols.pop("check_fund_within_commitments", None)
        for k in range(1, len(self.programme.candidates) + 1):
            cols[f"c{k}_closed"] = self.closed[:, k - 1].astype(float)
            cols[f"c{k}_deployed"] = self.deployed[:, k - 1].astype(float)
            cols[f"c{k}_close_year"] = np.where(self.closed[:, k - 1], self.year[:, k - 1], np.nan)
        df = pd.DataFrame(cols)
        df.index.name = "path"
        return df


def simulate(programme, *, paths: int, seed: int = 0, chunk_size: int | None = None) -> ProgrammeResult:
    """Simulate a programme file (path or :class:`LoadedProgramme`) over ``paths`` paths."""
    from finmodel.risk import simulation

    chunk_size = chunk_size or 1024
    simulation.check_options(paths, seed, chunk_size)
    lp = programme if isinstance(programme, LoadedProgramme) else load(programme)
    cs = lp.candidates
    closed, year, deployed = draw_closing(lp, paths, seed)
    fund = lp.fund
    maps = {(c.index, y): mapping(lp, c, y) for c in cs for y in year_range(lp, c)}
    periods = max(fund.term_years * fund.periods_per_year, max(int(v.max()) for v in maps.values()))
    terms = wf.FundTerms.from_spec(fund)
    inputs = [
        wf.ProjectInput(
            c.spec.name,
            c.spec.name,
            c.scenario.project.currency,
            c.fx_to_krw,
            c.spec.stake,
            np.zeros(periods),
            source=f"{c.scenario.source}, case {c.spec.case}, x {c.scale:.6g}",
        )
        for c in cs
    ]
    builder = wf.build(terms, inputs, periods)
    tranches = [*terms.names, None]
    targets = [f"fund_{t}_{m}" if t else f"fund_{m}" for t in tranches for m in ("loss", "irr")]
    targets += ["master_check", "check_fund_within_commitments"]
    sims = {}
    for c in cs:
        if c.scenario.risk is None:
            continue
        sc_case, det = simulation.prepare(c.scenario, c.spec.case)  # loaded once, in load()
        sims[c.index] = simulation.make_spec(sc_case, c.spec.case, det, seed + c.index, keep_rows=("equity_cf",))
    per_path = {k: np.full(paths, np.nan) for k in targets}
    for a, z in simulation.chunks(paths, chunk_size):
        n = z - a
        ov = {}
        for k, c in enumerate(cs, start=1):
            cf = simulation.run_chunk(sims[c.index], a, z)["equity_cf"] * c.scale if c.index in sims else c.equity_cf
            cf = np.broadcast_to(cf, (n, len(c.equity_cf)))
            series = np.zeros((n, periods))
            for y in year_range(lp, c):
                on = (deployed[a:z, k - 1] & (year[a:z, k - 1] == y))[:, None]
                series += np.where(on, cf @ pf.mapping_matrix(maps[(c.index, y)], periods), 0.0)
            ov[f"in_p{k}_equity_cf"] = series
        m = max(n, 2)  # one path would evaluate in the scalar mode: keep the numpy one
        if n == 1:
            ov = {k: np.repeat(v, 2, axis=0) for k, v in ov.items()}
        v = builder.model.evaluate(ov, paths=m, targets=targets)
        for t in targets:
            per_path[t][a:z] = v[t][:n, 0]
    fe = np.array([c.fund_equity_krw for c in cs])
    orders = np.array([c.orders_krw for c in cs])
    usd = np.array([c.orders_usd for c in cs])
    jobs = np.array([c.jobs for c in cs])
    per_path.update(
        {
            "projects_closed": closed.sum(axis=1).astype(float),
            "projects_deployed": deployed.sum(axis=1).astype(float),
            "commitments_deployed_krw": deployed @ fe,
            "project_cost_krw": deployed @ np.array([c.spec.size for c in cs]),
            "orders_krw": deployed @ orders,
            "orders_usd": deployed @ usd,
            "jobs": deployed @ jobs,
        }
    )
    return ProgrammeResult(
        programme=lp,
        paths=paths,
        seed=int(seed),
        closed=closed,
        year=year,
        deployed=deployed,
        per_path=per_path,
        tranches=terms.names,
        simulated={c.spec.name: seed + c.index for c in cs if c.index in sims},
    )
