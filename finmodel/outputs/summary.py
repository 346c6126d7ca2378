"""The terminal summary of a run: what a financing officer reads in one minute.

The summary is a list of sections built by the functions of :data:`SECTIONS`, in order. Each takes a
:class:`Context` (the results of the cases run, the scenario, the metrics) and returns a rich renderable or
None; it marks the metrics it shows as used. Metrics no section used are shown last, grouped by the section
of their row, with their workbook labels: a module that adds metrics (a new guarantee ledger, say) appears
in the summary without changes here, and can add its own section function to :data:`SECTIONS`.

Every label is the workbook's label (the formula part after `` = `` is left to the workbook and
``docs/metrics.md``); every name is the scenario's own (sponsors, facilities, guarantees), printed as
written (:mod:`finmodel.term`). Fits a 100-column terminal. ``brief`` keeps returns, cover ratios, the sources and uses
totals and the checks (``finmodel run --brief``).
"""

from __future__ import annotations

import dataclasses
import functools
import math

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from finmodel.term import text

WIDTH = 100  # the summary is laid out for a 100-column terminal
LABEL_WIDTH = 56  # the label column at least; the rest holds one column per case
CASE_WIDTH = 15  # a case column with its padding ("-112.3m USD" and room to spare)


@dataclasses.dataclass
class Context:
    results: list
    scenario: object
    used: set = dataclasses.field(default_factory=set)
    brief: bool = False

    @property
    def cur(self) -> str:
        return self.scenario.project.currency

    @property
    def rows(self):
        return self.results[0].model.rows

    @functools.cached_property
    def metrics(self) -> list[dict]:
        return [r.metrics() for r in self.results]

    def has(self, name) -> bool:
        return name in self.rows and name in self.results[0].metric_names

    def fmt(self, name, value) -> str:
        row = self.rows[name]
        return fmt_value(value, row.fmt, row.unit, self.cur)

    def metric_row(self, name, label=None) -> tuple[Text, list[str]] | None:
        """``(label, one formatted value per case)`` for a metric the model has; None if it has not."""
        if not self.has(name):
            return None
        self.used.add(name)
        return text(label or short_label(self.rows[name].label)), [self.fmt(name, m.get(name)) for m in self.metrics]


# --- formatting -------------------------------------------------------------------------------------------


def fmt_value(value, fmt: str, unit: str, currency: str) -> str:
    """A metric for the terminal, formatted by its row's format (the same one the workbook uses)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if fmt == "pct":
        return f"{value:.2%}"
    if fmt == "x":
        return f"{value:.2f}x"
    if fmt in ("money", "money2"):
        m = round(value / 1e6, 1)
        return f"{m + 0.0 if m else 0.0:,.1f}m {unit or currency}"  # never "-0.0m"
    if fmt in ("int", "check", "flag"):
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def money(value, cur) -> str:
    return fmt_value(value, "money", cur, cur)


def short_label(label: str) -> str:
    """The workbook label without its formula (``Package grant element = 1 - ...`` -> ``Package grant
    element``); the formula is in the workbook and in docs/metrics.md."""
    from finmodel.outputs.docs import split_label

    return split_label(label)[0]


def _case_columns(ctx: Context, t: Table) -> Table:
    for r in ctx.results:
        t.add_column(text(r.case + ("" if r.resized else " *")), justify="right", no_wrap=True)
    return t


def _plain_table(title=None) -> Table:
    return Table(
        title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False
    )


@dataclasses.dataclass
class Section:
    """A titled group of metric rows in the summary's main table: ``rows`` of ``(label, cells)``."""

    title: str
    rows: list


def _section(title: str, rows) -> Section | None:
    rows = [r for r in rows if r is not None]
    return Section(title, rows) if rows else None


# --- blocks above the table ------------------------------------------------------------------------------


def header(ctx: Context):
    p = ctx.scenario.project
    t = Text()
    t.append(text(p.name, "bold"))
    t.append("\n")
    t.append(text(f"{p.country} | {p.sector} | amounts in {p.currency}"))
    t.append("\nscenario: ")
    t.append(text(ctx.scenario.source))
    return t


def verdict(ctx: Context):
    """One line per case: the minimum DSCR against the target, the equity IRR against the cost of equity."""
    sc = ctx.scenario
    if sc.debt.sizing is not None:
        target, what = sc.debt.sizing.target_dscr, "target"
    else:
        target, what = sc.lockup_dscr, "lock-up"
    hurdle = sc.equity_discount_rate
    out = Text()
    for r, m in zip(ctx.results, ctx.metrics, strict=True):
        parts, ok = [], True
        dscr = m.get("min_dscr")
        if dscr is None:
            parts.append("no senior debt service (no DSCR)")
        else:
            meets = dscr >= target - 1e-9  # the solver meets the target to ~1e-10 when the DSCR binds
            ok &= meets
            parts.append(f"min DSCR {dscr:.2f}x {'>=' if meets else '<'} {what} {target:.2f}x")
        irr = m.get("equity_irr")
        if irr is None:
            ok = False
            parts.append("equity IRR n/a")
        else:
            meets = irr >= hurdle
            ok &= meets
            parts.append(f"equity IRR {irr:.2%} {'>=' if meets else '<'} cost of equity {hurdle:.2%}")
        if (m.get("default_periods") or 0) > 0:
            ok = False
            parts.append(f"default in {m['default_periods']:.0f} periods")
        if not r.checks()["master_check"]:
            ok = False
            parts.append("CHECKS FAILED")
        if out:
            out.append("\n")
        out.append(text(f"{r.case}: ", "bold"))
        out.append("meets targets" if ok else "misses targets", style="bold green" if ok else "bold red")
        out.append(" (" + "; ".join(parts) + ")")
    return out


def sizing(ctx: Context, money=money):
    """Which limit sized the debt, and the slack of the other. ``money(value, currency)`` writes the amounts (the
    terminal's ``335.3m USD`` by default; the credit paper passes its ``USD 335.3 m``)."""
    from finmodel.model.engine import sizing_limits

    r = next((r for r in ctx.results if r.resized), None)
    if r is None:
        return None
    lim = sizing_limits(r)
    cur = ctx.cur
    if lim is None:
        debt = r.metrics().get("total_debt") or 0.0
        return Text(f"Debt {money(debt, cur)}: every facility amount is fixed by the scenario (no sizing).")
    g = f"gearing {lim['max_gearing']:.0%} of uses after grants"
    d = f"the target DSCR {lim['target_dscr']:.2f}x"
    if lim["binding"] == "gearing":
        first, other, allow = f"the gearing cap ({g})", f"DSCR capacity at {d}", lim["dscr_capacity"]
    else:
        first, other, allow = f"the DSCR capacity at {d}", f"gearing cap ({g})", lim["gearing_cap"]
    return Text(
        f"Debt sized by {first}: {money(lim['debt'], cur)}.\n"
        f"The {other} would allow {money(allow, cur)}: slack {money(allow - lim['debt'], cur)}."
    )


def _rate_text(fc) -> str:
    rate = fc.rate
    if rate.is_fixed:
        return f"{rate.fixed:.2%} fixed"
    return f"{rate.base} + {rate.margin:.2%}"


def financing(ctx: Context):
    """One line per facility: name, kind, amount, rate, tenor, repayment (amounts of the first case run)."""
    r = ctx.results[0]
    facs = r.builder.facilities
    if not facs:
        return None
    t = _plain_table(text(f"Financing (case {r.case})"))
    for head, just in (
        ("facility", "left"),
        ("kind", "left"),
        (f"{ctx.cur} m", "right"),
        ("", "left"),
        ("rate", "left"),
        ("grace/tenor", "right"),
        ("repayment", "left"),
    ):
        t.add_column(head, justify=just, overflow="fold", max_width=40 if head == "facility" else None)
    for f in facs:
        fc = f.facility
        t.add_row(
            text(fc.name),
            fc.kind + ("" if fc.seniority == "senior" else " (sub.)"),
            f"{float(r.values[f.i('amount')][0, 0]) / 1e6:,.1f}",
            "sized" if f.sized else "fixed",
            text(_rate_text(fc)),
            f"{fc.grace_years:g}/{fc.maturity_years:g} y",
            fc.repayment,
        )
    return t


# --- the metric sections of the main table ----------------------------------------------------------------


def returns_section(ctx: Context):
    sc = ctx.scenario
    rows = [
        ctx.metric_row("project_irr"),
        ctx.metric_row("project_irr_pre_tax"),
        ctx.metric_row("equity_irr"),
        ctx.metric_row("equity_npv", f"Equity NPV at the cost of equity ({sc.equity_discount_rate:.1%})"),
    ]
    for i, s in enumerate(sc.sponsors, start=1):
        rows.append(_subhead(ctx, f"{s.name} ({s.kind}, {s.share:.0%} of equity)"))
        rows.append(ctx.metric_row(f"sponsor{i}_npv", "  NPV at the cost of equity"))
        rows.append(ctx.metric_row(f"sponsor{i}_payback_years", "  payback [years from close]"))
    return _section("Returns", rows)


def cover_section(ctx: Context):
    names = ["min_dscr", "avg_dscr", "min_llcr", "min_plcr", "lockup_periods", "default_periods"]
    return _section("Cover ratios", [ctx.metric_row(n) for n in names])


def sources_uses_section(ctx: Context):
    uses = [n for n in ctx.results[0].metric_names if n.startswith("uses_")]  # the uses line by line
    if uses:
        rows = [ctx.metric_row(n, "  " + ctx.rows[n].label.removeprefix("Uses: ")) for n in uses]
        rows = [ctx.metric_row("total_uses", "Uses"), *rows]
        ctx.used.add("total_capex")  # the first uses line
    else:
        rows = [ctx.metric_row("total_capex"), ctx.metric_row("total_uses", "Total uses (capex, IDC, fees, DSRA)")]
    rows += [ctx.metric_row(n) for n in ("total_grants", "senior_debt", "total_debt", "total_equity", "gearing")]
    return _section("Sources and uses", rows)


def blending_section(ctx: Context):
    names = [n for n in ctx.results[0].metric_names if ctx.rows[n].section == "Blended finance"]
    return _section("Blended finance", [ctx.metric_row(n) for n in names])


GUARANTEE_LINES = {"peak_exposure": "  peak exposure", "claims": "  claims paid", "net_cost": "  net cost to guarantor"}
"""Per guarantee in the summary; every other guarantee metric is in the JSON and on the Guarantees sheet."""


def guarantees_section(ctx: Context):
    names = [n for n in ctx.results[0].metric_names if ctx.rows[n].section == "Guarantees"]
    if not names:
        return None
    ctx.used.update(names)
    rows = []
    guarantees = getattr(ctx.scenario, "guarantees", None) or []
    for i, g in enumerate(guarantees, start=1):
        rows.append(_subhead(ctx, f"{g.name} ({g.kind})"))
        rows += [ctx.metric_row(f"g{i}_{k}", label) for k, label in GUARANTEE_LINES.items()]
    per_guarantee = {f"g{i}_" for i in range(1, len(guarantees) + 1)}
    rows.append(_subhead(ctx, "All guarantors"))
    rows += [
        ctx.metric_row(n, "  " + short_label(ctx.rows[n].label))
        for n in names
        if not any(n.startswith(p) for p in per_guarantee)
    ]
    return _section("Guarantees and insurance (every figure: JSON, Guarantees sheet)", rows)


def funding_section(ctx: Context):
    """The brief summary's sources and uses: the totals only."""
    names = ("total_uses", "total_grants", "total_debt", "total_equity", "gearing")
    return _section("Sources and uses", [ctx.metric_row(n) for n in names])


def other_metrics(ctx: Context):
    """Every metric no section showed, grouped by its row's section (a new module's metrics appear here)."""
    groups: dict[str, list] = {}
    for n in ctx.results[0].metric_names:
        if n not in ctx.used:
            groups.setdefault(ctx.rows[n].section or "Other", []).append(n)
    return [_section(title, [ctx.metric_row(n) for n in names]) for title, names in groups.items()]


def checks_section(ctx: Context):
    checks = [r.checks() for r in ctx.results]
    rows = [
        (
            Text("Master check (every check of the Checks sheet)"),
            [Text("OK", style="green") if c["master_check"] else Text("FAILED", style="bold red") for c in checks],
        )
    ]
    failed = sorted({k for c in checks for k, ok in c.items() if not ok and k != "master_check"})
    for k in failed:
        label = ctx.rows[k].label if k in ctx.rows else k
        rows.append(
            (text(f"  {label}"), [Text("ok") if c.get(k, True) else Text("failed", style="red") for c in checks])
        )
    return Section("Checks", rows)


def _subhead(ctx: Context, label: str):
    return text(label, "italic"), ["" for _ in ctx.results]


def label_width(cases: int) -> int:
    """The label column's width [characters]: what the case columns leave of :data:`WIDTH`, at least
    :data:`LABEL_WIDTH` (one case: 83 characters, so that long workbook labels stay on one line)."""
    return max(LABEL_WIDTH, WIDTH - 2 - CASE_WIDTH * cases)


def metrics_table(ctx: Context):
    """The main table: one column per case, the metric sections of :data:`SECTIONS` (:data:`BRIEF_SECTIONS`
    with ``brief``) one after the other."""
    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    t.add_column("", max_width=label_width(len(ctx.results)), overflow="fold")
    _case_columns(ctx, t)
    for fn in BRIEF_SECTIONS if ctx.brief else SECTIONS:
        out = fn(ctx)
        for sec in out if isinstance(out, list) else [out]:
            if sec is None or not sec.rows:
                continue
            t.add_row(Text(sec.title, style="bold"), *["" for _ in ctx.results])
            for label, cells in sec.rows:
                t.add_row(label, *cells)
            t.add_row()
    return t


def footnote(ctx: Context):
    lines = []
    if any(not r.resized for r in ctx.results):
        lines.append("* financing as sized on the base case (lenders test the debt as signed)")
    if ctx.brief:
        lines.append("Brief: blended finance, guarantees and lenders' figures are in the full summary, --json and -o.")
    return Text("\n".join(lines)) if lines else None


SECTIONS = [
    returns_section,
    cover_section,
    sources_uses_section,
    blending_section,
    guarantees_section,
    other_metrics,
    checks_section,
]
"""The metric sections of the main table, in order; each ``f(ctx) -> Section | list[Section] | None``."""

BRIEF_SECTIONS = [returns_section, cover_section, funding_section, checks_section]
"""The sections of ``finmodel run --brief``: what a credit committee's cover page shows (the master check
still covers every check of the workbook)."""

BLOCKS = [header, verdict, sizing, financing, metrics_table, footnote]
"""The blocks of the summary, in order; each ``f(ctx) -> renderable | None``."""


def summary(results, scenario, *, brief: bool = False) -> Group:
    """The summary of a run (one column per case) as one rich renderable; ``brief``: the headline sections
    only (:data:`BRIEF_SECTIONS`)."""
    ctx = Context(results, scenario, brief=brief)
    parts = []
    for block in BLOCKS:
        r = block(ctx)
        if r is not None:
            parts += [r, Text("")]
    return Group(*parts[:-1])
