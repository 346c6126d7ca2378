"""The programme file: a fund, its deployment years, and a pipeline of candidate projects.

Schema (pydantic, unknown keys are errors) and the rules no schema can say; every problem is reported as
``(field_path, message)`` in one :class:`~finmodel.errors.InputError` (exit code 2 on the command line), as the
scenario and portfolio files are.

Conventions: amounts in KRW; fractions and rates are decimals (0.20, never 20). A candidate's ``scenario`` is a
path relative to the programme file or ``default`` (the embedded default scenario); ``template`` names a
template of ``finmodel new`` instead. A candidate's cash flows are its scenario's, scaled to its ``size``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from finmodel.errors import InputError
from finmodel.funds.schema import Fraction, Fund, Ident, Stake, fund_rules, read_yaml, validation_problem
from finmodel.schema.types import found_text


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Candidate(_Block):
    """A candidate project of the pipeline."""

    name: str = Ident
    country: str = Field(min_length=3, max_length=3, description="Host country, ISO 3166-1 alpha-3 (countries.yaml).")
    sector: str = Field(min_length=1, description="Sector (free text).")
    size: float = Field(gt=0, description="Total project cost [KRW].")
    probability_of_close: Fraction = Field(description="Probability of reaching financial close [fraction].")
    scenario: str | None = Field(
        default=None, min_length=1, description="Scenario file (relative to the programme file) or 'default'."
    )
    template: str | None = Field(default=None, min_length=1, description="A `finmodel new` template instead.")
    case: str = Field(default="base", min_length=1, description="The scenario's case.")
    stake: Stake = Field(default=0.20, description="Fund's share of the SPC's equity [fraction].")
    orders_share: Fraction | None = Field(
        default=None,
        description="Share of the capex (the EPC contract) won by Korean firms [fraction]; default: "
        "finmodel/data/mobilisation.yaml.",
    )
    co_investors: list[Literal["mdb", "eca"]] = Field(default_factory=list, description="MDB / ECA co-investors.")
    earliest_year: int = Field(default=1, ge=1, description="First fund year the project can close in.")
    latest_year: int | None = Field(default=None, ge=1, description="Last fund year (default: deployment years).")


class ProgrammeBlock(_Block):
    name: str = Field(min_length=1, description="Programme name (free text).")
    deployment_years: int = Field(gt=0, description="Years in which projects can close (<= investment period).")
    reference_orders_usd: float | None = Field(
        default=None, gt=0, description="A headline to set the simulated orders beside [USD] (e.g. the plan's)."
    )
    reference_label: str = Field(default="", description="Where the reference figure comes from.")


class Programme(_Block):
    programme: ProgrammeBlock
    fund: Fund
    pipeline: list[Candidate] = Field(min_length=1)


def validate_dict(raw, source: str = "") -> Programme:
    """Validate a programme mapping: schema, fund rules, pipeline rules (projects' scenarios are checked when
    the programme is loaded)."""
    if not isinstance(raw, dict):
        raise InputError(
            [("", f"expected a mapping with programme, fund and pipeline, found {found_text(raw)}")], source or None
        )
    try:
        pg = Programme.model_validate(raw)
    except ValidationError as exc:
        raise InputError([validation_problem(e) for e in exc.errors(include_url=False)], source or None) from None
    problems = fund_rules(pg.fund)
    years = pg.programme.deployment_years
    if years > pg.fund.investment_years:
        problems.append(
            (
                "programme.deployment_years",
                f"expected at most the fund's investment period ({pg.fund.investment_years}), found {years}",
            )
        )
    for name in ("government", "private"):
        if name not in pg.fund.tranches:
            problems.append(("fund.tranches", f"expected a {name} tranche, found {', '.join(pg.fund.tranches)}"))
    from finmodel.inputs.countries import get_country

    names = []
    for i, c in enumerate(pg.pipeline):
        where = f"pipeline.{i}"
        if c.name in names:
            problems.append((f"{where}.name", f"expected a unique candidate name, found {c.name!r} again"))
        names.append(c.name)
        if (c.scenario is None) == (c.template is None):
            problems.append(
                (where, "expected exactly one of scenario or template, found " + ("both" if c.scenario else "neither"))
            )
        if c.template is not None:
            from finmodel.schema import template_names

            if c.template not in template_names():
                problems.append(
                    (
                        f"{where}.template",
                        f"expected one of {', '.join(template_names())}, found {found_text(c.template)}",
                    )
                )
        if get_country(c.country) is None:
            problems.append(
                (
                    f"{where}.country",
                    f"expected an ISO3 code of finmodel/data/countries.yaml, found {found_text(c.country)}",
                )
            )
        latest = c.latest_year if c.latest_year is not None else years
        if not c.earliest_year <= latest <= years:
            problems.append(
                (
                    f"{where}.latest_year" if c.latest_year is not None else f"{where}.earliest_year",
                    f"expected earliest_year <= latest_year <= deployment_years ({years}), found "
                    f"{c.earliest_year} and {latest}",
                )
            )
    if problems:
        raise InputError(problems, source or None)
    return pg


def read_programme(path) -> tuple[Programme, str, str]:
    """Read and validate a programme file: (programme, source, sha256 of the file's bytes)."""
    raw, source, digest = read_yaml(path, "programme")
    return validate_dict(raw, source), source, digest
