"""Attribution of success to the six factors: synthetic cases with known answers."""

import numpy as np
import pandas as pd
import pytest

from marketplace_sim.analysis.attribution import FACTORS, attribute, attribution_table, top_overlap


def synthetic(n=2000, seed=0, later=None, early_weight=0.0):
    rng = np.random.default_rng(seed)
    fr = pd.DataFrame(
        {
            t: rng.uniform(0, 1, n)
            for t in ("expertise", "communication", "reliability", "profile", "niche_focus")
        }
    )
    fr["entry_step"] = rng.integers(0, 50, n)
    first = np.expm1(rng.normal(5, 1, n))
    fr["earnings_first_year"] = first
    log_later = later(fr) if later else rng.normal(0, 1, n)
    log_later = log_later + early_weight * np.log1p(first)
    fr["earnings"] = first + np.expm1(log_later - log_later.min())
    return fr


def test_pure_merit_world_is_explained_by_expertise():
    """Later log earnings = expertise exactly: traits explain all, expertise leads."""
    fr = synthetic(later=lambda f: 3.0 * f["expertise"].to_numpy())
    a = attribute(fr)
    assert a["r2_traits"] == pytest.approx(1.0, abs=1e-9)
    assert a["r2_early_increment"] == pytest.approx(0.0, abs=1e-9)
    assert a["coef"]["expertise"] == pytest.approx(1.0, abs=1e-6)
    assert max(a["importance"], key=a["importance"].get) == "expertise"
    # shuffling the only cause and refitting leaves nothing to explain: R² falls from 1 to ~0
    assert a["importance"]["expertise"] == pytest.approx(1.0, abs=0.01)


def test_pure_early_luck_world_is_explained_by_first_year():
    """Later success driven by first-year success alone: the increment carries it all."""
    fr = synthetic(later=lambda f: np.zeros(len(f)), early_weight=1.0)
    a = attribute(fr)
    assert a["r2_traits"] < 0.01
    assert a["r2_early_increment"] > 0.99
    assert max(a["importance"], key=a["importance"].get) == "early_success"


def test_noise_world_explains_nothing():
    """Independent noise: R² near 0 and every importance near 0."""
    a = attribute(synthetic())
    assert a["r2_full"] < 0.02
    assert all(abs(v) < 0.01 for v in a["importance"].values())


def test_top_overlap_hand_cases():
    """Success perfectly ordered by expertise: overlap 1; reversed: 0."""
    fr = pd.DataFrame({"expertise": np.arange(20.0), "earnings": np.arange(20.0)})
    assert top_overlap(fr) == 1.0
    fr["earnings"] = -fr["expertise"] + 100
    assert top_overlap(fr) == 0.0


def test_table_summarises_replicates_per_regime():
    """Two regimes x three replicates: one summary row per regime and factor with CIs."""
    runs = []
    for w in (0.0, 1.0):
        for r in range(3):
            fr = synthetic(seed=r, later=lambda f: f["profile"].to_numpy(), early_weight=w)
            runs.append(({"run_id": len(runs), "replicate": r, "weight": w}, fr))
    per_run, summary = attribution_table(runs)
    assert len(per_run) == 6 * len(FACTORS)
    assert len(summary) == 2 * len(FACTORS)
    s = summary.set_index(["weight", "factor"])
    assert (s["replicates"] == 3).all()
    assert (s["importance_lo"] <= s["importance_mean"]).all()
    assert (s["importance_mean"] <= s["importance_hi"]).all()
    assert (
        s.loc[(1.0, "early_success"), "importance_mean"]
        > s.loc[(0.0, "early_success"), "importance_mean"]
    )


def test_too_small_cohort_gives_nan():
    """Fewer than 30 freelancers past their first year: NaN, not a spurious fit."""
    a = attribute(synthetic(n=20))
    assert np.isnan(a["r2_traits"]) and a["n"] == 20
