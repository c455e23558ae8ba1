"""Config loading: schema defaults, base inheritance, overrides and one-line errors."""

import tomllib
from pathlib import Path

import pytest

from marketplace_sim.config import (
    Config,
    all_keys,
    key_reference,
    load_config,
    parse_overrides,
    parse_value,
    validate_config,
)
from marketplace_sim.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_defaults_are_the_contract_values():
    """Without a file, the keys the interface fixes have their documented defaults."""
    c = load_config()
    assert (c.run.steps, c.run.seed, c.population_seed) == (520, 1, 1)
    assert (c.market.freelancers, c.market.clients, c.market.niches) == (2000, 500, 12)
    assert (c.clients.reputation_weight, c.clients.price_weight) == (1.0, 1.0)
    assert (c.platform.ranking, c.platform.fee) == ("reputation", 0.10)
    assert c.interventions.first_job is None


def test_population_seed_defaults_to_seed():
    """run.population_seed falls back to run.seed, and can differ from it."""
    assert load_config(None, {"run.seed": 7}).population_seed == 7
    assert load_config(None, {"run.seed": 7, "run.population_seed": 3}).population_seed == 3


def test_base_chain_merges_tables_key_by_key(tmp_path):
    """A child overrides single keys of its base and keeps the rest (relative paths)."""
    sub = tmp_path / "sub"
    sub.mkdir()
    write(tmp_path, "a.toml", "[market]\nfreelancers = 300\nclients = 40\n")
    child = write(sub, "b.toml", 'base = "../a.toml"\n[market]\nclients = 60\n')
    c = load_config(child)
    assert (c.market.freelancers, c.market.clients) == (300, 60)


def test_overrides_accept_toml_values_and_bare_words():
    """--set values parse as TOML; a bare word is a string."""
    assert parse_value("52") == 52 and parse_value("0.5") == 0.5
    assert parse_value('"random"') == "random" and parse_value("random") == "random"
    assert parse_value("true") is True
    c = load_config(None, ["platform.ranking=random", "run.steps=52"])
    assert c.platform.ranking == "random" and c.run.steps == 52


def test_set_can_switch_on_an_optional_section():
    """--set interventions.first_job.share=0.3 creates the section with its other defaults."""
    c = load_config(None, ["interventions.first_job.share=0.3"])
    assert c.interventions.first_job is not None
    assert (c.interventions.first_job.share, c.interventions.first_job.at_step) == (0.3, 26)


def test_resolved_toml_round_trips(tmp_path):
    """The resolved config written to a run folder loads back to the same config."""
    c = load_config(ROOT / "configs" / "baseline.toml", ["interventions.first_job.share=0.2"])
    p = write(tmp_path, "resolved.toml", c.to_toml())
    assert load_config(p) == c.with_overrides({"run.population_seed": c.population_seed})


@pytest.mark.parametrize(
    ("text", "key", "needle"),
    [
        ("[market]\nfreelancer = 5\n", "market.freelancer", "did you mean 'market.freelancers'"),
        ("[markt]\nfreelancers = 5\n", "markt", "did you mean 'market'"),
        ("[market]\nfreelancers = -5\n", "market.freelancers", "out of range"),
        ('[market]\nfreelancers = "many"\n', "market.freelancers", "wrong type"),
        ("[market]\nfreelancers = 2.5\n", "market.freelancers", "wrong type"),
        ("[reviews]\nprob = 1.5\n", "reviews.prob", "out of range"),
        ("[platform]\nfee = -0.1\n", "platform.fee", "out of range"),
        ('[platform]\nranking = "popular"\n', "platform.ranking", "'reputation'"),
        ("[run]\nsteps = 0\n", "run.steps", "out of range"),
        ("[freelancers.expertise]\na = 0\n", "freelancers.expertise.a", "out of range"),
        ("[interventions.first_job]\nshare = 2\n", "interventions.first_job.share", "out of range"),
        ("market = 3\n", "market", "must be a table"),
        (
            "[reviews]\nsuccess_threshold = 0.2\nfailure_threshold = 0.5\n",
            "reviews",
            "must not exceed",
        ),
    ],
)
def test_bad_values_name_file_and_key(tmp_path, text, key, needle):
    """Each bad config raises one line: file, dotted key, what is wrong."""
    p = write(tmp_path, "bad.toml", text)
    with pytest.raises(ConfigError) as info:
        load_config(p)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f"{p}: {key}: ")
    assert needle in msg


def test_syntax_error_names_line(tmp_path):
    """A TOML syntax error names the file and the line."""
    p = write(tmp_path, "bad.toml", "[run]\nsteps = 5\nseed = = 2\n")
    with pytest.raises(ConfigError, match=r"bad\.toml: line 3, column \d+: TOML syntax error"):
        load_config(p)


def test_missing_file_and_missing_or_circular_base(tmp_path):
    """Missing file, missing base and circular base are each one clear line."""
    with pytest.raises(ConfigError, match="nope.toml: file not found"):
        load_config(tmp_path / "nope.toml")
    p = write(tmp_path, "child.toml", 'base = "gone.toml"\n')
    with pytest.raises(ConfigError, match=r"child\.toml: base: base file not found"):
        load_config(p)
    write(tmp_path, "x.toml", 'base = "y.toml"\n')
    write(tmp_path, "y.toml", 'base = "x.toml"\n')
    with pytest.raises(ConfigError, match="base: circular base chain: x.toml -> y.toml -> x.toml"):
        load_config(tmp_path / "x.toml")


def test_malformed_override_is_refused():
    """--set without '=' names the item."""
    with pytest.raises(ConfigError, match="--set: run.steps: expected KEY=VALUE"):
        parse_overrides(["run.steps"])
    with pytest.raises(ConfigError, match="--set: run.stepz: unknown key"):
        load_config(None, ["run.stepz=3"])


def test_experiment_file_is_not_a_world(tmp_path):
    """A file with [sweep] is refused by load_config with a pointer to `sweep`."""
    p = write(tmp_path, "e.toml", '[sweep]\n"run.seed" = [1, 2]\n')
    with pytest.raises(ConfigError, match="sweep: is an experiment section"):
        load_config(p)


def test_every_key_is_documented_with_default():
    """The key reference lists every leaf key with a description (README is drawn from it)."""
    rows = key_reference()
    assert [r["key"] for r in rows] == all_keys()
    assert all(r["description"] for r in rows)
    assert {"run.steps", "market.entry_rate", "platform.ranking"} <= set(all_keys())


@pytest.mark.parametrize("path", sorted((ROOT / "configs").rglob("*.toml")), ids=lambda p: p.name)
def test_shipped_configs_validate(path):
    """Every shipped config validates."""
    assert isinstance(load_config(path), Config)


def test_intervention_week_must_fall_inside_the_run(tmp_path):
    """An intervention after the last week, or at week 0, would silently never fire: refused."""
    with pytest.raises(ConfigError, match="interventions.first_job.at_step: week 26 is after"):
        load_config(None, ["run.steps=10", "interventions.first_job.share=0.5"])
    with pytest.raises(ConfigError, match="interventions.early_boost.at_step: out of range"):
        load_config(None, ["interventions.early_boost.at_step=0"])


def test_error_in_a_base_file_names_that_file(tmp_path):
    """A bad key set in a base file is reported against the base, not the child."""
    write(tmp_path, "parent.toml", "[market]\nfreelancrs = 3\n")
    child = write(tmp_path, "child.toml", 'base = "parent.toml"\n[run]\nsteps = 5\n')
    with pytest.raises(ConfigError) as info:
        load_config(child)
    assert str(info.value).startswith(f"{tmp_path / 'parent.toml'}: market.freelancrs: ")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_numbers_are_refused(tmp_path, value):
    """TOML allows nan and inf; the schema does not (they would poison the accounting)."""
    p = write(tmp_path, "x.toml", f"[jobs]\nbudget_median = {value}\n")
    with pytest.raises(ConfigError, match="jobs.budget_median: .*finite"):
        load_config(p)
    with pytest.raises(ConfigError, match="clients.outside_option"):
        load_config(None, [f"clients.outside_option={value}"])


def test_mechanism_keys_are_checked():
    """Activity shares may not exceed 1 together; the rating precision is 0-6 decimals or
    unset (the exact mean), and round-trips through the resolved TOML."""
    with pytest.raises(ConfigError, match="occasional_share \\+ part_time_share"):
        load_config(None, ["freelancers.occasional_share=0.6", "freelancers.part_time_share=0.5"])
    with pytest.raises(ConfigError, match="platform.rating_precision: out of range"):
        load_config(None, ["platform.rating_precision=7"])
    with pytest.raises(ConfigError, match="platform.rating_precision: wrong type"):
        load_config(None, ["platform.rating_precision=0.1"])
    assert load_config().platform.rating_precision is None
    cfg = load_config(None, ["platform.rating_precision=1", "freelancers.dormancy=true"])
    again = validate_config(tomllib.loads(cfg.to_toml()), "<toml>")
    assert again == cfg.with_overrides({"run.population_seed": cfg.population_seed})
    assert again.platform.rating_precision == 1
    assert "rating_precision" not in load_config().to_toml()
