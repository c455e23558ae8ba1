"""The search ranking's sort, compiled around numpy's vectorised sort of 64-bit integers (numba).

``discovery._order_by`` is ``np.lexsort((tie_break, key))``: the available freelancers by
ranking key, ties by a uniform draw each. The draws are distinct (all but surely; checked),
so exactly one permutation sorts by (key, tie-break), whatever the algorithm finding it.
numpy's ``argsort`` of floats is a comparison sort with a mispredicted branch at nearly every
step (7,000 freelancers: 80 us, and the stable sort 135 us), while its ``sort`` of 64-bit
integers is vectorised (AVX-512: 16 us). So each of the two sorts (by tie-break, then by key
in tie-break order) is one ``np.sort`` of packed integers: the value's order-preserving bits
with its low ``b`` bits replaced by the element's position (``2 ** b`` > the element count).
Sorting the packed integers sorts by the value's high bits, then by position; values whose
high bits agree but which differ in the low bits (rare: about ``n ** 2 / 2 ** 64-b`` pairs)
are put in order by a pass over such runs (:func:`unpack`), comparing the full bits. The
result is exactly ``np.lexsort((tie_break, key))`` when the tie-breaks are distinct;
:func:`unpack` reports equal neighbours, and the caller then runs ``np.lexsort`` itself.

Order-preserving bits (:func:`ordered_bits`): ``-0.0`` counts as ``0.0`` and every NaN as one
value above all numbers, as numpy's sorts treat them.
"""

from __future__ import annotations

import numpy as np

from marketplace_sim.market.jit import helper, kernel

_TOP = np.uint64(1) << np.uint64(63)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


@helper
def ordered_bits(x: float, u: np.uint64) -> np.uint64:
    """An unsigned integer in the order of ``x`` (whose bits are ``u``).

    ``-0.0`` counts as ``0.0``, every NaN as one value above everything.
    """
    if x != x:
        return _ALL
    if x == 0.0:
        return _TOP  # the bits of +0.0, with the sign bit set
    return ~u if u & _TOP else u | _TOP


def position_bits(n: int) -> int:
    """Bits for an element's position among ``n`` (at least 1)."""
    return max(1, (n - 1).bit_length())


@helper
def bits_for(n: int) -> int:
    """:func:`position_bits` inside a kernel: the least ``b >= 1`` with ``2 ** b >= n``."""
    b = 1
    while (1 << b) < n:
        b += 1
    return b


@kernel
def pack(values: np.ndarray, perm: np.ndarray, b: int) -> tuple[np.ndarray, np.ndarray]:
    """``(bits, packed)``: :func:`ordered_bits` of ``values``, and the packed integers.

    ``packed[j]``, for ``j = 0..n-1``: the bits of ``values[perm[j]]`` with the low ``b``
    replaced by ``j`` (``perm`` empty: the identity).
    """
    n = values.size
    raw = values.view(np.uint64)
    bits = np.empty(n, dtype=np.uint64)
    for i in range(n):
        bits[i] = ordered_bits(values[i], raw[i])
    low = (np.uint64(1) << np.uint64(b)) - np.uint64(1)
    packed = np.empty(n, dtype=np.uint64)
    identity = perm.size == 0
    for j in range(n):
        v = bits[j] if identity else bits[perm[j]]
        packed[j] = (v & ~low) | np.uint64(j)
    return bits, packed


@kernel
def unpack(
    packed_sorted: np.ndarray, bits: np.ndarray, perm: np.ndarray, b: int
) -> tuple[np.ndarray, bool]:
    """The permutation that ``np.sort(packed)`` stands for, and whether two values are equal.

    ``packed_sorted`` is ``np.sort`` of :func:`pack`'s output for the same ``bits``, ``perm``
    and ``b``. Returns ``perm[j]`` (``j`` itself for an empty ``perm``) for the positions
    ``j`` in the order of (full value, ``j``), and True if two neighbours in that order hold
    equal values.
    """
    n = packed_sorted.size
    low = (np.uint64(1) << np.uint64(b)) - np.uint64(1)
    identity = perm.size == 0
    j = np.empty(n, dtype=np.int64)
    full = np.empty(n, dtype=np.uint64)  # the full bits, in the order sorted so far
    for i in range(n):
        j[i] = np.int64(packed_sorted[i] & low)
        full[i] = bits[j[i]] if identity else bits[perm[j[i]]]
    i = 0
    while i < n:  # runs of equal high bits: put in order by the full bits, then position
        e = i + 1
        high = packed_sorted[i] & ~low
        mixed = False
        while e < n and (packed_sorted[e] & ~low) == high:
            mixed |= full[e] != full[i]
            e += 1
        if mixed:
            _insertion_sort(j, full, i, e)
        i = e
    equal = False
    for i in range(1, n):
        equal |= full[i] == full[i - 1]
    if identity:
        return j, equal
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        out[i] = perm[j[i]]
    return out, equal


@helper
def _insertion_sort(j: np.ndarray, full: np.ndarray, start: int, end: int) -> None:
    """Sort ``j[start:end]`` and ``full[start:end]`` together by (full, j)."""
    for a in range(start + 1, end):
        x, fx = j[a], full[a]
        c = a - 1
        while c >= start and (full[c] > fx or (full[c] == fx and j[c] > x)):
            j[c + 1] = j[c]
            full[c + 1] = full[c]
            c -= 1
        j[c + 1] = x
        full[c + 1] = fx


def order_by(key: np.ndarray, tie_break: np.ndarray, key_constant: bool) -> np.ndarray:
    """``discovery._order_by(key, tie_break, key_constant)`` (``np.lexsort((tie_break, key))``)."""
    n = key.size
    b = position_bits(n)
    no_perm = np.empty(0, dtype=np.int64)
    bits, packed = pack(tie_break, no_perm, b)
    by_tie, equal = unpack(np.sort(packed), bits, no_perm, b)
    if equal:  # two equal draws (never seen): the plain sort
        return np.lexsort((tie_break, key))
    if key_constant:
        return by_tie
    bits, packed = pack(key, by_tie, b)
    return unpack(np.sort(packed), bits, by_tie, b)[0]


# The sort split around the weekly kernels (``fasthire``): the tie-breaks packed by the kernel
# that draws them, :func:`resort` between the two ``np.sort`` calls, the last :func:`unpack`
# (:func:`final_order`) in the kernel that reads the order: two calls fewer than order_by.


@kernel
def resort(
    packed_sorted: np.ndarray, bits: np.ndarray, key: np.ndarray, b: int, key_constant: bool
) -> tuple[np.ndarray, bool, np.ndarray, np.ndarray]:
    """:func:`order_by` between its sorts: ``(by_tie, equal, key bits, key packed)``.

    ``packed_sorted``: ``np.sort`` of :func:`pack` of the tie-breaks (``bits``). The key is
    packed in tie-break order unless two tie-breaks are equal or ``key_constant`` (then the
    last two are empty: ``by_tie`` is the order, or the caller runs ``np.lexsort``).
    """
    no_perm = np.empty(0, dtype=np.int64)
    by_tie, equal = unpack(packed_sorted, bits, no_perm, b)
    if equal or key_constant:
        none = np.empty(0, dtype=np.uint64)
        return by_tie, equal, none, none
    key_bits, packed = pack(key, by_tie, b)
    return by_tie, False, key_bits, packed


@kernel
def final_order(
    rows: np.ndarray, perm: np.ndarray, packed_sorted: np.ndarray, bits: np.ndarray, b: int
) -> np.ndarray:
    """``rows`` in ranking order (the end of :func:`order_by`).

    ``rows[perm]``, or with ``packed_sorted`` (``np.sort`` of :func:`resort`'s packed key)
    ``rows[unpack(packed_sorted, bits, perm, b)]``.
    """
    if packed_sorted.size:
        perm = unpack(packed_sorted, bits, perm, b)[0]
    return rows[perm]
