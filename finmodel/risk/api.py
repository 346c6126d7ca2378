"""What the ``simulate`` and ``sensitivity`` commands call: check the outputs, run, write. No printing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from finmodel.errors import FinmodelError, InputError
from finmodel.files import check_folder, check_not_inputs, check_output_path
from finmodel.risk import charts as charts_mod
from finmodel.risk import outputs, simulation


@dataclasses.dataclass
class SimulateOutput:
    result: simulation.SimulationResult
    written: list[Path]
    deterministic: object = None  # engine CaseResult of the case (the workbook's live model)


CONNECT_TIMEOUT_S = 10
"""Seconds to wait for a Dask scheduler to answer (Dask's own default is 30 s, retried): a wrong or silent
address fails within seconds."""


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
    return _client_within(Client, scheduler)


def _client_within(client_class, address: str):
    """``client_class(address)`` within :data:`CONNECT_TIMEOUT_S` seconds, else FinmodelError (exit 1).

    Dask's own timeout covers opening the connection, not a server that accepts it and then says nothing (or
    answers something that is not Dask): the client is made in a daemon thread and given up on at the deadline.
    """
    import threading

    box: dict = {}

    def make():
        try:
            box["client"] = client_class(address, timeout=CONNECT_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 (any failure to connect, reported as such below)
            box["error"] = exc

    t = threading.Thread(target=make, name="finmodel-dask-connect", daemon=True)
    t.start()
    t.join(CONNECT_TIMEOUT_S + 2)  # + 2 s: let Dask's own timeout report first when it can
    if "client" in box:
        return box["client"]
    exc = box.get("error")
    reason = "no answer" if exc is None else f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}"
    raise FinmodelError(f"cannot connect to the Dask scheduler {address!r} within {CONNECT_TIMEOUT_S} s: {reason}")


def simulate(
    scenario=None,
    *,
    paths,
    seed=0,
    case="base",
    chunk_size=None,
    workers="auto",
    explain_paths=None,
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
    if charts is not None:
        check_folder(charts)
    check_not_inputs({"--output": wb, "--json": js, "--paths-out": po, "--charts": charts}, [scenario])
    simulation.check_options(paths, seed, chunk_size if chunk_size is not None else 1)
    n_workers = simulation.resolve_workers(workers)
    if explain_paths is None:
        from finmodel.risk.explain import DEFAULT_EXPLAIN_PATHS

        explain_paths = min(paths, DEFAULT_EXPLAIN_PATHS)
    prepared = simulation.prepare(scenario, case)
    chunk = chunk_size or simulation.auto_chunk_size(paths, 1 if client is not None else n_workers)
    simulation.check_memory(paths, chunk, prepared[1].model.periods, workers=1 if client is not None else n_workers)
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
            workers=n_workers,
            explain_paths=explain_paths,
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
        written.extend(charts_mod.risk_pngs(res, charts))
    return SimulateOutput(res, written, prepared[1])


def _pct(x, digits=2):
    return "n/a" if x is None or x != x else f"{x:.{digits}%}"


def summary_tables(res: simulation.SimulationResult) -> list:
    """Rich tables of a simulation: lender view (default, loss, recovery) with the published references,
    DSCR and equity, each facility and guarantor, and the drivers of default."""
    from rich.table import Table

    from finmodel.term import esc, text

    s = res.summary()
    det = res.deterministic
    refs = res.references()
    cur = esc(res.scenario.project.currency)

    def se(key):
        return f"{_pct(s[key])} ± {s[key + '_se']:.2%}" if s.get(key) is not None else "n/a"

    def money(x):
        return "n/a" if x is None else f"{x / 1e6:,.2f}m {cur}"

    t = Table(
        title=text(f"{res.scenario.project.name}: {res.paths:,} paths, seed {res.seed}, case {res.case}"),
        title_justify="left",
    )
    for c in ("lenders' view", "simulated", "deterministic", "published reference"):
        t.add_column(c, justify="left" if c == "lenders' view" else "right")
    moodys = refs["cdr_10y"]
    det_default = "yes" if int(det.get("default_periods") or 0) > 0 else "no"
    if "cdr_5y" in s:
        t.add_row("default within 5 years of financial close", se("cdr_5y"), "", "")
    if "cdr_10y" in s:
        t.add_row("default within 10 years (cdr_10y)", se("cdr_10y"), "", f"{moodys['value']:.1%} (Moody's 1983-2015)")
        t.add_row("  of which after a political event", se("cdr_10y_political"), "", "")
    t.add_row(f"default within the model ({res.horizon_years} years)", se("p_default"), det_default, "")
    t.add_row("  of which after a political event", se("p_default_political"), "", "")
    t.add_row(
        "senior expected loss",
        f"{money(s.get('senior_expected_loss'))} ({_pct(s.get('senior_expected_loss_ratio'))})",
        "",
        f"{refs['expected_loss_10y']['value']:.2%} over 10 years (derived)",
    )
    t.add_row("senior P99 loss", money(s.get("senior_loss_p99")), "", "")
    t.add_row(
        "senior recovery after default (mean)",
        _pct(s.get("senior_recovery_mean"), 0),
        "",
        f"{refs['recovery_mean']['value']:.0%} (Moody's)",
    )
    t.add_row(
        "  defaults with full recovery",
        _pct(s.get("senior_full_recovery_share"), 0),
        "",
        f"~{refs['full_recovery_share']['value']:.0%} (Moody's)",
    )
    t.add_row("P(min DSCR < 1.00x)", se("p_min_dscr_below_1"), f"{det.get('min_dscr') or float('nan'):.2f}x", "")
    t.add_row(f"P(min DSCR < lock-up {res.lockup_dscr:.2f}x)", se("p_min_dscr_below_lockup"), "", "")
    t.add_row("P(CFADS < 0 in a debt-service period)", se("p_cfads_negative"), "", "")
    for q in (10, 50):
        v = s.get(f"min_dscr_p{q}")
        t.add_row(f"min DSCR P{q} (floored at 0.00x)", "n/a" if v is None else f"{v:.2f}x", "", "")
    t.add_row("senior debt service unpaid: expected", money(s.get("senior_shortfall_expected")), "", "")
    for q in (10, 50, 90):
        t.add_row(f"equity IRR P{q}", _pct(s[f"equity_irr_p{q}"]), _pct(det.get("equity_irr")) if q == 50 else "", "")
    t.add_row(f"P(equity IRR < hurdle {res.hurdle:.1%})", se("p_equity_irr_below_hurdle"), "", "")
    t.add_row("paths without an equity IRR (not in the percentiles)", _pct(s.get("equity_irr_missing_share")), "", "")
    t.caption = (
        "default: senior debt service unpaid after the DSRA (or, with cover, a covered political event), counted "
        "from financial close; loss: balance never repaid, valued at the default date at the loan's rate; "
        "± binomial s.e.; definitions and sources: docs/metrics.md"
    )
    tables = [t]
    rows = res.lenders(s)
    if rows:
        lt = Table(title="Each facility and guarantor", title_justify="left")
        for c in ("party", "role", "expected loss", "EL / peak balance", "P99 loss", "LGD", "P(loss)"):
            lt.add_column(c, justify="left" if c in ("party", "role") else "right")
        for r in rows:
            lt.add_row(
                text(str(r["name"])),
                r["role"],
                money(r["expected_loss"]),
                _pct(r["expected_loss_ratio"]),
                money(r["loss_p99"]),
                _pct(r["lgd"], 0),
                _pct(r["p_loss"]),
            )
        tables.append(lt)
    dd = res.default_drivers
    if dd and dd.get("held"):
        dt = Table(
            title=f"What drives default: each driver held at its deterministic value ({dd['paths_held']:,} paths, "
            "same random numbers)",
            title_justify="left",
        )
        for c in ("driver", "P(default)", "held at deterministic", "contribution"):
            dt.add_column(c, justify="left" if c == "driver" else "right")
        for r in dd["held"]:
            dt.add_row(r["driver"], _pct(r["p_default"]), _pct(r["p_default_held"]), f"{r['contribution']:+.2%}")
        dt.caption = f"every driver held: P(default) {_pct(dd['p_default_all_held'])} (the deterministic case)"
        tables.append(dt)
    return tables


def summary_table(res: simulation.SimulationResult):
    """The first of :func:`summary_tables` (lenders' view, DSCR, equity)."""
    return summary_tables(res)[0]


@dataclasses.dataclass
class SensitivityOutput:
    result: object
    written: list[Path]

    def tables(self) -> list:
        """The terminal tables (rich): tornado, spider, breakevens and, with a portfolio, the fund tranches."""
        return sensitivity_tables(self.result)


def sensitivity(
    scenario=None, *, case="base", workbook=None, json_path=None, charts=None, only=None, fund=None, input_files=None
):
    """Sensitivities and breakevens; writes the workbook (with a Sensitivity sheet), JSON and PNG charts.

    ``fund``: see :func:`finmodel.risk.sensitivity.run` (:func:`finmodel.api.sensitivity` builds it from a
    portfolio file). ``input_files``: further files the run reads (a portfolio and its projects' scenarios),
    which no output may overwrite."""
    from finmodel.risk import sensitivity as sens

    wb = check_output_path(workbook, ".xlsx", "--output")
    js = check_output_path(json_path, ".json", "--json")
    if charts is not None:
        check_folder(charts)
    check_not_inputs({"--output": wb, "--json": js, "--charts": charts}, [scenario, *(input_files or ())])
    res = sens.run(scenario, case, only=only, fund=fund)
    written = []
    if wb is not None:
        written.append(outputs.write_sensitivity_workbook(res, wb))
    if js is not None:
        from finmodel.outputs import contract

        written.append(contract.write_json(res.to_json(), js))
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
        title=text(
            f"Tornado: case {res.case} (equity IRR {pct(res.base['equity_irr'])}, "
            f"min DSCR {ratio(res.base['min_dscr'])})"
        ),
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
