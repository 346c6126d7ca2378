"""The fund commands' entry points: :func:`compare_portfolio` (``finmodel compare``) and :func:`run_portfolio`
(``finmodel fund``), and what they return (:class:`FundOutput`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from finmodel.errors import InputError
from finmodel.files import check_not_inputs, check_output_path
from finmodel.funds.frames import FundFrames


@dataclasses.dataclass
class FundOutput(FundFrames):
    """What ``finmodel compare`` / ``finmodel fund`` produced; pandas views from
    :class:`~finmodel.funds.frames.FundFrames` (``tranches``, ``structures``, ``to_json``, ``to_excel``)."""

    portfolio: object
    results: list
    written: list[Path]
    first_loss: object = None
    mobilisation: object = None
    data: dict = dataclasses.field(default_factory=dict)
    monte_carlo: object = None  # finmodel.funds.montecarlo.FundSimulationResult (compare --paths)
    decomposition: object = None  # finmodel.funds.decompose.Decomposition (compare: pis vs gif)

    def table(self):
        """The terminal table (rich): every tranche under each structure run."""
        from finmodel.funds.workbook import compare_table

        return compare_table(self.results)

    def lines(self) -> list[str]:
        """Plain lines for the first-loss share and the mobilisation chain (``finmodel fund``)."""
        from finmodel.funds.workbook import summary_lines

        return summary_lines(self)


def refuse_without_paths(paths: int | None, options: dict, needs: str) -> None:
    """Refuse (InputError) Monte Carlo options given without ``--paths``: they would be silently ignored."""
    problems = [
        (option, f"expected with {needs}, found {option} without --paths")
        for option, value in options.items()
        if value is not None and paths is None
    ]
    if problems:
        raise InputError(problems)


def compare_portfolio(
    path,
    case: str | None = None,
    *,
    workbook=None,
    json_path=None,
    structures=("pis", "gif"),
    paths: int | None = None,
    seed: int | None = None,
    correlation: float | None = None,
    paths_out=None,
) -> FundOutput:
    """Run the portfolio's case under each structure; write the workbook (first structure live, the others
    side by side on the Cases sheet) and the JSON if asked. Bad input is reported before any file is written.

    ``paths``: also each tranche's loss probability and expected loss over that many Monte Carlo paths of the
    projects' risk blocks (:func:`finmodel.funds.montecarlo.simulate_fund`; JSON key ``monte_carlo``), with
    ``seed`` (default 0) and ``correlation`` (default 0): given without ``paths`` they are refused
    (InputError), not ignored. ``paths_out``: with ``paths``, the per-path tranche losses (``.csv`` /
    ``.parquet``, :meth:`finmodel.funds.montecarlo.FundSimulationResult.dataframe`)."""
    from finmodel.funds import decompose, model, portfolio
    from finmodel.funds import workbook as wbk
    from finmodel.outputs import contract
    from finmodel.risk import outputs as risk_outputs

    refuse_without_paths(paths, {"--seed": seed, "--correlation": correlation, "--paths-out": paths_out}, "--paths N")
    po = risk_outputs.check_paths_out(paths_out)
    seed = 0 if seed is None else seed
    correlation = 0.0 if correlation is None else correlation
    wb_path = check_output_path(workbook, ".xlsx", "--output")
    js_path = check_output_path(json_path, ".json", "--json")
    if paths is not None:
        from finmodel.risk import simulation

        simulation.check_options(paths, seed, simulation.DEFAULT_CHUNK_SIZE)
    lp = portfolio.load(path)
    check_not_inputs({"--output": wb_path, "--json": js_path, "--paths-out": po}, [path, *lp.paths])
    results = model.compare(lp, case, structures)
    data = wbk.compare_json(lp, results)
    dec = decompose.decompose(results)
    if dec is not None:
        data["decomposition"] = dec.to_dict()
    mc = None
    if paths is not None:
        from finmodel.funds import montecarlo

        mc = montecarlo.simulate_fund(
            lp,
            paths=paths,
            seed=seed,
            case=results[0].portfolio_case,
            structures=structures,
            flows=results[0].flows,
            correlation=correlation,
        )
        data["monte_carlo"] = mc.to_json()
    written = []
    if wb_path is not None:
        written.append(wbk.write(results, wb_path, lp))
    if js_path is not None:
        written.append(contract.write_json(data, js_path))
    if po is not None:
        prov = {"scenario": lp.source, "scenario_sha256": lp.sha256, "case": mc.case, "seed": mc.seed, "paths": paths}
        written.append(risk_outputs.write_frame(mc.dataframe(), po, prov))
    return FundOutput(lp, results, written, data=data, monte_carlo=mc, decomposition=dec)


def run_portfolio(
    path,
    case: str | None = None,
    *,
    structure: str | None = None,
    workbook=None,
    json_path=None,
    first_loss_case: str | None = None,
    protect: str = "private",
    paths: int | None = None,
    seed: int | None = None,
    max_expected_loss: float | None = None,
    correlation: float | None = None,
    paths_out=None,
) -> FundOutput:
    """Run the portfolio's fund (its own structure, or ``structure``) under ``case``; with
    ``first_loss_case``, also the smallest first-loss share keeping ``protect`` whole under that case (with
    ``paths``: keeping its expected loss over that many Monte Carlo paths of the projects' risk blocks at most
    ``max_expected_loss`` of its contributions, :func:`finmodel.funds.montecarlo.first_loss_monte_carlo`); the
    mobilisation chain bottom-up from the fund's modelled investments, with the plan's top-down reference.

    ``paths`` serves the first-loss solver only, and ``seed`` / ``max_expected_loss`` / ``correlation``
    (default 0) the Monte Carlo solver only: given where they would be ignored, they are refused (InputError).
    ``paths_out``: with ``paths``, the fund at the solved share on every path (each tranche's loss, contributions,
    IRR and multiple, each project's equity cash flow; :func:`finmodel.funds.montecarlo.first_loss_paths`)."""
    from finmodel.funds import first_loss, model, portfolio
    from finmodel.funds import mobilisation as mob
    from finmodel.funds import workbook as wbk
    from finmodel.outputs import contract
    from finmodel.risk import outputs as risk_outputs

    problems = []
    if paths is not None and first_loss_case is None:
        problems.append(
            (
                "--paths",
                "expected with --first-loss CASE (the first-loss share solved on Monte Carlo paths), found "
                "--paths without --first-loss; each tranche's loss over Monte Carlo paths: finmodel compare --paths",
            )
        )
    if problems:
        raise InputError(problems)
    refuse_without_paths(
        paths,
        {
            "--seed": seed,
            "--max-expected-loss": max_expected_loss,
            "--correlation": correlation,
            "--paths-out": paths_out,
        },
        "--first-loss CASE --paths N",
    )
    seed = 0 if seed is None else seed
    max_expected_loss = 0.0 if max_expected_loss is None else max_expected_loss
    correlation = 0.0 if correlation is None else correlation
    wb_path = check_output_path(workbook, ".xlsx", "--output")
    js_path = check_output_path(json_path, ".json", "--json")
    po = risk_outputs.check_paths_out(paths_out)
    lp = portfolio.load(path)
    check_not_inputs({"--output": wb_path, "--json": js_path, "--paths-out": po}, [path, *lp.paths])
    if first_loss_case is not None:
        first_loss_case = lp.check_case(first_loss_case)
    result = model.run(lp, case, structure=structure)
    extra = {}
    fl = None
    if first_loss_case is not None:
        flows = (
            result.flows if first_loss_case == result.portfolio_case else portfolio.project_flows(lp, first_loss_case)
        )
        if paths is not None:
            from finmodel.funds import montecarlo

            fl = montecarlo.first_loss_monte_carlo(
                lp,
                paths=paths,
                seed=seed,
                case=first_loss_case,
                max_expected_loss=max_expected_loss,
                protect=protect,
                correlation=correlation,
                structure=structure,
            )
        else:
            fl = first_loss.solve(model.build(result.terms, flows), protected=protect)
        fl.case = first_loss_case
        extra["first_loss"] = fl.to_dict()
    mb = mob.bottom_up(result)
    extra["mobilisation"] = mb.to_dict()
    data = wbk.run_json(lp, result, extra)
    written = []
    if wb_path is not None:
        written.append(wbk.write([result], wb_path, lp))
    if js_path is not None:
        written.append(contract.write_json(data, js_path))
    if po is not None:
        prov = {"scenario": lp.source, "scenario_sha256": lp.sha256, "case": fl.case, "seed": seed, "paths": paths}
        prov["first_loss_share"] = fl.share
        written.append(risk_outputs.write_frame(fl.per_path, po, prov))
    return FundOutput(lp, [result], written, first_loss=fl, mobilisation=mb, data=data)
