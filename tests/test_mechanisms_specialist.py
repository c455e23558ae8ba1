"""Specialists: a premium in the home niche, clients who value focus, search relevance.

Whether niche focus pays is an outcome: fewer reachable jobs pull one way; search relevance,
clients' valuation of specialisation and better fit pull the other, and the premium itself
cuts both ways (more per job, a higher bid in choice). The sign of niche focus in a pooled
regression of log earnings on the traits (as tests/test_factors.py) follows the settings.
"""

import numpy as np
import pandas as pd
import pytest

from marketplace_sim import MarketplaceModel, load_config

WORLD = {
    "market.freelancers": 800,
    "market.clients": 200,
    "market.entry_rate": 4.0,
    "market.client_entry_rate": 1.0,
    "run.steps": 260,
    "run.record_contracts": False,
}
TRAITS = ["expertise", "communication", "reliability", "profile", "niche_focus"]


def ols_t(X, y):
    """OLS coefficients and t-statistics (intercept first, then dropped)."""
    X = np.column_stack([np.ones(len(y)), X])
    b, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ b
    s2 = resid @ resid / (len(y) - X.shape[1])
    se = np.sqrt(np.diag(s2 * np.linalg.inv(X.T @ X)))
    return b[1:], (b / se)[1:]


def niche_focus_effect(premium, valuation, relevance, seeds=(1, 2, 3)):
    """Standardised coefficient and t of niche focus on log(1 + earnings), three worlds pooled."""
    frames = []
    for seed in seeds:
        cfg = load_config(
            None,
            {
                **WORLD,
                "run.seed": seed,
                "freelancers.specialist_premium": premium,
                "clients.specialist_weight": valuation,
                "platform.niche_relevance": relevance,
            },
        )
        m = MarketplaceModel(cfg)
        m.run_for(260)
        frames.append(m.freelancers_frame())
    fr = pd.concat(frames, ignore_index=True)
    X = fr[TRAITS].to_numpy()
    y = np.log1p(fr["earnings"].to_numpy())
    coef, t = ols_t((X - X.mean(0)) / X.std(0), (y - y.mean()) / y.std())
    return coef[TRAITS.index("niche_focus")], t[TRAITS.index("niche_focus")]


def test_the_premium_is_charged_at_home_and_only_there():
    """Contracts started in a week without a rate review carry rate x (1 + 0.5 x focus) in the
    freelancer's home niche and the plain rate elsewhere (and the value follows the rate)."""
    m = MarketplaceModel(load_config(None, {**WORLD, "freelancers.specialist_premium": 0.5}))
    m.run_for(5)  # week 5: 5 % 4 != 0, so rates are as at hiring
    pool, fl = m.contracts, m.freelancers
    new = pool.start_step == 5
    f = pool.freelancer[new]
    at_home = fl.home_niche[f] == pool.niche[new]
    assert at_home.sum() > 20 and (~at_home).sum() > 20
    want = fl.rate[f] * np.where(at_home, 1.0 + 0.5 * fl.niche_focus[f], 1.0)
    assert np.allclose(pool.rate[new], want, rtol=1e-12)


@pytest.mark.slow
def test_the_sign_of_niche_focus_is_an_outcome():
    """Off (no premium, no valuation, no relevance): specialists reach a twelfth of the jobs
    and earn less (coefficient < 0, t < -3; about -0.21, t -17). With search relevance
    exp(3) at home, clients valuing focus at 1 and a premium of 1, they earn more
    (coefficient > 0, t > 3; about +0.15, t 11)."""
    b_off, t_off = niche_focus_effect(0.0, 0.0, 0.0)
    assert b_off < 0 and t_off < -3, (b_off, t_off)
    b_on, t_on = niche_focus_effect(1.0, 1.0, 3.0)
    assert b_on > 0 and t_on > 3, (b_on, t_on)


@pytest.mark.slow
def test_the_premium_cuts_both_ways():
    """At the same valuation and relevance, a large premium (3: a pure specialist asks 4x at
    home) lowers the coefficient of niche focus (about +0.07 -> -0.10): the higher bid
    costs more hires than the higher pay per job earns, as long as clients value focus
    less than they are asked to pay for it. The gap is several pooled standard errors
    (each coefficient's se is about 0.013)."""
    b_low, _ = niche_focus_effect(0.0, 1.0, 2.0)
    b_high, _ = niche_focus_effect(3.0, 1.0, 2.0)
    assert b_high < b_low - 0.08, (b_low, b_high)
