"""Keep a simulation's freed working memory for the next chunk instead of handing it back to the system.

Each chunk of paths allocates a few hundred ``(periods, paths)`` rows (~2 MB each at 4,096 paths x 60
periods) and frees them when the chunk is done. With glibc's defaults, blocks that large are ``mmap``-ed and
returned to the kernel on ``free``, so the next chunk faults every page in again and the kernel zeroes it:
on the 2-core benchmark machine that was about a third of a simulation's CPU time (0.59 s of 1.66 s system
time for 32,768 paths, 330,000 minor page faults). Serving those blocks from the heap and not trimming it
lets every chunk reuse the pages of the one before (2,400 faults, 1.15 s CPU, same results to the bit).

The peak memory does not change (it is one chunk's working set, reached in the first chunk); what changes is
that a process keeps that peak until it ends. That suits the simulation's worker processes, which exist for
the run, and the command line; a notebook that runs a simulation in its own process keeps ~0.25 GB per
4,096-path chunk (:data:`finmodel.risk.simulation.DEFAULT_CHUNK_SIZE`) reserved for its next one.

Only on glibc (Linux); elsewhere the allocator's own policy applies and nothing is changed.

References
----------
mallopt(3), ``M_MMAP_THRESHOLD`` and ``M_TRIM_THRESHOLD``: https://man7.org/linux/man-pages/man3/mallopt.3.html
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
"""glibc's ``mallopt`` parameter numbers (malloc.h)."""

MMAP_THRESHOLD = 32 * 1024 * 1024
"""Blocks up to 32 MiB come from the heap (glibc's largest allowed threshold on 64-bit systems): a row of a
chunk is ``periods x paths x 8`` bytes, 3.9 MB at 8,192 paths x 60 periods."""

TRIM_THRESHOLD = 2**31 - 1
"""Free memory at the top of the heap is never returned while the process runs (the largest ``int``)."""

_done: list[bool] = []


def keep_freed_memory() -> bool:
    """Set glibc's allocator to reuse freed blocks (once per process); True if it applies here."""
    if _done:
        return _done[0]
    ok = False
    name = ctypes.util.find_library("c") if sys.platform.startswith("linux") else None
    if name and platform.libc_ver()[0] == "glibc":
        mallopt = ctypes.CDLL(name).mallopt
        ok = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    _done.append(ok)
    return ok
