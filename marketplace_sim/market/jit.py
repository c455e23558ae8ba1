"""Optional compiled kernels: numba when it is installed, the numpy code otherwise.

A week of a small world (1,000-5,000 freelancers) is a few hundred numpy calls on arrays of a
few thousand elements, each costing more in call overhead than in arithmetic. The kernels of
:mod:`marketplace_sim.market.kernels` fuse those calls into loops compiled by numba. They are
exact replicas of the numpy code they stand in for: the same random draws, taken by numpy in
the same order and sizes; the same floating-point operations in the same order (no fast-math,
no fused multiply-add); no transcendental function (``exp``, ``log``, ``pow``: numba's differ
from numpy's in the last bit), which stay in numpy or come from tables numpy computed. So a
fixed-seed run gives the same tables with and without numba, which ``tests/test_perf_jit.py``
checks.

numba is optional. Without it (not installed, or ``MARKETPLACE_SIM_NUMBA=0`` in the
environment), every phase runs its numpy code, only slower. Kernels are compiled on first use
and cached on disk (numba's ``cache=True``), so only the first run on a machine pays the
compilation.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

ENV = "MARKETPLACE_SIM_NUMBA"  # "0": use the numpy code even if numba is installed


def _numba() -> Any:
    """numba, if installed and not switched off by :data:`ENV`; else None."""
    if os.environ.get(ENV, "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    if importlib.util.find_spec("numba") is None:
        return None
    import numba

    return numba


_numba_module = _numba()
#: Whether the kernels are compiled (numba imported); else they are plain, unused functions.
COMPILED = _numba_module is not None
_on = [COMPILED]


def enabled() -> bool:
    """Whether the compiled kernels are in use (numba installed and not switched off)."""
    return _on[0]


@contextmanager
def using(on: bool) -> Iterator[None]:
    """Run a block with the kernels on or off (tests compare the two paths).

    Raises:
        RuntimeError: ``on`` asked for without the kernels compiled.
    """
    if on and not COMPILED:
        raise RuntimeError(f"numba is not installed, or {ENV}=0")
    was = _on[0]
    _on[0] = on
    try:
        yield
    finally:
        _on[0] = was


def helper[F: Callable[..., Any]](fn: F) -> F:
    """Decorator for a small kernel called inside other kernels' loops: inlined into them.

    A call from one compiled function into another costs tens of nanoseconds when it is not
    inlined (measured: a guide-table lookup 70 ns as a call, under 2 ns inlined).
    """
    if _numba_module is None:
        return fn
    return _numba_module.njit(cache=True, inline="always", error_model="numpy")(fn)  # type: ignore[no-any-return]


def kernel[F: Callable[..., Any]](fn: F) -> F:
    """Decorator: compile ``fn`` with numba (lazily, on its first call; cached on disk).

    Without numba, ``fn`` is returned as it is and never called: callers test
    :func:`enabled` and run the numpy code instead.
    """
    if _numba_module is None:
        return fn
    # error_model="numpy": a division by zero gives inf or nan, as in numpy, not an exception.
    return _numba_module.njit(cache=True, error_model="numpy")(fn)  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------------------------
# The market's generator inside kernels, at the cost of an array argument


def generator_addresses(rng: Any) -> Any:
    """What a kernel needs to draw from ``rng`` itself: its bit generator's state and functions.

    numba can take a ``numpy.random.Generator`` argument, but converting it costs about 12 us
    a call (it looks the C functions up through ``ctypes`` every time), and a numba typed list
    holding it costs 0.7 s to set up in every process. These addresses, looked up once, are a
    six-element array, passed for a few nanoseconds; :func:`generator` rebuilds numba's own
    ``Generator`` from them, whose draws are numpy's (the same C functions, the same state:
    a draw in a kernel advances ``rng`` exactly as numpy's would). The array is valid while
    ``rng`` lives.
    """
    import ctypes

    import numpy as np

    c = rng.bit_generator.ctypes
    fn = [
        ctypes.cast(f, ctypes.c_void_p).value for f in (c.next_uint64, c.next_uint32, c.next_double)
    ]
    return np.array([c.state_address, c.state.value, *fn, c.bit_generator.value], dtype=np.uint64)


if _numba_module is not None:
    from llvmlite import ir
    from numba.core import cgutils, types
    from numba.extending import intrinsic

    _GEN = types.NumPyRandomGeneratorType("generator")
    _BITGEN = types.NumPyRandomBitGeneratorType("bit_generator")

    @intrinsic
    def _generator_from(typingctx: Any, addresses: Any) -> Any:
        """Numba's ``Generator`` struct from :func:`generator_addresses` (no Python object)."""

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            ary = context.make_array(signature.args[0])(context, builder, args[0])

            def word(i: int) -> Any:
                return builder.load(builder.gep(ary.data, [ir.Constant(ir.IntType(64), i)]))

            bitgen = cgutils.create_struct_proxy(_BITGEN)(context, builder)
            bitgen.parent = cgutils.get_null_value(bitgen.parent.type)
            bitgen.state_address = word(0)
            bitgen.state = word(1)
            bitgen.fnptr_next_uint64 = word(2)
            bitgen.fnptr_next_uint32 = word(3)
            bitgen.fnptr_next_double = word(4)
            bitgen.bit_generator = word(5)
            gen = cgutils.create_struct_proxy(_GEN)(context, builder)
            gen.bit_generator = bitgen._getvalue()
            gen.meminfo = cgutils.get_null_value(gen.meminfo.type)
            gen.parent = cgutils.get_null_value(gen.parent.type)
            return gen._getvalue()

        return _GEN(addresses), codegen

    @_numba_module.njit(cache=True, inline="always")
    def generator(addresses: Any) -> Any:
        """Inside a kernel: the generator whose :func:`generator_addresses` these are."""
        return _generator_from(addresses)

else:  # pragma: no cover - without numba no kernel runs

    def generator(addresses: Any) -> Any:
        """Unused without numba."""
        raise RuntimeError("numba is not installed")
