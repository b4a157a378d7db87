"""The gap report written out for people: plain text for a terminal, Markdown for a pull request or a wiki,
listed by kind (most valuable kind first, the default) or by dream (each dream once, with all its gaps).

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

from .gaps import Gap
from .output import safe_text

ORDERS = ("kind", "dream")


def where(evidence: dict) -> str:
    """Return one piece of evidence as ``path:line text`` (or its text alone when it has no place)."""
    if not evidence["path"]:
        return evidence["text"]
    place = f"{evidence['path']}:{evidence['line']}" if evidence["line"] else evidence["path"]
    return f"{place} {evidence['text']}".strip()


def grouped(found: list[Gap], by: str = "kind") -> list[tuple[str, str, list[Gap]]]:
    """Return the gaps as (key, heading, gaps) groups, in the order of the ranked list: by kind, or by the
    dream (or cluster) each gap is about, a dream's most valuable gap deciding where it stands."""
    if by not in ORDERS:
        raise ValueError(f"unknown order {by!r}; use one of {', '.join(ORDERS)}")
    groups: dict[str, list[Gap]] = {}
    for gap in found:
        groups.setdefault(gap.kind if by == "kind" else gap.node, []).append(gap)
    if by == "kind":
        return [(kind, kind, items) for kind, items in groups.items()]
    return [(node, f"{node}: {items[0].label if ' ~ ' not in items[0].label else node}", items)
            for node, items in groups.items()]


def text_lines(found: list[Gap], by: str = "kind", evidence: int = 5) -> list[str]:
    """Return the report as lines for a terminal (at most ``evidence`` pieces of evidence a gap), every
    line made safe to print."""
    lines: list[str] = []
    for _, heading, items in grouped(found, by):
        if lines:
            lines.append("")
        lines.append(safe_text(f"{heading} ({len(items)})"))
        for gap in items:
            about = gap.node if by == "kind" else gap.kind
            lines.append(safe_text(f"  {gap.score:>7g}  {about}: {gap.action}"))
            lines.extend(safe_text(f"           {where(e)}"[:160]) for e in gap.evidence[:evidence])
            if len(gap.evidence) > evidence:
                lines.append(f"           … and {len(gap.evidence) - evidence} more")
    return lines


def markdown(found: list[Gap], by: str = "kind") -> str:
    """Return the report as Markdown: a section per kind (or per dream) with a table of its gaps."""
    lines = ["# Content gaps", ""]
    if not found:
        lines.append("No gaps found.")
    first = "node" if by == "kind" else "kind"
    for _, heading, items in grouped(found, by):
        lines += [f"## {heading} ({len(items)})", "", f"| score | {first} | action | evidence |", "|---|---|---|---|"]
        for gap in items:
            cells = [str(gap.score), f"`{gap.node if by == 'kind' else gap.kind}`", gap.action,
                     "<br>".join(where(e) for e in gap.evidence)]
            lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
        lines.append("")
    return safe_text("\n".join(lines).rstrip() + "\n", multiline=True)


def as_data(found: list[Gap], by: str = "kind") -> list[dict]:
    """Return the report as JSON-ready data: the gaps in ranked order, or by dream a list of
    ``{"node", "gaps"}``."""
    if by == "kind":
        return [gap.as_dict() for gap in found]
    return [{"node": key, "gaps": [gap.as_dict() for gap in items]} for key, _, items in grouped(found, by)]
