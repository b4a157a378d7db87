"""HTML parsing cost per article beside the text parser's, on the same articles.

Each article of a generated library (bench/generate.py, realistic shape) is parsed as it is, then as the
web page a WordPress theme would make of it (the theme of tests/fixtures/html/wordpress-theme.html:
header, menu, cookie banner, share buttons, related posts, comments, sidebar, footer around the article).
Both parses are timed in this process, pair by pair, and the graph each gives is checked to be the same
(but for lines, hashes, the page's address and front-matter aliases, which a page does not carry).

    python bench/pages.py [N]          # N articles (default 1,000)
"""

from __future__ import annotations

import html
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dreamgraph.pages import parse_page
from dreamgraph.parse import BULLET, MD_HEADING, _looks_like_heading, parse_bytes
from dreamgraph.triples import own_triples

ROOT = Path(__file__).resolve().parent.parent
THEME = (ROOT / "tests" / "fixtures" / "html" / "wordpress-theme.html").read_text(encoding="utf-8")
BEFORE = THEME[:THEME.index('<h1 class="entry-title">')]
AFTER = THEME[THEME.index('<div class="sharedaddy'):]


def as_page(text: str) -> str:
    """Return an article's text as a themed web page: headings, lists and paragraphs."""
    lines = [line for line in text.split("\n") if line.strip()]
    if lines and lines[0].strip() == "---":
        end = lines.index("---", 1)
        lines = lines[end + 1:]
    title = MD_HEADING.sub(r"\2", lines[0]).strip()
    body, items, markdown = [], [], any(MD_HEADING.match(line) for line in lines)

    def close() -> None:
        if items:
            body.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for line in lines[1:]:
        heading = MD_HEADING.match(line)
        if heading or (not markdown and _looks_like_heading(line.strip())):
            close()
            body.append(f"<h2>{html.escape(heading.group(2) if heading else line)}</h2>")
        elif BULLET.match(line):
            items.append(BULLET.sub("", line).strip())
        else:
            close()
            body.append(f"<p>{html.escape(line.strip())}</p>")
    cut = not text.endswith("\n")  # a page saved half-loaded stops where its text stops
    if cut and items:
        body.append("<ul>" + "".join(f"<li>{html.escape(i)}" for i in items))
    else:
        close()
    address = "https://dreamatlas.example/" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") + "/"
    return (BEFORE.replace("https://dreamatlas.example/dream-about-not-being-able-to-run-meaning/", address)
            + f'<h1 class="entry-title">{html.escape(title)}</h1></div></header><div class="post-inner thin">'
            '<div class="entry-content">' + "\n".join(body) + ("" if cut else AFTER))


def comparable(article) -> list:
    """The article's triples but for what a page cannot carry the same: lines, hash, address, front-matter aliases."""
    return sorted(t for t in own_triples(article, "x", str)
                  if not re.search(r"#(sourceLine|contentHash|url)>|core#altLabel>", t[1]))


def main(count: int) -> None:
    folder = Path(tempfile.mkdtemp()) / "articles"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), str(count), str(folder), "--shape", "realistic"],
                   check=True, capture_output=True)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".txt", ".md"))
    text_times, page_times, same, built, page_bytes, text_bytes = [], [], 0, 0, 0, 0
    for path in files:
        data = path.read_bytes()
        page = as_page(data.decode("utf-8-sig")).encode("utf-8")
        started = time.perf_counter()
        text = parse_bytes(data, path.name)
        middle = time.perf_counter()
        [web] = parse_page(page, path.name)
        ended = time.perf_counter()
        text_times.append(middle - started)
        page_times.append(ended - middle)
        text_bytes += len(data)
        page_bytes += len(page)
        if text.article and web.article:
            built += 1
            same += comparable(text.article) == comparable(web.article)
    text_ms, page_ms = statistics.median(text_times) * 1000, statistics.median(page_times) * 1000
    print(f"{len(files):,} articles (realistic shape); pages {page_bytes / len(files) / 1024:.1f} KiB each, "
          f"texts {text_bytes / len(files) / 1024:.1f} KiB")
    print(f"{'parser':<22}{'median ms':>10}{'total s':>10}{'ratio':>8}")
    print(f"{'text (parse_bytes)':<22}{text_ms:>10.2f}{sum(text_times):>10.2f}{1:>8.2f}")
    print(f"{'web page (parse_page)':<22}{page_ms:>10.2f}{sum(page_times):>10.2f}{page_ms / text_ms:>8.2f}")
    print(f"same graph from both: {same} of {built} articles")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
