"""Shipped worlds, experiments and lessons are package data, found by name from any folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace_sim import data
from marketplace_sim.config import load_config
from marketplace_sim.errors import ConfigError, OutputFolderError

ROOT = Path(__file__).resolve().parents[1]


def test_the_checkout_folders_are_the_package_data():
    """configs/ and experiments/ at the top of the checkout are the shipped files, not copies."""
    assert (ROOT / "configs").resolve() == data.configs_dir().resolve()
    assert (ROOT / "experiments").resolve() == data.experiments_dir().resolve()
    assert {"baseline", "smoke", "classroom"} <= set(data.world_names())
    assert "reputation-weight" in data.experiment_names()
    assert len(list(data.lessons_dir().glob("*.toml"))) == 5


def test_names_resolve_to_shipped_files_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert data.resolve_world("smoke") == data.configs_dir() / "smoke.toml"
    assert load_config(data.resolve_world("smoke")).run.steps == 52
    assert load_config("smoke") == load_config(data.configs_dir() / "smoke.toml")
    exp = data.resolve_experiment("reputation-weight")
    assert exp == data.experiments_dir() / "reputation-weight.toml" and exp.is_file()


def test_a_path_is_taken_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "baseline").write_text("")  # a file named like a shipped world wins
    assert data.resolve_world("baseline") == Path("baseline")
    assert data.resolve_world("mine.toml") == Path("mine.toml")  # missing: load_config says so
    assert data.resolve_world("sub/smoke") == Path("sub/smoke")


def test_an_unknown_name_suggests_the_closest(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="did you mean 'baseline'"):
        data.resolve_world("baselin")
    with pytest.raises(ConfigError, match="did you mean 'reputation-weight'"):
        data.resolve_experiment("reputation-weigth")


def test_copy_shipped_makes_an_editable_tree_that_resolves(tmp_path):
    from marketplace_sim.experiments.sweep import load_experiment

    dest = tmp_path / "my-study"
    copied = data.copy_shipped(dest)
    assert len(copied) == len(data.shipped_files()) > 30
    assert (dest / "configs" / "lessons" / "1-rich-get-richer.md").is_file()
    exp = load_experiment(dest / "experiments" / "reputation-weight.toml")  # base resolves
    assert exp.name == "reputation-weight"
    assert [p.name for p in tmp_path.iterdir()] == ["my-study"]  # no temporary left behind


def test_copy_shipped_never_writes_into_a_folder_with_files(tmp_path):
    dest = tmp_path / "notes"
    dest.mkdir()
    (dest / "mine.txt").write_text("keep me")
    with pytest.raises(OutputFolderError, match="not empty"):
        data.copy_shipped(dest)
    assert [p.name for p in dest.iterdir()] == ["mine.txt"]
    assert (dest / "mine.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes"]


def test_copy_shipped_into_an_empty_folder(tmp_path):
    dest = tmp_path / "empty"
    dest.mkdir()
    data.copy_shipped(dest)
    assert sorted(p.name for p in dest.iterdir()) == ["configs", "experiments"]
