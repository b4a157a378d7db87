"""What changed between two builds of a library: dreams, links, clusters, gaps and coverage.

A content team runs it on a pull request: ``dreamgraph diff --rev main`` compares the graph at the branch
point with the one just built, and ``--fail-on-new KIND`` fails the check when the change opens a gap of
that kind.

>>> from dreamgraph.store import MemoryStore
>>> before = MemoryStore.from_turtle(b"")
>>> compare(before, before).is_empty()
True
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DreamgraphError
from .gaps import KINDS, Gap, find_gaps, written_per_cluster
from .progression import progression_graph
from .store import GRAPH_FILE, MemoryStore, Store
from .connect import open_store


@dataclass
class GraphDiff:
    """The differences between an old and a new build. Dreams, stubs and clusters are slugs; links are
    (from, to) pairs; gaps are the new and the old report's entries that the other lacks."""

    dreams_added: list[str] = field(default_factory=list)       # written dreams that are new
    dreams_removed: list[str] = field(default_factory=list)     # written dreams that are gone (or became stubs)
    now_stubs: list[str] = field(default_factory=list)          # those of them articles still link to
    stubs_written: list[str] = field(default_factory=list)      # stubs that now have an article
    stubs_added: list[str] = field(default_factory=list)        # dreams linked to, unwritten, new in this build
    stubs_removed: list[str] = field(default_factory=list)      # stubs nothing links to any more (or written)
    links_added: list[tuple[str, str]] = field(default_factory=list)
    links_removed: list[tuple[str, str]] = field(default_factory=list)
    clusters_added: list[str] = field(default_factory=list)
    clusters_removed: list[str] = field(default_factory=list)
    gaps_opened: list[Gap] = field(default_factory=list)
    gaps_closed: list[Gap] = field(default_factory=list)
    coverage: dict[str, tuple[int, int]] = field(default_factory=dict)  # cluster -> written dreams before, after

    def is_empty(self) -> bool:
        """Return True when the two builds hold the same dreams, links, clusters and gaps."""
        return not any(getattr(self, name) for name in self.__dataclass_fields__ if name != "coverage") and all(
            before == after for before, after in self.coverage.values())

    def opened(self, kind: str) -> list[Gap]:
        """Return the gaps of a kind (or of every kind, for "any") that this change opened."""
        return [gap for gap in self.gaps_opened if kind in ("any", gap.kind)]

    def as_dict(self) -> dict:
        """Return the differences as JSON-ready data."""
        data = {name: [list(v) if isinstance(v, tuple) else v for v in getattr(self, name)]
                for name in self.__dataclass_fields__ if name not in ("gaps_opened", "gaps_closed", "coverage")}
        data["gaps_opened"] = [gap.as_dict() for gap in self.gaps_opened]
        data["gaps_closed"] = [gap.as_dict() for gap in self.gaps_closed]
        data["coverage"] = {cluster: {"before": b, "after": a} for cluster, (b, a) in self.coverage.items()}
        return data


def compare(old: Store, new: Store) -> GraphDiff:
    """Return what changed from the build ``old`` to the build ``new``."""
    before, after = progression_graph(old), progression_graph(new)
    written = lambda g: {n for n, stub in g.nodes(data="stub") if not stub}  # noqa: E731
    stubs = lambda g: {n for n, stub in g.nodes(data="stub") if stub}  # noqa: E731
    clusters = lambda g: {c for _, cs in g.nodes(data="clusters") for c in cs}  # noqa: E731
    old_counts, new_counts = written_per_cluster(before), written_per_cluster(after)
    diff = GraphDiff(
        dreams_added=sorted(written(after) - written(before) - stubs(before)),
        dreams_removed=sorted(written(before) - written(after)),
        now_stubs=sorted(written(before) & stubs(after)),
        stubs_written=sorted(stubs(before) & written(after)),
        stubs_added=sorted(stubs(after) - stubs(before) - written(before)),
        stubs_removed=sorted(stubs(before) - stubs(after) - written(after)),
        links_added=sorted(set(after.edges) - set(before.edges)),
        links_removed=sorted(set(before.edges) - set(after.edges)),
        clusters_added=sorted(clusters(after) - clusters(before)),
        clusters_removed=sorted(clusters(before) - clusters(after)),
        coverage={c: (old_counts[c], new_counts[c]) for c in sorted(clusters(before) | clusters(after))},
    )
    key = lambda gap: (gap.kind, gap.node, gap.label)  # noqa: E731
    old_gaps, new_gaps = find_gaps(old), find_gaps(new)
    old_keys, new_keys = {key(g) for g in old_gaps}, {key(g) for g in new_gaps}
    diff.gaps_opened = [g for g in new_gaps if key(g) not in old_keys]
    diff.gaps_closed = [g for g in old_gaps if key(g) not in new_keys]
    return diff


def open_build(where: str | os.PathLike) -> Store:
    """Return the store of a build named by a graph folder or a Turtle file."""
    path = Path(where)
    if path.is_dir():
        if not (path / GRAPH_FILE).is_file():
            raise DreamgraphError(f"{path} has no {GRAPH_FILE}: build it first, or name a Turtle file")
        return open_store(path)
    if path.is_file():
        return turtle_store(path.read_bytes(), str(path))
    raise DreamgraphError(f"{path} is neither a graph folder nor a Turtle file")


def turtle_store(data: bytes, name: str) -> Store:
    """Return an in-memory store of a Turtle document; a document that is not Turtle is a clear error."""
    try:
        return MemoryStore.from_turtle(data)
    except SyntaxError as exc:
        raise DreamgraphError(f"{name} is not a Turtle graph: {exc}") from None


def at_revision(revision: str, graph_dir: Path) -> Store:
    """Return the store of the graph file as it was committed at a git revision (``main``, ``HEAD~3``, a tag)."""
    target = (graph_dir / GRAPH_FILE).resolve()
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=target.parent, capture_output=True,
                             text=True, check=True).stdout.strip()
        relative = target.relative_to(Path(top).resolve()).as_posix()
        shown = subprocess.run(["git", "show", f"{revision}:{relative}"], cwd=top, capture_output=True, check=True)
    except FileNotFoundError:
        raise DreamgraphError("--rev needs git, which is not installed") from None
    except (subprocess.CalledProcessError, ValueError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        detail = detail.decode("utf-8", "replace").strip() if isinstance(detail, bytes) else str(detail).strip()
        raise DreamgraphError(f"cannot read {GRAPH_FILE} at {revision!r} from git"
                              + (f": {detail.splitlines()[0]}" if detail else "")) from None
    return turtle_store(shown.stdout, f"{relative} at {revision}")


def markdown(diff: GraphDiff) -> str:
    """Return the differences as Markdown, to paste into a pull request."""
    lines = ["# What changed in the dream graph", ""]
    if diff.is_empty():
        return "\n".join(lines + ["Nothing: the two builds hold the same dreams, links, clusters and gaps.", ""])
    for title, items in _sections(diff):
        if items:
            lines += [f"## {title} ({len(items)})", "", *[f"- {item}" for item in items], ""]
    changed = {c: v for c, v in diff.coverage.items() if v[0] != v[1]}
    if changed:
        lines += ["## Written dreams per cluster", "", "| cluster | before | after |", "|---|---|---|",
                  *[f"| {c} | {b} | {a} |" for c, (b, a) in changed.items()], ""]
    return "\n".join(lines)


def text_lines(diff: GraphDiff) -> list[str]:
    """Return the differences as lines for a terminal."""
    if diff.is_empty():
        return ["no changes: the two builds hold the same dreams, links, clusters and gaps"]
    lines: list[str] = []
    for title, items in _sections(diff):
        if items:
            lines += [f"{title} ({len(items)})", *[f"  {item}" for item in items], ""]
    changed = {c: v for c, v in diff.coverage.items() if v[0] != v[1]}
    if changed:
        lines += ["written dreams per cluster", *[f"  {c}: {b} → {a}" for c, (b, a) in changed.items()], ""]
    return lines[:-1] if lines and not lines[-1] else lines


def _sections(diff: GraphDiff) -> list[tuple[str, list[str]]]:
    order = {kind: i for i, kind in enumerate(KINDS)}
    gap_text = lambda g: f"{g.kind}: {g.node} — {g.action}"  # noqa: E731
    linked = set(diff.now_stubs)
    removed = [f"{slug} (its article went; articles still link to it: a stub now)" if slug in linked else slug
               for slug in diff.dreams_removed]
    return [
        ("Dreams written", diff.dreams_added), ("Stubs now written", diff.stubs_written),
        ("Dreams removed", removed), ("Stubs new (linked, unwritten)", diff.stubs_added),
        ("Stubs no longer linked", diff.stubs_removed),
        ("Links added", [f"{a} → {b}" for a, b in diff.links_added]),
        ("Links removed", [f"{a} → {b}" for a, b in diff.links_removed]),
        ("Clusters added", diff.clusters_added), ("Clusters removed", diff.clusters_removed),
        ("Gaps opened", [gap_text(g) for g in sorted(diff.gaps_opened, key=lambda g: (order[g.kind], g.node))]),
        ("Gaps closed", [gap_text(g) for g in sorted(diff.gaps_closed, key=lambda g: (order[g.kind], g.node))]),
    ]
