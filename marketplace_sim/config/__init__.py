"""The config schema: every key, its default, unit and range, in one place; and loading worlds.

- :mod:`.agents` and :mod:`.rules`: the section classes (the keys themselves);
- :mod:`.schema`: :class:`Config`, the key catalogue (suggestions, the README reference) and
  validation into one-line :class:`~marketplace_sim.errors.ConfigError` messages;
- :mod:`.loading`: TOML files, ``base`` chains, ``--set`` overrides, shipped worlds by name.

Everything public is importable from ``marketplace_sim.config``.
"""

from marketplace_sim.config.agents import (
    BetaDist,
    ClientsSection,
    FreelancersSection,
    JobsSection,
    MarketSection,
    RunSection,
)
from marketplace_sim.config.loading import (
    deep_merge,
    dump_config,
    key_sources,
    load_config,
    owner_of,
    parse_overrides,
    parse_value,
    read_toml,
    read_with_base,
)
from marketplace_sim.config.rules import (
    DeliverySection,
    DockingSection,
    EarlyBoostSection,
    FirstJobSection,
    InterventionsSection,
    PlatformSection,
    ReviewsSection,
)
from marketplace_sim.config.schema import (
    Config,
    all_keys,
    all_prefixes,
    get_dotted,
    key_reference,
    reference_markdown,
    set_dotted,
    suggest,
    to_config_error,
    validate_config,
)
from marketplace_sim.errors import ConfigError

__all__ = [
    "BetaDist",
    "ClientsSection",
    "Config",
    "ConfigError",
    "DeliverySection",
    "DockingSection",
    "EarlyBoostSection",
    "FirstJobSection",
    "FreelancersSection",
    "InterventionsSection",
    "JobsSection",
    "MarketSection",
    "PlatformSection",
    "ReviewsSection",
    "RunSection",
    "all_keys",
    "all_prefixes",
    "deep_merge",
    "dump_config",
    "get_dotted",
    "key_reference",
    "key_sources",
    "load_config",
    "owner_of",
    "parse_overrides",
    "parse_value",
    "read_toml",
    "read_with_base",
    "reference_markdown",
    "set_dotted",
    "suggest",
    "to_config_error",
    "validate_config",
]
