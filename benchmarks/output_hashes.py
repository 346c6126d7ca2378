"""Hash every shipped output (JSON, workbooks, charts) so a change that must not change behaviour can prove it.

    python benchmarks/output_hashes.py > before.txt   # on the old tree
    python benchmarks/output_hashes.py > after.txt    # on the new tree
    diff before.txt after.txt                          # empty: every output is identical, version aside

After a move of modules, run the old tree with ``--renamed`` (:mod:`module_renames`: outputs that cite a module
by name cite it by its new name).

Runs the installed ``finmodel`` command on every shipped scenario and portfolio: ``run`` (workbook, JSON, charts),
``grant-element``, ``simulate`` (500 paths), ``sensitivity``, ``compare``, ``fund``, ``frontier`` and
``programme``, ``solve``, ``schema``, ``cases`` and ``validate`` (small path counts: the hashes prove sameness, not
statistics). The version string and the
generation time are removed before hashing; a workbook is hashed member by member without ``docProps/`` (its creation
time).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SC = REPO / "scenarios"
PROJECTS = ["kota_kinabalu", "bolivia_santa_cruz", "iraq_bismaya", "kuwait_abdullah"]
PORTFOLIOS = ["pis_smart_city_subfund", "pis_high_risk_subfund"]


def jobs() -> list[tuple[str, list[str]]]:
    out = []
    for p in PROJECTS:
        s = str(SC / f"{p}.yaml")
        out += [
            (f"run {p}", ["run", s, "--case", "all", "-o", "{d}/w.xlsx", "--json", "{d}/o.json", "--charts", "{d}/c"]),
            (f"grant-element {p}", ["grant-element", s, "--json", "{d}/o.json"]),
            (
                f"simulate {p}",
                ["simulate", s, "--paths", "500", "--seed", "3", "-o", "{d}/w.xlsx", "--json", "{d}/o.json"],
            ),
            (f"sensitivity {p}", ["sensitivity", s, "--json", "{d}/o.json"]),
        ]
    for p in PORTFOLIOS:
        s = str(SC / f"{p}.yaml")
        out += [
            (f"compare {p}", ["compare", s, "-o", "{d}/w.xlsx", "--json", "{d}/o.json"]),
            (f"fund {p}", ["fund", s, "-o", "{d}/w.xlsx", "--json", "{d}/o.json"]),
            (f"frontier {p}", ["frontier", s, "--paths", "200", "--steps", "0.2,0.4", "--json", "{d}/o.json"]),
        ]
    prog = str(SC / "pis_programme_2019.yaml")
    out.append(("programme", ["programme", prog, "--paths", "100", "--json", "{d}/o.json", "-o", "{d}/w.xlsx"]))
    kota = str(SC / "kota_kinabalu.yaml")
    lever = "revenues[Availability payment].amount"
    solve = ["solve", kota, "--target", "equity_irr>=12%", "--target", "min_dscr>=1.30", "--vary", lever]
    out.append(("solve", [*solve, "--json", "{d}/o.json", "-o", "{d}/w.xlsx", "--write-scenario", "{d}/s.yaml"]))
    out.append(("schema", ["schema"]))
    out.append(("cases", ["cases", kota]))
    out.append(("validate", ["validate", *(str(p) for p in sorted(SC.glob("*.yaml")))]))
    out.append(("default run", ["run", "-o", "{d}/w.xlsx", "--json", "{d}/o.json"]))
    return out


KEEP = sys.argv[sys.argv.index("--keep") + 1] if "--keep" in sys.argv else None
RENAMED = "--renamed" in sys.argv  # on the tree before issue 26's moves: cite every module by its new name


def _renamed(data: bytes) -> bytes:
    from module_renames import RENAMES

    for old, new in RENAMES.items():  # longest first
        data = re.sub(re.escape(old.encode()) + rb"(?![A-Za-z0-9_])", new.encode(), data)
    return data


def _clean(data: bytes, version: str, tmp: str = "") -> bytes:
    if RENAMED:
        data = _renamed(data)
    if tmp:
        data = data.replace(tmp.encode(), b"<tmp>").replace(Path(tmp).name.encode(), b"<tmp>")
    data = data.replace(version.encode(), b"<version>")
    data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?", b"<time>", data)  # 'Generated (UTC)'
    return data


def _untimed(out: bytes) -> bytes:
    """Terminal output without its timings (``in 1.2 s``)."""
    return re.sub(rb"\d+(\.\d+)? ?(s|ms)\b", b"<time>", out)


def digest(path: Path, version: str, tmp: str) -> str:
    h = hashlib.sha256()
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            for name in sorted(z.namelist()):
                if not name.startswith("docProps/"):
                    h.update(name.encode() + b"\0" + _clean(z.read(name), version, tmp))
    else:
        h.update(_clean(path.read_bytes(), version, tmp))
    return h.hexdigest()[:16]


def one(job, version: str) -> list[str]:
    name, args = job
    with tempfile.TemporaryDirectory() as d:
        argv = [a.replace("{d}", d) for a in args]
        proc = subprocess.run(["finmodel", *argv], capture_output=True, cwd=d)
        lines = [f"{name}: exit {proc.returncode}"]
        for f in sorted(Path(d).rglob("*")):
            if f.is_file():
                lines.append(f"  {f.relative_to(d)} {digest(f, version, d)}")
        out = _clean(_untimed(proc.stdout), version, d)
        lines.append(f"  stdout {hashlib.sha256(out).hexdigest()[:16]}")
        if KEEP:  # --keep DIR: each job's cleaned terminal output, to diff when a hash differs
            Path(KEEP).mkdir(parents=True, exist_ok=True)
            (Path(KEEP) / (re.sub(r"\W+", "_", name) + ".txt")).write_bytes(out)
        return lines


def main() -> int:
    version = subprocess.run(["finmodel", "--version"], capture_output=True, text=True).stdout.split()[-1]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for lines in pool.map(lambda j: one(j, version), jobs()):
            print("\n".join(lines), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
