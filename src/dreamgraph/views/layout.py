"""Deterministic node positions, computed once in Python so the page draws at once with physics off.

The library views (taxonomy, gaps, cluster) give each cluster a round region:
its hub at the centre, its written dreams around it by rank, and the stubs
it links to on the rim; a dream in several clusters is drawn in the one it is
the hub of, else the largest. The regions are placed by a seeded spring
layout of the clusters (weighted by the next stages between them), then
pushed apart until none overlap. A dream view is radial (the dream at the
centre, each further link a ring out) and a path view a row (the path left to
right, the dreams next to it above and below). Positions are whole units and
nothing depends on set or hash order, so the same graph always gives the same
bytes.

>>> sunflower(0, 10), sunflower(1, 10)
((0, 0), (-7, 7))
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import networkx as nx
import numpy as np

from .data import ViewData

GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))
SATELLITE_KINDS = ("scenario", "sensation")
SPRING_LIMIT = 400  # regions; above this they are laid on a spiral (the spring layout is quadratic)


def sunflower(index: int, spacing: float) -> tuple[int, int]:
    """Return the position of the index-th point of a sunflower spiral (evenly spread points in a disc)."""
    radius = spacing * math.sqrt(index)
    angle = index * GOLDEN_ANGLE
    return round(radius * math.cos(angle)), round(radius * math.sin(angle))


def spacing_for(dreams: int) -> int:
    """Return the distance between neighbouring dreams: room for labels in small views, density in large."""
    return 130 if dreams <= 150 else 90 if dreams <= 1500 else 70


def _dream_graph(view: ViewData) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(n["id"] for n in view.nodes if n["kind"] in ("dream", "stub")))
    graph.add_edges_from(sorted((e["from"], e["to"]) for e in view.edges if e["kind"] == "next"))
    return graph


def home_clusters(view: ViewData) -> dict[str, str | None]:
    """Return the region each dream is drawn in: its hub cluster, else its largest cluster; a dream in no
    cluster goes with the dreams that link to it (most of them), else with those it links to, else none."""
    size = {c["id"]: len(c["members"]) for c in view.clusters}
    nodes = {n["id"]: n for n in view.nodes}
    graph = _dream_graph(view)
    home: dict[str, str | None] = {}
    for node_id in graph:
        clusters = nodes[node_id]["clusters"]
        hub = "cluster:" + nodes[node_id]["slug"]
        if clusters:
            home[node_id] = hub if hub in clusters else min(clusters, key=lambda c: (-size.get(c, 0), c))
    for node_id in graph:
        if node_id in home:
            continue
        for neighbours in (graph.predecessors(node_id), graph.successors(node_id)):
            votes = Counter(home[n] for n in neighbours if home.get(n))
            if votes:
                home[node_id] = min(votes, key=lambda c: (-votes[c], c))
                break
        else:
            home[node_id] = None
    return home


def _region_centres(radii: np.ndarray, weights: dict) -> np.ndarray:
    """Return non-overlapping centres for regions of the given radii, related regions close together: a
    seeded spring layout of the regions says where each would like to be, then the regions are put down
    one by one, nearest the middle first, each at the free spot nearest its wish."""
    count = len(radii)
    if count == 0:  # an empty library: no regions to place (networkx 3.2's spring layout fails on none)
        return np.zeros((0, 2))
    gap = float(radii.mean()) * 0.15
    if count > SPRING_LIMIT:
        wishes = np.array([sunflower(i, 2.0 * float(radii.max())) for i in range(count)], dtype=float)
    else:
        graph = nx.Graph()
        graph.add_nodes_from(range(count))
        graph.add_weighted_edges_from(sorted((i, j, w) for (i, j), w in weights.items()))
        start = {i: sunflower(i, 1.0) for i in range(count)}
        spring = nx.spring_layout(graph, pos={i: (float(x), float(y)) for i, (x, y) in start.items()}, seed=7,
                                  iterations=80)
        wishes = np.array([spring[i] for i in range(count)], dtype=float)
        spread = float(np.abs(wishes - wishes.mean(axis=0)).max()) or 1.0
        wishes = (wishes - wishes.mean(axis=0)) / spread * math.sqrt(float((radii ** 2).sum())) * 1.1
    order = sorted(range(count), key=lambda i: (round(float(np.hypot(*wishes[i])), 3), i))
    centres = np.zeros((count, 2))
    placed: list[int] = []
    for i in order:
        centres[i] = _free_spot(wishes[i], float(radii[i]) * 0.35, centres[placed], radii[placed] + radii[i] + gap)
        placed.append(i)
    return centres - centres.mean(axis=0)


def _free_spot(wish: np.ndarray, step: float, others: np.ndarray, room: np.ndarray, tries: int = 100000,
               batch: int = 256) -> np.ndarray:
    """Return the first spot of a sunflower spiral around ``wish`` (``step`` apart) at least ``room[j]``
    from each of ``others[j]``, or the last of ``tries`` spots tried. The spots are tried ``batch`` at a time
    (one at a time, placing the regions of 10,000 dreams took 1.8 s), the first that fits is the answer;
    each batch is checked against the others near enough to its spots to be in the way (against all of
    them, the 2,221 regions of 100,000 dreams took 7 s).

    >>> _free_spot(np.array([0.0, 0.0]), 10.0, np.array([[0.0, 0.0]]), np.array([25.0])).tolist()
    [-12.0, -23.0]
    """
    if not len(others):
        return wish + (0, 0)
    away = np.hypot(others[:, 0] - wish[0], others[:, 1] - wish[1])  # how far each other is from the wish
    for first in range(0, tries, batch):
        offsets = np.array([sunflower(k, step) if k else (0, 0) for k in range(first, min(first + batch, tries))],
                           dtype=float)
        spots = wish + offsets
        # an other farther from the wish than the batch's farthest spot and its room is clear of every spot
        reach = float(np.hypot(offsets[:, 0], offsets[:, 1]).max()) * (1 + 1e-9) + 1e-9
        near = away <= reach + room
        close, space = others[near], room[near]
        fits = np.all(np.hypot(close[:, 0] - spots[:, None, 0], close[:, 1] - spots[:, None, 1]) >= space, axis=1)
        if fits.any():
            return spots[int(np.argmax(fits))]
    return spots[-1]


def clustered_layout(view: ViewData, home: dict[str, str | None]) -> dict[str, tuple[int, int]]:
    """Place every dream in the region of its ``home`` cluster (see :func:`home_clusters`) and record each
    region's centre and radius on the view's clusters (``x``, ``y``, ``r``)."""
    nodes = {n["id"]: n for n in view.nodes}
    groups: dict[str, list[str]] = defaultdict(list)
    for node_id, cluster in home.items():
        groups[cluster or "~"].append(node_id)
    spacing = spacing_for(len(home))
    keys = sorted(groups, key=lambda k: (k == "~", -len(groups[k]), k))
    radii = np.array([spacing * math.sqrt(len(groups[k])) + spacing * 0.6 for k in keys])
    index = {k: i for i, k in enumerate(keys)}
    weights: Counter = Counter()
    for edge in view.edges:
        if edge["kind"] == "next":
            a, b = index[home[edge["from"]] or "~"], index[home[edge["to"]] or "~"]
            if a != b:
                weights[min(a, b), max(a, b)] += 1
    centres = _region_centres(radii, weights)
    positions: dict[str, tuple[int, int]] = {}
    region = {}
    for key, (cx, cy), radius in zip(keys, centres, radii):
        cx, cy = round(float(cx)), round(float(cy))
        region[key] = (cx, cy, round(float(radius)))
        hub = "dream:" + key.split(":", 1)[1] if key != "~" else None
        members = sorted(groups[key], key=lambda m: (m != hub, nodes[m]["kind"] == "stub", -nodes[m]["rank"], m))
        for i, member in enumerate(members):
            x, y = sunflower(i, spacing)
            positions[member] = (cx + x, cy + y)
    for cluster in view.clusters:
        x, y, r = region.get(cluster["id"], (0, 0, 0))
        cluster.update(x=x, y=y, r=r)
        positions[cluster["id"]] = (x, y)
    return positions


def radial_layout(view: ViewData, centre: str) -> dict[str, tuple[int, int]]:
    """The centre dream in the middle, each further link one ring out; what it leads to on the right."""
    graph = _dream_graph(view)
    distance = nx.single_source_shortest_path_length(graph.to_undirected(as_view=True), centre)
    rings: dict[int, list[str]] = defaultdict(list)
    for node_id in sorted(distance):
        rings[distance[node_id]].append(node_id)
    positions = {centre: (0, 0)}
    angle: dict[str, float] = {centre: 0.0}
    for depth in sorted(rings):
        if depth == 0:
            continue
        members = rings[depth]
        if depth == 1:
            members.sort(key=lambda m: (0 if graph.has_edge(centre, m) else 1, m))
        else:
            def parent_angle(m):
                parents = sorted(p for p in nx.all_neighbors(graph, m) if distance.get(p) == depth - 1)
                return angle[parents[0]] if parents else 0.0
            members.sort(key=lambda m: (parent_angle(m), m))
        radius = max(340 * depth, len(members) * 150 / (2 * math.pi))
        for i, member in enumerate(members):
            theta = -math.pi / 3 + 2 * math.pi * i / len(members)
            angle[member] = theta
            positions[member] = (round(radius * math.cos(theta)), round(radius * math.sin(theta)))
    return positions


def row_layout(view: ViewData, path: list[str]) -> dict[str, tuple[int, int]]:
    """The path from left to right; every other dream above (it leads in) or below (it is led to) the
    first dream of the path it is linked with."""
    graph = _dream_graph(view)
    on_path = ["dream:" + slug for slug in path]
    positions = {node_id: (i * 300, 0) for i, node_id in enumerate(on_path)}
    stacked: Counter = Counter()
    for node_id in sorted(graph):
        if node_id in positions:
            continue
        for i, anchor in enumerate(on_path):
            if graph.has_edge(anchor, node_id) or graph.has_edge(node_id, anchor):
                side = 1 if graph.has_edge(anchor, node_id) else -1
                stacked[i, side] += 1
                positions[node_id] = (i * 300 + 40 * (stacked[i, side] % 2), side * (60 + 110 * stacked[i, side]))
                break
        else:
            positions[node_id] = (0, -60 - 110 * (stacked[-1, -1] + 1))
            stacked[-1, -1] += 1
    return positions


def place(view: ViewData) -> None:
    """Give every node of the view fixed ``x`` and ``y`` (satellites on a small circle round their dream),
    and every dream its ``home`` cluster (the one whose colour it takes), found once here."""
    home = home_clusters(view)
    for node in view.nodes:
        if node["id"] in home:
            node["home"] = home[node["id"]]
    if view.kind == "path" and view.path:
        layout = row_layout(view, view.path)
    elif view.kind == "dream" and view.initial.get("dream"):
        layout = radial_layout(view, "dream:" + view.initial["dream"])
    else:
        layout = clustered_layout(view, home)
    satellites: dict[str, list[str]] = defaultdict(list)
    for node in view.nodes:
        if node["kind"] in SATELLITE_KINDS:
            satellites[node["parent"]].append(node["id"])
    for parent, children in satellites.items():
        px, py = layout[parent]
        for i, child in enumerate(children):
            theta = 2 * math.pi * i / len(children) + math.pi / 2
            layout[child] = (px + round(150 * math.cos(theta)), py + round(150 * math.sin(theta)))
    for cluster in view.clusters:  # regions are drawn only where dreams sit by cluster
        if cluster["id"] not in layout:
            cluster.update(x=0, y=0, r=0)
    for node in view.nodes:
        if node["id"] not in layout:  # a cluster node of a radial or row view: the middle of its members
            members = [layout[m] for c in view.clusters if c["id"] == node["id"] for m in c["members"] if m in layout]
            layout[node["id"]] = (round(sum(x for x, _ in members) / max(len(members), 1)),
                                  round(sum(y for _, y in members) / max(len(members), 1)))
        node["x"], node["y"] = layout[node["id"]]
