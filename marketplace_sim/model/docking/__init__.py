"""Docking: peer models ported to this package and run instead of ours (Axtell et al. 1996).

A world with a ``[docking]`` section runs the peer model it names; so far one, Lukac & Grow's
(2020) NetLogo model (:mod:`.lukac_grow` holds its procedures, :mod:`.lukac_grow_model` the Mesa
model). ``marketplace_sim.model.simulate.simulate`` dispatches on the section, so run folders
and sweeps take docking worlds like any other.
"""

from marketplace_sim.model.docking.lukac_grow_model import LG_COLUMNS, LukacGrowModel

__all__ = ["LG_COLUMNS", "LukacGrowModel"]
