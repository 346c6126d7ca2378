"""The pandas view of a Monte Carlo run: what :func:`finmodel.simulate` returns (the deterministic run's is
:class:`finmodel.outputs.results.Result`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from finmodel.files import check_output_path

if TYPE_CHECKING:
    import pandas as pd


class SimulationResult:
    """A Monte Carlo run (what :func:`finmodel.simulate` returns).

    Attributes
    ----------
    raw : finmodel.risk.simulation.SimulationResult
        The simulation as the risk layer returns it (per-path numpy arrays, seed, paths, case).
    written : list of Path
        Files written by :meth:`to_json` / :meth:`to_excel`.
    """

    def __init__(self, raw, deterministic=None, written=None):
        self.raw = raw
        self.deterministic = deterministic  # engine CaseResult of the case (for the workbook)
        self.written: list[Path] = list(written or [])

    def __repr__(self) -> str:
        r = self.raw
        return f"<finmodel.SimulationResult {r.scenario.project.name!r}: {r.paths} paths, seed {r.seed}, case {r.case}>"

    @property
    def paths(self) -> pd.DataFrame:
        """One row per path (0-based ``path``): the path metrics, ``senior_loss`` [currency] and the drivers."""

        return self.raw.dataframe()

    @property
    def summary(self) -> pd.Series:
        """Probabilities (shares of paths, with ``*_se`` binomial standard errors), percentiles, expected losses."""
        import pandas as pd

        return pd.Series({k: (math.nan if v is None else v) for k, v in self.raw.summary().items()}, dtype=float)

    def to_json(self, path) -> Path:
        """Write the JSON of the simulation (the output contract plus seed and paths) to ``path``."""
        from finmodel.risk import outputs

        p = check_output_path(path, ".json", "--json")
        self.written.append(outputs.write_json(self.raw, p))
        return self.written[-1]

    def tables(self) -> list:
        """The terminal summary (rich tables): the lenders' view beside the published references, each facility
        and guarantor, and what drives the defaults (:func:`finmodel.risk.api.summary_tables`)."""
        from finmodel.risk.api import summary_tables

        return summary_tables(self.raw)

    def to_excel(self, path) -> Path:
        """Write the deterministic case's live workbook with a Risk sheet of the simulation to ``path``."""
        from finmodel.risk import outputs

        p = check_output_path(path, ".xlsx", "--output")
        self.written.append(outputs.write_workbook(self.raw, self.deterministic, p))
        return self.written[-1]
