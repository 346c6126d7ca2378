"""Targets of ``finmodel solve``: ``METRIC>=VALUE`` or ``METRIC<=VALUE`` on a metric of the run JSON (with
``--paths``, of the Monte Carlo summary too). ``VALUE`` is a decimal (``0.12``) or a percentage (``12%``)."""

from __future__ import annotations

import dataclasses
import math
import re

from finmodel.errors import InputError

_TARGET = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=)\s*([-+]?[0-9.eE+-]+)\s*(%?)\s*$")


@dataclasses.dataclass(frozen=True)
class Target:
    """``metric op value``; ``monte_carlo``: the metric comes from the simulation summary."""

    text: str
    metric: str
    op: str  # ">=" or "<="
    value: float
    monte_carlo: bool = False

    def met(self, achieved: float | None, tol: float = 0.0) -> bool:
        """Whether an achieved value meets the target (a metric that is not applicable never does)."""
        if achieved is None or not math.isfinite(achieved):
            return False
        return achieved >= self.value - tol if self.op == ">=" else achieved <= self.value + tol

    def shortfall(self, achieved: float | None) -> float:
        """How far the achieved value is from the target (0 when met; infinite when not applicable)."""
        if achieved is None or not math.isfinite(achieved):
            return math.inf
        gap = self.value - achieved if self.op == ">=" else achieved - self.value
        return max(0.0, gap)

    def better(self, a: float | None, b: float | None) -> bool:
        """Whether achieved value ``a`` is nearer to meeting the target than ``b``."""
        return self.shortfall(a) < self.shortfall(b) or (
            self.shortfall(a) == self.shortfall(b) == 0
            and a is not None
            and b is not None
            and (a > b if self.op == ">=" else a < b)
        )


def parse_target(text: str, deterministic: set[str], monte_carlo: set[str] | None) -> Target:
    """A target from ``METRIC>=VALUE``; ``monte_carlo`` = the simulation's metric names (None: no ``--paths``)."""
    m = _TARGET.match(text)
    if not m:
        raise InputError(
            [("--target", f"expected METRIC>=VALUE or METRIC<=VALUE (e.g. equity_irr>=12%), found {text!r}")]
        )
    metric, op, number, pct = m.groups()
    try:
        value = float(number) / (100.0 if pct else 1.0)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError([("--target", f"expected a finite number after {op}, found {number!r} in {text!r}")])
    if metric in deterministic:
        return Target(text.strip(), metric, op, value)
    if monte_carlo is not None and metric in monte_carlo:
        return Target(text.strip(), metric, op, value, monte_carlo=True)
    if monte_carlo is None and _looks_monte_carlo(metric):
        raise InputError([("--target", f"expected --paths N for the Monte Carlo metric {metric!r}, found no --paths")])
    known = sorted(deterministic | (monte_carlo or set()))
    near = [k for k in known if metric.split("_")[0] in k][:8] or known[:8]
    raise InputError([("--target", f"expected a metric of the run JSON (e.g. {', '.join(near)}), found {metric!r}")])


def _looks_monte_carlo(metric: str) -> bool:
    return metric.startswith(("p_", "cdr_")) or any(
        s in metric for s in ("_expected_loss", "_p50", "_p5", "_p95", "_p99", "_lgd", "_mean")
    )
