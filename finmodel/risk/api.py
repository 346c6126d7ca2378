"""What the ``simulate`` and ``sensitivity`` commands call: check the outputs, run, write. No printing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from finmodel.errors import InputError
from finmodel.files import check_output_path
from finmodel.risk import outputs, simulation


@dataclasses.dataclass
class SimulateOutput:
    result: simulation.SimulationResult
    written: list[Path]


def connect(scheduler: str | None):
    """A Dask client for ``scheduler`` (an address such as tcp://host:8786, or "local" for a LocalCluster)."""
    if scheduler is None:
        return None
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise InputError([("--scheduler", "Dask is not installed: pip install 'finmodel[distributed]'")]) from None
    if scheduler == "local":
        return Client(LocalCluster(processes=True, threads_per_worker=1))
    return Client(scheduler)


def simulate(
    scenario=None,
    *,
    paths,
    seed=0,
    case="base",
    chunk_size=simulation.DEFAULT_CHUNK_SIZE,
    workbook=None,
    json_path=None,
    paths_out=None,
    charts=None,
    scheduler=None,
    client=None,
    on_start=None,
    on_chunk=None,
) -> SimulateOutput:
    """Run a simulation and write what was asked; every output option is checked before any work."""
    wb = check_output_path(workbook, ".xlsx", "--output")
    js = check_output_path(json_path, ".json", "--json")
    po = outputs.check_paths_out(paths_out)
    simulation.check_options(paths, seed, chunk_size)
    prepared = simulation.prepare(scenario, case)
    if prepared[0].risk is None:
        raise InputError(
            [("risk", "expected a risk block declaring the uncertain drivers (finmodel schema: risk), found nothing")],
            source=str(prepared[0].source),
        )
    own = client is None and scheduler is not None
    if own:
        client = connect(scheduler)
    try:
        if on_start:
            on_start(paths)
        res = simulation.simulate(
            scenario,
            paths=paths,
            seed=seed,
            case=case,
            chunk_size=chunk_size,
            client=client,
            on_chunk=on_chunk,
            prepared=prepared,
        )
    finally:
        if own:
            client.close()
    written = []
    if wb is not None:
        written.append(outputs.write_workbook(res, prepared[1], wb))
    if js is not None:
        written.append(outputs.write_json(res, js))
    if po is not None:
        written.append(outputs.write_paths(res, po))
    if charts is not None:
        written.extend(outputs.histogram_png(res, charts))
    return SimulateOutput(res, written)


def summary_table(res: simulation.SimulationResult):
    """A rich table of the simulation metrics next to the deterministic case."""
    from rich.table import Table

    from finmodel.term import text

    s = res.summary()
    t = Table(
        title=text(f"{res.scenario.project.name}: {res.paths:,} paths, seed {res.seed}, case {res.case}"),
        title_justify="left",
    )
    t.add_column("metric")
    t.add_column("simulated", justify="right")
    t.add_column("deterministic", justify="right")
    det = res.deterministic

    def pct(x):
        return "n/a" if x is None else f"{x:.2%}"

    def se(name):
        return f"{pct(s[name])} ± {s[name + '_se']:.2%}"

    t.add_row("probability of default", se("p_default"), str(int(det.get("default_periods") or 0) > 0))
    t.add_row("P(min DSCR < 1.00x)", se("p_min_dscr_below_1"), f"{det.get('min_dscr') or float('nan'):.2f}x")
    t.add_row(f"P(min DSCR < lock-up {res.lockup_dscr:.2f}x)", se("p_min_dscr_below_lockup"), "")
    for q in (10, 50, 90):
        t.add_row(f"equity IRR P{q}", pct(s[f"equity_irr_p{q}"]), pct(det.get("equity_irr")) if q == 50 else "")
    t.add_row(f"P(equity IRR < hurdle {res.hurdle:.1%})", se("p_equity_irr_below_hurdle"), "")
    cur = res.scenario.project.currency
    t.add_row("senior expected loss", f"{s['senior_expected_loss'] / 1e6:,.2f}m {cur}", "")
    if s.get("senior_expected_loss_ratio") is not None:
        t.add_row("  of senior debt", pct(s["senior_expected_loss_ratio"]), "")
    if "guarantee_claims_expected" in s:
        t.add_row("guarantee claims: expected", f"{s['guarantee_claims_expected'] / 1e6:,.2f}m {cur}", "")
        t.add_row("guarantee claims: P99", f"{s['guarantee_claims_p99'] / 1e6:,.2f}m {cur}", "")
    t.caption = "± binomial standard error sqrt(p(1-p)/N); IRR with no root counted as -100 %"
    return t


@dataclasses.dataclass
class SensitivityOutput:
    result: object
    written: list[Path]


def sensitivity(scenario=None, *, case="base", workbook=None, json_path=None, charts=None, only=None, fund=None):
    """Sensitivities and breakevens; writes the workbook (with a Sensitivity sheet), JSON and PNG charts.

    ``fund``: see :func:`finmodel.risk.sensitivity.run` (:func:`finmodel.api.sensitivity` builds it from a
    portfolio file)."""
    from finmodel.risk import sensitivity as sens

    wb = check_output_path(workbook, ".xlsx", "--output")
    js = check_output_path(json_path, ".json", "--json")
    res = sens.run(scenario, case, only=only, fund=fund)
    written = []
    if wb is not None:
        written.append(outputs.write_sensitivity_workbook(res, wb))
    if js is not None:
        from finmodel import report

        written.append(report.write_json(res.to_json(), js))
    if charts is not None:
        written.extend(outputs.sensitivity_pngs(res, charts))
    return SensitivityOutput(res, written)


def sensitivity_tables(res):
    """Rich tables: tornado, spider and breakevens."""
    from rich.table import Table

    from finmodel.term import text

    def pct(x):
        return "n/a" if x is None or x != x else f"{x:.2%}"

    def ratio(x):
        return "n/a" if x is None or x != x else f"{x:.2f}x"

    tor = Table(
        title=text(f"Tornado: case {res.case} (equity IRR {pct(res.base['equity_irr'])}, "
                   f"min DSCR {ratio(res.base['min_dscr'])})"),
        title_justify="left",
    )
    for c in ("driver", "low / high", "equity IRR low", "equity IRR high", "min DSCR low", "min DSCR high"):
        tor.add_column(c, justify="left" if c == "driver" else "right")
    for t in res.tornado:
        tor.add_row(
            text(t["label"]),
            f"{t['low']:g} / {t['high']:g} {t['unit']}",
            pct(t["equity_irr_low"]),
            pct(t["equity_irr_high"]),
            ratio(t["min_dscr_low"]),
            ratio(t["min_dscr_high"]),
        )
    spi = Table(title="Spider: each driver alone", title_justify="left")
    for c in ("driver", "change", "equity IRR", "min DSCR", "default periods"):
        spi.add_column(c, justify="left" if c == "driver" else "right")
    for s in res.spider:
        spi.add_row(
            text(s["driver"]),
            f"{s['change']:+g} {s['unit']}",
            pct(s["equity_irr"]),
            ratio(s["min_dscr"]),
            f"{s.get('default_periods', 0):g}",
        )
    be = Table(title="Breakevens (financing held as sized)", title_justify="left")
    for c in ("breakeven", "value", "note"):
        be.add_column(c, justify="right" if c == "value" else "left")
    for b in res.breakevens:
        v = "n/a" if b.value is None else (pct(b.value) if b.unit == "fraction" else f"{b.value:.2f} {b.unit}")
        be.add_row(text(b.label), v, text(b.note))
    tables = [tor, spi, be]
    if res.fund:
        names = [k for k in res.fund[0] if k.endswith("_irr")]
        ft = Table(title="Fund tranches: IRR with the driver moved in every project", title_justify="left")
        for c in ("driver", "change", *names):
            ft.add_column(c, justify="left" if c == "driver" else "right")
        for r in res.fund:
            ft.add_row(text(r["driver"]), f"{r['change']:+g} {r['unit']}", *[pct(r[n]) for n in names])
        tables.append(ft)
    return tables
