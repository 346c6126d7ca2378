"""The pandas view of a fund run (what :func:`finmodel.fund` and :func:`finmodel.compare` return): mixed into
:class:`finmodel.funds.FundOutput`.

Units: KRW for amounts; IRRs decimals per year; multiples in times.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from finmodel.files import check_output_path
from finmodel.outputs.results import ModelFrames

if TYPE_CHECKING:
    import pandas as pd


class FundFrames:
    """``structures``, ``tranches``, ``metrics``, ``to_json``, ``to_excel`` of a fund output.

    Expects the attributes of :class:`finmodel.funds.FundOutput`: ``portfolio``, ``results`` (one
    :class:`finmodel.funds.model.FundResult` per structure), ``written`` and ``data`` (the JSON).
    """

    @property
    def structures(self) -> dict[str, ModelFrames]:
        """Each structure (``pis``, ``gif``) -> its fund model's ``cashflows``, ``annual``, ``metrics``, ``checks``."""
        return {r.structure: ModelFrames(r, "KRW") for r in self.results}

    @property
    def case(self) -> str:
        """The portfolio case."""
        return self.results[0].portfolio_case

    @property
    def metrics(self) -> pd.Series:
        """The first structure's metrics [KRW, decimal, x]."""
        return ModelFrames(self.results[0], "KRW").metrics

    @property
    def tranches(self) -> pd.DataFrame:
        """One row per tranche and ``fund``; columns (structure, metric): contributions, distributions [KRW], irr
        [per year], multiple [x], loss [KRW].

        Examples
        --------
        >>> import finmodel
        >>> cmp = finmodel.compare("scenarios/pis_smart_city_subfund.yaml", case="severe")
        >>> loss = cmp.tranches.xs("loss", axis=1, level="metric")    # [KRW]
        >>> list(loss.columns), bool(loss.loc["private", "pis"] <= loss.loc["private", "gif"])
        (['pis', 'gif'], True)
        """
        import pandas as pd

        from finmodel.funds.workbook import TRANCHE_METRICS

        cols = {}
        for s, frames in self.structures.items():
            m = frames.metrics
            names = [*frames.raw.terms.names, None]
            for metric in TRANCHE_METRICS:
                cols[(s, metric)] = [m.get(f"fund_{t}_{metric}" if t else f"fund_{metric}") for t in names]
        df = pd.DataFrame(cols, index=[*self.results[0].terms.names, "fund"], dtype=float)
        df.columns = pd.MultiIndex.from_tuples(df.columns, names=["structure", "metric"])
        df.index.name = "tranche"
        return df

    def json(self) -> dict:
        """The JSON output of the command (``finmodel fund`` / ``finmodel compare``)."""
        return self.data

    def to_json(self, path) -> Path:
        """Write :meth:`json` to ``path`` (``.json``), atomically."""
        from finmodel.outputs import contract

        p = check_output_path(path, ".json", "--json")
        self.written.append(contract.write_json(self.data, p))
        return self.written[-1]

    def to_excel(self, path) -> Path:
        """Write the live fund workbook (first structure live, the others on the Cases sheet) to ``path``."""
        from finmodel.funds import workbook as wbk

        p = check_output_path(path, ".xlsx", "--output")
        self.written.append(wbk.write(self.results, p, self.portfolio))
        return self.written[-1]
