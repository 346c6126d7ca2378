"""What ``finmodel solve`` returns and prints: the solved values, each target as achieved, the subsidy equivalent
and grant element of the solution, what binds, the trade-off between the first two levers; the JSON."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from finmodel.version import __version__

PCT_HINTS = ("irr", "rate", "share", "grant_element", "gearing", "p_", "cdr_", "ratio", "lgd", "margin", "fee")


def fmt_value(name: str, v, currency: str, fmt: str | None = None) -> str:
    """A value as officers write it: % for rates and shares, x for cover ratios, m for money."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    fmt = fmt or guess_format(name)
    if fmt == "pct":
        return f"{v:.2%}"
    if fmt == "x":
        return f"{v:.2f}x"
    if fmt == "money":
        return f"{v / 1e9:,.2f} bn {currency}" if currency == "KRW" else f"{v / 1e6:,.2f}m {currency}"
    return f"{v:,.6g}"


def guess_format(name: str) -> str:
    n = name.lower()
    if "dscr" in n or "llcr" in n or "plcr" in n:
        return "x"
    if any(h in n for h in PCT_HINTS):
        return "pct"
    if any(h in n for h in ("amount", "loss", "equivalent", "debt", "capex", "claims", "npv")):
        return "money"
    return "number"


@dataclasses.dataclass
class SolveResult:
    """``feasible``; ``levers`` and ``targets`` (lists of dicts); ``solution`` (the best trial or None);
    ``tradeoff`` rows; ``binding`` (sentences); ``scenario`` (the solved Scenario, feasible only); ``data`` (the
    JSON); ``written``. ``.table`` and ``.tradeoff_table`` are pandas views."""

    feasible: bool
    levers: list
    targets: list
    objective: str
    solution: object
    tradeoff: list
    binding: list
    trials: int
    data: dict
    scenario: object = None
    written: list = dataclasses.field(default_factory=list)

    @property
    def table(self):
        """One row per lever and per target: what it is, its bound or goal, the solved or achieved value."""
        import pandas as pd

        rows = [
            {"kind": "lever", "name": lv["lever"], "low": lv["low"], "high": lv["high"], "value": lv["solved"]}
            for lv in self.levers
        ]
        rows += [
            {"kind": "target", "name": t["target"], "goal": t["value"], "value": t["achieved"], "met": t["met"]}
            for t in self.targets
        ]
        return pd.DataFrame(rows).set_index(["kind", "name"])

    @property
    def tradeoff_table(self):
        """The trade-off between the first two levers (several levers): one row per value of the first."""
        import pandas as pd

        return pd.DataFrame(self.data["tradeoff"])

    def tables(self) -> list:
        return summary_tables(self)


def binding_text(search, ev, targets, currency, fmts) -> list[str]:
    """What binds: a target met exactly (within the tolerance) or a lever at a bound; for an infeasible search,
    each target's best reachable value and the lever values there."""
    out = []
    best = search.best
    if best is not None:
        for t in targets:
            a = best.achieved.get(t.text)
            if a is not None and abs(a - t.value) <= 1e-3 * max(abs(t.value), 1e-6) + 1e-9:
                out.append(f"target {t.text} binds ({fmt_value(t.metric, a, currency, fmts.get(t.metric))})")
        for lv, x in zip(ev.levers, best.values, strict=True):
            for bound, reason in ((lv.low, lv.low_reason), (lv.high, lv.high_reason)):
                if abs(x - bound) <= 1e-9 * max(1.0, abs(bound)):
                    out.append(f"{lv.name} at its bound {fmt_value(lv.name, x, lv.currency or currency)} ({reason})")
        return out
    ran = [tr for tr in search.trials if tr.refused is None and tr.failed is None]
    for t in targets:
        reach = None
        for tr in ran:
            if reach is None or t.better(tr.achieved.get(t.text), reach.achieved.get(t.text)):
                reach = tr
        if reach is None:
            out.append(f"{t.text}: no trial ran (every value refused)")
            continue
        where = ", ".join(
            f"{lv.name} = {fmt_value(lv.name, x, lv.currency or currency)}" + _at_bound(lv, x)
            for lv, x in zip(ev.levers, reach.values, strict=True)
        )
        got = fmt_value(t.metric, reach.achieved.get(t.text), currency, fmts.get(t.metric))
        goal = fmt_value(t.metric, t.value, currency, fmts.get(t.metric))
        out.append(f"even at {where}, {t.metric} reaches {got} (target {t.op} {goal})")
    return out


def _at_bound(lv, x) -> str:
    if abs(x - lv.high) <= 1e-9 * max(1.0, abs(lv.high)):
        return f" (its maximum: {lv.high_reason})"
    if abs(x - lv.low) <= 1e-9 * max(1.0, abs(lv.low)):
        return f" (its minimum: {lv.low_reason})"
    return ""


def build_data(scenario, ev, targets, objective, search, binding, tolerance, outer_step) -> dict:
    best = search.best
    levers = []
    for j, lv in enumerate(ev.levers):
        levers.append(
            {
                "lever": lv.name,
                "currency": lv.currency or getattr(getattr(scenario, "project", None), "currency", None),
                "scenario_value": lv.value,
                "low": lv.low,
                "high": lv.high,
                "low_reason": lv.low_reason,
                "high_reason": lv.high_reason,
                "solved": None if best is None else best.values[j],
                "tolerance": (1.0 if lv.integer else tolerance * (lv.high - lv.low))
                if j == len(ev.levers) - 1
                else (outer_step[j] if j < len(outer_step) else None),
            }
        )
    tgt = []
    for t in targets:
        a = None if best is None else best.achieved.get(t.text)
        tgt.append(
            {
                "target": t.text,
                "metric": t.metric,
                "op": t.op,
                "value": t.value,
                "achieved": a,
                "met": t.met(a),
                "monte_carlo": t.monte_carlo,
            }
        )
    trade = []
    for x, tr in search.tradeoff:
        row = {ev.levers[0].name: x, ev.levers[1].name: None if tr is None else tr.values[1]}
        row["feasible"] = tr is not None
        row["subsidy_equivalent"] = None if tr is None else tr.metrics.get("subsidy_equivalent")
        row["package_grant_element"] = None if tr is None else tr.metrics.get("package_grant_element")
        trade.append(row)
    refused = sum(1 for tr in search.trials if tr.refused is not None)
    failed = sorted({tr.failed for tr in search.trials if tr.failed})
    return {
        "finmodel_version": __version__,
        "scenario": str(scenario.source),
        "scenario_sha256": scenario.sha256,
        "cases": list(ev.cases),
        "paths": ev.paths,
        "seed": ev.seed if ev.paths else None,
        "feasible": best is not None,
        "objective": objective,
        "objective_value": None if best is None else best.objective(objective, ev.levers),
        "levers": levers,
        "targets": tgt,
        "solution_metrics": {} if best is None else dict(best.metrics),
        "binding": binding,
        "tradeoff": trade,
        "trials": len(search.trials),
        "trials_refused": refused,
        "integrity_failures": failed,
    }


def summary_tables(res: SolveResult) -> list:
    from rich.table import Table

    from finmodel.term import esc, text

    cur = res.data.get("currency", "")
    fmts = res.data.get("formats", {})
    head = "Solved" if res.feasible else "Infeasible: no lever values within the bounds meet every target"
    lv = Table(title=f"finmodel solve: {head}", title_justify="left")
    for col in ("lever", "low", "high", "scenario", "solved"):
        lv.add_column(col, justify="left" if col == "lever" else "right")
    lever_cur = {row["lever"]: row.get("currency") or cur for row in res.data["levers"]}  # a line's own currency
    for row in res.data["levers"]:
        name = row["lever"]
        lv.add_row(
            text(name),
            *(text(fmt_value(name, row[k], lever_cur[name])) for k in ("low", "high", "scenario_value", "solved")),
        )
    tg = Table(title="Targets", title_justify="left")
    for col in ("target", "achieved", "met"):
        tg.add_column(col, justify="left" if col == "target" else "right")
    for t in res.data["targets"]:
        tg.add_row(
            text(t["target"]),
            text(fmt_value(t["metric"], t["achieved"], cur, fmts.get(t["metric"]))),
            "yes" if t["met"] else "NO",
        )
    out = [lv, tg]
    sol = res.data["solution_metrics"]
    if sol:
        facts = Table(title="The solution", title_justify="left", show_header=False)
        facts.add_column("what")
        facts.add_column("value", justify="right")
        first = ("subsidy_equivalent", "package_grant_element", "equity_irr", "min_dscr", "total_debt")
        for k in [*(k for k in first if k in sol), *(k for k in sol if k not in first)]:
            facts.add_row(k, text(fmt_value(k, sol[k], cur, fmts.get(k))))
        out.append(facts)
    bind = Table(title="What binds", title_justify="left", show_header=False)
    bind.add_column("")
    for line in res.binding or ["nothing: every target met with room and no lever at a bound"]:
        bind.add_row(text(line))
    out.append(bind)
    if res.data["tradeoff"]:
        a, b = res.data["levers"][0]["lever"], res.data["levers"][1]["lever"]
        title = f"Trade-off: {esc(a)} against the {esc(b)} that meets every target at the least objective"
        tr = Table(title=title, title_justify="left")
        for col in (a, b, "subsidy equivalent", "grant element"):
            tr.add_column(text(col), justify="right")
        for row in res.data["tradeoff"]:
            tr.add_row(
                text(fmt_value(a, row[a], lever_cur[a])),
                text(fmt_value(b, row[b], lever_cur[b]) if row["feasible"] else "infeasible"),
                text(fmt_value("subsidy_equivalent", row["subsidy_equivalent"], cur, "money")),
                text(fmt_value("package_grant_element", row["package_grant_element"], cur, "pct")),
            )
        out.append(tr)
    return out


def note_written(paths) -> list[Path]:
    return [p for p in paths if p is not None]
