"""The market's generator inside kernels: numba's ``Generator`` rebuilt from addresses.

See :func:`marketplace_sim.market.jit.generator_addresses`. Imported by the kernel modules
only (it imports numba).
"""

from __future__ import annotations

from typing import Any

import numba
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


@numba.njit(cache=True, inline="always")
def generator(addresses: Any) -> Any:
    """Inside a kernel: the generator whose :func:`generator_addresses` these are."""
    return _generator_from(addresses)  # type: ignore[call-arg]  # numba adds typingctx
