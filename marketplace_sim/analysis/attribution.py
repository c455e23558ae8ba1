"""Attribution: how much of later success the six factors, and early luck, explain.

For freelancers who have been on the platform for at least a year, later success is
``log(1 + earnings after the first year)``. Three nested linear models (OLS on z-scores):

- traits: the five innate traits (expertise, communication, reliability, profile,
  niche_focus), plus entry week as an exposure control;
- traits + early success: adds ``log(1 + first-year earnings)``, the reputation and feedback a
  freelancer has built by the end of its first year (the sixth factor, which is earned, not
  drawn: what it adds beyond the traits is early advantage that merit does not explain);
- the remainder, 1 - R^2 of the full model, is later luck and everything the model does not see.

``r2_exposure`` (entry week alone) says how much of the traits model is mere time on the
platform: the traits' own share is ``r2_traits - r2_exposure``.

Per factor the module reports the standardized coefficient in the full model and its
permutation importance: the drop in R^2 when that column alone is shuffled and the model is
refitted (what the factor adds that the others cannot stand in for). For the five traits it
also reports their permutation importance in the traits-only model (``importance_traits``):
a trait's whole effect, including the part that works through early success and that the
full model credits to early success. Over replicates the
figures get 95 % t-intervals (``metrics.mean_ci``). It also reports merit vs luck at the top:
the share of the eventual top 10 % by earnings who are in the top 10 % of innate expertise.

:func:`analyze_results` does all of it for a results folder (``marketplace-sim analyze``): a run
folder (one replicate) or a sweep folder saved with ``[experiment] keep_freelancers = true``,
with the swept keys as the regime, and writes ``analysis/`` beside the results.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from marketplace_sim import metrics
from marketplace_sim.errors import ConfigError
from marketplace_sim.files import replace_dir

TRAITS = ("expertise", "communication", "reliability", "profile", "niche_focus")
EARLY = "early_success"
FACTORS = (*TRAITS, EARLY)
FACTOR_LABELS = {
    "expertise": "experience & expertise",
    "communication": "communication",
    "reliability": "consistency & reliability",
    "profile": "strong profile",
    "niche_focus": "niche specialisation",
    EARLY: "reputation & feedback (first-year success)",
}
PERMUTATIONS = 5  # shuffles per factor for permutation importance


def _r2(X: np.ndarray, y: np.ndarray) -> float:
    X1 = np.column_stack([np.ones(len(y)), X])
    try:  # normal equations: the columns are z-scores, so X'X is well conditioned, and fast
        b = np.linalg.solve(X1.T @ X1, X1.T @ y)
    except np.linalg.LinAlgError:  # a constant column
        b, *_ = np.linalg.lstsq(X1, y, rcond=None)
    resid = y - X1 @ b
    tss = ((y - y.mean()) ** 2).sum()
    return float(1.0 - resid @ resid / tss) if tss > 0 else float("nan")


def _z(a: np.ndarray) -> np.ndarray:
    sd = a.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return (a - a.mean(axis=0)) / sd


def cohort(freelancers: pd.DataFrame) -> pd.DataFrame:
    """Freelancers with a completed first year (``earnings_first_year`` not null)."""
    fr = freelancers[freelancers["earnings_first_year"].notna()].copy()
    early = fr["earnings_first_year"].to_numpy(dtype=float)
    fr[EARLY] = np.log1p(early)
    fr["later_success"] = np.log1p(np.maximum(fr["earnings"].to_numpy(dtype=float) - early, 0))
    return fr


def attribute(freelancers: pd.DataFrame, seed: int = 0) -> dict[str, Any]:
    """Attribution for one run.

    Args:
        freelancers: a run's ``freelancers.parquet`` table.
        seed: seed of the permutation shuffles.

    Returns:
        ``{"n", "r2_exposure", "r2_traits", "r2_early_increment", "r2_full", "unexplained",
        "top10_merit_overlap", "coef": {factor: value}, "importance": {factor: value},
        "importance_traits": {factor: value}}`` (``importance_traits`` is NaN for
        early success, which is not in the traits-only model);
        NaN where the cohort is too small (< 30) or has no variation.
    """
    fr = cohort(freelancers)
    out: dict[str, Any] = {"n": len(fr)}
    nan_f = dict.fromkeys(FACTORS, float("nan"))
    if len(fr) < 30 or fr["later_success"].std() == 0:
        out.update(
            r2_exposure=np.nan,
            r2_traits=np.nan,
            r2_early_increment=np.nan,
            r2_full=np.nan,
            unexplained=np.nan,
            top10_merit_overlap=np.nan,
            coef=nan_f,
            importance=dict(nan_f),
            importance_traits=dict(nan_f),
        )
        return out
    y = _z(fr["later_success"].to_numpy(dtype=float))
    exposure = _z(fr["entry_step"].to_numpy(dtype=float))[:, None]
    X = _z(fr[list(FACTORS)].to_numpy(dtype=float))
    X_traits = np.column_stack([X[:, : len(TRAITS)], exposure])
    X_full = np.column_stack([X, exposure])
    r2_traits = _r2(X_traits, y)
    r2_exposure = _r2(exposure, y)
    r2_full = _r2(X_full, y)
    b, *_ = np.linalg.lstsq(np.column_stack([np.ones(len(y)), X_full]), y, rcond=None)
    rng = np.random.default_rng(seed)

    def permutation_importance(X: np.ndarray, r2: float, j: int) -> float:
        drops = []
        for _ in range(PERMUTATIONS):
            Xp = X.copy()
            Xp[:, j] = rng.permutation(Xp[:, j])
            drops.append(r2 - _r2(Xp, y))
        return float(np.mean(drops))

    importance = {
        name: permutation_importance(X_full, r2_full, j) for j, name in enumerate(FACTORS)
    }
    importance_traits = {
        name: permutation_importance(X_traits, r2_traits, j) for j, name in enumerate(TRAITS)
    }
    importance_traits[EARLY] = float("nan")
    out.update(
        r2_exposure=r2_exposure,
        r2_traits=r2_traits,
        r2_early_increment=r2_full - r2_traits,
        r2_full=r2_full,
        unexplained=1.0 - r2_full,
        top10_merit_overlap=top_overlap(freelancers),
        coef={name: float(b[1 + j]) for j, name in enumerate(FACTORS)},
        importance=importance,
        importance_traits=importance_traits,
    )
    return out


def top_overlap(freelancers: pd.DataFrame, q: float = 0.10) -> float:
    """Share of the top ``q`` by earnings who are also in the top ``q`` of innate expertise.

    Computed over everyone ever present; with no link between merit and success it is ``q``.
    """
    n = len(freelancers)
    k = int(np.ceil(q * n))
    if n == 0 or k == 0:
        return float("nan")
    earn = freelancers["earnings"].to_numpy(dtype=float)
    skill = freelancers["expertise"].to_numpy(dtype=float)
    top_earn = np.argsort(-earn, kind="stable")[:k]
    top_skill = set(np.argsort(-skill, kind="stable")[:k].tolist())
    return float(np.mean([i in top_skill for i in top_earn]))


def attribution_table(
    runs: Iterable[tuple[Mapping[str, Any], pd.DataFrame]], seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Attribute each run and summarise across replicates per condition.

    Args:
        runs: ``(labels, freelancers)`` pairs; ``labels`` names the run's condition, e.g.
            ``{"run_id": 3, "clients.reputation_weight": 2.0}`` (keys other than ``run_id`` and
            ``replicate`` define the regime).
        seed: seed of the permutation shuffles.

    Returns:
        ``(per_run, summary)``: one row per run and factor (``coef``, ``importance``,
        ``importance_traits``, and the run's R^2 decomposition), and per regime and factor the
        mean and 95 % interval across replicates of each (``<col>_mean``, ``_lo``, ``_hi``).
    """
    rows = []
    for labels, fr in runs:
        a = attribute(fr, seed=seed)
        base = {
            **labels,
            "n": a["n"],
            "r2_exposure": a["r2_exposure"],
            "r2_traits": a["r2_traits"],
            "r2_early_increment": a["r2_early_increment"],
            "r2_full": a["r2_full"],
            "unexplained": a["unexplained"],
            "top10_merit_overlap": a["top10_merit_overlap"],
        }
        for f in FACTORS:
            rows.append(
                {
                    **base,
                    "factor": f,
                    "coef": a["coef"][f],
                    "importance": a["importance"][f],
                    "importance_traits": a["importance_traits"][f],
                }
            )
    per_run = pd.DataFrame(rows)
    if per_run.empty:
        return per_run, per_run
    ignore = {
        "run_id",
        "replicate",
        "seed",
        "n",
        "r2_exposure",
        "r2_traits",
        "r2_early_increment",
        "r2_full",
        "unexplained",
        "top10_merit_overlap",
        "factor",
        "coef",
        "importance",
        "importance_traits",
    }
    regime = [c for c in per_run.columns if c not in ignore]
    out = []
    for key, g in per_run.groupby([*regime, "factor"], sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip([*regime, "factor"], key, strict=True))
        row["replicates"] = len(g)
        for col in (
            "coef",
            "importance",
            "importance_traits",
            "r2_exposure",
            "r2_traits",
            "r2_early_increment",
            "r2_full",
            "unexplained",
            "top10_merit_overlap",
        ):
            m, lo, hi = metrics.mean_ci(g[col].to_numpy(dtype=float))
            row[f"{col}_mean"], row[f"{col}_lo"], row[f"{col}_hi"] = m, lo, hi
        out.append(row)
    return per_run, pd.DataFrame(out)


def regime_label(row: Mapping[str, Any], regime: Sequence[str]) -> str:
    """``ranking=random, reputation_weight=1`` (last part of each dotted key)."""
    if not regime:
        return "all runs"
    short = [k.rsplit(".", 1)[-1] for k in regime]
    names = [s if short.count(s) == 1 else k for k, s in zip(regime, short, strict=True)]
    return ", ".join(f"{n}={_fmt(row[k])}" for n, k in zip(names, regime, strict=True))


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def plot_attribution(summary: pd.DataFrame, regime: str | Sequence[str] | None = None) -> Any:
    """Permutation importance per factor with 95 % intervals, by regime.

    Up to four regimes: grouped horizontal bars. More: a heatmap of the mean importance
    (factor x regime), each cell annotated.

    Args:
        summary: the summary table of :func:`attribution_table`.
        regime: the column (or columns) naming the regime; None pools everything.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    keys = [regime] if isinstance(regime, str) else list(regime or [])
    if keys:
        labels = summary.apply(lambda r: regime_label(r, keys), axis=1)
        groups = [
            (lab, g) for lab, g in summary.assign(_regime=labels).groupby("_regime", sort=False)
        ]
    else:
        groups = [("all runs", summary)]
    reps = int(summary["replicates"].min()) if "replicates" in summary and len(summary) else 0
    note = "one replicate: no interval" if reps <= 1 else "bars: 95 % CI across replicates"
    factor_labels = [FACTOR_LABELS[f] for f in FACTORS]
    if len(groups) > 4:
        mat = np.array(
            [
                g.set_index("factor")
                .reindex(list(FACTORS))["importance_mean"]
                .to_numpy(dtype=float)
                for _, g in groups
            ]
        ).T
        fig = Figure(figsize=(2.2 + 1.1 * len(groups), 4.8), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        im = ax.imshow(mat, cmap="viridis", aspect="auto")
        for (i, j), v in np.ndenumerate(mat):
            ax.text(
                j,
                i,
                f"{v:.2f}",
                ha="center",
                va="center",
                fontsize=10,
                color="white" if v < np.nanmax(mat) * 0.6 else "black",
            )
        ax.set_yticks(range(len(FACTORS)), factor_labels, fontsize=10)
        ax.set_xticks(
            range(len(groups)), [lab.replace(", ", "\n") for lab, _ in groups], fontsize=10
        )
        fig.colorbar(im, ax=ax, label="permutation importance (drop in R²)")
        ax.set_title(
            "What explains later success, by regime\n"
            "(mean permutation importance across replicates)",
            fontsize=12,
        )
        return fig
    fig = Figure(
        figsize=(8.5, 1.6 + 0.5 * len(FACTORS) * max(1, len(groups)) ** 0.5), layout="constrained"
    )
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    height = 0.8 / len(groups)
    colors = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
    hatches = ("", "//", "..", "xx")
    for i, (label, g) in enumerate(groups):
        g = g.set_index("factor").reindex(list(FACTORS))
        y = np.arange(len(FACTORS)) + i * height
        err = np.vstack(
            [g["importance_mean"] - g["importance_lo"], g["importance_hi"] - g["importance_mean"]]
        )
        ax.barh(
            y,
            g["importance_mean"],
            height=height * 0.95,
            xerr=np.nan_to_num(err),
            color=colors[i % len(colors)],
            hatch=hatches[i % len(hatches)],
            edgecolor="white",
            capsize=3,
            label=label,
        )
    ax.set_yticks(np.arange(len(FACTORS)) + height * (len(groups) - 1) / 2)
    ax.set_yticklabels(factor_labels, fontsize=10)
    ax.invert_yaxis()
    ax.set_xlabel("permutation importance (drop in R² of later log earnings)", fontsize=11)
    ax.set_title(f"What explains later success: the six factors ({note})", fontsize=12)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.legend(fontsize=10, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return fig


# --------------------------------------------------------------------------------------------
# Results folders (marketplace-sim analyze)

ANALYSIS_DIR = "analysis"


@dataclass(frozen=True)
class ResultRuns:
    """The freelancers tables of a results folder, read one at a time."""

    path: Path
    kind: str  # "run" or "sweep"
    regime: tuple[str, ...]  # the swept keys (empty for a run folder)
    runs: tuple[tuple[dict[str, Any], Path], ...]  # (labels, freelancers.parquet)
    n_failed: int = 0

    def frames(self) -> Iterator[tuple[dict[str, Any], pd.DataFrame]]:
        """``(labels, freelancers)`` per run, each table read when it is reached."""
        for labels, path in self.runs:
            yield labels, pd.read_parquet(path)


def result_runs(result_dir: str | Path) -> ResultRuns:
    """Find the freelancers tables of a run folder or of a sweep saved with them.

    Raises:
        ConfigError: no such folder, not a results folder, or a sweep whose parts hold no
            freelancers tables (run its experiment with ``keep_freelancers = true``).
    """
    d = Path(result_dir)
    if not d.is_dir():
        raise ConfigError(d, None, "no such results folder")
    if (d / "sweep.json").exists():
        from marketplace_sim.experiments.sweep import FREELANCERS_PART, PARTS

        info = json.loads((d / "sweep.json").read_text(encoding="utf-8"))
        axes = tuple(info.get("axes") or ())
        runs, failed = [], 0
        for r in sorted(info.get("runs", []), key=lambda r: r["run_id"]):
            part = d / PARTS / r["run_id"]
            try:
                record = json.loads((part / "run.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if record.get("status") != "ok":
                failed += 1
                continue
            if not (part / FREELANCERS_PART).exists():
                continue
            values = record.get("values") or {}
            labels = {
                "run_id": r["run_id"],
                "replicate": r["replicate"],
                **{k: _cell(values.get(k)) for k in axes},
            }
            runs.append((labels, part / FREELANCERS_PART))
        if not runs:
            raise ConfigError(
                d,
                None,
                "sweep has no freelancers tables (run its experiment "
                "with [experiment] keep_freelancers = true)",
            )
        return ResultRuns(d, "sweep", axes, tuple(runs), failed)
    if (d / "freelancers.parquet").exists():
        return ResultRuns(d, "run", (), (({"run_id": d.name}, d / "freelancers.parquet"),))
    raise ConfigError(d, None, "not a run or sweep folder (no freelancers.parquet or sweep.json)")


def _cell(v: Any) -> Any:
    return json.dumps(v, sort_keys=True) if isinstance(v, Mapping | list) else v


@dataclass(frozen=True)
class AnalysisReport:
    """What :func:`analyze_results` found and wrote."""

    runs: ResultRuns
    per_run: pd.DataFrame
    summary: pd.DataFrame
    written: tuple[Path, ...]

    def text(self) -> str:
        """A readable summary, one block per regime."""
        return summary_text(self.summary, self.runs)


def analyze_results(result_dir: str | Path, seed: int = 0, dpi: int = 150) -> AnalysisReport:
    """Attribute final success to the six factors for a run or sweep folder.

    Writes ``analysis/attribution.parquet`` (per regime and factor: means and 95 % intervals),
    ``analysis/attribution_runs.parquet`` (per run and factor) and ``analysis/attribution.png``
    into the results folder; the ``analysis`` folder is replaced as a whole (written under a
    temporary name, then renamed). Freelancers tables are read one run at a time.
    """
    runs = result_runs(result_dir)
    per_run, summary = attribution_table(runs.frames(), seed=seed)
    d = runs.path
    tmp = d / f".{ANALYSIS_DIR}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        summary.to_parquet(tmp / "attribution.parquet", index=False)
        per_run.to_parquet(tmp / "attribution_runs.parquet", index=False)
        fig = plot_attribution(summary, list(runs.regime))
        fig.savefig(tmp / "attribution.png", dpi=dpi)
        fig.clear()
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    final = d / ANALYSIS_DIR
    replace_dir(tmp, final)
    names = ("attribution.parquet", "attribution_runs.parquet", "attribution.png")
    return AnalysisReport(runs, per_run, summary, tuple(final / n for n in names))


def summary_text(summary: pd.DataFrame, runs: ResultRuns) -> str:
    """The attribution summary as text: per regime, R² decomposition, top overlap, factors."""
    regime = list(runs.regime)
    n = len(runs.runs)
    if runs.kind == "run":
        head = f"{runs.path}: one run (a single replicate: no intervals)"
    else:
        head = (
            f"{runs.path}: sweep, {n} runs with freelancers tables"
            + (f" ({runs.n_failed} failed runs left out)" if runs.n_failed else "")
            + (f"; regime = {', '.join(regime)}" if regime else "")
        )
    lines = [
        head,
        "later success = log(1 + earnings after the first year), freelancers with a "
        "full first year; values: mean [95 % CI] across replicates",
        "importance: drop in R² when the factor is shuffled, in the full model and in the "
        "traits-only model (a trait's whole effect, including through early success)",
    ]

    def ci(row: Mapping[str, Any], col: str, pct: bool = False) -> str:
        k = 100.0 if pct else 1.0
        unit = " %" if pct else ""
        m, lo, hi = (row[f"{col}_{x}"] * k for x in ("mean", "lo", "hi"))
        if not np.isfinite(m):
            return "n/a"
        if lo == hi:
            return f"{m:.2f}{unit}" if not pct else f"{m:.0f}{unit}"
        f = ".0f" if pct else ".2f"
        return f"{m:{f}} [{lo:{f}}, {hi:{f}}]{unit}"

    keys = regime if regime else None
    groups = summary.groupby(keys, sort=False, dropna=False) if keys else [((), summary)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        first = g.iloc[0]
        label = regime_label(dict(zip(regime, key, strict=True)), regime) if regime else ""
        lines.append("")
        lines.append(f"== {label or 'all runs'} ({int(first['replicates'])} replicates)")
        lines.append(f"  R² entry week alone    {ci(first, 'r2_exposure')}")
        lines.append(f"  R² traits + entry week {ci(first, 'r2_traits')}")
        lines.append(f"  + early success adds   {ci(first, 'r2_early_increment')}")
        lines.append(f"  unexplained (luck ...) {ci(first, 'unexplained')}")
        lines.append(
            f"  top 10 % by earnings also top 10 % by expertise: "
            f"{ci(first, 'top10_merit_overlap', pct=True)} (chance: 10 %)"
        )
        lines.append(f"  {'factor':<44} {'importance':<22} {'traits only':<22} coef")
        g = g.sort_values("importance_mean", ascending=False)
        for _, row in g.iterrows():
            total = ci(row, "importance_traits") if row["factor"] != EARLY else "-"
            lines.append(
                f"  {FACTOR_LABELS[row['factor']]:<44} {ci(row, 'importance'):<22} "
                f"{total:<22} {row['coef_mean']:+.2f}"
            )
    return "\n".join(lines)
