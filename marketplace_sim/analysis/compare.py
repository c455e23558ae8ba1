"""Model against data: the same statistics of listed profiles, computed one way for both.

:func:`profile_statistics` takes a frame in the observed-profile format (an observed file read
by ``analysis/observed.py``, or a model snapshot from ``model/snapshot.py``) and returns named
statistics; :func:`compare` sets the statistics of the model's replicates beside the observed
ones, with an interval across replicates and a distance. Computation only: reading a results
folder is :func:`result_profiles`, writing the comparison folder is ``reports/compare.py``.

The distance of a statistic (docs/compare.md) is the model-data difference in standard errors::

    distance = |model_mean - observed| / sqrt(model_sd**2 + observed_se**2)

``model_sd`` is the statistic's standard deviation across replicates (unknown, so 0, for a
single run), and ``observed_se`` the sampling error of the observed value: binomial for a share
of profiles, bootstrap (profiles resampled) for the others. About 2 or less: the difference is
within the noise.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from marketplace_sim import metrics
from marketplace_sim.errors import DataError
from marketplace_sim.model.snapshot import profiles_from_run_folder
from marketplace_sim.units import WEEKS_PER_YEAR

CCDF_AT = (5, 10, 50, 100)  # review counts at which the CCDF is read
# Years since creation: [lo, hi), the last band closed ([5, 10]) so that a profile exactly ten
# years old (a ten-year run's first cohort) is counted.
TENURE_BANDS_YEARS = ((0, 1), (1, 2), (2, 5), (5, 10))
RATE_QUANTILES = (0.10, 0.50, 0.90)
SHOWS_FIVE = 4.95  # a rating at or above shows as 5.0 at one decimal
CONF_LEVEL = 0.95  # of the interval across replicates
BOOTSTRAP_DRAWS = 200  # resamples for the observed sampling error of non-share statistics
BOOTSTRAP_SEED = 20261201  # fixed: the same data always gives the same distances

#: name -> definition, in table order (docs/compare.md has the long form).
STATISTICS: dict[str, str] = {
    "share_zero_reviews": "share of listed profiles with no review",
    "gini_reviews": "Gini of review counts over listed profiles (zeros included)",
    "top1_share_reviews": "share of all reviews held by the top 1 % of profiles",
    "top10_share_reviews": "share of all reviews held by the top 10 % of profiles",
    **{f"ccdf_reviews_{k}": f"share of reviewed profiles with >= {k} reviews" for k in CCDF_AT},
    "mean_rating": "mean displayed rating of profiles showing one",
    "share_rating_5": "share of profiles showing a rating whose rating shows 5.0",
    "spearman_tenure_reviews": "Spearman correlation of tenure with review count",
    **{
        f"share_zero_reviews_tenure_{lo}_{hi}y": f"share with no review, tenure {lo}-{hi} years"
        for lo, hi in TENURE_BANDS_YEARS
    },
    **{f"rate_q{round(q * 100)}": f"hourly rate (USD), {q:.0%} quantile" for q in RATE_QUANTILES},
}


@dataclass(frozen=True)
class Stat:
    """A statistic's value, the number of profiles it is over, and why it is NaN (if so)."""

    value: float
    n: int
    note: str = ""
    proportion: bool = False  # a share of n profiles: its sampling error is binomial


def _nan(note: str, proportion: bool = False) -> Stat:
    return Stat(float("nan"), 0, note, proportion)


def _share(hit: np.ndarray, none_note: str) -> Stat:
    """The share of true entries, as a proportion of their count."""
    n = int(hit.size)
    if n == 0:
        return _nan(none_note, proportion=True)
    return Stat(float(np.count_nonzero(hit) / n), n, proportion=True)


def _review_stats(reviews: np.ndarray) -> dict[str, Stat]:
    n = int(reviews.size)
    total = int(reviews.sum())
    out = {"share_zero_reviews": _share(reviews == 0, "no profiles")}
    concentration = {
        "gini_reviews": lambda r: metrics.gini(r),
        "top1_share_reviews": lambda r: metrics.top_share(r, 0.01),
        "top10_share_reviews": lambda r: metrics.top_share(r, 0.10),
    }
    for name, f in concentration.items():
        out[name] = Stat(f(reviews), n) if total > 0 else _nan("no reviews at all")
    v, p = metrics.ccdf(reviews)  # P(X >= v | X > 0)
    reviewed = int(np.count_nonzero(reviews))
    for k in CCDF_AT:
        if reviewed == 0:
            out[f"ccdf_reviews_{k}"] = _nan("no reviewed profile", proportion=True)
            continue
        i = int(np.searchsorted(v, k, side="left"))
        out[f"ccdf_reviews_{k}"] = Stat(float(p[i]) if i < v.size else 0.0, reviewed, "", True)
    return out


def _rating_stats(df: pd.DataFrame) -> dict[str, Stat]:
    r = df["rating"].to_numpy(dtype=np.float64) if "rating" in df else np.empty(0)
    r = r[~np.isnan(r)]
    if r.size == 0:
        why = "no profile shows a rating" if "rating" in df else "no rating column"
        return {"mean_rating": _nan(why), "share_rating_5": _nan(why, proportion=True)}
    return {
        "mean_rating": Stat(float(r.mean()), int(r.size)),
        "share_rating_5": _share(r >= SHOWS_FIVE, ""),
    }


def _tenure_stats(df: pd.DataFrame, reviews: np.ndarray) -> dict[str, Stat]:
    bands = [f"share_zero_reviews_tenure_{lo}_{hi}y" for lo, hi in TENURE_BANDS_YEARS]
    if "tenure_weeks" not in df:
        why = "no tenure_weeks column"
        return {"spearman_tenure_reviews": _nan(why), **{b: _nan(why, True) for b in bands}}
    t = df["tenure_weeks"].to_numpy(dtype=np.float64)
    known = ~np.isnan(t)
    out: dict[str, Stat] = {}
    tk, rk = t[known], reviews[known].astype(np.float64)
    rho = metrics.spearman(tk, rk) if tk.size else float("nan")
    why = "fewer than 3 profiles with a tenure" if tk.size < 3 else "tenure or reviews constant"
    out["spearman_tenure_reviews"] = Stat(rho, int(tk.size), "" if np.isfinite(rho) else why)
    years = tk / WEEKS_PER_YEAR
    last = TENURE_BANDS_YEARS[-1][1]
    for name, (lo, hi) in zip(bands, TENURE_BANDS_YEARS, strict=True):
        in_band = (years >= lo) & ((years < hi) | ((hi == last) & (years == hi)))
        out[name] = _share(rk[in_band] == 0, "no profile in this tenure band")
    return out


def _rate_stats(df: pd.DataFrame) -> dict[str, Stat]:
    names = [f"rate_q{round(q * 100)}" for q in RATE_QUANTILES]
    if "hourly_rate" not in df:
        return {name: _nan("no hourly_rate column") for name in names}
    x = df["hourly_rate"].to_numpy(dtype=np.float64)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return {name: _nan("no profile shows a rate") for name in names}
    qs = np.quantile(x, RATE_QUANTILES)
    return {name: Stat(float(v), int(x.size)) for name, v in zip(names, qs, strict=True)}


def measure_profiles(df: pd.DataFrame) -> dict[str, Stat]:
    """Every statistic of :data:`STATISTICS` of a profile frame, with counts and notes.

    Args:
        df: profiles in the observed format (``reviews`` required; the other columns are
            used when present).

    Returns:
        ``{name: Stat}`` in :data:`STATISTICS` order; a statistic that cannot be computed
        (no such column, no profile to compute it over) has value NaN and a note saying why.
    """
    reviews = df["reviews"].to_numpy(dtype=np.int64)
    out = {
        **_review_stats(reviews),
        **_rating_stats(df),
        **_tenure_stats(df, reviews),
        **_rate_stats(df),
    }
    return {name: out[name] for name in STATISTICS}


def profile_statistics(df: pd.DataFrame) -> dict[str, float]:
    """The named statistics of a profile frame (model snapshot or observed data): NaN if none.

    See :data:`STATISTICS` for the names and docs/compare.md for the definitions.
    """
    return {name: s.value for name, s in measure_profiles(df).items()}


def observed_errors(
    df: pd.DataFrame, draws: int = BOOTSTRAP_DRAWS, seed: int = BOOTSTRAP_SEED
) -> dict[str, float]:
    """The sampling error of each statistic of the observed profiles.

    A share of ``n`` profiles gets the binomial error ``sqrt(p (1 - p) / n)`` at
    ``p = (k + 1/2) / (n + 1)`` (``k`` profiles counted), which stays positive at a share of
    0 or 1. Every other statistic gets the bootstrap error: the standard deviation of the
    statistic over ``draws`` resamples of the profiles (with replacement, a fixed seed).
    """
    stats = measure_profiles(df)
    out: dict[str, float] = {}
    for name, s in stats.items():
        if s.proportion and s.n > 0:
            p = (s.value * s.n + 0.5) / (s.n + 1)
            out[name] = float(np.sqrt(p * (1 - p) / s.n))
    rest = [n for n, s in stats.items() if n not in out and np.isfinite(s.value)]
    if not rest or draws < 2:
        return {name: out.get(name, float("nan")) for name in stats}
    rng = np.random.default_rng(seed)
    n = len(df)
    boot = np.empty((draws, len(rest)))
    for b in range(draws):
        sample = df.iloc[rng.integers(0, n, n)]
        values = profile_statistics(sample)
        boot[b] = [values[name] for name in rest]
    with warnings.catch_warnings():  # a statistic undefined in every resample: NaN, no warning
        warnings.simplefilter("ignore", RuntimeWarning)
        sd = np.nanstd(boot, axis=0, ddof=1)
    out.update(zip(rest, (float(v) for v in sd), strict=True))
    return {name: out.get(name, float("nan")) for name in stats}


COMPARISON_COLUMNS = (
    "statistic",
    "observed",
    "model_mean",
    "model_lo",
    "model_hi",
    "distance",
    "inside",
    "note",
    "model_sd",
    "observed_se",
    "replicates",
)


def compare(
    model_stats: Sequence[Mapping[str, float]],
    observed_stats: Mapping[str, float],
    observed_se: Mapping[str, float] | None = None,
    notes: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Set the model's statistics (one mapping per replicate) beside the observed ones.

    Args:
        model_stats: :func:`profile_statistics` of each replicate's snapshot.
        observed_stats: :func:`profile_statistics` of the observed profiles.
        observed_se: :func:`observed_errors` of the observed profiles (none: 0).
        notes: why a statistic is NaN, by name (see :func:`compare_profiles`).

    Returns:
        One row per statistic (:data:`COMPARISON_COLUMNS`): ``model_mean`` and the 95 %
        interval ``[model_lo, model_hi]`` of the mean across replicates
        (:func:`metrics.mean_ci`; NaN for a single run, which gives no interval);
        ``distance`` as in the module docstring (0 when the values are equal; inf when they
        differ and neither side has an error); ``inside`` whether the observed value lies in
        the interval (NA without one); ``model_sd`` (NaN for a single run), ``observed_se``,
        ``replicates`` (those with the statistic defined).
    """
    se, notes = observed_se or {}, notes or {}
    rows = []
    for name in STATISTICS:
        vals = np.array([s.get(name, np.nan) for s in model_stats], dtype=np.float64)
        vals = vals[~np.isnan(vals)]
        mean, lo, hi = metrics.mean_ci(vals, CONF_LEVEL)
        if vals.size < 2:
            lo = hi = float("nan")  # one replicate: no spread to estimate
        sd = float(vals.std(ddof=1)) if vals.size >= 2 else float("nan")
        obs = float(observed_stats.get(name, np.nan))
        obs_se = float(se.get(name, np.nan))
        rows.append(
            {
                "statistic": name,
                "observed": obs,
                "model_mean": mean,
                "model_lo": lo,
                "model_hi": hi,
                "distance": _distance(mean, obs, sd, obs_se),
                "inside": pd.NA if np.isnan(lo) or np.isnan(obs) else bool(lo <= obs <= hi),
                "note": notes.get(name, ""),
                "model_sd": sd,
                "observed_se": obs_se,
                "replicates": int(vals.size),
            }
        )
    df = pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))
    return df.astype({"inside": "boolean", "replicates": "int64"})


def _distance(mean: float, obs: float, sd: float, obs_se: float) -> float:
    if np.isnan(mean) or np.isnan(obs):
        return float("nan")
    diff = abs(mean - obs)
    if diff == 0:
        return 0.0
    # An unknown side (one replicate; no observed error given) adds nothing to the scale.
    scale = float(np.hypot(np.nan_to_num(sd), np.nan_to_num(obs_se)))
    return diff / scale if scale > 0 else float("inf")


def compare_profiles(
    model_frames: Sequence[pd.DataFrame],
    observed: pd.DataFrame,
    observed_se: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """:func:`compare` of replicate snapshots with observed profiles, notes included.

    A note says why a statistic is NaN on either side: ``observed: no tenure_weeks column``,
    ``model: no profile in this tenure band (3 of 3 replicates)``. ``observed_se`` defaults to
    :func:`observed_errors` of ``observed`` (pass it to compute it once for many conditions).
    """
    measured = [measure_profiles(f) for f in model_frames]
    obs = measure_profiles(observed)
    notes = {name: _note(obs[name], [m[name] for m in measured]) for name in STATISTICS}
    return compare(
        [{k: s.value for k, s in m.items()} for m in measured],
        {k: s.value for k, s in obs.items()},
        observed_errors(observed) if observed_se is None else observed_se,
        notes,
    )


def _note(obs: Stat, model: list[Stat]) -> str:
    parts = [f"observed: {obs.note}"] if obs.note else []
    for text in dict.fromkeys(s.note for s in model if s.note):
        k = sum(s.note == text for s in model)
        parts.append(f"model: {text} ({k} of {len(model)} replicates)")
    return "; ".join(parts)


# --------------------------------------------------------------------------------------------
# The model side: snapshots of a run folder or of a sweep's kept parts


@dataclass(frozen=True)
class ModelGroup:
    """The replicates of one condition: their run ids and final-week profile snapshots."""

    condition_id: str
    label: str
    run_ids: tuple[str, ...]
    frames: tuple[pd.DataFrame, ...]


@dataclass(frozen=True)
class ResultProfiles:
    """The model side of a comparison: a run folder (one group) or a sweep (one per condition)."""

    path: Path
    kind: str  # "run" or "sweep"
    groups: tuple[ModelGroup, ...]
    skipped: int = 0  # sweep runs that failed or kept no freelancers table


def result_profiles(
    result_dir: str | Path, snapshot: Callable[[Path], pd.DataFrame] = profiles_from_run_folder
) -> ResultProfiles:
    """Read the final-week profile snapshots of a run folder or a sweep folder.

    A sweep's parts hold freelancers tables only if its experiment said ``[experiment]
    keep_freelancers = true``.

    Raises:
        DataError: no such folder, not a run or sweep folder, a sweep without freelancers
            tables, or an unreadable table.
    """
    d = Path(result_dir)
    if not d.is_dir():
        raise DataError(d, None, "no such results folder")
    if (d / "runs.parquet").exists():
        return _sweep_profiles(d, snapshot)
    if (d / "freelancers.parquet").exists():
        group = ModelGroup("run", d.name, (d.name,), (snapshot(d),))
        return ResultProfiles(d, "run", (group,))
    raise DataError(d, None, "not a run or sweep folder (no freelancers.parquet or runs.parquet)")


def _sweep_profiles(d: Path, snapshot: Callable[[Path], pd.DataFrame]) -> ResultProfiles:
    from marketplace_sim.experiments.sweep import FREELANCERS_PART, PARTS

    try:
        runs = pd.read_parquet(d / "runs.parquet")
    except Exception as exc:  # a corrupt table: pyarrow raises several types
        raise DataError(d / "runs.parquet", None, f"not a readable Parquet file ({exc})") from None
    for col in ("run_id", "condition_id"):
        if col not in runs.columns:
            raise DataError(d / "runs.parquet", col, "column missing")
    axes, name = _sweep_axes(d, runs)
    ok = runs[runs["status"] == "ok"] if "status" in runs.columns else runs
    groups, skipped = [], len(runs) - len(ok)
    for cid, sub in ok.sort_values("run_id").groupby("condition_id", sort=True):
        kept = [r for r in sub["run_id"] if (d / PARTS / r / FREELANCERS_PART).exists()]
        skipped += len(sub) - len(kept)
        if kept:
            row = sub.iloc[0]
            label = ", ".join(f"{a.rsplit('.', 1)[-1]}={row[a]}" for a in axes)
            label = label or (name if name and runs["condition_id"].nunique() == 1 else str(cid))
            frames = tuple(snapshot(d / PARTS / r) for r in kept)
            groups.append(ModelGroup(str(cid), label, tuple(kept), frames))
    if not groups:
        raise DataError(
            d,
            None,
            "sweep parts hold no freelancers tables (run its experiment with "
            "[experiment] keep_freelancers = true)",
        )
    return ResultProfiles(d, "sweep", tuple(groups), skipped)


def _sweep_axes(d: Path, runs: pd.DataFrame) -> tuple[list[str], str | None]:
    """The swept keys that are columns of ``runs.parquet``, and the experiment's name.

    Both from ``sweep.json``; without it, none (conditions are then named by their id).
    """
    try:
        info = json.loads((d / "sweep.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [], None
    name = info.get("name")
    return [a for a in info.get("axes") or () if a in runs.columns], str(name) if name else None
