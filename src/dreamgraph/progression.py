"""The dream-to-dream projection of the graph as a NetworkX DiGraph, and the progression questions asked of it.

Nodes are dream slugs with attributes ``label``, ``subtitle``, ``stub``,
``partial``, ``clusters`` (slugs) and ``iri``. An edge A → B means article A
sends its reader to B; its attributes are ``condition``, ``gloss`` and
``position`` of the first Next Stages line doing so, and ``conditions``, all of
them when an article links to the same dream twice. Functions take the graph
and return plain data; nothing here prints.

>>> import networkx as nx
>>> g = nx.DiGraph()
>>> g.add_edge("falling", "flying", condition="If it lifts", gloss="", position=1)
>>> g.add_edge("flying", "falling", condition="If it drops", gloss="", position=1)
>>> shortest_progression(g, "falling", "flying")
['falling', 'flying']
>>> loops(g)
[['falling', 'flying']]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import centrality
from .errors import UnknownDreamError
from .snapshot import Snapshot
from .snapshot.projection import strong_groups
from .store import Store

if TYPE_CHECKING:  # networkx is loaded where a projection is read or a path enumerated, not by every command
    import networkx as nx


def progression_graph(source: Store | Snapshot) -> nx.DiGraph:
    """Return the dream-to-dream projection of a built graph: dreams as nodes, next stages as edges (see
    :mod:`dreamgraph.snapshot.projection`)."""
    return Snapshot.of(source).projection


def _require(graph: nx.DiGraph, *slugs: str) -> None:
    for slug in slugs:
        if slug not in graph:
            raise UnknownDreamError(slug, [])


def steps(graph: nx.DiGraph, path: list[str]) -> list[dict]:
    """Return the steps of a path: from, to, their labels, and the condition and gloss of each link."""
    return [{"from": a, "to": b, "from_label": graph.nodes[a]["label"], "to_label": graph.nodes[b]["label"],
             "condition": graph.edges[a, b]["condition"], "gloss": graph.edges[a, b]["gloss"]}
            for a, b in zip(path, path[1:])]


def shortest_progression(graph: nx.DiGraph, source: str, target: str) -> list[str] | None:
    """Return the shortest chain of next stages from one dream to another, or None when there is none.

    Among equally short chains, the first in alphabetical order of slugs is returned, so the answer is stable.
    """
    _require(graph, source, target)
    # Distances to the target, then a walk from the source that always takes the alphabetically first
    # successor one step closer: the smallest shortest path in linear time (enumerating all shortest
    # paths can explode on a dense library). The search backwards stops at the source.
    distance, frontier = {target: 0}, [target]
    while frontier and source not in distance:
        reached = []
        for node in frontier:
            for before in graph.predecessors(node):
                if before not in distance:
                    distance[before] = distance[node] + 1
                    reached.append(before)
        frontier = reached
    if source not in distance:
        return None
    path = [source]
    while path[-1] != target:
        path.append(min(n for n in graph.successors(path[-1]) if distance.get(n) == distance[path[-1]] - 1))
    return path


def why_no_progression(graph: nx.DiGraph, source: str, target: str) -> str:
    """Return, in words, why no chain of next stages leads from one dream to another.

    >>> import networkx as nx
    >>> g = nx.DiGraph(); g.add_edge("a", "b"); g.add_node("c", partial=False)
    >>> why_no_progression(g, "b", "a")
    'b has no next stages: it is a dead end'
    >>> why_no_progression(g, "a", "c")
    'no chain of links joins them in either direction: they are in separate groups'
    """
    _require(graph, source, target)
    if not graph.out_degree(source):
        cut = " whose page is cut off (partial)" if graph.nodes[source].get("partial") else ""
        return f"{source} has no next stages: it is a dead end{cut}"
    seen, todo = {source}, [source]
    while todo and target not in seen:  # links followed either way
        node = todo.pop()
        for other in (*graph.successors(node), *graph.predecessors(node)):
            if other not in seen:
                seen.add(other)
                todo.append(other)
    if target not in seen:
        return "no chain of links joins them in either direction: they are in separate groups"
    return f"{target} cannot be reached from {source} by following next stages"


def all_progressions(graph: nx.DiGraph, source: str, target: str, max_hops: int = 4,
                     limit: int = 1000) -> list[list[str]]:
    """Return every simple chain from source to target of at most ``max_hops`` links, shortest first.

    At most ``limit`` chains are returned: on a dense graph their number grows exponentially.
    """
    import networkx as nx

    _require(graph, source, target)
    if source == target:
        return [[source]]
    paths = []
    for path in nx.all_simple_paths(graph, source, target, cutoff=max_hops):
        paths.append(path)
        if len(paths) >= limit * 4:
            break
    return sorted(paths, key=lambda p: (len(p), p))[:limit]


def progression_tree(graph: nx.DiGraph, root: str, depth: int = 3, reverse: bool = False) -> dict:
    """Return the tree of dreams reachable from ``root`` within ``depth`` links (backwards when ``reverse``).

    Each node is ``{"slug", "label", "stub", "condition", "repeat", "children"}``; ``condition`` is the text of
    the link that leads to it. The tree is read top to bottom: a dream is expanded where it first appears,
    and a later appearance is listed with ``repeat`` true and not expanded again (so loops end), unless it
    has more links left to show than the first had, in which case it is expanded there too.

    >>> import networkx as nx
    >>> g = nx.DiGraph()
    >>> g.add_edge("a", "b", condition="if b", position=1); g.add_edge("b", "a", condition="if a", position=1)
    >>> for n in "ab": g.nodes[n].update(label=n.upper(), stub=False)
    >>> tree = progression_tree(g, "a", depth=3)
    >>> tree["children"][0]["slug"], tree["children"][0]["children"][0]["repeat"]
    ('b', True)
    """
    _require(graph, root)
    expanded: dict[str, int] = {}  # dream -> the links left when it was expanded

    def links(slug: str):
        if reverse:
            return sorted(((p, graph.edges[p, slug]) for p in graph.predecessors(slug)), key=lambda x: x[0])
        return sorted(((c, graph.edges[slug, c]) for c in graph.successors(slug)), key=lambda x: (x[1]["position"], x[0]))

    def node(slug: str, condition: str | None, left: int) -> dict:
        data = graph.nodes[slug]
        repeat = slug in expanded and expanded[slug] >= left
        entry = {"slug": slug, "label": data["label"], "stub": data["stub"], "condition": condition,
                 "repeat": repeat, "children": []}
        if not repeat:
            expanded[slug] = left
            if left > 0:
                entry["children"] = [node(other, edge["condition"], left - 1) for other, edge in links(slug)]
        return entry

    return node(root, None, depth)


def loops(graph: nx.DiGraph, max_length: int | None = None, limit: int = 1000) -> list[list[str]]:
    """Return the cycles of next stages, each starting at its alphabetically first dream, shortest first
    (see :func:`loop_search`)."""
    return loop_search(graph, max_length, limit)[0]


def loop_search(graph, max_length: int | None = None, limit: int = 1000,
                budget: int = 20_000, steps: int = 40_000_000) -> tuple[list[list[str]], str | None]:
    """Return the loops, shortest first then by name, and a note on what was left out (None when nothing).
    ``graph`` is a projection or its kept :class:`~dreamgraph.snapshot.projection.Links` (the same loops).

    Loops are searched length by length, so every loop up to the length reached is found whatever the
    hash seed: a dense library holds more long loops than can be listed, and a search stopped after so many
    loops used to miss short ones. A length with more than ``budget`` loops, or whose search would follow
    more than ``steps`` links in all (with those of the shorter lengths), is not listed partly; at most
    ``limit`` loops are returned. Which loops are found, and so the answer, does not depend on the order the
    graph holds its dreams in (see :func:`_loops_of_length`).

    >>> import networkx as nx
    >>> g = nx.DiGraph([("a", "b"), ("b", "a"), ("b", "c"), ("c", "a")])
    >>> loop_search(g)
    ([['a', 'b'], ['a', 'b', 'c']], None)
    """
    import numpy as np

    held, group_of, links = strong_groups(graph)  # a loop stays in one strongly connected group
    order = sorted(range(len(held)), key=held.__getitem__)  # a loop is written from its first dream by name,
    nodes = [held[i] for i in order]                        # and searched from it: dreams numbered by name
    number = np.empty(len(held), dtype=np.int64)
    number[order] = np.arange(len(held))
    succ: list[list[int]] = [[] for _ in nodes]
    pred: list[list[int]] = [[] for _ in nodes]
    for a, b in zip(number[links[:, 0]].tolist(), number[links[:, 1]].tolist()):
        succ[a].append(b)
        pred[b].append(a)
    group = group_of[order].tolist() if len(held) else []
    size = np.bincount(group_of).tolist() if len(held) else []
    longest = min(max_length or max(size, default=0), max(size, default=0))  # no loop is longer
    found: list[list[str]] = []
    note = None
    left = [steps]
    for length in range(1, longest + 1):
        exact = _loops_of_length(succ, pred, group, size, length, budget, left)
        if exact is None:
            note = (f"loops of {length} dreams and longer were not searched: there are too many paths to "
                    "follow (give --max-length)")
            break
        if len(exact) > budget:
            note = f"loops of {length} dreams and longer were not searched: there are too many (give --max-length)"
            break
        found.extend(sorted([nodes[i] for i in loop] for loop in exact))
        if len(found) > limit:
            break
    if len(found) > limit:
        extra = f"; loops longer than {len(found[limit])} dreams were not searched" if len(found[-1]) < longest else ""
        note = f"{len(found) - limit} more loops of up to {len(found[-1])} dreams are not listed{extra}"
        found = found[:limit]
    return found, note


def _loops_of_length(succ: list[list[int]], pred: list[list[int]], group: list[int], size: list[int],
                     length: int, budget: int, steps: list[int]) -> list[list[int]] | None:
    """Return every loop of exactly ``length`` dreams (numbered in name order; ``succ`` and ``pred`` their
    links out and in, ``group`` their strongly connected group, ``size`` each group's), once each, begun at
    its least dream; more than ``budget`` of them when there are more (the search stops there), or None when
    the search would follow more links than ``steps[0]`` (which it lowers by those it followed).

    From each dream ``s``, a breadth-first walk back along the links finds how few links lead from each
    later dream of its group to ``s`` (up to ``length - 1``); the walk forward from ``s`` then goes only
    where ``s`` can still be reached in the links left. networkx's bounded search, which finds the
    strongly connected groups again after each dream, did not finish ``--max-length 3`` in ten minutes
    at 10,000 articles; this takes a second.

    >>> succ, pred = [[1], [0, 2], [0]], [[1, 2], [0], [1]]  # 0 -> 1 -> 0 and 0 -> 1 -> 2 -> 0
    >>> _loops_of_length(succ, pred, [0, 0, 0], [3], 3, 100, [1000])
    [[0, 1, 2]]
    """
    found: list[list[int]] = []
    for s, links in enumerate(succ):
        if size[group[s]] < length:
            continue
        if length == 1:
            if s in links:
                found.append([s])
            continue
        back, frontier, g = {s: 0}, [s], group[s]
        for distance in range(1, length):
            reached = []
            for v in frontier:
                steps[0] -= len(pred[v])
                for u in pred[v]:
                    if u > s and u not in back and group[u] == g:
                        back[u] = distance
                        reached.append(u)
            frontier = reached
        if steps[0] < 0:
            return None
        if len(back) < length:  # fewer dreams than the loop needs lead back to s
            continue
        path, on_path, ahead = [s], {s}, [iter(links)]
        while ahead:  # (the budgets are checked at each step: one dream of a dense group has billions of paths)
            for w in ahead[-1]:
                steps[0] -= 1
                if steps[0] < 0:
                    return None
                left = length - len(path)  # links still to take from w back to s
                if w not in on_path and back.get(w, length) <= left:
                    if left == 1:  # w links to s: a loop
                        found.append(path + [w])
                        if len(found) > budget:
                            return found
                    else:
                        path.append(w), on_path.add(w), ahead.append(iter(succ[w]))
                        break
            else:
                ahead.pop()
                on_path.discard(path.pop())
    return found


def betweenness_centrality(graph: nx.DiGraph, k: int | None = None, seed: int = 0) -> dict[str, float]:
    """Return networkx's normalized betweenness centrality of a directed graph (from ``k`` sources sampled
    as networkx samples them with ``seed``, or from every node): see :func:`dreamgraph.centrality.betweenness`.

    >>> import networkx as nx
    >>> g = nx.DiGraph([("a", "b"), ("b", "c"), ("a", "d"), ("d", "c")])
    >>> betweenness_centrality(g) == nx.betweenness_centrality(g)
    True
    """
    nodes = list(graph)
    return dict(zip(nodes, centrality.betweenness(len(nodes), _pairs(graph, nodes), k, seed)))


def _pairs(graph: nx.DiGraph, nodes: list[str]):
    """Return the graph's links as (source, target) numbers of ``nodes``."""
    import numpy as np

    index = {node: i for i, node in enumerate(nodes)}
    return np.array([(index[a], index[b]) for a, b in graph.edges], dtype=np.int64).reshape(-1, 2)


def store_rankings(source: Store | Snapshot) -> list[dict]:
    """Return :func:`rankings` of a built graph (the build keeps them: estimating the betweenness at 100,000
    dreams takes seconds)."""
    snapshot = Snapshot.of(source)
    kept = snapshot.kept("rankings")
    if kept is not None:
        return kept
    return centrality.rankings(snapshot.links) if snapshot.kept_links() is not None else rankings(snapshot.projection)


def rankings(graph: nx.DiGraph) -> list[dict]:
    """Return every dream with its in-degree, out-degree, PageRank and betweenness, most central first (see
    :func:`dreamgraph.centrality.ranked`; a build ranks the dreams from the projection's arrays, which gives
    the same rows)."""
    nodes = list(graph)
    return centrality.ranked(nodes, [graph.nodes[n]["label"] for n in nodes], [graph.nodes[n]["stub"] for n in nodes],
                             _pairs(graph, nodes))
