"""Deterministic node positions, computed once in Python so the page draws at once with physics off.

Small views use a seeded force-directed layout; large ones (where that takes
minutes) place each cluster's dreams on a sunflower spiral around the cluster,
the clusters themselves on a larger spiral, and every dream without a cluster
beside the first dream that links to it. Positions are whole pixels, so the
same graph always gives the same bytes.

>>> sunflower(0, 10), sunflower(1, 10)
((0, 0), (-7, 7))
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict

import networkx as nx

from .data import ViewData

GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))
FORCE_LAYOUT_LIMIT = 300  # nodes; above this the spiral layout is used (seconds instead of minutes)
SATELLITE_KINDS = ("scenario", "sensation")


def sunflower(index: int, spacing: float) -> tuple[int, int]:
    """Return the position of the index-th point of a sunflower spiral (evenly spread points in a disc)."""
    radius = spacing * math.sqrt(index)
    angle = index * GOLDEN_ANGLE
    return round(radius * math.cos(angle)), round(radius * math.sin(angle))


def _angle(key: str) -> float:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF * 2 * math.pi


def _force_layout(view: ViewData, ids: list[str]) -> dict[str, tuple[int, int]]:
    """Lay out each connected part with a seeded spring layout, then pack the parts in rows, largest first."""
    graph = nx.Graph()
    graph.add_nodes_from(ids)
    graph.add_edges_from((e["from"], e["to"]) for e in view.edges if e["from"] in graph and e["to"] in graph)
    parts = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), c))
    boxes = []
    for part in parts:
        if len(part) == 1:
            boxes.append({part[0]: (0.0, 0.0)})
            continue
        sub = graph.subgraph(part)
        layout = nx.spring_layout(sub, seed=7, iterations=200, scale=110 * math.sqrt(len(part)))
        boxes.append({node: (float(x), float(y)) for node, (x, y) in sorted(layout.items())})
    widths = [max(x for x, _ in box.values()) - min(x for x, _ in box.values()) + 220 for box in boxes]
    row_width = max(max(widths), math.sqrt(sum(w * w for w in widths)) * 1.2)
    positions: dict[str, tuple[int, int]] = {}
    left = top = row_height = 0.0
    for box, width in zip(boxes, widths):
        xs, ys = [x for x, _ in box.values()], [y for _, y in box.values()]
        height = max(ys) - min(ys) + 160
        if left and left + width > row_width:
            left, top, row_height = 0.0, top + row_height, 0.0
        for node, (x, y) in box.items():
            positions[node] = (round(left + x - min(xs) + 110), round(top + y - min(ys) + 80))
        left += width
        row_height = max(row_height, height)
    return positions


def _spiral_layout(view: ViewData, ids: list[str]) -> dict[str, tuple[int, int]]:
    kinds = {n["id"]: n for n in view.nodes}
    groups: dict[str, list[str]] = defaultdict(list)
    loose = []
    for node_id in ids:
        node = kinds[node_id]
        if node["kind"] == "cluster":
            continue
        if node["clusters"]:
            groups[node["clusters"][0]].append(node_id)
        else:
            loose.append(node_id)
    spacing = 55
    widest = max((len(m) for m in groups.values()), default=1)
    ring = 2.4 * spacing * math.sqrt(widest) + 60
    positions: dict[str, tuple[int, int]] = {}
    for index, cluster in enumerate(sorted(groups, key=lambda c: (-len(groups[c]), c))):
        cx, cy = sunflower(index, ring)
        positions[cluster] = (cx, cy)
        for j, member in enumerate(sorted(groups[cluster]), 1):
            x, y = sunflower(j, spacing)
            positions[member] = (cx + x, cy + y)
    for cluster in ids:
        if kinds[cluster]["kind"] == "cluster" and cluster not in positions:
            positions[cluster] = sunflower(len(positions) + 1, ring)
    # A dream in no cluster (often a stub) sits beside the first dream that links to it.
    predecessors: dict[str, list[str]] = defaultdict(list)
    for edge in view.edges:
        if edge["kind"] == "next":
            predecessors[edge["to"]].append(edge["from"])
    pending = sorted(loose)
    outer = len(groups) + 1
    for _ in range(3):  # a stub linked only from another loose dream is placed on a later pass
        left = []
        for node_id in pending:
            anchor = next((p for p in sorted(predecessors[node_id]) if p in positions), None)
            if anchor is None:
                left.append(node_id)
                continue
            angle, (ax, ay) = _angle(node_id), positions[anchor]
            positions[node_id] = (ax + round(70 * math.cos(angle)), ay + round(70 * math.sin(angle)))
        pending = left
    for node_id in pending:
        positions[node_id] = sunflower(outer, ring)
        outer += 1
    return positions


def place(view: ViewData) -> None:
    """Give every node of the view fixed ``x`` and ``y`` (satellites on a small circle round their dream)."""
    main = sorted(n["id"] for n in view.nodes if n["kind"] not in SATELLITE_KINDS)
    layout = _force_layout(view, main) if len(main) <= FORCE_LAYOUT_LIMIT else _spiral_layout(view, main)
    satellites: dict[str, list[str]] = defaultdict(list)
    for edge in view.edges:
        if edge["kind"] in SATELLITE_KINDS:
            satellites[edge["from"]].append(edge["to"])
    for parent, children in satellites.items():
        px, py = layout[parent]
        for i, child in enumerate(children):
            angle = 2 * math.pi * i / len(children)
            layout[child] = (px + round(170 * math.cos(angle)), py + round(170 * math.sin(angle)))
    for node in view.nodes:
        node["x"], node["y"] = layout[node["id"]]
