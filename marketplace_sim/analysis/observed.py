"""Observed profiles in: read and check a CSV or Parquet file of listed profiles.

The format (one row per listed profile; docs/compare.md) is the model's snapshot format,
:data:`marketplace_sim.model.snapshot.PROFILE_COLUMNS`: ``reviews`` is required, every other
column optional. Bad data is refused with a :class:`~marketplace_sim.errors.DataError` naming
the file, the column and the first bad data row (1-based, counted after the CSV header), so a
person can open the file and fix it; extra columns are returned so the caller can say they are
ignored.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from marketplace_sim import files
from marketplace_sim.data import root as data_root
from marketplace_sim.errors import DataError
from marketplace_sim.model.snapshot import PROFILE_COLUMNS, REQUIRED_COLUMNS

CSV_SUFFIXES = (".csv",)
PARQUET_SUFFIXES = (".parquet", ".pq")
TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})

#: column -> (lowest, highest) allowed value (None: unbounded); counts are whole numbers.
BOUNDS: dict[str, tuple[float, float | None]] = {
    "reviews": (0, None),
    "rating": (0, 5),
    "tenure_weeks": (0, None),
    "hourly_rate": (0, None),
    "repeat_hire": (0, 1),
    "jobs": (0, None),
    "earnings": (0, None),
    "jss": (0, 100),
}
WHOLE = frozenset(c for c, t in PROFILE_COLUMNS.items() if t == "int64")
#: Columns that may hold empty cells (NaN); in the others every row needs a value.
MAY_BE_EMPTY = frozenset(c for c, t in PROFILE_COLUMNS.items() if t == "float64")
#: Decimals :func:`write_profiles` keeps, as a profile page shows them (money in cents).
WRITE_DECIMALS = {"hourly_rate": 2, "earnings": 2, "repeat_hire": 4}
EXAMPLE = "synthetic-profiles.csv"  # shipped example, made from the model (see its README)


@dataclass(frozen=True)
class ObservedProfiles:
    """A checked observed file: the profiles, and the columns that were ignored."""

    path: Path
    frame: pd.DataFrame
    ignored: tuple[str, ...]

    def notice(self) -> str | None:
        """The one-line notice about ignored columns, or None when there are none."""
        if not self.ignored:
            return None
        return f"notice: ignored columns {', '.join(self.ignored)} of {self.path}"


def read_profiles(path: str | Path) -> pd.DataFrame:
    """Read an observed-profiles file (CSV or Parquet) into the documented dtypes.

    Returns:
        The known columns present in the file, in :data:`PROFILE_COLUMNS` order: ``reviews``
        int64; ``rating``, ``tenure_weeks``, ``hourly_rate``, ``repeat_hire``, ``earnings``,
        ``jss`` float64 (NaN for an empty cell); ``jobs`` int64; ``top_rated`` bool.

    Raises:
        DataError: see :func:`read_observed`.
    """
    return read_observed(path).frame


def read_observed(path: str | Path) -> ObservedProfiles:
    """Read and check an observed-profiles file; extra columns are returned as ``ignored``.

    Raises:
        DataError: unknown extension, missing or unreadable file, corrupt Parquet, an empty
            file, no ``reviews`` column, or a bad value (not a number, not a whole count,
            negative, out of range, an empty cell where one is not allowed, a rating on a
            profile without reviews); the message names the column and the first bad data
            row.
    """
    p = Path(path)
    raw = _read_raw(p)
    raw.columns = [str(c).strip() for c in raw.columns]
    for col in REQUIRED_COLUMNS:
        if col not in raw.columns:
            raise DataError(p, col, f"required column missing{_missing_hint(col, raw.columns)}")
    if raw.empty:
        raise DataError(p, None, "no data rows (only a header)")
    known = [c for c in PROFILE_COLUMNS if c in raw.columns]
    ignored = tuple(c for c in raw.columns if c not in PROFILE_COLUMNS)
    frame = pd.DataFrame({c: _parse_column(p, c, raw[c]) for c in known})
    if "rating" in frame:
        rated_without = frame["rating"].notna().to_numpy() & (frame["reviews"].to_numpy() == 0)
        _refuse_first(
            p, "rating", rated_without, "given for a profile with 0 reviews (leave it empty)"
        )
    return ObservedProfiles(p, frame.astype({c: PROFILE_COLUMNS[c] for c in known}), ignored)


def _read_raw(p: Path) -> pd.DataFrame:
    """The file's table, CSV cells as strings (so a bad cell can be named), or DataError."""
    suffix = p.suffix.lower()
    if suffix not in CSV_SUFFIXES + PARQUET_SUFFIXES:
        raise DataError(p, None, f"unknown extension '{p.suffix}' (expected .csv, .parquet or .pq)")
    if not p.exists():
        raise DataError(p, None, "no such file")
    if p.is_dir():
        raise DataError(p, None, "is a folder, not a file")
    try:
        if p.stat().st_size == 0:
            raise DataError(p, None, "empty file")
        if suffix in CSV_SUFFIXES:
            with warnings.catch_warnings():
                # A first row longer than the header would silently become the index (or, with
                # index_col=False, lose cells with only a warning): make it an error.
                warnings.simplefilter("error", pd.errors.ParserWarning)
                return pd.read_csv(
                    p, dtype=str, keep_default_na=False, skipinitialspace=True, index_col=False
                )
        return pd.read_parquet(p)
    except DataError:
        raise
    except PermissionError:
        raise DataError(p, None, "cannot read: permission denied") from None
    except UnicodeDecodeError:
        raise DataError(p, None, "not UTF-8 text") from None
    except pd.errors.EmptyDataError:
        raise DataError(p, None, "empty file") from None
    except pd.errors.ParserWarning:
        raise DataError(
            p, None, "not a readable CSV file (a row has more cells than the header)"
        ) from None
    except Exception as exc:  # parser and pyarrow errors come in several types
        kind = "CSV" if suffix in CSV_SUFFIXES else "Parquet"
        raise DataError(p, None, f"not a readable {kind} file ({_one_line(exc)})") from None


def _parse_column(p: Path, col: str, s: pd.Series) -> np.ndarray:
    """One column checked and converted: numbers (NaN for empty cells) or booleans."""
    if PROFILE_COLUMNS[col] == "bool":
        return _parse_bool(p, col, s)
    values, empty, bad = _numbers(s)
    _refuse_first(p, col, bad, "not a number", s)
    if col not in MAY_BE_EMPTY:
        _refuse_first(p, col, empty, "empty cell (every row needs a value)")
    have = ~empty
    if col in WHOLE:
        _refuse_first(p, col, have & (values != np.floor(values)), "not a whole number", s)
    lo, hi = BOUNDS[col]
    _refuse_first(p, col, have & (values < lo), f"below {lo:g}", s)
    if hi is not None:
        _refuse_first(p, col, have & (values > hi), f"above {hi:g}", s)
    return values


def _numbers(s: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(values, empty, bad)``: float values, where a cell is empty, where it is not a number.

    Parquet numbers are taken as they are; strings (every CSV cell) are parsed, so a Parquet
    column written as text is checked like a CSV one. Infinities count as not a number.
    """
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        values = s.astype("float64").to_numpy(na_value=np.nan)
        empty = np.isnan(values)
    else:
        text = s.astype("string").str.strip()
        empty = np.asarray(text.isna() | (text == ""), dtype=bool)
        values = pd.to_numeric(text.where(~empty), errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
    bad = ~empty & ~np.isfinite(values)
    return values, empty, bad


def _parse_bool(p: Path, col: str, s: pd.Series) -> np.ndarray:
    """true/false, yes/no, 1/0 (any case) or a Parquet boolean; every row needs one."""
    if pd.api.types.is_bool_dtype(s) and not s.isna().any():
        return s.to_numpy(dtype=bool)
    text = s.astype("string").str.strip().str.lower()
    empty = np.asarray(text.isna() | (text == ""), dtype=bool)
    _refuse_first(p, col, empty, "empty cell (every row needs true or false)")
    is_true = np.asarray(text.isin(TRUE_WORDS), dtype=bool)
    is_false = np.asarray(text.isin(FALSE_WORDS), dtype=bool)
    _refuse_first(p, col, ~(is_true | is_false), "not true or false", s)
    return is_true


def _refuse_first(
    p: Path, col: str, bad: np.ndarray, what: str, s: pd.Series | None = None
) -> None:
    """Raise a DataError for the first row where ``bad`` holds (data rows counted from 1)."""
    rows = np.flatnonzero(bad)
    if rows.size == 0:
        return
    i = int(rows[0])
    shown = f": {_cell(s.iloc[i])}" if s is not None else ""
    more = f"; {rows.size} bad rows in all" if rows.size > 1 else ""
    raise DataError(p, col, f"{what}{shown} (data row {i + 1}{more})")


def _cell(v: object) -> str:
    text = repr(v) if isinstance(v, str) else str(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _missing_hint(col: str, columns: pd.Index | list[str]) -> str:
    """Why a required column may seem missing: its case, or a header not split on commas."""
    close = [c for c in columns if str(c).lower() == col]
    if close:
        return f" (found '{close[0]}'; names are lower case)"
    if any(col in str(c).lower() and (";" in str(c) or "\t" in str(c)) for c in columns):
        return " (the header is not split on commas: the CSV must be comma-separated)"
    return ""


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def write_profiles(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write profiles in the observed format (CSV or Parquet by suffix), atomically.

    Money is rounded to cents and ``repeat_hire`` to four decimals (:data:`WRITE_DECIMALS`),
    as a page would show them; :func:`read_profiles` reads the file back to the same values.
    """
    p = Path(path)
    known = [c for c in PROFILE_COLUMNS if c in frame.columns]
    out = frame[known].round({c: d for c, d in WRITE_DECIMALS.items() if c in known})
    suffix = p.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return files.atomic_write(p, lambda t: out.to_csv(t, index=False))
    if suffix in PARQUET_SUFFIXES:
        return files.write_parquet(out, p)
    raise DataError(p, None, f"unknown extension '{p.suffix}' (expected .csv, .parquet or .pq)")


def example_profiles_path() -> Path:
    """The shipped example: synthetic profiles made from a baseline run (not real data)."""
    return data_root() / "observed" / EXAMPLE
