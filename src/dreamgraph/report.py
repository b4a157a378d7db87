"""The gap report written out for people: plain text for a terminal, Markdown for a pull request or a wiki,
listed by kind (most valuable kind first, the default), by dream (each dream once, with all its gaps, the
dreams with the most at stake first) or by score (one list across kinds: scores share one scale).

>>> from dreamgraph.gaps import Gap
>>> found = [Gap("dead-end", "falling", "Falling", 2.0, "add Next Stages", [{"path": "a.txt", "line": 1, "text": ""}]),
...          Gap("orphan", "falling", "Falling", 1.0, "link to it", [])]
>>> print("\\n".join(text_lines(found, by="dream")))
falling: Falling (2)
        2  dead-end: add Next Stages
           a.txt:1
        1  orphan: link to it
"""

from __future__ import annotations

from operator import attrgetter
from typing import Callable

from .gaps import Gap
from .output import safe_joined, safe_text
from .snapshot import Snapshot
from .store import Store

ORDERS = ("kind", "dream", "score")


def where(evidence: dict, link: bool = False) -> str:
    """Return one piece of evidence as ``path:line text`` (or its text alone when it has no place); with
    ``link``, the place is a Markdown link to the live page when the article was read from one."""
    if not evidence["path"]:
        return evidence["text"]
    place = f"{evidence['path']}:{evidence['line']}" if evidence["line"] else evidence["path"]
    if link and evidence.get("url"):
        place = "[" + place.replace("[", "\\[").replace("]", "\\]") + f"]({evidence['url']})"
    return f"{place} {evidence['text']}".strip()


def grouped(found: list[Gap], by: str = "kind") -> list[tuple[str, str, list[Gap]]]:
    """Return the gaps as (key, heading, gaps) groups: by kind, in the order of the ranked list; by the dream
    (or cluster) each gap is about, the dream whose gaps score most in all first, each dream's gaps by score;
    or by score, one group of every gap, the highest score first."""
    if by not in ORDERS:
        raise ValueError(f"unknown order {by!r}; use one of {', '.join(ORDERS)}")
    if by == "score":
        return [("score", "every gap, highest score first", sorted(found, key=lambda g: -g.score))]
    if by == "kind":
        groups: dict[str, list[Gap]] = {}
        for gap in found:
            groups.setdefault(gap.kind, []).append(gap)
        return [(kind, kind, items) for kind, items in groups.items()]
    return [(node, f"{node}: {first.label if ' ~ ' not in first.label else node}", items)
            for node, first, items in _by_dream(found)]


def _by_dream(found: list[Gap]) -> list[tuple[str, Gap, list[Gap]]]:
    """Return each dream (or cluster) with its first gap in the ranked order (which names it) and its gaps,
    highest score first, the dream whose gaps score most in all first; ties keep the ranked order (a sort
    with ``reverse`` is stable, as one by negated keys is). The totals are added up in the gaps' order, as
    ``sum`` would, while they are grouped; a dream's one gap is not sorted (most dreams have one: 79,000 of
    111,000 gaps at 100,000 articles)."""
    groups: dict[str, list[Gap]] = {}
    totals: dict[str, float] = {}
    for gap in found:
        node = gap.node
        if node in groups:
            groups[node].append(gap)
            totals[node] += gap.score
        else:
            groups[node] = [gap]
            totals[node] = 0 + gap.score
    score = attrgetter("score")
    return [(node, groups[node][0],
             sorted(groups[node], key=score, reverse=True) if len(groups[node]) > 1 else groups[node])
            for node in sorted(groups, key=totals.__getitem__, reverse=True)]


def in_order(found: list[Gap], by: str = "kind") -> list[Gap]:
    """Return the gaps one after another in the order :func:`grouped` lists them."""
    return [gap for _, _, items in grouped(found, by) for gap in items]


def _about(gap: Gap, by: str) -> str:
    """What a line of a group names: the dream in a kind's group, the kind in a dream's, both in one list."""
    return gap.node if by == "kind" else gap.kind if by == "dream" else f"{gap.kind} {gap.node}"


def text_lines(found: list[Gap], by: str = "kind", evidence: int = 5) -> list[str]:
    """Return the report as lines for a terminal (at most ``evidence`` pieces of evidence a gap), every
    line made safe to print."""
    return _lines(found, by, evidence, safe_text)


def _lines(found: list[Gap], by: str, evidence: int, safe: Callable[[str], str]) -> list[str]:
    """Return the lines of :func:`text_lines`, each made by ``safe`` (``str``: as they are)."""
    lines: list[str] = []
    for _, heading, items in grouped(found, by):
        if lines:
            lines.append("")
        lines.append(_heading_line(heading, items, safe))
        for gap in items:
            lines.extend(_gap_lines(gap, by, evidence, safe))
    return lines


def _heading_line(heading: str, items: list[Gap], safe: Callable[[str], str] = safe_text) -> str:
    """Return the line that heads a group of gaps in :func:`text_lines` (made by ``safe``)."""
    return safe(f"{heading} ({len(items)})")


def _gap_lines(gap: Gap, by: str, evidence: int, safe: Callable[[str], str] = safe_text) -> list[str]:
    """Return the lines of one gap in :func:`text_lines` (each made by ``safe``)."""
    lines = [safe(_naming_line(gap, by))]
    lines.extend(safe(f"           {where(e)}"[:160]) for e in gap.evidence[:evidence])
    if len(gap.evidence) > evidence:
        lines.append(f"           … and {len(gap.evidence) - evidence} more")
    return lines


def _naming_line(gap: Gap, by: str) -> str:
    """Return the first line of a gap in :func:`text_lines`, which names it (not made safe yet)."""
    return f"  {gap.score:>7g}  {_about(gap, by)}: {gap.action}"


def terminal_text(found: list[Gap], by: str = "kind") -> str:
    """Return the report as ``dreamgraph gaps`` prints it in a terminal."""
    return "\n" + safe_joined(_lines(found, by, 5, str)) + "\n" if found else "no gaps found\n"


def text_table(found: list[Gap], last: list[Gap] | None = None, last_table: dict | None = None) -> dict:
    """Return the report as a build keeps it for the terminal: the UTF-8 ``text`` of :func:`terminal_text`
    (by kind), and where each gap's lines are in it (``starts`` and ``sizes``, in the report's order). Given
    the ``last`` report and the table kept of it, the lines of a gap that is one of the last report's (the
    same object, as a patch's report keeps them: see :func:`dreamgraph.gaps.patched_gaps`, or one equal to
    it, as the gaps found again after a link edit mostly are) are copied from the last text rather than laid
    out again (0.45 s for the 111,000 gaps at 100,000 articles), those that follow one another there as one
    piece.

    >>> from dreamgraph.gaps import Gap
    >>> found = [Gap("orphan", "falling", "Falling", 0.6, "link to it", [{"path": "a.txt", "line": 1, "text": ""}])]
    >>> table = text_table(found)
    >>> bytes(table["text"]) == terminal_text(found).encode("utf-8"), bytes(table["text"])[table["starts"][0]:][:12]
    (True, b'      0.6  f')
    >>> again = text_table([Gap("dead-end", "sea", "Sea", 0.7, "add Next Stages"), *found], found, table)
    >>> bytes(again["text"]) == terminal_text([Gap("dead-end", "sea", "Sea", 0.7, "add Next Stages"), *found]).encode()
    True
    >>> moved = [Gap("orphan", "falling", "Falling", 0.6, "link to it", [{"path": "a.txt", "line": 2, "text": ""}])]
    >>> bytes(text_table(moved, found, table)["text"]) == terminal_text(moved).encode("utf-8")  # equal, or laid out
    True
    """
    import numpy as np

    if not found:
        return {"text": terminal_text(found).encode("utf-8"), "starts": np.zeros(0, np.int64),
                "sizes": np.zeros(0, np.int64)}
    old: dict[int, int] = {}
    alike: dict[tuple, int] = {}  # a gap of the last report by what names it (compared whole before copying)
    if last is not None and last_table is not None and len(last_table.get("starts", ())) == len(last):
        old = {id(gap): i for i, gap in enumerate(last)}
        alike = {(gap.kind, gap.node, gap.action): i for i, gap in enumerate(last)}
        text, old_starts, old_sizes = (memoryview(last_table["text"]), last_table["starts"].tolist(),
                                       last_table["sizes"].tolist())
    pieces: list = [b"\n"]
    starts, sizes, at = [], [], 1
    run = [0, 0]  # the last text's bytes being copied: gaps one after another there are copied as one piece

    def copied() -> None:
        if run[1] > run[0]:
            pieces.append(text[run[0]:run[1]])
        run[:] = [0, 0]

    for number, (_, heading, items) in enumerate(grouped(found, "kind")):
        copied()
        head = ("\n" * (number > 0) + _heading_line(heading, items) + "\n").encode("utf-8")
        pieces.append(head)
        at += len(head)
        for gap in items:
            i = old.get(id(gap))
            if i is None and (i := alike.get((gap.kind, gap.node, gap.action))) is not None and last[i] != gap:
                i = None
            if i is None:
                copied()
                piece = "".join(line + "\n" for line in _gap_lines(gap, "kind", 5)).encode("utf-8")
                pieces.append(piece)
                size = len(piece)
            else:
                start, size = old_starts[i], old_sizes[i]
                if start != run[1]:
                    copied()
                    run[0] = start
                run[1] = start + size
            starts.append(at)
            sizes.append(size)
            at += size
    copied()
    return {"text": b"".join(pieces), "starts": np.array(starts, dtype=np.int64),
            "sizes": np.array(sizes, dtype=np.int64)}


def kept_text(source: Store | Snapshot) -> str | None:
    """Return the report with the default settings as the build kept it for the terminal (270,000 lines at
    100,000 articles: printed as it is, nothing is loaded or laid out again), or None when not kept."""
    kept = Snapshot.of(source).kept("gaps-text")
    return None if kept is None else bytes(kept["text"]).decode("utf-8")


def kept_terminal_bytes(source: Store | Snapshot, found: list[Gap], by: str = "kind") -> bytes | None:
    """Return :func:`terminal_text` of ``found`` (gaps of the report the build kept, some or all of them: the
    same objects) as UTF-8, with each gap's evidence lines copied from the kept terminal text (see
    :func:`text_table`) rather than laid out again: only the line naming a gap depends on the order. None
    when the build kept no text, or a gap is not one of the kept report's. At 100,000 articles ``gaps --by
    score`` took 1.03 s where laying out its 250,000 lines took 1.16 s (by dream, 1.5 s either way: grouping
    111,000 gaps by 79,000 dreams and heading each is most of it).

    >>> from dreamgraph.gaps import Gap
    >>> found = [Gap("orphan", "falling", "Falling", 0.6, "link to it", [{"path": "a.txt", "line": 1, "text": ""}])]
    >>> kept = Snapshot(tables={"gaps": found, "gaps-text": text_table(found)})
    >>> kept_terminal_bytes(kept, found, "dream") == terminal_text(found, "dream").encode("utf-8")
    True
    >>> kept_terminal_bytes(kept, [Gap("orphan", "sea", "Sea", 0.6, "link to it")], "dream") is None
    True
    """
    snapshot = Snapshot.of(source)
    report, table = snapshot.kept("gaps"), snapshot.kept("gaps-text")
    if not found or report is None or table is None or len(table["starts"]) != len(report):
        return None
    at = dict(zip(map(id, in_order(report, "kind")), range(len(report))))  # where each is in the kept text
    if not all(map(at.__contains__, map(id, found))):
        return None
    text, starts, sizes = bytes(table["text"]), table["starts"].tolist(), table["sizes"].tolist()
    named: list[str] = []  # the lines that head a group or name a gap (made safe all at once below)
    after: list[bytes] = []  # what follows each: its newline, or a gap's evidence lines
    for number, (_, heading, items) in enumerate(grouped(found, by)):
        if number:
            named.append("")
            after.append(b"\n")
        named.append(_heading_line(heading, items, str))
        after.append(b"\n")
        named += [_naming_line(gap, by) for gap in items]
        for gap in items:
            i = at[id(gap)]
            start, end = starts[i], starts[i] + sizes[i]
            after.append(text[text.index(b"\n", start, end):end])  # the kept lines past the first
    pieces = [b""] * (2 * len(named))
    pieces[0::2] = safe_joined(named).encode("utf-8").split(b"\n")
    pieces[1::2] = after
    return b"\n" + b"".join(pieces)


def markdown(found: list[Gap], by: str = "kind") -> str:
    """Return the report as Markdown: a section per kind (or per dream) with a table of its gaps."""
    lines = ["# Content gaps", ""]
    if not found:
        lines.append("No gaps found.")
    first = {"kind": "node", "dream": "kind"}.get(by, "kind node")
    for _, heading, items in grouped(found, by):
        lines += [f"## {heading} ({len(items)})", "", f"| score | {first} | action | evidence |", "|---|---|---|---|"]
        lines += [f"| {gap.score} | {_markdown_cell(f'`{_about(gap, by)}`')} | {_markdown_cell(gap.action)} | "
                  f"{_markdown_cell('<br>'.join([where(e, link=True) for e in gap.evidence]))} |" for gap in items]
        lines.append("")
    return safe_text("\n".join(lines).rstrip() + "\n", multiline=True)


def _markdown_cell(text: str) -> str:
    """Return text as a cell of a Markdown table: its bars escaped, its line breaks made spaces (a score,
    a number, needs neither)."""
    return text.replace("|", "\\|").replace("\n", " ")


def as_data(found: list[Gap], by: str = "kind") -> list[dict]:
    """Return the report as JSON-ready data: the gaps in ranked order (by kind or by score), or by dream a
    list of ``{"node", "gaps"}``."""
    items = json_items(found, by)
    if by in ("kind", "score"):
        return [gap.as_dict() for gap in items]
    return [{"node": item["node"], "gaps": [gap.as_dict() for gap in item["gaps"]]} for item in items]


def json_items(found: list[Gap], by: str = "kind") -> list:
    """Return the items of :func:`as_data` with every gap as itself, not as a dict: written by
    :func:`dreamgraph.output.json_bytes` (orjson writes a dataclass as the dict ``Gap.as_dict`` makes, in the
    same order), they are the same JSON, without 111,000 dicts made at 100,000 articles (0.15 s)."""
    if by in ("kind", "score"):
        return in_order(found, by)
    return [{"node": node, "gaps": items} for node, _, items in _by_dream(found)]
