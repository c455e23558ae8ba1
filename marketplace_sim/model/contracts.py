"""Contracts: opened at a hire; at their end delivered, judged, rated and paid, all at once.

An open contract is a row of the open-contract pool (``model.contracts``). In the week it ends,
the work is delivered (quality, timeliness, satisfaction), privately judged (JSS outcome) and
maybe publicly reviewed; the client pays the value, the platform keeps the fee; the freelancer's
capacity is freed and experience gained; the client remembers the freelancer, the outcome and
the rate (for a direct rehire). Completed contracts are logged if ``run.record_contracts``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from marketplace_sim.market import delivery, pricing, reviews
from marketplace_sim.model import fastpaths
from marketplace_sim.model.state import bump
from marketplace_sim.units import CENTS

if TYPE_CHECKING:
    from marketplace_sim.model.marketplace import MarketplaceModel


def start_contracts(
    model: MarketplaceModel,
    t: int,
    f: np.ndarray,
    k: np.ndarray,
    niche: np.ndarray,
    budget: np.ndarray,
    duration: np.ndarray,
    rehire: bool,
) -> None:
    """Open contracts: value = budget x rate / reference rate (the job's hours at the rate).

    The rate is the one asked for the job, with the specialist premium in the home niche.
    """
    if f.size == 0:
        return
    if model.compiled:
        fastpaths.start_contracts(model, t, f, k, niche, budget, duration, rehire)
        return
    fl, cl, fe = model.freelancers, model.clients, model.config.freelancers
    at_home = fl.home_niche[f] == niche
    rate = pricing.home_rate(fl.rate[f], at_home, fl.niche_focus[f], fe.specialist_premium)
    value = np.maximum(np.rint(budget * rate / model.rate_ref * CENTS), 1).astype(np.int64)
    fee = np.rint(value * model.config.platform.fee).astype(np.int64)
    fit = delivery.niche_fit(at_home, fl.niche_focus[f], fe.generalist_fit)
    ids = np.arange(model.next_contract_id, model.next_contract_id + f.size)
    model.next_contract_id += f.size
    model.contracts.append(
        f.size,
        contract_id=ids,
        freelancer=f,
        client=k,
        niche=niche,
        start_step=t,
        end_step=t + duration,
        value=value,
        fee=fee,
        rate=rate,
        fit=fit,
        rehire=rehire,
    )
    bump(np.add, fl.load, f)
    bump(np.add, fl.hires, f)
    fl.last_work_step[f] = t
    bump(np.add, cl.open_contracts, k)


def deliver(
    model: MarketplaceModel,
    rng: np.random.Generator,
    f: np.ndarray,
    fit: np.ndarray,
    leniency: float,
) -> tuple[np.ndarray, ...]:
    """Deliver the jobs of freelancer rows ``f`` and draw their feedback.

    Returns quality, timeliness, satisfaction, private outcome, which are publicly
    reviewed, and their stars (random draws in that order).
    """
    cfg, fl = model.config, model.freelancers
    d, r = cfg.delivery, cfg.reviews
    q = delivery.quality(rng, fl.expertise[f], fit, d.quality_noise)
    timely = delivery.on_time(rng, fl.reliability[f])
    sat = delivery.satisfaction(
        rng,
        q,
        fl.communication[f],
        timely,
        d.weight_quality,
        d.weight_communication,
        d.weight_on_time,
        d.satisfaction_noise,
    )
    outcome = reviews.private_outcome(sat, r.success_threshold, r.failure_threshold)
    reviewed = rng.random(f.size) < r.prob
    st = reviews.stars(rng, sat[reviewed], leniency, r.noise)
    return q, timely, sat, outcome, reviewed, st


def record_feedback(
    model: MarketplaceModel,
    t: int,
    f: np.ndarray,
    outcome: np.ndarray,
    reviewed: np.ndarray,
    st: np.ndarray,
) -> None:
    """Add public stars and private outcomes (JSS window entry of week ``t``) to ``f``."""
    fl = model.freelancers
    np.add.at(fl.stars_sum, f[reviewed], st.astype(np.int64))
    bump(np.add, fl.n_reviews, f[reviewed])
    model.star_counts += np.bincount(st, minlength=6)[:6]
    bump(np.add, fl.jss_n, f)
    np.add.at(fl.jss_succ, f, (outcome == 1).astype(np.int32))
    np.add.at(fl.jss_fail, f, (outcome == -1).astype(np.int32))
    model.jss_window.append((t, f, outcome))


def complete_contracts(model: MarketplaceModel, t: int) -> None:
    """Deliver, rate and pay every contract that ends in week ``t``, and free the capacity."""
    if model.compiled:
        fastpaths.complete_contracts(model, t)
        return
    pool = model.contracts
    done = pool.end_step == t
    if not done.any():
        return
    c = pool.take(np.flatnonzero(done))
    pool.keep(~done)
    r = model.config.reviews
    lenient = reviews.leniency_now(r.leniency, r.inflation, model.rating_norm)
    q, timely, sat, outcome, reviewed, st = deliver(
        model, model.rng, c["freelancer"], c["fit"], lenient
    )
    stars_all = np.zeros(c["freelancer"].size, dtype=np.int8)
    stars_all[reviewed] = st
    if st.size:
        model.rating_norm = reviews.update_norm(model.rating_norm, float(st.mean()), r.norm_weeks)
    _pay(model, t, c)
    record_feedback(model, t, c["freelancer"], outcome, reviewed, st)
    _finish_work(model, t, c, outcome)
    w = model.week
    w["quality_sum"] = float(q.sum())
    w["completed"] = c["freelancer"].size
    w["stars_sum"] = float(st.sum())
    w["stars_n"] = st.size
    if model.config.run.record_contracts:
        _log(model, c, q, timely, sat, stars_all, outcome)


def _pay(model: MarketplaceModel, t: int, c: dict[str, np.ndarray]) -> None:
    """The client pays the contract value, the platform keeps the fee, the freelancer the rest."""
    fl, cl = model.freelancers, model.clients
    f, k = c["freelancer"], c["client"]
    net = c["value"] - c["fee"]
    np.add.at(fl.earnings, f, net)
    np.add.at(fl.earnings_year, f, net)
    np.add.at(cl.spend, k, c["value"])
    model.platform_revenue += int(c["fee"].sum())
    model.earnings_window.append((t, f, net))


def _finish_work(
    model: MarketplaceModel, t: int, c: dict[str, np.ndarray], outcome: np.ndarray
) -> None:
    """Capacity freed and experience gained; the client remembers whom it hired and how it went."""
    fl, cl, fe = model.freelancers, model.clients, model.config.freelancers
    f, k = c["freelancer"], c["client"]
    bump(np.add, fl.jobs_completed, f)
    bump(np.subtract, fl.load, f)
    fl.last_work_step[f] = t
    fl.expertise[f] = delivery.learned_expertise(
        fl.expertise0[f], fl.jobs_completed[f], fe.learning_gain, fe.learning_scale
    )
    bump(np.subtract, cl.open_contracts, k)
    cl.last_freelancer[k] = f
    cl.last_satisfied[k] = outcome == 1
    cl.last_rate[k] = c["rate"]


def _log(
    model: MarketplaceModel,
    c: dict[str, np.ndarray],
    q: np.ndarray,
    timely: np.ndarray,
    sat: np.ndarray,
    stars_all: np.ndarray,
    outcome: np.ndarray,
) -> None:
    """Append the completed contracts to the contract log (``contracts.parquet``'s columns)."""
    model.contract_log.append(
        {
            "contract_id": c["contract_id"],
            "freelancer_id": model.freelancers.agent_id[c["freelancer"]],
            "client_id": model.clients.agent_id[c["client"]],
            "niche": c["niche"],
            "start_step": c["start_step"],
            "end_step": c["end_step"],
            "value": c["value"] / CENTS,
            "fee": c["fee"] / CENTS,
            "quality": q,
            "on_time": timely,
            "satisfaction": sat,
            "stars": stars_all,
            "private_outcome": outcome,
            "rehire": c["rehire"],
        }
    )
