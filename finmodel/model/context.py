"""The builder context: what every sheet of the project model shares while it adds its rows.

It stands below the sheets (:mod:`finmodel.model.timeline`, :mod:`~finmodel.model.debt`, ...) and knows none of
them; :mod:`finmodel.model.engine`, above them, makes one (:func:`finmodel.model.engine.build`) and hands it to
each sheet in turn.
"""

from __future__ import annotations

import dataclasses

from finmodel.errors import FinmodelError
from finmodel.rows import Model
from finmodel.rows.totals import TOTALS, Contribution


@dataclasses.dataclass
class FacilitySpec:
    """How the builder sees one facility: its scenario entry and the names of its model items."""

    index: int
    facility: object
    p: str  # name prefix, "d1"
    currency: str | None = None  # the loan's currency where it is not the model's (finmodel.model.fx converts it)

    @property
    def senior(self) -> bool:
        return self.facility.seniority == "senior"

    @property
    def sized(self) -> bool:
        return self.facility.amount is None

    @property
    def sculpted(self) -> bool:
        return self.facility.repayment == "sculpted"

    def n(self, what: str) -> str:
        return f"{self.p}_{what}"

    def i(self, what: str) -> str:
        return f"in_{self.p}_{what}"


def facility_specs(scenario) -> list[FacilitySpec]:
    """One :class:`FacilitySpec` per facility of the scenario, prefixes ``d1``, ``d2`` ... in file order."""
    model = scenario.project.currency
    return [
        FacilitySpec(k, f, f"d{k}", f.currency if f.currency not in (None, model) else None)
        for k, f in enumerate(scenario.debt.facilities, start=1)
    ]


class Builder:
    """What the module builders share while they add rows: the model, the scenario, the facilities."""

    def __init__(self, scenario, periods: int, facilities: list, *, sizing_case: bool = True):
        self.scenario = scenario
        self.cur = scenario.project.currency
        self.periods = periods
        self.years = scenario.timeline.construction_years + scenario.timeline.operation_years
        self.model = Model(self.periods)
        self.facilities = facilities  # FacilitySpec, one per facility (facility_specs)
        self.sweep_facilities = [f for f in self.facilities if f.facility.cash_sweep]
        self.sizing_case = sizing_case
        self.check_names: list[str] = []  # see finmodel.model.checks.add_check
        self.contributions: dict[str, list[Contribution]] = {t: [] for t in TOTALS}
        self._built_totals: set[str] = set()
        # loan covers by facility name (finmodel.model.guarantees declares them, finmodel.model.ledgers reads them)
        self.loan_covers: dict[str, object] = {}

    def contribute(self, total: str, name: str, expr, label: str, *, owner: str, facility: str | None = None):
        """Declare a line of the shared ``total``. Declaring after the total was built is an error: a
        contribution can never be silently left out."""
        if total not in TOTALS:
            raise FinmodelError(f"{owner}: unknown shared total {total!r} (expected one of {', '.join(TOTALS)})")
        if total in self._built_totals:
            raise FinmodelError(f"{owner}: contribution {name!r} to {total!r} declared after the total was built")
        self.contributions[total].append(Contribution(total, name, expr, label, owner, facility))

    def lines(self, total: str) -> list[Contribution]:
        """The declared lines of ``total``, for the module that builds it; no contribution is accepted after."""
        self._built_totals.add(total)
        return list(self.contributions[total])

    def table(self, name, values, label, *, unit="", group="General", fmt="pct", source=""):
        """A by-year input table (years 1..n)."""
        return self.model.add_input(
            name, [list(values)], label, kind="table", unit=unit, group=group, fmt=fmt, source=source
        )

    def unbuilt_totals(self) -> list[str]:
        """The shared totals no module has built yet (every one must be, once the model is assembled)."""
        return [t for t in TOTALS if t not in self._built_totals]
