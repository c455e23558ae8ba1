"""The package is layered: every import, at any depth of a module, points down (or sideways
within its own layer), never up.

Layers, bottom to top: ground (config, errors, metrics, market/, files, provenance, units,
data, version) < model < plots < experiments < analysis < reports < app < cli. ``plots`` draws from
tables and so needs only the ground; ``app`` needs the model and plots, not sweeps or reports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "marketplace_sim"
GROUND = {
    "config",
    "errors",
    "metrics",
    "market",
    "files",
    "provenance",
    "units",
    "data",
    "version",
    "limits",
    "columns",
}

#: layer -> the layers its modules may import from (its own layer always allowed).
ALLOWED: dict[str, set[str]] = {
    "ground": set(),
    "model": {"ground"},
    "plots": {"ground"},
    "experiments": {"ground", "model", "plots"},
    "analysis": {"ground", "model", "plots", "experiments"},
    "reports": {"ground", "model", "plots", "experiments", "analysis"},
    "app": {"ground", "model", "plots", "analysis"},
    "cli": {"ground", "model", "plots", "experiments", "analysis", "reports", "app"},
    "root": {"ground", "model"},  # marketplace_sim/__init__.py: the lazy public facade
}
#: Within the ground, the pure core imports nothing of the package but these.
GROUND_DEPS = {
    "units": set(),
    "errors": set(),
    "metrics": set(),
    "market": {"market", "units"},
    "files": set(),
    "provenance": set(),
    "config": {"errors", "units", "data", "limits"},
    "data": {"errors", "files"},
    "version": set(),
    "columns": set(),
    "limits": {"errors"},
}


def layer_of(module: str) -> str:
    """The layer of a dotted module name inside the package."""
    parts = module.split(".")
    if parts[0] != "marketplace_sim":
        raise ValueError(module)
    if len(parts) == 1:
        return "root"
    head = parts[1]
    if head in GROUND:
        return "ground"
    if head in ("cli", "__main__"):
        return "cli"
    return head


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every package module imported anywhere in a file (functions included), absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = module_name(path).split(".")
    pkg = me if path.name == "__init__.py" else me[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(pkg[: len(pkg) - node.level + 1])
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            if mod == "marketplace_sim":  # from marketplace_sim import metrics
                found += [(node.lineno, f"marketplace_sim.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, mod))
    return [(ln, m) for ln, m in found if m.split(".")[0] == "marketplace_sim"]


def sources() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py") if "assets" not in p.parts)


def test_the_parser_sees_imports_inside_functions(tmp_path):
    f = PKG / "model" / "_probe_for_test.py"
    try:
        f.write_text(
            "def f():\n    from marketplace_sim.cli import main\n    from ..app import x\n"
        )
        assert [m for _, m in imports_of(f)] == ["marketplace_sim.cli", "marketplace_sim.app"]
    finally:
        f.unlink()


@pytest.mark.parametrize("path", sources(), ids=lambda p: module_name(p))
def test_every_import_points_down(path):
    me = module_name(path)
    mine = layer_of(me)
    bad = []
    for line, target in imports_of(path):
        theirs = layer_of(target)
        if theirs == mine:
            if mine == "ground":
                a, b = me.split(".")[1], target.split(".")[1] if "." in target else ""
                if b and b != a and b not in GROUND_DEPS[a]:
                    bad.append(f"line {line}: {target} (ground module {a} may not import {b})")
            continue
        if theirs not in ALLOWED[mine]:
            bad.append(f"line {line}: {target} ({mine} may not import {theirs})")
    assert not bad, f"{me} imports upward:\n" + "\n".join(bad)


def test_nothing_below_the_cli_owns_argparse_or_the_program_name():
    offenders = []
    for path in sources():
        if layer_of(module_name(path)) == "cli":
            continue
        text = path.read_text(encoding="utf-8")
        if "import argparse" in text or "ArgumentParser(" in text:
            offenders.append(module_name(path))
    assert not offenders, offenders


def test_the_library_does_not_find_files_through_the_checkout():
    """Shipped files are package data: no ``Path(__file__).parents[...]`` reaching the repo."""
    offenders = [
        module_name(p)
        for p in sources()
        if "parents[" in p.read_text(encoding="utf-8") and "__file__" in p.read_text()
    ]
    assert not offenders, offenders
