"""The platform as a visitor sees it: one row per listed profile, in the observed-data format.

A scrape of a freelance platform lists profiles with what their pages show: a review count, a
rating rounded to the platform's display precision, how long the profile has existed, an hourly
rate, and so on. :func:`profiles_snapshot` reads the same columns off a model at its current
week, and :func:`profiles_from_run_folder` off a finished run folder (or a sweep part), so that
model and data go through one code path (``analysis/compare.py``).

The format (:data:`PROFILE_COLUMNS`) is defined here, the lowest layer that produces it; the
reader of observed files (``analysis/observed.py``) imports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from marketplace_sim.errors import DataError

#: The observed-profile format: column -> dtype, in file order. Only ``reviews`` is required.
PROFILE_COLUMNS: dict[str, str] = {
    "reviews": "int64",  # public reviews on the profile (count)
    "rating": "float64",  # displayed mean rating, 0-5; NaN without reviews
    "tenure_weeks": "float64",  # weeks since the profile was created
    "hourly_rate": "float64",  # USD per hour
    "repeat_hire": "float64",  # share 0-1 of completed contracts that were rehires
    "jobs": "int64",  # completed jobs (count)
    "earnings": "float64",  # USD, cumulative
    "jss": "float64",  # job success score, 0-100; NaN while hidden
    "top_rated": "bool",  # holds the Top Rated badge
}
REQUIRED_COLUMNS: tuple[str, ...] = ("reviews",)
RATING_PRECISION = 1  # decimals a platform shows of the mean rating (4.8, 5.0)
JSS_PRECISION = 0  # decimals of the job success score as shown (a whole percent: 93 %)

#: The freelancers-table columns a snapshot reads (interface contract, plus ``rate``).
FREELANCER_INPUTS = (
    "freelancer_id",
    "entry_step",
    "exit_step",
    "jobs_completed",
    "earnings",
    "rating",
    "n_reviews",
    "jss",
    "top_rated",
    "rate",
)


def listed_mask(freelancers: pd.DataFrame) -> np.ndarray:
    """Which freelancers' profiles are listed (visible to a visitor) at the snapshot week.

    The one place that decides it. A freelancer is listed from entry until its profile is
    deleted. Without ``freelancers.dormancy`` that is its exit (``exit_step`` set); with it,
    a freelancer who stops working stays listed, dormant, until ``deleted_step`` (the table
    then has that column; the model's own mask is ``observation.listed``).

    Args:
        freelancers: a freelancers table (``freelancers.parquet`` columns).

    Returns:
        A boolean array, one entry per row.
    """
    if "deleted_step" in freelancers.columns:
        return np.asarray(freelancers["deleted_step"].isna(), dtype=bool)
    return np.asarray(freelancers["exit_step"].isna(), dtype=bool)


def display_round(x: np.ndarray, precision: int) -> np.ndarray:
    """Round half up to ``precision`` decimals, as a page displays a number; NaN stays NaN.

    ``np.round`` rounds halves to even (4.85 -> 4.8); a display shows 4.9. The tiny offset
    absorbs binary representation error (97 / 20 is stored just below 4.85).
    """
    scale = 10.0**precision
    return np.floor(np.asarray(x, dtype=np.float64) * scale + 0.5 + 1e-9) / scale


def repeat_hire_shares(freelancer_ids: np.ndarray, contracts: pd.DataFrame | None) -> np.ndarray:
    """Share of each freelancer's completed contracts that were direct rehires.

    Computed from the contract log (``contracts.parquet``: ``freelancer_id``, ``rehire``).
    The log holds contracts completed on the platform during the run; jobs brought from
    before week 1 (``market.prior_jobs_mean``) are not in it and do not count.

    Args:
        freelancer_ids: the freelancers, in output order.
        contracts: the contract log, or None when it was not kept (``run.record_contracts =
            false``, and every sweep part).

    Returns:
        One share per freelancer; NaN without a logged contract, and NaN for everyone
        without a log.
    """
    out = np.full(len(freelancer_ids), np.nan)
    if contracts is None or len(contracts) == 0:
        return out
    by = contracts.groupby("freelancer_id")["rehire"].agg(["sum", "count"])
    shares = by["sum"].astype(np.float64) / by["count"]
    got = pd.Series(freelancer_ids).map(shares)
    return np.asarray(got, dtype=np.float64)


def profiles_from_frames(
    freelancers: pd.DataFrame,
    contracts: pd.DataFrame | None,
    week: int,
    precision: int = RATING_PRECISION,
) -> pd.DataFrame:
    """The listed profiles of a freelancers table at ``week``, in the observed format.

    Args:
        freelancers: ``model.freelancers_frame()`` or a ``freelancers.parquet``.
        contracts: the contract log (for ``repeat_hire``), or None.
        week: the week the table describes (the model's current step).
        precision: decimals of the displayed rating.

    Returns:
        One row per listed profile with the :data:`PROFILE_COLUMNS` and their dtypes.
    """
    fl = freelancers[listed_mask(freelancers)]
    jss = np.asarray(fl["jss"], dtype=np.float64) * 100.0  # the model keeps 0-1; pages show %
    df = pd.DataFrame(
        {
            "reviews": np.asarray(fl["n_reviews"], dtype=np.int64),
            "rating": display_round(np.asarray(fl["rating"], dtype=np.float64), precision),
            "tenure_weeks": (week - np.asarray(fl["entry_step"], dtype=np.int64)).astype(
                np.float64
            ),
            "hourly_rate": np.asarray(fl["rate"], dtype=np.float64),
            "repeat_hire": repeat_hire_shares(np.asarray(fl["freelancer_id"]), contracts),
            "jobs": np.asarray(fl["jobs_completed"], dtype=np.int64),
            "earnings": np.asarray(fl["earnings"], dtype=np.float64),
            "jss": display_round(jss, JSS_PRECISION),
            "top_rated": np.asarray(fl["top_rated"], dtype=bool),
        }
    )
    return df.astype(PROFILE_COLUMNS)


def profiles_snapshot(model: Any, precision: int = RATING_PRECISION) -> pd.DataFrame:
    """Every listed profile of a model at its current week, as a visitor would scrape it.

    Args:
        model: a :class:`~marketplace_sim.model.marketplace.MarketplaceModel` (at any week).
        precision: decimals of the displayed rating (platforms show one: 4.8).

    Returns:
        The :data:`PROFILE_COLUMNS` frame: ``reviews`` (public review count), ``rating``
        (displayed rating, per ``platform.rating_display``, rounded; NaN without reviews),
        ``tenure_weeks`` (current week - entry week), ``hourly_rate`` (current rate, USD),
        ``repeat_hire`` (see :func:`repeat_hire_shares`; NaN without the contract log),
        ``jobs`` (jobs completed, prior jobs included), ``earnings`` (USD, net of the fee),
        ``jss`` (0-100, a whole percent; NaN while hidden) and ``top_rated``.
    """
    contracts = model.contracts_frame() if model.config.run.record_contracts else None
    return profiles_from_frames(model.freelancers_frame(), contracts, model.steps, precision)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except FileNotFoundError:
        raise DataError(path, None, "no such file") from None
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        raise DataError(path, None, f"not a readable Parquet file ({_one_line(exc)})") from None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def profiles_from_run_folder(
    run_dir: str | Path, precision: int = RATING_PRECISION
) -> pd.DataFrame:
    """The listed profiles of a finished run at its last week, in the observed format.

    Works on a run folder (``freelancers.parquet``, ``steps.parquet`` and, when kept,
    ``contracts.parquet``) and on a sweep part (``parts/<run_id>/``, written with
    ``[experiment] keep_freelancers = true``; parts keep no contract log, so ``repeat_hire``
    is NaN there).

    Raises:
        DataError: a missing or unreadable table, or a freelancers table without a needed
            column.
    """
    d = Path(run_dir)
    fl_path = d / "freelancers.parquet"
    if not fl_path.exists():
        raise DataError(d, None, "no freelancers.parquet (not a run folder or a kept sweep part)")
    fl = _read_parquet(fl_path)
    for col in FREELANCER_INPUTS:
        if col not in fl.columns:
            raise DataError(fl_path, col, "column missing from the freelancers table")
    steps_path = d / "steps.parquet"
    if not steps_path.exists():
        raise DataError(d, None, "no steps.parquet (its last week dates the snapshot)")
    steps = _read_parquet(steps_path)
    if "step" not in steps.columns or steps.empty:
        raise DataError(steps_path, "step", "no weeks recorded")
    week = int(steps["step"].max())
    contracts = None
    if (d / "contracts.parquet").exists():
        contracts = _read_parquet(d / "contracts.parquet")
        for col in ("freelancer_id", "rehire"):
            if col not in contracts.columns:
                raise DataError(d / "contracts.parquet", col, "column missing")
    return profiles_from_frames(fl, contracts, week, precision)
