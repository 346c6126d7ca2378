"""Look at the credit paper as a reader does: headless Chromium screenshots of the HTML's first screens and PNGs of
the PDF's pages (pdftoppm), written into a folder to open and inspect.

    python benchmarks/look_report.py [SCENARIO] [--paths N] [--out DIR]

Chromium (Debian's ``chromium``) and poppler's ``pdftoppm`` are installed by ``.ci/run``; a missing one is said
in a line and skipped, not an error. Nothing here is a test: it writes pictures for a person to look at.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
"""Headless, offline and without a profile of its own: nothing is fetched, nothing is kept."""


def chromium() -> str | None:
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


def screenshot(html: Path, png: Path, *, width: int = 1280, height: int = 1600) -> Path | None:
    """One screenshot of ``html`` as a laptop's browser window shows it (``width`` x ``height`` pixels)."""
    exe = chromium()
    if exe is None:
        print("chromium not found: no browser screenshots (apt-get install chromium)")
        return None
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={width},{height}",
            html.resolve().as_uri(),
        ]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    return png


def pdf_pages(pdf: Path, prefix: Path, *, dpi: int = 60) -> list[Path]:
    """Every page of ``pdf`` as ``prefix-N.png`` at ``dpi``."""
    if shutil.which("pdftoppm") is None:
        print("pdftoppm not found: no PDF page images (apt-get install poppler-utils)")
        return []
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True, timeout=120)
    return sorted(prefix.parent.glob(f"{prefix.name}-*.png"))


def main(argv=None) -> int:
    import finmodel

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default=None)
    ap.add_argument("--paths", type=int, default=None)
    ap.add_argument("--out", default="look")
    ap.add_argument("--height", type=int, default=1600, help="screenshot height [pixels]")
    a = ap.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = Path(a.scenario).stem if a.scenario else "default"
    html, pdf = out / f"{stem}.html", out / f"{stem}.pdf"
    finmodel.report(a.scenario, paths=a.paths, html=html, pdf=pdf)
    shot = screenshot(html, out / f"{stem}-browser.png", height=a.height)
    pages = pdf_pages(pdf, out / f"{stem}-page", dpi=60)
    for p in [shot, *pages]:
        if p is not None:
            print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
