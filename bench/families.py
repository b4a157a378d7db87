"""A library whose titles come in large families: numbered variants of the sample library's articles.

    python bench/generate.py 2000 /tmp/families --shape families

Each article of graph/articles/ is written again as "Dream About Losing Control 17: …", with its Next
Stages pointing at the same variant number of the dreams it links to, and one in ten at a number that has
no article (a stub that differs from a written title by its number only). Every title shares all its
words but one with dozens of others, the worst case for matching an unwritten link to a written dream by
its words; this is the shape that once made the build grow faster than the library.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent.parent / "graph" / "articles"
_TITLE = re.compile(r"^(?:# )?(Dream About [^:\n—]+?)(\s*(?::|—|$))", re.MULTILINE)
_LINK = re.compile(r"(→ dream about )(.+?)( meaning)")


def generate_families(count: int, folder: Path, seed: int = 1) -> list[Path]:
    """Write ``count`` numbered variants of the sample articles into ``folder``; return the paths."""
    rng = random.Random(seed)
    samples = sorted(p for p in SAMPLE.iterdir() if p.suffix in (".txt", ".md"))
    texts = [p.read_text(encoding="utf-8") for p in samples]
    rounds = -(-count // len(texts))
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        number, text = index // len(texts) + 1, texts[index % len(texts)]
        text = _TITLE.sub(lambda m: f"{m.group(1)} {number}{m.group(2)}", text, count=1)

        def link(match: re.Match, number: int = number) -> str:
            target = number if rng.random() < 0.9 else rounds + rng.randrange(1, 10 * rounds)
            return f"{match.group(1)}{match.group(2)} {target}{match.group(3)}"

        text = _LINK.sub(link, text)
        text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.DOTALL)  # its slug and aliases would clash
        path = folder / f"{index:06d}{samples[index % len(texts)].suffix}"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
