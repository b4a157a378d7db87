"""Helpers shared by the tests: paths of the sample corpus and a writer of short articles."""

from __future__ import annotations

import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "graph" / "articles" / "000_92aebca6ef1c887d.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def article(title: str, *, scenarios=(), sensations=(), quick=(), faq=(), next_stages=(), prose="", sentence=None,
            extra_sections: str = "") -> str:
    """Return the text of a short article in the seed's plain-text format."""
    lines = [title, prose or "An intro paragraph that ends properly."]
    if quick:
        lines += ["Quick Answer", *[f"- {q}" for q in quick]]
    if scenarios:
        lines += ["Common Scenarios", *[f"- {s} → {m}" for s, m in scenarios]]
    if sensations:
        lines += ["What the Body Registered", *[f"- {s} → {m}" for s, m in sensations]]
    if extra_sections:
        lines += [textwrap.dedent(extra_sections).strip()]
    if sentence:
        lines += ["The Sentence This Dream Was Trying to Say", f"“{sentence}”"]
    if faq:
        lines += ["FAQ", *[f"{q} {a}" for q, a in faq]]
    if next_stages:
        lines += ["Next Stages", *[f"If {c} → dream about {t} meaning — when {g}" for c, t, g in next_stages]]
    return "\n".join(lines) + "\n"


