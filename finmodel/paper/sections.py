"""The facts of each section of the credit paper, gathered from results already computed (nothing is run here).

:class:`Inputs` holds what the API computed (the deterministic :class:`finmodel.outputs.results.Result`, and where asked
the sensitivities, grant elements, a Monte Carlo simulation, a fund comparison and frontier); :func:`gather`
returns plain dicts and lists, in the order a credit committee reads, for the template
(:mod:`finmodel.paper.render`). Labels are the model rows' (:mod:`finmodel.paper.numbers`); charts are SVG text
(:mod:`finmodel.paper.charts`). A section with nothing to show is left out, with a line in the summary saying so.

Why one module of 600-odd lines: one small function a section, in the order the paper reads, so the paper's
contents and this file's read alike.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from finmodel.paper import charts
from finmodel.paper import numbers as nb
from finmodel.version import __version__

HEADLINE = (
    "project_irr",
    "equity_irr",
    "equity_npv",
    "min_dscr",
    "avg_dscr",
    "min_llcr",
    "lockup_periods",
    "default_periods",
    "total_uses",
    "total_debt",
    "gearing",
    "package_grant_element",
)
"""The metrics of the summary page, in order (each has ``data-metric`` / ``data-value`` in the HTML)."""


@dataclasses.dataclass
class Inputs:
    """What the paper is written from: computed results, never re-run here.

    ``result``: :class:`finmodel.outputs.results.Result` of the cases (None for a portfolio's paper); ``sensitivity``:
    :class:`finmodel.risk.sensitivity.SensitivityResult`; ``grant``:
    :class:`finmodel.outputs.results.GrantElementResult`;
    ``simulation``: :class:`finmodel.risk.frames.SimulationResult`; ``fund``: :class:`finmodel.funds.FundOutput` of a
    comparison; ``frontier``: :class:`finmodel.funds.frontier_report.FrontierOutput`; ``seed``: of the Monte Carlo
    runs; ``generated``: the date the paper is dated (default now, UTC); ``solution``: the structuring solution
    (``finmodel solve --json``)."""

    scenario: object = None
    result: object = None
    sensitivity: object = None
    grant: object = None
    simulation: object = None
    fund: object = None
    frontier: object = None
    seed: int | None = None
    generated: str | None = None
    solution: dict | None = None  # finmodel solve's JSON, checked (finmodel.api.paper.read_solution)


def _metric(ctx, name, case_index=0) -> dict:
    r = ctx.results[case_index]
    value = ctx.metrics[case_index].get(name)
    row = ctx.rows[name]
    return {"key": name, "case": r.case, "value": nb.json_number(value), "text": nb.metric_text(value, row, ctx.cur)}


def metric_rows(ctx, names) -> list[dict]:
    """``{"key", "label", "cells": [one per case]}`` for each metric of ``names`` the model has."""
    out = []
    for n in names:
        if ctx.has(n):
            cells = [_metric(ctx, n, k) for k in range(len(ctx.results))]
            out.append({"key": n, "label": nb.metric_label(ctx.rows[n]), "cells": cells})
    return out


def _verdicts(ctx) -> list[dict]:
    """The terminal summary's verdict per case (:func:`finmodel.outputs.summary.verdict`): the same words, one
    source."""
    from finmodel.outputs.summary import verdict

    out = []
    for line, r in zip(verdict(ctx).plain.split("\n"), ctx.results, strict=True):
        rest = line.removeprefix(f"{r.case}: ")
        ok = rest.startswith("meets targets")
        out.append({"case": r.case, "ok": ok, "verdict": rest.split(" (")[0], "why": rest.partition(" (")[2][:-1]})
    return out


def _financing_plan(ctx) -> list[dict]:
    """Sources of the first case: grants, each facility's amount, sponsor funding [currency]."""
    r, m = ctx.results[0], ctx.metrics[0]
    parts = []
    if (m.get("total_grants") or 0) > 0:
        parts.append(("Capital grants", m["total_grants"]))
    for f in r.builder.facilities:
        parts.append((f.facility.name, float(r.values[f.i("amount")][0, 0])))
    parts.append(("Sponsor funding (equity and shareholder loans)", m.get("total_equity") or 0.0))
    total = sum(v for _, v in parts) or 1.0
    return [
        {
            "label": lab,
            "value": v,
            "text": nb.money_m(v, ctx.cur),
            "share": nb.pct(v / total, 1),
            "colour": charts.colour(k),
        }
        for k, (lab, v) in enumerate(parts)
    ]


def summary(inp: Inputs, ctx) -> dict:
    from finmodel.outputs.summary import sizing

    plan = _financing_plan(ctx)
    checks = [{"case": r.case, "ok": bool(r.checks()["master_check"])} for r in ctx.results]
    failed = sorted({k for r in ctx.results for k, ok in r.checks().items() if not ok and k != "master_check"})
    s = sizing(ctx, money=nb.money_m)  # the terminal's words, the paper's amounts (USD 335.3 m)
    return {
        "verdicts": _verdicts(ctx),
        "sizing": s.plain if s is not None else "",
        "headline": metric_rows(ctx, HEADLINE),
        "checks": checks,
        "failed_checks": failed,
        "plan": plan,
        "plan_chart": charts.financing_bar([(p["label"], p["value"]) for p in plan], ctx.cur),
        "cases": [{"name": r.case, "resized": r.resized} for r in ctx.results],
    }


def project(inp: Inputs, ctx) -> dict:
    from finmodel.inputs.countries import get_country

    sc = ctx.scenario
    p = sc.project
    r, m = ctx.results[0], ctx.metrics[0]
    uses = [
        (nb.metric_label(ctx.rows[n]).removeprefix("Uses: "), m[n] or 0.0)
        for n in r.metric_names
        if n.startswith("uses_")
    ]
    if not uses:
        uses = [("Construction cost", m.get("total_capex") or 0.0)]
    sources = [(x["label"], x["value"]) for x in _financing_plan(ctx)]
    country = get_country(p.country)
    facts = [
        ("Country", f"{country.name} ({p.country})" if country else p.country),
        (
            "Income group / OECD risk category",
            f"{country.income_group} / {country.oecd_risk_category}" if country else "n/a",
        ),
        ("Sector", p.sector),
        ("Model currency", p.currency),
        ("Financial close", str(sc.timeline.start_date)),
        ("Construction / operation", f"{sc.timeline.construction_years:g} / {sc.timeline.operation_years:g} years"),
        ("Sponsors", "; ".join(f"{s.name} ({s.share:.0%})" for s in sc.sponsors)),
    ]
    return {
        "facts": facts,
        "uses_sources": metric_rows(
            ctx,
            [n for n in r.metric_names if n.startswith("uses_")]
            + ["total_uses", "total_grants", "total_debt", "total_equity", "gearing"],
        ),
        "waterfall": charts.sources_uses_waterfall(uses, sources, ctx.cur),
    }


def _rate(fc) -> str:
    rate = fc.rate
    return f"{rate.fixed:.2%} fixed" if rate.is_fixed else f"{rate.base} + {rate.margin:.2%}"


def financing(inp: Inputs, ctx) -> dict:
    r = ctx.results[0]
    sc = ctx.scenario
    rows = []
    for f in r.builder.facilities:
        fc = f.facility
        rows.append(
            {
                "name": fc.name,
                "kind": fc.kind + ("" if fc.seniority == "senior" else " (subordinated)"),
                "amount": nb.money_m(float(r.values[f.i("amount")][0, 0]), ctx.cur),
                "sized": "sized" if f.sized else "fixed",
                "rate": _rate(fc),
                "fees": f"{fc.upfront_fee:.2%} upfront, {fc.commitment_fee:.2%} commitment",
                "tenor": f"{fc.grace_years:g} / {fc.maturity_years:g} years",
                "repayment": fc.repayment,
            }
        )
    cost = metric_rows(ctx, ["wacd", "all_in_cost_of_debt", "average_charge_rate_of_debt"])
    return {
        "facilities": rows,
        "cost": cost,
        "cover": metric_rows(
            ctx, ["min_dscr", "avg_dscr", "min_llcr", "min_plcr", "lockup_periods", "default_periods"]
        ),
        "lockup": nb.ratio(sc.lockup_dscr),
        "debt_chart": charts.debt_profile(r, ctx.cur),
        "cover_chart": charts.cover_ratios(r, sc.lockup_dscr),
    }


def blending(inp: Inputs, ctx) -> dict | None:
    if inp.grant is None:
        return None
    rep = inp.grant.contract_json()
    rows = []
    dac = hel = None
    for e in [*rep.get("facilities", []), rep["package"]]:
        oda, h = e["oda"], e["helsinki"]
        dac = oda["threshold"] if oda.get("applies") and oda.get("threshold") is not None else dac
        hel = h["threshold"] if h.get("applies") and h.get("threshold") is not None else hel
        rows.append(
            {
                "name": e["name"],
                "kind": e["kind"],
                "grant_element": e["grant_element"],
                "ge": nb.pct(e["grant_element"]),
                "oda": _verdict_text(oda),
                "helsinki": _verdict_text(h),
            }
        )
    return {
        "rows": rows,
        "chart": charts.grant_elements(rows, dac, hel),
        "basis": f"{rep['country']} ({rep['income_group']}); discount rate {nb.pct(rep['discount_rate'])} "
        f"({rep['method']}: {rep['basis']})",
        "source": rep["source"],
        "metrics": metric_rows(
            ctx,
            [
                "package_grant_element",
                "subsidy_equivalent",
                "concessional_share",
                "mobilisation_ratio",
                "private_per_public",
            ],
        ),
        "warnings": [w if isinstance(w, str) else str(w) for w in inp.grant.warnings],
    }


def _verdict_text(v: dict) -> dict:
    if not v.get("applies"):
        return {"ok": None, "text": f"does not apply ({v.get('note') or ''})".replace(" ()", "")}
    word = "PASS" if v["passes"] else "FAIL"
    return {
        "ok": bool(v["passes"]),
        "text": f"{word}: {nb.pct(v['grant_element'])} against a minimum of {nb.pct(v['threshold'], 0)} "
        f"at {nb.pct(v['discount_rate'])}",
        "rule": v["test"],
        "note": v.get("note") or "",
    }


GUARANTEE_KEYS = ("peak_exposure", "premiums", "premium_pv", "claims", "recoveries", "net_cost", "lender_loss")
"""Per guarantee in the paper (the rest of each guarantee's metrics are in the JSON and the workbook)."""


def guarantees(inp: Inputs, ctx) -> dict | None:
    gs = getattr(ctx.scenario, "guarantees", None) or []
    if not gs:
        return None
    per = []
    for i, g in enumerate(gs, start=1):
        names = [f"g{i}_{k}" for k in GUARANTEE_KEYS]
        rows = metric_rows(ctx, names)
        for row in rows:
            row["label"] = row["label"].split(": ", 1)[-1]
        per.append({"name": g.name, "kind": g.kind, "rows": rows})
    r = ctx.results[0]
    lenders = []
    for f in r.builder.facilities:
        p = f"d{f.index + 1}" if hasattr(f, "index") else None
        rows = metric_rows(ctx, [f"{p}_lender_loss", f"{p}_lender_recovery_ratio"]) if p else []
        for row in rows:
            row["label"] = row["label"].split(": ", 1)[-1]
        if rows:
            lenders.append({"name": f.facility.name, "rows": rows})
    all_rows = metric_rows(
        ctx,
        [
            "guarantee_peak_exposure",
            "guarantee_premium_pv",
            "guarantee_claims",
            "guarantee_recoveries",
            "guarantee_net_cost",
            "lender_loss_after_cover",
        ],
    )
    return {"guarantees": per, "lenders": lenders, "totals": all_rows}


def downside(inp: Inputs, ctx) -> dict:
    out = {
        "cases": metric_rows(
            ctx,
            ["equity_irr", "project_irr", "min_dscr", "min_llcr", "lockup_periods", "default_periods", "senior_loss"],
        )
    }
    s = inp.sensitivity
    if s is not None:
        base = s.base.get("equity_irr")
        rows = [
            {
                "label": t["label"],
                "low": t.get("equity_irr_low"),
                "high": t.get("equity_irr_high"),
                "driver": t["driver"],
                "range": _range(t),
            }
            for t in s.tornado
        ]
        out["tornado"] = charts.tornado(rows, base, "Equity IRR") if base is not None else None
        out["tornado_rows"] = [
            {
                "label": t["label"],
                "range": _range(t),
                "irr_low": nb.pct(t.get("equity_irr_low")),
                "irr_high": nb.pct(t.get("equity_irr_high")),
                "dscr_low": nb.ratio(t.get("min_dscr_low")),
                "dscr_high": nb.ratio(t.get("min_dscr_high")),
            }
            for t in s.tornado
        ]
        out["breakevens"] = [
            {
                "label": b.label,
                "value": _breakeven_text(b),
                "raw": nb.json_number(b.value),
                "key": f"breakeven_{b.name}",
            }
            for b in s.breakevens
        ]
        out["sensitivity_case"] = s.case
    return out


def _range(t: dict) -> str:
    from finmodel.risk.outputs import change_text

    return f"{change_text(t['low'], t['unit'])} / {change_text(t['high'], t['unit'])}"


def _breakeven_text(b) -> str:
    if b.value is None:
        return "not reached in the range tried"
    return f"{b.value:.1f} months" if b.unit == "months" else nb.pct(b.value, 1)


LENDER_METRICS = (
    ("p_default", "pct"),
    ("cdr_10y", "pct"),
    ("p_min_dscr_below_1", "pct"),
    ("p_min_dscr_below_lockup", "pct"),
    ("min_dscr_p10", "x"),
    ("min_dscr_p50", "x"),
    ("equity_irr_p10", "pct"),
    ("equity_irr_p50", "pct"),
    ("senior_expected_loss_ratio", "pct"),
)
"""The lenders' view on the paper: the simulate JSON's metrics, with its labels (``metric_info``)."""


def lenders(inp: Inputs, ctx) -> dict | None:
    sim = inp.simulation
    if sim is None:
        return None
    raw = sim.raw
    js = raw.to_json()
    m, info = js["metrics"], js["metric_info"]
    rows = []
    for key, kind in LENDER_METRICS:
        if key in m:
            v = m[key]
            ref = js["references"].get(_reference_of(key))
            rows.append(
                {
                    "key": key,
                    "label": info.get(key, {}).get("label", key),
                    "value": nb.json_number(v),
                    "text": nb.pct(v) if kind == "pct" else nb.ratio(v),
                    "reference": nb.pct(ref["value"], 1) if ref else "",
                }
            )
    d = raw.paths_data
    from finmodel.risk.charts import dscr_display

    panels = [
        {
            "title": "Minimum DSCR over paths",
            "values": dscr_display(d["min_dscr"]),
            "unit": "x",
            "lines": [(1.0, "1.00x"), (raw.lockup_dscr, f"lock-up {raw.lockup_dscr:.2f}x")],
        },
    ]
    if "equity_irr" in d:
        irr = d["equity_irr"][np.isfinite(d["equity_irr"])]
        irr = np.maximum(irr, np.percentile(irr, 1)) if irr.size else irr
        panels.append(
            {
                "title": "Equity IRR over paths (left tail cut at P1)",
                "values": irr,
                "unit": "pct",
                "lines": [(raw.hurdle, f"cost of equity {raw.hurdle:.1%}")],
            }
        )
    dd = js.get("default_drivers") or {}
    refs = js["references"]
    return {
        "paths": raw.paths,
        "seed": raw.seed,
        "case": raw.case,
        "rows": rows,
        "lenders": [
            {
                "name": x["name"],
                "exposure": nb.money_m(x["exposure"], ctx.cur),
                "el": nb.pct(x["expected_loss_ratio"]),
                "p_loss": nb.pct(x["p_loss"]),
                "loss_p99": nb.money_m(x["loss_p99"], ctx.cur),
            }
            for x in js["lenders"]
        ],
        "curve": charts.default_curve(js["cdr_curve"], refs.get("cdr_10y")),
        "drivers": charts.default_drivers(dd["held"]) if dd.get("held") else None,
        "distributions": charts.distributions(panels),
        "references": [{"name": k, "value": v["value"], "source": v["source"]} for k, v in refs.items()],
    }


def _reference_of(key: str) -> str:
    from finmodel.risk.outputs import REFERENCE_OF

    return REFERENCE_OF.get(key, key)


def portfolio(inp: Inputs) -> dict | None:
    fo = inp.fund
    if fo is None:
        return None
    data = fo.data
    structures = data["structures"]
    tranches = [t for t in ("government", "public", "private") if f"fund_{t}_irr" in structures[0]["metrics"]]
    table = []
    for t in [*tranches, None]:
        prefix = f"fund_{t}_" if t else "fund_"
        cells = []
        for s in structures:
            m = s["metrics"]
            cells.append(
                {
                    "structure": s["structure"],
                    "contributions": nb.krw_bn(m.get(f"{prefix}contributions")),
                    "irr": nb.pct(m.get(f"{prefix}irr")),
                    "irr_value": nb.json_number(m.get(f"{prefix}irr")),
                    "multiple": nb.ratio(m.get(f"{prefix}multiple")),
                    "loss": nb.krw_bn(m.get(f"{prefix}loss")),
                    "key": f"{prefix}irr",
                }
            )
        table.append({"tranche": t or "fund (all tranches)", "cells": cells})
    irr = {s["structure"]: [s["metrics"].get(f"fund_{t}_irr") for t in tranches] for s in structures}
    loss = {s["structure"]: [s["metrics"].get(f"fund_{t}_loss") for t in tranches] for s in structures}
    dec = data.get("decomposition")
    out = {
        "name": fo.portfolio.spec.fund.name if hasattr(fo.portfolio, "spec") else "",
        "case": data["case"],
        "structures": [
            {
                "name": s["structure"],
                "term": s["term_years"],
                "order": " -> ".join("+".join(g) for g in s["loss_order"]),
            }
            for s in structures
        ],
        "table": table,
        "irr_chart": charts.tranche_bars(tranches, irr, "Tranche IRR by structure", "pct"),
        "loss_chart": charts.tranche_bars(
            tranches, loss, "Tranche loss by structure (contributions not returned)", "krw"
        )
        if any(v or 0 for vs in loss.values() for v in vs)
        else None,
        "projects": data["projects"],
        "decomposition": None,
    }
    if dec:
        out["decomposition"] = {
            "definition": dec["definition"],
            "rows": [
                {
                    "tranche": r["tranche"],
                    "metric": r["metric"],
                    **{k: _fund_text(r["metric"], r[k]) for k in ("pis", "gif", "total", "loss_order", "term")},
                }
                for r in dec["rows"]
            ],
        }
    fr = inp.frontier
    if fr is not None:
        pts = fr.data["points"]
        out["frontier"] = {
            "chart": charts.frontier(pts),
            "paths": fr.data["paths"],
            "seed": fr.data["seed"],
            "rows": [
                {
                    "g": nb.pct(p["government_share"], 1),
                    "el": nb.pct(p["private_expected_loss_ratio"], 3),
                    "p_loss": nb.pct(p["private_p_loss"], 2),
                    "irr_p50": nb.pct(p["private_irr_p50"]),
                }
                for p in pts
            ],
        }
    return out


def _fund_text(metric: str, v) -> str:
    if metric == "irr":
        return nb.pct(v)
    if metric == "multiple":
        return nb.ratio(v)
    return nb.krw_bn(v)


def assumptions(inp: Inputs, ctx) -> list[dict]:
    """The inputs that drive the headline, each with its source or "estimate" (a scenario value without one)."""
    from finmodel.inputs.countries import get_country
    from finmodel.schema import riskdata

    sc = ctx.scenario
    cur = ctx.cur
    est = "estimate (scenario input; no source stated)"
    rows = [
        {
            "name": "Construction cost",
            "value": f"{nb.money_m(sc.capex.amount, sc.capex.currency or cur)}, contingency {sc.capex.contingency:.0%}",
            "source": est,
        },
    ]
    for rv in sc.revenues:
        amount = getattr(rv, "amount", None)
        c = getattr(rv, "currency", None) or cur
        if amount is not None:
            value = f"{nb.money_m(amount, c)} per year" if rv.kind != "capital_grant" else nb.money_m(amount, c)
        else:
            value = f"{rv.volume:,.0f} a year at {rv.tariff:,.3f} {c}"
        if getattr(rv, "indexation", None):
            value += f", indexed {rv.indexation:.1%} a year"
        rows.append({"name": f"Revenue: {rv.name} ({rv.kind})", "value": value, "source": est})
    for ox in sc.opex:
        rows.append(
            {
                "name": f"Operating cost: {ox.name}",
                "value": f"{nb.money_m(ox.amount, ox.currency or cur)} per year",
                "source": est,
            }
        )
    rows.append(
        {"name": "Corporate tax", "value": f"{sc.tax.rate:.0%}, holiday {sc.tax.holiday_years:g} years", "source": est}
    )
    for fc in sc.debt.facilities:
        rows.append(
            {
                "name": f"Facility: {fc.name}",
                "value": f"{_rate(fc)}, grace {fc.grace_years:g} / maturity {fc.maturity_years:g} years",
                "source": est,
            }
        )
    rows.append({"name": "Cost of equity (NPV hurdle)", "value": nb.pct(sc.equity_discount_rate, 1), "source": est})
    for code, path in (sc.fx or {}).items():
        rows.append({"name": f"FX: {code} per {cur}", "value": f"spot {path.spot:g}", "source": path.source or est})
    country = get_country(sc.project.country)
    if country is not None:
        rows.append(
            {
                "name": "Country classification",
                "value": f"{country.income_group}, OECD category {country.oecd_risk_category}",
                "source": country.source,
            }
        )
    if inp.grant is not None:
        rep = inp.grant.contract_json()
        rows.append(
            {"name": "Grant-element discount rate", "value": nb.pct(rep["discount_rate"]), "source": rep["source"]}
        )
    risk = getattr(sc, "risk", None)
    if inp.simulation is not None and risk is not None and risk.preset:
        entry = riskdata.data()["presets"][risk.preset]
        rows.append(
            {
                "name": "Monte Carlo drivers",
                "value": f"preset {risk.preset}",
                "source": riskdata.source_line(entry["source"]),
            }
        )
    return rows


def provenance(inp: Inputs, source: str, sha256: str) -> list[tuple[str, str]]:
    out = [
        ("Scenario file", source),
        ("SHA-256 of its bytes", sha256 or "n/a"),
        ("finmodel version", __version__),
        ("Date", inp.generated or dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()),
    ]
    if inp.result is not None:
        out.append(("Cases", ", ".join(r.case for r in inp.result.results)))
    if inp.seed is not None:
        out.append(("Seed", str(inp.seed)))
    if inp.simulation is not None:
        out.append(("Monte Carlo paths", f"{inp.simulation.raw.paths:,}"))
    return out


REPRODUCES = 1e-6
"""Relative agreement at which the paper's base case reproduces a solution's metric (the solver's own check of a
quick answer is 1e-9; a file rewritten with the solved values in YAML keeps 1e-9 too: 1e-6 leaves room for a value
written with fewer digits)."""


def structuring(inp: Inputs, ctx) -> dict | None:
    """The structuring solution (``finmodel solve --json``, given with ``--solution``): each lever from the
    scenario's value to the solved one within the range searched, each target achieved, what binds and the
    solution's metrics; and whether this paper's base case reproduces them (the paper of the file
    ``--write-scenario`` wrote does; the paper of the scenario before solving does not, and says so)."""
    from finmodel.structuring.output import fmt_value

    so = inp.solution
    if so is None:
        return None
    cur = so.get("currency") or (ctx.cur if ctx is not None else "")
    fmts = so.get("formats") or {}

    def show(name, v, currency, fmt=None) -> str:
        return "n/a" if v is None else fmt_value(name, v, currency, fmt)

    levers = []
    for lv in so["levers"]:
        c = lv.get("currency") or cur
        name = lv["lever"]
        levers.append(
            {
                "lever": name,
                "scenario": show(name, lv.get("scenario_value"), c),
                "solved": show(name, lv.get("solved"), c),
                "value": nb.json_number(lv.get("solved")),
                "range": f"{show(name, lv.get('low'), c)} to {show(name, lv.get('high'), c)}",
                "why": "; ".join(x for x in (lv.get("low_reason"), lv.get("high_reason")) if x),
            }
        )
    targets = [
        {
            "target": t["target"],
            "achieved": show(t["metric"], t.get("achieved"), cur, fmts.get(t["metric"])),
            "met": bool(t.get("met")),
        }
        for t in so["targets"]
    ]
    metrics = [
        {
            "key": k,
            "label": nb.metric_label(ctx.rows[k]) if ctx is not None and k in ctx.rows else k,
            "text": show(k, v, cur, fmts.get(k)),
            "value": nb.json_number(v),
        }
        for k, v in so["solution_metrics"].items()
    ]
    check = _reproduces(so, ctx)
    return {
        "feasible": bool(so["feasible"]),
        "objective": so.get("objective") or "",
        "levers": levers,
        "targets": targets,
        "metrics": metrics,
        "binding": list(so.get("binding") or []),
        "source": str(so.get("scenario") or ""),
        "reproduces": check,
    }


def _reproduces(so: dict, ctx) -> dict:
    """Whether the paper's base case gives the solution's metrics (``ok`` None: no base case or no metric in
    common, as for a fund portfolio's solution on a project paper)."""
    if ctx is None:
        return {"ok": None, "differ": []}
    base = next((k for k, r in enumerate(ctx.results) if r.case == "base"), None)
    if base is None:
        return {"ok": None, "differ": []}
    got = ctx.metrics[base]
    common = [k for k, v in so["solution_metrics"].items() if v is not None and got.get(k) is not None]
    differ = [
        k
        for k in common
        if abs(got[k] - so["solution_metrics"][k]) > REPRODUCES * max(1.0, abs(so["solution_metrics"][k]))
    ]
    return {"ok": (not differ) if common else None, "differ": differ}


def gather(inp: Inputs) -> dict:
    """Every section's facts, in the paper's order, with the table of contents."""
    from finmodel.outputs.summary import Context

    if inp.result is None:  # a fund portfolio's paper
        fo = inp.fund
        lp = fo.portfolio
        pf = portfolio(inp)
        sections = [("portfolio", "The fund: tranches under PIS and GIF")]
        solved = structuring(inp, None)
        if solved is not None:
            sections.append(("structuring", "The structuring solution"))
        if pf.get("decomposition"):
            sections.append(("decomposition", "PIS against GIF: loss order and term"))
        if pf.get("frontier"):
            sections.append(("frontier", "The subordination frontier"))
        sections.append(("provenance", "Provenance"))
        return {
            "kind": "portfolio",
            "title": pf["name"] or "Fund portfolio",
            "subtitle": f"fund portfolio of {len(pf['projects'])} projects, case {pf['case']}",
            "portfolio": pf,
            "structuring": solved,
            "toc": [{"id": i, "title": t} for i, t in sections],
            "notes": [] if pf.get("frontier") else ["The frontier needs Monte Carlo paths: finmodel report --paths N."],
            "provenance": provenance(inp, str(lp.source), lp.sha256),
        }
    sc = inp.scenario
    ctx = Context(inp.result.results, sc)
    p = sc.project
    out = {
        "kind": "project",
        "title": p.name,
        "subtitle": f"{p.country} | {p.sector} | amounts in {p.currency}",
        "summary": summary(inp, ctx),
        "project": project(inp, ctx),
        "financing": financing(inp, ctx),
        "structuring": structuring(inp, ctx),
        "blending": blending(inp, ctx),
        "guarantees": guarantees(inp, ctx),
        "downside": downside(inp, ctx),
        "lenders": lenders(inp, ctx),
        "assumptions": assumptions(inp, ctx),
        "provenance": provenance(inp, str(sc.source), sc.sha256),
        "notes": [],
    }
    sections = [
        ("project", "The project: sources and uses"),
        ("financing", "The financing"),
        ("structuring", "The structuring solution"),
        ("blending", "Blended finance"),
        ("guarantees", "Guarantees and insurance"),
        ("downside", "The downside"),
        ("lenders", "The lenders' view (Monte Carlo)"),
        ("assumptions", "Assumptions and their sources"),
        ("provenance", "Provenance"),
    ]
    if out["guarantees"] is None:
        out["notes"].append("No guarantee or insurance in this scenario: the guarantees section is left out.")
    if out["lenders"] is None:
        out["notes"].append("No Monte Carlo run: the lenders' view is in the paper with --paths N.")
    out["toc"] = [{"id": i, "title": t} for i, t in sections if i == "provenance" or out.get(i) is not None]
    return out
