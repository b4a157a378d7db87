"""The dream-to-dream projection: dreams as nodes, next stages as edges, as a NetworkX DiGraph.

Nodes are dream slugs with attributes ``label``, ``subtitle``, ``stub``, ``partial``, ``clusters`` (slugs)
and ``iri``. An edge A → B means article A sends its reader to B; its attributes are ``condition``,
``gloss`` and ``position`` of the first Next Stages line doing so, and ``conditions``, all of them when an
article links to the same dream twice.
"""

from __future__ import annotations

from bisect import bisect
from collections import defaultdict
from typing import TYPE_CHECKING, Iterable

from ..files import paused_gc
from ..library import Library, Shared, stub_label
from ..store import Store
from ..vocabulary import dream_iri, slug_of
from .lookups import transitions

if TYPE_CHECKING:  # networkx is loaded by the first graph made, not by every command
    import networkx as nx


def from_library(library: Library, shared: Shared) -> nx.DiGraph:
    """Return the projection of a library (what :func:`from_store` asks of its graph)."""
    nodes = {}
    named = {mention.slug for article in library.articles.values() for mention in article.clusters}
    for slug, article in library.articles.items():
        nodes[slug] = written_node(article, slug in named)
    for slug, references in shared.links.items():
        nodes[slug] = stub_node(slug, stub_label(references))
    transitions = ((slug, library.resolve(stage.target_slug), position, stage.condition, stage.gloss or "")
                   for slug in sorted(library.articles)
                   for position, stage in enumerate(library.articles[slug].next_stages, 1))
    return graph_of({"nodes": sorted(nodes.items(), key=lambda item: item[1]["iri"]),
                     "edges": projection_edges(transitions)})


def written_node(article, hub: bool = False) -> dict:
    """Return a written dream's attributes in the projection; a cluster's ``hub`` (its slug a cluster's)
    belongs to that cluster (see :func:`dreamgraph.library.shared_triples`)."""
    return {"iri": str(dream_iri(article.slug)), "label": article.name, "stub": False,
            "subtitle": article.subtitle or None, "partial": article.partial,
            "clusters": sorted({mention.slug for mention in article.clusters} | ({article.slug} if hub else set()))}


def stub_node(slug: str, label: str) -> dict:
    """Return a stub's attributes in the projection."""
    return {"iri": str(dream_iri(slug)), "label": label, "stub": True, "subtitle": None, "partial": False,
            "clusters": []}


def transitions_of(article, resolve) -> list[tuple[str, str, int, str, str]]:
    """Return an article's Next Stages as the projection's transitions (see :func:`projection_edges`)."""
    return [(article.slug, resolve(stage.target_slug), position, stage.condition, stage.gloss or "")
            for position, stage in enumerate(article.next_stages, 1)]


def add_dreams(graph: nx.DiGraph, nodes: dict[str, dict]) -> None:
    """Add dreams (slug -> attributes, ``iri`` among them) to the graph in place, in the order of their IRIs
    among the others, as :func:`from_library` orders every dream.

    >>> g = graph_of({"nodes": [(s, {"iri": s}) for s in "ac"], "edges": []})
    >>> add_dreams(g, {"b": {"iri": "b"}})
    >>> list(g)
    ['a', 'b', 'c']
    """
    if not nodes:
        return
    graph.add_nodes_from(nodes.items())
    order = sorted(graph._node, key=lambda slug: graph._node[slug]["iri"])
    for table in (graph._node, graph._succ, graph._pred):  # networkx's own dicts (_adj is _succ)
        ordered = [(slug, table[slug]) for slug in order]
        table.clear()
        table.update(ordered)


def relink(graph: nx.DiGraph, transitions: dict[str, list[tuple]]) -> None:
    """Replace, in place, the links from each dream of ``transitions`` (slug -> its :func:`transitions_of`)
    with those its transitions make, every dream they reach being in the graph already. The graph is then
    the one :func:`from_library` makes of the changed library, down to the order of each dream's links in
    and out (the order networkx's algorithms, and so their floating-point sums, walk them in).

    >>> g = graph_of({"nodes": [(s, {}) for s in "abc"], "edges": [("a", "b", {}), ("c", "b", {})]})
    >>> relink(g, {"a": [("a", "c", 1, "If", ""), ("a", "b", 2, "When", "")]})
    >>> list(g.edges("a")), list(g.predecessors("b"))
    ([('a', 'c'), ('a', 'b')], ['a', 'c'])
    """
    touched: set[str] = set()
    for slug, made in transitions.items():
        touched.update(graph.successors(slug))
        graph.remove_edges_from([(slug, target) for target in list(graph.successors(slug))])
        edges = projection_edges(made)
        missing = [target for _, target, _ in edges if target not in graph]
        if missing:
            raise KeyError(f"{slug} links to {missing[0]}, not a dream of the graph")
        graph.add_edges_from(edges)
        touched.update(target for _, target, _ in edges)
    for target in touched:  # a full build adds the links in the order of their articles' slugs
        incoming = graph._pred[target]
        ordered = sorted(incoming.items())
        incoming.clear()
        incoming.update(ordered)


# Single-pattern queries joined in Python: on the on-disk store a scan of one predicate is fast, while a
# star join over thousands of transitions costs a lookup per triple.
DREAMS_QUERY = "SELECT ?dream ?label ?stub WHERE { ?dream dg:isStub ?stub ; rdfs:label ?label }"
VALUE_QUERIES = {
    "subtitle": "SELECT ?node ?value WHERE { ?node dg:subtitle ?value }",
    "partial": "SELECT ?node ?value WHERE { ?node dg:isPartial ?value }",
    "cluster": "SELECT ?node ?value WHERE { ?node dg:belongsToCluster ?value }",
    "from": "SELECT ?node ?value WHERE { ?node dg:from ?value }",
    "to": "SELECT ?node ?value WHERE { ?node dg:to ?value }",
    "condition": "SELECT ?node ?value WHERE { ?node dg:condition ?value }",
    "gloss": "SELECT ?node ?value WHERE { ?node dg:gloss ?value }",
}


def _values(store: Store, name: str) -> dict[str, list]:
    found: dict[str, list] = defaultdict(list)
    for row in store.select(VALUE_QUERIES[name]):
        found[str(row["node"])].append(row["value"])
    return found


def from_store(store: Store) -> nx.DiGraph:
    """Return the projection asked of a graph with SPARQL (see :func:`projection_data`)."""
    return graph_of(projection_data(store))


def projection_data(store: Store) -> dict:
    """Return the projection as plain data, asked of the store: ``nodes`` (slug, attributes) sorted by
    IRI, and ``edges`` (source, target, attributes) in the order of the articles' Next Stages."""
    subtitles, partial, clusters = (_values(store, k) for k in ("subtitle", "partial", "cluster"))
    nodes = []
    for row in sorted(store.select(DREAMS_QUERY), key=lambda r: r["dream"]):
        iri = str(row["dream"])
        nodes.append((slug_of(iri), {"iri": iri, "label": str(row["label"]), "stub": row["stub"],
                                     "subtitle": (subtitles.get(iri) or [None])[0], "partial": bool(partial.get(iri)),
                                     "clusters": sorted(slug_of(c) for c in clusters.get(iri, ()))}))
    sources, targets, conditions, glosses = (_values(store, k) for k in ("from", "to", "condition", "gloss"))
    # A transition's IRI ends with its position among the article's next stages: .../next-stage/2
    transitions = sorted((slug_of(sources[t][0]), int(slug_of(t)), t) for t in sources if t in targets)
    return {"nodes": nodes, "edges": projection_edges(
        (source, slug_of(targets[t][0]), position, (conditions.get(t) or [""])[0], (glosses.get(t) or [""])[0])
        for source, position, t in transitions)}


def graph_of(data: dict) -> nx.DiGraph:
    """Return the DiGraph of projection data (see :func:`projection_data`)."""
    import networkx as nx

    with paused_gc():
        graph = nx.DiGraph()
        graph.add_nodes_from(data["nodes"])
        graph.add_edges_from(data["edges"])
    return graph


def strong_groups(graph: "nx.DiGraph | Links"):
    """Return the graph's strongly connected groups as arrays: its nodes (a list), the group of each node
    (numbered from 0) and the links as pairs of node numbers (numpy arrays), found by igraph in C (networkx
    took 1.6 s at 100,000 dreams; the rankings load igraph already, where scipy's import alone cost a
    rebuild after one edit 0.1 s). The graph may be a projection or its kept :class:`Links` (which load in
    milliseconds where the projection takes a second at 100,000 dreams).

    >>> import networkx as nx
    >>> nodes, group_of, links = strong_groups(nx.DiGraph([("a", "b"), ("b", "a"), ("b", "c")]))
    >>> nodes, bool(group_of[0] == group_of[1] != group_of[2]), links.tolist()
    (['a', 'b', 'c'], True, [[0, 1], [1, 0], [1, 2]])
    """
    import numpy as np

    from ..igraphcore import core  # (not loaded by the per-file work, which imports this module)

    if isinstance(graph, LinkedView):
        graph = graph.links
    if isinstance(graph, Links):
        nodes, links = list(graph.slugs), graph.pairs()
    else:
        nodes = list(graph)
        index = {node: i for i, node in enumerate(nodes)}
        links = np.array([(index[a], index[b]) for a, b in graph.edges], dtype=np.int64).reshape(-1, 2)
    group_of = core().GraphBase(len(nodes), links.tolist(), True).connected_components(mode="strong")
    return nodes, np.array(group_of, dtype=np.int64), links


def projection_edges(transitions) -> list[tuple[str, str, dict]]:
    """Return the edges of the projection from (source, target, position, condition, gloss) transitions,
    sorted by source and position: the first transition to a target makes the edge, the others add
    their condition to its ``conditions``."""
    edges: dict[tuple[str, str], dict] = {}
    for source, target, position, condition, gloss in transitions:
        if (source, target) in edges:
            edges[source, target]["conditions"].append(condition)
        else:
            edges[source, target] = {"condition": condition, "gloss": gloss, "position": position,
                                     "conditions": [condition]}
    return [(a, b, attributes) for (a, b), attributes in edges.items()]


def offsets_within(lengths):
    """Return, for segments of these ``lengths`` laid end to end, each element's place within its segment
    (with each segment's start added, the places of a CSR array's rows: see :meth:`Links.reached`).

    >>> import numpy as np
    >>> offsets_within(np.array([3, 0, 2])).tolist()
    [0, 1, 2, 0, 1]
    """
    import numpy as np

    return np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)


def distinct(values):
    """Return the distinct ``values`` of a 1-d array, sorted: what ``np.unique`` gives, without its check for
    a masked array, which imports ``numpy.ma`` (15 ms of every patch).

    >>> import numpy as np
    >>> distinct(np.array([3, 1, 3, 2])).tolist(), distinct(np.array([], dtype=int)).tolist()
    ([1, 2, 3], [])
    """
    import numpy as np

    found = np.sort(values)
    return found[np.concatenate(([True], found[1:] != found[:-1]))] if found.size else found


def held_in(values, sorted_distinct):
    """Return whether each of ``values`` is one of ``sorted_distinct`` (a sorted array without repeats):
    ``np.isin``, by a binary search and without :func:`distinct`'s import (see there).

    >>> import numpy as np
    >>> held_in(np.array([5, 2, 9, 2]), np.array([2, 5])).tolist()
    [True, True, False, True]
    """
    import numpy as np

    if not len(sorted_distinct):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_distinct, values), len(sorted_distinct) - 1)
    return sorted_distinct[at] == values


class Links:
    """The projection's structure as arrays: what the shipped gap queries and the progression queries need,
    loaded in milliseconds where the projection itself (with the texts of every edge) takes a second and a
    half at 100,000 dreams. Dreams are numbered in IRI order; ``successors`` and ``predecessors`` give the
    numbers of the dreams one step away, sorted.

    >>> import networkx as nx
    >>> g = nx.DiGraph()
    >>> g.add_nodes_from([("a", {"label": "A", "stub": False, "partial": False, "clusters": ["k"], "subtitle": "S"}),
    ...                   ("b", {"label": "B", "stub": True, "partial": False, "clusters": []})])
    >>> g.add_edge("a", "b")
    >>> links = Links(links_of(g))
    >>> links.slugs, links.in_degree(links.index["b"]), [links.slugs[n] for n in links.successors(0)]
    (['a', 'b'], 1, ['b'])
    """

    def __init__(self, data: dict):
        self.slugs, self.labels, self.clusters = data["slugs"], data["labels"], data["clusters"]
        self.subtitles = data["subtitles"]
        self.stub, self.partial = data["stub"], data["partial"]
        self._succ, self._pred = (data["succ_ptr"], data["succ"]), (data["pred_ptr"], data["pred"])
        self.index = {slug: n for n, slug in enumerate(self.slugs)}

    def successors(self, n: int):
        ptr, found = self._succ
        return found[ptr[n]:ptr[n + 1]]

    def predecessors(self, n: int):
        ptr, found = self._pred
        return found[ptr[n]:ptr[n + 1]]

    def in_degree(self, n: int) -> int:
        return int(self._pred[0][n + 1] - self._pred[0][n])

    def link_count(self) -> int:
        return int(self._succ[0][-1])

    def out_degree(self, n: int) -> int:
        return int(self._succ[0][n + 1] - self._succ[0][n])

    def reached(self, n: int, forward: bool = True):
        """Return the numbers of the dreams one or more steps from dream ``n`` (following the links forward,
        or backward), sorted: ``n`` itself only when it is on a loop. A search a whole step at a time, in
        numpy: the 98,000 dreams that lead to a hub of 100,000 in 0.01 s, where one dream at a time took 0.5 s.

        >>> import networkx as nx
        >>> g = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "b"), ("d", "a")])
        >>> g.add_nodes_from(g, label="", stub=False, partial=False, clusters=[])
        >>> links = Links(links_of(g))
        >>> [links.slugs[m] for m in links.reached(links.index["b"])], [links.slugs[m] for m in links.reached(0, False)]
        (['b', 'c'], ['d'])
        """
        import numpy as np

        ptr, found = self._succ if forward else self._pred
        ptr, found = np.asarray(ptr, dtype=np.int64), np.asarray(found, dtype=np.int64)
        seen = np.zeros(len(self.slugs), dtype=bool)
        step = found[ptr[n]:ptr[n + 1]]
        while step.size:
            step = distinct(step[~seen[step]])
            seen[step] = True
            starts, sizes = ptr[step], ptr[step + 1] - ptr[step]
            # every link out of the step's dreams: the places in `found` of one run per dream
            step = found[np.repeat(starts, sizes) + offsets_within(sizes)]
        return np.flatnonzero(seen)

    def pairs(self):
        """Return every link as a pair of dream numbers (an array of two columns), by source then target."""
        import numpy as np

        ptr, found = self._succ
        sources = np.repeat(np.arange(len(self.slugs), dtype=np.int64), np.diff(ptr))
        return np.stack([sources, np.asarray(found, dtype=np.int64)], axis=1).reshape(-1, 2)


def links_of(graph: nx.DiGraph) -> dict:
    """Return the :class:`Links` data of a projection (the table ``links`` keeps)."""
    import numpy as np

    slugs = sorted(graph.nodes, key=lambda slug: graph.nodes[slug].get("iri") or str(dream_iri(slug)))
    index = {slug: n for n, slug in enumerate(slugs)}

    def rows(step) -> tuple:
        lists = [sorted(index[m] for m in step(slug)) for slug in slugs]
        ptr = np.zeros(len(slugs) + 1, dtype=np.int64)
        ptr[1:] = np.cumsum([len(found) for found in lists])
        return ptr, np.fromiter((m for found in lists for m in found), dtype=np.int32, count=int(ptr[-1]))

    (succ_ptr, succ), (pred_ptr, pred) = rows(graph.successors), rows(graph.predecessors)
    return {"slugs": slugs, "labels": [graph.nodes[s]["label"] for s in slugs],
            "subtitles": [graph.nodes[s].get("subtitle") for s in slugs],
            "stub": np.array([bool(graph.nodes[s]["stub"]) for s in slugs], dtype=bool),
            "partial": np.array([bool(graph.nodes[s].get("partial")) for s in slugs], dtype=bool),
            "clusters": [tuple(graph.nodes[s]["clusters"]) for s in slugs],
            "succ_ptr": succ_ptr, "succ": succ, "pred_ptr": pred_ptr, "pred": pred}


def links_relinked(data: dict, successors: dict[str, list[str]], added: dict[str, dict] | None = None,
                   changed: dict[str, dict] | None = None, removed: Iterable[str] = ()) -> dict:
    """Return a :func:`links_of` table with the links from each dream of ``successors`` (slug -> the dreams
    it now links to) put in place of its old ones, the dreams ``added`` (slug -> its projection
    attributes, ``iri`` among them) numbered in their places, those ``changed`` (a stub written for:
    slug -> its attributes now) given their new label, kind and clusters, and those ``removed`` (linked from
    and to no dream once ``successors`` are put in place) taken out, the others numbered anew: what
    :func:`links_of` makes of the relinked projection (see :func:`relink`, :func:`add_dreams` and
    :func:`remove_dreams`), in milliseconds where it walks every dream (0.08 s at 10,000 dreams, 1.4 s at
    100,000).

    >>> import networkx as nx, numpy as np
    >>> g = nx.DiGraph()
    >>> g.add_nodes_from((s, {"label": s, "stub": False, "partial": False, "clusters": []}) for s in "abd")
    >>> g.add_edges_from([("a", "b"), ("d", "b")])
    >>> c = {"iri": str(dream_iri("c")), "label": "c", "stub": True, "partial": False, "clusters": []}
    >>> table = links_relinked(links_of(g), {"a": ["c", "a"]}, {"c": c})
    >>> g.add_node("c", **c); g.remove_edge("a", "b"); g.add_edges_from([("a", "c"), ("a", "a")])
    >>> table["slugs"], all(np.array_equal(table[k], links_of(g)[k]) for k in ("succ_ptr", "succ", "pred_ptr", "pred"))
    (['a', 'b', 'c', 'd'], True)
    >>> table = links_relinked(table, {"d": []}, removed=["d"])
    >>> g.remove_node("d")
    >>> table["slugs"], all(np.array_equal(table[k], links_of(g)[k]) for k in ("succ_ptr", "succ", "pred_ptr", "pred"))
    (['a', 'b', 'c'], True)
    """
    import numpy as np

    added, changed = added or {}, changed or {}
    old_count = len(data["slugs"])
    iris = {slug: attributes.get("iri") or str(dream_iri(slug)) for slug, attributes in added.items()}
    places = sorted(((bisect(data["slugs"], iris[slug], key=lambda old: str(dream_iri(old))), slug)  # before which
                     for slug in added), key=lambda place: (place[0], iris[place[1]]))         # old dream, in order
    renumbered = np.arange(old_count, dtype=np.int64)  # each old dream's number now
    columns = {name: list(data[name]) for name in ("slugs", "labels", "subtitles", "clusters")}
    kinds = {name: list(np.asarray(data[name])) for name in ("stub", "partial")}
    for shift, (place, slug) in enumerate(places):
        renumbered[place:] += 1
        at = place + shift
        attributes = added[slug]
        columns["slugs"].insert(at, slug)
        columns["labels"].insert(at, attributes["label"])
        columns["subtitles"].insert(at, attributes.get("subtitle"))
        columns["clusters"].insert(at, tuple(attributes["clusters"]))
        kinds["stub"].insert(at, bool(attributes["stub"]))
        kinds["partial"].insert(at, bool(attributes.get("partial")))
    count, index = len(columns["slugs"]), {slug: n for n, slug in enumerate(columns["slugs"])}
    for slug, attributes in changed.items():
        at = index[slug]
        columns["labels"][at], columns["clusters"][at] = attributes["label"], tuple(attributes["clusters"])
        columns["subtitles"][at] = attributes.get("subtitle")
        kinds["stub"][at], kinds["partial"][at] = bool(attributes["stub"]), bool(attributes.get("partial"))
    sources = np.repeat(renumbered, np.diff(data["succ_ptr"]))
    kept = ~np.isin(sources, [index[slug] for slug in successors])
    added_links = np.array([(index[slug], index[target]) for slug, targets in successors.items() for target in set(targets)],
                           dtype=np.int64).reshape(-1, 2)
    source = np.concatenate([sources[kept], added_links[:, 0]])
    target = np.concatenate([renumbered[np.asarray(data["succ"], dtype=np.int64)][kept], added_links[:, 1]])

    def rows(by, found) -> tuple:  # each dream's row of ``found``, sorted, as links_of lays them out
        ptr = np.zeros(count + 1, dtype=np.int64)
        ptr[1:] = np.cumsum(np.bincount(by, minlength=count))
        return ptr, found[np.lexsort((found, by))].astype(np.int32)

    removed = [index[slug] for slug in removed]
    if removed:  # linked from and to none: the others numbered anew, without them
        if np.isin(source, removed).any() or np.isin(target, removed).any():
            raise ValueError("a dream taken out of the links is still linked")
        keep = np.ones(count, dtype=bool)
        keep[removed] = False
        number = np.cumsum(keep) - 1
        source, target, count = number[source], number[target], int(keep.sum())
        for name, values in (*columns.items(), *kinds.items()):
            values[:] = [value for value, kept in zip(values, keep) if kept]
    (succ_ptr, succ), (pred_ptr, pred) = rows(source, target), rows(target, source)
    reshaped = added or changed or removed
    stub_and_partial = ({name: np.array(kinds[name], dtype=bool) for name in kinds} if reshaped
                        else {name: data[name] for name in kinds})
    return {**data, **(columns if reshaped else {}), **stub_and_partial,
            "succ_ptr": succ_ptr, "succ": succ, "pred_ptr": pred_ptr, "pred": pred}


def remove_dreams(graph: nx.DiGraph, slugs: Iterable[str]) -> None:
    """Take dreams out of the graph in place, the others left in their order, as :func:`from_library` orders
    the dreams of a library without them.

    >>> g = graph_of({"nodes": [(s, {"iri": s}) for s in "abc"], "edges": [("a", "b", {})]})
    >>> remove_dreams(g, ["b"])
    >>> list(g), list(g.edges)
    (['a', 'c'], [])
    """
    graph.remove_nodes_from(list(slugs))


def no_changes() -> dict:
    """Return the changes of a projection a whole build kept (see :func:`with_changes`): none."""
    return {"nodes": {}, "links": {}}


def changes_since(last: dict, nodes: dict[str, dict | None], links: dict[str, list[tuple]]) -> dict:
    """Return the changes to the kept projection (see :func:`with_changes`) after the last ones (``last``)
    and those of a rebuild that patched the tables: the attributes of the dreams it added or changed (None
    for those it took out), and the transitions (see :func:`transitions_of`) of the dreams whose links it
    put in place (none for those it took out). The later of two changes to a dream stands: the projection a
    sequence of rebuilds makes is a function of each dream's last attributes and links (see :func:`add_dreams`
    and :func:`relink`).

    >>> changes = changes_since(no_changes(), {"b": {"iri": "b"}}, {"a": [("a", "b", 1, "If", "")]})
    >>> changes_since(changes, {"b": None}, {"a": []}) == {"nodes": {"b": None}, "links": {"a": []}}
    True
    """
    return {"nodes": dict(sorted({**last["nodes"], **nodes}.items())),
            "links": dict(sorted({**last["links"], **links}.items()))}


def with_changes(graph: nx.DiGraph, changes: dict) -> nx.DiGraph:
    """Return the projection a build kept with the changes the rebuilds since made to it (see
    :func:`changes_since`) put in, in place: the projection :func:`from_library` makes of the library now.
    A rebuild that patches the tables keeps those changes rather than reading and writing the projection
    (0.1 s at 10,000 dreams and 1.4 s at 100,000, with networkx's import), and reads no projection at all
    (see :class:`LinkedView`).

    >>> g = graph_of({"nodes": [(s, {"iri": s, "label": s}) for s in "ac"], "edges": [("a", "c", {})]})
    >>> changes = changes_since(no_changes(), {"b": {"iri": "b", "label": "b"}, "c": None},
    ...                         {"a": [("a", "b", 1, "If", "")], "c": []})
    >>> g = with_changes(g, changes)
    >>> list(g), list(g.edges)
    (['a', 'b'], [('a', 'b')])
    """
    nodes, links = changes["nodes"], changes["links"]
    for slug, attributes in nodes.items():
        if attributes is not None and slug in graph:
            graph.nodes[slug].update(attributes)
    add_dreams(graph, {slug: attributes for slug, attributes in nodes.items()
                       if attributes is not None and slug not in graph})
    relink(graph, {slug: made for slug, made in links.items() if slug in graph})
    remove_dreams(graph, [slug for slug, attributes in nodes.items() if attributes is None and slug in graph])
    return graph


def same_structure(a: dict, b: dict) -> bool:
    """Return True when two :func:`links_of` tables have the same dreams, labels, kinds and links between
    them: what the rankings are a function of (see :func:`dreamgraph.progression.rankings`)."""
    import numpy as np

    return (a["slugs"] == b["slugs"] and a["labels"] == b["labels"]
            and all(np.array_equal(a[name], b[name]) for name in ("stub", "succ_ptr", "succ")))


class LinkedView:
    """The projection as read from the kept :class:`Links`, without the projection itself (a second and a half
    to load at 100,000 dreams) or networkx: dreams, their attributes and the links between them from the
    arrays, and the texts of a link (condition, gloss, position) asked of the store for the dreams reached.
    It offers the part of networkx's DiGraph interface the progression questions about one or two dreams
    (``next``, ``leads-to``, ``path``) and the gap report read: ``in``, ``len``, iteration (the dreams in
    the projection's order), ``nodes[slug]`` and ``nodes(data=...)``, ``successors``, ``predecessors``,
    ``in_degree``, ``out_degree``, ``has_edge``, ``edges`` (iterated: the links; ``edges[a, b]``: their
    texts), ``out_edges``, ``in_edges`` and ``number_of_edges``. A dream's successors come in the order of
    their slugs, where the projection has them in the order of the article's Next Stages: the questions
    that read it sort them. ``store`` may be None for questions that read no link's texts (the gaps, see
    :func:`dreamgraph.gaps.find_gaps` in a rebuild that patches the last build's tables).

    >>> import networkx as nx
    >>> g = graph_of({"nodes": [(s, {"label": s.upper(), "stub": s == "c", "partial": False, "clusters": [],
    ...                              "subtitle": None, "iri": str(dream_iri(s))}) for s in "abc"],
    ...               "edges": [("a", "c", {}), ("a", "b", {}), ("b", "b", {})]})
    >>> view = LinkedView(Links(links_of(g)), None)
    >>> list(view), sorted(view.edges) == sorted(g.edges), view.has_edge("b", "b"), view.in_degree("b")
    (['a', 'b', 'c'], True, True, 2)
    >>> list(view.nodes(data="stub")) == list(g.nodes(data="stub")), view.nodes["a"] == g.nodes["a"]
    (True, True)
    """

    def __init__(self, links: Links, store: Store | None):
        self.links, self.store = links, store
        self.nodes = _LinkedNodes(links)
        self.edges = _LinkedEdges(self)
        self._known: dict[tuple[str, str], dict] = {}
        self._asked: set[tuple[str, bool]] = set()

    def __contains__(self, slug) -> bool:
        return slug in self.links.index

    def __len__(self) -> int:
        return len(self.links.slugs)

    def __iter__(self):
        return iter(self.links.slugs)

    def successors(self, slug: str) -> list[str]:
        return [self.links.slugs[m] for m in self.links.successors(self.links.index[slug])]

    def predecessors(self, slug: str) -> list[str]:
        return [self.links.slugs[m] for m in self.links.predecessors(self.links.index[slug])]

    def out_degree(self, slug: str) -> int:
        return self.links.out_degree(self.links.index[slug])

    def in_degree(self, slug: str) -> int:
        return self.links.in_degree(self.links.index[slug])

    def has_edge(self, a: str, b: str) -> bool:
        index = self.links.index
        return a in index and b in index and index[b] in self.links.successors(index[a]).tolist()

    def out_edges(self, slug: str) -> list[tuple[str, str]]:
        return [(slug, target) for target in self.successors(slug)]

    def in_edges(self, slug: str) -> list[tuple[str, str]]:
        return [(source, slug) for source in self.predecessors(slug)]

    def number_of_edges(self) -> int:
        return self.links.link_count()

    def edge(self, a: str, b: str) -> dict:
        """Return the attributes of the link a -> b, as the projection has them (see :func:`projection_edges`)."""
        if (a, b) not in self._known:
            # the links of whichever end has fewer, asked once
            outgoing = self.links.out_degree(self.links.index[a]) <= self.links.in_degree(self.links.index[b])
            end = a if outgoing else b
            if (end, outgoing) not in self._asked:
                self._asked.add((end, outgoing))
                found = transitions(self.store, str(dream_iri(end)), outgoing)
                for source, target, attributes in projection_edges(sorted(found, key=lambda x: (x[0], x[2]))):
                    self._known.setdefault((source, target), attributes)
        return self._known[a, b]


class _LinkedNodes:
    def __init__(self, links: Links):
        self.links = links
        self._made: dict[int, dict] = {}  # each dream's attributes, made once (read 50,000 times by the gaps)

    def __getitem__(self, slug: str) -> dict:
        return self._attributes(self.links.index[slug])

    def _attributes(self, n: int) -> dict:  # in the projection's order of keys
        if n in self._made:
            return self._made[n]
        if not self._made:  # the arrays as lists, once (an item of a numpy array is slow to read)
            self._stub, self._partial = self.links.stub.tolist(), self.links.partial.tolist()
        links = self.links
        made = self._made[n] = {"iri": str(dream_iri(links.slugs[n])), "label": links.labels[n],
                                "stub": self._stub[n], "subtitle": links.subtitles[n],
                                "partial": self._partial[n], "clusters": list(links.clusters[n])}
        return made

    def __call__(self, data: bool | str = False):
        """The dreams, or (dream, attributes) pairs, or (dream, one attribute) pairs, as networkx's ``nodes``."""
        links = self.links
        if data is True:
            return [(slug, self._attributes(n)) for n, slug in enumerate(links.slugs)]
        if data in ("stub", "partial"):
            return list(zip(links.slugs, getattr(links, data).tolist()))
        if data == "subtitle":
            return list(zip(links.slugs, links.subtitles))
        if data == "clusters":
            return [(slug, list(clusters)) for slug, clusters in zip(links.slugs, links.clusters)]
        if data:
            return [(slug, self._attributes(n)[data]) for n, slug in enumerate(links.slugs)]
        return list(links.slugs)

    def __iter__(self):
        return iter(self.links.slugs)

    def __contains__(self, slug) -> bool:
        return slug in self.links.index

    def __len__(self) -> int:
        return len(self.links.slugs)


class _LinkedEdges:
    def __init__(self, view: LinkedView):
        self.view = view

    def __getitem__(self, pair: tuple[str, str]) -> dict:
        return self.view.edge(*pair)

    def __iter__(self):
        slugs, links = self.view.links.slugs, self.view.links
        return ((slugs[n], slugs[m]) for n, m in links.pairs().tolist())

    def __len__(self) -> int:
        return self.view.number_of_edges()
