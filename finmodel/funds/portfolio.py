"""Portfolio: load the projects of a portfolio file, run them with the engine, and map their SPC equity
cash flows onto the fund's periods.

Dates: project period ``k`` of a project with financial close ``s`` and ``n`` periods a year ends on
``EDATE(s, 12 k / n) - 1`` (as :mod:`finmodel.model.timeline`); fund period ``k`` covers the days after the end
of period ``k - 1`` up to ``EDATE(fund start, 12 k / P) - 1``. A project cash flow falls in the fund period
that contains its date. A portfolio entry's ``start_date`` moves the whole project (all its dates) so
that its financial close falls on that date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np

from finmodel.conventions import edate
from finmodel.errors import InputError
from finmodel.funds import schema
from finmodel.inputs.validation import load_scenario, scenario_from_dict
from finmodel.model import engine
from finmodel.schema import apply_case

PORTFOLIO_CASE_KEY = "_portfolio_case"  # the synthetic scenario case carrying a portfolio case's changes


def period_ends(start: dt.date, periods: int, per_year: int) -> list[dt.date]:
    """End dates of periods 1..``periods`` (the day before each period's anniversary)."""
    step = 12 // per_year
    return [edate(start, step * k) - dt.timedelta(days=1) for k in range(1, periods + 1)]


def fund_period_of(dates, fund_start: dt.date, per_year: int) -> np.ndarray:
    """1-based fund period containing each date; 0 for dates before the fund start."""
    step = 12 // per_year
    out = []
    for d in dates:
        if d < fund_start:
            out.append(0)
            continue
        months = (d.year - fund_start.year) * 12 + (d.month - fund_start.month)
        k = max(1, months // step + 1)
        while edate(fund_start, step * k) - dt.timedelta(days=1) < d:
            k += 1
        while k > 1 and edate(fund_start, step * (k - 1)) - dt.timedelta(days=1) >= d:
            k -= 1
        out.append(k)
    return np.array(out, dtype=int)


def mapping_matrix(index: np.ndarray, fund_periods: int) -> np.ndarray:
    """(project periods, fund periods) 0/1 matrix: ``cf_fund = cf_project @ M`` (works on many paths)."""
    M = np.zeros((len(index), fund_periods))
    M[np.arange(len(index)), index - 1] = 1.0
    return M


@dataclasses.dataclass
class ProjectFlows:
    """One project's SPC equity cash flows for the fund (project currency, by project period)."""

    name: str
    title: str
    source: str
    sha256: str
    case: str
    currency: str
    fx_to_krw: float
    stake: float
    country: str
    co_investors: str
    dates: list
    equity_cf: np.ndarray  # [project currency], all sponsors, by project period
    index: np.ndarray  # fund period (1-based) of each project period
    fx_to_usd: float = 1.0  # [USD per unit of project currency]
    # the project's own sources and uses (base of the mobilisation chain) [project currency]
    total_equity: float = 0.0
    total_uses: float = 0.0
    total_capex: float = 0.0
    # the project's rows equity_share_of_cost and capex_share_of_cost (finmodel.model.cost_shares) [fraction; None:
    # no uses]
    equity_share: float | None = None
    capex_share: float | None = None
    orders_share: float | None = None  # portfolio entry's share of capex won by Korean firms (None: data default)

    def fund_series(self, fund_periods: int, equity_cf=None) -> np.ndarray:
        """Equity cash flows summed by fund period; ``equity_cf`` (paths, project periods) for many paths."""
        cf = self.equity_cf if equity_cf is None else np.asarray(equity_cf, dtype=float)
        return cf @ mapping_matrix(self.index, fund_periods)


@dataclasses.dataclass
class LoadedPortfolio:
    """A validated portfolio file with its project scenarios loaded (base cases)."""

    spec: schema.Portfolio
    source: str
    sha256: str
    paths: list
    scenarios: list

    @property
    def fund(self) -> schema.Fund:
        return self.spec.fund

    @property
    def project(self):
        """What the workbook's cover shows for a scenario's project: here the fund."""
        import types

        names = ", ".join(p.name for p in self.spec.projects)
        return types.SimpleNamespace(name=self.fund.name, country=f"portfolio: {names}", sector="fund", currency="KRW")

    def case_names(self) -> list[str]:
        return ["base", *self.spec.cases]

    def check_case(self, case: str | None) -> str:
        case = case or "base"
        if case not in self.case_names():
            raise InputError(
                [("--case", f"expected a portfolio case ({', '.join(self.case_names())}), found {case!r}")],
                self.source,
            )
        return case


def load(path, read: tuple | None = None) -> LoadedPortfolio:
    """Read a portfolio file and check every project against it (scenarios, cases, dates, high-risk rule).

    ``read``: the file as already read and validated, ``(spec, source, sha256)`` as
    :func:`finmodel.funds.schema.read_portfolio` returns it; the file is then not read again."""
    spec, source, digest = read or schema.read_portfolio(path)
    fund = spec.fund
    problems: list[tuple[str, str]] = []
    paths, scenarios = [], []
    inv_end = edate(fund.start_date, 12 * fund.investment_years)
    for i, entry in enumerate(spec.projects):
        p = schema.scenario_path(entry, source)
        try:
            sc = load_scenario(p)
        except InputError as exc:
            problems.append((f"projects.{i}.scenario", refused_scenario_message(p, exc)))
            paths.append(p)
            scenarios.append(None)
            continue
        paths.append(p)
        scenarios.append(sc)
        wanted = {entry.case: f"projects.{i}.case"}
        for cname, case in spec.cases.items():
            if entry.name in case.projects:
                wanted.setdefault(case.projects[entry.name], f"cases.{cname}.projects.{entry.name}")
        for cname, where in wanted.items():
            if cname != "base" and cname not in sc.cases:
                problems.append(
                    (where, f"expected a case of {sc.source} ({', '.join(['base', *sc.cases])}), found {cname!r}")
                )
        start = entry.start_date or sc.timeline.start_date
        if not fund.start_date <= start < inv_end:
            where = f"projects.{i}.start_date"
            problems.append(
                (
                    where,
                    f"expected a financial close within the fund's investment period ({fund.start_date.isoformat()} "
                    f"to {inv_end.isoformat()}, exclusive), found {start.isoformat()}",
                )
            )
        hr = schema.high_risk_problem(i, entry, sc)
        if hr:
            problems.append(hr)
    if problems:
        raise InputError(problems, source)
    return LoadedPortfolio(spec, source, digest, paths, scenarios)


def refused_scenario_message(path, exc: InputError) -> str:
    """Why a project's scenario file was refused, without quoting the file: the portfolio may name any file
    (``/etc/passwd``, a key file), and messages about it would otherwise print its contents."""
    if not Path(path).exists():
        return f"expected an existing scenario file, found no such file {str(path)!r}"
    if not Path(path).is_file():
        return f"expected a scenario file, found {str(path)!r}, which is not a regular file"
    n = len(exc.problems)
    return (
        f"expected a valid scenario file, found {str(path)!r} with {n} problem{'s' if n > 1 else ''} "
        f"(not quoted here; run `finmodel validate` on that file to see them)"
    )


def input_paths(path, read: tuple | None = None) -> list:
    """The files a portfolio run reads: the portfolio file and its projects' scenario files (None = the
    embedded default). Raises InputError if the portfolio file itself is invalid. ``read``: as for :func:`load`."""
    spec, source, _ = read or schema.read_portfolio(path)
    return [Path(path), *(schema.scenario_path(e, source) for e in spec.projects)]


def _co_investor_basis(entry, sc) -> str:
    parts = [f"declared {k}" for k in entry.co_investors]
    parts += [f"facility {f.name} ({f.kind})" for f in sc.debt.facilities if f.kind in ("mdb", "eca")]
    return "; ".join(parts)


def project_flows(lp: LoadedPortfolio, case: str | None = None) -> list[ProjectFlows]:
    """Run every project of the portfolio under the portfolio case ``case`` (default base).

    A project's case is the portfolio case's ``projects`` entry for it, else the entry's own ``case``. The
    portfolio case's ``changes`` apply on top, to every project, with the financing as sized in the
    project's base case (lenders' convention, as ``finmodel run``). Each project scenario is solved once.
    """
    case = lp.check_case(case)
    pcase = lp.spec.cases.get(case)
    fund = lp.fund
    cache: dict = {}
    out = []
    for i, (entry, path, sc) in enumerate(zip(lp.spec.projects, lp.paths, lp.scenarios, strict=True)):
        project_case = (pcase.projects.get(entry.name) if pcase else None) or entry.case
        changes = dict(pcase.changes) if pcase else {}
        try:
            res = _project_result(path, sc, cache, project_case, changes)
        except InputError as exc:
            where = f"cases.{case}.changes" if changes else f"projects.{i}.case"
            raise InputError([(where, f"{pp}: {m}" if pp else m) for pp, m in exc.problems], lp.source) from None
        tl = sc.timeline
        start = entry.start_date or tl.start_date
        cf = np.asarray(res.row("equity_cf"), dtype=float)
        dates = period_ends(start, len(cf), tl.periods_per_year)
        index = fund_period_of(dates, fund.start_date, fund.periods_per_year)
        met = res.metrics()
        out.append(
            ProjectFlows(
                name=entry.name,
                title=sc.project.name,
                source=str(sc.source),
                sha256=sc.sha256 or "",
                case=res.case,
                currency=sc.project.currency,
                fx_to_krw=sc.project.fx_to_krw,
                stake=entry.stake,
                country=sc.project.country,
                co_investors=_co_investor_basis(entry, sc),
                dates=dates,
                equity_cf=cf,
                index=index,
                fx_to_usd=sc.project.fx_to_usd,
                total_equity=float(met.get("total_equity") or 0.0),
                total_uses=float(met.get("total_uses") or 0.0),
                total_capex=float(met.get("total_capex") or 0.0),
                equity_share=met.get("equity_share_of_cost"),
                capex_share=met.get("capex_share_of_cost"),
                orders_share=entry.orders_share,
            )
        )
    return out


def _project_result(path, base_sc, cache, project_case: str, changes: dict):
    key = str(path)
    if key not in cache:
        cache[key] = engine.evaluate_case(base_sc, "base", None, resize=True)
    base = cache[key]
    if project_case == "base" and not changes:
        return base
    data = apply_case(base_sc.raw, project_case)  # the bytes already read (and hashed), not the file again
    resize = project_case != "base" and bool(base_sc.cases[project_case].resize_debt)
    label = project_case
    if changes:
        data["cases"] = {**(data.get("cases") or {}), PORTFOLIO_CASE_KEY: {"changes": changes}}
        data = apply_case(data, PORTFOLIO_CASE_KEY)
        label = f"{project_case} + portfolio changes"
    sc = scenario_from_dict(data, base_sc.source, sha256=base_sc.sha256, case=label)
    return engine.evaluate_case(sc, label, base.solved, resize=resize)


def fund_periods(fund, flows: list[ProjectFlows]) -> int:
    """Fund model periods: the term, extended to the last project cash flow (valued at the exit)."""
    last = max((int(f.index.max()) for f in flows), default=0)
    return max(fund.term_years * fund.periods_per_year, last)
