"""Outputs of the fund model: the live workbook (through :func:`finmodel.workbook.writer.write_workbook`), the JSON of
the output contract, terminal tables, and recalculation parity.

The fund workbook has the layout of the project workbook: Inputs (fund terms, tranche commitments and
preferred returns, exit valuation, and each project's equity cash flows as a labelled input series with
its scenario, case and hash), Timing (fund periods), Portfolio, Fund (calls, hurdles, priority groups,
distributions), Outputs (every JSON metric a defined name) and Checks (master check). Several results
(e.g. pis and gif) add the writer's Cases sheet, side by side; the first result is the live model.
"""

from __future__ import annotations

from finmodel.funds.model import FundResult
from finmodel.version import __version__
from finmodel.workbook import parity, writer

TRANCHE_METRICS = ("contributions", "distributions", "irr", "multiple", "loss")


def provenance(lp, result: FundResult) -> dict:
    prov = writer.provenance(lp, result.portfolio_case)
    prov["scenario"] = f"{lp.source} (portfolio)"
    prov["structure (live)"] = result.structure + (f" ({result.terms.note})" if result.terms.note else "")
    prov["loss order (first loss first)"] = " -> ".join("/".join(g) for g in result.terms.groups)
    for f in result.flows:
        prov[f"project {f.name}"] = (
            f"{f.source} case {f.case} sha256 {f.sha256[:12]}; stake {f.stake:g}; {f.currency} at {f.fx_to_krw:g} KRW"
            + (f"; co-investors: {f.co_investors}" if f.co_investors else "")
        )
    return prov


def write(results: list[FundResult], path, lp):
    """Write the workbook of ``results[0]`` (live); further results go to the Cases sheet."""
    return writer.write_workbook(results, path, scenario=lp, provenance=provenance(lp, results[0]))


def projects_json(result: FundResult) -> list[dict]:
    return [
        {
            "name": f.name,
            "scenario": f.source,
            "scenario_sha256": f.sha256,
            "case": f.case,
            "stake": f.stake,
            "currency": f.currency,
            "fx_to_krw": f.fx_to_krw,
            "country": f.country,
            "co_investors": f.co_investors,
        }
        for f in result.flows
    ]


def structure_json(result: FundResult) -> dict:
    t = result.terms
    return {
        "structure": result.structure,
        "term_years": t.term_years,
        "loss_order": [list(g) for g in t.groups],
        "note": t.note,
        "metrics": result.metrics(),
        "checks": result.checks(),
    }


def run_json(lp, result: FundResult, extra: dict | None = None) -> dict:
    """``{"finmodel_version", "scenario", "scenario_sha256", "case", "structure", "metrics", "checks", ...}``."""
    out = {
        "finmodel_version": __version__,
        "scenario": lp.source,
        "scenario_sha256": lp.sha256,
        "case": result.portfolio_case,
        **structure_json(result),
        "projects": projects_json(result),
    }
    out.update(extra or {})
    return out


def compare_json(lp, results: list[FundResult]) -> dict:
    """The same portfolio case under each structure: ``structures`` lists one object per structure."""
    return {
        "finmodel_version": __version__,
        "scenario": lp.source,
        "scenario_sha256": lp.sha256,
        "case": results[0].portfolio_case,
        "structures": [structure_json(r) for r in results],
        "projects": projects_json(results[0]),
    }


def _fmt(name: str, v) -> str:
    if v is None:
        return "n/a"
    if name == "irr":
        return f"{v:.2%}"
    if name == "multiple":
        return f"{v:.2f}x"
    return f"{v / 1e9:,.1f} bn"


def compare_table(results: list[FundResult], title: str = ""):
    """A rich Table: one row per tranche and metric, one column per structure."""
    from rich.table import Table
    from rich.text import Text

    from finmodel.term import text

    t = Table(
        title=text(title or f"Fund tranches by structure, case {results[0].portfolio_case} [KRW]"),
        title_justify="left",
    )
    t.add_column("tranche")
    t.add_column("metric")
    for r in results:
        t.add_column(f"{r.structure} ({r.terms.term_years}y)", justify="right")
    ms = [r.metrics() for r in results]
    for tr in [*results[0].terms.names, None]:
        prefix = f"fund_{tr}" if tr else "fund"
        for k, name in enumerate(TRANCHE_METRICS):
            t.add_row(
                text(tr or "fund") if k == 0 else "",
                name,
                *[_fmt(name, m.get(f"{prefix}_{name}")) for m in ms],
                end_section=(name == TRANCHE_METRICS[-1]),
            )
    t.add_row("", "sum of tranche losses", *[_fmt("loss", m.get("fund_tranche_losses")) for m in ms], end_section=True)
    t.add_row(
        "",
        "master check",
        *[Text("OK", style="green") if r.checks()["master_check"] else Text("FAILED", style="red") for r in results],
    )
    notes = [f"{r.structure}: {r.terms.note}" for r in results if r.terms.note]
    if notes:
        t.caption = text("; ".join(notes))
    return t


def summary_lines(out) -> list[str]:
    """Plain lines for the first-loss share and the mobilisation chain of a ``finmodel fund`` run."""
    lines = []
    fl = out.first_loss
    if fl is not None:
        ahead = ", ".join(f"{k} {v / 1e9:,.1f} bn" for k, v in fl.commitments.items())
        if fl.attainable:
            lines.append(
                f"first loss ({fl.structure}, case {fl.case}): {fl.share:.2%} of commitments ahead of "
                f"{fl.protected} keeps it whole ({ahead} KRW)"
            )
        else:
            lines.append(
                f"first loss ({fl.structure}, case {fl.case}): {fl.protected} is whole only when empty (share 100%)"
            )
    mb = out.mobilisation
    if mb is not None:
        t = mb.totals
        lines.append(
            f"mobilisation (bottom-up): fund equity {t['fund_equity_krw'] / 1e9:,.1f} bn KRW -> SPC equity "
            f"{t['spc_equity_krw'] / 1e9:,.1f} bn -> project cost {t['project_cost_krw'] / 1e9:,.1f} bn -> orders "
            f"{t['orders_krw'] / 1e9:,.1f} bn KRW = USD {t['orders_usd'] / 1e9:,.2f} bn ~ {t['jobs']:,.0f} jobs"
        )
        for p in mb.projects:
            lines.append(
                f"  {p['name']}: {p['fund_equity_krw'] / 1e9:,.1f} bn / {p['stake']:.0%} stake / "
                f"{p['equity_share']:.1%} equity -> {p['project_cost_krw'] / 1e9:,.1f} bn; orders "
                f"{p['orders_share']:.0%} of capex ({p['capex_share']:.1%} of cost) = "
                f"USD {p['orders_usd'] / 1e9:,.3f} bn "
                f"at {p['krw_per_usd']:,.0f} KRW/USD"
            )
        for label, m in (("plan's ratios on this fund", mb.reference_same_fund), ("plan's headline", mb.reference)):
            lines.append(
                f"reference ({label}, top-down): {m.fund_size_krw / 1e9:,.0f} bn KRW / {m.stake:.0%} stake / "
                f"{m.equity_share:.0%} equity (derived) = {m.project_cost_krw / 1e9:,.0f} bn KRW = USD "
                f"{m.orders_usd / 1e9:,.2f} bn at {m.krw_per_usd:,.0f} KRW/USD (derived) ~ {m.jobs:,.0f} jobs"
            )
    return lines


PARITY_ATOL = 1e-3  # [KRW] amounts ~1e10-1e11 KRW carry float64 residue ~1e-5 in difference rows
# (calls - tranche calls), which LibreOffice snaps to 0 when the operands agree to ~15 digits; 1e-3 KRW is far
# below any amount that matters and far above that residue.


def parity_compare(result: FundResult, formulas_path, recalculated_path, *, atol=PARITY_ATOL, **kw):
    """Recalculation parity of a fund workbook: :func:`finmodel.workbook.parity.compare` takes any model laid out by
    :class:`finmodel.workbook.layout.Layout` (Timing rows ``period`` and ``period_end``), the fund's included; the
    absolute tolerance is in KRW (see ``PARITY_ATOL``), relative 1e-9 and IRR 1e-7 as there."""
    return parity.compare(result, formulas_path, recalculated_path, atol=atol, **kw)
