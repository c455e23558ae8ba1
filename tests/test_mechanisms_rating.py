"""The displayed rating at the platform's precision (platform.rating_precision).

Clients and search read the rating as shown (rounded half up), and freelancers.parquet's
``rating`` is that shown value; unset, the exact mean is shown, as before.
"""

import numpy as np
import pandas as pd

from marketplace_sim import MarketplaceModel, load_config
from marketplace_sim.market import discovery, reviews

WORLD = {
    "market.freelancers": 300,
    "market.clients": 80,
    "market.entry_rate": 2.0,
    "market.client_entry_rate": 0.4,
}


def run(weeks=40, **overrides):
    m = MarketplaceModel(load_config(None, {**WORLD, **overrides}))
    m.run_for(weeks)
    return m


def exact_means(m):
    fl = m.freelancers
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(fl.n_reviews > 0, fl.stars_sum / fl.n_reviews, np.nan)


def test_unset_shows_the_exact_mean():
    """Default: displayed rating == stars_sum / n_reviews, to the bit."""
    m = run()
    assert np.array_equal(m.displayed_ratings(), exact_means(m), equal_nan=True)


def test_one_decimal_is_what_clients_search_and_the_output_see():
    """rating_precision = 1: the displayed rating is the exact mean rounded half up to one
    decimal (and differs from it for most rated freelancers); the reputation index search
    and choice read is built from it; the agents and freelancers.parquet show it too."""
    m = run(**{"platform.rating_precision": 1})
    shown, exact = m.displayed_ratings(), exact_means(m)
    rated = ~np.isnan(exact)
    assert rated.sum() > 100
    assert np.array_equal(shown, reviews.round_half_up(exact, 1), equal_nan=True)
    assert np.allclose(shown[rated] * 10, np.round(shown[rated] * 10))
    assert np.mean(shown[rated] != exact[rated]) > 0.3
    fl, p = m.freelancers, m.config.platform
    rows = np.flatnonzero(fl.active)
    want = discovery.reputation_index(
        p.rating_weight * reviews.rating_signal(shown[rows]),
        fl.n_reviews[rows],
        p.jss_weight * reviews.jss_signal(m.job_success_scores()[rows]),
        fl.top_rated[rows],
    )
    assert np.array_equal(m.reputation(rows), want)
    assert np.array_equal(m.reputation()[rows], want)
    fr = m.freelancers_frame()
    assert np.array_equal(fr["rating"].to_numpy(), shown, equal_nan=True)
    agent = next(a for a in m.freelancer_agents if a is not None and a.n_reviews > 0)
    assert agent.rating == shown[agent.row]


def test_rounding_changes_the_market_it_is_read_by():
    """The same seeds with one decimal shown give another history (search and choice read
    the rounded rating), while the first weeks, before any rating matters, are the same."""
    exact = run(30).steps_frame()
    rounded = run(30, **{"platform.rating_precision": 1}).steps_frame()
    pd.testing.assert_series_equal(exact["jobs_posted"].iloc[:2], rounded["jobs_posted"].iloc[:2])
    assert not exact["gini_earnings"].equals(rounded["gini_earnings"])


def test_one_decimal_piles_ratings_up_at_five():
    """Stylized fact: displayed ratings pile up at 5.0. Every exact mean of 4.95 or more shows
    5.0, so the share shown at 5.0 is at least the share of exact means >= 4.95, and above
    the share of perfect records (exact 5.0) whenever some record sits in [4.95, 5)."""
    m = run(104, **{"platform.rating_precision": 1, "market.freelancers": 600})
    shown, exact = m.displayed_ratings(), exact_means(m)
    rated = ~np.isnan(exact)
    at_five = np.mean(shown[rated] == 5.0)
    assert at_five == np.mean(exact[rated] >= 4.95)
    near = (exact >= 4.95) & (exact < 5.0)
    assert near.any() and at_five > np.mean(exact[rated] == 5.0)
