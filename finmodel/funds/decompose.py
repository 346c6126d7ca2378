"""PIS vs GIF decomposed: the effect of the loss order at equal terms, and the effect of the term.

``compare`` sets PIS at its term (up to 20 years) against GIF capped at 15, so the headline difference mixes two
things. With a third run, PIS at GIF's term (same loss order as PIS, same term as GIF)::

    total       = PIS(PIS term) - GIF(GIF term)
    loss order  = PIS(GIF term) - GIF(GIF term)     (equal terms: only who bears losses first differs)
    term        = PIS(PIS term) - PIS(GIF term)     (equal loss order: only the term differs)
    total       = loss order + term                  (exactly, by construction)

for each tranche's loss [KRW], IRR and multiple. When both terms are equal the term effect is zero.
"""

from __future__ import annotations

import dataclasses

from finmodel.funds import model as fm
from finmodel.funds import waterfall as wf

METRICS = ("loss", "irr", "multiple")


def at_term(terms: wf.FundTerms, term_years: int, note: str) -> wf.FundTerms:
    """The same terms with another term (investment period capped at it)."""
    return dataclasses.replace(
        terms, term_years=term_years, investment_years=min(terms.investment_years, term_years), note=note
    )


@dataclasses.dataclass
class Decomposition:
    """Per tranche and metric: the three runs' values and the two effects."""

    case: str
    terms: dict  # label -> term years
    rows: list[dict]  # {tranche, metric, pis, pis_at_gif_term, gif, total, loss_order, term}

    def to_dict(self) -> dict:
        return {
            "case": self.case,
            "definition": "total = PIS(own term) - GIF(GIF term); loss_order = PIS(GIF term) - GIF(GIF term), the "
            "effect of the loss order at equal terms; term = PIS(own term) - PIS(GIF term), the effect of the term "
            "at the PIS loss order; total = loss_order + term",
            "terms_years": self.terms,
            "rows": self.rows,
        }

    def table(self):
        from rich.table import Table

        from finmodel.term import text

        t = Table(
            title=text(
                f"PIS vs GIF decomposed, case {self.case}: loss-order effect at equal terms "
                f"({self.terms['gif']}y) and term effect ({self.terms['gif']}y -> {self.terms['pis']}y); "
                "losses in bn KRW"
            ),
            title_justify="left",
        )
        t.add_column("tranche", no_wrap=True)
        t.add_column("metric", no_wrap=True)
        for c in (
            f"pis {self.terms['pis']}y",
            f"pis {self.terms['gif']}y",
            f"gif {self.terms['gif']}y",
            "total",
            "loss order",
            "term",
        ):
            t.add_column(c, justify="right", no_wrap=True)
        for r in self.rows:
            f = _fmt(r["metric"])
            t.add_row(
                text(r["tranche"]) if r["metric"] == METRICS[0] else "",
                r["metric"],
                *[f(r[k]) for k in ("pis", "pis_at_gif_term", "gif")],
                *[f(r[k], True) for k in ("total", "loss_order", "term")],
                end_section=r["metric"] == METRICS[-1],
            )
        t.caption = (
            "loss order = pis - gif at the same term; term = pis at its own term - pis at gif's; "
            "total = loss order + term (differences: pis minus gif)"
        )
        return t


def _fmt(metric):
    def f(v, signed=False):
        if v is None:
            return "n/a"
        v = v + 0.0  # no "-0.00"
        s = "+" if signed else ""
        if metric == "irr":
            return f"{v * 100:{s},.2f}pp" if signed else f"{v:.2%}"
        if metric == "multiple":
            return f"{v:{s},.3f}x"
        return f"{round(v / 1e9, 2) + 0.0:{s},.2f}"

    return f


def _diff(a, b):
    return None if a is None or b is None else a - b


def decompose(results: list[fm.FundResult]) -> Decomposition | None:
    """The decomposition of a ``compare`` run (results for ``pis`` and ``gif``, same flows); None without both."""
    by = {r.structure: r for r in results}
    if not {"pis", "gif"} <= set(by):
        return None
    pis, gif = by["pis"], by["gif"]
    gif_term = gif.terms.term_years
    mid_terms = at_term(pis.terms, gif_term, f"pis loss order at the gif term ({gif_term} years)")
    mid = fm.evaluate(mid_terms, pis.flows, pis.portfolio_case)
    mp, mm, mg = pis.metrics(), mid.metrics(), gif.metrics()
    rows = []
    for tr in [*pis.terms.names, None]:
        prefix = f"fund_{tr}" if tr else "fund"
        for metric in METRICS:
            k = f"{prefix}_{metric}"
            a, b, c = mp.get(k), mm.get(k), mg.get(k)
            rows.append(
                {
                    "tranche": tr or "fund",
                    "metric": metric,
                    "pis": a,
                    "pis_at_gif_term": b,
                    "gif": c,
                    "total": _diff(a, c),
                    "loss_order": _diff(b, c),
                    "term": _diff(a, b),
                }
            )
    return Decomposition(pis.portfolio_case, {"pis": pis.terms.term_years, "gif": gif_term}, rows)
