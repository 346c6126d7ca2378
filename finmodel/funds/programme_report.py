"""``finmodel programme``: summary, table, JSON, workbook and chart of a programme run."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from finmodel.files import make_folder, save_png
from finmodel.funds import outputs
from finmodel.outputs import definitions
from finmodel.workbook.pngs import literal_text

QUANTILES = (5, 50, 95)
DISTRIBUTIONS = (
    ("projects_deployed", "projects deployed", 1.0, ""),
    ("commitments_deployed_krw", "commitments deployed", 1e9, "bn KRW"),
    ("project_cost_krw", "project cost supported", 1e12, "trn KRW"),
    ("orders_krw", "orders", 1e12, "trn KRW"),
    ("orders_usd", "orders", 1e9, "bn USD"),
    ("jobs", "jobs", 1.0, "jobs"),
)


def _stats(x) -> dict:
    x = np.asarray(x, dtype=float)
    ok = x[np.isfinite(x)]
    q = np.percentile(ok, QUANTILES) if ok.size else [math.nan] * len(QUANTILES)
    return {
        "mean": float(np.mean(ok)) if ok.size else None,
        **{f"p{p}": float(v) for p, v in zip(QUANTILES, q, strict=True)},
        "undefined_share": float(1 - ok.size / x.size),
    }


def summary(res) -> dict:
    """Distributions of the programme's figures and each tranche's loss and IRR, with the drivers."""
    from finmodel.funds import mobilisation as mob

    lp = res.programme
    pp = res.per_path
    cs = lp.candidates
    n = res.paths
    tranches = {}
    for t in [*res.tranches, None]:
        key = f"fund_{t}" if t else "fund"
        loss = pp[f"{key}_loss"]
        commit = sum(x.commitment for x in lp.fund.tranches.values()) if t is None else lp.fund.tranches[t].commitment
        p = float(np.mean(loss > 1.0))  # 1 KRW: the fund's money tolerance
        tranches[t or "fund"] = {
            "commitment_krw": commit,
            "expected_loss_krw": float(np.mean(loss)),
            "expected_loss_se_krw": float(np.std(loss) / math.sqrt(n)),
            "p_loss": p,
            "p_loss_se": math.sqrt(p * (1 - p) / n),
            "loss_p95_krw": float(np.percentile(loss, 95)),
            "irr": _stats(pp[f"{key}_irr"]),
        }
    capacity = lp.capacity()
    full = {
        "fund_equity_krw": capacity,
        "orders_usd_if_fully_deployed_at_pipeline_average": None,
    }
    fe = np.array([c.fund_equity_krw for c in cs])
    usd = np.array([c.orders_usd for c in cs])
    p_close = np.array([c.spec.probability_of_close for c in cs])
    if fe.sum() > 0:
        full["orders_usd_if_fully_deployed_at_pipeline_average"] = float(capacity * usd.sum() / fe.sum())
    ref = lp.spec.programme.reference_orders_usd
    med = float(np.median(pp["orders_usd"]))
    top = mob.mobilisation()
    drivers = {
        "pipeline_size_krw": float(sum(c.spec.size for c in cs)),
        "expected_closed_size_krw": float(np.sum(p_close * np.array([c.spec.size for c in cs]))),
        "fund_commitments_krw": float(sum(t.commitment for t in lp.fund.tranches.values())),
        "investable_capacity_krw": capacity,
        "investable_capacity_note": "commitments x (1 - fee x investment years) / (1 + fee x (term - investment "
        "years)): investments plus management fees within the commitments",
        "pipeline_fund_equity_krw": float(fe.sum()),
        "weighted_equity_share": float(sum(c.equity_share * c.spec.size for c in cs) / sum(c.spec.size for c in cs)),
        "weighted_capex_share": float(sum(c.capex_share * c.spec.size for c in cs) / sum(c.spec.size for c in cs)),
        "krw_per_usd": sorted({c.krw_per_usd for c in cs}),
        "plan_top_down": {
            "equity_share": top.equity_share,
            "krw_per_usd": top.krw_per_usd,
            "orders_share": top.orders_share,
            "status": "derived (back-solved from the plan's headline), see finmodel/data/mobilisation.yaml",
        },
        "fully_deployed": full,
        "closed_share_of_pipeline_mean": float(np.mean(res.closed)),
        "fund_checks_passed_share": float(np.mean(pp["master_check"] > 0.5)),
        "within_commitments_share": float(np.mean(pp["check_fund_within_commitments"] > 0.5)),
        "deployed_share_of_closed_mean": float(res.deployed.sum() / max(res.closed.sum(), 1)),
    }
    return {
        "paths": n,
        "seed": res.seed,
        "simulated_candidates": dict(res.simulated),
        "distributions": {k: _stats(pp[k]) for k, *_ in DISTRIBUTIONS},
        "tranches": tranches,
        "irr_statistics": definitions.IRR_OVER_PATHS,
        "reference": {
            "orders_usd": ref,
            "label": lp.spec.programme.reference_label,
            "median_orders_usd": med,
            "median_over_reference": med / ref if ref else None,
        },
        "drivers": drivers,
        "candidates": [
            {
                "name": c.spec.name,
                "country": c.spec.country,
                "sector": c.spec.sector,
                "size_krw": c.spec.size,
                "probability_of_close": c.spec.probability_of_close,
                "close_probability_simulated": float(np.mean(res.closed[:, k])),
                "deployed_share": float(np.mean(res.deployed[:, k])),
                "fund_equity_krw": c.fund_equity_krw,
                "orders_usd": c.orders_usd,
                "jobs": c.jobs,
                "scenario": str(c.scenario.source),
                "case": c.spec.case,
                "simulated": c.spec.name in res.simulated,
            }
            for k, c in enumerate(cs)
        ],
    }


def to_json(res, s: dict | None = None) -> dict:
    from finmodel.version import __version__

    lp = res.programme
    return {
        "finmodel_version": __version__,
        "scenario": lp.source,
        "scenario_sha256": lp.sha256,
        "programme": lp.spec.programme.name,
        **(s or summary(res)),
    }


def _q(d, scale, fmt="{:,.2f}"):
    return [("n/a" if d.get(k) is None else fmt.format(d[k] / scale)) for k in ("mean", "p5", "p50", "p95")]


def tables(res, s: dict):
    from rich.markup import escape
    from rich.table import Table

    lp = res.programme
    t = Table(
        title=escape(f"Programme {lp.spec.programme.name}: {res.paths:,} paths, seed {res.seed}"),
        title_justify="left",
    )
    for c in ("figure", "unit", "mean", "P5", "P50", "P95"):
        t.add_column(c, justify="left" if c in ("figure", "unit") else "right")
    for key, label, scale, unit in DISTRIBUTIONS:
        t.add_row(label, unit, *_q(s["distributions"][key], scale, "{:,.0f}" if key in ("jobs",) else "{:,.2f}"))
    ref = s["reference"]
    if ref["orders_usd"]:
        t.caption = escape(
            f"reference: USD {ref['orders_usd'] / 1e9:,.1f} bn ({ref['label']}); simulated median "
            f"{ref['median_orders_usd'] / 1e9:,.2f} bn = {ref['median_over_reference']:.0%} of it"
        )
    u = Table(title="Tranches", title_justify="left")
    for c in ("tranche", "commitment [bn KRW]", "expected loss [bn KRW]", "P(loss)", "IRR P5", "IRR P50", "IRR P95"):
        u.add_column(escape(c), justify="left" if c == "tranche" else "right")
    for name, d in s["tranches"].items():
        irr = d["irr"]
        u.add_row(
            escape(name),
            f"{d['commitment_krw'] / 1e9:,.0f}",
            f"{d['expected_loss_krw'] / 1e9:,.2f}",
            f"{d['p_loss']:.1%}",
            *[("n/a" if irr[k] is None or math.isnan(irr[k]) else f"{irr[k]:.2%}") for k in ("p5", "p50", "p95")],
        )
    return [t, u]


def driver_lines(s: dict) -> list[str]:
    d = s["drivers"]
    top = d["plan_top_down"]
    full = d["fully_deployed"]["orders_usd_if_fully_deployed_at_pipeline_average"]
    return [
        f"drivers: pipeline {d['pipeline_size_krw'] / 1e12:,.1f} trn KRW, expected to close "
        f"{d['expected_closed_size_krw'] / 1e12:,.1f} trn; the fund can invest "
        f"{d['investable_capacity_krw'] / 1e12:,.2f} trn of {d['fund_commitments_krw'] / 1e12:,.2f} trn (fees); "
        f"the pipeline would take {d['pipeline_fund_equity_krw'] / 1e12:,.2f} trn if all closed",
        f"  equity share {d['weighted_equity_share']:.1%} (plan, derived: {top['equity_share']:.0%}); capex share of "
        f"cost {d['weighted_capex_share']:.1%} (plan: 100%); KRW/USD {', '.join(f'{x:,.0f}' for x in d['krw_per_usd'])}"
        f" (plan, derived: {top['krw_per_usd']:,.0f})",
        "  fully deployed at the pipeline's average mix: USD "
        + ("n/a" if full is None else f"{full / 1e9:,.1f} bn of orders"),
        f"  fund model checks pass on {d['fund_checks_passed_share']:.1%} of paths (capital called within "
        f"commitments on {d['within_commitments_share']:.1%})",
    ]


@literal_text
def chart(res, s: dict, folder) -> Path:
    """``programme.png``: distributions of orders, commitments deployed and jobs, and the tranches' IRRs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker
    from matplotlib.ticker import PercentFormatter

    pp = res.per_path
    lp = res.programme
    fig, axes = plt.subplots(2, 2, figsize=(13, 8.5))
    (a1, a2), (a3, a4) = axes
    ref = s["reference"]["orders_usd"]
    o = pp["orders_usd"] / 1e9
    a1.hist(o, bins=40, color="#4472C4")
    a1.axvline(np.median(o), color="black", linestyle="--", label=f"median USD {np.median(o):,.1f} bn")
    if ref:
        a1.axvline(
            ref / 1e9,
            color="#C00000",
            linewidth=2,
            label=f"{s['reference']['label'] or 'reference'}: USD {ref / 1e9:,.0f} bn",
        )
    full = s["drivers"]["fully_deployed"]["orders_usd_if_fully_deployed_at_pipeline_average"]
    if full:
        a1.axvline(
            full / 1e9,
            color="#7F7F7F",
            linestyle=":",
            linewidth=2,
            label=f"fund fully invested, pipeline mix: USD {full / 1e9:,.1f} bn",
        )
    a1.set_title("Orders to Korean firms")
    a1.set_xlabel("bn USD")
    a1.set_ylabel("paths")
    a1.legend(fontsize=8)
    c = pp["commitments_deployed_krw"] / 1e9
    a2.hist(c, bins=40, color="#548235")
    cap = s["drivers"]["investable_capacity_krw"] / 1e9
    a2.axvline(cap, color="#C00000", linewidth=2, label=f"investable capacity {cap:,.0f} bn KRW")
    a2.axvline(np.median(c), color="black", linestyle="--", label=f"median {np.median(c):,.0f} bn KRW")
    a2.set_title("Fund commitments deployed")
    a2.set_xlabel("bn KRW")
    a2.legend(fontsize=8)
    j = pp["jobs"]
    a3.hist(j, bins=40, color="#7F6000")
    a3.axvline(np.median(j), color="black", linestyle="--", label=f"median {np.median(j):,.0f} jobs")
    a3.set_title("Jobs (33,000 per USD 10 bn of orders, the plan citing KIEP)")
    a3.set_xlabel("jobs")
    a3.xaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    a3.set_ylabel("paths")
    a3.legend(fontsize=8)
    colours = {"government": "#1F4E79", "public": "#ED7D31", "private": "#C00000", None: "#7F7F7F"}
    for t in [*res.tranches, None]:
        x = pp[f"fund_{t}_irr" if t else "fund_irr"]
        x = np.sort(x[np.isfinite(x)]) * 100
        if x.size:
            a4.plot(x, np.arange(1, x.size + 1) / res.paths, color=colours.get(t, "#7F7F7F"), label=t or "fund")
    a4.set_title("Tranche IRR: cumulative distribution (paths without an IRR left out)")
    a4.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    a4.set_ylabel("share of paths")
    a4.set_xlabel("IRR per year")
    a4.legend(fontsize=8)
    for a in axes.flat:
        a.grid(alpha=0.3)
    fig.suptitle(f"Programme {lp.spec.programme.name}: {res.paths:,} paths, seed {res.seed}", fontsize=11)
    fig.tight_layout()
    folder = make_folder(folder)
    p = save_png(fig, folder / "programme.png", dpi=110)
    plt.close(fig)
    return p


def workbook(res, s: dict, path) -> Path:
    lp = res.programme
    prov = [
        ("programme", lp.spec.programme.name),
        ("file", lp.source),
        ("sha256", lp.sha256),
        ("paths, seed", f"{res.paths}, {res.seed}"),
    ]
    dist = [[k, *[s["distributions"][k][q] for q in ("mean", "p5", "p50", "p95")]] for k, *_ in DISTRIBUTIONS]
    tr = [
        [n, d["commitment_krw"], d["expected_loss_krw"], d["p_loss"], d["irr"]["p5"], d["irr"]["p50"], d["irr"]["p95"]]
        for n, d in s["tranches"].items()
    ]
    columns = [
        "name",
        "country",
        "sector",
        "size_krw",
        "probability_of_close",
        "deployed_share",
        "fund_equity_krw",
        "orders_usd",
        "jobs",
    ]
    cand = [[c[k] for k in columns] for c in s["candidates"]]
    return outputs.write_tables(
        path,
        [
            ("Programme", prov, ["figure", "mean", "p5", "p50", "p95"], dist),
            (
                "Tranches",
                prov,
                ["tranche", "commitment_krw", "expected_loss_krw", "p_loss", "irr_p5", "irr_p50", "irr_p95"],
                tr,
            ),
            (
                "Pipeline",
                prov,
                columns,
                cand,
            ),
        ],
    )


@dataclasses.dataclass
class ProgrammeOutput:
    """What :func:`finmodel.api.programme` returns: ``result`` (per-path arrays), ``summary`` and ``data`` (the
    JSON), ``written``; ``tranches`` (DataFrame), ``tables()`` and ``lines()`` (the terminal output)."""

    result: object
    summary: dict
    data: dict
    written: list[Path]

    @property
    def tranches(self):
        """One row per tranche (and ``fund``): commitment, expected loss (with its standard error) and P95 loss
        [KRW], loss probability, IRR P5 / P50 / P95."""
        import pandas as pd

        rows = {}
        for name, d in self.summary["tranches"].items():
            row = {k: v for k, v in d.items() if k != "irr"}
            row.update({f"irr_{k}": v for k, v in d["irr"].items() if k in ("p5", "p50", "p95")})
            rows[name] = row
        df = pd.DataFrame.from_dict(rows, orient="index")
        df.index.name = "tranche"
        return df

    def tables(self) -> list:
        return tables(self.result, self.summary)

    def lines(self) -> list[str]:
        return driver_lines(self.summary)


def run(path, *, paths, seed=0, json_path=None, workbook_path=None, charts=None, paths_out=None) -> ProgrammeOutput:
    """Check every output path, simulate, write what was asked (``paths_out``: the per-path file,
    :meth:`finmodel.funds.programme.ProgrammeResult.dataframe`)."""
    from finmodel.files import check_not_inputs
    from finmodel.funds import programme
    from finmodel.funds import programme_schema as ps
    from finmodel.risk import outputs as risk_outputs
    from finmodel.risk import simulation

    po = risk_outputs.check_paths_out(paths_out)
    simulation.check_options(paths, seed, 1)  # bad options refused before the candidates run
    read = ps.read_programme(path) if isinstance(path, (str, Path)) else None  # read once, used below
    inputs = programme.input_paths(path, read=read) if read is not None else None
    json_path, wb, charts = outputs.check_outputs(json_path, workbook_path, charts, inputs)
    if po is not None and inputs is not None:
        check_not_inputs({"--paths-out": po}, inputs)
    lp = programme.load(path, read=read) if read is not None else path
    res = programme.simulate(lp, paths=paths, seed=seed)
    s = summary(res)
    data = to_json(res, s)
    written = outputs.write_outputs(
        data, json_path, wb, charts, lambda p: workbook(res, s, p), lambda d: chart(res, s, d)
    )
    if po is not None:
        prov = {k: data.get(k) for k in ("finmodel_version", "scenario", "scenario_sha256", "seed", "paths")}
        written.append(risk_outputs.write_frame(res.dataframe(), po, prov))
    return ProgrammeOutput(res, s, data, written)
