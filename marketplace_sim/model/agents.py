"""Mesa agents as handles onto the columnar state.

Every freelancer and client is a real Mesa agent (registered in ``model.agents``, removed when
it leaves), but its state lives in the model's numpy tables (``state.py``): an agent holds only
its row number. Reading ``agent.rating`` reads the array, so Mesa's AgentSet API (``select``,
``agg``, ``get``, ``groupby``) works on live values while the weekly market is cleared with array
operations and never calls into an agent.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from marketplace_sim.model._mesa import mesa

if TYPE_CHECKING:
    from marketplace_sim.model.marketplace import MarketplaceModel


def _column_property(table: str, column: str, doc: str, cast: type = float) -> property:
    def getter(self: _RowAgent) -> object:
        return cast(getattr(self.model, table).col(column)[self.row])

    return property(getter, doc=doc)


class _RowAgent(mesa.Agent):
    """A Mesa agent bound to one row of a model table."""

    model: MarketplaceModel

    def __init__(self, model: MarketplaceModel, row: int) -> None:
        super().__init__(model)
        self.row = int(row)


class Freelancer(_RowAgent):
    """A freelancer: traits (the six factors), rate, capacity, reputation and earnings."""

    expertise = _column_property("freelancers", "expertise0", "innate expertise in [0, 1]")
    expertise_now = _column_property(
        "freelancers", "expertise", "current expertise (grows with jobs done)"
    )
    communication = _column_property("freelancers", "communication", "communication in [0, 1]")
    reliability = _column_property("freelancers", "reliability", "on-time probability")
    profile = _column_property("freelancers", "profile", "profile strength in [0, 1]")
    niche_focus = _column_property("freelancers", "niche_focus", "specialisation in [0, 1]")
    home_niche = _column_property("freelancers", "home_niche", "home niche", int)
    rate = _column_property("freelancers", "rate", "hourly rate (USD/hour)")
    capacity = _column_property("freelancers", "capacity", "concurrent contracts at most", int)
    load = _column_property("freelancers", "load", "open contracts now", int)
    jobs_completed = _column_property("freelancers", "jobs_completed", "jobs completed", int)
    n_reviews = _column_property("freelancers", "n_reviews", "public reviews received", int)
    top_rated = _column_property("freelancers", "top_rated", "holds the Top Rated badge", bool)
    active = _column_property("freelancers", "active", "seeking work on the platform", bool)
    dormant = _column_property(
        "freelancers", "dormant", "listed but not seeking work (freelancers.dormancy)", bool
    )
    activity = _column_property(
        "freelancers", "activity", "how often it applies, 1 = full-time (occasional < 1)"
    )

    @property
    def earnings(self) -> float:
        """Cumulative net earnings (USD)."""
        return self.model.freelancers.col("earnings")[self.row] / 100.0

    @property
    def rating(self) -> float:
        """Public rating as displayed (NaN without reviews)."""
        return float(self.model.displayed_ratings()[self.row])

    @property
    def jss(self) -> float:
        """Job success score (NaN while hidden)."""
        return float(self.model.job_success_scores()[self.row])

    @property
    def never_hired(self) -> bool:
        """True if the freelancer has never been hired (no contract started)."""
        return self.model.freelancers.col("hires")[self.row] == 0

    def __repr__(self) -> str:
        r = self.rating
        shown = "-" if math.isnan(r) else f"{r:.2f}"
        return (
            f"Freelancer(id={self.unique_id}, expertise={self.expertise:.2f}, "
            f"jobs={self.jobs_completed}, rating={shown}, earnings={self.earnings:.0f})"
        )


class Client(_RowAgent):
    """A client: posts jobs, chooses among applicants, pays, reviews, may rehire."""

    post_rate = _column_property("clients", "post_rate", "jobs posted per week (mean)")
    open_contracts = _column_property("clients", "open_contracts", "open contracts", int)
    jobs_posted = _column_property("clients", "jobs_posted", "jobs posted so far", int)

    @property
    def spend(self) -> float:
        """Total paid for completed contracts (USD)."""
        return self.model.clients.col("spend")[self.row] / 100.0
