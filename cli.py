"""The finmodel command line: parse, load, call the library, report. No arithmetic here.

Exit codes: 0 success; 2 bad input (usage or scenario validation); 1 anything else, with a one-line reason.
"""

from __future__ import annotations

import functools
import sys

import click

from finmodel import __version__
from finmodel.errors import FinmodelError, InputError


def _report_errors(func):
    """Turn finmodel errors into a clear message and the exit code of DESIGN.md, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            click.echo(f"error: {exc.format()}", err=True)
            sys.exit(2)
        except FinmodelError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="finmodel")
def main():
    """finmodel: project-finance models for Korean-supported overseas smart-city projects."""


# --- commands: each section below belongs to one concern; keep the bodies thin -------------------

# [run]

# [validate / schema / new]


@main.command("validate")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_report_errors
def validate_cmd(scenarios):
    """Check scenario files and every case in them; print each problem with its field path (exit 2 if any)."""
    from finmodel.scenario import validate_file

    failed = False
    for path in scenarios:
        try:
            validate_file(path)
        except InputError as exc:
            failed = True
            click.echo(exc.format())
        else:
            click.echo(f"OK {path}")
    if failed:
        sys.exit(2)


@main.command("schema")
@_report_errors
def schema_cmd():
    """Print the JSON Schema of the scenario file."""
    import json

    from finmodel.scenario import Scenario

    click.echo(json.dumps(Scenario.model_json_schema(), indent=2))


@main.command("new")
@click.argument("name")
@click.option("--template", default="default", show_default=True, help="Scenario template to start from.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@_report_errors
def new_cmd(name, template, force):
    """Write NAME.yaml, a new scenario file, from a template."""
    from finmodel.scenario import new_scenario_file

    path = new_scenario_file(name, template, force=force)
    click.echo(f"wrote {path}")

# [grant-element]

# [compare]

# [simulate / sensitivity]


if __name__ == "__main__":
    main()
