"""The content gap report: what to write or fix next, ranked, with the evidence for each gap.

Each kind of gap is one function below, over the tables of the read model (:mod:`dreamgraph.snapshot`);
the shipped queries ``queries/gap-*.rq`` state the same rules in SPARQL, for users and remote stores, and
the tests keep each equal to its function. :func:`find_gaps` runs them all and returns :class:`Gap`
objects ordered by kind (most valuable first), then by score.

Scores share one scale across kinds: about how many pages' readers meet the problem (its *reach*: the
articles that link to a missing or broken page, the page itself plus the dreams that send readers to it,
the members of a group), times how badly it stops them (the kind's :data:`WEIGHTS`, 1 for a reader who
finds nothing), times how sure the finding is (a similarity, a share of sections missing). A dead end five
dreams lead to (0.7 x 6 = 4.2) comes before a missing article one article links to (1 x 1 + PageRank).

>>> priority("dead-end", reach=6)
4.2

>>> KINDS[0], KINDS[1]
('missing-article', 'broken-link')
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left, insort
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter
from typing import TYPE_CHECKING, Callable, Iterable

from .article import STANDARD_SECTIONS
from .settings import GapSettings
from .slugs import Lookalikes, match_among, may_match
from .snapshot import Snapshot
from .snapshot.articles import changed_articles
from .snapshot.projection import Links, LinkedView, distinct, held_in, offsets_within, strong_groups
from .snapshot.texts import differences, shingle_arrays
from .store import Store

if TYPE_CHECKING:  # networkx is imported where a graph is walked: `dreamgraph gaps` reads the kept report
    import networkx as nx

# Kinds in the order a report lists them: most valuable to act on first.
KINDS = (
    "missing-article",      # a stub many articles send readers to
    "broken-link",          # a link that looks like a typo of a written dream
    "partial-article",      # an article cut off mid-sentence
    "incomplete-article",   # standard sections missing or thin
    "dead-end",             # a written dream with no next stages
    "orphan",               # a written dream nothing links to
    "unreachable",          # a group of dreams no path from the rest reaches
    "near-duplicate",       # two articles on almost the same dream
    "possible-overlap",     # two articles of one cluster that lead to the same dreams, or share a subtitle
    "thin-cluster",         # a cluster with too few written dreams
    "cluster-without-hub",  # a cluster named in prose with no article of its own
    "no-cluster",           # a written dream in no cluster
    "link-suggestion",      # an article names another dream in its prose and does not link to it
    "one-way",              # A → B, and B never leads back to A's cluster (low priority)
)

KIND_ORDER = {kind: i for i, kind in enumerate(KINDS)}
# the kinds whose label joins the labels of more dreams than the one the gap is about (its own first), with
# what joins them; a near-duplicate pair's label joins their names
JOINED_LABELS = {"unreachable": " ↔ ", "possible-overlap": " ~ ", "link-suggestion": " → ", "one-way": " → "}

# How badly each kind stops a reader who meets it: 1 when the reader finds nothing at all.
WEIGHTS = {
    "missing-article": 1.0, "broken-link": 1.0, "partial-article": 0.9, "incomplete-article": 0.8,
    "dead-end": 0.7, "orphan": 0.6, "unreachable": 0.5, "near-duplicate": 0.6, "possible-overlap": 0.3,
    "thin-cluster": 0.4, "cluster-without-hub": 0.5, "no-cluster": 0.3, "link-suggestion": 0.2, "one-way": 0.1,
}


def priority(kind: str, reach: float = 1, confidence: float = 1) -> float:
    """Return a gap's score: the kind's weight x its reach x the confidence of the finding (2 decimals)."""
    return round(WEIGHTS[kind] * reach * confidence, 2)


def arrivals(graph: nx.DiGraph, slug: str) -> int:
    """Return the number of other dreams whose Next Stages send readers to ``slug``."""
    return len(set(graph.predecessors(slug)) - {slug})


@dataclass
class Gap:
    """One gap: its kind, the node it is about, a score (higher acts first), the evidence and what to do."""

    kind: str
    node: str
    label: str
    score: float
    action: str
    evidence: list[dict] = field(default_factory=list)  # {"path", "line", "text"}

    def as_dict(self) -> dict:
        """Return the gap as plain JSON-ready data (the evidence dicts are the gap's own, not copies)."""
        return {"kind": self.kind, "node": self.node, "label": self.label, "score": self.score,
                "action": self.action, "evidence": self.evidence}

    def __reduce__(self):
        """Pickle a gap as its fields, made again by the constructor (a kept report of 11,000 gaps read in
        15 ms rather than 23 ms: a dataclass is otherwise pickled with its attributes' dict, set one by one).

        >>> import pickle
        >>> gap = Gap("orphan", "falling", "Falling", 1.0, "link to it", [{"path": "a.txt", "line": 1, "text": ""}])
        >>> pickle.loads(pickle.dumps(gap)) == gap
        True
        """
        return Gap, (self.kind, self.node, self.label, self.score, self.action, self.evidence)


def own_label(gap: Gap) -> str | None:
    """Return the label of the dream (or cluster) a gap is about: the gap's label, or the first of those its
    label joins when it is about a pair or a group of dreams (see :data:`JOINED_LABELS`); None for a
    near-duplicate pair, whose label joins the dreams' names.

    >>> own_label(Gap("one-way", "falling", "Falling → Flying", 0.1, "bridge it"))
    'Falling'
    """
    if gap.kind == "near-duplicate":
        return None
    joined = JOINED_LABELS.get(gap.kind)
    return gap.label if joined is None else gap.label.split(joined, 1)[0]


def _evidence(path: str, line: int | None, text: str = "") -> dict:
    return {"path": path, "line": line, "text": text}


# --- one function per kind ---------------------------------------------------------------------------

def stub_links(snapshot: Snapshot) -> tuple[dict[str, str], dict[str, list[dict]]]:
    """Return the labels of linked stubs and, per stub, the evidence of every link to it (sorted by path
    and line)."""
    table = snapshot.stub_links
    return ({slug: entry["label"] for slug, entry in table.items()},
            {slug: [_evidence(*link) for link in entry["links"]] for slug, entry in table.items()})


def missing_articles(snapshot: Snapshot, graph: nx.DiGraph, typos: set[str], linked=None) -> list[Gap]:
    """Stubs that written articles link to, by demand: the linking articles, plus PageRank (under 1) to order
    dreams of equal demand.

    ``linked`` is what :func:`stub_links` returns, when the caller has it already.
    """
    pagerank = _pagerank(snapshot, graph)
    labels, links = linked or stub_links(snapshot)
    gaps = []
    for slug, evidence in links.items():
        if slug in typos:
            continue
        articles = len({e["path"] for e in evidence})
        gaps.append(Gap("missing-article", slug, labels[slug],
                        round(priority("missing-article", articles) + pagerank.get(slug, 0), 4),
                        f"write an article for '{labels[slug]}': "
                        + (f"{articles} articles send" if articles != 1 else "1 article sends") + " readers there", evidence))
    return gaps


def _pagerank(snapshot: Snapshot, graph: nx.DiGraph) -> dict[str, float]:
    """Return each dream's PageRank as the rankings have it (rounded to 6 places): kept by the build (0.2 s
    at 10,000 dreams to compute again), else computed; nothing for a graph without links."""
    if not graph.number_of_edges():
        return {}
    kept = snapshot.kept("rankings")
    if kept is not None:
        return {row["slug"]: row["pagerank"] for row in kept}
    import networkx as nx

    return {node: round(value, 6) for node, value in nx.pagerank(graph).items()}


def broken_links(snapshot: Snapshot, graph: nx.DiGraph, settings: GapSettings, linked=None,
                 foreign: set[str] = frozenset()) -> list[Gap]:
    """Links to unwritten dreams whose slug is a close spelling of the slug of a written dream in the
    article format: a ``foreign`` page (none of the standard sections) is never taken for the dream meant.
    Scored by the linking articles times the similarity."""
    labels, links = linked or stub_links(snapshot)
    table = snapshot.kept("typos") if settings.typo_similarity == GapSettings().typo_similarity else None
    if table is None or not set(links) <= set(table["matches"]):
        table = typo_table(lookalike_targets(graph, foreign), links, settings.typo_similarity)
    gaps = []
    for slug, evidence in links.items():
        match = table["matches"][slug]
        if match:
            articles = len({e["path"] for e in evidence})
            gaps.append(Gap("broken-link", slug, labels[slug], priority("broken-link", articles, match[1] / 100),
                            f"'{slug}' looks like '{match[0]}': fix the link or add an alias", evidence))
    return gaps


def lookalike_targets(graph: nx.DiGraph, foreign: set[str]) -> list[str]:
    """Return the written dreams a link to an unwritten one may have meant: those in the article format."""
    return sorted(slug for slug, stub in graph.nodes(data="stub") if not stub and slug not in foreign)


def typo_table(written: list[str], stubs, cutoff: float, last: dict | None = None) -> dict:
    """Return the table of look-alikes: for each stub, the written dream its slug is a slip for (slug,
    similarity; see :class:`dreamgraph.slugs.Lookalikes`) or None, with the written slugs' digest and the
    cutoff. ``last`` is the last build's table: when the written slugs and cutoff are the same, its answers
    are kept and only new stubs are matched (3.6 s at 100,000 articles, twice, before).

    >>> typo_table(["flying"], ["flyng", "swimming"], 85)["matches"]
    {'flyng': ('flying', 90.91), 'swimming': None}
    """
    digest = written_digest(written)
    old = last["matches"] if last and last.get("written") == digest and last.get("cutoff") == cutoff else {}
    stubs = sorted(stubs)
    new = [stub for stub in stubs if stub not in old]
    # a few stubs are matched among the slugs that can be their candidates (a scan of the slugs' text),
    # more against an index of them all (0.06 s to make at 10,000 written dreams, 0.5 s at 100,000)
    lookalikes = Lookalikes(written) if len(new) > FEW_STUBS else None
    matches = {}
    for stub in stubs:
        if stub in old:
            matches[stub] = old[stub]
        else:
            matches[stub] = lookalikes.match(stub, cutoff) if lookalikes else match_among(stub, written, cutoff)
    return {"written": digest, "cutoff": cutoff, "matches": matches}


FEW_STUBS = 16  # new stubs matched one by one (see typo_table)


def written_digest(written: list[str]) -> str:
    """Return the digest of the written slugs (sorted) a :func:`typo_table` was matched with."""
    return hashlib.sha256("\n".join(written).encode("utf-8", "surrogatepass")).hexdigest()


def written_lookalikes(stubs: Iterable[str], added: list[str], cutoff: float) -> list[str]:
    """Return the ``stubs`` one of the written slugs ``added`` to a library may be the look-alike of: those
    it would be the match of were it the only written slug (see :class:`dreamgraph.slugs.Lookalikes`). For
    any other stub the match among all the written slugs is the one it was: a slug outside a stub's index
    keys and words is never its candidate.

    Only the stubs that can be one's candidate are matched (see :func:`dreamgraph.slugs.may_match`): at
    100,000 articles, matching every stub took 0.1-0.19 s of an article's addition.

    >>> written_lookalikes(["flyng", "swimming", "losing-control"], ["flying", "losing-control-in-a-dream"], 85)
    ['flyng', 'losing-control']
    """
    if not added:
        return []
    lookalikes, may = Lookalikes(added), may_match(added)
    return [stub for stub in stubs if may(stub) and lookalikes.match(stub, cutoff) is not None]


def partial_articles(graph: nx.DiGraph, matrix: list[dict]) -> list[Gap]:
    """Articles whose text stops mid-sentence, scored by the page and the dreams that send readers to it."""
    partial = {node for node, cut in graph.nodes(data="partial") if cut}
    return [Gap("partial-article", e["dream"], e["label"],
                priority("partial-article", 1 + arrivals(graph, e["dream"])),
                "the article stops mid-sentence: re-export or finish it", [_evidence(e["path"], e["line"])])
            for e in matrix if e["dream"] in partial]


def not_in_format(entry: dict) -> bool:
    """Return True when a written dream's article has none of the standard sections (a title-only page, or
    a page from another site)."""
    return not any(_SECTION_COUNTS(entry))


_SECTION_COUNTS = itemgetter(*STANDARD_SECTIONS)  # a completeness row's count of each standard section


def unformatted_articles(graph: nx.DiGraph, matrix: list[dict], unformatted: set[str]) -> list[Gap]:
    """Articles with a dream title but none of the standard sections: one gap each, instead of one per
    missing section (and a dead end, and no cluster)."""
    return [Gap("incomplete-article", e["dream"], e["label"],
                priority("incomplete-article", 1 + arrivals(graph, e["dream"])),
                "not in the article format: write its sections (" + ", ".join(STANDARD_SECTIONS.values()) + ")",
                [_evidence(e["path"], e["line"], "none of the standard sections")])
            for e in matrix if e["dream"] in unformatted]


def completeness_matrix(source: Store | Snapshot) -> list[dict]:
    """Return, for every written dream (sorted by slug), its slug, label, path, line and the number of
    items of each standard section."""
    return Snapshot.of(source).completeness


def incomplete_articles(graph: nx.DiGraph, matrix: list[dict], settings: GapSettings) -> list[Gap]:
    """Articles with standard sections missing, or with fewer items than ``min_items`` (The Sentence needs one),
    scored by the page and the dreams that send readers to it, times the share of its sections missing (a
    thin one counts half).

    Next Stages is left to :func:`dead_ends`, so a missing one is reported once.
    """
    checked = len(STANDARD_SECTIONS) - 1
    gaps = []
    for entry in matrix:
        missing, thin = [], []
        for key, heading in STANDARD_SECTIONS.items():
            if key == "next-stages":
                continue  # an article without next stages is a dead end, reported as such
            count = entry[key]
            needed = 1 if key == "the-sentence" else settings.min_items
            if count == 0:
                missing.append(heading)
            elif count < needed:
                thin.append(f"{heading} ({count})")
        if missing or thin:
            parts = ([f"add {', '.join(missing)}"] if missing else []) + ([f"expand {', '.join(thin)}"] if thin else [])
            share = (len(missing) + len(thin) / 2) / checked
            gaps.append(Gap("incomplete-article", entry["dream"], entry["label"],
                            priority("incomplete-article", 1 + arrivals(graph, entry["dream"]), share),
                            "; ".join(parts), [_evidence(entry["path"], entry["line"],
                                                         ", ".join(f"missing {m}" for m in missing)
                                                         + ("; " if missing and thin else "")
                                                         + ", ".join(f"thin {t}" for t in thin))]))
    return gaps


def dead_ends(graph: nx.DiGraph, matrix: list[dict]) -> list[Gap]:
    """Written dreams with no next stages, scored by the page and the dreams that send readers there."""
    return [Gap("dead-end", e["dream"], e["label"], priority("dead-end", 1 + arrivals(graph, e["dream"])),
                "add Next Stages so readers can go on", [_evidence(e["path"], e["line"])])
            for e in matrix if e["next-stages"] == 0]


def is_orphan(graph: nx.DiGraph, slug: str) -> bool:
    """Return True when no dream but the dream itself links to it."""
    degree = graph.in_degree(slug)
    return degree == 0 or (degree == 1 and graph.has_edge(slug, slug))


def orphans(graph: nx.DiGraph, matrix: list[dict]) -> list[Gap]:
    """Written dreams that no other dream links to."""
    return [Gap("orphan", e["dream"], e["label"], priority("orphan"),
                "link to it from the Next Stages of a related dream", [_evidence(e["path"], e["line"])])
            for e in matrix if is_orphan(graph, e["dream"])]


def unreachable_groups(graph: nx.DiGraph) -> list[Gap]:
    """Groups of dreams that link among themselves but that no path from the rest of the library reaches.

    A strongly connected group with no link coming in from outside it; single dreams with no incoming link
    are orphans and reported as such. (The groups are found by igraph: see
    :func:`~dreamgraph.snapshot.projection.strong_groups`.)
    """
    import numpy as np

    if not len(graph):
        return []
    nodes, group_of, edges = strong_groups(graph)
    entered = np.zeros(int(group_of.max()) + 1, dtype=bool)
    entered[group_of[edges[:, 1]][group_of[edges[:, 0]] != group_of[edges[:, 1]]]] = True
    groups: dict[int, list[str]] = defaultdict(list)
    for node, group in zip(nodes, group_of.tolist()):
        if not entered[group]:
            groups[group].append(node)
    gaps = []
    for members in groups.values():
        members.sort()
        if len(members) == len(graph) or (len(members) == 1 and not graph.has_edge(members[0], members[0])):
            continue
        if all(graph.nodes[m]["stub"] for m in members):
            continue
        gaps.append(Gap("unreachable", members[0], " ↔ ".join(graph.nodes[m]["label"] for m in members),
                        priority("unreachable", sum(not graph.nodes[m]["stub"] for m in members)),
                        f"link into this group of {len(members)} dreams from the rest of the library",
                        [_evidence("", None, "the group: " + ", ".join(members)),
                         _evidence("", None, "a loop in it: " + " → ".join(loop_through(graph, members[0], set(members))))]))
    return gaps


def loop_through(graph: nx.DiGraph, start: str, within: set[str]) -> list[str]:
    """Return a shortest loop from ``start`` back to itself through dreams of ``within`` (every step a real
    next stage), written with ``start`` at both ends; ``[start]`` when there is none.

    >>> import networkx as nx
    >>> loop_through(nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a"), ("b", "a")]), "a", {"a", "b", "c"})
    ['a', 'b', 'a']
    """
    if graph.has_edge(start, start):
        return [start, start]
    before = {start: None}
    queue = [start]
    for node in queue:
        for nxt in sorted(graph.successors(node)):
            if nxt == start:
                path = [node]
                while before[path[-1]] is not None:
                    path.append(before[path[-1]])
                return [*reversed(path), start]
            if nxt in within and nxt not in before:
                before[nxt] = node
                queue.append(nxt)
    return [start]


def written_per_cluster(graph: nx.DiGraph) -> Counter:
    """Return the number of written dreams in each cluster (by slug)."""
    stub = dict(graph.nodes(data="stub"))
    return Counter(c for node, clusters in graph.nodes(data="clusters") if not stub[node] for c in clusters)


def has_hub(graph: nx.DiGraph, cluster: str) -> bool:
    """Return True when a written dream has the cluster's slug: the cluster's hub article."""
    return cluster in graph and not graph.nodes[cluster]["stub"]


def clusters(snapshot: Snapshot, graph: nx.DiGraph, settings: GapSettings) -> list[Gap]:
    """Clusters with fewer than ``min_cluster_size`` written dreams, and clusters with no hub article
    (a written dream with the cluster's slug). ``gap-clusters.rq`` asks the same of the graph.

    A thin cluster is scored by the dreams it lacks; a cluster without a hub by its written dreams and the hub.
    """
    written = written_per_cluster(graph)
    gaps = []
    for slug, entry in snapshot.clusters.items():
        size = written[slug]
        evidence = [_evidence(path, None, "names the cluster") for path in entry["sources"]]
        for label in entry["labels"]:
            if size < settings.min_cluster_size:
                gaps.append(Gap("thin-cluster", slug, label, priority("thin-cluster", settings.min_cluster_size - size),
                                f"the cluster has {size} written dream{'s' * (size != 1)}: "
                                f"write {settings.min_cluster_size - size} more", list(evidence)))
            if not has_hub(graph, slug):
                gaps.append(Gap("cluster-without-hub", slug, label, priority("cluster-without-hub", 1 + size),
                                f"write a hub article for the '{label}' cluster", list(evidence)))
    return gaps


def no_cluster(graph: nx.DiGraph, matrix: list[dict]) -> list[Gap]:
    """Written dreams whose article names no cluster."""
    return [Gap("no-cluster", e["dream"], e["label"], priority("no-cluster"),
                "name the dream's cluster in its article", [_evidence(e["path"], e["line"])])
            for e in matrix if not graph.nodes[e["dream"]]["clusters"]]


def near_duplicates(snapshot: Snapshot, settings: GapSettings) -> list[Gap]:
    """Pairs of written articles whose Quick Answer and scenario text overlap heavily (possible cannibalisation).

    The similarity is the share of the shorter article's three-word shingles that the other article also has
    (so a short sibling of a long article still counts; the score is the two pages times that share),
    counting only shingles found in 2 to 50 articles (more: boilerplate, not a sign of duplication). See
    :func:`similar_pairs` for how the pairs are found.
    """
    kept = snapshot.kept("near-pairs") if settings.duplicate_similarity == GapSettings().duplicate_similarity else None
    if kept is None:
        slugs, hashes, sizes = shingle_arrays(snapshot.shingles)
        kept = [(slugs[i], slugs[j], share) for i, j, share in similar_pairs(hashes, sizes, settings.duplicate_similarity)]
    gaps = []
    for a, b, share in kept:
        gaps.append(Gap("near-duplicate", a, f"{a} ~ {b}", priority("near-duplicate", 2, share),
                        f"'{a}' and '{b}' cover almost the same dream: merge them or make them distinct",
                        [_evidence("", None, f"{share:.0%} of their Quick Answer and scenario text is shared")]))
    return gaps


def similar_pairs(hashes, sizes, threshold: float, most_shared: int = 50) -> list[tuple[int, int, float]]:
    """Return (i, j, share) for every pair of articles i < j that share at least ``threshold`` of the smaller
    one's shingles (``sizes[i]`` of them, laid end to end in ``hashes``), where the smaller has 10 or more;
    only shingles found in 2 to ``most_shared`` articles count as shared.

    Each article is compared only with those holding one of its rarest shingles (prefix filtering): a pair
    sharing ``need`` of the smaller article's counted shingles shares one of any ``counted - need + 1`` of
    them, and the rarest are held by few. Most articles have too few counted shingles to reach the threshold
    and are never looked at; the pairs found are then counted exactly. Counting the shared shingles of all
    pairs instead (a sparse matrix product) grew with the square of the articles holding each shingle: it
    took 11.8-12.4 s at 100,000 articles, this 3.4-3.8 s (0.65-1.0 s at 10,000, this 0.25 s). But where
    those pairs are fewer than the candidates' shingles (a library written from a small vocabulary, whose
    articles share shingles with most others: at 1,000 articles 594,000 pairs against 94 million shingles,
    7.3 s), the pairs every counted shingle makes are counted at once instead (:func:`_pairs_sharing`,
    0.17 s there), up to :data:`PAIRED_AT_ONCE` of them.

    >>> import numpy as np
    >>> a, b, c = np.arange(20, dtype=np.uint64), np.arange(5, 25, dtype=np.uint64), np.arange(100, 120, dtype=np.uint64)
    >>> similar_pairs(np.concatenate([a, b, c]), np.array([20, 20, 20]), 0.4)
    [(0, 1, 0.75)]
    """
    import numpy as np

    count = len(sizes)
    if not len(hashes):
        return []
    sizes = np.asarray(sizes, dtype=np.int64)
    numbers, by_value, spread = _grouped(hashes)
    # an article's shingles are distinct: ``spread`` counts the articles holding each
    counting = (spread > 1) & (spread <= most_shared)  # each distinct shingle's: counted or not
    counts = counting[numbers]
    kept = spread[counting].astype(np.int64)  # the articles holding each counted shingle
    del counting
    numbers = numbers[counts]  # each article's counted shingles, and their articles
    ends = np.cumsum(sizes)  # where each article's shingles end
    mine = np.searchsorted(ends, np.flatnonzero(counts), "right").astype(np.int32)
    del counts
    held = spread[numbers]
    counted = np.bincount(mine, minlength=count)
    # the shingles an article must share to be the smaller of a pair: one fewer than the threshold's share of
    # its own, so that rounding never drops a pair (those found are judged exactly below), and at least one
    need = np.maximum(np.ceil(threshold * sizes).astype(np.int64) - 1, 1)
    prefix = np.where(sizes >= 10, counted - need + 1, 0)
    # the rarity up to which an article's counted shingles are probed: the least that takes in its prefix
    rarity = np.cumsum(np.bincount(mine.astype(np.int64) * (most_shared + 1) + held,
                                   minlength=count * (most_shared + 1)).reshape(count, most_shared + 1), axis=1)
    reach = np.where(prefix > 0, np.argmax(rarity >= prefix[:, None], axis=1), -1)
    del rarity
    probing = np.flatnonzero(held <= reach[mine])
    # the articles holding each probing shingle (those holding a counted shingle all count it)
    values, spans = numbers[probing], held[probing].astype(np.int64)
    value_starts = np.concatenate([[0], np.cumsum(spread)])
    offsets = offsets_within(spans)
    first = np.repeat(mine[probing].astype(np.int64), spans)
    second = np.searchsorted(ends, by_value[np.repeat(value_starts[values], spans) + offsets], "right")
    del by_value
    found = (second != first) & (sizes[second] >= sizes[first])  # from the smaller (both, when as large)
    pairs = distinct(np.minimum(first, second)[found] * count + np.maximum(first, second)[found])
    first, second = pairs // count, pairs % count
    # the pairs' shingles, sorted to count those shared, against the pairs every counted shingle makes
    keys, made = int((counted[first] + counted[second]).sum()), int((kept * (kept - 1) // 2).sum())
    if made <= min(keys, PAIRED_AT_ONCE):  # (a small vocabulary: most articles share shingles with most)
        first, second, common = _pairs_sharing(numbers, mine, count)
    else:
        common = _shared_counts(first, second, numbers, np.concatenate([[0], np.cumsum(counted)]))
    smaller = np.minimum(sizes[first], sizes[second])
    share = common / np.maximum(smaller, 1)
    hit = np.flatnonzero((common > 0) & (smaller >= 10) & (share >= threshold))
    return list(zip(first[hit].tolist(), second[hit].tolist(), share[hit].tolist()))


PAIRED_AT_ONCE = 1 << 24  # pairs of articles made from the shingles they share, at most (see similar_pairs)


def _pairs_sharing(values, owners, count: int):
    """Return every pair (i, j), i < j, of ``owners`` (numbers under ``count``) that hold a value in common,
    and how many values each pair shares, in the order of i, then j: each value's owners paired, the
    pairs counted. ``values`` and ``owners`` are in step, ordered by owner, and an owner holds a value once.
    This grows with the square of the owners of each value, where :func:`_shared_counts` grows with the
    values of the pairs it is given.

    >>> import numpy as np
    >>> [a.tolist() for a in _pairs_sharing(np.array([5, 7, 5, 7, 9, 5]), np.array([0, 0, 1, 1, 1, 2]), 3)]
    [[0, 0, 1], [1, 2, 2], [2, 1, 1]]
    """
    import numpy as np

    order = np.argsort(values, kind="stable")  # by value, each value's owners in order
    held = owners[order].astype(np.int64)
    sizes = np.bincount(values)
    sizes = sizes[sizes > 0]
    later = np.repeat(sizes, sizes) - 1 - offsets_within(sizes)  # the owners after each in its value's
    first = np.repeat(held, later)
    second = held[np.repeat(np.arange(1, len(held) + 1), later) + offsets_within(later)]
    keys = np.sort(first * count + second)
    if not len(keys):
        return keys, keys, keys
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    common = np.diff(np.append(starts, len(keys)))
    return keys[starts] // count, keys[starts] % count, common


def _shared_counts(first, second, values, starts, chunk: int = 1 << 22):
    """Return, for each pair of segments (``first[i]``, ``second[i]``) of ``values`` (segment n from
    ``starts[n]`` to ``starts[n + 1]``, its values distinct and under 2**31), how many values the two share:
    each value keyed by its pair, sorted, and the keys that repeat counted (``chunk`` keys at a time).

    >>> import numpy as np
    >>> _shared_counts(np.array([0, 0]), np.array([1, 2]), np.array([1, 2, 3, 2, 3, 4, 9]), np.array([0, 3, 6, 7])).tolist()
    [2, 0]
    """
    import numpy as np

    shared = np.zeros(len(first), dtype=np.int64)
    lengths = starts[1:] - starts[:-1]
    ends = np.cumsum(lengths[first] + lengths[second])  # the keys up to each pair's
    at = 0
    while at < len(first):  # pairs up to ``chunk`` keys (one pair at least)
        end = max(int(np.searchsorted(ends, (ends[at - 1] if at else 0) + chunk, "right")), at + 1)
        pairs = np.arange(at, end, dtype=np.int64)
        segments, owners = np.concatenate([first[at:end], second[at:end]]), np.concatenate([pairs, pairs])
        sizes = lengths[segments]
        offsets = offsets_within(sizes)
        keys = np.repeat(owners, sizes) << 31 | values[np.repeat(starts[segments], sizes) + offsets]
        keys.sort()
        twice = keys[1:][keys[1:] == keys[:-1]]
        shared[at:end] = np.bincount((twice >> 31) - at, minlength=end - at)
        at = end
    return shared


_SPREAD = (0xBF58476D1CE4E5B9, 0x94D049BB133111EB)  # SplitMix64's finalizer: every bit of a hash in the high ones


def _grouped(hashes, index_bits: int = 0, chunk: int = 1 << 20):
    """Return, for ``hashes``, a number for each distinct value (each hash's, 32-bit), the places of the
    hashes ordered by those numbers (hashes of one value by place), and how many hashes have each number.

    The hashes are grouped by sorting their values' high bits with each hash's place packed in the low ones
    (a plain sort, several times faster than sorting their places by value: at 100,000 articles, 18 million
    shingles, 1.7-2.3 s against 6.3 s, and less memory); values alike in those bits are then told apart whole.
    The values are first mixed (SplitMix64's finalizer), since a shingle's hash keeps its last word in its low
    bits. The numbers follow the mixed values, not the values. ``index_bits`` (tests) keeps more low bits.

    >>> import numpy as np
    >>> numbers, by_value, spread = _grouped(np.array([30, 10, 30, 20], dtype=np.uint64))
    >>> numbers.tolist()[0] == numbers.tolist()[2] != numbers.tolist()[1], sorted(spread.tolist())
    (True, [1, 1, 2])
    """
    import numpy as np

    count = len(hashes)
    if not count:
        return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.int32), np.empty(0, dtype=np.int32)
    bits = max(1, (count - 1).bit_length(), index_bits)
    shift, low = np.uint64(bits), np.uint64((1 << bits) - 1)
    key = np.empty(count, dtype=np.uint64)
    by_value = np.empty(count, dtype=np.int32 if count < 2**31 else np.int64)
    with np.errstate(over="ignore"):
        for start in range(0, count, chunk):  # a chunk at a time: whole, each step took another 146 MB at 100,000
            part = hashes[start:start + chunk] ^ (hashes[start:start + chunk] >> np.uint64(30))
            part *= np.uint64(_SPREAD[0])
            part ^= part >> np.uint64(27)
            part *= np.uint64(_SPREAD[1])
            part ^= part >> np.uint64(31)
            part >>= shift
            part <<= shift
            part |= np.arange(start, start + len(part), dtype=np.uint64)
            key[start:start + chunk] = part
    key.sort()
    for start in range(0, count, chunk):
        by_value[start:start + chunk] = key[start:start + chunk] & low
    key >>= shift
    alike = key[1:] == key[:-1]  # the same high bits
    del key
    differ = np.empty(max(count - 1, 0), dtype=bool)  # another value (compared a chunk at a time, as above)
    for start in range(0, count - 1, chunk):
        values = hashes[by_value[start:start + chunk + 1]]
        differ[start:start + len(values) - 1] = values[1:] != values[:-1]
    mixed = np.flatnonzero(alike & differ)
    if len(mixed):  # values alike in their high bits: the runs of those bits holding them sorted by value
        bounds = np.concatenate([[0], np.flatnonzero(~alike) + 1, [count]])  # where each run begins, and the end
        runs = distinct(np.searchsorted(bounds, mixed, "right") - 1)
        begin, lengths = bounds[runs], bounds[runs + 1] - bounds[runs]
        del bounds
        at = np.repeat(begin, lengths) + offsets_within(lengths)
        whole = hashes[by_value[at]]
        order = np.lexsort((by_value[at], whole, np.repeat(runs, lengths)))  # each run stays where it is
        by_value[at], whole = by_value[at][order], whole[order]
        inside = np.flatnonzero(np.diff(at) == 1)
        differ[at[inside]] = whole[inside + 1] != whole[inside]
    del alike
    numbered = np.empty(count, dtype=np.int32)  # each value's number, in order
    numbered[0] = 0
    np.cumsum(differ, dtype=np.int32, out=numbered[1:])
    begins = np.zeros(int(numbered[-1]) + 1, dtype=np.int32)  # where each value's run begins
    for start in range(0, count - 1, chunk):  # (numpy's bincount of them all took another 139 MB)
        found = np.flatnonzero(differ[start:start + chunk]) + start + 1
        begins[numbered[found]] = found
    del differ
    spread = np.diff(begins, append=np.int32(count))
    numbers = np.empty(count, dtype=np.int32)
    numbers[by_value] = numbered
    return numbers, by_value, spread


def updated_pairs(old: tuple, old_pairs: list[tuple[str, str, float]], new: tuple | _Replaced, threshold: float,
                  most_shared: int = 50, most_changed: float = 0.05,
                  changed: set[str] | None = None) -> list[tuple[int, int, float]] | None:
    """Return :func:`similar_pairs` of the shingle table ``new`` (slugs, hashes, sizes; or the old one with a
    few dreams' shingles replaced, see :class:`_Replaced`) from the table of the previous build, ``old``, and
    its pairs (by slug), finding again only what a change can move: the pairs of a changed, added or removed
    article, and the pairs of unchanged articles that share a shingle whose count crossed ``most_shared`` (a
    shingle counts or not by how many articles have it). Returns None when more than ``most_changed`` of the
    articles changed (computing them all is then as fast). ``changed``, when the caller knows it, holds every
    article whose shingles may differ (more do no harm); else the two tables are compared (at 100,000
    articles, 18 million shingles: their temporary arrays cost a rebuild 1 s).

    >>> import numpy as np
    >>> a, b, c = np.arange(20, dtype=np.uint64), np.arange(5, 25, dtype=np.uint64), np.arange(100, 120, dtype=np.uint64)
    >>> old = (["a", "b", "c"], np.concatenate([a, b, c]), np.array([20, 20, 20]))
    >>> new = (["a", "b", "c"], np.concatenate([a, b, a]), np.array([20, 20, 20]))  # c now copies a
    >>> updated_pairs(old, [("a", "b", 0.75)], new, 0.4, most_changed=1) == similar_pairs(new[1], new[2], 0.4)
    True
    >>> updated_pairs(old, [("a", "b", 0.75)], _Replaced(old, {"c": a}), 0.4, most_changed=1) == similar_pairs(new[1], new[2], 0.4)
    True
    """
    import numpy as np

    table = new if isinstance(new, _Replaced) else _Whole(*new)
    slugs, sizes, index = table.slugs, table.sizes, table.index
    old_starts = np.concatenate([[0], np.cumsum(old[2])])
    old_index = index if slugs is old[0] else {slug: n for n, slug in enumerate(old[0])}  # the same dreams: one index
    if changed is None:
        changed = _changed_articles(old, new if isinstance(new, tuple) else table.whole())
    if len(changed) > most_changed * max(len(slugs), 1):
        return None
    now_of = table.of

    def before_of(slug: str):
        return old[1][old_starts[old_index[slug]]:old_starts[old_index[slug] + 1]]

    # how many articles held each shingle a change touches, before and now (each article holds a shingle
    # once, so the articles holding it are the places it is at: found for these values alone, not by
    # sorting all 18 million shingles of 100,000 articles, 0.7 s)
    gone = np.concatenate([before_of(s) for s in sorted(changed) if s in old_index] or [np.empty(0, np.uint64)])
    came = np.concatenate([now_of(s) for s in sorted(changed) if s in index] or [np.empty(0, np.uint64)])
    touched = distinct(np.concatenate([gone, came]))
    held = table.holders(touched)
    spread_now = held.spread(touched)
    gone, came = np.sort(gone), np.sort(came)
    spread_before = (spread_now - (np.searchsorted(came, touched, "right") - np.searchsorted(came, touched, "left"))
                     + (np.searchsorted(gone, touched, "right") - np.searchsorted(gone, touched, "left")))

    def counts(held):  # whether a shingle held by so many articles counts as shared
        return (held > 1) & (held <= most_shared)

    crossed = touched[counts(spread_before) != counts(spread_now)]
    unchanged = np.array([s not in changed for s in slugs], dtype=bool)
    # the shingles of each changed article that count
    counted = {slug: now_of(slug)[counts(held.spread(now_of(slug)))] for slug in sorted(changed & set(index))}
    held_by = held.owners(distinct(np.concatenate([crossed, *counted.values()])))
    recheck: set[tuple[int, int]] = set()
    for value in crossed.tolist():
        holders = sorted(n for n in held_by[value] if unchanged[n])
        recheck.update((a, b) for i, a in enumerate(holders) for b in holders[i + 1:])
    commons = {(x, y): np.intersect1d(now_of(slugs[x]), now_of(slugs[y]), assume_unique=True) for x, y in recheck}
    if commons:  # the shingles two rechecked articles share, looked up too
        held = table.holders(distinct(np.concatenate([touched, *commons.values()])))

    def shared(x: int, y: int) -> int:
        return int(counts(held.spread(commons[x, y])).sum())

    found: dict[tuple[int, int], float] = {}

    def judge(x: int, y: int, common: int) -> None:  # the rule of similar_pairs
        smaller = min(sizes[x], sizes[y])
        share = common / max(smaller, 1)
        if smaller >= 10 and share >= threshold:
            found[min(x, y), max(x, y)] = float(share)

    for a, b, share in old_pairs:  # pairs of unchanged articles stand, unless a shingle they share crossed
        if a not in changed and b not in changed:
            pair = tuple(sorted((index[a], index[b])))
            if pair not in recheck:
                found[pair] = share
    for x, y in recheck:
        judge(x, y, shared(x, y))
    for slug, values in counted.items():  # each changed article against every article holding its shingles
        x = index[slug]
        others = np.array([n for value in values.tolist() for n in held_by[value]], dtype=np.int64)
        common = np.bincount(others[others != x], minlength=len(slugs))
        for y in np.flatnonzero(common):
            judge(x, int(y), int(common[y]))
    return sorted((a, b, share) for (a, b), share in found.items())


class _Whole:
    """A shingle table (slugs, hashes, sizes) as :func:`updated_pairs` reads it."""

    def __init__(self, slugs, hashes, sizes):
        import numpy as np

        self.slugs, self.hashes, self.sizes = slugs, hashes, sizes
        self.starts = np.concatenate([[0], np.cumsum(sizes)])  # where each article's shingles begin
        self.index = {slug: n for n, slug in enumerate(slugs)}

    def of(self, slug: str):
        """The shingles of one article."""
        n = self.index[slug]
        return self.hashes[self.starts[n]:self.starts[n + 1]]

    def holders(self, values) -> _Holders:
        """The articles holding each of a few ``values`` (sorted, distinct)."""
        return _Holders.of(self.hashes, self.starts, values)


class _Replaced(_Whole):
    """A shingle table that is ``old`` (slugs, hashes, sizes) with the shingles of a few of its articles
    replaced, of a few new ones put in their places (``arrays``: slug -> array) and of those ``removed``
    taken out, read without being laid out: a patch writes the table's file meanwhile (see
    :func:`near_pairs_patched`)."""

    def __init__(self, old: tuple, arrays: dict[str, object], removed: Iterable[str] = ()):
        import numpy as np

        super().__init__(*old)
        self.old_slugs, self.old_index, self.renumber = old[0], self.index, None
        new = sorted(slug for slug in arrays if slug not in self.old_index)
        self.removed = sorted(slug for slug in removed if slug in self.old_index)
        sizes = old[2].copy()
        if new or self.removed:  # numbered in their places, the old articles after each one number further
            count = len(old[0])
            places = [bisect_left(old[0], slug) for slug in new]
            self.renumber = np.arange(count) + np.searchsorted(places, np.arange(count), side="right")
            gone = np.zeros(count, dtype=bool)
            gone[[self.old_index[slug] for slug in self.removed]] = True
            self.renumber -= np.cumsum(gone)  # (those taken out numbered -1)
            self.renumber[gone] = -1
            slugs = np.empty(count + len(new) - len(self.removed), dtype=object)
            slugs[self.renumber[~gone]] = np.asarray(old[0], dtype=object)[~gone]
            slugs[[place + n - int(gone[:place].sum()) for n, place in enumerate(places)]] = new
            self.slugs = slugs.tolist()
            self.index = {slug: n for n, slug in enumerate(self.slugs)}
            sizes = np.zeros(len(self.slugs), dtype=np.int64)
            sizes[self.renumber[~gone]] = old[2][~gone]
        self.arrays = {self.index[slug]: array for slug, array in arrays.items()}  # by place
        for n, array in self.arrays.items():
            sizes[n] = len(array)
        self.sizes = sizes

    def of(self, slug: str):
        n = self.index[slug]
        if n in self.arrays:
            return self.arrays[n]
        n = self.old_index[slug]
        return self.hashes[self.starts[n]:self.starts[n + 1]]

    def holders(self, values) -> _Holders:
        return _Holders.of(self.hashes, self.starts, values, self.arrays, self.renumber)

    def whole(self) -> tuple:
        """The table laid out: (slugs, hashes, sizes)."""
        import numpy as np

        # (place in the old table, 0: new shingles go before the old article there, or 1: it is left out)
        events = sorted([(self.old_index[slug], 1, slug) for slug in self.removed]
                        + [(bisect_left(self.old_slugs, self.slugs[n]), 0, self.slugs[n])
                           if self.slugs[n] not in self.old_index else (self.old_index[self.slugs[n]], 1, self.slugs[n])
                           for n in self.arrays])
        parts, at = [], 0  # the next old article to copy
        for place, left_out, slug in events:
            parts.append(self.hashes[self.starts[at]:self.starts[place]])
            if slug in self.index:
                parts.append(np.asarray(self.arrays[self.index[slug]], dtype=np.uint64))
            at = place + left_out
        parts.append(self.hashes[self.starts[at]:])
        return self.slugs, np.concatenate(parts), self.sizes


def near_pairs(table: dict, last: Callable[[str], object],
               versions: dict[str, str] | None = None) -> list[tuple[str, str, float]]:
    """Return the pairs of articles whose shingles overlap past the default threshold (by slug), patched from
    the last build's (``last`` returns a table it kept, or None) when it kept them and few articles changed
    (1.9 s -> 0.2 s at 10,000 articles). ``versions`` (see :func:`dreamgraph.snapshot.articles.article_versions`)
    say which articles changed since, when given with the last build's."""
    threshold = GapSettings().duplicate_similarity
    now = shingle_arrays(table)
    old_table, old_pairs = last("shingles"), last("near-pairs")
    found = None
    if old_table is not None and old_pairs is not None:
        changed = changed_articles(versions, last("article-versions")) if versions is not None else None
        found = updated_pairs(shingle_arrays(old_table), old_pairs, now, threshold, changed=changed)
    if found is None:
        found = similar_pairs(now[1], now[2], threshold)
    return [(now[0][i], now[0][j], share) for i, j, share in found]


def near_pairs_patched(last: Callable[[str], object], made: dict[str, object],
                       removed: Iterable[str] = ()) -> list[tuple[str, str, float]]:
    """Return :func:`near_pairs` of the last build's shingle table with the shingles of a few of its articles
    replaced, and of a few new ones put in, by those ``made`` (slug -> array, or None for an article without
    the parts compared; see :func:`dreamgraph.snapshot.texts.shingles_patched`), and those of the articles
    ``removed`` taken out, from the last table and pairs and those arrays alone (a patch writes the new
    table's file meanwhile)."""
    import numpy as np

    old = shingle_arrays(last("shingles"))
    made = {slug: array for slug, array in made.items() if array is not None}  # (none: a new dream without)
    table = _Replaced(old, made, removed)
    changed = {slug for slug, array in made.items() if slug not in table.old_index or not np.array_equal(
        table.hashes[table.starts[table.old_index[slug]]:table.starts[table.old_index[slug] + 1]], array)}
    if not changed and not table.removed:  # the same shingles (an edit to the links, say): the same pairs
        return list(last("near-pairs"))
    found = updated_pairs(old, last("near-pairs"), table, GapSettings().duplicate_similarity,
                          changed={*changed, *table.removed})
    if found is None:
        found = similar_pairs(*table.whole()[1:], GapSettings().duplicate_similarity)
    return [(table.slugs[i], table.slugs[j], share) for i, j, share in found]


def _changed_articles(old: tuple, new: tuple) -> set[str]:
    """Return the slugs of the articles whose shingles differ between two shingle tables (slugs, hashes,
    sizes; each sorted by slug), those added and removed included: the articles of both with as many
    shingles in each are compared all at once (one by one, the 100,000 articles took 0.4 s)."""
    import numpy as np

    (old_slugs, old_hashes, old_sizes), (slugs, hashes, sizes) = old, new
    old_index = {slug: n for n, slug in enumerate(old_slugs)}
    both = [n for n, slug in enumerate(slugs) if slug in old_index]
    new_n = np.array(both, dtype=np.int64)
    old_n = np.array([old_index[slugs[n]] for n in both], dtype=np.int64)
    changed = (set(slugs) - set(old_index)) | (set(old_index) - set(slugs))
    if len(old_n) > 1 and not (np.diff(old_n) > 0).all():  # not in one order: compared one by one
        old_starts, starts = np.concatenate([[0], np.cumsum(old_sizes)]), np.concatenate([[0], np.cumsum(sizes)])
        return changed | {slugs[n] for n, o in zip(new_n.tolist(), old_n.tolist()) if not np.array_equal(
            old_hashes[old_starts[o]:old_starts[o + 1]], hashes[starts[n]:starts[n + 1]])}
    same = old_sizes[old_n] == sizes[new_n]
    changed.update(slugs[n] for n in new_n[~same].tolist())
    kept_old, kept_new = np.zeros(len(old_slugs), dtype=bool), np.zeros(len(slugs), dtype=bool)
    kept_old[old_n[same]], kept_new[new_n[same]] = True, True
    differ = old_hashes[np.repeat(kept_old, old_sizes)] != hashes[np.repeat(kept_new, sizes)]
    owner = np.repeat(new_n[same], sizes[new_n[same]])  # the article of each shingle compared
    changed.update(slugs[n] for n in distinct(owner[differ]).tolist())
    return changed


class _Holders:
    """The articles of a shingle table holding each of a few values (see :meth:`of`): ``values`` sorted, one
    per article holding it, and ``articles`` those articles."""

    def __init__(self, values, articles):
        self.values, self.articles = values, articles

    @classmethod
    def of(cls, hashes, starts, values, replaced: dict[int, object] | None = None, renumber=None) -> _Holders:
        """Those of a table (``hashes``, each article's ``starts``) holding each of ``values`` (sorted,
        distinct), found by :func:`_positions_of`; with ``replaced`` (place -> array), those articles' shingles
        are the arrays, not the table's; with ``renumber`` (each article's place now, -1 for one taken out),
        the table's articles are numbered anew (new ones put in between)."""
        import numpy as np

        where = _positions_of(hashes, values)
        found, articles = hashes[where], np.searchsorted(starts, where, "right") - 1
        if renumber is not None:  # (an article taken out is numbered -1: its shingles are no one's now)
            articles = renumber[articles]
            found, articles = found[articles >= 0], articles[articles >= 0]
        if replaced:
            keep = ~held_in(articles, np.array(sorted(replaced), dtype=np.int64))
            pieces = [(found[keep], articles[keep])]
            for n, array in sorted(replaced.items()):
                array = np.asarray(array, dtype=np.uint64)
                hit = array[held_in(array, values)]
                pieces.append((hit, np.full(len(hit), n, dtype=articles.dtype)))
            found, articles = np.concatenate([p[0] for p in pieces]), np.concatenate([p[1] for p in pieces])
        order = np.lexsort((articles, found))
        return cls(found[order], articles[order])

    def spread(self, values):
        """How many articles hold each of ``values`` (among those looked up)."""
        import numpy as np

        return np.searchsorted(self.values, values, "right") - np.searchsorted(self.values, values, "left")

    def owners(self, values) -> dict[int, list[int]]:
        """The articles holding each of ``values`` (among those looked up), in table order."""
        import numpy as np

        found: dict[int, list[int]] = defaultdict(list)
        low, high = np.searchsorted(self.values, values, "left"), np.searchsorted(self.values, values, "right")
        for value, a, b in zip(values.tolist(), low.tolist(), high.tolist()):
            found[value] = sorted(self.articles[a:b].tolist())
        return found


def _positions_of(hashes, values, chunk: int = 1 << 20):
    """Return the positions in ``hashes`` of the few ``values`` (sorted, distinct): each hash's low bits are
    looked up in a table marking those of the values, and the few that match are compared whole (finding
    them by sorting all 18 million hashes of 100,000 articles took 2 to 3 s; this, a tenth of that)."""
    import numpy as np

    bits = int(min(26, max(16, np.ceil(np.log2(max(len(values), 1) * 64)))))
    mask = np.uint64((1 << bits) - 1)
    marked = np.zeros(1 << bits, dtype=bool)
    marked[(values & mask).astype(np.intp)] = True
    found = []
    for start in range(0, len(hashes), chunk):  # a chunk at a time: the masks of all at once take 300 MB
        part = hashes[start:start + chunk]
        maybe = np.flatnonzero(marked[(part & mask).astype(np.intp)])
        found.append(maybe[held_in(part[maybe], values)] + start)
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


MOST_SUBTITLED = 30  # written dreams of a cluster with one subtitle, at most, for it to make possible overlaps


def possible_overlaps(graph: nx.DiGraph, duplicates: set[tuple[str, str]], most_sources: int = 30,
                      shared_share: float = 0.75, stated: dict[frozenset, list[dict]] | None = None,
                      most_subtitled: int | None = None) -> list[Gap]:
    """Pairs of written dreams of one cluster whose articles overlap without copying each other: they send
    readers to mostly the same next stages (two or more, and ``shared_share`` of all the next stages of
    both), or they carry the same subtitle. Pairs already reported as near-duplicates are left out; so are
    next stages more than ``most_sources`` articles lead to (a hub, not a sign of overlap), and subtitles
    more than ``most_subtitled`` (:data:`MOST_SUBTITLED`) dreams of a cluster carry (the cluster's, not a
    sign of overlap: the pairs of 250 numbered variants of each sample article, one subtitle each, made a
    million gaps at 8,000 articles, and the build grew with their square). Scored by the two
    pages times the share of next stages shared (a half for a shared subtitle alone). Where either page says
    how it differs from the other (``stated``, by :func:`dreamgraph.snapshot.texts.differences`), the
    sentence is shown: the strategist judges whether it is enough.

    >>> import networkx as nx
    >>> g = nx.DiGraph()
    >>> for n, sub in (("a", "The Kinetic Lock"), ("b", "The Kinetic Lock"), ("c", None), ("d", None)):
    ...     g.add_node(n, stub=False, clusters=["k"], label=n.upper(), subtitle=sub)
    >>> g.add_edges_from([("a", "c"), ("a", "d"), ("b", "c"), ("b", "d")])
    >>> [(gap.label, gap.score, len(gap.evidence)) for gap in possible_overlaps(g, set())]
    [('A ~ B', 0.6, 3)]
    """
    import numpy as np
    from scipy import sparse

    most_subtitled = MOST_SUBTITLED if most_subtitled is None else most_subtitled
    written = sorted(n for n, stub in graph.nodes(data="stub") if not stub)
    onward = {n: {t for t in graph.successors(n) if t != n} for n in written}
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    scores: dict[tuple[str, str], float] = {}
    # the next stages two articles share, counted for all pairs at once (articles x targets times its
    # transpose), leaving out targets more than most_sources articles lead to
    targets = sorted({t for n in written for t in onward[n]})
    column = {t: i for i, t in enumerate(targets)}
    rows = np.array([i for i, n in enumerate(written) for _ in onward[n]], dtype=np.int64)
    columns = np.array([column[t] for n in written for t in sorted(onward[n])], dtype=np.int64)
    links = sparse.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, columns)), shape=(len(written), len(targets)))
    spread = np.diff(links.tocsc().indptr)
    common = (links[:, np.flatnonzero(spread <= most_sources)] @ links[:, np.flatnonzero(spread <= most_sources)].T).tocoo()
    for i, j, count in zip(common.row.tolist(), common.col.tolist(), common.data.tolist()):
        if i >= j or count < 2:
            continue
        a, b = written[i], written[j]
        both = (onward[a] | onward[b]) - {a, b}
        if count >= shared_share * len(both):
            found[a, b].append(f"both lead to {', '.join(sorted(onward[a] & onward[b] - {a, b}))}")
            scores[a, b] = round(count / len(both), 4)
    for nodes in _subtitle_groups((n, graph.nodes[n].get("subtitle"), graph.nodes[n]["clusters"])
                                  for n in written).values():
        if len(nodes) > most_subtitled:
            continue
        for i, a in enumerate(nodes):
            for b in nodes[i + 1:]:
                found[a, b].append(f"the same subtitle: '{graph.nodes[a]['subtitle']}'")
                scores.setdefault((a, b), 0.5)
    gaps = []
    for (a, b), reasons in sorted(found.items()):
        if (a, b) not in duplicates and (b, a) not in duplicates:
            gaps.extend(_overlap(graph, a, b, reasons, scores[a, b], stated))
    return gaps


def _subtitle(graph: nx.DiGraph, node: str) -> str:
    """Return a dream's subtitle as possible overlaps compare them (see :func:`_folded`)."""
    return _folded(graph.nodes[node].get("subtitle"))


def _folded(subtitle: str | None) -> str:
    """Return a subtitle as possible overlaps compare them: lower case, no spaces around ("" for none)."""
    return (subtitle or "").strip().lower()


def _subtitle_groups(dreams: Iterable[tuple[str, str | None, Iterable[str]]]) -> dict[tuple[str, str], list[str]]:
    """Return the dreams that carry each subtitle in each cluster, (cluster, subtitle) -> their names in
    order, from each dream's (name, subtitle, clusters); subtitles compared as :func:`_subtitle` compares them.

    >>> dict(_subtitle_groups([("b", "The Lock ", ["k"]), ("a", "the lock", ["k", "m"]), ("c", None, ["k"])]))
    {('k', 'the lock'): ['a', 'b'], ('m', 'the lock'): ['a']}
    """
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for node, subtitle, clusters in sorted(dreams, key=itemgetter(0)):
        subtitle = _folded(subtitle)
        for cluster in clusters if subtitle else ():
            groups[cluster, subtitle].append(node)
    return groups


def _overlap(graph: nx.DiGraph, a: str, b: str, reasons: list[str], score: float,
             stated: dict[frozenset, list[dict]] | None) -> list[Gap]:
    """Return the possible overlap of two written dreams (``a`` first) for the ``reasons`` found (see
    :func:`possible_overlaps`), or nothing when they share no cluster."""
    together = sorted(set(graph.nodes[a]["clusters"]) & set(graph.nodes[b]["clusters"]))
    if not together:
        return []
    label = f"{graph.nodes[a]['label']} ~ {graph.nodes[b]['label']}"
    return [Gap("possible-overlap", a, label, priority("possible-overlap", 2, score),
                f"'{a}' and '{b}' may answer the same reader: say how they differ, or merge them",
                [_evidence("", None, reason) for reason in sorted(set(reasons))]
                + [_evidence("", None, f"both in the {', '.join(together)} cluster")]
                + [_evidence(m["path"], m["line"], f"how it differs: {m['sentence']}")
                   for m in (stated or {}).get(frozenset((a, b)), ())])]


def link_suggestions(snapshot: Snapshot, graph: nx.DiGraph) -> list[Gap]:
    """Dreams an article names in its prose (intro, free-form sections, FAQ answers; by a name of two
    words or more, as whole words) but does not link to from its Next Stages, with the sentence. The hub
    of a cluster the article belongs to is left out: "the losing control cluster" names the cluster."""
    gaps = []
    for mention in snapshot.mentions:
        source, target = mention["source"], mention["target"]
        if mention["linked"] or source not in graph or target not in graph or target in graph.nodes[source]["clusters"]:
            continue
        label = f"{graph.nodes[source]['label']} → {graph.nodes[target]['label']}"
        gaps.append(Gap("link-suggestion", source, label, priority("link-suggestion"),
                        f"'{source}' names '{target}' without linking to it: add it to the Next Stages",
                        [_evidence(mention["path"], mention["line"], mention["sentence"])]))
    return gaps


def one_way_progressions(graph: nx.DiGraph, explained: set[str] = frozenset()) -> list[Gap]:
    """A → B where B is written, outside A's clusters, and none of B's next stages returns to A's clusters
    (B in ``explained``, a page cut off or not in the article format, whose Next Stages are lost, is left out)."""
    return [gap for a, b in sorted(graph.edges) for gap in _one_way(graph, a, b, explained)]


def _one_way(graph: nx.DiGraph, a: str, b: str, explained: set[str]) -> list[Gap]:
    """Return the one-way gap of the link a → b (see :func:`one_way_progressions`), or nothing."""
    home = set(graph.nodes[a]["clusters"])
    if not home or a == b or graph.nodes[b]["stub"] or b in explained or home & set(graph.nodes[b]["clusters"]):
        return []
    if any(home & set(graph.nodes[c]["clusters"]) for c in graph.successors(b)):
        return []
    return [Gap("one-way", a, f"{graph.nodes[a]['label']} → {graph.nodes[b]['label']}", priority("one-way"),
                f"'{b}' never leads back to the {', '.join(sorted(home))} cluster: consider a bridge",
                [_evidence("", None, f"{a} → {b}")])]


def find_gaps(source: Store | Snapshot, settings: GapSettings = GapSettings(),
              ready: dict[str, list[Gap]] | None = None,
              around: tuple[list[Gap], set[str]] | None = None) -> list[Gap]:
    """Return every gap of the library, most valuable kind first, then by score, then by node.

    A build keeps the report with the default settings (see :func:`dreamgraph.build.kept_tables`); other
    settings, and stores with nothing kept, compute it here. ``ready`` has the gaps of the kinds in
    :data:`FROM_THE_PROJECTION` when known already (a rebuild that kept the last projection passes the last
    report's: see :func:`reused_gaps`). ``around`` is the last report and the written dreams whose own gaps
    (the kinds in :data:`OF_A_DREAM`, made from a dream's completeness row and the links into it) may
    have changed since, for a rebuild that changed the links of a few dreams (see :mod:`dreamgraph.patch`):
    those kinds are then the last report's but for those dreams, found again (at 100,000 articles, finding
    them all took 0.6 s).
    """
    ready = ready or {}
    snapshot = Snapshot.of(source)
    if settings == GapSettings():
        kept = snapshot.kept("gaps")
        if kept is not None:
            return kept
    graph, matrix = snapshot.projection, snapshot.completeness
    foreign = {e["dream"] for e in matrix if not_in_format(e)}
    linked = stub_links(snapshot)
    typos = broken_links(snapshot, graph, settings, linked, foreign)
    # One entry per root cause: a page cut off, or not in the article format, is one gap; what the cut or
    # the format explains (missing sections, no next stages, no cluster) is not reported again for it.
    partial = {node for node, cut in graph.nodes(data="partial") if cut}
    cut = {e["dream"] for e in matrix if e["dream"] in partial}
    unformatted = foreign - cut
    rows = matrix if around is None else [e for e in matrix if e["dream"] in around[1]]  # whose own gaps are found
    whole = [e for e in rows if e["dream"] not in cut and e["dream"] not in unformatted]
    gaps = (missing_articles(snapshot, graph, {g.node for g in typos}, linked) + typos
            + partial_articles(graph, rows) + unformatted_articles(graph, rows, unformatted)
            + incomplete_articles(graph, whole, settings) + dead_ends(graph, whole) + orphans(graph, rows)
            + (ready["unreachable"] if "unreachable" in ready else unreachable_groups(graph)))
    if around is not None:  # the other dreams' own gaps: the last report's
        gaps += [gap for gap in around[0] if gap.kind in OF_A_DREAM and gap.node not in around[1]]
    duplicates = near_duplicates(snapshot, settings)
    gaps += duplicates + (ready["possible-overlap"] if "possible-overlap" in ready else possible_overlaps(
        graph, {tuple(g.label.split(" ~ ")) for g in duplicates}, stated=differences(snapshot.mentions)))
    gaps += (clusters(snapshot, graph, settings) + no_cluster(graph, whole) + link_suggestions(snapshot, graph)
             + (ready["one-way"] if "one-way" in ready else one_way_progressions(graph, explained=cut | unformatted)))
    _add_page_addresses(gaps, snapshot, matrix)
    return sorted(gaps, key=_order)


# The kinds made from the projection and little else: with the same projection (a build that kept the last
# one), and the same of what else each reads, they are the last report's (see reused_gaps).
FROM_THE_PROJECTION = ("unreachable", "one-way", "possible-overlap")


def reused_gaps(last_gaps: list[Gap], last: Callable[[str], object], tables: dict[str, object]) -> dict[str, list[Gap]]:
    """Return, for :func:`find_gaps`, the gaps of the kinds in :data:`FROM_THE_PROJECTION` from the last
    report (``last_gaps``), for a build whose projection is the last one's (``last`` returns a table the
    last build kept, or None; ``tables`` are this build's): ``unreachable`` always, ``one-way`` when the same pages are out
    of the article format (cut-off pages are marked in the projection), ``possible-overlap`` when the
    near-duplicate pairs and the sentences saying how two dreams differ are the same. At 10,000 articles the
    three take 0.5 s to find again (and scipy 0.17 s to load).

    >>> gaps = [Gap("unreachable", "a", "A ↔ B", 1.0, "link in"), Gap("one-way", "a", "A → C", 0.1, "bridge")]
    >>> entry = {"dream": "a", **{key: 0 for key in STANDARD_SECTIONS}}
    >>> now = {"completeness": [{**entry, "quick-answer": 1}], "near-pairs": [], "mentions": []}
    >>> sorted(reused_gaps(gaps, now.get, now)), sorted(reused_gaps(gaps, {**now, "completeness": [entry]}.get, now))
    (['one-way', 'possible-overlap', 'unreachable'], ['possible-overlap', 'unreachable'])
    """
    ready: dict[str, list[Gap]] = {kind: [] for kind in FROM_THE_PROJECTION}
    last_matrix = last("completeness")
    if last_matrix is None or ({e["dream"] for e in last_matrix if not_in_format(e)}
                               != {e["dream"] for e in tables["completeness"] if not_in_format(e)}):
        del ready["one-way"]
    last_mentions = last("mentions")
    if (last("near-pairs") != tables["near-pairs"] or last_mentions is None
            or differences(last_mentions) != differences(tables["mentions"])):
        del ready["possible-overlap"]
    for gap in last_gaps:
        if gap.kind in ready:
            ready[gap.kind].append(gap)
    return ready


# The kinds found for each written dream from its completeness row and its place among the links alone (the
# gap's node is the dream): an edit that keeps every link changes them for the edited dreams only.
def relinked_gaps(last_gaps: list[Gap], relinked: set[str], old: Links, graph: nx.DiGraph,
                  last: Callable[[str], object], tables: dict[str, object], most_sources: int = 30,
                  shared_share: float = 0.75, removed: set[str] = frozenset(),
                  most_subtitled: int | None = None) -> dict[str, list[Gap]]:
    """Return, for :func:`find_gaps`, the gaps of the kinds in :data:`FROM_THE_PROJECTION` that can be made
    from the last report (``last_gaps``) for a build whose only change to the links is the Next Stages of
    the ``relinked`` dreams (new ones, or stubs written for, among them) and the dreams ``removed`` (no
    link led to them: their links gone with them), every other dream, cluster and page format as it was
    (see :mod:`dreamgraph.patch`):
    the one-way links, those from and into a relinked dream found again (a link into one depends on where
    it leads now); the possible overlaps, those of the pairs with a relinked dream, of the pairs that
    became near-duplicates or stopped being ones, of the pairs whose sentences saying how the two differ
    changed (an article taken out with its sentences), of the pairs leading to a next stage a changed
    link moves across ``most_sources`` (a hub now, or no longer one: counted otherwise) and of the pairs
    carrying a subtitle whose dreams in a cluster a changed dream moves across ``most_subtitled`` found again.
    ``old`` are the last build's links, ``graph`` this build's projection, ``last`` returns a table of the
    last build and ``tables`` are this build's. At 100,000 articles the two kinds took 1.6 and 1.4 s
    (profiled) to find again.

    >>> import networkx as nx
    >>> from .snapshot.projection import links_of
    >>> graph = nx.DiGraph()
    >>> graph.add_nodes_from([(n, {"label": n.upper(), "stub": False, "partial": False, "clusters": [c]})
    ...                       for n, c in (("a", "k"), ("b", "k"), ("c", "m"), ("d", "m"))])
    >>> graph.add_edges_from([("a", "b"), ("c", "a"), ("c", "d")])
    >>> tables = {"completeness": [], "near-pairs": [], "mentions": [], "stub-links": {}, "projection": graph,
    ...           "clusters": {}}
    >>> old, last_gaps = Links(links_of(graph)), find_gaps(Snapshot(tables=tables))
    >>> [gap.evidence[0]["text"] for gap in last_gaps if gap.kind == "one-way"]  # a never leads back to m
    ['c → a']
    >>> graph.add_edge("a", "c")  # now it does, and that link leads back to k
    >>> relinked_gaps(last_gaps, {"a"}, old, graph, tables.get, tables)["one-way"]
    []
    """
    cut = {node for node, partial in graph.nodes(data="partial") if partial}
    explained = cut | ({row["dream"] for row in tables["completeness"] if not_in_format(row)} - cut)
    # a stub written for now leads back to clusters (a dream no longer written, to none): the links into the
    # dreams leading to it are found again
    relinked = relinked | {n for x in relinked if x in old.index and old.stub[old.index[x]] != graph.nodes[x]["stub"]
                           for n in graph.predecessors(x)}
    touched = sorted({edge for x in relinked for edge in [*graph.out_edges(x), *graph.in_edges(x)]})
    ready = {"one-way": [gap for gap in last_gaps if gap.kind == "one-way"
                         and not set(gap.evidence[0]["text"].split(" → ")) & (relinked | removed)]
             + [gap for a, b in touched for gap in _one_way(graph, a, b, explained)]}
    stated, stated_before = differences(tables["mentions"]), differences(last("mentions"))
    written = {node for node, stub in graph.nodes(data="stub") if not stub}
    # the pairs whose overlap is found again: those that became near-duplicates or stopped being ones (an
    # article added as a copy of another, say), and those whose sentences on how they differ changed (the
    # overlap shows them); below, those leading to a next stage that became a hub or stopped being one
    again = {tuple(sorted(pair[:2])) for pair in last("near-pairs")} ^ {tuple(sorted(pair[:2]))
                                                                         for pair in tables["near-pairs"]}
    again |= {tuple(sorted(pair)) for pair in stated.keys() | stated_before.keys()
              if stated.get(pair) != stated_before.get(pair)}

    @cache
    def onward(node: str) -> frozenset[str]:
        return frozenset(t for t in graph.successors(node) if t != node)

    @cache
    def spread(target: str) -> int:  # how many written dreams lead to it
        return sum(1 for n in graph.predecessors(target) if n in written and n != target)

    before = {x: {old.slugs[t] for t in old.successors(old.index[x])} - {x} if x in old.index else set()
              for x in relinked | removed}  # a dream written anew led nowhere

    def now(x: str) -> frozenset[str]:  # a dream taken out leads nowhere
        return frozenset() if x in removed else onward(x)

    for target in {t for x in before for t in before[x] ^ now(x)} - removed:
        was = spread(target) + sum(1 for x in before if target in before[x]) - sum(
            1 for x in before if target in now(x))
        if (was <= most_sources) != (spread(target) <= most_sources):  # the pairs leading there: counted otherwise
            leading = sorted(n for n in graph.predecessors(target) if n in written and n != target)
            again.update((a, b) for i, a in enumerate(leading) for b in leading[i + 1:])
    # the written dreams of each cluster with each subtitle, now (for the subtitles asked about: see carrying)
    # and before, for the changed dreams' subtitles: one whose dreams in a cluster moved across most_subtitled
    # has their pairs found again
    most_subtitled = MOST_SUBTITLED if most_subtitled is None else most_subtitled
    groups: dict[tuple[str, str], list[str]] = {}
    scanned: set[str] = set()

    def carrying(subtitles: set[str]) -> None:  # the groups of these subtitles, put in groups
        if wanted := subtitles - scanned:
            groups.update(_subtitle_groups((w, subtitle, graph.nodes[w]["clusters"])
                                           for w, subtitle in graph.nodes(data="subtitle")
                                           if _folded(subtitle) in wanted and w in written))
            scanned.update(wanted)

    moved = {_folded(subtitle) for subtitle in (
        *(graph.nodes[x].get("subtitle") for x in relinked if x in written),
        *(old.subtitles[old.index[x]] for x in relinked | removed if x in old.index))} - {""}
    carrying(moved)
    groups_before = _subtitle_groups((slug, subtitle, clusters) for slug, subtitle, clusters, stub
                                     in zip(old.slugs, old.subtitles, old.clusters, old.stub)
                                     if not stub and _folded(subtitle) in moved)
    for key in groups_before.keys() | {key for key in groups if key[1] in moved}:
        if (len(groups_before.get(key, ())) <= most_subtitled) != (len(groups.get(key, ())) <= most_subtitled):
            held = groups.get(key, [])
            again.update((a, b) for i, a in enumerate(held) for b in held[i + 1:])
    duplicates = {tuple(gap.label.split(" ~ ")) for gap in near_duplicates(Snapshot(tables=tables), GapSettings())}
    pairs: set[tuple[str, str]] = {pair for pair in again if written.issuperset(pair)}
    for x in relinked:
        for target in onward(x):
            if spread(target) <= most_sources:
                pairs.update(tuple(sorted((x, w))) for w in graph.predecessors(target) if w in written and w not in (x, target))
        if subtitle := _subtitle(graph, x):  # the written dreams of its clusters with its subtitle (in moved)
            pairs.update(tuple(sorted((x, w))) for cluster in graph.nodes[x]["clusters"]
                         for w in groups.get((cluster, subtitle), ()) if w != x)
    carrying({subtitle for a, b in pairs if (subtitle := _subtitle(graph, a)) and subtitle == _subtitle(graph, b)})
    found = []
    for a, b in sorted(pairs):
        reasons, score = [], None
        common, both = onward(a) & onward(b), (onward(a) | onward(b)) - {a, b}
        count = sum(1 for t in common if spread(t) <= most_sources)
        if count >= 2 and count >= shared_share * len(both):
            reasons.append(f"both lead to {', '.join(sorted(common - {a, b}))}")
            score = round(count / len(both), 4)
        subtitle = _subtitle(graph, a)
        if subtitle and subtitle == _subtitle(graph, b) and any(
                len(groups[cluster, subtitle]) <= most_subtitled
                for cluster in set(graph.nodes[a]["clusters"]) & set(graph.nodes[b]["clusters"])):
            reasons.append(f"the same subtitle: '{graph.nodes[a]['subtitle']}'")
            score = 0.5 if score is None else score
        if reasons and (a, b) not in duplicates and (b, a) not in duplicates:
            found.extend(_overlap(graph, a, b, reasons, score, stated))
    ready["possible-overlap"] = [gap for gap in last_gaps if gap.kind == "possible-overlap"
                                 and not set(pair := _OVERLAP.match(gap.action).groups()) & (relinked | removed)
                                 and tuple(sorted(pair)) not in again] + found
    return ready


_OVERLAP = re.compile(r"'(.+)' and '(.+)' may answer")  # the pair of a possible overlap, by its action


OF_A_DREAM = ("partial-article", "incomplete-article", "dead-end", "orphan", "no-cluster")
TO_A_STUB = ("missing-article", "broken-link")  # the kinds whose node is a linked stub


def _order(gap: Gap) -> tuple:
    """Return where a gap goes in a report: by kind (most valuable first), then by score, node and label."""
    return KIND_ORDER[gap.kind], -gap.score, gap.node, gap.label


def patched_gaps(last_gaps: list[Gap], edited: set[str], links: Links, last: Callable[[str], object],
                 tables: dict[str, object]) -> list[Gap] | None:
    """Return the report :func:`find_gaps` makes for a build whose edits keep every dream, link, cluster and
    title as it was, and each page cut off or in the article format as it was (see :mod:`dreamgraph.patch`),
    made from the last report (``last_gaps``) rather than found again: the ``edited`` dreams' gaps of the
    kinds in :data:`OF_A_DREAM` and their link suggestions found again for them alone; the missing articles
    and broken links whose links moved (a line added above them, a condition reworded) given their evidence
    read again, their scores standing (the same articles link to each stub); the near-duplicates made from
    this build's pairs. The other kinds are made of what such edits cannot change. ``links`` are the links
    of both builds (see :class:`~dreamgraph.snapshot.projection.Links`), ``last`` returns a table of the last
    build and ``tables`` are this build's. Returns ``last_gaps`` itself when nothing changed, and None when
    the possible overlaps may have: other near-duplicate pairs, or an edited article saying otherwise how
    the two dreams of a possible overlap differ (:func:`find_gaps` then finds them over the projection).
    Finding the whole report again took 0.05 s at 10,000 articles, with the projection read for it (0.05 s
    more) and networkx loaded (0.07 s).

    >>> import networkx as nx
    >>> from .snapshot.projection import links_of
    >>> graph = nx.DiGraph()
    >>> graph.add_node("a", label="A", stub=False, partial=False, clusters=["k"])
    >>> row = {"dream": "a", "label": "A", "path": "a.txt", "line": 1, **{key: 3 for key in STANDARD_SECTIONS}}
    >>> before = {"completeness": [row], "near-pairs": [], "mentions": [], "stub-links": {}}
    >>> last_gaps = find_gaps(Snapshot(tables={**before, "projection": graph, "clusters": {}}))
    >>> [gap.kind for gap in last_gaps]
    ['orphan']
    >>> now = {**before, "completeness": [{**row, "faq": 0}], "card-parts": {"urls": {}}}
    >>> [gap.kind for gap in patched_gaps(last_gaps, {"a"}, Links(links_of(graph)), before.get, now)]
    ['incomplete-article', 'orphan']
    """
    old_pairs, new_pairs = last("near-pairs"), tables["near-pairs"]
    if {pair[:2] for pair in old_pairs} != {pair[:2] for pair in new_pairs}:
        return None
    mentioned = [mention for mention in tables["mentions"] if mention["source"] in edited]  # the edited articles'
    # how two dreams differ, as the edited articles said it and say it now
    before = differences([mention for mention in last("mentions") if mention["source"] in edited])
    now = differences(mentioned)
    restated = {pair for pair in before.keys() | now.keys() if before.get(pair) != now.get(pair)}
    overlapping = {gap.node for gap in last_gaps if gap.kind == "possible-overlap"} if restated else set()
    if {min(pair) for pair in restated} & overlapping:
        return None  # a possible overlap's pair (its node the first of the two) may show other sentences
    old_links, new_links = last("stub-links"), tables["stub-links"]
    if old_links.keys() != new_links.keys():
        return None
    moved = {stub for stub, entry in new_links.items() if entry is not old_links[stub] and entry != old_links[stub]}
    view = LinkedView(links, None)
    rows = [row for row in tables["completeness"] if row["dream"] in edited]
    cut = {row["dream"] for row in rows if view.nodes[row["dream"]]["partial"]}
    unformatted = {row["dream"] for row in rows if not_in_format(row)} - cut
    whole = [row for row in rows if row["dream"] not in cut and row["dream"] not in unformatted]
    settings = GapSettings()
    new = (partial_articles(view, rows) + unformatted_articles(view, rows, unformatted)
           + incomplete_articles(view, whole, settings) + dead_ends(view, whole) + orphans(view, rows)
           + no_cluster(view, whole) + link_suggestions(Snapshot(tables={"mentions": mentioned}), view))
    remade = {"near-duplicate"} if new_pairs != old_pairs else set()
    if remade:
        new += near_duplicates(Snapshot(tables={"near-pairs": new_pairs}), settings)
    kept, dropped = [], []
    for gap in last_gaps:
        if (gap.kind in remade or (gap.node in edited and (gap.kind in OF_A_DREAM or gap.kind == "link-suggestion"))
                or (gap.node in moved and gap.kind in TO_A_STUB)):
            dropped.append(gap)
        else:
            kept.append(gap)
    for gap in dropped:
        if gap.kind in TO_A_STUB:
            evidence = [_evidence(*link) for link in new_links[gap.node]["links"]]
            if {e["path"] for e in evidence} != {e["path"] for e in gap.evidence}:
                return None  # not the same articles: the score would change too
            new.append(Gap(gap.kind, gap.node, gap.label, gap.score, gap.action, evidence))
    _add_page_addresses(new, Snapshot(tables=tables), tables["completeness"])
    new.sort(key=_order)
    if new == dropped:
        return last_gaps
    for gap in new:
        insort(kept, gap, key=_order)
    return kept


def _add_page_addresses(gaps: list[Gap], snapshot: Snapshot, matrix: list[dict]) -> None:
    """Give each piece of evidence in an article read from a web page the page's address (``url``), so a
    content team can open the live page from the report."""
    urls = snapshot.urls
    pages = {e["path"]: urls[e["dream"]] for e in matrix if e["dream"] in urls}
    if pages:
        for gap in gaps:
            for evidence in gap.evidence:
                if evidence["path"] in pages:
                    evidence["url"] = pages[evidence["path"]]
