"""The fund's distribution waterfall as rows: cash available, each tranche's hurdle, the priority groups in
distribution order (pari passu within a group), the excess above every hurdle and its sharing, and the loss-order
breach flag. The rules are in :mod:`finmodel.funds.waterfall`'s notes; every row is [KRW per fund period] unless
marked.
"""

from __future__ import annotations

from finmodel.funds.builder import FundBuilder, fund_row
from finmodel.model import checks
from finmodel.model.timeline import R
from finmodel.rows import And, If, Min, Prev, Sum


def add_waterfall(b: FundBuilder) -> None:
    """The distribution waterfall: cash available, hurdles, each priority group in distribution order (the last
    group of the loss order first), the excess and distributions, the loss-order breach flag."""
    order = list(reversed(b.terms.groups))  # distribution order: the last group to bear losses is paid first
    _cash_available(b)
    _hurdles(b)
    paid_so_far: list = []
    for gi, group in enumerate(order, start=1):
        paid_so_far += _priority(b, gi, group, paid_so_far)
    _distributions(b, paid_so_far)
    _order_breach(b, order)


def _cash_available(b: FundBuilder) -> None:
    """Distributions from projects, exit value of the stakes at the term, cash available [KRW per fund period]."""
    n, s = len(b.projects), "Cash available"
    fund_row(
        b,
        "fund_project_distributions",
        Sum([R(f"p{k}_dist") for k in range(1, n + 1)]),
        "Distributions from projects",
        s,
    )
    fund_row(
        b, "fund_exit_value", Sum([R(f"p{k}_exit") for k in range(1, n + 1)]), "Exit value of stakes at the term", s
    )
    fund_row(
        b,
        "fund_cash_available",
        R("fund_project_distributions") + R("fund_exit_value"),
        "Cash available to distribute",
        s,
    )


def _hurdles(b: FundBuilder) -> None:
    """Each tranche's hurdle due: outstanding hurdle compounded at its preferred return + its call [KRW per fund
    period, no total]."""
    m = b.model
    for tr in b.terms.tranches:
        fund_row(
            b,
            f"fund_{tr.name}_due",
            Prev(f"fund_{tr.name}_balance") * (1 + m.ref(f"fund_{tr.name}_pref_period_rate"))
            + R(f"fund_{tr.name}_call"),
            f"{tr.name}: hurdle due (capital + preferred return)",
            "Hurdles",
            total=False,
        )


def _priority(b: FundBuilder, gi: int, group, paid_so_far: list) -> list:
    """Priority group ``gi``: cash left for it, hurdles due in it (pari passu groups), each tranche's payment
    against its hurdle (pro rata within the group) and hurdle outstanding [KRW per fund period]. Returns the
    group's payments."""
    s = f"Priority {gi}: {', '.join(group)}" + (" (pari passu)" if len(group) > 1 else "")
    avail = fund_row(
        b,
        f"fund_avail_{gi}",
        R("fund_cash_available") - Sum(paid_so_far),
        "Cash left for this priority",
        s,
        total=False,
    )
    if len(group) == 1:
        tr = group[0]
        fund_row(b, f"fund_{tr}_paid", Min(R(f"fund_{tr}_due"), avail), f"{tr}: paid against the hurdle", s)
    else:
        due = fund_row(
            b, f"fund_due_{gi}", Sum([R(f"fund_{x}_due") for x in group]), "Hurdles due in this group", s, total=False
        )
        for tr in group:
            fund_row(
                b,
                f"fund_{tr}_paid",
                If(due > 0, R(f"fund_{tr}_due") * Min(1, avail / due), 0),
                f"{tr}: paid against the hurdle (pro rata)",
                s,
            )
    paid = [R(f"fund_{x}_paid") for x in group]
    for tr in group:
        fund_row(
            b,
            f"fund_{tr}_balance",
            R(f"fund_{tr}_due") - R(f"fund_{tr}_paid"),
            f"{tr}: hurdle outstanding",
            s,
            total=False,
        )
    return paid


def _distributions(b: FundBuilder, paid_so_far: list) -> None:
    """The excess above every hurdle; each tranche's share of it (its profit share, or its share of commitments),
    distributions and net cash flow; all tranches' distributions and net cash flow; cash available -
    distributions (checked) [KRW per fund period]."""
    m, s = b.model, "Distributions"

    def add(name, expr, label, total=True):
        return fund_row(b, name, expr, label, s, total=total)

    add("fund_excess", R("fund_cash_available") - Sum(paid_so_far), "Excess above every hurdle")
    for tr in b.terms.tranches:
        share = (
            m.ref(f"in_fund_{tr.name}_profit_share") if tr.profit_share is not None else m.ref(f"fund_{tr.name}_share")
        )
        add(f"fund_{tr.name}_excess", share * R("fund_excess"), f"{tr.name}: share of the excess")
        add(
            f"fund_{tr.name}_dist", R(f"fund_{tr.name}_paid") + R(f"fund_{tr.name}_excess"), f"{tr.name}: distributions"
        )
        add(f"fund_{tr.name}_cf", R(f"fund_{tr.name}_dist") - R(f"fund_{tr.name}_call"), f"{tr.name}: net cash flow")
    add("fund_dist", Sum([R(f"fund_{tr.name}_dist") for tr in b.terms.tranches]), "Distributions (all tranches)")
    add("fund_cf", R("fund_dist") - R("fund_calls"), "Investors' net cash flow (all tranches)")
    add(
        "fund_dist_difference", R("fund_cash_available") - R("fund_dist"), "Cash available - distributions", total=False
    )


def _order_breach(b: FundBuilder, order) -> None:
    """The loss order, period by period: a junior group is paid only once every senior hurdle is met, and the
    excess only once every hurdle is; the number of breaches [flag, with a total]."""
    tol = checks.tolerance(b)
    breaches = []
    for gi in range(1, len(order)):
        senior = Sum([R(f"fund_{x}_balance") for grp in order[:gi] for x in grp])
        junior = Sum([R(f"fund_{x}_paid") for x in order[gi]])
        breaches.append(And(junior > tol, senior > tol))
    breaches.append(And(R("fund_excess") > tol, Sum([R(f"fund_{x}_balance") for x in b.terms.names]) > tol))
    fund_row(b, "fund_order_breach", Sum(breaches), "Paid out of order (flag)", "Loss order", unit="flag", fmt="flag")
