"""The "In Jupyter" snippet of docs/dashboard.md: it builds the page, and a kernel displays it."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import solara

from marketplace_sim.app import page as app_page

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "dashboard.md"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def snippet() -> str:
    """The Python block between the jupyter-snippet markers of docs/dashboard.md."""
    text = DOC.read_text(encoding="utf-8")
    found = re.search(
        r"<!-- jupyter-snippet:start -->\n```python\n(.*?)```\n<!-- jupyter-snippet:end -->",
        text,
        re.S,
    )
    assert found, "docs/dashboard.md lost its jupyter-snippet block"
    return found[1]


@pytest.fixture
def fresh_lesson():
    app_page.lesson_path.set("")  # outside a server, Solara's state is global
    yield
    app_page.lesson_path.set("")


def test_the_snippet_builds_the_page_in_a_plain_process(fresh_lesson):
    """Run as a script: the last expression is the page element, and it renders."""
    lines = snippet().rstrip().splitlines()
    namespace: dict[str, object] = {}
    exec("\n".join(lines[:-1]), namespace)  # noqa: S102 - the documented snippet, on purpose
    element = eval(lines[-1], namespace)  # noqa: S307 - its last line, as a cell shows it
    assert isinstance(element, solara.Element)
    assert app_page.lesson_path.value.endswith("1-rich-get-richer.toml")
    box, rc = solara.render(element, handle_error=False)
    try:
        prompt = rc.find(
            solara.widgets.HTML, attributes={"data-view": "lesson", "class": "ms-prompt"}
        ).widget
        assert "<h3>The rich get richer</h3>" in prompt.unsafe_innerHTML
    finally:
        rc.close()


def test_a_jupyter_kernel_displays_the_snippet_as_a_widget(tmp_path, monkeypatch):
    """The snippet as a notebook cell, executed by a real kernel: a widget is displayed.

    nbclient and ipykernel come with the dev environment (nbmake, solara-server); without them
    this test is skipped and the plain-process test above still runs.
    """
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # the kernel (jupyter_client runs "python" as sys.executable) imports this checkout
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(snippet())])
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if o.get("output_type") == "error"], outputs
    assert any(WIDGET_VIEW in o.get("data", {}) for o in outputs), outputs
