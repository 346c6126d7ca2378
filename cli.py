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

# [grant-element]

# [compare]

# [simulate / sensitivity]


if __name__ == "__main__":
    main()
