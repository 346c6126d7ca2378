"""Random numbers per path, the same whatever the chunking and the number of workers.

Paths are grouped in fixed blocks of :data:`BLOCK` paths. Block ``k`` of a run with seed ``s`` draws from
its own stream, ``Philox`` keyed by ``SeedSequence(s, spawn_key=(k,))`` (the ``k``-th child that
``SeedSequence(s).spawn`` would give), always the same ``(BLOCK, dims)`` array of standard normals. A chunk
of paths ``[start, stop)`` regenerates the blocks it overlaps and keeps its rows: path ``i`` gets row
``i % BLOCK`` of block ``i // BLOCK`` whichever chunk or worker evaluates it.

References
----------
NumPy, "Parallel random number generation" (``SeedSequence`` spawning; Philox counter-based generator),
https://numpy.org/doc/stable/reference/random/parallel.html
"""

from __future__ import annotations

import numpy as np

BLOCK = 1024
"""Paths per random-number block: part of the reproducibility contract (changing it changes the draws)."""


def block_generator(seed: int, block: int, stream: int = 0) -> np.random.Generator:
    """The generator of block ``block`` (paths ``block * BLOCK`` to ``(block + 1) * BLOCK - 1``); ``stream``
    > 0 selects an independent stream of the same seed (spawn key ``(block, stream)``), e.g. a fund
    portfolio's shared macro factor."""
    key = (block,) if stream == 0 else (block, stream)
    return np.random.Generator(np.random.Philox(np.random.SeedSequence(seed, spawn_key=key)))


def standard_normals(seed: int, start: int, stop: int, dims: int, stream: int = 0) -> np.ndarray:
    """Independent standard normal draws for paths ``start .. stop - 1``, shape ``(stop - start, dims)``.

    Row ``i - start`` depends only on ``(seed, i, dims)``.

    Examples
    --------
    >>> a = standard_normals(7, 0, 3000, 4)
    >>> b = standard_normals(7, 1000, 1500, 4)
    >>> bool((a[1000:1500] == b).all())
    True
    """
    if stop <= start:
        return np.zeros((0, dims))
    first, last = start // BLOCK, (stop - 1) // BLOCK
    parts = [block_generator(seed, k, stream).standard_normal((BLOCK, dims)) for k in range(first, last + 1)]
    z = parts[0] if len(parts) == 1 else np.concatenate(parts)
    off = start - first * BLOCK
    return z[off : off + (stop - start)]
