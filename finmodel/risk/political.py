"""Political events: one table of probabilities, one draw, for the Monte Carlo and every other user.

The table of annual probabilities by OECD country risk category is ``finmodel/data/risk.yaml``
``political_event.annual_probability_by_oecd_category`` (with its source and confidence, read by
:mod:`finmodel.schema.riskdata`); a scenario's ``risk.political_event`` may give its own number instead. An event is
modelled as such events happen (:class:`finmodel.schema.risk.PoliticalEvent`): partial revenue loss, a duration,
and a probability of resolution; an event not resolved becomes permanent, and from then on it is the covered
event of political-risk guarantees (the model input ``in_political_event``, :mod:`finmodel.model.guarantees`).

The draw (a Gaussian copula on the time to the first event)
-----------------------------------------------------------
With ``p`` the annual probability and ``q = 1 - (1 - p) ** (1 / periods_per_year)`` its per-period equivalent,
the first event starts in period ``j`` (0-based) when ``c_j <= z < c_{j+1}``, ``c_t = Phi^-1(1 - (1 - q)^t)``
(``c_0 = -inf``): ``P(start <= t) = 1 - (1 - q)^t`` exactly, and ``z`` can be correlated with the other drivers.
It cuts revenue by ``revenue_loss`` for ``duration_months``; it is resolved when ``z_res <
Phi^-1(resolution_probability)``, otherwise it becomes permanent at its end: the same share of revenue lost to
the end of the model, and the covered event set from then on. Only the first event is drawn.

Examples
--------
>>> import numpy as np
>>> from finmodel.schema.risk import PoliticalEvent
>>> event = PoliticalEvent(annual_probability=0.5, resolution_probability=0.0)
>>> d = draw(event, periods=4, periods_per_year=1, z=np.array([-9.0, 0.1, 9.0]), z_res=np.zeros(3))
>>> d.start.tolist()                      # z = -9: at once; 0.1: P(start <= 1) = 0.5 < Phi(0.1) <= 0.75
[0, 1, 4]
>>> d.covered[1].tolist()                 # not resolved: covered from the end of its 12 months on
[0.0, 0.0, 1.0, 1.0]
"""

from __future__ import annotations

import statistics
from typing import NamedTuple

import numpy as np

from finmodel.errors import InputError
from finmodel.schema import riskdata


class PoliticalDraw(NamedTuple):
    """The first political event of each path (n paths, T periods)."""

    covered: np.ndarray  # (n, T) 1 = the permanent event (the guarantees' covered event) is in force
    revenue_loss: np.ndarray  # (n, T) share of revenue lost [fraction]
    start: np.ndarray  # (n,) period index (0-based) in which the event starts; T = no event
    permanent: np.ndarray  # (n,) True = not resolved


def annual_probability(event, oecd_category: int | None) -> float:
    """Annual probability that an event starts [per year]: the scenario's number, or the risk.yaml table by the
    host country's OECD category (``event.annual_probability == "oecd"``)."""
    p = event.annual_probability
    if p != "oecd":
        return float(p)
    if oecd_category is None:
        raise InputError(
            [
                (
                    "risk.political_event.annual_probability",
                    "expected a number: the host country has no OECD risk category, found oecd",
                )
            ]
        )
    return riskdata.political_probability_by_category(oecd_category)


def draw(
    event, *, periods: int, periods_per_year: int, z: np.ndarray, z_res: np.ndarray, oecd_category: int | None = None
) -> PoliticalDraw:
    """The first political event of each path from standard normal scores (see the module notes).

    Parameters
    ----------
    event : finmodel.schema.risk.PoliticalEvent
        Probability (a number or ``"oecd"``), revenue loss, duration and resolution probability.
    periods, periods_per_year : int
        The model's calendar.
    z, z_res : ndarray (n,)
        Standard normal scores: of the start (may be correlated with other drivers) and of the resolution.
    oecd_category : int, optional
        The host country's OECD risk category, for ``annual_probability: oecd``.
    """
    n, T = np.shape(z)[0], periods
    p = annual_probability(event, oecd_category)
    prm = event.resolved()
    q = 1.0 - (1.0 - p) ** (1.0 / periods_per_year)
    if q <= 0.0:
        return PoliticalDraw(np.zeros((n, T)), np.zeros((n, T)), np.full(n, T), np.zeros(n, dtype=bool))
    nd = statistics.NormalDist()
    cum = [1.0 - (1.0 - q) ** t for t in range(1, T + 1)]  # P(first event in the first t periods)
    cuts = np.array([nd.inv_cdf(c) if c < 1.0 else np.inf for c in cum])
    start = np.searchsorted(cuts, z, side="right")  # periods t with c_t <= z: the start period index
    r = prm["resolution_probability"]
    res_cut = -np.inf if r <= 0.0 else (np.inf if r >= 1.0 else nd.inv_cdf(r))
    permanent = (z_res >= res_cut) & (start < T)
    length = prm["duration_months"] * periods_per_year / 12.0
    t = np.arange(T)[np.newaxis, :]
    s0 = start[:, None].astype(float)
    end = s0 + length
    during = np.clip(np.minimum(t + 1, end) - np.maximum(t, s0), 0.0, 1.0)
    after = np.where(permanent[:, None], np.clip(t + 1 - np.maximum(t, end), 0.0, 1.0), 0.0)
    loss = prm["revenue_loss"] * (during + after)
    return PoliticalDraw((after > 0).astype(float), np.minimum(loss, 1.0), start, permanent)
