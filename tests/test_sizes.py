"""Rooms a newcomer can read: no module over 500 lines, no function over 60 lines of code.

A function's length counts from its ``def`` to its last line, without its docstring (the
house style asks for full Google-style docstrings, which should not push code apart).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "marketplace_sim"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


def sources() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py") if "assets" not in p.parts)


def function_lengths(path: Path) -> list[tuple[str, int, int]]:
    """``(name, first line, lines without the docstring)`` of every function in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            n = node.end_lineno - node.lineno + 1
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                if isinstance(first.value.value, str):
                    n -= first.end_lineno - first.lineno + 1
            out.append((node.name, node.lineno, n))
    return out


def test_the_counter_leaves_docstrings_out(tmp_path):
    f = tmp_path / "m.py"
    f.write_text('def f():\n    """Doc.\n\n    More.\n    """\n    return 1\n')
    assert function_lengths(f) == [("f", 1, 2)]


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(PKG)))
def test_module_and_function_sizes(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.name}: {lines} lines"
    long = [(n, ln, k) for n, ln, k in function_lengths(path) if k > MAX_FUNCTION_LINES]
    assert not long, f"{path.name}: functions over {MAX_FUNCTION_LINES} lines: {long}"
