"""The PIS / GIF fund: tranches, loss order, portfolio of projects, first-loss solver, mobilisation.

Data flow: portfolio file (:mod:`~finmodel.funds.schema`) -> project runs and cash flows on fund periods
(:mod:`~finmodel.funds.portfolio`) -> fund rows (:mod:`~finmodel.funds.waterfall`) -> evaluated result
(:mod:`~finmodel.funds.model`) -> workbook / JSON / tables (:mod:`~finmodel.funds.workbook`); the first-loss
solver (:mod:`~finmodel.funds.first_loss`) and mobilisation (:mod:`~finmodel.funds.mobilisation`, bottom-up, with the
plan's top-down reference) on top; PIS vs GIF decomposed (:mod:`~finmodel.funds.decompose`); the subordination
frontier (:mod:`~finmodel.funds.frontier`, reported by :mod:`~finmodel.funds.frontier_report`); programme runs over a
pipeline of candidates (:mod:`~finmodel.funds.programme_schema`, :mod:`~finmodel.funds.programme`,
:mod:`~finmodel.funds.programme_report`).

Entry points for the command line (:mod:`~finmodel.funds.commands`): :func:`compare_portfolio` (``finmodel
compare``) and :func:`run_portfolio` (``finmodel fund``, the API's :func:`finmodel.fund`).
"""

from finmodel.funds.commands import FundOutput, compare_portfolio, refuse_without_paths, run_portfolio

__all__ = ["FundOutput", "compare_portfolio", "refuse_without_paths", "run_portfolio"]
