"""The text of ``docs/sensitivity.md``: per effect, its parameters ranked by mu*, and readings."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from marketplace_sim.reports.findings.base import StudyInput
from marketplace_sim.reports.findings.format import table

IMG = Path("img") / "sensitivity"
FIGURE = "morris-study-effects.png"
U_SCALE = 1e4  # U is a difference of market shares among ~2,000 items: shown x 10^-4
#: The effects screened in each screen, with their names on the page.
SCREENED = {
    "pallais": {
        "pallais_log_ratio": "Pallais: log(treated / control earnings)",
        "pallais_gap": "Pallais: employment gap (treated - control)",
        "niche_coef": "niche-focus coefficient (sign: the niche claim)",
        "top10_share": "top-10 % share of earnings",
        "cohort_gini": "Gini of the starting cohort's shares",
    },
    "boost": {"boost_gap": "van de Rijt: boost gap (boosted - control hired)"},
    "musiclab": {
        "musiclab_gini_diff": "MusicLab: Gini of shares, influence - independent",
        "musiclab_u_diff": "MusicLab: U, influence - independent (x 10⁻⁴)",
    },
}


@dataclass(frozen=True)
class Screened:
    """One screen's results.

    Attributes:
        key: ``pallais``, ``boost`` or ``musiclab``.
        names: effect column -> its name on the page.
        unit: what one value of ``values`` is (``runs`` or ``design points``).
        indices: the Morris indices (``sensitivity_table``'s columns).
        values: the effects, one row per run or per design point.
    """

    key: str
    names: dict[str, str]
    unit: str
    indices: pd.DataFrame
    values: pd.DataFrame


def ranked(indices: pd.DataFrame, effect: str) -> pd.DataFrame:
    """One effect's parameters by mu*, with sigma and mu (empty if it was left out)."""
    m = indices[indices["metric"] == effect]
    if m.empty:
        return pd.DataFrame(columns=["mu", "mu_star", "sigma", "mu_star_conf"])
    wide = m.pivot_table(index="parameter", columns="index", values="value")
    conf = m[m["index"] == "mu_star"].set_index("parameter")["conf"]
    return wide.assign(mu_star_conf=conf).sort_values("mu_star", ascending=False)


def _values(s: Screened, effect: str) -> pd.Series:
    ok = s.values[s.values["status"] == "ok"]
    return pd.to_numeric(ok[effect], errors="coerce").astype(float).dropna()


def _rows(s: Screened, effect: str, name: str) -> list[list[str]]:
    r = ranked(s.indices, effect)
    if r.empty:
        return [[name, "n/a (constant or undefined)", "", "", "", ""]]
    v = _values(s, effect)
    pos = 100 * float((v > 0).mean())
    spread = f"{v.mean():+.3f} ({v.min():+.3f} to {v.max():+.3f}; > 0 in {pos:.0f} % of {s.unit})"
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


def _reading(screens: Sequence[Screened]) -> str:
    """Which parameter moves each effect most, and whether each effect keeps its sign."""
    lines = []
    for s in screens:
        for effect, name in s.names.items():
            r = ranked(s.indices, effect)
            if r.empty:
                continue
            v = _values(s, effect)
            lines.append(
                f"{name}: moved most by `{r.index[0]}` (mu* {r['mu_star'].iloc[0]:.3f}); "
                f"positive in {100 * float((v > 0).mean()):.0f} % of the {s.unit}."
            )
    return " ".join(lines)


def _sign_line(s: Screened, effect: str, what: str) -> str:
    """Where ``effect`` stays positive, what moves it most and which way, in one sentence."""
    r = ranked(s.indices, effect)
    v = _values(s, effect)
    if r.empty or v.empty:
        return f"The {what} could not be screened (constant or undefined)."
    n_pos, n = int((v > 0).sum()), len(v)
    holds = "holds at every design point" if n_pos == n else f"holds at {n_pos} of {n} points"
    first, second = r.index[0], r.index[1] if len(r) > 1 else None
    way = "raises" if r["mu"].iloc[0] > 0 else "lowers"
    then = f", then `{second}` (mu* {r['mu_star'].iloc[1]:.3f})" if second else ""
    share = 100 * r["mu_star"].iloc[0] / abs(v.mean()) if v.mean() else float("nan")
    return (
        f"The {what} ({v.mean():+.3f} on average, {v.min():+.3f} to {v.max():+.3f}): its sign "
        f"{holds}; `{first}` moves it most (mu* {r['mu_star'].iloc[0]:.3f}, {share:.0f} % of "
        f"the mean difference; mu {r['mu'].iloc[0]:+.3f}: raising it {way} the difference on "
        f"the whole){then}."
    )


def musiclab_reading(s: Screened) -> str:
    """The MusicLab paragraph: both conditions' levels, and each difference's sign and mover."""
    ok = s.values[s.values["status"] == "ok"]
    levels = (
        f"Over the {len(ok)} design points, the Gini of the starting cohort's shares averages "
        f"{ok['gini_influence'].mean():.3f} with social influence and "
        f"{ok['gini_independent'].mean():.3f} in independent worlds; U "
        f"{ok['u_influence'].mean():.2f} vs {ok['u_independent'].mean():.2f} x 10⁻⁴."
    )
    return " ".join(
        [
            levels,
            _sign_line(s, "musiclab_gini_diff", "rise of the Gini with influence"),
            _sign_line(s, "musiclab_u_diff", "rise of U with influence"),
        ]
    )


def _setups(inps: Sequence[StudyInput]) -> str:
    return "; ".join(
        f"[`experiments/{i.experiment.path.name}`](../experiments/{i.experiment.path.name}): "
        f"{len(i.experiment.conditions)} design points x {i.experiment.replications} "
        + ("world" if i.experiment.worlds else "replicate")
        + ("s" if i.experiment.replications != 1 else "")
        for i in inps
    )


def run_seconds(inps: Sequence[StudyInput]) -> tuple[int, float, float]:
    """Runs of the sweeps and their wall and CPU seconds as each run recorded them.

    Read from every part's ``run.json``, so a page written from resumed sweeps still says
    what the screen cost.
    """
    import json

    n, wall, cpu = 0, 0.0, 0.0
    for i in inps:
        for rec in sorted(i.folder.glob("parts/*/run.json")):
            r = json.loads(rec.read_text(encoding="utf-8"))
            n += 1
            wall += float(r.get("wall_seconds") or 0)
            cpu += float(r.get("cpu_seconds") or 0)
    return n, wall, cpu


HEAD = [
    "effect",
    "mean over the design (range; sign)",
    "parameter",
    "mu* ± 95 %",
    "mu",
    "sigma",
]


def page(
    screens: Sequence[Screened],
    inps: Sequence[StudyInput],
    seconds: float,
    quick: bool,
    command: Sequence[str],
) -> str:
    """The Markdown of docs/sensitivity.md."""
    rows: list[list[str]] = []
    for s in screens:
        for effect, name in s.names.items():
            rows += _rows(s, effect, name)
    note = "\n> **Quick mode**: a scaled-down smoke check, not the screen.\n" if quick else ""
    music = next((musiclab_reading(s) for s in screens if s.key == "musiclab"), "")
    n_runs, wall, cpu = run_seconds(inps)
    return f"""# Sensitivity of the study effects: a Morris screen

<!-- Generated by `marketplace-sim sensitivity`. Do not edit by hand. -->
{note}
How much do the effects of `docs/findings.md` depend on settings no study fixed? A Morris
screen (elementary effects, SALib, through the sweep's sampled designs) over the supply/demand
ratio (`jobs.post_rate`: jobs per client and week), the intervention's week (for MusicLab,
which has no intervention, the study window `run.steps`), the satisfaction weights
(`delivery.weight_quality`, `weight_communication`) and the new mechanisms' keys
(`clients.expertise_signal_weight`, `freelancers.evidence_noise`,
`clients.specialist_weight`), in the profiles world. Each design point's effect is the mean
over its replicates; mu* (mean absolute elementary effect, in the effect's units over each
parameter's whole range) ranks the parameters, sigma (spread of the elementary effects)
flags interactions or non-linearity.

MusicLab's effects are differences between conditions, so its screen runs two experiments
over the same design points (one built on the other: the same `[sample]` and root seed, which
the command checks before running): at each point 3 worlds with social influence (search
ranked by reputation, clients weighing ratings) and 3 independent worlds (random search,
`clients.reputation_weight` 0; clients keep the profile evidence of expertise, as MusicLab's
independent listeners heard the songs), all with the same freelancers, as in
`experiments/salganik-worlds.toml`. Per point and condition the Gini of the starting cohort's
market shares is averaged over the worlds and U (Salganik et al. 2006: the mean over
freelancers of the mean absolute difference of their share across pairs of worlds) is taken
across them; the effect is influence minus independent, one value per design point. The
worlds of both conditions at a point also share their market seeds (the same root seed and
positions), which pairs them without favouring either. With 3 worlds a condition's U at one
point is a rough estimate: read its mu* with its interval.

{_setups(inps)}: {n_runs} runs taking {wall:.0f} s of wall time summed over the runs
({cpu:.0f} CPU-seconds), in worker processes; the call that wrote this page took {seconds:.0f} s
(sweeps already run are resumed, not rerun).

```bash
{shlex.join(command)}
```

{table(HEAD, rows)}

![Morris screen of the study effects]({IMG.as_posix()}/{FIGURE})

**Reading.** {_reading(screens)}

**MusicLab.** {music}
"""
