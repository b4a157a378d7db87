"""What a view shows: nodes, edges, dream cards and highlights, as plain data ready for the page.

Node ids are slugs prefixed by kind (``dream:falling``, ``cluster:fear``), so
they are always safe identifiers; every text from the articles stays data and
is escaped by the page, never interpreted.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import networkx as nx

from ..progression import progression_graph, shortest_progression
from ..store import Store
from ..vocabulary import slug_of

# One colour and shape per kind of node; the legend on the page is drawn from this table.
KIND_STYLE = {
    "dream": {"label": "written dream", "shape": "dot", "color": "#2f6fd6", "fill": "#2f6fd6"},
    "stub": {"label": "stub (no article yet)", "shape": "dot", "color": "#2f6fd6", "fill": "#ffffff"},
    "cluster": {"label": "cluster", "shape": "diamond", "color": "#d9822b", "fill": "#f5b971"},
    "scenario": {"label": "scenario", "shape": "square", "color": "#2b8a3e", "fill": "#8ce99a"},
    "sensation": {"label": "sensation", "shape": "triangle", "color": "#7048e8", "fill": "#d0bfff"},
}
NEXT_STAGE_COLOR = "#5c6b7a"
HIGHLIGHT_COLOR = "#e03131"


@dataclass
class ViewData:
    """The content of one view."""

    title: str
    nodes: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    cards: dict[str, dict] = field(default_factory=dict)     # dream node id -> card
    clusters: list[dict] = field(default_factory=list)       # for the cluster filter: {"id", "label"}
    gaps: list[dict] = field(default_factory=list)            # for the gap list: {"kind", "node", "action", ...}
    satellites_on_demand: bool = True                         # scenarios appear when a dream is selected


PARTS_QUERY = """
SELECT ?dream ?kind ?position ?label ?detail WHERE {
  VALUES (?link ?kind) { (dg:quickAnswer "quick") (dg:hasScenario "scenario") (dg:hasSensation "sensation") }
  ?dream ?link ?part . ?part rdfs:label ?label ; dg:position ?position .
  OPTIONAL { ?part dg:meaning ?detail }
}"""
CLUSTERS_QUERY = "SELECT ?cluster ?label WHERE { ?cluster a dg:Cluster ; rdfs:label ?label }"


def dream_id(slug: str) -> str:
    return f"dream:{slug}"


def cluster_id(slug: str) -> str:
    return f"cluster:{slug}"


def card_parts(store: Store) -> dict[str, dict[str, list]]:
    """Return, per written dream, the parts its card shows: ``quick`` (texts) and ``scenarios`` and
    ``sensations`` ([text, meaning] pairs), in article order. An embedded store has them from the build."""
    kept = store.derived("card-parts")
    if kept is not None:
        return kept
    found: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in store.select(PARTS_QUERY):
        found[slug_of(row["dream"])][row["kind"]].append((row["position"], row["label"], row.get("detail", "")))
    return {slug: {"quick": [text for _, text, _ in sorted(kinds.get("quick", []))],
                   "scenarios": [[text, meaning] for _, text, meaning in sorted(kinds.get("scenario", []))],
                   "sensations": [[text, meaning] for _, text, meaning in sorted(kinds.get("sensation", []))]}
            for slug, kinds in found.items()}


def _cards(store: Store, graph: nx.DiGraph, keep: set[str], cluster_labels: dict[str, str]) -> dict[str, dict]:
    parts = card_parts(store)
    cards = {}
    for slug in sorted(keep):
        data = graph.nodes[slug]
        mine = parts.get(slug, {})
        cards[dream_id(slug)] = {
            "slug": slug, "label": data["label"], "subtitle": data.get("subtitle") or "", "stub": data["stub"],
            "partial": data.get("partial", False),
            "clusters": [{"id": cluster_id(c), "label": cluster_labels.get(c, c)} for c in data["clusters"]],
            "quick": mine.get("quick", []), "scenarios": mine.get("scenarios", []),
            "sensations": mine.get("sensations", []),
            "next": [{"id": dream_id(t), "label": graph.nodes[t]["label"], "condition": graph.edges[slug, t]["condition"]}
                     for t in sorted(graph.successors(slug), key=lambda t: (graph.edges[slug, t]["position"], t))],
            "from": [{"id": dream_id(s), "label": graph.nodes[s]["label"]} for s in sorted(graph.predecessors(slug))],
        }
    return cards


def _dream_node(graph: nx.DiGraph, slug: str) -> dict:
    data = graph.nodes[slug]
    kind = "stub" if data["stub"] else "dream"
    style = KIND_STYLE[kind]
    title = data["label"] + (f" — {data['subtitle']}" if data.get("subtitle") else "")
    title += "\n(stub: no article yet)" if data["stub"] else ""
    node = {"id": dream_id(slug), "label": data["label"], "title": title, "kind": kind, "shape": style["shape"],
            "size": round(10 + 6 * math.sqrt(graph.in_degree(slug)), 2),
            "color": {"border": style["color"], "background": style["fill"],
                      "highlight": {"border": HIGHLIGHT_COLOR, "background": style["fill"]}},
            "borderWidth": 2, "clusters": [cluster_id(c) for c in data["clusters"]]}
    if data["stub"]:
        node["shapeProperties"] = {"borderDashes": [4, 3]}
    return node


def _cluster_node(slug: str, label: str, members: int) -> dict:
    style = KIND_STYLE["cluster"]
    return {"id": cluster_id(slug), "label": label, "title": f"cluster: {label} ({members} dreams)", "kind": "cluster",
            "shape": style["shape"], "size": round(12 + 3 * math.sqrt(members), 2),
            "color": {"border": style["color"], "background": style["fill"]}, "borderWidth": 2,
            "clusters": [cluster_id(slug)]}


def _stage_edge(graph: nx.DiGraph, a: str, b: str) -> dict:
    edge = graph.edges[a, b]
    title = "\n".join(edge["conditions"]) + (f"\n— {edge['gloss']}" if edge.get("gloss") else "")
    return {"id": f"next:{a}>{b}", "from": dream_id(a), "to": dream_id(b), "kind": "next", "arrows": "to",
            "title": title, "color": {"color": NEXT_STAGE_COLOR}, "width": 1.5}


def _member_edge(slug: str, cluster: str) -> dict:
    return {"id": f"member:{slug}>{cluster}", "from": dream_id(slug), "to": cluster_id(cluster), "kind": "member",
            "dashes": True, "color": {"color": KIND_STYLE["cluster"]["color"], "opacity": 0.5}, "width": 1}


def _assemble(store: Store, graph: nx.DiGraph, keep: set[str], title: str) -> ViewData:
    """Return a view of the dreams in ``keep`` with their clusters, next stages among them and cards."""
    cluster_labels = {slug_of(r["cluster"]): r["label"] for r in store.select(CLUSTERS_QUERY)}
    view = ViewData(title=title)
    members: dict[str, list[str]] = defaultdict(list)
    for slug in sorted(keep):
        view.nodes.append(_dream_node(graph, slug))
        for cluster in graph.nodes[slug]["clusters"]:
            members[cluster].append(slug)
    for cluster in sorted(members):
        view.nodes.append(_cluster_node(cluster, cluster_labels.get(cluster, cluster), len(members[cluster])))
        view.clusters.append({"id": cluster_id(cluster), "label": cluster_labels.get(cluster, cluster)})
        view.edges.extend(_member_edge(slug, cluster) for slug in members[cluster])
    view.edges.extend(_stage_edge(graph, a, b) for a, b in sorted(graph.edges) if a in keep and b in keep)
    view.cards = _cards(store, graph, keep, cluster_labels)
    return view


def taxonomy_view(store: Store) -> ViewData:
    """Every dream, cluster and next-stage link; scenarios and sensations appear for a selected dream."""
    graph = progression_graph(store)
    return _assemble(store, graph, set(graph), "Dream taxonomy")


def dream_view(store: Store, slug: str, hops: int = 1) -> ViewData:
    """One dream's neighbourhood within ``hops`` links either way, with its scenarios and sensations shown."""
    graph = progression_graph(store)
    keep = set(nx.ego_graph(graph.to_undirected(as_view=True), slug, radius=hops))
    view = _assemble(store, graph, keep, f"{graph.nodes[slug]['label']} and its neighbourhood")
    add_satellites(view, dream_id(slug))
    view.satellites_on_demand = False
    return view


def cluster_view(store: Store, cluster: str) -> ViewData:
    """A cluster's dreams and the dreams they lead to."""
    graph = progression_graph(store)
    members = {n for n in graph if cluster in graph.nodes[n]["clusters"]}
    keep = members | {t for m in members for t in graph.successors(m)}
    label = next((r["label"] for r in store.select(CLUSTERS_QUERY) if slug_of(r["cluster"]) == cluster), cluster)
    return _assemble(store, graph, keep, f"The {label} cluster")


def path_view(store: Store, source: str, target: str) -> ViewData:
    """The shortest progression from one dream to another, highlighted among the dreams next to it."""
    graph = progression_graph(store)
    path = shortest_progression(graph, source, target) or [source, target]
    context = set(path)
    for slug in path:
        context |= set(graph.successors(slug)) | set(graph.predecessors(slug))
    view = _assemble(store, graph, context, f"From {graph.nodes[source]['label']} to {graph.nodes[target]['label']}")
    on_path = {dream_id(s) for s in path}
    steps = {f"next:{a}>{b}" for a, b in zip(path, path[1:])}
    for node in view.nodes:
        if node["id"] in on_path:
            node["color"]["border"] = HIGHLIGHT_COLOR
            node["borderWidth"] = 4
    for edge in view.edges:
        if edge["id"] in steps:
            edge["color"] = {"color": HIGHLIGHT_COLOR, "highlight": HIGHLIGHT_COLOR, "hover": HIGHLIGHT_COLOR}
            edge["width"] = 4
    return view


def gaps_view(store: Store, gaps) -> ViewData:
    """The taxonomy with every node that has a gap outlined, and the ranked gap list beside it."""
    view = taxonomy_view(store)
    view.title = "Content gaps"
    by_node: dict[str, list] = defaultdict(list)
    for gap in gaps:
        node = (cluster_id(gap.node) if gap.kind in ("thin-cluster", "cluster-without-hub") else dream_id(gap.node))
        by_node[node].append(gap)
        view.gaps.append({"kind": gap.kind, "node": node, "label": gap.label, "score": gap.score,
                          "action": gap.action})
    for node in view.nodes:
        if node["id"] in by_node:
            node["color"]["border"] = HIGHLIGHT_COLOR
            node["borderWidth"] = 4
            node["title"] += "\n" + "\n".join(f"gap ({g.kind}): {g.action}" for g in by_node[node["id"]])
    return view


def add_satellites(view: ViewData, node_id: str) -> None:
    """Add a dream's scenarios and sensations as small nodes linked to it."""
    card = view.cards[node_id]
    for kind, items in (("scenario", card["scenarios"]), ("sensation", card["sensations"])):
        style = KIND_STYLE[kind]
        for n, (label, meaning) in enumerate(items, 1):
            sat = f"{kind}:{card['slug']}/{n}"
            view.nodes.append({"id": sat, "label": label if len(label) <= 40 else label[:39] + "…",
                               "title": f"{label}\n→ {meaning}", "kind": kind, "shape": style["shape"], "size": 7,
                               "font": {"size": 11, "color": "#52606d"},
                               "color": {"border": style["color"], "background": style["fill"]}, "borderWidth": 1,
                               "clusters": []})
            view.edges.append({"id": f"{kind}:{card['slug']}/{n}>", "from": node_id, "to": sat, "kind": kind,
                               "color": {"color": style["color"], "opacity": 0.6}, "width": 1})
