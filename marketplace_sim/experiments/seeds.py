"""Seeds of a sweep: every run's seeds from the root seed and the run's position, nothing else.

Run ``(c, r)`` (condition index ``c``, replicate ``r``) gets the market seed
``SeedSequence(root_seed, spawn_key=(c, r))`` (the same as ``SeedSequence(root_seed).spawn(C)[c]
.spawn(R)[r]``), so a run's seed never depends on the number of workers or the order runs finish
in. With ``worlds = true`` every run shares one population seed,
``SeedSequence(root_seed, spawn_key=(POPULATION_KEY,))``: the same people in every condition
and replicate, differing only in market luck (Salganik, Dodds & Watts 2006).
"""

from __future__ import annotations

import numpy as np

POPULATION_KEY = 0x706F70  # spawn key of the population seed shared by worlds ("pop")
SAMPLE_KEY = 0x73616D  # spawn key of the seed of a sampled design and its bootstrap ("sam")


def derive_seed(root_seed: int, *key: int) -> int:
    """A 63-bit seed from ``numpy.random.SeedSequence(root_seed, spawn_key=key)``.

    ``derive_seed(root, c, r)`` equals the first 64 bits (top bit dropped) of the state of
    ``SeedSequence(root).spawn(C)[c].spawn(R)[r]`` for any ``C > c``, ``R > r``.
    """
    state = np.random.SeedSequence(root_seed, spawn_key=key).generate_state(1, np.uint64)
    return int(state[0]) >> 1


def run_seeds(root_seed: int, condition: int, replicate: int, worlds: bool) -> tuple[int, int]:
    """``(seed, population_seed)`` of run ``(condition, replicate)``."""
    seed = derive_seed(root_seed, condition, replicate)
    population = derive_seed(root_seed, POPULATION_KEY) if worlds else seed
    return seed, population


def sample_seed(root_seed: int) -> int:
    """The seed of a sampled design (and of its sensitivity bootstrap), in 1..2**31-1."""
    # SALib treats seed=0 as "no seed" (a falsy check), so keep it away from 0
    return derive_seed(root_seed, SAMPLE_KEY) % (2**31 - 1) + 1
