"""``state.Table``: live views that write through, defaults in new rows, growth and compaction.

The cached views are remade in one pass when the row count changes, and the columns whose
default is not 0 are set ahead of the live rows (``PREFILL``); these tests hold the documented
semantics against a plain reference (a dict of numpy arrays grown by concatenation).
"""

import pickle

import numpy as np
import pytest

from marketplace_sim.model import state

SPEC = {
    "a": (np.int64, -1),
    "b": (np.float64, 0.0),
    "c": (np.int16, 1),
    "d": (np.bool_, False),
}


def _reference_append(ref, k, **values):
    for name, (dtype, fill) in SPEC.items():
        new = np.full(k, values.get(name, fill), dtype=dtype)
        ref[name] = np.concatenate([ref[name], new])


def _assert_equal(table, ref):
    assert table.n == len(ref["a"])
    for name in SPEC:
        np.testing.assert_array_equal(getattr(table, name), ref[name], strict=True)
        np.testing.assert_array_equal(table.col(name), ref[name], strict=True)


@pytest.mark.parametrize("prefill", [1, 4, 256])
def test_appends_hold_values_and_defaults_across_reallocations(prefill, monkeypatch):
    monkeypatch.setattr(state, "PREFILL", prefill)
    rng = np.random.default_rng(0)
    table = state.Table(SPEC, capacity=16)
    ref = {name: np.empty(0, dtype=d) for name, (d, _) in SPEC.items()}
    for step in range(60):
        k = int(rng.integers(0, 9))
        values = {}
        if step % 2:
            values["a"] = rng.integers(0, 100, k)
        if step % 3:
            values["c"] = 7
        _ = table.a, table.c  # cached views, remade at every change
        rows = table.append(k, **values)
        _reference_append(ref, k, **values)
        np.testing.assert_array_equal(rows, np.arange(ref["a"].size - k, ref["a"].size))
        _assert_equal(table, ref)
    assert table._cap > 16  # it did grow past its capacity, more than once
    table.a[:] = 5  # the views write through
    assert (table.col("a") == 5).all() and (table.take(np.array([0]))["a"] == 5).all()


def test_views_are_remade_when_the_row_count_changes():
    table = state.Table(SPEC, capacity=16)
    table.append(3, b=1.5)
    old = table.b
    assert table.b is old  # cached: the same view until the row count changes
    table.append(2)
    assert old.size == 3 and table.b.size == 5  # arrays obtained before are the old views
    assert table.b is not old and table.b.base is old.base
    table.append(20)  # past the capacity: new arrays, the cached views follow them
    table.b[0] = 9.0
    assert table.col("b")[0] == 9.0 and old[0] == 1.5
    table.shrink(4)
    assert table.b.size == 4 and table.n == 4
    cols, start = table.grow(2)
    assert start == 4 and table.b.size == 6 and cols[1] is table.buffers["b"]
    with pytest.raises(AttributeError):
        table.b = np.zeros(6)  # columns are assigned in place only


def test_rows_after_compaction_get_the_defaults_again():
    """After ``keep`` or ``shrink`` the rows past the live ones hold old values: an append
    sets the columns whose default is not 0 again (as before the defaults were set ahead)."""
    table = state.Table(SPEC, capacity=64)
    table.append(10, a=np.arange(10), c=5)
    table.keep(np.arange(10) < 4)
    table.append(3)
    np.testing.assert_array_equal(table.a, [0, 1, 2, 3, -1, -1, -1])
    np.testing.assert_array_equal(table.c, [5, 5, 5, 5, 1, 1, 1])
    table.append(3, a=8, c=2)
    table.shrink(5)
    table.append(2)
    np.testing.assert_array_equal(table.a[-3:], [-1, -1, -1])
    np.testing.assert_array_equal(table.c[-3:], [1, 1, 1])


def test_free_rows_written_by_a_kernel_become_live_with_add():
    table = state.Table(SPEC, capacity=32)
    table.append(5)
    room = table.free_rows()
    assert 0 < room <= 32 - 5
    data = table.buffers
    data["b"][5:8] = [1.0, 2.0, 3.0]  # a kernel writes rows past the live ones
    assert table.b.size == 5
    got, start = table.add(3)
    assert start == 5 and got is data and table.free_rows() == room - 3
    np.testing.assert_array_equal(table.b, [0, 0, 0, 0, 0, 1, 2, 3])
    np.testing.assert_array_equal(table.a, [-1] * 8)  # the defaults, set ahead, kept
    table.shrink(2)
    assert table.free_rows() == 0  # rows after a compaction hold old values: none free
    table.b[:] = 4.0
    table.buffers["a"][2:] = 9  # old values past the live rows
    assert table.free_rows(at_least=50) == 30  # as many as the capacity allows, set now
    np.testing.assert_array_equal(table.buffers["a"][2:], [-1] * 30)
    assert table.n == 2 and (table.b == 4.0).all()  # the live rows untouched


def test_a_pickled_table_keeps_its_rows_and_not_its_views():
    table = state.Table(SPEC, capacity=16)
    table.append(4, a=np.arange(4))
    _ = table.a
    copy = pickle.loads(pickle.dumps(table))
    assert "a" not in copy.__dict__  # no copy of a view, which would not write through
    copy.append(2)
    np.testing.assert_array_equal(copy.a, [0, 1, 2, 3, -1, -1])
    copy.a[0] = 7
    assert copy.col("a")[0] == 7 and table.a[0] == 0


def test_buffer_tuple_is_kept_until_the_columns_are_reallocated():
    table = state.Table(SPEC, capacity=16)
    table.append(4, a=np.arange(4))
    cols = table.buffer_tuple()
    assert [c is table.buffers[name] for c, name in zip(cols, SPEC, strict=True)] == [True] * 4
    table.append(8)
    assert table.buffer_tuple() is cols  # same arrays: the same tuple
    table.append(10)  # past the capacity: new, longer columns
    grown = table.buffer_tuple()
    assert grown is not cols and grown[0] is table.buffers["a"] and grown[0].size >= 22
    np.testing.assert_array_equal(grown[0][:4], [0, 1, 2, 3])
    copy = pickle.loads(pickle.dumps(table))
    assert "_buffer_tuple" not in copy.__dict__  # made again, from the copy's own columns
    assert copy.buffer_tuple()[0] is copy.buffers["a"]
