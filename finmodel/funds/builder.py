"""What the fund model is built from: the fund's terms (:class:`FundTerms`, :class:`TrancheTerms`), each project's
equity cash flows on the fund's periods (:class:`ProjectInput`), and the :class:`FundBuilder` the rows of
:mod:`finmodel.funds.waterfall` and :mod:`finmodel.funds.distribution` are added through.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from finmodel.conventions import KRW_TOLERANCE
from finmodel.rows import Model, Ref

TIMING, PORTFOLIO, FUND, OUT, CHECKS = "Timing", "Portfolio", "Fund", "Outputs", "Checks"
CURRENCY = "KRW"
MONEY_TOLERANCE = KRW_TOLERANCE  # [KRW]: KRW has no minor unit (finmodel.conventions)


@dataclasses.dataclass(frozen=True)
class TrancheTerms:
    """One tranche: commitment [KRW], preferred return [per year], profit share [fraction or None]."""

    name: str
    commitment: float
    preferred_return: float = 0.0
    profit_share: float | None = None


@dataclasses.dataclass(frozen=True)
class FundTerms:
    """The fund's terms in canonical form (from the portfolio file's ``fund`` block).

    ``groups``: the loss order, first loss first; each group pari passu.
    """

    name: str
    structure: str
    start_date: dt.date
    periods_per_year: int
    term_years: int
    investment_years: int
    management_fee: float
    tranches: tuple[TrancheTerms, ...]
    groups: tuple[tuple[str, ...], ...]
    exit_method: str = "discounted"
    exit_discount_rate: float = 0.12
    exit_multiple: float = 1.0
    note: str = ""

    @classmethod
    def from_spec(cls, fund) -> FundTerms:
        from finmodel.funds.schema import loss_groups

        return cls(
            name=fund.name,
            structure=fund.structure,
            start_date=fund.start_date,
            periods_per_year=fund.periods_per_year,
            term_years=fund.term_years,
            investment_years=fund.investment_years,
            management_fee=fund.management_fee,
            tranches=tuple(
                TrancheTerms(n, t.commitment, t.preferred_return, t.profit_share) for n, t in fund.tranches.items()
            ),
            groups=tuple(tuple(g) for g in loss_groups(fund)),
            exit_method=fund.exit.method,
            exit_discount_rate=fund.exit.discount_rate,
            exit_multiple=fund.exit.multiple,
        )

    def as_structure(self, structure: str) -> FundTerms:
        """The same fund under ``pis`` or ``gif``: the structure's loss order; the term capped at its limit."""
        from finmodel.funds.schema import structure_rules

        rules = structure_rules(structure)
        names = [t.name for t in self.tranches]
        if rules.get("pari_passu"):
            groups = (tuple(names),)
        else:
            unknown = [n for n in names if n not in rules["loss_order"]]
            if unknown:
                from finmodel.errors import InputError

                raise InputError(
                    [("fund.tranches", f"expected tranches of the {structure} loss order, found {', '.join(unknown)}")]
                )
            groups = tuple((n,) for n in rules["loss_order"] if n in names)
        term, note = self.term_years, ""
        if rules["max_term_years"] is not None and term > rules["max_term_years"]:
            term = rules["max_term_years"]
            note = f"term capped at {term} years (the {structure} limit; portfolio: {self.term_years})"
        inv = min(self.investment_years, term)
        return dataclasses.replace(
            self, structure=structure, groups=groups, term_years=term, investment_years=inv, note=note
        )

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.tranches]


@dataclasses.dataclass
class ProjectInput:
    """A project's equity cash flows on the fund's periods, as the fund model takes them."""

    name: str
    title: str
    currency: str
    fx_to_krw: float
    stake: float
    series: np.ndarray  # (fund periods,) [project currency]
    source: str = ""
    # for the mobilisation rows (finmodel.funds.mobilisation_rows); None: a project without them (programmes)
    equity_share: float | None = None  # the project's row equity_share_of_cost [fraction]
    capex_share: float | None = None  # the project's row capex_share_of_cost [fraction]
    orders_share: float | None = None  # share of the capex won by Korean firms [fraction]
    orders_share_status: str = ""
    fx_to_usd: float = 1.0  # [USD per unit of project currency]


class FundBuilder:
    """What the fund rows share while they are added (the ``b`` of :func:`finmodel.model.checks.add_check`)."""

    def __init__(self, terms: FundTerms, projects: list[ProjectInput], periods: int):
        self.terms = terms
        self.projects = projects
        self.periods = periods
        self.model = Model(periods)
        self.cur = CURRENCY
        self.check_names: list[str] = []


def fund_row(b: FundBuilder, name, expr, label, section, total=True, unit=CURRENCY, fmt="money", sheet=FUND) -> Ref:
    """A row of the Fund sheet (default: [KRW per fund period], with a total)."""
    return b.model.add(name, expr, sheet, label, unit=unit, total=total, fmt=fmt, section=section)
