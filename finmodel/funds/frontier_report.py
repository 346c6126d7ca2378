"""``finmodel frontier``: run the subordination frontier and report it (table, JSON, workbook, PNG chart)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from finmodel.files import make_folder, save_png
from finmodel.funds import frontier as fr
from finmodel.funds import outputs
from finmodel.workbook.pngs import literal_text


@dataclasses.dataclass
class FrontierOutput:
    """What :func:`finmodel.api.frontier` returns: ``frontier`` (per-path arrays), ``data`` (the JSON),
    ``written``; ``points`` (DataFrame) and ``tables()`` (the terminal table)."""

    frontier: fr.Frontier
    data: dict
    written: list[Path]

    @property
    def points(self):
        """One row per government first-loss share (index ``government_share``, a decimal): the private
        tranche's expected loss [KRW], loss probability and IRR P5 / P50 / P95, the government's expected loss
        [KRW], private capital and private expected loss removed per won of government expected loss."""
        import pandas as pd

        return pd.DataFrame(self.frontier.points()).set_index("government_share")

    @property
    def paths(self):
        """Per-path results at every share (:meth:`finmodel.funds.frontier.Frontier.dataframe`): what
        ``--paths-out`` writes."""
        return self.frontier.dataframe()

    def tables(self) -> list:
        return [table(self.frontier)]


def _bn(v):
    return "n/a" if v is None else f"{v / 1e9:,.2f}"


def _pct(v, d=1):
    return "n/a" if v is None else f"{v:.{d}%}"


def _x(v):
    return "n/a" if v is None else f"{v:,.2f}"


COLUMNS = (
    ("government share", "government_share", lambda v: _pct(v)),
    ("private EL [bn KRW]", "private_expected_loss", _bn),
    ("private P(loss)", "private_p_loss", lambda v: _pct(v)),
    ("private IRR P5", "private_irr_p5", lambda v: _pct(v, 2)),
    ("P50", "private_irr_p50", lambda v: _pct(v, 2)),
    ("P95", "private_irr_p95", lambda v: _pct(v, 2)),
    ("government EL [bn KRW]", "government_expected_loss", _bn),
    ("private capital per won of gov EL", "private_capital_per_won_gov_el", _x),
    ("private EL removed per won of gov EL", "private_el_removed_per_won_gov_el", _x),
)


def title(f: fr.Frontier) -> str:
    sims = ", ".join(f"{k} seed {v}" for k, v in f.simulated.items()) or "none (deterministic flows)"
    return f"Subordination frontier (pis), case {f.case}: {f.paths:,} paths, seed {f.seed}; simulated: {sims}"


def table(f: fr.Frontier):
    from rich.markup import escape
    from rich.table import Table

    t = Table(title=escape(title(f)), title_justify="left")
    for head, _, _ in COLUMNS:
        t.add_column(escape(head), justify="right")
    for p in f.points():
        t.add_row(*[fmt(p[k]) for _, k, fmt in COLUMNS])
    t.caption = (
        "government share of total commitments, the rest public : private as in the file; EL = expected loss "
        "(contributions not returned); removed = (private EL at 0 - private EL) / government EL"
    )
    return t


@literal_text
def chart(f: fr.Frontier, folder) -> Path:
    """``frontier.png``: expected losses, the private tranche's loss probability and IRR band against the share."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    pts = f.points()
    g = np.array(f.shares) * 100
    el_p = np.array([p["private_expected_loss"] for p in pts]) / 1e9
    se_p = np.array([p["private_expected_loss_se"] for p in pts]) / 1e9
    el_g = np.array([p["government_expected_loss"] for p in pts]) / 1e9
    pl = np.array([p["private_p_loss"] for p in pts]) * 100
    irr = {
        q: np.array([np.nan if p[f"private_irr_{q}"] is None else p[f"private_irr_{q}"] for p in pts]) * 100
        for q in ("p5", "p50", "p95")
    }
    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(15, 4.8))
    a1.plot(g, el_p, "o-", color="#C00000", label="private tranche")
    a1.fill_between(g, el_p - 2 * se_p, el_p + 2 * se_p, color="#C00000", alpha=0.15, label="private ±2 s.e.")
    a1.plot(g, el_g, "s-", color="#1F4E79", label="government tranche")
    a1.set_title("Expected loss")
    a1.set_ylabel("bn KRW")
    a1.legend(loc="best", fontsize=9)
    a2.plot(g, pl, "o-", color="#C00000")
    a2.set_title("Private tranche: probability of a loss")
    a2.yaxis.set_major_formatter(PercentFormatter(decimals=None))  # small probabilities: as many decimals as needed
    a2.set_ylim(bottom=0)
    a3.fill_between(g, irr["p5"], irr["p95"], color="#548235", alpha=0.2, label="P5 to P95")
    a3.plot(g, irr["p50"], "o-", color="#548235", label="median")
    a3.plot(g, irr["p5"], "--", color="#548235", linewidth=0.8)
    a3.plot(g, irr["p95"], "--", color="#548235", linewidth=0.8)
    a3.set_title("Private tranche IRR")
    a3.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    a3.legend(loc="best", fontsize=9)
    for a in (a1, a2, a3):
        a.set_xlabel("government first-loss share of commitments")
        a.xaxis.set_major_formatter(PercentFormatter(decimals=0))
        a.grid(alpha=0.3)
    fig.suptitle(title(f), fontsize=10)
    fig.tight_layout()
    folder = make_folder(folder)
    p = save_png(fig, folder / "frontier.png", dpi=110)
    plt.close(fig)
    return p


def workbook(f: fr.Frontier, path) -> Path:
    prov = [
        ("portfolio", f.source),
        ("portfolio sha256", f.sha256),
        ("case", f.case),
        ("paths, seed", f"{f.paths}, {f.seed}"),
        ("simulated projects (seed)", ", ".join(f"{k} ({v})" for k, v in f.simulated.items()) or "none"),
        ("definition", f.to_json()["definition"]),
    ]
    keys = [k for _, k, _ in COLUMNS] + [
        "private_expected_loss_se",
        "private_p_loss_se",
        "private_irr_undefined_share",
        "government_expected_loss_se",
    ]
    rows = [[p[k] for k in keys] for p in f.points()]
    return outputs.write_tables(path, [("Frontier", prov, keys, rows)])


def run(path, *, paths, seed=0, steps=None, case=None, json_path=None, workbook_path=None, charts=None, paths_out=None):
    """Check every output path, run the frontier, write what was asked (``paths_out``: the per-path file)."""
    from finmodel.files import check_not_inputs
    from finmodel.funds import portfolio as pf
    from finmodel.risk import outputs as risk_outputs
    from finmodel.risk import simulation

    outputs.check_outputs(json_path, workbook_path, charts, None)  # the options' own problems first
    po = risk_outputs.check_paths_out(paths_out)
    simulation.check_options(paths, seed, simulation.DEFAULT_CHUNK_SIZE)
    fr.parse_steps(steps)
    lp = pf.load(path) if isinstance(path, (str, Path)) else path  # read once; the frontier runs on it
    inputs = [path, *lp.paths] if isinstance(path, (str, Path)) else None
    json_path, wb, charts = outputs.check_outputs(json_path, workbook_path, charts, inputs)
    if po is not None and inputs is not None:
        check_not_inputs({"--paths-out": po}, inputs)
    f = fr.frontier(lp, paths=paths, seed=seed, steps=steps, case=case)
    data = f.to_json()
    written = outputs.write_outputs(data, json_path, wb, charts, lambda p: workbook(f, p), lambda d: chart(f, d))
    if po is not None:
        prov = {k: data[k] for k in ("finmodel_version", "scenario", "scenario_sha256", "case", "seed", "paths")}
        written.append(risk_outputs.write_frame(f.dataframe(), po, prov))
    return FrontierOutput(f, data, written)
