"""What a view shows: dreams, clusters, next stages, dream cards and gaps, as plain data ready for the page.

Node ids are slugs prefixed by kind (``dream:falling``, ``cluster:fear``), so
they are always safe identifiers; every text from the articles stays data and
is escaped by the page, never interpreted. A view also says how it opens
(``initial``: the dream in focus and its depth, a cluster, a path's two ends),
in the same words as the page's address (``#dream=falling&depth=2``).

>>> from dreamgraph.store import MemoryStore
>>> store = MemoryStore.from_turtle(b'''@prefix dg: <https://w3id.org/dreamgraph/ontology#> .
... @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
... <https://w3id.org/dreamgraph/id/dream/a> a dg:Dream ; rdfs:label "A" ; dg:isStub false .''')
>>> view = taxonomy_view(store)
>>> [(n["id"], n["kind"]) for n in view.nodes]
[('dream:a', 'dream')]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import networkx as nx

from ..errors import DreamgraphError
from ..progression import progression_graph, shortest_progression, why_no_progression
from ..snapshot import Snapshot
from ..store import Store
from ..vocabulary import dream_iri

# Cluster colours, in the order clusters are given them (largest first): muted, told apart in print and
# by most colour-blind readers; beyond twelve clusters they repeat, and the region labels tell them apart.
CLUSTER_COLORS = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#e1b12c", "#76b7b2", "#ff9da7", "#9c755f",
                  "#e15759", "#8cd17d", "#86bcb6", "#d4a6c8")
NO_CLUSTER_COLOR = "#9aa5b1"
# One mark per gap kind: a colour that is neither the selection's nor the path's, and a letter, so the kind
# reads without colour too.
GAP_MARKS = {
    "missing-article": ("#d62728", "M"), "broken-link": ("#ff7f0e", "B"), "partial-article": ("#8c564b", "P"),
    "incomplete-article": ("#bcbd22", "I"), "dead-end": ("#e377c2", "D"), "orphan": ("#17becf", "O"),
    "unreachable": ("#7f7f7f", "U"), "near-duplicate": ("#9467bd", "N"), "possible-overlap": ("#c5b0d5", "V"),
    "thin-cluster": ("#2ca02c", "T"),
    "cluster-without-hub": ("#1f77b4", "H"), "no-cluster": ("#aec7e8", "C"), "link-suggestion": ("#dbdb8d", "L"),
    "one-way": ("#c7c7c7", "W"),
}
CLUSTER_GAPS = ("thin-cluster", "cluster-without-hub")
MAX_DEPTH = 3  # the page's neighbourhood slider goes from 1 to 3 links


@dataclass
class ViewData:
    """The content of one view: ``nodes`` and ``edges`` (also what GraphML and CSV exports hold),
    ``cards`` per dream, ``clusters`` with their members, ``gaps``, and the state the page opens in."""

    title: str
    kind: str = "taxonomy"                                   # taxonomy, dream, cluster, path or gaps
    nodes: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    cards: dict[str, dict] = field(default_factory=dict)     # dream node id -> card
    clusters: list[dict] = field(default_factory=list)       # {"id", "slug", "label", "color", "members", "hub"}
    gaps: list[dict] = field(default_factory=list)            # {"kind", "node", "label", "score", "action", "evidence"}
    initial: dict = field(default_factory=dict)               # dream, depth, cluster, from, to (slugs)
    path: list[str] = field(default_factory=list)             # the path view's progression (slugs)
    # what drawing the view worked out once (its layout, its packed cards: see views.html.payload), shared
    # with a view made from this one with the same dreams (the gap report's from the taxonomy's)
    prepared: dict = field(default_factory=dict, repr=False, compare=False)


def dream_id(slug: str) -> str:
    return f"dream:{slug}"


def cluster_id(slug: str) -> str:
    return f"cluster:{slug}"


def card_parts(source: Store | Snapshot) -> Mapping[str, dict[str, list]]:
    """Return, per written dream, the parts its card shows (see :mod:`dreamgraph.snapshot.articles`)."""
    return Snapshot.of(source).card_parts


def cluster_labels(source: Store | Snapshot) -> dict[str, str]:
    """Return each cluster's label (the first, when articles spell the name in several ways)."""
    return {slug: entry["labels"][0] for slug, entry in Snapshot.of(source).clusters.items() if entry["labels"]}


def pagerank(store: Store, graph: nx.DiGraph) -> dict[str, float]:
    """Return each dream's PageRank, rounded to 6 places: the rankings' the build kept, when the store has
    them (computing it again took 3.4 s of a 100,000-dream view of one dream's neighbourhood), else
    computed on a copy in sorted order so the figures do not depend on the order the graph was filled in
    (the same figures: a test compares them)."""
    kept = Snapshot.of(store).kept("rankings") if graph.number_of_edges() else None
    if kept is not None:
        return {row["slug"]: row["pagerank"] for row in kept}
    ordered = nx.DiGraph()
    ordered.add_nodes_from(sorted(graph))
    ordered.add_edges_from(sorted(graph.edges))
    if not ordered.number_of_edges():
        return {n: round(1 / max(len(ordered), 1), 6) for n in ordered}
    return {n: round(v, 6) for n, v in nx.pagerank(ordered).items()}


def _names(store: Store, keep: set[str]) -> dict[str, list[str]]:
    """Return the other names each dream of ``keep`` answers to (titles and aliases; lowercased), for the
    page's search (matched by IRI: the slugs of all 336,000 names of a 100,000-dream library took 0.9 s
    of a view of 77 dreams)."""
    wanted = {dream_iri(slug): slug for slug in keep}
    names: dict[str, list[str]] = defaultdict(list)
    for name, iri in Snapshot.of(store).names.items():
        slug = wanted.get(iri)
        if slug is not None:
            names[slug].append(name)
    return names


def _cards(store: Store, graph: nx.DiGraph, keep: set[str], labels: dict[str, str]) -> dict[str, dict]:
    parts = card_parts(store)
    cards = {}
    for slug in sorted(keep):
        data = graph.nodes[slug]
        mine = parts.get(slug, {})
        cards[dream_id(slug)] = {
            "slug": slug, "label": data["label"], "subtitle": data.get("subtitle") or "", "stub": data["stub"],
            "partial": data.get("partial", False),
            "clusters": [{"id": cluster_id(c), "label": labels.get(c, c)} for c in data["clusters"]],
            "quick": mine.get("quick", []), "scenarios": mine.get("scenarios", []),
            "sensations": mine.get("sensations", []), "url": mine.get("url", ""),
            "next": [{"id": dream_id(t), "label": graph.nodes[t]["label"], "condition": graph.edges[slug, t]["condition"],
                      "gloss": graph.edges[slug, t].get("gloss") or ""}
                     for t in sorted(graph.successors(slug), key=lambda t: (graph.edges[slug, t]["position"], t))],
            "from": [{"id": dream_id(s), "label": graph.nodes[s]["label"], "condition": graph.edges[s, slug]["condition"]}
                     for s in sorted(graph.predecessors(slug))],
        }
    return cards


def _assemble(store: Store, graph: nx.DiGraph, keep: set[str], title: str, kind: str) -> ViewData:
    """Return a view of the dreams in ``keep`` with their clusters, next stages among them and cards."""
    labels = cluster_labels(store)
    ranks = pagerank(store, graph)
    names = _names(store, keep)
    view = ViewData(title=title, kind=kind)
    members: dict[str, list[str]] = defaultdict(list)
    for slug in sorted(keep):
        data = graph.nodes[slug]
        view.nodes.append({
            "id": dream_id(slug), "slug": slug, "label": data["label"], "kind": "stub" if data["stub"] else "dream",
            "subtitle": data.get("subtitle") or "", "partial": bool(data.get("partial")), "rank": ranks[slug],
            "clusters": [cluster_id(c) for c in data["clusters"]],
            "names": sorted(set(names.get(slug, ())) - {data["label"].lower(), slug})})
        for cluster in data["clusters"]:
            members[cluster].append(slug)
    order = sorted(members, key=lambda c: (-len(members[c]), c))
    for index, cluster in enumerate(order):
        label = labels.get(cluster, cluster)
        hub = cluster if cluster in keep and not graph.nodes[cluster]["stub"] else None
        view.nodes.append({"id": cluster_id(cluster), "slug": cluster, "label": label, "kind": "cluster",
                           "clusters": [cluster_id(cluster)]})
        view.clusters.append({"id": cluster_id(cluster), "slug": cluster, "label": label,
                              "color": CLUSTER_COLORS[index % len(CLUSTER_COLORS)],
                              "members": [dream_id(m) for m in members[cluster]],
                              "hub": dream_id(hub) if hub else None})
    view.clusters.sort(key=lambda c: c["id"])
    for cluster in sorted(members):
        view.edges.extend({"id": f"member:{slug}>{cluster}", "from": dream_id(slug), "to": cluster_id(cluster),
                           "kind": "member", "title": ""} for slug in members[cluster])
    # the links among the dreams kept, found from them (a view of one dream's neighbourhood sorted all
    # 291,000 links of a 100,000-dream library to pick its 180)
    for a, b in sorted((a, b) for a in keep for b in graph.successors(a) if b in keep):
        edge = graph.edges[a, b]
        title = "\n".join(edge["conditions"]) + (f"\n— {edge['gloss']}" if edge.get("gloss") else "")
        view.edges.append({"id": f"next:{a}>{b}", "from": dream_id(a), "to": dream_id(b), "kind": "next",
                           "title": title})
    view.cards = _cards(store, graph, keep, labels)
    return view


def taxonomy_view(store: Store) -> ViewData:
    """Every dream, cluster and next-stage link."""
    graph = progression_graph(store)
    return _assemble(store, graph, set(graph), "Dream taxonomy", "taxonomy")


def dream_view(store: Store, slug: str, hops: int = 1) -> ViewData:
    """One dream's neighbourhood within ``hops`` links either way, opened on the dream with its scenarios
    and sensations drawn round it."""
    graph = progression_graph(store)
    if slug not in graph:
        raise DreamgraphError(f"unknown dream {slug!r}")
    keep = set(nx.ego_graph(graph.to_undirected(as_view=True), slug, radius=hops))
    view = _assemble(store, graph, keep, f"{graph.nodes[slug]['label']} and its neighbourhood", "dream")
    view.initial = {"dream": slug, "depth": max(1, min(hops, MAX_DEPTH))}
    add_satellites(view, dream_id(slug))
    return view


def cluster_view(store: Store, cluster: str) -> ViewData:
    """A cluster's dreams and the dreams they lead to, opened on the cluster."""
    graph = progression_graph(store)
    members = {n for n in graph if cluster in graph.nodes[n]["clusters"]}
    keep = members | {t for m in members for t in graph.successors(m)}
    label = cluster_labels(store).get(cluster, cluster)
    view = _assemble(store, graph, keep, f"The {label} cluster", "cluster")
    view.initial = {"cluster": cluster}
    return view


def path_view(store: Store, source: str, target: str) -> ViewData:
    """The shortest progression from one dream to another, every step listed with its condition, among
    the dreams next to it. Raises :class:`DreamgraphError` when there is none (as ``dreamgraph path`` says)."""
    graph = progression_graph(store)
    path = shortest_progression(graph, source, target)
    if path is None:
        raise DreamgraphError(f"no progression from {source} to {target}: {why_no_progression(graph, source, target)}")
    context = set(path)
    for slug in path:
        context |= set(graph.successors(slug)) | set(graph.predecessors(slug))
    view = _assemble(store, graph, context, f"From {graph.nodes[source]['label']} to {graph.nodes[target]['label']}",
                     "path")
    view.initial = {"from": source, "to": target}
    view.path = path
    return view


def gap_node(gap) -> str:
    """Return the view node a gap is about: a cluster for the cluster kinds, else a dream."""
    return cluster_id(gap.node) if gap.kind in CLUSTER_GAPS else dream_id(gap.node)


def gaps_view(store: Store, gaps, taxonomy: ViewData | None = None) -> ViewData:
    """The taxonomy with every gap marked by kind on its dream or cluster, and the gaps listed by kind.
    Given the ``taxonomy`` view of the same store (drawn or not), it is made from it, sharing its dreams,
    links, cards and what drawing it worked out (``prepared``): at 100,000 dreams, half of the time of
    writing both pages."""
    if taxonomy is not None and taxonomy.kind == "taxonomy":
        view = replace(taxonomy, title="Content gaps", kind="gaps", gaps=[])
    else:
        view = taxonomy_view(store)
        view.title, view.kind = "Content gaps", "gaps"
    ids = {n["id"] for n in view.nodes}
    for gap in gaps:
        node = gap_node(gap)
        if node in ids:
            view.gaps.append({"kind": gap.kind, "node": node, "label": gap.label, "score": gap.score,
                              "action": gap.action, "evidence": [dict(e) for e in gap.evidence]})
    return view


def add_satellites(view: ViewData, node_id: str) -> None:
    """Add a dream's scenarios and sensations as small nodes linked to it."""
    card = view.cards[node_id]
    for kind, items in (("scenario", card["scenarios"]), ("sensation", card["sensations"])):
        for n, (label, meaning) in enumerate(items, 1):
            sat = f"{kind}:{card['slug']}/{n}"
            view.nodes.append({"id": sat, "label": label, "kind": kind, "meaning": meaning, "parent": node_id,
                               "clusters": []})
            view.edges.append({"id": f"{kind}:{card['slug']}/{n}>", "from": node_id, "to": sat, "kind": kind,
                               "title": meaning})
