"""The finmodel command line: parse, load, call the library, report. No arithmetic here.

Exit codes: 0 success; 2 bad input (usage or scenario validation); 1 anything else, with a one-line reason.
"""

from __future__ import annotations

import functools
import sys

import click

from finmodel import __version__
from finmodel.errors import FinmodelError, InputError
from finmodel.files import Interrupted, install_signal_handlers


def _report_errors(func):
    """Turn finmodel errors into a clear message and the exit code the README states, never a traceback.

    SIGINT / SIGTERM (:func:`finmodel.files.install_signal_handlers`) remove any temporary output file and end
    the command with 130 / 143 and one line."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            _echo_problems(exc, "error: ")
            sys.exit(2)
        except FinmodelError as exc:
            _echo(f"error: {_inert(exc)}", err=True)  # one line, whatever the file names in it hold
            sys.exit(1)
        except Interrupted as exc:
            click.echo(f"error: interrupted ({exc}); no output file was left half-written", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("error: interrupted (SIGINT); no output file was left half-written", err=True)
            sys.exit(130)

    return wrapper


def _echo(message, *, err=False):
    """``click.echo`` of a message that may hold user text: control characters shown, never sent."""
    from finmodel.term import inert_lines

    click.echo(inert_lines(message), err=err)


def _inert(text) -> str:
    from finmodel.term import inert

    return inert(text)


def _echo_problems(exc, prefix="", *, err=True):
    """An InputError's problems, one line each: a line break or escape in a file name shows as ``\\x0a``,
    ``\\x1b``, never starts a line of its own nor reaches the terminal."""
    for k, line in enumerate(exc.lines()):
        _echo(f"{prefix if k == 0 else ''}{_inert(line)}", err=err)


def _echo_written(paths, json_path=None):
    """``wrote PATH`` for every file written; on standard error when the JSON went to standard output."""
    for path in paths:
        if path is not None:
            _echo(f"wrote {_inert(path)}", err=str(json_path) == "-")


def _json_option(what="the results"):
    return click.option(
        "--json",
        "json_path",
        type=click.Path(dir_okay=False, allow_dash=True),
        metavar="PATH",
        help=f"Write the JSON of {what} to PATH ('-': standard output, nothing else printed there).",
    )


def _console():
    """The rich console of the summaries: the terminal's width, or 100 columns when the output is not a
    terminal (a file, a pipe), so that what is written is laid out as for a 100-column terminal."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 100)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="finmodel")
def main():
    """finmodel: project-finance models for Korean-supported overseas smart-city projects."""
    install_signal_handlers()


# --- commands: each section below belongs to one concern; keep the bodies thin -------------------

# [run]


@main.command()
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--case",
    "cases",
    multiple=True,
    metavar="NAME",
    help="Case to run (repeatable; 'all' = every case, see `finmodel cases`); the first is live in the workbook. "
    "Default: base.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the live workbook (.xlsx).")
@_json_option()
@click.option(
    "--charts",
    "charts_dir",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Also write the live case's charts as PNG files (matplotlib) into DIR, for credit papers.",
)
@click.option(
    "--brief", is_flag=True, help="Print the headline summary only: returns, cover ratios, sources and uses, checks."
)
@click.option("--quiet", is_flag=True, help="Do not print the summary table.")
@_report_errors
def run(scenario, cases, output, json_path, charts_dir, brief, quiet):
    """Deterministic run of one or more cases. No SCENARIO = the embedded default scenario. SCENARIO may be a
    workbook written by finmodel (.xlsx): its inputs, as edited, are read back and the financing solved again."""
    from finmodel import api

    out = api.run(scenario, list(cases) or None, workbook=output, json_path=json_path, charts=charts_dir)
    _echo_warnings(out.warnings)
    if not quiet and json_path != "-":
        _console().print(api.summary(out, brief=brief))
    _echo_written(out.written, json_path)
    failures = api.integrity_failures(out.results)
    if failures:
        kept = " (the outputs above are written for inspection)" if out.written else ""
        _echo(f"error: integrity checks failed{kept}:", err=True)
        for line in failures:
            _echo(f"  {line}", err=True)
        sys.exit(1)


@main.command("cases")
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@_json_option("the case names and descriptions")
@_report_errors
def cases_cmd(scenario, json_path):
    """List the cases of SCENARIO (no SCENARIO: the embedded default); run them with --case NAME or --case all."""
    from finmodel import api
    from finmodel.files import check_output_path
    from finmodel.outputs.contract import write_json

    js = check_output_path(json_path, ".json", "--json")
    cases = api.case_names(scenario)
    if js is not None:
        data = {"scenario": scenario or "<default>", "cases": [{"name": n, "description": d} for n, d in cases]}
        _echo_written([write_json(data, js)], json_path)
    if js != "-":
        for name, description in cases:
            _echo(f"{name:<20} {description}")


# [export]


@main.command("export")
@click.argument("workbook", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Write the scenario (.yaml) behind the workbook, with the analyst's edits.",
)
@_report_errors
def export_cmd(workbook, output):
    """The scenario behind a (possibly edited) finmodel workbook: every named input read back, the edits
    printed against the scenario the workbook was built from. `finmodel run WORKBOOK.xlsx` re-solves it."""
    from finmodel import api

    path, changes = api.export(workbook, output)
    if changes:
        _echo(f"{len(changes)} edit(s) against the scenario the workbook was built from:")
        for c in changes:
            _echo(f"  {c}")
    else:
        _echo("no edits: the scenario the workbook was built from, unchanged")
    _echo_written([path])


# [validate / schema / new]


@main.command("validate")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_json_option("every file's problems and warnings")
@_report_errors
def validate_cmd(scenarios, json_path):
    """Check scenario files (every case in them) and fund portfolio files; print each problem with its field
    path (exit 2 if any)."""
    from finmodel import api
    from finmodel.files import check_output_path
    from finmodel.outputs.contract import write_json

    js = check_output_path(json_path, ".json", "--json")
    failed, files = False, []
    for path in scenarios:
        entry = {"file": str(path), "ok": True, "problems": [], "warnings": []}
        try:
            base = api.validate(path)
        except InputError as exc:
            failed = True
            entry["ok"] = False
            entry["problems"] = [{"field": p, "message": m} for p, m in exc.problems]
            if js != "-":
                _echo_problems(exc, err=False)
        else:
            if base is not None:
                entry["warnings"] = api.warnings(base)
            if js != "-":
                _echo(f"OK {path}")
                _echo_warnings(entry["warnings"], err=False)
        files.append(entry)
    if js is not None:
        _echo_written([write_json({"files": files}, js)], json_path)
    if failed:
        sys.exit(2)


@main.command("schema")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "markdown"]),
    default="json",
    show_default=True,
    help="JSON Schema, or the markdown reference (docs/scenario-reference.md).",
)
@_report_errors
def schema_cmd(fmt):
    """Print the scenario file's schema: every field with its type, unit, default and description."""
    import json

    from finmodel import api

    schema = api.scenario_schema(fmt)
    click.echo(schema if fmt == "markdown" else json.dumps(schema, indent=2))


@main.command("new")
@click.argument("name")
@click.option(
    "--template",
    default="umic-availability-ppp",
    show_default=True,
    metavar="T",
    help="Scenario template: umic-availability-ppp (UMIC availability PPP: EDPF, ECA, commercial), "
    "lmic-edcf-koica (LMIC: KOICA grant, EDCF, ECA, commercial), high-risk-ksure (OECD category 7: "
    "K-SURE special account, KEXIM and host guarantees). Each has a risk: block.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@_report_errors
def new_cmd(name, template, force):
    """Write NAME.yaml, a new scenario file from a template, with NAME as its project name; it runs as created."""
    from finmodel import api

    _echo_written([api.new_scenario(name, template, force=force)])


# [countries]


@main.command("countries")
@_json_option("the country table")
@_report_errors
def countries_cmd(json_path):
    """The country table: income group, OECD country risk category, UN LDC status and DAC list group, each with
    the list it comes from, its date and a confidence code (finmodel/data/countries.yaml)."""
    from finmodel import api

    out = api.countries(json_path=json_path)
    if json_path != "-":
        _console().print(out.rich_table())
    _echo_written(out.written, json_path)


# [grant-element]


def _echo_warnings(findings, *, err=True):
    """Print blending warnings (policy exceptions the plan allows): ``warning: <field path>: <message>``."""
    for w in findings:
        if isinstance(w, dict):
            text = f"{w['field']}: {w['message']}" if w.get("field") else w["message"]
        else:
            text = w if isinstance(w, str) else f"{w.field_path}: {w.message}"
        _echo(f"warning: {text}", err=err)


@main.command("grant-element")
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--rate", "annual_rate", type=float, default=None, help="Annual interest rate as a decimal (0.0015 for 0.15 %)."
)
@click.option(
    "--maturity",
    "maturity_years",
    type=float,
    default=None,
    help="Years from commitment to the last repayment, grace included.",
)
@click.option(
    "--grace",
    "grace_years",
    type=float,
    default=None,
    help="grace = years with no principal repayment; first instalment at the end of the first period after grace.",
)
@click.option(
    "--repayment",
    type=click.Choice(["equal", "annuity"]),
    default=None,
    help="equal principal instalments, or level debt service (annuity). Default: equal.",
)
@click.option("--discount-rate", type=float, default=None, help="Annual discount rate as a decimal (method 'rate').")
@click.option(
    "--periods-per-year",
    type=click.Choice(["1", "2", "4", "12"]),
    default=None,
    help="Payments per year. Default: 2.",
)
@click.option(
    "--method",
    type=click.Choice(["dac2018", "imf", "ddr", "rate"]),
    default=None,
    help="Discount rate: dac2018 (by the country's income group), imf (5 %), ddr (OECD "
    "differentiated rate from --cirr), rate (--discount-rate). Default: rate if "
    "--discount-rate is given, else the scenario's blending.method, else dac2018.",
)
@click.option(
    "--country", default=None, help="ISO alpha-3 code of the borrower country (loan terms; for dac2018 and the tests)."
)
@click.option(
    "--cirr", type=float, default=None, help="CIRR of the loan currency as a decimal (method ddr, Helsinki test)."
)
@click.option("--case", default=None, metavar="NAME", help="Case of SCENARIO to run. Default: base.")
@_json_option("the grant elements")
@_report_errors
def grant_element_cmd(
    scenario,
    annual_rate,
    maturity_years,
    grace_years,
    repayment,
    discount_rate,
    periods_per_year,
    method,
    country,
    cirr,
    case,
    json_path,
):
    """Grant element of loan terms (DAC closed form and PV of the explicit schedule), or of the modelled
    facilities of SCENARIO and of its package; with the DAC ODA and Helsinki tied-aid verdicts.

    \b
    Give either SCENARIO or the loan terms --rate, --maturity and --grace, not both.
    Convention: grace = years with no principal repayment; first instalment at the end of the first
    period after grace (DAC G = grace + 1/periods-per-year). Rates are decimals: 0.02, never 2.
    SCENARIO: grant elements of the modelled cash flows (drawdowns, interest, repayments; fees excluded),
    as on the workbook's Blending sheet.
    """
    from finmodel import api

    out = api.grant_element(
        scenario,
        case,
        annual_rate=annual_rate,
        maturity_years=maturity_years,
        grace_years=grace_years,
        repayment=repayment,
        periods_per_year=periods_per_year,
        method=method,
        discount_rate=discount_rate,
        country=country,
        cirr=cirr,
        json_path=json_path,
    )
    _echo_warnings(out.warnings)
    _echo_written(out.written, json_path)
    if json_path != "-":
        for line in out.lines():
            _echo(line)


# [compare]


@main.command("compare")
@click.argument("portfolio", type=click.Path(dir_okay=False))
@click.option("--case", default=None, metavar="NAME", help="Portfolio case (default: base).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write the workbook (.xlsx): pis live, gif side by side on the Cases sheet.",
)
@_json_option("both structures")
@click.option(
    "--paths", type=int, default=None, help="Also Monte Carlo tranche losses over N paths of the projects' risk blocks."
)
@click.option("--seed", type=int, default=None, help="With --paths: random seed (project i: seed + i). Default: 0.")
@click.option(
    "--correlation",
    type=float,
    default=None,
    metavar="RHO",
    help="With --paths: loading of every project on a shared macro factor (demand, political events). Default: 0.",
)
@click.option(
    "--paths-out",
    type=click.Path(dir_okay=False),
    help="With --paths: per path, each structure's tranche losses, IRRs and multiples, each project's loss "
    "(.csv, or .parquet).",
)
@click.option("--quiet", is_flag=True, help="Do not print the table.")
@_report_errors
def compare_cmd(portfolio, case, output, json_path, paths, seed, correlation, paths_out, quiet):
    """Run a PORTFOLIO file's fund under PIS (subordinated) and GIF (pari passu); each tranche side by side."""
    from finmodel import api

    out = api.compare(
        portfolio,
        case,
        workbook=output,
        json_path=json_path,
        paths=paths,
        seed=seed,
        correlation=correlation,
        paths_out=paths_out,
    )
    if not quiet and json_path != "-":
        _console().print(out.table())
        if out.decomposition is not None:
            _console().print(out.decomposition.table())
        if out.monte_carlo is not None:
            _console().print(out.monte_carlo.table())
    _echo_written(out.written, json_path)


@main.command("fund")
@click.argument("portfolio", type=click.Path(dir_okay=False))
@click.option("--case", default=None, metavar="NAME", help="Portfolio case (default: base).")
@click.option(
    "--structure",
    type=click.Choice(["pis", "gif"]),
    default=None,
    help="Replace the file's structure (term capped at the structure's limit).",
)
@click.option(
    "--first-loss",
    "first_loss_case",
    default=None,
    metavar="CASE",
    help="Also solve the smallest government + public share that keeps the private tranche whole "
    "under this portfolio case.",
)
@click.option(
    "--paths",
    type=int,
    default=None,
    help="With --first-loss (required): solve on N Monte Carlo paths of the "
    "projects' risk blocks (expected loss of the private tranche at most --max-expected-loss).",
)
@click.option("--seed", type=int, default=None, help="With --paths: random seed (project i: seed + i). Default: 0.")
@click.option(
    "--max-expected-loss",
    type=float,
    default=None,
    metavar="FRACTION",
    help="With --paths: the private tranche's expected loss target, a fraction of its contributions. Default: 0.",
)
@click.option(
    "--correlation",
    type=float,
    default=None,
    metavar="RHO",
    help="With --paths: loading of every project on a shared macro factor (demand, political events). Default: 0.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the live fund workbook (.xlsx).")
@_json_option()
@click.option(
    "--paths-out",
    type=click.Path(dir_okay=False),
    help="With --paths: the fund at the solved share on every path (.csv, or .parquet).",
)
@click.option("--quiet", is_flag=True, help="Do not print the tables.")
@_report_errors
def fund_cmd(
    portfolio,
    case,
    structure,
    first_loss_case,
    paths,
    seed,
    max_expected_loss,
    correlation,
    output,
    json_path,
    paths_out,
    quiet,
):
    """Run a PORTFOLIO file's fund: tranche results, first-loss share, mobilisation."""
    from finmodel import api

    out = api.fund(
        portfolio,
        case,
        structure=structure,
        workbook=output,
        json_path=json_path,
        first_loss_case=first_loss_case,
        paths=paths,
        seed=seed,
        max_expected_loss=max_expected_loss,
        correlation=correlation,
        paths_out=paths_out,
    )
    if not quiet and json_path != "-":
        _console().print(out.table())
        for line in out.lines():
            _echo(line)
    _echo_written(out.written, json_path)


# [frontier]


@main.command("frontier")
@click.argument("portfolio", type=click.Path(dir_okay=False))
@click.option("--paths", type=int, required=True, help="Number of Monte Carlo paths of the projects' risk blocks.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (project i: seed + i).")
@click.option(
    "--steps",
    default=None,
    metavar="G1,G2,...",
    help="Government first-loss shares as decimals (0 always included). "
    "Default: 0,0.025,0.05,0.075,0.1,0.15,0.2,0.25,0.3,0.4,0.5.",
)
@click.option("--case", default=None, metavar="NAME", help="Portfolio case (default: base; no `changes`).")
@_json_option("the frontier")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the frontier table (.xlsx).")
@click.option("--charts", type=click.Path(file_okay=False), metavar="DIR", help="Write frontier.png into DIR.")
@click.option(
    "--paths-out",
    type=click.Path(dir_okay=False),
    help="Per-path results (.csv, or .parquet): private and government loss, private IRR per share and path, each "
    "project's loss.",
)
@click.option("--quiet", is_flag=True, help="Do not print the table.")
@_report_errors
def frontier_cmd(portfolio, paths, seed, steps, case, json_path, output, charts, paths_out, quiet):
    """The subordination frontier of a PORTFOLIO: private risk against the government's first-loss share."""
    from finmodel import api

    out = api.frontier(
        portfolio,
        paths=paths,
        seed=seed,
        steps=steps,
        case=case,
        json_path=json_path,
        workbook=output,
        charts=charts,
        paths_out=paths_out,
    )
    if not quiet and json_path != "-":
        for table in out.tables():
            _console().print(table)
    _echo_written(out.written, json_path)


# [solve]


@main.command("solve")
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="METRIC>=VALUE",
    help="A target on a run JSON metric, >= or <= (e.g. equity_irr>=12%, min_dscr>=1.30); repeatable; with "
    "--paths, Monte Carlo metrics too (cdr_10y<=2%).",
)
@click.option(
    "--vary",
    multiple=True,
    metavar="LEVER[=LOW:HIGH]",
    help="A lever by field path (revenues[Availability payment].amount, debt.facilities[EDPF].rate.fixed), "
    "optionally narrowed; repeatable (1 to 4). Default range: the schema's limits and the policy rules.",
)
@click.option(
    "--minimise",
    default=None,
    metavar="subsidy_equivalent|LEVER",
    help="What to minimise among the values meeting every target. Default: the lever (one), else subsidy_equivalent.",
)
@click.option("--case", "cases", multiple=True, metavar="NAME", help="Case every target must hold in (repeatable).")
@click.option(
    "--structure",
    type=click.Choice(["pis", "gif"]),
    default=None,
    help="A fund portfolio: the structure the fund runs under (default: the file's).",
)
@click.option("--paths", type=int, default=None, help="Monte Carlo paths per trial (for Monte Carlo targets).")
@click.option("--seed", type=int, default=0, show_default=True, help="With --paths: the seed of every trial.")
@_json_option("the solution")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the solved scenario's live workbook.")
@click.option(
    "--write-scenario",
    type=click.Path(dir_okay=False),
    metavar="OUT.yaml",
    help="Write the solved scenario: the original file with the solved values in place and a comment saying so.",
)
@click.option("--quiet", is_flag=True, help="Do not print the tables.")
@_report_errors
def solve_cmd(
    scenario, targets, vary, minimise, cases, structure, paths, seed, json_path, output, write_scenario, quiet
):
    """Find the terms a deal needs: the lever values meeting every --target with the least subsidy equivalent
    (or the least lever), each trial re-sizing the financing as `finmodel run` does. Infeasible: exit 0 with
    what each target reaches at best and what binds."""
    from finmodel import api

    out = api.solve(
        scenario,
        targets=targets,
        vary=vary,
        minimise=minimise,
        cases=cases,
        paths=paths,
        seed=seed,
        json_path=json_path,
        workbook=output,
        write_scenario=write_scenario,
        structure=structure,
    )
    if not quiet and json_path != "-":
        for table in out.tables():
            _console().print(table)
    _echo_written(out.written, json_path)


# [programme]


@main.command("programme")
@click.argument("programme_file", metavar="PROGRAMME", type=click.Path(dir_okay=False))
@click.option("--paths", type=int, default=2000, show_default=True, help="Number of simulated paths.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same results).")
@_json_option("the programme")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the summary tables (.xlsx).")
@click.option("--charts", type=click.Path(file_okay=False), metavar="DIR", help="Write programme.png into DIR.")
@click.option(
    "--paths-out",
    type=click.Path(dir_okay=False),
    help="Per-path results (.csv, or .parquet): tranche losses and IRRs, deployments, orders, jobs.",
)
@click.option("--quiet", is_flag=True, help="Do not print the tables.")
@_report_errors
def programme_cmd(programme_file, paths, seed, json_path, output, charts, paths_out, quiet):
    """Simulate a PROGRAMME file: a fund deploying into a pipeline of candidate projects."""
    from finmodel import api

    out = api.programme(
        programme_file,
        paths=paths,
        seed=seed,
        json_path=json_path,
        workbook=output,
        charts=charts,
        paths_out=paths_out,
    )
    if not quiet and json_path != "-":
        for table in out.tables():
            _console().print(table)
        for line in out.lines():
            _echo(line)
    _echo_written(out.written, json_path)


# [report]


@main.command("report")
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--case",
    "cases",
    multiple=True,
    metavar="NAME",
    help="Case side by side (repeatable; 'all' = every case). Default: every case. A portfolio: its one case.",
)
@click.option(
    "--paths", type=int, default=None, help="Monte Carlo paths: the lenders' view (a portfolio: the frontier)."
)
@click.option("--seed", type=int, default=None, help="With --paths: random seed. Default: 0.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write the paper (.html). Default, with neither -o nor --pdf: SCENARIO's name with .html, here.",
)
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False), help="Write the paper as an A4 PDF (.pdf).")
@click.option(
    "--solution",
    type=click.Path(dir_okay=False),
    help="The structuring solution to show: the JSON of finmodel solve --json (the paper of the file "
    "--write-scenario wrote reproduces it).",
)
@_json_option("the figures the paper shows")
@_report_errors
def report_cmd(scenario, cases, paths, seed, output, pdf_path, solution, json_path):
    """The credit paper of a SCENARIO (no SCENARIO: the embedded default) or of a fund PORTFOLIO: one
    self-contained HTML page and, with --pdf, the same paper as a paginated A4 PDF."""
    from finmodel import api

    if output is None and pdf_path is None:
        output = api.default_report_name(scenario)
    out = api.report(
        scenario,
        list(cases) or None,
        paths=paths,
        seed=seed,
        html=output,
        pdf=pdf_path,
        json_path=json_path,
        solution=solution,
    )
    _echo_written(out.written, json_path)


# [simulate / sensitivity]


@main.command("simulate")
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@click.option("--paths", type=int, required=True, help="Number of Monte Carlo paths.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same results).")
@click.option("--case", default="base", show_default=True, help="Case the drivers apply to (financing: base case).")
@click.option(
    "--chunk-size",
    type=int,
    default=None,
    help="Paths per model call (bounds memory). Default: up to 4096, four chunks per worker.",
)
@click.option(
    "--workers",
    default="auto",
    show_default=True,
    metavar="N|auto",
    help="Local processes (auto: every core). Results are identical for any number.",
)
@click.option(
    "--explain-paths",
    type=int,
    default=None,
    metavar="N",
    help="Paths re-run per driver held at its deterministic value (default 5,000; 0: skip).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Workbook (.xlsx) with a Risk sheet.")
@_json_option()
@click.option("--paths-out", type=click.Path(dir_okay=False), help="Per-path results (.csv, or .parquet).")
@click.option("--charts", type=click.Path(file_okay=False), help="Folder for histogram / CDF charts (PNG).")
@click.option("--scheduler", default=None, help="Dask scheduler address (tcp://host:8786) or 'local'.")
@click.option("--quiet", is_flag=True, help="No progress bar nor summary table.")
@_report_errors
def simulate_cmd(
    scenario,
    paths,
    seed,
    case,
    chunk_size,
    workers,
    explain_paths,
    output,
    json_path,
    paths_out,
    charts,
    scheduler,
    quiet,
):
    """Monte Carlo over the scenario's risk block, with financing sized on the base case."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from finmodel import api

    progress = Progress(
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("paths"),
        TimeElapsedColumn(),
        disable=quiet,
        console=Console(stderr=True),
    )
    task = {}

    def on_start(n):
        progress.start()
        task["id"] = progress.add_task("paths", total=n)

    def on_chunk(a, b, _res):
        progress.advance(task["id"], b - a)

    try:
        out = api.simulate(
            scenario,
            paths=paths,
            seed=seed,
            case=case,
            chunk_size=chunk_size,
            workers=workers,
            explain_paths=explain_paths,
            workbook=output,
            json_path=json_path,
            paths_out=paths_out,
            charts=charts,
            scheduler=scheduler,
            on_start=on_start,
            on_chunk=on_chunk,
        )
    finally:
        progress.stop()
    if not quiet and json_path != "-":
        for table in out.tables():
            _console().print(table)
    _echo_written(out.written, json_path)


@main.command("sensitivity")
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@click.option("--case", default="base", show_default=True, help="Case to move the drivers from.")
@click.option(
    "--driver",
    "drivers",
    multiple=True,
    metavar="NAME",
    help="Only these drivers (repeatable): revenue, capex, opex, delay, rates, fx. Default: all.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Workbook (.xlsx) with a Sensitivity sheet.")
@_json_option()
@click.option("--charts", type=click.Path(file_okay=False), help="Folder for tornado and spider charts (PNG).")
@click.option("--portfolio", type=click.Path(dir_okay=False), help="Fund portfolio file: each tranche's IRR too.")
@click.option("--quiet", is_flag=True, help="Do not print the tables.")
@_report_errors
def sensitivity_cmd(scenario, case, drivers, output, json_path, charts, portfolio, quiet):
    """One-at-a-time sensitivities (tornado, spider) and breakevens, all points in one model call."""
    from finmodel import api

    out = api.sensitivity(
        scenario,
        case=case,
        workbook=output,
        json_path=json_path,
        charts=charts,
        only=list(drivers) or None,
        portfolio=portfolio,
    )
    if not quiet and json_path != "-":
        for table in out.tables():
            _console().print(table)
    _echo_written(out.written, json_path)


if __name__ == "__main__":
    main()
