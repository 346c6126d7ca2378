"""Grant elements (``finmodel grant-element``): of loan terms, or of a scenario's modelled facilities."""

from __future__ import annotations

from pathlib import Path

from finmodel.api.scenarios import load
from finmodel.errors import InputError
from finmodel.files import check_not_inputs, check_output_path

GE_OPTIONS = {
    "annual_rate": "--rate",
    "maturity_years": "--maturity",
    "grace_years": "--grace",
    "discount_rate": "--discount-rate",
    "periods_per_year": "--periods-per-year",
    "repayment": "--repayment",
    "method": "--method",
    "country": "--country",
    "cirr": "--cirr",
}
"""Parameters of :func:`grant_element` -> the ``finmodel grant-element`` options its error messages name."""


def grant_element(
    scenario=None,
    case: str | None = None,
    *,
    annual_rate: float | None = None,
    maturity_years: float | None = None,
    grace_years: float | None = None,
    repayment: str | None = None,
    periods_per_year: int | None = None,
    method: str | None = None,
    discount_rate: float | None = None,
    country: str | None = None,
    cirr: float | None = None,
    json_path=None,
):
    """Grant element of loan terms, or of a scenario's modelled facilities and package, with the DAC ODA and
    Helsinki tied-aid verdicts (``finmodel grant-element``).

    Give either ``scenario`` or the loan terms (``annual_rate``, ``maturity_years``, ``grace_years``), not both.

    Parameters
    ----------
    scenario : Scenario, str, Path or Mapping, optional
        Anything :func:`load` takes (read once here): the grant elements of the modelled cash flows (drawdowns,
        interest, repayments; fees excluded), as on the workbook's Blending sheet.
    case : str, optional
        With ``scenario``: the case to run (default base).
    annual_rate, maturity_years, grace_years : float
        Loan terms: [fraction per year], [years from commitment to the last repayment], [years with no
        principal; the first instalment falls at the end of the first period after grace].
    repayment : {"equal", "annuity"}, optional
        Equal principal instalments (default) or level debt service.
    periods_per_year : {1, 2, 4, 12}, optional
        Payments per year (default 2).
    method : {"dac2018", "imf", "ddr", "rate"}, optional
        The discount rate: by the country's income group (the default for terms), 5 %, the OECD differentiated
        rate from ``cirr``, or ``discount_rate``; default ``"rate"`` when ``discount_rate`` is given, else (a
        scenario) its ``blending.method``.
    discount_rate, cirr : float, optional
        [fraction per year].
    country : str, optional
        ISO alpha-3 code of the borrower country (loan terms only).
    json_path : str or Path, optional
        Also write the JSON (``-``: standard output); checked before any work.

    Returns
    -------
    finmodel.outputs.results.GrantElementResult
        ``.grant_elements`` (DataFrame: one row per loan, facility or the package), ``.metrics`` and ``.checks``
        (Series: the JSON's), ``.warnings``, ``.report``, ``.lines()``, ``.to_json(path)``, ``.written``.

    Raises
    ------
    finmodel.errors.InputError
        Both or neither of scenario and terms; bad terms (field paths are the command's options: ``--rate``...).

    Examples
    --------
    >>> import finmodel
    >>> ge = finmodel.grant_element(annual_rate=0.0015, maturity_years=40, grace_years=10, method="imf")
    >>> ge.metrics[["grant_element_closed_form", "grant_element_cash_flows", "threshold"]].round(4).tolist()
    [0.6608, 0.6608, 0.35]
    >>> bool(ge.checks["threshold_met"])                  # IMF: at least 35 % at 5 %
    True
    >>> sc = finmodel.grant_element("scenarios/bolivia_santa_cruz.yaml")
    >>> list(sc.grant_elements.index)[-1], sc.grant_elements.loc["package", "kind"]
    ('package', 'package')
    """
    from finmodel.outputs.results import GrantElementResult

    def renamed(exc: InputError) -> InputError:  # name the command's options, not the library's parameters
        return InputError([(GE_OPTIONS.get(p, p), m) for p, m in exc.problems], source=exc.source)

    terms = {
        "--rate": annual_rate,
        "--maturity": maturity_years,
        "--grace": grace_years,
        "--repayment": repayment,
        "--periods-per-year": periods_per_year,
        "--country": country,
    }
    given = [opt for opt, v in terms.items() if v is not None]
    if scenario is not None and given:
        raise InputError(
            [(given[0], f"expected either SCENARIO or loan terms, found both ({scenario} and {', '.join(given)})")]
        )
    if scenario is None and case is not None:
        raise InputError([("--case", "expected with SCENARIO only, found it with loan terms")])
    missing = [opt for opt in ("--rate", "--maturity", "--grace") if terms[opt] is None]
    if scenario is None and missing:
        found = f"{', '.join(given)} without {', '.join(missing)}"
        raise InputError(
            [
                (
                    "",
                    f"expected SCENARIO or the loan terms --rate, --maturity and --grace, "
                    f"found {found if len(missing) < 3 else 'neither'}",
                )
            ]
        )
    if discount_rate is not None and method not in (None, "rate"):
        raise InputError([("--discount-rate", f"not used with --method {method}; drop one of them")])
    js = check_output_path(json_path, ".json", "--json")
    if isinstance(scenario, (str, Path)):
        check_not_inputs({"--json": js}, [scenario])
    if scenario is not None:
        from finmodel.outputs.grant_report import scenario_report

        try:
            report = scenario_report(load(scenario), case, method=method, discount_rate=discount_rate, cirr=cirr)
        except InputError as exc:
            raise renamed(exc) from None
    else:
        from finmodel.inputs.countries import get_country
        from finmodel.inputs.grant_element import grant_element_report

        record = None
        if country is not None:
            record = get_country(country)
            if record is None:
                raise InputError(
                    [("--country", f"unknown ISO alpha-3 code {country!r} (finmodel/data/countries.yaml)")]
                )
        ppy = 2 if periods_per_year is None else periods_per_year
        if str(ppy) not in ("1", "2", "4", "12"):
            raise InputError([("--periods-per-year", f"expected 1, 2, 4 or 12, found {periods_per_year!r}")])
        try:
            report = grant_element_report(
                annual_rate,
                maturity_years,
                grace_years,
                repayment=repayment or "equal",
                periods_per_year=int(ppy),
                method=method or ("rate" if discount_rate is not None else "dac2018"),
                discount_rate=discount_rate,
                country=record,
                cirr=cirr,
            )
        except InputError as exc:
            raise renamed(exc) from None
    result = GrantElementResult(report)
    if js is not None:
        result.to_json(js)
    return result
