"""The portfolio file: a fund (structure, tranches, fees, exit) and the projects it invests in.

Schema (pydantic, unknown keys are errors) and the rules no schema can say: the term against the
structure's limit, commitments against a stated total, the loss order, the plan's high-risk exception.
Every problem is reported as ``(field_path, message)`` in one :class:`~finmodel.errors.InputError`
(exit code 2 on the command line).

Conventions
-----------
* Amounts are in KRW; rates are decimals (0.05, never 5), annual, converted to period rates in the model.
* ``loss_order`` lists tranches first loss first; an inner list is a pari passu group. Distributions run
  in the reverse order (the last group of the loss order is paid first).
* A project's ``scenario`` is a path relative to the portfolio file, or ``default`` for the embedded
  default scenario.
* MDB / ECA co-investor (for the high-risk exception): the project entry's ``co_investors: [mdb]`` (or
  ``[eca]``), or a facility of kind ``mdb`` or ``eca`` in the project's scenario.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from finmodel import readfile
from finmodel.errors import FinmodelError, InputError
from finmodel.readfile import Loader as _Loader
from finmodel.schema.types import decimal_between, found_text

Rate = decimal_between(0.0, 1.0, hi_open=True, what="a rate")
Stake = decimal_between(0.0, 1.0, lo_open=True, what="a stake (fraction of SPC equity)")
Fraction = decimal_between(0.0, 1.0, what="a fraction")
Ident = Field(pattern=r"^[a-z][a-z0-9_]*$")
DEFAULT_SCENARIO = "default"


@functools.cache
def structures_data() -> dict:
    """The parameters of ``finmodel/data/fund_structures.yaml`` (structures, sizes, mobilisation)."""
    text = resources.files("finmodel.data").joinpath("fund_structures.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader reading YAML 1.2 floats such as 1.5e12)


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Tranche(_Block):
    """One class of investors in the fund."""

    commitment: float = Field(ge=0, description="Commitment [KRW].")
    preferred_return: Rate = Field(default=0.0, description="Preferred return, compounded [per year, decimal].")
    profit_share: Fraction | None = Field(
        default=None,
        description="Share of profit above every tranche's preferred return [fraction]; all or none of the "
        "tranches give one, summing to 1. None: pro rata to commitments.",
    )


class Exit(_Block):
    """Value at the fund's term of stakes in projects that outlive it."""

    method: Literal["discounted", "multiple"] = Field(
        default="discounted",
        description="discounted: remaining project distributions discounted to the term at discount_rate; "
        "multiple: multiple x the fund's investment (at cost) in the project.",
    )
    discount_rate: Rate = Field(default=0.12, description="Buyer's discount rate [per year, decimal].")
    multiple: float = Field(default=1.0, ge=0, description="Multiple of invested capital [x].")


class Fund(_Block):
    """The fund's structure and terms."""

    name: str = Field(min_length=1, description="Fund name (free text).")
    structure: Literal["pis", "gif", "custom"] = Field(
        description="pis: loss order government -> public -> private, term <= 20 years; gif: all pari passu, "
        "term <= 15 years; custom: loss_order and term as stated."
    )
    start_date: dt.date = Field(description="First close [date]; fund period 1 starts here.")
    periods_per_year: Literal[1, 2] = Field(default=1, description="Fund periods per year.")
    term_years: int = Field(gt=0, description="Fund term [years].")
    investment_years: int = Field(gt=0, description="Investment period from the start date [years].")
    management_fee: Rate = Field(
        default=0.0,
        description="Annual fee [decimal]: on commitments during the investment period, on invested cost after.",
    )
    total_commitment: float | None = Field(default=None, gt=0, description="Stated fund size [KRW], optional.")
    tranches: dict[str, Tranche] = Field(min_length=1, description="Tranches by name (government, public, private...).")
    loss_order: list[str | list[str]] | None = Field(
        default=None,
        description="structure custom only: tranches first loss first; an inner list is a pari passu group.",
    )
    exit: Exit = Field(default_factory=Exit, description="Exit valuation at the term.")


class ProjectEntry(_Block):
    """One project the fund invests in."""

    name: str = Ident
    scenario: str = Field(min_length=1, description="Scenario file relative to the portfolio file, or 'default'.")
    case: str = Field(default="base", min_length=1, description="The project's case in the portfolio's base case.")
    stake: Stake = Field(default=0.20, description="Fund's share of the SPC's equity cash flows [fraction].")
    start_date: dt.date | None = Field(
        default=None,
        description="Financial close of the project in the portfolio (shifts its cash flows); default: the "
        "scenario's own start date. The fund's contributions follow the project's sponsor funding.",
    )
    co_investors: list[Literal["mdb", "eca"]] = Field(
        default_factory=list, description="MDB / ECA co-investors (for the high-risk exception)."
    )
    orders_share: Fraction | None = Field(
        default=None,
        description="Share of the project's capex (the EPC contract) won by Korean firms, for the mobilisation "
        "chain [fraction]; default: finmodel/data/mobilisation.yaml (bottom_up.orders_share).",
    )


class PortfolioCase(_Block):
    """A named portfolio case: project cases by project, and changes applied to every project scenario."""

    description: str = ""
    projects: dict[str, str] = Field(default_factory=dict, description="project name -> project case.")
    changes: dict[str, Any] = Field(
        default_factory=dict,
        description="Dotted scenario paths -> values applied to every project (financing as sized in its base).",
    )


class Portfolio(_Block):
    """A portfolio file."""

    fund: Fund
    projects: list[ProjectEntry] = Field(min_length=1)
    cases: dict[str, PortfolioCase] = Field(default_factory=dict)


# --- validation --------------------------------------------------------------------------------------


def validation_problem(err) -> tuple[str, str]:
    loc = ".".join(str(x) for x in err.get("loc", ()))
    kind = err.get("type", "")
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return loc, "expected a value for this required key, found nothing"
    if kind == "extra_forbidden":
        return loc, f"expected no such key, found unknown key {found_text(str(err['loc'][-1]))}"
    if kind in ("decimal_rate", "decimal_range"):
        return loc, err["msg"]
    if kind == "literal_error":
        return loc, f"expected one of {ctx.get('expected')}, found {found_text(value)}"
    if kind == "string_pattern_mismatch":
        return loc, f"expected a lower-case name (letters, digits, _), found {found_text(value)}"
    msg = err.get("msg", "").replace("Input should be", "").strip()
    return loc, f"expected {msg or 'a valid value'}, found {found_text(value)}"


def structure_rules(structure: str) -> dict:
    return structures_data()["structures"][structure]


def loss_groups(fund: Fund) -> list[list[str]]:
    """The loss order as groups of tranche names, first loss first (a group is pari passu)."""
    names = list(fund.tranches)
    if fund.structure == "gif":
        return [names]
    if fund.structure == "pis":
        order = structure_rules("pis")["loss_order"]
        return [[n] for n in order if n in fund.tranches]
    return [[x] if isinstance(x, str) else list(x) for x in fund.loss_order or []]


def fund_rules(fund: Fund) -> list[tuple[str, str]]:
    """Rules of the fund block beyond its schema."""
    problems = []
    rules = structure_rules(fund.structure)
    limit = rules["max_term_years"]
    if limit is not None and fund.term_years > limit:
        problems.append(
            (
                "fund.term_years",
                f"expected at most {limit} years, the term limit of structure {fund.structure} "
                f"({rules['source']}), found {fund.term_years}",
            )
        )
    if fund.investment_years > fund.term_years:
        problems.append(
            ("fund.investment_years", f"expected at most the term ({fund.term_years}), found {fund.investment_years}")
        )
    total = math.fsum(t.commitment for t in fund.tranches.values())
    if total <= 0:
        problems.append(("fund.tranches", "expected commitments summing to more than 0 KRW, found 0"))
    if fund.total_commitment is not None and not math.isclose(total, fund.total_commitment, rel_tol=1e-9, abs_tol=1):
        problems.append(
            (
                "fund.total_commitment",
                f"expected the sum of the tranche commitments ({total:,.0f} KRW), found {fund.total_commitment:,.0f}",
            )
        )
    for name in fund.tranches:
        if not name.isidentifier() or name != name.lower():
            problems.append(
                (f"fund.tranches.{name}", f"expected a lower-case name (letters, digits, _), found {name!r}")
            )
    if fund.structure in ("pis", "gif"):
        if fund.loss_order is not None:
            problems.append(
                (
                    "fund.loss_order",
                    f"expected no loss_order: structure {fund.structure} fixes it (use structure custom)",
                )
            )
        if fund.structure == "pis":
            known = rules["loss_order"]
            for name in fund.tranches:
                if name not in known:
                    problems.append(
                        (
                            f"fund.tranches.{name}",
                            f"expected a tranche of the pis loss order ({', '.join(known)}), found {name!r} "
                            "(use structure custom for other tranches)",
                        )
                    )
    else:
        if not fund.loss_order:
            problems.append(("fund.loss_order", "expected the loss order (first loss first) for structure custom"))
        else:
            seen: list[str] = []
            for i, item in enumerate(fund.loss_order):
                for j, name in enumerate([item] if isinstance(item, str) else item):
                    where = f"fund.loss_order.{i}" + ("" if isinstance(item, str) else f".{j}")
                    if name not in fund.tranches:
                        problems.append(
                            (where, f"expected a tranche name ({', '.join(fund.tranches)}), found unknown {name!r}")
                        )
                    elif name in seen:
                        problems.append((where, f"expected each tranche once, found {name!r} again"))
                    seen.append(name)
            missing = [n for n in fund.tranches if n not in seen]
            if missing:
                problems.append(("fund.loss_order", f"expected every tranche, found {', '.join(missing)} missing"))
    shares = {n: t.profit_share for n, t in fund.tranches.items()}
    given = [v for v in shares.values() if v is not None]
    if given and len(given) != len(shares):
        problems.append(("fund.tranches", "expected profit_share on every tranche or on none"))
    elif given and not math.isclose(math.fsum(given), 1.0, abs_tol=1e-9):
        problems.append(("fund.tranches", f"expected profit shares summing to 1, found {math.fsum(given):g}"))
    return problems


def validate_dict(raw: Any, source: str = "") -> Portfolio:
    """Validate a portfolio mapping (schema and fund rules; projects are checked when loaded)."""
    if not isinstance(raw, dict):
        raise InputError([("", f"expected a mapping with fund and projects, found {found_text(raw)}")], source or None)
    try:
        pf = Portfolio.model_validate(raw)
    except ValidationError as exc:
        raise InputError([validation_problem(e) for e in exc.errors(include_url=False)], source or None) from None
    problems = fund_rules(pf.fund)
    names = [p.name for p in pf.projects]
    for i, n in enumerate(names):
        if n in names[:i]:
            problems.append((f"projects.{i}.name", f"expected a unique project name, found {n!r} again"))
    for cname, case in pf.cases.items():
        if cname == "base":
            problems.append((f"cases.{cname}", "expected a case name other than the reserved 'base'"))
        for pname in case.projects:
            if pname not in names:
                problems.append(
                    (
                        f"cases.{cname}.projects.{pname}",
                        f"expected a project name ({', '.join(names)}), found {pname!r}",
                    )
                )
    if problems:
        raise InputError(problems, source or None)
    return pf


def read_yaml(path, what: str = "portfolio") -> tuple[Any, str, str]:
    """Read a YAML input file as hostile data (:mod:`finmodel.readfile`): (data, source, sha256 of the bytes)."""
    data, source = readfile.read_bytes(path, f"{what} file")
    raw = readfile.parse_yaml(data, source)
    return raw, source, hashlib.sha256(data).hexdigest()


def read_portfolio(path) -> tuple[Portfolio, str, str]:
    """Read and validate a portfolio file: (portfolio, source, sha256 of the file's bytes)."""
    raw, source, digest = read_yaml(path, "portfolio")
    return validate_dict(raw, source), source, digest


def scenario_path(entry: ProjectEntry, portfolio_source: str):
    """The project's scenario file (None = the embedded default)."""
    if entry.scenario == DEFAULT_SCENARIO:
        return None
    p = Path(entry.scenario)
    if not p.is_absolute():
        p = Path(portfolio_source).resolve().parent / p
    return p


def high_risk_problem(i: int, entry: ProjectEntry, scenario) -> tuple[str, str] | None:
    """The plan's high-risk exception: OECD category 6-7 needs an MDB or ECA co-investor."""
    from finmodel.inputs.countries import get_country

    hr = structures_data()["high_risk"]
    country = get_country(scenario.project.country, scenario.project.country_overrides)
    if country is None:
        raise FinmodelError(f"country {scenario.project.country} of project {entry.name} is not in the country table")
    if country.oecd_risk_category < hr["min_oecd_category"]:
        return None
    kinds = set(hr["co_investor_kinds"])
    if kinds & set(entry.co_investors):
        return None
    if any(f.kind in kinds for f in scenario.debt.facilities):
        return None
    return (
        f"projects.{i}.co_investors",
        f"expected an MDB or ECA co-investor ({hr['rule']}: {hr['source']}): {country.name} is OECD risk "
        f"category {country.oecd_risk_category} (>= {hr['min_oecd_category']}); declare co_investors: [mdb] or "
        "[eca], or give the project's scenario a facility of kind mdb or eca; found none",
    )
