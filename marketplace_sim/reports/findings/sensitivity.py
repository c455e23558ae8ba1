"""``docs/sensitivity.md``: a Morris screen of the study effects themselves.

The findings measure each study's effect at one setting of the world. How much do those
effects move with the settings nobody measured? Two sampled experiments
(``experiments/sensitivity-studies-pallais.toml`` and ``-boost.toml``, ``[sample] method =
"morris"``, replicates per design point) vary the supply/demand ratio (``jobs.post_rate``),
the intervention's week, the satisfaction weights and the new mechanisms' keys in the
profiles world. Each run's effects (:func:`marketplace_sim.analysis.studies.run_effects`:
Pallais's log earnings ratio and employment gap, the boost gap, the niche-focus coefficient,
the cohort Gini; and the run's ``top10_share``) are averaged over a point's replicates and
screened with SALib's Morris method, through the sweep's own
:func:`~marketplace_sim.experiments.sensitivity.sensitivity_table`.

Run with ``python -m marketplace_sim.reports.findings.sensitivity [DOCS [RESULTS]]`` (default
``docs`` and ``results/sensitivity-studies``); ``quick`` mode scales the worlds down.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from marketplace_sim import data, files
from marketplace_sim.analysis import studies
from marketplace_sim.analysis.results import read_table, result_runs
from marketplace_sim.reports.findings.base import StudyInput
from marketplace_sim.reports.findings.format import table
from marketplace_sim.reports.findings.plans import QUICK_WORLD, Plan

IMG = Path("img") / "sensitivity"
FIGURE = "morris-study-effects.png"
PLANS = (
    Plan(
        "pallais",
        "sensitivity-studies-pallais.toml",
        {"replications": 1},
        {**QUICK_WORLD, "run.steps": 104},
    ),
    Plan(
        "boost",
        "sensitivity-studies-boost.toml",
        {"replications": 1},
        {**QUICK_WORLD, "run.steps": 104},
    ),
)
#: The effects screened in each experiment, with their names on the page.
SCREENED = {
    "pallais": {
        "pallais_log_ratio": "Pallais: log(treated / control earnings)",
        "pallais_gap": "Pallais: employment gap (treated - control)",
        "niche_coef": "niche-focus coefficient (sign: the niche claim)",
        "top10_share": "top-10 % share of earnings",
        "cohort_gini": "Gini of the starting cohort's shares",
    },
    "boost": {"boost_gap": "van de Rijt: boost gap (boosted - control hired)"},
}


@dataclass(frozen=True)
class _Screen:
    """What :func:`sensitivity_table` reads of an experiment, with the effects as metrics."""

    sample: Any
    conditions: Any
    metrics: tuple[str, ...]


def effects(inp: StudyInput) -> pd.DataFrame:
    """Per run: ``run_id``, ``condition_id``, ``status`` and every study effect."""
    weeks = inp.experiment.base.run.steps
    runs = read_table(inp.folder / "runs.parquet")
    rows = [
        {"run_id": labels["run_id"], **studies.run_effects(fr, weeks)}
        for labels, fr in result_runs(inp.folder).frames()
    ]
    eff = pd.DataFrame(rows)
    keep = ["run_id", "condition_id", "status", "top10_share"]
    return runs[keep].merge(eff, on="run_id", how="left")


def screen(inp: StudyInput, names: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Morris indices of each effect, and the per-run effects."""
    from marketplace_sim.experiments.sensitivity import sensitivity_table

    per_run = effects(inp)
    exp = inp.experiment
    fake = _Screen(exp.sample, exp.conditions, tuple(names))
    indices, _ = sensitivity_table(fake, per_run)  # type: ignore[arg-type]
    return indices, per_run


def _ranked(indices: pd.DataFrame, effect: str) -> pd.DataFrame:
    """One effect's parameters by mu*, with sigma and mu."""
    m = indices[indices["metric"] == effect]
    wide = m.pivot_table(index="parameter", columns="index", values="value")
    conf = m[m["index"] == "mu_star"].set_index("parameter")["conf"]
    return wide.assign(mu_star_conf=conf).sort_values("mu_star", ascending=False)


def _rows(indices: pd.DataFrame, per_run: pd.DataFrame, effect: str, name: str) -> list[list[str]]:
    r = _ranked(indices, effect)
    if r.empty:
        return [[name, "n/a (constant or undefined)", "", "", "", ""]]
    v = per_run[effect].astype(float)
    pos = 100 * float((v > 0).mean())
    spread = f"{v.mean():+.3f} ({v.min():+.3f} to {v.max():+.3f}; > 0 in {pos:.0f} % of runs)"
    top = r.index[0]
    return [
        [
            name if i == 0 else "",
            spread if i == 0 else "",
            f"`{p}`" + (" (largest)" if p == top else ""),
            f"{row['mu_star']:.3f} ± {row['mu_star_conf']:.3f}",
            f"{row['mu']:+.3f}",
            f"{row['sigma']:.3f}",
        ]
        for i, (p, row) in enumerate(r.iterrows())
    ]


def _reading(results: dict[str, tuple[pd.DataFrame, pd.DataFrame]]) -> str:
    """Which parameter moves each effect most, and whether each effect keeps its sign."""
    lines = []
    for key, names in SCREENED.items():
        indices, per_run = results[key]
        for effect, name in names.items():
            r = _ranked(indices, effect)
            if r.empty:
                continue
            v = per_run[effect].astype(float)
            lines.append(
                f"{name}: moved most by `{r.index[0]}` (mu* {r['mu_star'].iloc[0]:.3f}); "
                f"positive in {100 * float((v > 0).mean()):.0f} % of the runs."
            )
    return " ".join(lines)


def page(
    results: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
    inps: dict[str, StudyInput],
    seconds: float,
    quick: bool,
) -> str:
    """The Markdown of docs/sensitivity.md."""
    rows: list[list[str]] = []
    for key, names in SCREENED.items():
        indices, per_run = results[key]
        for effect, name in names.items():
            rows += _rows(indices, per_run, effect, name)
    head = [
        "effect",
        "mean over the design runs (range; sign)",
        "parameter",
        "mu* ± 95 %",
        "mu",
        "sigma",
    ]
    setups = "; ".join(
        f"[`experiments/{i.experiment.path.name}`](../experiments/{i.experiment.path.name}): "
        f"{len(i.experiment.conditions)} design points x {i.experiment.replications} replicates"
        for i in inps.values()
    )
    note = "\n> **Quick mode**: a scaled-down smoke check, not the screen.\n" if quick else ""
    reading = _reading(results)
    return f"""# Sensitivity of the study effects: a Morris screen

<!-- Generated by `python -m marketplace_sim.reports.findings.sensitivity`. Do not edit by hand. -->
{note}
How much do the effects of `docs/findings.md` depend on settings no study fixed? A Morris
screen (elementary effects, SALib, through the sweep's sampled designs) over the supply/demand
ratio (`jobs.post_rate`: jobs per client and week), the intervention's week, the satisfaction
weights (`delivery.weight_quality`, `weight_communication`) and the new mechanisms' keys
(`clients.expertise_signal_weight`, `freelancers.evidence_noise`,
`clients.specialist_weight`), in the profiles world. Each design point's effect is the mean
over its replicates; mu* (mean absolute elementary effect, in the effect's units over each
parameter's whole range) ranks the parameters, sigma (spread of the elementary effects)
flags interactions or non-linearity. {setups}; {seconds:.0f} s here.

```bash
python -m marketplace_sim.reports.findings.sensitivity docs results/sensitivity-studies
```

{table(head, rows)}

![Morris screen of the study effects]({IMG.as_posix()}/{FIGURE})

**Reading.** {reading}

Not screened: MusicLab's Gini and U *differences*, which need several worlds per condition and
two conditions per design point (a grid of worlds at each point; left for a later screen).
"""


def generate(
    out: str | Path = "docs",
    results: str | Path = "results/sensitivity-studies",
    *,
    quick: bool = False,
    workers: int | None = None,
) -> Path:
    """Run both screens and write ``out/sensitivity.md`` and its figure."""
    from marketplace_sim.experiments.executors import session
    from marketplace_sim.plots.findings import morris_figure
    from marketplace_sim.reports.findings.page import Settings, run_study

    t0 = time.time()
    out, res = Path(out), Path(results)
    res.mkdir(parents=True, exist_ok=True)
    settings = Settings(quick, None, workers)
    with session():  # one worker pool for both screens' sweeps
        inps = {p.key: run_study(p, res, data.experiments_dir(), settings, None) for p in PLANS}
    results_ = {k: screen(inps[k], SCREENED[k]) for k in inps}
    panels = []
    for key, names in SCREENED.items():
        for effect, name in names.items():
            r = _ranked(results_[key][0], effect)
            if not r.empty:
                panels.append(
                    (
                        name,
                        list(r.index),
                        r["mu_star"].to_numpy(dtype=float),
                        r["sigma"].to_numpy(dtype=float),
                    )
                )
    fig = morris_figure(panels)
    (out / IMG).mkdir(parents=True, exist_ok=True)
    files.save_figure(fig, out / IMG / FIGURE, dpi=120)
    text = page(results_, inps, time.time() - t0, quick)
    return files.write_text(out / "sensitivity.md", text)


if __name__ == "__main__":  # pragma: no cover - a command for the docs, until cli has one
    args = sys.argv[1:]
    quick_mode = "--quick" in args
    args = [a for a in args if a != "--quick"]
    done = generate(*args[:2], quick=quick_mode, workers=2)
    print(f"wrote {done}", file=sys.stderr)
