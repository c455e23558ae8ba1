"""One set of numbers: the findings' headline figures as JSON, and quotes of them checked.

``marketplace-sim findings`` writes ``findings-numbers.json`` beside ``findings.md``: the
published figures the studies are judged against (from
:mod:`marketplace_sim.analysis.studies` and the study modules, the one place they are typed)
and the model's headline numbers (every row of the page's summary table). A document that
quotes one of them marks the quote, so that a test can check it against the JSON::

    on price, <!-- n:paper.lukacgrow.price.no_job -->21-30 %<!-- /n --> get no job

(the comments are invisible once rendered). :func:`check_quotes` lists the marked quotes that
differ from the JSON, and :func:`stale_quotes` the known wrong variants of a paper's figure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from marketplace_sim import files
from marketplace_sim.analysis import studies
from marketplace_sim.reports.findings.base import Section

FILE = "findings-numbers.json"
QUOTE = re.compile(r"<!-- n:([\w.\-]+) -->(.*?)<!-- /n -->", re.DOTALL)


def _range(lo: float, hi: float, spec: str, unit: str = "") -> str:
    return f"{lo:{spec}}-{hi:{spec}}{unit}"


def paper_numbers() -> dict[str, str]:
    """The published figures, as documents should quote them (key -> text)."""
    lg, gini, fil = studies.LUKAC_GROW, studies.SALGANIK_GINI, studies.FILIPPAS
    rep, price = lg["reputation"], lg["price"]
    return {
        "paper.lukacgrow.reputation.no_job": _range(
            100 * rep["no_job"][0], 100 * rep["no_job"][1], ".0f", " %"
        ),
        "paper.lukacgrow.reputation.earnings_ratio": _range(*rep["earnings_ratio"], ".0f", "x"),
        "paper.lukacgrow.price.no_job": _range(
            100 * price["no_job"][0], 100 * price["no_job"][1], ".0f", " %"
        ),
        "paper.lukacgrow.price.earnings_ratio": _range(*price["earnings_ratio"], ".1f", "x"),
        "paper.salganik.gini.independent": _range(*gini["independent"], ".2f"),
        "paper.salganik.gini.influence": _range(*gini["influence"], ".2f"),
        "paper.filippas.stars": f"{fil['start']:g} -> {fil['end']:g}",
        "paper.filippas.share": "at least 35-45 %",
        "paper.pallais.ratio": "nearly tripled",
        "paper.vanderijt.gaps": "9 to 31 points",
    }


#: Wrong variants of a paper's figure found in the docs before there was one source.
STALE: dict[str, tuple[str, ...]] = {
    "paper.lukacgrow.price.no_job": ("20-28 %",),
    "paper.lukacgrow.price.earnings_ratio": ("2.5-5",),
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def model_numbers(sections: Sequence[Section]) -> dict[str, dict[str, str]]:
    """Every summary row, by a key made of its study and measure."""
    out: dict[str, dict[str, str]] = {}
    for s in sections:
        for row in s.summary:
            key = "model." + (row.key or _slug(f"{row.study} {row.measure}"))
            out[key] = {
                "measure": row.measure,
                "paper": row.theirs,
                "ours": row.ours,
                "verdict": row.direction.strip("*"),
            }
    return out


def numbers(sections: Sequence[Section], quick: bool) -> dict[str, Any]:
    """The JSON document: paper figures, the model's headline numbers, and the mode."""
    return {"quick": quick, "paper": paper_numbers(), "model": model_numbers(sections)}


def write_numbers(out: Path, doc: Mapping[str, Any]) -> Path:
    """Write ``out/findings-numbers.json`` atomically."""
    return files.write_json(dict(doc), out / FILE)


def flat(doc: Mapping[str, Any]) -> dict[str, str]:
    """Every quotable number: ``paper.*`` texts and ``model.<row>.<field>`` texts."""
    out = dict(doc.get("paper", {}))
    for key, row in doc.get("model", {}).items():
        for field, value in row.items():
            out[f"{key}.{field}"] = value
    return out


def check_quotes(text: str, doc: Mapping[str, Any]) -> list[str]:
    """The marked quotes in ``text`` that are unknown or differ from ``doc``."""
    known = flat(doc)
    bad = []
    for key, quoted in QUOTE.findall(text):
        if key not in known:
            bad.append(f"{key}: no such number")
        elif quoted.strip() != known[key]:
            bad.append(f"{key}: quoted {quoted.strip()!r}, the numbers say {known[key]!r}")
    return bad


def stale_quotes(text: str) -> list[str]:
    """Known wrong variants of a paper's figure in ``text`` (see :data:`STALE`)."""
    return [f"{key}: {v!r}" for key, variants in STALE.items() for v in variants if v in text]


def read_numbers(path: Path) -> dict[str, Any]:
    """Read a ``findings-numbers.json``."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    return doc if isinstance(doc, dict) else {}


def fill_quotes(text: str, doc: Mapping[str, Any]) -> str:
    """``text`` with every marked quote of a known number set to its value in ``doc``."""
    known = flat(doc)

    def put(m: re.Match[str]) -> str:
        key = m.group(1)
        return f"<!-- n:{key} -->{known[key]}<!-- /n -->" if key in known else m.group(0)

    return QUOTE.sub(put, text)
