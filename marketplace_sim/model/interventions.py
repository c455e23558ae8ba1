"""Interventions: field experiments run inside the market, each in its configured week.

The first-job intervention (Pallais 2014) gives a random share of the never-hired one ordinary
contract; the early boost (van de Rijt et al. 2014) gives a random share of the never-reviewed
five-star reviews. Both flag their treated and control groups in the freelancer table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from marketplace_sim.model.contracts import start_contracts
from marketplace_sim.model.hiring import draw_jobs

if TYPE_CHECKING:
    from marketplace_sim.model.marketplace import MarketplaceModel


def intervene(model: MarketplaceModel, t: int) -> None:
    """Run the interventions due in week ``t``: the first job, then the early boost."""
    fj = model.config.interventions.first_job
    if fj is not None and fj.at_step == t:
        first_job(model, t, fj.share)
    eb = model.config.interventions.early_boost
    if eb is not None and eb.at_step == t:
        early_boost(model, eb.share, eb.reviews)


def assign(
    model: MarketplaceModel,
    eligible: np.ndarray,
    share: float,
    treated: np.ndarray,
    control: np.ndarray,
) -> np.ndarray:
    """Flag a random ``share`` of ``eligible`` rows treated and the rest control.

    Returns the treated rows.
    """
    perm = model.rng.permutation(eligible)
    n_treat = int(round(share * eligible.size))
    treated[perm[:n_treat]] = True
    control[perm[n_treat:]] = True
    return perm[:n_treat]


def first_job(model: MarketplaceModel, t: int, share: float) -> None:
    """Pallais (2014): one ordinary contract for a random share of the never-hired."""
    fl, rng = model.freelancers, model.rng
    eligible = np.flatnonzero(fl.active & (fl.hires == 0))
    active_clients = np.flatnonzero(model.clients.active)
    if eligible.size == 0 or active_clients.size == 0:
        return
    treated = assign(model, eligible, share, fl.treated, fl.control)
    k = rng.choice(active_clients, treated.size)
    _, budget, duration = draw_jobs(model, treated.size)
    start_contracts(model, t, treated, k, fl.home_niche[treated], budget, duration, False)


def early_boost(model: MarketplaceModel, share: float, n_reviews: int) -> None:
    """Early boost (van de Rijt et al. 2014): random never-reviewed freelancers get 5 stars.

    The boost is a public signal only (no work, no earnings, no private outcome, so the
    JSS is untouched); the untreated eligible freelancers of that week are the controls.
    """
    fl = model.freelancers
    eligible = np.flatnonzero(fl.active & (fl.n_reviews == 0))
    if eligible.size == 0:
        return
    boosted = assign(model, eligible, share, fl.boosted, fl.boost_control)
    fl.stars_sum[boosted] += 5 * n_reviews
    fl.n_reviews[boosted] += n_reviews
    model.star_counts[5] += n_reviews * boosted.size
    model.cache.clear()
