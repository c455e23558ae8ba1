"""Published results, scaled down: each asserts its direction over seeded replicates, and the
findings generator writes every section of docs/findings.md in quick mode.

Pallais's first job and van de Rijt's early boost are in test_factors.py (with the measures of
``studies``). The worlds here are small and short so that the file stays well under a minute;
the margins (several standard errors, or a gap every replicate shows) are there so that a
moderate recalibration of the baseline does not flip them.
"""

import math

import numpy as np
import pandas as pd
import pytest

from marketplace_sim import MarketplaceModel, load_config
from marketplace_sim.analysis import studies
from marketplace_sim.cli import main
from marketplace_sim.model.observation import freelancers_with_prior_and_reputation
from marketplace_sim.reports.findings import PLANS

pytestmark = pytest.mark.slow

SMALL = {
    "market.freelancers": 400,
    "market.clients": 100,
    "market.entry_rate": 2.0,
    "market.client_entry_rate": 0.5,
    "run.record_contracts": False,
}


def clearly_higher(hi, lo, k=2.0):
    """Mean gap larger than ``k`` standard errors across replicates."""
    hi, lo = np.asarray(hi, float), np.asarray(lo, float)
    gap = hi.mean() - lo.mean()
    se = math.sqrt(hi.var(ddof=1) / len(hi) + lo.var(ddof=1) / len(lo))
    return gap > k * se and gap > 0


def lukac_grow_run(seed, reputation_weight):
    cfg = load_config(
        "configs/lukac-grow.toml",
        {"run.seed": seed, "clients.reputation_weight": reputation_weight},
    )
    model = MarketplaceModel(cfg)
    model.run_for(cfg.run.steps)
    return studies.lukac_grow_outcomes(freelancers_with_prior_and_reputation(model))


def test_lukac_grow_reputation_concentrates_jobs_and_earnings():
    """In Lukac & Grow's world (120 freelancers, 30 employers, ~200 jobs), employers leaning on
    reputation (weight 2) leave more freelancers with no job and widen the top-to-bottom
    reputation-tercile earnings ratio over price-and-noise hiring (weight 0), over 10 runs; the
    warm start gives about 39 % no prior job (floor(Exp(2)) = 0 with probability 1 - e^-0.5)."""
    lo = pd.DataFrame([lukac_grow_run(s, 0.0) for s in range(1, 11)])
    hi = pd.DataFrame([lukac_grow_run(s, 2.0) for s in range(1, 11)])
    assert 150 < lo["jobs"].mean() < 250 and 150 < hi["jobs"].mean() < 250
    assert abs(lo["no_prior"].mean() - (1 - math.exp(-0.5))) < 0.06
    assert lo["no_job"].mean() < 0.32  # near random hiring's e^-1.67 = 19 %
    assert clearly_higher(hi["no_job"], lo["no_job"], k=3)
    assert clearly_higher(
        np.log(hi["earnings_ratio"].dropna()), np.log(lo["earnings_ratio"].dropna()), k=3
    )
    assert hi["no_job"].mean() > 0.33


def test_salganik_social_influence_raises_gini_and_unpredictability():
    """The same population in 4 worlds per condition: with search ranked by reputation and
    clients weighing it, the Gini of earnings is higher than with random search and clients
    blind to reputation, and so is the unpredictability U across worlds."""

    def worlds(ranking, weight):
        gini, earnings = [], []
        for seed in (11, 12, 13, 14):
            model = MarketplaceModel(
                load_config(
                    None,
                    {
                        **SMALL,
                        "run.steps": 156,
                        "run.seed": seed,
                        "run.population_seed": 7,
                        "platform.ranking": ranking,
                        "clients.reputation_weight": weight,
                    },
                )
            )
            model.run_for(156)
            gini.append(model.steps_frame()["gini_earnings"].iloc[-1])
            earnings.append(model.freelancers_frame()[["freelancer_id", "earnings"]])
        return np.array(gini), studies.unpredictability_jackknife(earnings)

    g0, u0 = worlds("random", 0.0)
    g1, u1 = worlds("reputation", 1.0)
    assert clearly_higher(g1, g0, k=3), (g1, g0)
    assert u1[0] > 1.2 * u0[0], (u1, u0)
    assert u1[1] > u0[0], (u1, u0)  # the lower end of U's interval with influence, too


def test_filippas_ratings_drift_up_while_quality_does_not():
    """With social pressure on raters (inflation 0.25, a one-year norm so the drift fits a
    short test), the mean rating given rises well beyond its no-pressure rise from year 1 to
    year 3, while delivered quality ends the same as without pressure and moves after the
    start-up year as it does without pressure."""

    def yearly(inflation, seed):
        model = MarketplaceModel(
            load_config(
                None,
                {
                    **SMALL,
                    "run.steps": 156,
                    "run.seed": seed,
                    "reviews.leniency": 0.05,
                    "reviews.inflation": inflation,
                    "reviews.norm_weeks": 52.0,
                },
            )
        )
        model.run_for(156)
        return studies.by_year(model.steps_frame()).set_index("year")

    calm = [yearly(0.0, s) for s in (1, 2)]
    pressure = [yearly(0.25, s) for s in (1, 2)]
    for c, p in zip(calm, pressure, strict=True):
        rise_c = c.loc[3, "mean_stars_week"] - c.loc[1, "mean_stars_week"]
        rise_p = p.loc[3, "mean_stars_week"] - p.loc[1, "mean_stars_week"]
        assert rise_p > rise_c + 0.3, (rise_p, rise_c)
        assert abs(p.loc[3, "mean_quality"] - c.loc[3, "mean_quality"]) < 0.03
        after_start = (p.loc[3, "mean_quality"] - p.loc[2, "mean_quality"]) - (
            c.loc[3, "mean_quality"] - c.loc[2, "mean_quality"]
        )
        assert abs(after_start) < 0.03, after_start
    assert all(p.loc[1, "mean_stars_week"] < 4.3 for p in pressure)  # a candid start


def test_findings_generator_runs_end_to_end_in_quick_mode(tmp_path, capsys):
    """`marketplace-sim findings --quick` reruns every experiment into the results folder and
    writes the page with all seven sections, a summary row per result, and every figure it
    links to."""
    out, res = tmp_path / "docs", tmp_path / "results"
    assert (
        main(
            [
                "findings",
                "--quick",
                "--results",
                str(res),
                "--out",
                str(out),
                "--workers",
                "1",
                "--quiet",
            ]
        )
        == 0
    )
    text = (out / "findings.md").read_text(encoding="utf-8")
    for title in (
        "## 1. Pallais",
        "## 2. van de Rijt",
        "## 3. Salganik",
        "## 4. Filippas",
        "## 5. Lukac & Grow",
        "## 6. The six factors",
        "## 7. Merit vs luck",
    ):
        assert title in text, title
    assert "Quick mode" in text and "marketplace-sim findings --quick" in text
    assert text.count("marketplace-sim sweep experiments/") >= len(PLANS)
    linked = {
        line.split("](")[1].rstrip(")") for line in text.splitlines() if line.startswith("![")
    }
    assert len(linked) == 8 and all((out / p).is_file() for p in linked), linked
    assert {p.name for p in (out / "img" / "findings").iterdir()} == {
        p.rsplit("/", 1)[1] for p in linked
    }
    for plan in PLANS:
        assert (res / plan.file).is_file()  # the derived experiment, scaled down
    for sweep in ("pallais-first-job", "lukac-grow", "six-factors"):
        assert (res / sweep / "manifest.json").is_file()
    assert (res / "six-factors" / "analysis" / "attribution.parquet").is_file()
    summary = text.split("## 1.")[0]
    assert summary.count("\n| ") >= 8  # header + 7 results
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name]


def test_findings_refuses_a_results_path_that_is_a_file(tmp_path, capsys):
    """A --results path that is a file: one line on stderr, exit 2, nothing run."""
    bad = tmp_path / "file"
    bad.write_text("x")
    assert main(["findings", "--quick", "--results", str(bad), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "exists and is not a folder" in err[0]
