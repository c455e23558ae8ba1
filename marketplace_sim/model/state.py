"""Columnar state: freelancers, clients and open contracts as numpy arrays.

Each table is a set of equally long numpy columns that grow by doubling when agents enter, so the
weekly market can be cleared with array operations. Rows are never reused: a freelancer who
leaves keeps its row (``active`` false, ``exit_step`` set; with ``freelancers.dormancy`` it stays
listed, ``dormant``, until its profile is deleted), so ``freelancers.parquet`` can list everyone
who was ever present. Mesa agents (``agents.py``) are thin handles onto these rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import repeat
from operator import getitem
from typing import Any

import numpy as np

# name -> (dtype, fill value for new rows)
ColumnSpec = Mapping[str, tuple[Any, Any]]

#: Rows past the live ones set to the column defaults ahead of appends (Table._prefill).
PREFILL = 256

FREELANCER_COLUMNS: ColumnSpec = {
    "agent_id": (np.int64, -1),  # Mesa unique_id
    "active": (np.bool_, False),
    "entry_step": (np.int32, 0),
    "exit_step": (np.int32, -1),  # -1 while active
    # listing (freelancers.dormancy): a freelancer who stops seeking work stays listed
    "dormant": (np.bool_, False),  # listed, not seeking work (not active)
    "dormant_step": (np.int32, -1),  # week it last went dormant, -1 if never
    "deleted_step": (np.int32, -1),  # week its profile left the listing, -1 while listed
    # the six factors (traits, drawn at entry from the population stream)
    "expertise0": (np.float64, 0.0),  # innate skill: the "true quality" of merit metrics
    "expertise": (np.float64, 0.0),  # current skill, grows with jobs done
    "communication": (np.float64, 0.0),
    "reliability": (np.float64, 0.0),
    "profile": (np.float64, 0.0),
    "niche_focus": (np.float64, 0.0),
    "home_niche": (np.int32, 0),
    # traits of the optional mechanisms (each from a stream of its own, drawn only when on)
    "activity": (np.float64, 1.0),  # how often it applies, and capacity share (1: full-time)
    "one_job": (np.bool_, False),  # stops seeking work after its first job
    "evidence_z": (np.float64, 0.0),  # standard-normal error of its profile evidence
    # work
    "capacity": (np.int16, 1),  # concurrent contracts at most
    "load": (np.int16, 0),  # open contracts now
    "rate": (np.float64, 0.0),  # USD per hour
    "hires": (np.int32, 0),  # contracts started
    "jobs_completed": (np.int32, 0),
    "declined": (np.int32, 0),  # offers turned down for lack of capacity since the rate review
    "last_work_step": (np.int32, 0),  # last week with an open contract (entry week at first)
    # money, in integer cents so that conservation is exact
    "earnings": (np.int64, 0),  # cumulative net earnings (cents)
    "earnings_year": (np.int64, 0),  # net earnings in the last 52 weeks (cents)
    "earnings_early": (np.int64, -1),  # earnings in the first 52 weeks on the platform (cents)
    # reputation
    "stars_sum": (np.int64, 0),
    "n_reviews": (np.int32, 0),
    "jss_n": (np.int32, 0),  # private outcomes in the JSS window
    "jss_succ": (np.int32, 0),
    "jss_fail": (np.int32, 0),
    "top_rated": (np.bool_, False),
    "badge_gained": (np.bool_, False),  # Top Rated gained since the last rate review
    # first-job intervention
    "treated": (np.bool_, False),
    "control": (np.bool_, False),
    # early-boost intervention
    "boosted": (np.bool_, False),
    "boost_control": (np.bool_, False),
}

CLIENT_COLUMNS: ColumnSpec = {
    "agent_id": (np.int64, -1),
    "active": (np.bool_, False),
    "entry_step": (np.int32, 0),
    "exit_step": (np.int32, -1),
    "post_rate": (np.float64, 0.0),  # jobs per week (Poisson mean)
    # multipliers of the market-wide choice weights (log-normal around 1)
    "m_reputation": (np.float64, 1.0),
    "m_price": (np.float64, 1.0),
    "m_profile": (np.float64, 1.0),
    "m_communication": (np.float64, 1.0),
    "m_fit": (np.float64, 1.0),
    "last_freelancer": (np.int64, -1),  # row of the freelancer of the last completed contract
    "last_satisfied": (np.bool_, False),
    "last_rate": (np.float64, 0.0),  # hourly rate paid on the last completed contract
    "open_contracts": (np.int32, 0),
    "jobs_posted": (np.int32, 0),
    "spend": (np.int64, 0),  # cents paid to the platform
}

CONTRACT_COLUMNS: ColumnSpec = {
    "contract_id": (np.int64, -1),
    "freelancer": (np.int64, -1),  # row in the freelancer table
    "client": (np.int64, -1),  # row in the client table
    "niche": (np.int32, 0),
    "start_step": (np.int32, 0),
    "end_step": (np.int32, 0),
    "value": (np.int64, 0),  # cents the client pays at completion
    "fee": (np.int64, 0),  # cents the platform keeps
    "rate": (np.float64, 0.0),  # the freelancer's hourly rate when hired (USD/hour)
    "fit": (np.float64, 0.0),  # niche fit of the freelancer for this job
    "rehire": (np.bool_, False),
}


class Table:
    """Equally long numpy columns with amortised O(1) appends.

    Attribute access returns a view of the live rows (``table.rate`` is ``rate[:n]``), so
    in-place updates write through. Views are invalidated by :meth:`append` and :meth:`keep`.

    A column's view is made on first access and kept in the instance's ``__dict__`` until the
    row count changes, so reading ``table.rate`` a hundred times a week costs a dictionary
    lookup, not a slice each time (a week of a small world reads columns about 120 times).
    When the row count changes (:meth:`append`, :meth:`grow`, :meth:`shrink`) the views
    that were cached are made again at once for the new count, in one C-level pass over the
    cached columns (:meth:`_refresh_views`); arrays obtained before are the old views, as
    ever.

    Columns whose default is not 0 are set to it for a block of rows ahead of the live ones
    (:data:`PREFILL` rows, :meth:`_prefill`), so that an append of a few rows writes only the
    values it is given; the rows after the live ones are known to hold the defaults up to
    ``_clean``, which :meth:`keep`, :meth:`shrink`, :meth:`grow` and a reallocation reset
    (their rows beyond the live ones may hold old values).
    """

    def __init__(self, spec: ColumnSpec, capacity: int = 1024) -> None:
        self._spec = dict(spec)
        self._cap = max(16, int(capacity))
        self._n = 0
        self._data = {name: _column(self._cap, fill, dtype) for name, (dtype, fill) in spec.items()}
        self._views: list[str] = []  # columns whose view is cached in __dict__
        self._view_data: list[np.ndarray] = []  # their arrays (self._data[name]), in order
        # columns whose default is not 0: set ahead of the live rows (see _column, _prefill)
        self._filled = {name: fill for name, (_, fill) in spec.items() if fill != 0}
        self._clean = 0  # rows [_n, _clean) hold the defaults of the _filled columns

    def __len__(self) -> int:
        return self._n

    @property
    def n(self) -> int:
        """Number of live rows."""
        return self._n

    @property
    def columns(self) -> list[str]:
        """Column names, in declaration order."""
        return list(self._spec)

    def __getattr__(self, name: str) -> np.ndarray:
        # Called only when ``name`` is not in __dict__: no cached view yet.
        data = self.__dict__.get("_data")
        if data is None or name not in data:
            raise AttributeError(name)
        view = data[name][: self._n]
        self.__dict__[name] = view
        self._views.append(name)
        self._view_data.append(data[name])
        return view

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            raise AttributeError(f"assign into columns in place: table.{name}[...] = value")

    def _forget_views(self) -> None:
        """Drop the cached views: the row count (or the arrays) is about to change."""
        d = self.__dict__
        for name in self._views:
            del d[name]
        self._views.clear()
        self._view_data.clear()

    def _refresh_views(self) -> None:
        """Cache the views of the cached columns again, for the new row count.

        The columns read before a change are read again after it (a week reads the same
        columns every week): remaking their views here costs a slice each (the loop runs in
        C: ``map`` and ``dict.update``), not a call to ``__getattr__`` each. The old views
        are overwritten, not deleted first.
        """
        views: Any = map(getitem, self._view_data, repeat(slice(0, self._n)))
        self.__dict__.update(zip(self._views, views, strict=False))

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the columns, not the cached views (a copy of a view would not write through)."""
        state = {k: v for k, v in self.__dict__.items() if k not in self._views}
        state["_views"] = []
        state["_view_data"] = []
        state.pop("_buffer_tuple", None)  # made again on use
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a pickled table (one pickled before ``_view_data``/``_clean`` too)."""
        state.setdefault("_view_data", [])
        state.setdefault("_clean", state.get("_n", 0))
        self.__dict__.update(state)

    def col(self, name: str) -> np.ndarray:
        """The live rows of a column (same as attribute access)."""
        view = self.__dict__.get(name)
        return view if view is not None else self._data[name][: self._n]

    def append(self, k: int, **values: Any) -> np.ndarray:
        """Add ``k`` rows, filled from ``values`` (scalars or arrays) or the column defaults.

        Returns:
            The indices of the new rows.
        """
        if not values.keys() <= self._spec.keys():
            raise KeyError(f"unknown columns: {sorted(set(values) - set(self._spec))}")
        data, start = self.add(k)
        end = start + k
        for name, v in values.items():
            data[name][start:end] = v
        return np.arange(start, end)

    def add(self, k: int) -> tuple[dict[str, np.ndarray], int]:
        """Add ``k`` rows for a kernel to fill: (every column at full capacity, first new row).

        As :meth:`append` without values: the new rows of the columns whose default is not 0
        hold it; those of the zero-default columns hold 0 in a table only ever appended to
        (after :meth:`keep`, :meth:`shrink` or :meth:`grow`, maybe old values, as with
        :meth:`append`). The caller writes the other columns of the new rows.
        """
        start = self._n
        end = start + k
        self._reserve(end)
        if end > self._clean:
            self._prefill(start, end)
        self._n = end
        self._refresh_views()
        return self._data, start

    @property
    def buffers(self) -> dict[str, np.ndarray]:
        """The columns at full capacity, by name (for kernels writing the rows of :meth:`room`).

        Valid until the table grows past its capacity (then the columns are new arrays).
        """
        return self._data

    def free_rows(self, at_least: int = 0) -> int:
        """Rows after the live ones a kernel may write before :meth:`add` makes them live.

        They are within the capacity and hold the defaults (:meth:`_prefill`), so adding
        them later does not set them again. With fewer than ``at_least`` free, the defaults
        are set for ``at_least`` (and :data:`PREFILL`) more rows first, as far as the capacity
        allows.
        """
        if self._clean - self._n < at_least:
            self._prefill(self._n, self._n + at_least)
        return self._clean - self._n

    def _prefill(self, start: int, end: int) -> None:
        """Set the columns whose default is not 0 to it in rows ``start`` to ``end`` and ahead.

        Rows ``start`` on are not live: up to :data:`PREFILL` rows past ``end`` are set too
        (within the capacity, which ``end`` may exceed only when called by
        :meth:`free_rows`), so the next appends find them set (``_clean``).
        """
        upto = min(self._cap, end + PREFILL)
        for name, fill in self._filled.items():
            self._data[name][start:upto] = fill
        self._clean = upto

    def _reserve(self, rows: int) -> None:
        """Capacity for ``rows`` rows: the columns doubled (at least) when they are too short."""
        if rows <= self._cap:
            return
        new_cap = max(self._cap * 2, rows)
        for name, (dtype, fill) in self._spec.items():
            grown = _column(new_cap, fill, dtype)
            grown[: self._n] = self._data[name][: self._n]
            self._data[name] = grown
        self._cap = new_cap
        self._clean = self._n  # the new rows are unset (np.empty)
        self._view_data[:] = [self._data[name] for name in self._views]

    def keep(self, mask: np.ndarray) -> None:
        """Drop the rows where ``mask`` is false, keeping order (for the open-contract pool)."""
        self._forget_views()
        kept = int(mask.sum())
        for name in self._spec:
            col = self._data[name]
            col[:kept] = col[: self._n][mask]
        self._n = kept
        self._clean = kept  # rows after the kept ones hold old values

    def buffer_tuple(self) -> tuple[np.ndarray, ...]:
        """Every column at full capacity, in declaration order (for the compiled kernels).

        The same tuple until the columns are reallocated (:meth:`_reserve`): a kernel slices
        the live rows itself, which costs no numpy slices here.
        """
        cols = self.__dict__.get("_buffer_tuple")
        if cols is None or cols[0] is not self._data[next(iter(self._spec))]:
            cols = self._buffer_tuple = tuple(self._data[name] for name in self._spec)
        return cols

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The live rows of every column, in declaration order (for the compiled kernels)."""
        return tuple(self._data[name][: self._n] for name in self._spec)

    def shrink(self, n: int) -> None:
        """Keep the first ``n`` rows (a kernel compacted the rows to keep to the front)."""
        self._n = n
        self._clean = n  # rows after the kept ones hold old values
        self._refresh_views()

    def grow(self, k: int) -> tuple[tuple[np.ndarray, ...], int]:
        """Add ``k`` rows for a kernel to fill: (every column at full capacity, first new row).

        The new rows hold whatever the columns held (defaults, or old values): the caller
        writes every column of them.
        """
        start = self._n
        self._reserve(start + k)
        self._n = start + k
        self._clean = self._n  # the kernel gets every row: none is known to be unset
        self._refresh_views()
        return tuple(self._data[name] for name in self._spec), start

    def take(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Copies of the given rows of every column."""
        return {name: self._data[name][: self._n][rows].copy() for name in self._spec}

    def nbytes(self) -> int:
        """Bytes held by the columns (allocated capacity)."""
        return sum(a.nbytes for a in self._data.values())


def _column(n: int, fill: Any, dtype: Any) -> np.ndarray:
    """A new column of ``n`` rows, for rows set to ``fill`` as they are appended.

    Zero fills use ``np.zeros``, whose memory the OS hands over already zeroed, page by page as
    rows are first written; other fills an uninitialised ``np.empty``, which :meth:`Table.append`
    sets to the fill row by row. Either way a table sized for growth costs nothing for rows not
    yet used (at a million freelancers, the capacity reserved for entrants is 0.5 million rows).
    """
    if fill == 0:
        return np.zeros(n, dtype=dtype)
    return np.empty(n, dtype=dtype)


def freelancer_table(capacity: int = 1024) -> Table:
    """An empty freelancer table."""
    return Table(FREELANCER_COLUMNS, capacity)


def client_table(capacity: int = 1024) -> Table:
    """An empty client table."""
    return Table(CLIENT_COLUMNS, capacity)


def contract_table(capacity: int = 1024) -> Table:
    """An empty open-contract pool."""
    return Table(CONTRACT_COLUMNS, capacity)


def bump(ufunc: np.ufunc, column: np.ndarray, rows: np.ndarray, by: int = 1) -> None:
    """``ufunc.at(column, rows, by)`` with ``by`` of the column's dtype.

    numpy takes its fast path only when the dtypes match: a Python int on an int32 column is
    about 40x slower.
    """
    ufunc.at(column, rows, column.dtype.type(by))
