"""Model against data: statistics on hand-built profiles, the distance, and `compare` end to end."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from cli_helpers import one_error_line

from marketplace_sim.analysis.compare import (
    COMPARISON_COLUMNS,
    STATISTICS,
    compare,
    compare_profiles,
    measure_profiles,
    observed_errors,
    profile_statistics,
    result_profiles,
)
from marketplace_sim.analysis.observed import example_profiles_path
from marketplace_sim.cli import main
from marketplace_sim.errors import DataError
from marketplace_sim.model.snapshot import profiles_snapshot

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "configs" / "smoke.toml"
FIGURES = ["compare_rating_hist.png", "compare_reviews_ccdf.png", "compare_zero_by_tenure.png"]

# Ten profiles with known answers (see each test).
REVIEWS = [0, 0, 0, 0, 1, 2, 3, 4, 10, 80]
TENURE = [10, 30, 60, 100, 52, 104, 200, 300, 520, 260]  # weeks
RATING = [np.nan] * 4 + [4.0, 4.5, 4.95, 5.0, 5.0, 4.94]
RATE = [10.0, 20, 30, 40, 50, 60, 70, 80, 90, 100]


def _ten() -> pd.DataFrame:
    return pd.DataFrame(
        {"reviews": REVIEWS, "rating": RATING, "tenure_weeks": TENURE, "hourly_rate": RATE}
    ).astype({"reviews": "int64", "tenure_weeks": "float64"})


def test_review_statistics_of_ten_profiles():
    """Share zero 4/10; Gini 2*960/(10*100) - 11/10 = 0.82; top 10 % = 80/100; top 1 % = 0.1 of
    the largest holder = 0.08; CCDF among the 6 reviewed: >=5: 2/6, >=10: 2/6, >=50: 1/6."""
    s = profile_statistics(_ten())
    assert list(s) == list(STATISTICS)
    assert s["share_zero_reviews"] == 0.4
    assert s["gini_reviews"] == pytest.approx(0.82, abs=1e-12)
    assert s["top10_share_reviews"] == pytest.approx(0.80, abs=1e-12)
    assert s["top1_share_reviews"] == pytest.approx(0.08, abs=1e-12)
    assert [s[f"ccdf_reviews_{k}"] for k in (5, 10, 50, 100)] == pytest.approx(
        [2 / 6, 2 / 6, 1 / 6, 0]
    )


def test_one_holder_of_everything_closed_forms():
    """All reviews on one of n profiles: Gini 1 - 1/n, top 10 % holds all, top 1 % holds q*n."""
    s = profile_statistics(pd.DataFrame({"reviews": [0] * 19 + [7]}))
    assert s["gini_reviews"] == pytest.approx(1 - 1 / 20)
    assert s["top10_share_reviews"] == pytest.approx(1.0)
    assert s["top1_share_reviews"] == pytest.approx(0.01 * 20)
    assert s["share_zero_reviews"] == 0.95 and s["ccdf_reviews_5"] == 1.0


def test_rating_tenure_and_rate_statistics_of_ten_profiles():
    """Mean of the six shown ratings 28.39/6; 4.95 shows as 5.0, 4.94 as 4.9, so 3 of 6 at 5.0;
    tenure bands 0-1y {0,0}, 1-2y {0,0,1}, 2-5y {2,3}, 5-10y {4,10,80} (520 weeks = 10 years is
    in); rate quantiles by linear interpolation 19, 55, 91; Spearman as scipy's."""
    s = profile_statistics(_ten())
    assert s["mean_rating"] == pytest.approx(28.39 / 6)
    assert s["share_rating_5"] == 0.5
    assert s["share_zero_reviews_tenure_0_1y"] == 1.0
    assert s["share_zero_reviews_tenure_1_2y"] == pytest.approx(2 / 3)
    assert s["share_zero_reviews_tenure_2_5y"] == 0.0
    assert s["share_zero_reviews_tenure_5_10y"] == 0.0
    m = measure_profiles(_ten())
    assert [m[f"share_zero_reviews_tenure_{b}"].n for b in ("0_1y", "1_2y", "2_5y", "5_10y")] == [
        2,
        3,
        2,
        3,
    ]
    assert s["spearman_tenure_reviews"] == pytest.approx(scipy.stats.spearmanr(TENURE, REVIEWS)[0])
    assert [s["rate_q10"], s["rate_q50"], s["rate_q90"]] == pytest.approx([19.0, 55.0, 91.0])


def test_a_statistic_that_cannot_be_computed_is_nan_with_a_note():
    """Reviews alone: the rating, tenure and rate statistics are NaN and say why, no crash."""
    m = measure_profiles(pd.DataFrame({"reviews": [0, 0, 3]}))
    assert np.isnan(m["mean_rating"].value) and m["mean_rating"].note == "no rating column"
    assert m["share_zero_reviews_tenure_2_5y"].note == "no tenure_weeks column"
    assert m["rate_q50"].note == "no hourly_rate column"
    none = measure_profiles(pd.DataFrame({"reviews": [0, 0], "tenure_weeks": [1.0, 2.0]}))
    assert none["gini_reviews"].note == "no reviews at all"
    assert none["ccdf_reviews_5"].note == "no reviewed profile"
    assert none["share_zero_reviews_tenure_5_10y"].note == "no profile in this tenure band"
    assert none["share_zero_reviews_tenure_0_1y"].value == 1.0
    table = compare_profiles([pd.DataFrame({"reviews": [0, 1, 5]})], pd.DataFrame({"reviews": [2]}))
    row = table.set_index("statistic").loc["rate_q10"]
    assert (
        row["note"]
        == "observed: no hourly_rate column; model: no hourly_rate column (1 of 1 replicates)"
    )


def test_distance_by_hand():
    """Replicates 0.4, 0.6 (mean 0.5, sd 0.1414); observed 0.2 with se 0.1:
    distance 0.3 / sqrt(0.02 + 0.01); the t interval 0.5 -/+ 12.706 * 0.1 holds 0.2."""
    t = compare(
        [{"share_zero_reviews": 0.4}, {"share_zero_reviews": 0.6}],
        {"share_zero_reviews": 0.2},
        {"share_zero_reviews": 0.1},
    ).set_index("statistic")
    row = t.loc["share_zero_reviews"]
    assert row["distance"] == pytest.approx(0.3 / math.sqrt(0.03))
    half = scipy.stats.t.ppf(0.975, 1) * 0.1
    assert (row["model_lo"], row["model_hi"]) == pytest.approx((0.5 - half, 0.5 + half))
    assert bool(row["inside"]) and row["replicates"] == 2
    assert np.isnan(t.loc["gini_reviews", "distance"]) and pd.isna(t.loc["gini_reviews", "inside"])
    differ = compare([{"gini_reviews": 0.5}], {"gini_reviews": 0.4}, {"gini_reviews": 0.0})
    assert differ.set_index("statistic").loc["gini_reviews", "distance"] == math.inf


def test_observed_errors_binomial_for_shares_bootstrap_for_the_rest():
    """Share zero 4/10: sqrt(p(1-p)/10) at p = 4.5/11; Gini by bootstrap: positive, repeatable."""
    se = observed_errors(_ten())
    p = 4.5 / 11
    assert se["share_zero_reviews"] == pytest.approx(math.sqrt(p * (1 - p) / 10))
    assert 0 < se["gini_reviews"] < 0.5 and se == observed_errors(_ten())
    assert se["gini_reviews"] != observed_errors(_ten(), seed=1)["gini_reviews"]


@pytest.fixture(scope="module")
def smoke_snapshot(smoke_model):
    return profiles_snapshot(smoke_model)


def test_the_model_against_itself_is_at_distance_zero(smoke_snapshot):
    """Snapshot vs itself: distance 0 everywhere defined; identical replicates hold it inside;
    a single run gives no interval (lo = hi = NaN, inside NA)."""
    stats = profile_statistics(smoke_snapshot)
    same = compare([stats] * 3, stats, observed_errors(smoke_snapshot, draws=20))
    defined = same["observed"].notna()
    assert defined.sum() >= 14  # all but the tenure bands a one-year run cannot fill
    assert (same.loc[defined, "distance"] == 0).all()
    assert same.loc[defined, "inside"].all()
    one = compare([stats], stats)
    assert one["model_lo"].isna().all() and one["model_hi"].isna().all()
    assert one["inside"].isna().all() and (one.loc[defined, "distance"] == 0).all()
    assert list(one.columns) == list(COMPARISON_COLUMNS)


# ----------------------------------------------------------------------------------------------
# The command


def test_compare_a_run_folder_end_to_end(smoke_run, tmp_path, capsys):
    """Exit 0; comparison.parquet with the contract's columns, three figures, a table."""
    out = tmp_path / "c"
    assert main(["compare", str(smoke_run), str(example_profiles_path()), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert printed.err == "" and f"wrote {out}" in printed.out
    assert "share_zero_reviews" in printed.out and "one replicate: no interval" in printed.out
    table = pd.read_parquet(out / "comparison.parquet")
    assert list(table.columns) == ["condition_id", "condition", *COMPARISON_COLUMNS]
    assert table["statistic"].tolist() == list(STATISTICS)
    assert sorted(p.name for p in (out / "figures").iterdir()) == FIGURES
    man = json.loads((out / "manifest.json").read_text())
    assert man["kind"] == "compare" and man["observed_profiles"] == 1518
    # Again: an earlier comparison may be replaced; the default folder is RESULT_DIR/compare.
    assert main(["compare", str(smoke_run), str(example_profiles_path()), "--out", str(out)]) == 0
    assert main(["compare", str(smoke_run), str(example_profiles_path())]) == 0
    assert (smoke_run / "compare" / "comparison.parquet").exists()


def test_compare_notices_ignored_columns(smoke_run, tmp_path, capsys):
    """Extra columns: one notice line on stderr, and the comparison goes on."""
    obs = tmp_path / "o.csv"
    obs.write_text("reviews,profile_url\n0,a\n3,b\n5,c\n", encoding="utf-8")
    assert main(["compare", str(smoke_run), str(obs), "--out", str(tmp_path / "c")]) == 0
    assert capsys.readouterr().err.strip() == f"notice: ignored columns profile_url of {obs}"


def _bad_inputs(run: Path, t: Path) -> dict[str, tuple[list[str], str]]:
    bad = t / "bad.csv"
    bad.write_text("reviews,rating\n1,4.5\n-3,\n", encoding="utf-8")
    (t / "empty").mkdir()
    good = str(example_profiles_path())
    return {
        "no such folder": ([str(t / "nope"), good], "no such results folder"),
        "not a results folder": ([str(t / "empty"), good], "not a run or sweep folder"),
        "bad observed": ([str(run), str(bad)], f"{bad}: reviews: below 0: '-3' (data row 2)"),
        "missing observed": ([str(run), str(t / "none.csv")], "no such file"),
        "unknown extension": ([str(run), str(t / "x.xlsx")], "unknown extension"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "no such folder",
        "not a results folder",
        "bad observed",
        "missing observed",
        "unknown extension",
    ],
)
def test_compare_bad_input_is_exit_2_one_line_nothing_written(smoke_run, tmp_path, capsys, case):
    """Bad input: exit 2, one stderr line naming the problem, no folder or temporary left."""
    argv, words = _bad_inputs(smoke_run, tmp_path)[case]
    before = sorted(p.name for p in smoke_run.iterdir())
    out = tmp_path / "c"
    assert main(["compare", *argv, "--out", str(out)]) == 2
    line = one_error_line(capsys)
    assert line.startswith("marketplace-sim: error: ") and words in line, line
    assert not out.exists() and not list(tmp_path.glob(".c*"))
    assert sorted(p.name for p in smoke_run.iterdir()) == before


def test_compare_never_replaces_a_folder_it_did_not_write(smoke_run, tmp_path, capsys):
    """A non-empty --out that is not a comparison folder is refused and left as it was."""
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert main(["compare", str(smoke_run), str(example_profiles_path()), "--out", str(out)]) == 2
    assert "not a comparison folder" in one_error_line(capsys)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def _sweep(tmp_path: Path, keep: bool) -> Path:
    exp = tmp_path / f"exp-{keep}.toml"
    exp.write_text(
        f'base = "{SMOKE.as_posix()}"\n[experiment]\nreplications = 2\nroot_seed = 3\n'
        f"keep_freelancers = {str(keep).lower()}\nfigures = false\n"
        '[sweep]\n"clients.reputation_weight" = [0.0, 2.0]\n[set]\n"run.steps" = 20\n',
        encoding="utf-8",
    )
    out = tmp_path / f"sweep-{keep}"
    assert main(["sweep", str(exp), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    return out


def test_compare_a_sweep_gives_intervals_per_condition(tmp_path, capsys):
    """A sweep kept with freelancers: one block per condition, 2 replicates, real intervals."""
    sweep = _sweep(tmp_path, keep=True)
    rp = result_profiles(sweep)
    assert rp.kind == "sweep" and [g.label for g in rp.groups] == [
        "reputation_weight=0.0",
        "reputation_weight=2.0",
    ]
    assert main(["compare", str(sweep), str(example_profiles_path())]) == 0
    table = pd.read_parquet(sweep / "compare" / "comparison.parquet")
    assert table["condition_id"].unique().tolist() == ["c000", "c001"]
    row = table[table["statistic"] == "share_zero_reviews"]
    assert (row["replicates"] == 2).all() and (row["model_lo"] < row["model_hi"]).all()
    assert "reputation_weight=2.0 (2 replicates" in capsys.readouterr().out


def test_compare_a_sweep_without_freelancers_says_how_to_keep_them(tmp_path, capsys):
    """Parts without freelancers tables: exit 2, the line names keep_freelancers."""
    sweep = _sweep(tmp_path, keep=False)
    capsys.readouterr()
    with pytest.raises(DataError, match="keep_freelancers = true"):
        result_profiles(sweep)
    assert main(["compare", str(sweep), str(example_profiles_path())]) == 2
    assert "keep_freelancers = true" in one_error_line(capsys)
    assert not (sweep / "compare").exists()
