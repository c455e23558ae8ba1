"""MusicLab's effects for a sensitivity screen: influence minus independent at one design point
(hand cases), and the pairing of the two conditions' design points."""

import dataclasses

import pandas as pd
import pytest

from marketplace_sim import data
from marketplace_sim.analysis import musiclab_screen
from marketplace_sim.errors import ConfigError
from marketplace_sim.experiments.design import load_experiment

INFLUENCE = data.experiments_dir() / "sensitivity-studies-musiclab-influence.toml"
INDEPENDENT = data.experiments_dir() / "sensitivity-studies-musiclab-independent.toml"


def _world(earnings, order=None):
    """One world's cohort: freelancers 10, 11, 12, 13 with these earnings (rows in ``order``)."""
    df = pd.DataFrame({"freelancer_id": [10, 11, 12, 13], "earnings": earnings})
    return df.iloc[list(order)] if order else df


def test_point_effects_hand_case():
    """Influence: shares (.75, .25, 0, 0) and (0, 0, .25, .75); independent: (.375, .125, .25,
    .25) and (.125, .375, .25, .25).

    Gini (plug-in, sum_ij |x_i - x_j| / (2 n^2 mean)): [6, 2, 0, 0] gives 40 / 64 = 0.625 (both
    influence worlds); [3, 1, 2, 2] gives 12 / 64 = 0.1875 (both independent). U (Salganik
    et al.: mean over items of |share difference| across the one pair of worlds): influence
    (.75 + .25 + .25 + .75) / 4 = 0.5, independent (.25 + .25 + 0 + 0) / 4 = 0.125. The second
    world of each condition has its rows in another order: shares are matched by freelancer.
    """
    influence = [_world([6, 2, 0, 0]), _world([0, 0, 2, 6], order=[3, 1, 0, 2])]
    independent = [_world([3, 1, 2, 2]), _world([1, 3, 2, 2], order=[2, 0, 3, 1])]
    e = musiclab_screen.point_effects(influence, independent)
    assert e["gini_influence"] == pytest.approx(0.625)
    assert e["gini_independent"] == pytest.approx(0.1875)
    assert e["musiclab_gini_diff"] == pytest.approx(0.4375)
    assert e["u_influence"] == pytest.approx(0.5)
    assert e["u_independent"] == pytest.approx(0.125)
    assert e["musiclab_u_diff"] == pytest.approx(0.375)
    assert tuple(e) == musiclab_screen.COLUMNS


def test_point_effects_same_worlds_in_both_conditions_give_no_difference():
    """Three identical-in-distribution worlds in both conditions: both differences are 0, and
    U is > 0 (the worlds differ), so the zero is the subtraction, not an empty measure."""
    worlds = [_world([5, 1, 1, 1]), _world([1, 5, 1, 1]), _world([1, 1, 5, 1])]
    e = musiclab_screen.point_effects(worlds, list(worlds))
    assert e["u_influence"] > 0
    assert e["musiclab_gini_diff"] == 0 and e["musiclab_u_diff"] == 0


def test_point_effects_needs_two_worlds_per_condition():
    with pytest.raises(ValueError, match="independent: U needs at least 2 worlds, got 1"):
        musiclab_screen.point_effects([_world([1, 2, 3, 4])] * 2, [_world([1, 2, 3, 4])])


def test_shipped_conditions_run_the_same_design_points_with_the_same_people():
    """The independent experiment is built on the influence one: the same sampled values,
    point for point, the same worlds per point and one population seed for every run of
    both; they differ only in the social-influence keys."""
    a, b = load_experiment(INFLUENCE), load_experiment(INDEPENDENT)
    musiclab_screen.check_paired(a, b)  # does not raise
    assert len(a.conditions) == 48 and a.replications == b.replications == 3
    assert [c.values for c in a.conditions] == [c.values for c in b.conditions]
    pops = {r.population_seed for r in a.runs()} | {r.population_seed for r in b.runs()}
    assert len(pops) == 1
    assert (a.base.platform.ranking, a.base.clients.reputation_weight) == ("reputation", 1.0)
    assert (b.base.platform.ranking, b.base.clients.reputation_weight) == ("random", 0.0)
    # the profile evidence of expertise stays on in the independent condition (screened)
    assert "clients.expertise_signal_weight" in b.axes


def _variant(tmp_path, body: str):
    path = tmp_path / "variant.toml"
    path.write_text(f'base = "{INFLUENCE.as_posix()}"\n{body}', encoding="utf-8")
    return load_experiment(path)


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ("[experiment]\nroot_seed = 1\n", "experiment.root_seed"),
        ("[experiment]\nreplications = 2\n", "experiment.replications"),
        ("[experiment]\nworlds = false\n", "experiment.worlds"),
        ("[sample]\nn = 5\n", "sample"),
        ('[sample.ranges]\n"jobs.post_rate" = [0.3, 1.0]\n', "sample"),
    ],
)
def test_check_paired_refuses_a_pair_that_does_not_share_its_design(tmp_path, body, key):
    """Another root seed (other sampled points), other worlds per point, other people per
    world, or another [sample]: refused, naming the key."""
    a = load_experiment(INFLUENCE)
    with pytest.raises(ConfigError) as err:
        musiclab_screen.check_paired(a, _variant(tmp_path, body))
    assert err.value.key == key


def test_check_paired_compares_the_points_not_only_the_settings():
    """The same [sample] settings but other points (as if sampled with another seed)."""
    a = load_experiment(INFLUENCE)
    shifted = dataclasses.replace(a.sample, matrix=a.sample.matrix[::-1])
    with pytest.raises(ConfigError, match="design points differ"):
        musiclab_screen.check_paired(a, dataclasses.replace(a, sample=shifted))
