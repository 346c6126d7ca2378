"""Risk: sensitivities, breakevens and Monte Carlo simulation over paths of one model.

A *path* is one set of input overrides; every path is a row of the arrays ``model.evaluate`` works on, so
thousands of sensitivity points, bisection brackets or Monte Carlo draws are evaluated in one call.
Financing is sized once on the base case and held fixed across paths (the lenders' view).

Modules
-------
``rng``         deterministic random numbers per path (independent of chunking and workers)
``drivers``     marginals, the Gaussian copula and the mapping of draws to model inputs
``political``   the one political-event draw (probabilities by OECD category from risk.yaml), for every user
``simulation``  chunked Monte Carlo (serially, in local processes or on Dask), per-path lender data
``metrics``     lender metrics from per-path arrays (default curve, EL, P99, LGD, recovery, DSCR)
``results``     the simulation result: summary, lenders, JSON
``explain``     which drivers cause the defaults (held at deterministic values, deciles)
``sensitivity`` one-at-a-time sensitivities (tornado, spider) and breakevens
``outputs``     the Risk sheet, JSON and per-path CSV / Parquet files
``charts``      PNG charts (distributions with reference lines, default curve, drivers of default)

The ``risk:`` block of a scenario (presets, distributions, processes, correlation) is part of the scenario
schema, :mod:`finmodel.schema.risk`; the sourced risk data (``finmodel/data/risk.yaml``: presets, political
events, references) is read by :mod:`finmodel.schema.riskdata`, in the bottom layer, because the schema uses it.
"""
