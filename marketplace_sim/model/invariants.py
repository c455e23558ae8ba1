"""The model's accounting identities, checked on demand (``MarketplaceModel.check_invariants``).

Nothing here changes the market: the checks read the tables (``state.py``), the Mesa agents
and the listing (``observation.listed``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from marketplace_sim.model.agents import Client, Freelancer
from marketplace_sim.model.observation import listed

if TYPE_CHECKING:
    from marketplace_sim.model.marketplace import MarketplaceModel
    from marketplace_sim.model.state import Table


def check_invariants(model: MarketplaceModel) -> None:
    """Assert the model's accounting identities; raises AssertionError naming the one broken.

    Money is conserved exactly (clients' spend = freelancers' earnings + fees), stars are in
    1..5, no freelancer is over capacity, open-contract counts agree with the contract pool,
    the listing states are consistent (only the inactive are dormant or deleted, so neither
    holds an open contract; a one-job freelancer takes one job) and the Mesa agents agree with the
    arrays.
    """
    _check_money(model)
    _check_reviews(model)
    _check_contracts(model.freelancers, model.clients, model.contracts)
    _check_listing(model)
    _check_agents(model)


def _check_money(model: MarketplaceModel) -> None:
    spend, earned = int(model.clients.spend.sum()), int(model.freelancers.earnings.sum())
    assert spend == earned + model.platform_revenue, (
        f"money not conserved: spend {spend} != earnings {earned} + fees {model.platform_revenue}"
    )


def _check_reviews(model: MarketplaceModel) -> None:
    fl = model.freelancers
    assert model.star_counts[0] == 0, "a rating outside 1..5"
    assert int(model.star_counts.sum()) == int(fl.n_reviews.sum()), "review counts disagree"
    assert np.all(fl.stars_sum >= fl.n_reviews) and np.all(
        fl.stars_sum <= 5 * fl.n_reviews.astype(np.int64)
    ), "mean rating outside 1..5"
    assert np.all(fl.jss_succ + fl.jss_fail <= fl.jss_n), "JSS window counts"


def _check_contracts(fl: Table, cl: Table, pool: Table) -> None:
    assert np.all(fl.load >= 0) and np.all(fl.load <= fl.capacity), "over capacity"
    load = np.bincount(pool.freelancer, minlength=fl.n)
    assert np.array_equal(load, fl.load), "freelancer load != open contracts"
    open_c = np.bincount(pool.client, minlength=cl.n)
    assert np.array_equal(open_c, cl.open_contracts), "client open contracts disagree"
    assert np.all(fl.load[~fl.active] == 0), "an exited freelancer has open contracts"


def _check_listing(model: MarketplaceModel) -> None:
    fl = model.freelancers
    deleted = fl.deleted_step >= 0
    assert not np.any(fl.dormant & fl.active), "a freelancer both dormant and active"
    assert not np.any(deleted & (fl.active | fl.dormant)), "a deleted profile still listed"
    assert np.all((fl.exit_step >= 0) == ~fl.active), "exit_step set iff inactive"
    assert np.all(fl.dormant_step[fl.dormant] >= 0), "a dormant profile without dormant_step"
    if not model.config.freelancers.dormancy:
        assert not fl.dormant.any() and np.array_equal(deleted, ~fl.active), "dormant when off"
    on_platform = fl.hires.astype(np.int64)  # contracts started here, not warm-start history
    on_platform[: model.prior_jobs.size] -= model.prior_jobs
    assert np.all(on_platform[fl.one_job] <= 1), "a one-job freelancer took more than one job"
    assert np.all((fl.activity > 0) & (fl.activity <= 1)), "activity outside (0, 1]"


def _check_agents(model: MarketplaceModel) -> None:
    cl = model.clients
    n_fl = len(model.agents_by_type.get(Freelancer, []))
    n_cl = len(model.agents_by_type.get(Client, []))
    n_listed = int(listed(model).sum())  # the active, and the dormant (agents until deleted)
    assert n_fl == n_listed, f"{n_fl} freelancer agents, {n_listed} listed rows"
    assert n_cl == int(cl.active.sum()), f"{n_cl} client agents, {cl.active.sum()} rows"
