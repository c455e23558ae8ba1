"""``fastpaths._RowTable``: per-row ``exp`` tables grown in weekly pieces equal the whole column."""

from __future__ import annotations

import numpy as np

from marketplace_sim.model.fastpaths import _RowTable


def test_pieces_equal_whole_column_and_view_is_kept() -> None:
    rng = np.random.default_rng(5)
    column = rng.normal(size=3000)
    table = _RowTable(0.7)
    sizes = [0, 1, 17, 17, 1024, 1025, 2100, 2100, 3000]  # crosses both reallocations
    previous = None
    for n in sizes:
        got = table.of(column[:n])
        assert got.size == n
        # bit for bit what numpy computes for the whole column at once
        np.testing.assert_array_equal(got, np.exp(0.7 * column[:n]))
        if previous is not None and previous.size == n:
            assert got is previous  # unchanged row count: the same view, nothing recomputed
        previous = got
