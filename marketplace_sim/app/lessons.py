"""Lessons: a starting world (``NAME.toml``) with its prompt beside it (``NAME.md``).

The app offers every lesson of the starting config's folder (or of the shipped lessons,
:func:`marketplace_sim.data.lessons_dir`); the starting config reaches the page through the
``MARKETPLACE_SIM_APP_CONFIG`` environment variable (:data:`CONFIG_ENV`), default the shipped
``classroom.toml``. Prompts use a small Markdown, rendered by :func:`prompt_html`.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass
from pathlib import Path

from marketplace_sim import data
from marketplace_sim.config import Config, load_config

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG",
    "Lesson",
    "find_lessons",
    "lesson_menu",
    "lessons_folder",
    "load_lesson",
    "prompt_html",
    "start_config",
]

CONFIG_ENV = "MARKETPLACE_SIM_APP_CONFIG"  # path of the starting config, set by serve()
DEFAULT_CONFIG = data.configs_dir() / "classroom.toml"


@dataclass(frozen=True)
class Lesson:
    """A starting world for the dashboard and what to do with it.

    Attributes:
        name: the config file's stem, e.g. ``2-first-job``.
        title: the prompt's first ``# heading`` (or the name).
        config_path: the world config (TOML).
        prompt: the prompt in Markdown (``NAME.md`` beside the config; empty if none).
    """

    name: str
    title: str
    config_path: Path
    prompt: str

    def config(self) -> Config:
        """The lesson's world, validated."""
        return load_config(self.config_path)


def load_lesson(config_path: str | Path) -> Lesson:
    """The lesson of a world config: its prompt is the ``.md`` file of the same name.

    A config without one (e.g. ``configs/classroom.toml``) is free play: no prompt.
    """
    path = Path(config_path)
    md = path.with_suffix(".md")
    prompt = md.read_text(encoding="utf-8") if md.exists() else ""
    heading = re.search(r"^#\s+(.+?)\s*$", prompt, re.M)
    if heading:
        title = heading.group(1)
    elif prompt:
        title = path.stem.replace("-", " ").capitalize()
    else:
        title = f"Free play ({path.name})"
    return Lesson(name=path.stem, title=title, config_path=path, prompt=prompt)


def find_lessons(folder: str | Path) -> list[Lesson]:
    """Every lesson in a folder: the ``*.toml`` files that have a ``.md`` prompt, by name."""
    d = Path(folder)
    if not d.is_dir():
        return []
    return [load_lesson(p) for p in sorted(d.glob("*.toml")) if p.with_suffix(".md").exists()]


def lessons_folder(config_path: str | Path | None) -> Path:
    """Where to look for lessons.

    The config's own folder if it is a lesson, else its ``lessons/`` subfolder, else the
    repository's ``configs/lessons``.
    """
    if config_path is not None:
        p = Path(config_path).resolve()
        if p.with_suffix(".md").exists():
            return p.parent
        if (p.parent / "lessons").is_dir():
            return p.parent / "lessons"
    return data.lessons_dir()


def start_config() -> str:
    """The starting config: ``$MARKETPLACE_SIM_APP_CONFIG``, else ``configs/classroom.toml``."""
    return os.environ.get(CONFIG_ENV) or str(DEFAULT_CONFIG)


def lesson_menu(config_path: str | Path) -> list[Lesson]:
    """The lessons the app offers: the starting config first, then its folder's lessons."""
    start = load_lesson(config_path)
    others = [
        lesson
        for lesson in find_lessons(lessons_folder(config_path))
        if lesson.config_path.resolve() != start.config_path.resolve()
    ]
    return [start, *others]


def prompt_html(markdown: str) -> str:
    """A lesson prompt as HTML.

    Supports the small Markdown the prompts use: ``#``/``##`` headings, ``-`` bullets,
    paragraphs, ``**bold**``, ``*italic*`` and ```code```. Everything else is shown as text
    (escaped), so nothing in a prompt can inject markup.
    """

    def inline(text: str) -> str:
        t = html.escape(text, quote=False)
        t = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", t)
        t = re.sub(r"\*(.+?)\*", r"<i>\1</i>", t)
        return re.sub(r"`(.+?)`", r"<code>\1</code>", t)

    out: list[str] = []
    para: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if para:
            out.append(f"<p>{inline(' '.join(para))}</p>")
            para.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for raw in markdown.splitlines():
        line = raw.strip()
        heading = re.match(r"^(#{1,3})\s+(.*)$", line)
        if not line:
            flush()
        elif heading:
            flush()
            level = len(heading.group(1)) + 2  # '#' -> h3, '##' -> h4
            out.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
        elif line.startswith(("- ", "* ")):
            if para:
                flush()
            items.append(line[2:])
        elif items and raw.startswith((" ", "\t")):
            items[-1] += " " + line  # continuation of a bullet
        else:
            if items:
                flush()
            para.append(line)
    flush()
    return "\n".join(out)
