"""The model the dashboard drives, and the knobs SolaraViz shows for it in the sidebar.

:class:`ClassroomModel` is :class:`~marketplace_sim.model.marketplace.MarketplaceModel` as
SolaraViz drives it; :func:`model_params` is SolaraViz's ``model_params`` for a world, so that
Reset builds ``ClassroomModel(**params)`` with the sliders' values.
"""

from __future__ import annotations

import threading
from typing import Any, get_args

import numpy as np
from mesa.visualization import Slider

from marketplace_sim.config import Config, PlatformSection, load_config
from marketplace_sim.model.marketplace import MarketplaceModel

__all__ = ["RANKINGS", "ClassroomModel", "Slider", "initial_kwargs", "model_params"]

RANKINGS = list(get_args(PlatformSection.model_fields["ranking"].annotation))


class ClassroomModel(MarketplaceModel):
    """MarketplaceModel as SolaraViz drives it.

    It takes the sliders' values as ``__`` overrides, treats a first-job share of 0 as no
    intervention, stops at ``run.steps``, and keeps each freelancer's earnings and rating week
    by week for the trajectory view.

    While playing, SolaraViz steps the model in one thread while the views are drawn in
    another: ``lock`` is held by ``step`` and by every view while it reads the model, so a view
    never sees (or caches into the model) a half-updated week.

    Args:
        config: the world; None uses the schema's defaults.
        rng: seed of the market stream (the seed slider).
        scenario: what SolaraViz's Reset passes (a Mesa Scenario); not used.
        **overrides: dotted keys with ``__`` for dots, e.g. ``clients__reputation_weight=2.0``.
    """

    def __init__(
        self,
        config: Config | None = None,
        *,
        rng: int | None = None,
        scenario: Any = None,
        **overrides: Any,
    ) -> None:
        self.lock = threading.RLock()
        cfg = config if config is not None else load_config()
        share = overrides.get("interventions__first_job__share")
        if share is not None and share <= 0:
            overrides.pop("interventions__first_job__share")
            overrides.pop("interventions__first_job__at_step", None)
            cfg = cfg.with_overrides({"interventions.first_job": None}, "first-job slider")
        super().__init__(cfg, rng=rng, **overrides)
        self.history_earnings: list[np.ndarray] = []  # per week: cents, one entry per row
        self.history_rating: list[np.ndarray] = []  # per week: displayed rating per row
        self.history_weeks: list[int] = []
        self.collect()  # week 0, so that monitors and charts start at the beginning
        self._record_history()

    def step(self) -> None:
        """Advance one week; record the trajectories; stop after ``run.steps`` weeks."""
        with self.lock:
            super().step()
            self._record_history()
            if self.steps >= self.config.run.steps:
                self.running = False

    def _record_history(self) -> None:
        self.history_weeks.append(self.steps)
        self.history_earnings.append(self.freelancers.earnings.copy())
        self.history_rating.append(self.displayed_ratings().astype(np.float32))


def model_params(cfg: Config) -> dict[str, Any]:
    """SolaraViz ``model_params`` for a world: the teacher's knobs, starting at its values.

    Keys are the model's ``__`` overrides, so Reset builds ``ClassroomModel(**params)``.
    """
    m, c, p, r = cfg.market, cfg.clients, cfg.platform, cfg.reviews
    fj = cfg.interventions.first_job
    return {
        "config": cfg,
        "run__record_contracts": False,  # the dashboard never reads the contract log
        "market__freelancers": Slider(
            "Freelancers at start", m.freelancers, 50, max(2000, m.freelancers), 50
        ),
        "market__clients": Slider("Clients at start", m.clients, 10, max(500, m.clients), 5),
        "clients__reputation_weight": Slider(
            "Weight on reputation",
            float(c.reputation_weight),
            0.0,
            max(3.0, c.reputation_weight),
            0.1,
        ),
        "clients__price_weight": Slider(
            "Weight on price", float(c.price_weight), 0.0, max(3.0, c.price_weight), 0.1
        ),
        "platform__ranking": {
            "type": "Select",
            "label": "Search ranking",
            "value": p.ranking,
            "values": RANKINGS,
        },
        "reviews__leniency": Slider(
            "Review leniency",
            float(r.leniency),
            min(-0.5, r.leniency),
            max(1.0, r.leniency),
            0.05,
        ),
        "reviews__inflation": Slider(
            "Rating inflation",
            float(r.inflation),
            0.0,
            max(1.0, r.inflation),
            0.05,
        ),
        "interventions__first_job__share": Slider(
            "First-job share (0 = off)",
            float(fj.share) if fj else 0.0,
            0.0,
            1.0,
            0.05,
        ),
        "interventions__first_job__at_step": Slider(
            "First-job week", fj.at_step if fj else 26, 0, max(104, fj.at_step if fj else 0), 1
        ),
        "rng": Slider("Random seed", cfg.run.seed, 0, max(100, cfg.run.seed), 1),
    }


def initial_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments Reset would pass with every knob at its starting value."""
    out = {}
    for key, v in params.items():
        if isinstance(v, Slider):
            out[key] = v.value
        elif isinstance(v, dict) and "type" in v:
            out[key] = v["value"]
        else:
            out[key] = v
    return out
