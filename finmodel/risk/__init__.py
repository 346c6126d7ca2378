"""Risk: sensitivities, breakevens and Monte Carlo simulation over paths of one model.

A *path* is one set of input overrides; every path is a row of the arrays ``model.evaluate`` works on, so
thousands of sensitivity points, bisection brackets or Monte Carlo draws are evaluated in one call.
Financing is sized once on the base case and held fixed across paths (the lenders' view).

Modules
-------
``schema``      the ``risk:`` block of a scenario (distributions, processes, correlation)
``rng``         deterministic random numbers per path (independent of chunking and workers)
``drivers``     marginals, the Gaussian copula and the mapping of draws to model inputs
``simulation``  chunked Monte Carlo (serially, in local processes or on Dask) and its results
``sensitivity`` one-at-a-time sensitivities (tornado, spider) and breakevens
``outputs``     the Risk sheet, charts, JSON and per-path CSV / Parquet files

Imports here stay light: :mod:`finmodel.scenario` imports :mod:`finmodel.risk.schema`.
"""
