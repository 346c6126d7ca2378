"""The structuring solver's search: the lever values that meet every target at the least objective.

One lever: a scan of ``GRID`` points over its range, then bisection of each edge between a feasible and an
infeasible point next to the best feasible one, to ``TOLERANCE`` of the range (a whole number for an integer
field); the answer is the feasible candidate with the least objective, ties going to the one that meets the
targets most tightly (the least value that meets them). The targets need not be monotone in the lever: a
feasible stretch inside the range is found as long as the scan lands in it.

Several levers: the last lever is solved that way for every point of a grid over the others (``GRID`` points
each for two levers, fewer beyond), then once more on a finer grid around the best point; the trade-off curve
between the first two levers is the first lever's grid with the second solved at each point.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

from finmodel.errors import InputError

GRID = 7
TOLERANCE = 1e-4  # of a lever's range: the last lever's bisection
MAX_LEVERS = 4
BISECT_STEPS = 60
ROUNDING_SLACK = 1e-6  # a round solved value may cost this much more objective (relative): inside the tolerance


@dataclasses.dataclass
class Line:
    """The best feasible trial along one lever (None: none feasible) and every trial made along it."""

    best: object
    trials: list


def grid(low: float, high: float, n: int, integer: bool) -> list[float]:
    if high <= low:
        return [low]
    xs = [low + (high - low) * k / (n - 1) for k in range(n)]
    if integer:
        xs = sorted({float(round(x)) for x in xs})
    return xs


def _key(trial, ev, objective) -> tuple:
    """Objective first; then how tightly the targets are met (sum of relative slack), the least first."""
    slack = 0.0
    for t in ev.targets:
        a = trial.achieved.get(t.text)
        if a is not None and math.isfinite(a):
            slack += abs(a - t.value) / max(abs(t.value), 1e-9)
    obj = trial.objective(objective, ev.levers)
    return (round(obj, 9) if math.isfinite(obj) else math.inf, slack)


def _with(values, i, x):
    out = list(values)
    out[i] = x
    return out


def _bisect(ev, values, i, inside: float, outside: float):
    """The feasible value nearest to ``outside`` (infeasible), to TOLERANCE of the lever's range."""
    lv = ev.levers[i]
    tol = max(TOLERANCE * (lv.high - lv.low), 1e-12)
    best = ev(_with(values, i, inside))
    for _ in range(BISECT_STEPS):
        if abs(outside - inside) <= (1.0 if lv.integer else tol):
            break
        mid = (inside + outside) / 2
        if lv.integer:
            mid = float(math.floor(mid) if outside > inside else math.ceil(mid))
            if mid in (inside, outside):
                break
        t = ev(_with(values, i, mid))
        if t.feasible(ev.targets):
            inside, best = mid, t
        else:
            outside = mid
    return best


def line(ev, values, i, objective) -> Line:
    """Solve lever ``i`` with the other levers at ``values``."""
    lv = ev.levers[i]
    xs = grid(lv.low, lv.high, GRID, lv.integer)
    trials = [ev(_with(values, i, x)) for x in xs]
    feasible = [t.feasible(ev.targets) for t in trials]
    if not any(feasible):
        return Line(None, trials)
    k = min((j for j in range(len(xs)) if feasible[j]), key=lambda j: _key(trials[j], ev, objective))
    candidates = [trials[k]]
    for nb in (k - 1, k + 1):
        if 0 <= nb < len(xs) and not feasible[nb]:
            candidates.append(_bisect(ev, values, i, xs[k], xs[nb]))
    best = min(candidates, key=lambda t: _key(t, ev, objective))
    return Line(best, trials)


def tidy(ev, best, objective, steps):
    """Round each lever of the best trial to a round number within its tolerance (``steps``: the tolerance of
    each lever), up or down, keeping a rounding only if every target still holds and the objective is no worse
    than ROUNDING_SLACK (an officer reads 117.39m, not 117385416.67)."""
    for j, lv in enumerate(ev.levers):
        step = steps[j] if j < len(steps) else None
        if lv.integer or not step or step <= 0:
            continue
        unit = 10.0 ** math.floor(math.log10(step))
        x = best.values[j]
        options = []
        for r in (math.floor(x / unit) * unit, math.ceil(x / unit) * unit):
            r = float(f"{r:.12g}")
            if lv.low <= r <= lv.high and r != x:
                t = ev(_with(list(best.values), j, r))
                worse = _key(t, ev, objective)[0] - _key(best, ev, objective)[0]
                if t.feasible(ev.targets) and worse <= ROUNDING_SLACK * max(abs(_key(best, ev, objective)[0]), 1.0):
                    options.append(t)
        if options:
            best = min(options, key=lambda t: _key(t, ev, objective))
    return best


def combinations(ev, n_outer: int) -> list[tuple]:
    per = GRID if n_outer == 1 else (5 if n_outer == 2 else 3)
    axes = [grid(lv.low, lv.high, per, lv.integer) for lv in ev.levers[:n_outer]]
    return list(itertools.product(*axes))


@dataclasses.dataclass
class Search:
    """The search's outcome: the best feasible trial (None: infeasible), every trial, the trade-off rows
    (first lever value, the best trial with the second solved there, or None) and the outer levers' grid step."""

    best: object
    trials: list
    tradeoff: list
    outer_step: list


def run(ev, objective: str) -> Search:
    levers = ev.levers
    if not 1 <= len(levers) <= MAX_LEVERS:
        raise InputError([("--vary", f"expected 1 to {MAX_LEVERS} levers, found {len(levers)}")])
    last = len(levers) - 1
    start = [lv.clamp(lv.value) for lv in levers]
    tol_last = TOLERANCE * (levers[last].high - levers[last].low)
    if last == 0:
        found = line(ev, start, 0, objective)
        best = found.best if found.best is None else tidy(ev, found.best, objective, [tol_last])
        return Search(best, list(ev.cache.values()), [], [])
    best, rows = None, []
    for combo in combinations(ev, last):
        found = line(ev, [*combo, start[last]], last, objective)
        if len(levers) == 2:
            rows.append((combo[0], found.best))
        if found.best is not None and (best is None or _key(found.best, ev, objective) < _key(best, ev, objective)):
            best = found.best
    steps = []
    if best is not None:  # refine each outer lever on a finer grid around the best point, the others held
        for j in range(last):
            lv = levers[j]
            span = (lv.high - lv.low) / (len(grid(lv.low, lv.high, GRID if last == 1 else 5, lv.integer)) - 1 or 1)
            lo, hi = max(lv.low, best.values[j] - span), min(lv.high, best.values[j] + span)
            for x in grid(lo, hi, GRID, lv.integer):
                found = line(ev, _with(list(best.values), j, x), last, objective)
                if found.best is not None and _key(found.best, ev, objective) < _key(best, ev, objective):
                    best = found.best
            steps.append((hi - lo) / (GRID - 1) if hi > lo else 0.0)
    if best is not None:
        best = tidy(ev, best, objective, [*steps, tol_last])
    if len(levers) > 2 and best is not None:  # trade-off: first lever against the second, the rest as solved
        for x in grid(levers[0].low, levers[0].high, GRID, levers[0].integer):
            found = line(ev, _with(list(best.values), 0, x), 1, objective)
            rows.append((x, found.best))
    return Search(best, list(ev.cache.values()), sorted(rows, key=lambda r: r[0]), steps)
