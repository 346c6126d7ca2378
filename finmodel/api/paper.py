"""``finmodel report``: run what the credit paper needs, then write it (:mod:`finmodel.paper` renders only).

A project scenario: the cases (:func:`finmodel.api.run`), the sensitivities and breakevens of the first case, the
grant elements and, with ``paths``, a Monte Carlo simulation. A fund portfolio file (``projects:`` and no
``project:``, recognised as :func:`finmodel.api.validate` and ``finmodel compare`` read one): the comparison of
PIS and GIF with its decomposition and, with ``paths``, the frontier. Every output path is checked before any work;
the files are written atomically, so bad input leaves nothing behind.
"""

from __future__ import annotations

from pathlib import Path

from finmodel.errors import InputError
from finmodel.files import check_not_inputs, check_output_path


def default_report_name(scenario=None) -> str:
    """The paper's file name when none is given: the scenario file's name with ``.html``, in the current folder
    (``scenarios/iraq_bismaya.yaml`` -> ``iraq_bismaya.html``; the embedded default: ``default.html``)."""
    if isinstance(scenario, (str, Path)) and Path(scenario).stem:
        return f"{Path(scenario).stem}.html"
    return "default.html"


def _is_portfolio(scenario) -> tuple[bool, tuple | None]:
    """Whether ``scenario`` names a fund portfolio file, and the file as read ``(bytes, source)`` otherwise."""
    from finmodel.api import workbook_source
    from finmodel.schema import reading

    if not isinstance(scenario, (str, Path)) or workbook_source.is_workbook(scenario):
        return False, None
    data, source = reading.read(scenario)
    raw = reading.parse(data, source)
    if isinstance(raw, dict) and "projects" in raw and "project" not in raw:
        return True, None
    return False, (data, source)


def report(
    scenario=None,
    cases=None,
    *,
    paths: int | None = None,
    seed: int | None = None,
    html=None,
    pdf=None,
    json_path=None,
    solution=None,
    generated: str | None = None,
):
    """Write the credit paper of a scenario or of a fund portfolio (``finmodel report``).

    Parameters
    ----------
    scenario : Scenario, str, Path, Mapping or None
        A project scenario (anything :func:`finmodel.load` takes; None: the embedded default) or a fund portfolio
        file.
    cases : list of str, optional
        A project's cases side by side (``["all"]``: every case; default: the base case and every case of the
        scenario, the committee reads the downside beside the base). A portfolio: its one case (default base).
    paths, seed : int, optional
        Monte Carlo paths (the lenders' view; a portfolio: the frontier) and their seed (default 0).
    html, pdf, json_path : str or Path, optional
        Write the paper (``.html``), its A4 PDF (``.pdf``) and the JSON of the figures it shows (``.json``;
        ``-``: standard output).
    solution : str, Path, SolveResult or dict, optional
        The structuring solution to show (``finmodel solve --json``'s file, or :func:`finmodel.solve`'s result):
        each lever from the scenario's value to the solved one, each target achieved, what binds, and whether
        the paper's base case reproduces the solution (it does for the file ``finmodel solve --write-scenario``
        wrote).
    generated : str, optional
        The date the paper shows (default: now, UTC).

    Returns
    -------
    Report
        ``.html`` (the document as text), ``.facts`` (every section's facts), ``.data`` (the JSON), ``.written``.

    Raises
    ------
    finmodel.errors.InputError
        Bad scenario or portfolio, unknown case, bad options or output paths (nothing is computed or written).
    """
    from finmodel import paper

    html_path = check_output_path(html, ".html", "--output")
    pdf_path = check_output_path(pdf, ".pdf", "--pdf")
    js_path = check_output_path(json_path, ".json", "--json")
    if seed is not None and paths is None:
        raise InputError([("--seed", "expected with --paths N, found --seed without --paths")])
    outputs = {"--output": html_path, "--pdf": pdf_path, "--json": js_path}
    if isinstance(scenario, (str, Path)):
        check_not_inputs(outputs, [scenario])
    if isinstance(solution, (str, Path)):
        check_not_inputs(outputs, [solution])
    solved = read_solution(solution)
    portfolio, read = _is_portfolio(scenario)
    if portfolio:
        inp, data = _portfolio_inputs(scenario, cases, paths, seed, outputs)
    else:
        inp, data = _project_inputs(scenario, read, cases, paths, seed)
    inp.generated = generated
    inp.solution = solved
    if solved is not None:
        data["solution"] = solved
    facts = paper.gather(inp)
    data["generated"] = facts["provenance"][3][1]
    document = paper.html(facts)
    written = paper.write(document, html_path, pdf_path)
    if js_path is not None:
        from finmodel.outputs import contract

        w = contract.write_json(data, js_path)
        if w is not None:
            written.append(w)
    return Report(document, facts, data, written)


class Report:
    """The credit paper: ``html`` (text), ``facts`` (the sections' facts), ``data`` (the JSON), ``written``."""

    def __init__(self, html, facts, data, written):
        self.html, self.facts, self.data, self.written = html, facts, data, list(written)

    def __repr__(self) -> str:
        return f"<finmodel report {self.facts['title']!r}: {len(self.facts['toc'])} sections>"


def _project_inputs(scenario, read, cases, paths, seed):
    from finmodel.api.grants import grant_element
    from finmodel.api.risk import sensitivity, simulate
    from finmodel.api.runs import run
    from finmodel.api.scenarios import ALL_CASES, load
    from finmodel.inputs.validation import validate_file
    from finmodel.paper import Inputs

    sc = validate_file(read=read) if read is not None else load(scenario)
    if paths is not None and getattr(sc, "risk", None) is None:
        raise InputError([("--paths", "expected a scenario with a risk: block for the lenders' view, found none")])
    result = run(sc, list(cases) if cases else [ALL_CASES])
    sens = sensitivity(sc, case=result.results[0].case).result
    ge = grant_element(sc, result.results[0].case)
    sim = None
    if paths is not None:
        sim = simulate(sc, paths=paths, seed=seed or 0, explain_paths=None)
    data = result.json()
    data["command"] = "report"
    data["sensitivity"] = sens.to_json()
    data["grant_element"] = ge.contract_json()
    if sim is not None:
        data["monte_carlo"] = sim.raw.to_json()
    inp = Inputs(sc, result, sens, ge, sim, seed=(seed or 0) if paths is not None else None)
    return inp, data


def _portfolio_inputs(path, cases, paths, seed, outputs):
    from finmodel.api.portfolio import compare
    from finmodel.funds import frontier_report
    from finmodel.paper import Inputs

    cases = list(cases or [])
    if len(cases) > 1:
        raise InputError([("--case", f"expected one case of a fund portfolio, found {len(cases)}")])
    fo = compare(path, cases[0] if cases else None)
    check_not_inputs(outputs, fo.portfolio.paths)  # its projects' scenario files are inputs too
    fr = None
    if paths is not None:
        fr = frontier_report.run(fo.portfolio, paths=paths, seed=seed or 0, case=cases[0] if cases else None)
    data = {**fo.data, "command": "report"}
    if fr is not None:
        data["frontier"] = fr.data
    return Inputs(fund=fo, frontier=fr, seed=(seed or 0) if paths is not None else None), data


SOLUTION = "--solution"


def _finite(v) -> bool:
    import math

    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def read_solution(solution) -> dict | None:
    """The structuring solution as :func:`finmodel.solve` writes it (its ``.data``, or the ``--json`` file): checked
    field by field, since a file is user input (InputError: the field, what was expected, what was found)."""
    import json

    from finmodel.readfile import read_bytes

    if solution is None:
        return None
    data = getattr(solution, "data", solution)
    source = None
    if isinstance(data, (str, Path)):
        raw, source = read_bytes(data, "solve JSON file (finmodel solve --json)")
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            msg = f"expected the JSON that finmodel solve --json writes, found a file that is not JSON ({exc})"
            raise InputError([(SOLUTION, msg)], source=source) from None
    problems = _solution_problems(data)
    if problems:
        raise InputError(problems, source=source)
    return data


def _solution_problems(data) -> list[tuple[str, str]]:
    def kind(v) -> str:
        return type(v).__name__

    if not isinstance(data, dict):
        return [(SOLUTION, f"expected the JSON object that finmodel solve --json writes, found {kind(data)}")]
    out = []
    for key, want in (("levers", list), ("targets", list), ("solution_metrics", dict), ("feasible", bool)):
        if not isinstance(data.get(key), want):
            out.append((f"{SOLUTION}: {key}", f"expected a {want.__name__}, found {kind(data.get(key))}"))
    for key in ("currency", "objective"):
        if data.get(key) is not None and not isinstance(data[key], str):
            out.append((f"{SOLUTION}: {key}", f"expected text, found {kind(data[key])}"))
    if not isinstance(data.get("formats", {}), dict):
        out.append((f"{SOLUTION}: formats", f"expected an object, found {kind(data['formats'])}"))
    if not isinstance(data.get("binding", []), list):
        out.append((f"{SOLUTION}: binding", f"expected a list, found {kind(data['binding'])}"))
    if out:
        return out
    numbers = {"levers": ("scenario_value", "solved", "low", "high"), "targets": ("achieved", "value")}
    texts = {"levers": ("lever",), "targets": ("target", "metric")}
    for block in ("levers", "targets"):
        for k, row in enumerate(data[block]):
            where = f"{SOLUTION}: {block}[{k}]"
            if not isinstance(row, dict):
                out.append((where, f"expected an object, found {kind(row)}"))
                continue
            for f in texts[block]:
                if not isinstance(row.get(f), str):
                    out.append((f"{where}.{f}", f"expected text, found {kind(row.get(f))}"))
            for f in numbers[block]:
                v = row.get(f)
                if v is not None and not _finite(v):
                    out.append((f"{where}.{f}", f"expected a finite number or null, found {v!r:.40}"))
            for f in ("currency", "low_reason", "high_reason"):
                if row.get(f) is not None and not isinstance(row[f], str):
                    out.append((f"{where}.{f}", f"expected text, found {kind(row[f])}"))
    for k, v in data["solution_metrics"].items():
        if v is not None and not _finite(v):
            out.append((f"{SOLUTION}: solution_metrics.{k}", f"expected a finite number or null, found {v!r:.40}"))
    for k, v in data.get("formats", {}).items():
        if not isinstance(v, str):
            out.append((f"{SOLUTION}: formats.{k}", f"expected text, found {kind(v)}"))
    if not all(isinstance(b, str) for b in data.get("binding", [])):
        out.append((f"{SOLUTION}: binding", "expected a list of text"))
    return out
