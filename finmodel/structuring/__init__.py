"""The structuring solver (``finmodel solve``, :func:`finmodel.solve`): the terms, the least concessionality and
the support a deal needs.

Given targets on any metric of the run JSON (``equity_irr>=12%``, ``min_dscr>=1.30``; with ``paths``, the Monte
Carlo summary's: ``cdr_10y<=2%``, ``d1_expected_loss_ratio<=1%``) and levers named by field path
(``revenues[Availability payment].amount``, ``debt.facilities[EDCF].rate.fixed``), it finds the lever values
that meet every target in every case asked for, with the least objective (``subsidy_equivalent``, the
grant-element-weighted concessional money, or a lever's own value). Every trial is a whole scenario, validated
by the same rules as ``finmodel run`` (so no trial breaks an OECD/DAC, Helsinki or instrument rule) and with its
financing re-sized as ``run`` sizes it: a lever changes the deal, not a breakeven on frozen debt.

Modules: :mod:`.solver` (the entry point), :mod:`.levers` (paths and ranges), :mod:`.targets`, :mod:`.trials` (one
trial, cached),
:mod:`.search` (the search), :mod:`.output` (result, JSON, terminal), :mod:`.rewrite` (the solved file).
"""

from finmodel.structuring.output import SolveResult
from finmodel.structuring.solver import solve

__all__ = ["SolveResult", "solve"]
