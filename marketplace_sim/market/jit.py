"""Optional compiled kernels: numba when it is installed, the numpy code otherwise.

A week of a small world (1,000-5,000 freelancers) is a few hundred numpy calls on arrays of a
few thousand elements, each costing more in call overhead than in arithmetic. The kernels of
:mod:`marketplace_sim.market.kernels` fuse those calls into loops compiled by numba. They are
exact replicas of the numpy code they stand in for: the same random draws, taken by numpy in
the same order and sizes; the same floating-point operations in the same order (no fast-math,
no fused multiply-add). numpy's *ufuncs* ``np.exp``, ``np.log``, ``np.power`` use SIMD code
that differs from the C library's in the last bit, so those stay in numpy or come from tables
numpy computed; numpy's *random distributions* call the C library's ``exp``, ``log`` and
``pow``, as numba's ports of them do, so a kernel may draw ``gumbel``, ``beta``, ``gamma`` or
``poisson`` itself where a test proves the draws and the generator's final state equal
(``tests/test_perf_enter.py``, ``tests/test_perf_jit.py``). So a fixed-seed run gives the same
tables with and without numba, which ``tests/test_perf_jit.py`` checks.

numba is optional. Without it (not installed, or ``MARKETPLACE_SIM_NUMBA=0`` in the
environment), every phase runs its numpy code, only slower. Kernels are compiled on first use
and cached on disk (numba's ``cache=True``), so only the first run on a machine pays the
compilation.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

ENV = "MARKETPLACE_SIM_NUMBA"  # "1": always, "0": never, unset or "auto": when it pays
AVAILABLE = importlib.util.find_spec("numba") is not None

#: Freelancer-weeks (initial freelancers x weeks) from which a world is run compiled in a process
#: that has not imported numba yet: below, numba's start-up (import, its registries, loading the
#: cached code: about a second in a fresh process) costs more than the kernels save (about 1.2 us
#: a freelancer-week at 2k; break-even measured at 1.6 million). See docs/performance.md.
AUTO_WORK = 1_500_000

_forced: list[bool | None] = [None]  # set by using()
_warm = [False]  # set by warm_up(): a long-lived process (sweep and fit workers)


def _mode() -> str:
    value = os.environ.get(ENV, "auto").strip().lower()
    if value in ("0", "false", "no", "off"):
        return "off"
    if value in ("1", "true", "yes", "on"):
        return "on"
    return "auto"


def enabled() -> bool:
    """Whether the kernels may be used at all (numba installed and not switched off)."""
    return AVAILABLE and _mode() != "off" if _forced[0] is None else _forced[0]


def use_for(work: float) -> bool:
    """Whether to run a world of ``work`` freelancer-weeks with the compiled kernels.

    Always if :data:`ENV` is ``1`` (and numba is installed), never if ``0``; otherwise (auto)
    when numba is already loaded in this process (or :func:`warm_up` was called), or the world
    is large enough that the kernels repay numba's start-up (:data:`AUTO_WORK`).
    """
    if _forced[0] is not None:
        return _forced[0]
    mode = _mode()
    if not AVAILABLE or mode == "off":
        return False
    return mode == "on" or _warm[0] or "numba" in sys.modules or work >= AUTO_WORK


def warm_up() -> None:
    """Declare this process long-lived (a pool worker): compile every world from now on.

    Imports numba and the kernels now, so the first run does not pay for it mid-way.
    """
    if not enabled():
        return
    _warm[0] = True
    for source in _kernel_sources():  # every kernels*.py module: the list is the folder
        if source.stem.startswith("kernels"):
            importlib.import_module(f"{__package__}.{source.stem}")


@contextmanager
def using(on: bool) -> Iterator[None]:
    """Run a block with the kernels on or off, whatever the policy (tests compare the two).

    Raises:
        RuntimeError: ``on`` asked for without numba installed.
    """
    if on and not AVAILABLE:
        raise RuntimeError("numba is not installed")
    was = _forced[0]
    _forced[0] = on
    try:
        yield
    finally:
        _forced[0] = was


def _numba() -> Any:
    check_cache()
    import numba

    return numba


_checked = [False]


def check_cache() -> None:
    """:func:`drop_stale_cache`, once per process (before the first kernel is compiled)."""
    if not _checked[0]:
        _checked[0] = True
        drop_stale_cache()


#: The stamp of the kernels' sources their cached code was compiled from (in ``__pycache__``).
STAMP = "marketplace-sim-kernels.stamp"


def _kernel_sources() -> list[Any]:
    from pathlib import Path

    here = Path(__file__).resolve().parent
    return sorted([*here.glob("kernels*.py"), here / "jit.py", here / "jit_rng.py"])


def drop_stale_cache(sources: list[Any] | None = None) -> int:
    """Remove numba's cached code of the kernels when any kernel source changed since.

    numba keys a cached kernel on the modification time of the file that defines it only, so
    a kernel whose own file is unchanged keeps the machine code of an inlined or called
    kernel from another file that did change (a stale result, in a checkout after a pull or a
    branch switch). A digest of every kernel source is kept beside the cache; when it differs,
    the cache files of these modules (``kernels*.nbi``/``.nbc``: written by numba for this
    package only) are removed and recompiled on first use. Nothing else is touched; an
    unwritable folder (an installed package: numba then caches elsewhere, and an upgrade
    replaces every source at once) is left alone. Returns the number of files removed.

    Args:
        sources: the kernel source files (default: this package's); their folder's
            ``__pycache__`` holds the cache and the stamp.
    """
    import hashlib

    sources = _kernel_sources() if sources is None else sorted(sources)
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in sources if f.is_file())).hexdigest()
    cache = sources[0].parent / "__pycache__"
    stamp = cache / STAMP
    try:
        if stamp.read_text(encoding="utf-8") == digest:
            return 0
    except OSError:
        pass
    removed = 0
    try:
        for f in cache.glob("kernels*.py*.nb[ic]"):
            f.unlink()
            removed += 1
        cache.mkdir(exist_ok=True)
        stamp.write_text(digest, encoding="utf-8")
    except OSError:
        pass  # read-only install: numba's own (user-wide) cache applies
    return removed


def helper[F: Callable[..., Any]](fn: F) -> F:
    """Decorator for a small kernel called inside other kernels' loops: inlined into them.

    A call from one compiled function into another costs tens of nanoseconds when it is not
    inlined (measured: a guide-table lookup 70 ns as a call, under 2 ns inlined). Imports
    numba: kernel modules are imported only when a world runs compiled.
    """
    return _numba().njit(cache=True, inline="always", error_model="numpy")(fn)


def kernel[F: Callable[..., Any]](fn: F) -> F:
    """Decorator: compile ``fn`` with numba (on its first call; cached on disk).

    ``error_model="numpy"``: a division by zero gives inf or nan, as in numpy, not an
    exception. Imports numba: kernel modules are imported only when a world runs compiled.
    """
    return _numba().njit(cache=True, error_model="numpy")(fn)


# ----------------------------------------------------------------------------------------------
# The market's generator inside kernels, at the cost of an array argument


def generator_addresses(rng: Any) -> Any:
    """What a kernel needs to draw from ``rng`` itself: its bit generator's state and functions.

    numba can take a ``numpy.random.Generator`` argument, but converting it costs about 12 us
    a call (it looks the C functions up through ``ctypes`` every time), and a numba typed list
    holding it costs 0.7 s to set up in every process. These addresses, looked up once, are a
    six-element array, passed for a few nanoseconds; ``jit_rng.generator`` rebuilds numba's
    own ``Generator`` from them, whose draws are numpy's (the same C functions, the same
    state: a draw in a kernel advances ``rng`` exactly as numpy's would). The array is valid
    while ``rng`` lives.
    """
    import ctypes

    import numpy as np

    c = rng.bit_generator.ctypes
    fn = [
        ctypes.cast(f, ctypes.c_void_p).value for f in (c.next_uint64, c.next_uint32, c.next_double)
    ]
    return np.array([c.state_address, c.state.value, *fn, c.bit_generator.value], dtype=np.uint64)
