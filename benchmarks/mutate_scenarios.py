"""Mutation run: break every leaf of every shipped scenario, one way at a time, and run the command line on it.

For each scenario file (``scenarios/*.yaml`` and the embedded default) and each leaf value in it, the
mutations are: wrong type, negative, zero, huge, NaN, missing (the key or list entry removed) and, once per
mapping, an unknown key. Each mutated file is written to a temporary folder and given to the command that reads
that part of it, in this process through click's test runner (what ``finmodel`` runs, without a Python start-up
per run):

- ``risk`` leaves: ``finmodel simulate FILE --paths 64 --quiet``;
- ``blending`` leaves: ``finmodel grant-element FILE``;
- a portfolio file's leaves: ``finmodel fund FILE --quiet`` (the project scenarios beside it);
- a programme file's leaves: ``finmodel programme FILE --paths 32 --quiet``;
- anything else: ``finmodel validate FILE`` and, if that passes, ``finmodel run FILE --case ... --quiet`` over
  every case of the file.

Counted: mutations tried, their exit codes (0 accepted, 2 refused as bad input, 1 anything else), tracebacks
(an exception escaping the command) and hangs (a run past ``--timeout`` seconds). The goal is zero tracebacks
and zero hangs. Memory is capped (``--memory-gb``) so that a mutation that would exhaust the machine shows as a
MemoryError traceback instead.

    python benchmarks/mutate_scenarios.py                # every mutation (~4,700 runs, ~20 min on 1 core)
    python benchmarks/mutate_scenarios.py --sample 200   # a reproducible random sample
"""

from __future__ import annotations

import argparse
import collections
import copy
import dataclasses
import math
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
UNKNOWN_KEY = "zz_unknown_key"


@dataclasses.dataclass
class Mutation:
    file: str  # shipped file name
    path: tuple  # keys / indices to the leaf (or to the mapping, for an unknown key)
    kind: str
    raw: dict  # the whole mutated document

    @property
    def label(self) -> str:
        return f"{self.file}:{'.'.join(map(str, self.path)) or '<root>'}:{self.kind}"


@dataclasses.dataclass
class Outcome:
    mutation: Mutation
    exit_code: int | None  # None: a traceback or a hang
    traceback: str = ""
    hang: bool = False
    seconds: float = 0.0


def shipped_files() -> list[Path]:
    return [*sorted((ROOT / "scenarios").glob("*.yaml")), ROOT / "finmodel" / "scenarios" / "default.yaml"]


def _leaves(obj, path=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaves(v, (*path, i))
    else:
        yield path, obj


def _mappings(obj, path=()):
    if isinstance(obj, dict):
        yield path
        for k, v in obj.items():
            yield from _mappings(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _mappings(v, (*path, i))


def _replacements(value) -> list[tuple[str, object]]:
    """(kind, new value) for one leaf; ``...`` means: remove it."""
    if isinstance(value, bool):
        return [("wrong_type", "maybe"), ("zero", 0), ("huge", 10**300), ("nan", math.nan), ("missing", ...)]
    if isinstance(value, (int, float)):
        negative = -abs(value) if value else -1
        return [
            ("wrong_type", "abc"),
            ("negative", negative),
            ("zero", 0),
            ("huge", 1e300),
            ("nan", math.nan),
            ("missing", ...),
        ]
    if isinstance(value, str):
        return [
            ("wrong_type", [1, 2]),
            ("number", 1),
            ("empty", ""),
            ("huge", "x" * 40_000),
            ("nan", math.nan),
            ("missing", ...),
        ]
    # dates and anything else YAML gives
    return [
        ("wrong_type", "2027-02-30"),
        ("negative", -1),
        ("zero", 0),
        ("huge", 1e300),
        ("nan", math.nan),
        ("missing", ...),
    ]


def _set(doc, path, value) -> None:
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if value is ...:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value


def mutations(file: Path) -> list[Mutation]:
    raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    out = []
    for path, value in _leaves(raw):
        for kind, new in _replacements(value):
            doc = copy.deepcopy(raw)
            _set(doc, path, new)
            out.append(Mutation(file.name, path, kind, doc))
    for path in _mappings(raw):
        doc = copy.deepcopy(raw)
        parent = doc
        for key in path:
            parent = parent[key]
        parent[UNKNOWN_KEY] = 1
        out.append(Mutation(file.name, path, "unknown_key", doc))
    return out


def commands(m: Mutation, target: Path) -> list[list[str]]:
    """The command lines that read the mutated part of the file (run in order while they exit 0)."""
    t = str(target)
    if "programme" in m.file:
        return [["programme", t, "--paths", "32", "--quiet"]]
    if "projects" in m.raw or m.file.startswith("pis_"):
        return [["fund", t, "--quiet"]]
    top = m.path[0] if m.path else None
    if top == "risk":
        return [["simulate", t, "--paths", "64", "--quiet"]]
    if top == "blending":
        return [["grant-element", t]]
    cases = m.raw.get("cases") if isinstance(m.raw, dict) else None
    names = [str(c) for c in cases] if isinstance(cases, dict) else []
    run = ["run", t, "--quiet", "--case", "base"]
    for c in names:
        run += ["--case", c]
    return [["validate", t], run]


class _Hang(BaseException):  # noqa: N818 (raised by the alarm, not an error of the code under test)
    pass


def _alarm(_signum, _frame):
    raise _Hang


def run_mutation(m: Mutation, folder: Path, timeout: float) -> Outcome:
    from click.testing import CliRunner

    from cli import main

    target = folder / f"mutated_{m.file}"  # the pristine copies stay for a portfolio's projects
    target.write_text(yaml.safe_dump(m.raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    runner = CliRunner()
    start = time.perf_counter()
    code = 0
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        for args in commands(m, target):
            res = runner.invoke(main, args, catch_exceptions=True)
            if res.exception is not None and not isinstance(res.exception, SystemExit):
                tb = "".join(traceback.format_exception(*res.exc_info))
                return Outcome(m, None, traceback=tb, seconds=time.perf_counter() - start)
            code = res.exit_code
            if code != 0:
                break
    except _Hang:
        return Outcome(m, None, hang=True, seconds=time.perf_counter() - start)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return Outcome(m, code, seconds=time.perf_counter() - start)


def prepare_folder() -> Path:
    """A temporary folder with the shipped scenarios (a portfolio's projects are found beside it)."""
    folder = Path(tempfile.mkdtemp(prefix="finmodel-mutations-"))
    for f in shipped_files():
        shutil.copy(f, folder / f.name)
    return folder


def all_mutations(files=None) -> list[Mutation]:
    out = []
    for f in files or shipped_files():
        out.extend(mutations(Path(f)))
    return out


def run_all(muts, timeout: float = 60.0, progress=None) -> list[Outcome]:
    folder = prepare_folder()
    try:
        outcomes = []
        for k, m in enumerate(muts):
            outcomes.append(run_mutation(m, folder, timeout))
            if progress:
                progress(k + 1, len(muts), outcomes[-1])
        return outcomes
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def counts(outcomes) -> dict:
    c = collections.Counter()
    c["mutations"] = len(outcomes)
    for o in outcomes:
        if o.hang:
            c["hangs"] += 1
        elif o.exit_code is None:
            c["tracebacks"] += 1
        else:
            c[f"exit {o.exit_code}"] += 1
    return {k: c.get(k, 0) for k in ("mutations", "exit 0", "exit 2", "exit 1", "tracebacks", "hangs")}


def _last_frame(tb: str) -> str:
    lines = [ln.strip() for ln in tb.strip().splitlines()]
    where = [ln for ln in lines if ln.startswith("File ")]
    return f"{lines[-1][:160]}  [{where[-1] if where else '?'}]"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sample", type=int, default=None, help="Run a random sample of this many mutations.")
    ap.add_argument("--seed", type=int, default=0, help="Seed of the sample.")
    ap.add_argument("--timeout", type=float, default=60.0, help="Seconds before a run counts as a hang.")
    ap.add_argument("--memory-gb", type=float, default=6.0, help="Address-space cap of this process.")
    ap.add_argument("--file", action="append", default=None, help="Only this shipped file (repeatable).")
    ap.add_argument("--show-exit-1", action="store_true", help="List the mutations that exited 1.")
    ap.add_argument(
        "--show-accepted",
        action="store_true",
        help="List the wrong-type, NaN, huge and negative mutations that exited 0 (silently accepted?).",
    )
    args = ap.parse_args(argv)
    cap = int(args.memory_gb * 1024**3)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    sys.path.insert(0, str(ROOT))
    files = [f for f in shipped_files() if args.file is None or f.name in args.file]
    muts = all_mutations(files)
    if args.sample is not None and args.sample < len(muts):
        muts = random.Random(args.seed).sample(muts, args.sample)
    t0 = time.perf_counter()

    def progress(k, n, o):
        if o.exit_code is None:
            what = "HANG" if o.hang else "TRACEBACK " + _last_frame(o.traceback)
            print(f"[{k}/{n}] {o.mutation.label}: {what}", flush=True)
        elif k % 250 == 0:
            print(f"[{k}/{n}] {time.perf_counter() - t0:.0f} s", flush=True)

    outcomes = run_all(muts, args.timeout, progress)
    if args.show_exit_1:
        for o in outcomes:
            if o.exit_code == 1:
                print(f"exit 1: {o.mutation.label}")
    if args.show_accepted:
        for o in outcomes:
            if o.exit_code == 0 and o.mutation.kind in ("wrong_type", "nan", "huge", "negative", "number"):
                print(f"accepted: {o.mutation.label}")
    slow = sorted(outcomes, key=lambda o: -o.seconds)[:5]
    print("slowest: " + ", ".join(f"{o.mutation.label} {o.seconds:.1f} s" for o in slow))
    c = counts(outcomes)
    print(" | ".join(f"{k}: {v}" for k, v in c.items()) + f" | {time.perf_counter() - t0:.0f} s")
    return 0 if c["tracebacks"] == 0 and c["hangs"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
