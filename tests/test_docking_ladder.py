"""The ladder (docs/docking.md, "What our model adds"): our mechanisms in Lukac & Grow's world.

Each mechanism function on a hand case; ``docking.ours = "none"`` reproduces the docked world
exactly; directional effects only where the mechanism's logic implies them; the analysis, the
page section and the command line's bad input.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from marketplace_sim.analysis import docking_ladder as dl
from marketplace_sim.cli import main
from marketplace_sim.config import load_config
from marketplace_sim.errors import ConfigError
from marketplace_sim.model.docking import lukac_grow as lg
from marketplace_sim.model.docking import ours
from marketplace_sim.model.simulate import simulate
from tests.cli_helpers import one_error_line

DOCKED = {"docking.min_applicants": 1, "docking.max_applicants": 9}


def world(**changes: object):
    return load_config("lukac-grow-2020").with_overrides({**DOCKED, **changes})


# --------------------------------------------------------------------------------------------
# Off is the docked world, exactly


@pytest.mark.parametrize(
    ("coef", "no_work", "jobs_low", "step", "value_sum"),
    [(0.001, 50.0, 0.3684210526315789, 215.0, 49449.1520877307),
     (0.396, 23.0, 1.631578947368421, 208.0, 41362.61199001486)],
)  # fmt: skip
def test_ours_none_is_the_docked_world_exactly(coef, no_work, jobs_low, step, value_sum):
    """Values recorded with the code before docking.ours existed (main at d5a5c42, seed 11):
    "none" (the default) draws nothing more and changes nothing."""
    for cfg in (world(**{"run.seed": 11, "clients.strategy_coefficient": coef}),
                world(**{"run.seed": 11, "clients.strategy_coefficient": coef,
                         "docking.ours": "none"})):  # fmt: skip
        model = simulate(cfg)
        last = model.steps_frame().iloc[-1]
        assert last["lg_no_work"] == no_work and last["lg_jobs_low"] == jobs_low
        assert last["lg_step"] == step
        assert model.contracts_frame()["value"].sum() == value_sum


@pytest.mark.parametrize("rung", ["reviews", "search", "rehires", "top_rated", "all"])
def test_every_rung_keeps_the_same_people_and_bands(rung):
    """The population stream is untouched by our mechanisms: the same talents, prior jobs and
    starting reputations (their bands) as the docked world with the same seeds."""
    a = simulate(world(**{"run.seed": 3}))
    b = simulate(world(**{"run.seed": 3, "docking.ours": rung}))
    n = a.talent.size
    assert (b.talent[:n] == a.talent).all() and (b.jobs_start[:n] == a.jobs_start).all()
    assert (b.reputation_start[:n] == a.reputation_start).all()


def test_bad_ours_is_one_config_error_naming_the_key():
    with pytest.raises(ConfigError, match="docking.ours: 'reviewz' is not"):
        world(**{"docking.ours": "reviewz"})
    with pytest.raises(ConfigError, match="docking.ours"):
        world(**{"docking.ours": "search+search"})
    assert world(**{"docking.ours": "all"}).docking.mechanisms == set(
        ("reviews", "search", "rehires", "entry_exit", "top_rated")
    )


# --------------------------------------------------------------------------------------------
# Each mechanism's function, on hand cases


def test_ticks_per_week_is_our_jobs_per_freelancer_week_times_their_employees():
    assert ours.ticks_per_week(world()) == 15  # 0.5 * 500 / 2000 * 120
    assert ours.ticks_per_week(world(**{"jobs.post_rate": 1.0})) == 30


def test_deliver_and_review_on_noise_free_hand_cases():
    cfg = world(**{"delivery.quality_noise": 0.0, "delivery.satisfaction_noise": 0.0,
                   "reviews.noise": 0.0, "reviews.prob": 1.0})  # fmt: skip
    rng = np.random.default_rng(0)
    sat = ours.deliver(rng, np.array([0.8, 0.1]), np.array([0.5, 0.0]), np.ones(2), cfg)
    # (0.5 q + 0.2 c + 0.3 on_time) / 1: 0.4 + 0.1 + 0.3 = 0.8; 0.05 + 0 + 0.3 = 0.35
    assert np.allclose(sat, [0.8, 0.35])
    stars, outcome = ours.review(rng, np.array([0.8, 0.45, 0.2]), cfg)
    # latent = sat + leniency 0.35: 1.15 -> 5; 0.8 -> 5 (cut 0.8 inclusive); 0.55 -> 3 stars
    assert stars.tolist() == [5, 5, 3]
    assert outcome.tolist() == [1, 0, -1]  # success >= 0.5, failure < 0.3
    none, _ = ours.review(rng, np.array([0.8]), world(**{"reviews.prob": 0.0}))
    assert none.tolist() == [0]  # no public review left


def test_record_and_reputation_index_by_hand():
    cfg = world()
    rec = ours.Record.empty(2)
    rec.add(np.array([0, 0, 0]), np.array([5, 4, 0]), np.array([1, 1, 1]))
    assert rec.n_reviews.tolist() == [2, 0] and rec.jss_n.tolist() == [3, 0]
    r = ours.reputation_index(rec, np.array([False, False]), cfg)
    # rating 4.5 -> (4.5 - 3) / 2 = 0.75; log(1 + 2); JSS 1 shown (3 contracts) -> 2 * (2 - 1)
    assert r[0] == pytest.approx(0.75 + math.log(3) + 2.0) and r[1] == 0.0
    badge = ours.reputation_index(rec, np.array([False, True]), cfg)
    assert badge[1] == 1.0  # the badge is one unit of the index
    rec.grow(1)
    assert rec.stars_sum.tolist() == [9, 0, 0]


def test_review_reputation_is_their_logistic_of_our_standardised_index():
    scale = ours.IndexScale(mean=1.0, sd=2.0, spread=1.0)  # one unit = 0.5 of their argument
    got = ours.review_reputation(
        np.array([1.0, 1.0 + 2 * math.log(3), 1.0 - 2 * math.log(3)]), scale
    )
    # floor(100 logistic(0)) + 1 = 51; logistic(ln 3) = 0.75 -> 76; logistic(-ln 3) = 0.25 -> 26
    assert got.tolist() == [51, 76, 26]
    assert ours.IndexScale(0.0, 0.0, 1.0).unit == 0.0  # everyone alike at setup: no spread


def test_search_weights_are_the_position_bias_by_reputation():
    w = ours.search_weights(
        np.random.default_rng(0), np.array([10, 30, 20, 99]), np.array([1, 1, 1, 0], bool), 1.0
    )
    # ranks among the available: 30 first, 20 second, 10 third; the unavailable get 0
    assert np.allclose(w, [1 / 3, 1.0, 1 / 2, 0.0])
    flat = ours.search_weights(np.random.default_rng(0), np.array([1, 2]), np.ones(2, bool), 0.0)
    assert np.allclose(flat, 1.0)  # no position bias: uniform, as theirs


def test_create_job_with_weights_draws_only_among_positive_weights():
    rng = np.random.default_rng(4)
    w = np.zeros(20)
    w[[3, 7, 11]] = 1.0
    jobs = [lg.create_job(rng, 5, 20, (1, 9), w) for _ in range(300)]
    assert all(set(j.applicants) <= {3, 7, 11} and j.applicants.size <= 3 for j in jobs)
    assert max(j.applicants.size for j in jobs) == 3


def test_rehire_wanted_draws_only_for_a_satisfied_employer():
    rng, twin = np.random.default_rng(1), np.random.default_rng(1)
    assert not ours.rehire_wanted(rng, -1, True, True, 1.0)  # no last employee
    assert not ours.rehire_wanted(rng, 4, False, True, 1.0)  # last job not a success
    assert not ours.rehire_wanted(rng, 4, True, False, 1.0)  # gone
    assert rng.random() == twin.random()  # none of them drew
    assert ours.rehire_wanted(rng, 4, True, True, 1.0)
    assert not ours.rehire_wanted(rng, 4, True, True, 0.0)
    hits = [ours.rehire_wanted(rng, 4, True, True, 0.5) for _ in range(4000)]
    assert abs(np.mean(hits) - 0.5) < 0.03


def test_exit_probability_and_entrants_at_our_rates():
    cfg = world()
    p = ours.exit_probability(np.array([0.0, 10.0, 1e4]), cfg)
    assert np.allclose(p, [0.002, 0.002 + 0.0003 * 10, 0.1])  # base, slope, cap
    rng = np.random.default_rng(2)
    n = [ours.entrants(rng, cfg) for _ in range(20_000)]
    assert abs(np.mean(n) - 10 / 2000 * 120) < 0.02  # 0.6 a week


def test_top_rated_needs_jss_earnings_and_tenure():
    cfg = world()
    rec = ours.Record.empty(4)
    rows = np.repeat(np.arange(4), [3, 3, 2, 3])
    rec.add(rows, np.zeros(rows.size, np.int8), np.ones(rows.size, np.int8))
    earn = np.array([1000.0, 999.0, 5000.0, 5000.0])
    tenure = np.array([np.inf, np.inf, np.inf, 12.0])
    # 0: all met; 1: $1 short; 2: JSS hidden (2 contracts < 3); 3: 12 weeks < 13 of tenure
    assert ours.top_rated(rec, earn, tenure, cfg).tolist() == [True, False, False, False]


def test_newcomers_have_their_formula_at_zero_jobs_and_grow_the_basis():
    basis = lg.ReputationBasis(np.array([0.0, 1.0]), math.log(1.1), 1.0, 0.5, 0.5)
    talent, rep, grown = ours.newcomers(np.random.default_rng(5), 3, basis, 50.0, 10.0)
    assert grown.talent_std.size == 5 and np.allclose(grown.talent_std[2:], (talent - 50) / 10)
    assert ((1 <= talent) & (talent <= 99)).all()
    # 0 jobs: z = ln(0.1) - ln(1.1) = -ln 11 < 0, so a newcomer of average talent scores < 51
    x = 0.5 * (talent - 50) / 10 + 0.5 * (math.log(0.1) - math.log(1.1))
    assert (np.abs(rep - (100 / (1 + np.exp(-x)) + 1)) < 45).all()  # noise sd 10 points


def test_recompute_with_a_shift_raises_the_shifted_scores():
    basis = lg.ReputationBasis(np.zeros(3), 0.0, 1.0, 0.5, 0.5)
    jobs, rep = np.array([1, 1, 1]), np.array([5, 5, 5])
    plain = lg.recompute_reputation(np.random.default_rng(8), basis, jobs, rep)
    shifted = lg.recompute_reputation(
        np.random.default_rng(8), basis, jobs, rep, np.array([0.0, 1.0, 0.0])
    )
    assert shifted[0] == plain[0] and shifted[2] == plain[2] and shifted[1] > plain[1]


# --------------------------------------------------------------------------------------------
# The mechanisms in runs: properties, and directions their logic implies

REPS = 12


def _last(rung: str, coef: float = 0.101) -> pd.DataFrame:
    rows = []
    for r in range(REPS):
        cfg = world(**{"run.seed": 500 + r, "clients.strategy_coefficient": coef,
                       "docking.ours": rung})  # fmt: skip
        model = simulate(cfg)
        rows.append({**model.steps_frame().iloc[-1].to_dict(),
                     "rehire_share": model.contracts_frame()["rehire"].mean()})  # fmt: skip
    return pd.DataFrame(rows)


def test_ranked_search_leaves_more_employees_without_a_job():
    """Uniform draws give everyone the same chance to apply; with the position bias the low
    ranks rarely apply, and an employee who does not apply cannot be hired: more without a
    new job and a higher Gini, in the mean over replicates."""
    base, ranked = _last("none"), _last("search")
    assert ranked["lg_no_work"].mean() > base["lg_no_work"].mean() + 10
    assert ranked["gini_earnings"].mean() > base["gini_earnings"].mean()


def test_rehires_repeat_pairs_and_lengthen_the_run():
    """A rehire is by construction a repeat pair, and a repeat pair adds no link, so more jobs
    are posted before 200 distinct pairs (the stopping rule)."""
    base, rehire = _last("none"), _last("rehires")
    assert rehire["rehire_share"].mean() > base["rehire_share"].mean() + 0.1
    assert rehire["lg_step"].mean() > base["lg_step"].mean()


def test_reviews_change_reputation_only_of_the_hired():
    """With reputation from reviews there is no fresh noise: an employee never hired in the run
    shows the reputation it started with (the review-based one), exactly."""
    model = simulate(world(**{"run.seed": 9, "docking.ours": "reviews"}))
    idle = model.jobs == model.jobs_start
    index = ours.reputation_index(model.record, model.badge, model.config)
    assert (model.reputation_now == ours.review_reputation(index, model.scale)).all()
    fresh = simulate(world(**{"run.seed": 9, "docking.ours": "reviews", "run.steps": 1}))
    assert (model.reputation_now[idle] == fresh.reputation_now[idle]).all()


def test_entry_exit_bookkeeping_and_badge_holders_meet_the_rule():
    model = simulate(world(**{"run.seed": 2, "docking.ours": "all"}))
    n0 = model.config.docking.num_employees
    entered, gone = model.talent.size - n0, int((~model.active).sum())
    assert entered > 0 and (model.entry_tick[n0:] > 0).all() and (model.jobs_start[n0:] == 0).all()
    assert len(model.agents) == 30 + n0 + entered - gone  # Mesa agents of those present
    last = model.steps_frame().iloc[-1]
    assert last["freelancers_active"] == n0 + entered - gone
    fl = model.freelancers_frame()
    assert fl["exit_step"].notna().sum() == gone
    holders = np.flatnonzero(model.badge)
    assert (model.earnings[holders] >= 1000).all() and model.active[holders].all()


# --------------------------------------------------------------------------------------------
# The analysis, the page section, the command line


def test_welch_interval_by_hand():
    a, b = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 3.0, 5.0, 9.0])
    out = dl.welch(a, b)
    # diff -2.25; se = sqrt(1.667/4 + 9.583/4) = 1.677; Welch df 4.01; t(0.975, 4.01) = 2.773
    assert out["diff"] == pytest.approx(-2.25)
    assert out["lo"] == pytest.approx(-2.25 - 2.7735 * 1.6771, abs=0.01)
    same = dl.welch(np.full(3, 2.0), np.full(3, 2.0))
    assert same["lo"] == same["hi"] == 0.0 and same["p"] == 1.0


def test_small_ladder_sweep_page_section_and_bad_ladder(tmp_path, capsys):
    from marketplace_sim.data import configs_dir
    from marketplace_sim.experiments.sweep import load_experiment, run_sweep
    from marketplace_sim.reports.docking import write_docking

    base = (configs_dir() / "lukac-grow-2020.toml").as_posix()
    head = f'base = "{base}"\n[set]\n"run.record_every" = 250\n'
    (tmp_path / "dock.toml").write_text(
        head + '[experiment]\nname = "d"\nreplications = 3\n'
        '[sweep]\n"clients.strategy_coefficient" = [0.001, 0.396]\n'
    )
    (tmp_path / "lad.toml").write_text(
        head + '[experiment]\nname = "l"\nreplications = 3\n'
        '[sweep]\n"docking.ours" = ["none", "search"]\n"clients.strategy_coefficient" = [0.001]\n'
    )
    for name in ("dock", "lad"):
        run_sweep(load_experiment(tmp_path / f"{name}.toml"), tmp_path / name, quiet=True)
    report = write_docking(tmp_path / "dock", tmp_path / "docs", ladder=tmp_path / "lad")
    text = report.markdown.read_text()
    assert "## What our model adds, mechanism by mechanism" in text
    assert "| 0.001 | + ranked discovery (`search`) |" in text
    assert (tmp_path / "docs" / "img" / "docking" / "ladder.png").exists()
    # the counts stated are the sweep's own, not the shipped experiment's 3 x 50
    assert "at one value of coef-strategy, 3 runs each" in text
    ladder_part = text.split("## What our model adds")[1].split("## How it was made")[0]
    assert "over the 3 +\n3 runs" in ladder_part and "50 runs" not in ladder_part
    table = dl.ladder_table(dl.read_ladder(tmp_path / "lad"))
    assert set(table["rung"]) == {"search"} and (table["n"] == 3).all()
    # --ladder naming a sweep that is not a ladder: one line naming the file, exit 2
    argv = ["docking", str(tmp_path / "dock"), "--out", str(tmp_path / "d2")]
    assert main([*argv, "--ladder", str(tmp_path / "dock")]) == 2
    line = one_error_line(capsys)
    assert str(tmp_path / "dock" / "runs.parquet") in line and "docking.ours" in line
    assert main([*argv, "--ladder", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in one_error_line(capsys)
    assert not (tmp_path / "d2" / "docking.md").exists()
    # a ladder whose only successful rung is the docked world: nothing to compare, exit 2
    import pandas as pd

    (tmp_path / "only").mkdir()
    runs = pd.read_parquet(tmp_path / "lad" / "runs.parquet")
    runs[runs["docking.ours"] == "none"].to_parquet(tmp_path / "only" / "runs.parquet")
    assert main([*argv, "--ladder", str(tmp_path / "only")]) == 2
    line = one_error_line(capsys)
    assert "docking.ours" in line and "other than 'none'" in line
    assert not (tmp_path / "d2" / "docking.md").exists()
