"""The rankings over the projection's arrays (dreamgraph.centrality) are networkx's numbers."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from dreamgraph import centrality
from dreamgraph.centrality import betweenness, pagerank, rankings, rankings_aside
from dreamgraph.snapshot.projection import Links, links_of


def _graph(nodes: int, edges: int, seed: int) -> nx.DiGraph:
    graph = nx.gnm_random_graph(nodes, edges, seed=seed, directed=True)
    graph.add_edges_from([(0, 0), (1, 2), (2, 1)])  # a self-loop and a two-dream loop; some dreams lead nowhere
    return graph


@pytest.mark.parametrize("nodes, edges", [(6, 3), (200, 500), (3000, 6000)])
def test_pagerank_is_networkx_s_to_the_last_bit(nodes, edges):
    graph = _graph(nodes, edges, seed=3)
    assert any(graph.out_degree(n) == 0 for n in graph), "a dangling dream is part of the test"
    ours = pagerank(nodes, np.array(list(graph.edges), dtype=np.int64))
    assert ours == list(nx.pagerank(graph).values())


@pytest.mark.parametrize("k", [None, 40])
def test_betweenness_is_networkx_s_from_the_same_sources(k):
    graph = _graph(300, 900, seed=5)
    ours = betweenness(300, np.array(list(graph.edges), dtype=np.int64), k=k, seed=0)
    theirs = nx.betweenness_centrality(graph, k=k, seed=0)
    assert ours.any() and np.allclose(ours, [theirs[n] for n in graph], rtol=0, atol=1e-12)
    assert betweenness(2, np.array([(0, 1)])).tolist() == [0.0, 0.0]


def test_the_rankings_over_the_arrays_are_those_over_the_projection():
    """The build ranks from the kept arrays (dreams in IRI order); over the projection networkx walks, in the
    same order, the rows are the same, above the size where betweenness is estimated from samples too."""
    from dreamgraph.progression import rankings as over_the_graph

    graph = nx.relabel_nodes(_graph(2500, 7000, seed=11), {i: f"dream-{i:04d}" for i in range(2500)})
    nx.set_node_attributes(graph, {n: {"label": n.title(), "stub": n.endswith("7"), "clusters": []} for n in graph})
    ordered = nx.DiGraph()  # the projection's nodes are sorted by IRI, as the arrays number them
    ordered.add_nodes_from(sorted(graph.nodes(data=True)))
    ordered.add_edges_from(graph.edges)
    rows = rankings(Links(links_of(ordered)))
    assert rows == over_the_graph(ordered)
    scores = nx.pagerank(graph)
    assert [r["slug"] for r in rows[:3]] == sorted(graph, key=lambda n: -scores[n])[:3]
    assert {r["stub"] for r in rows} == {True, False} and all(type(r["betweenness"]) is float for r in rows)


def test_rankings_with_the_betweenness_from_a_child_process_are_the_rankings(tmp_path, monkeypatch):
    """A patch takes the rankings at once but for the betweenness, estimated in a child process (above
    ASIDE_ABOVE dreams; here above none) and put in the rows before they are written."""
    graph = nx.relabel_nodes(_graph(2500, 7000, seed=11), {i: f"dream-{i:04d}" for i in range(2500)})
    graph.add_nodes_from(sorted(graph), label="", stub=False, partial=False, clusters=[])
    links = Links(links_of(graph))
    monkeypatch.setattr(centrality, "ASIDE_ABOVE", 0)
    rows, finish = rankings_aside(links, tmp_path)
    assert {row["betweenness"] for row in rows} == {None}  # not yet: the PageRank is there
    assert [(r["slug"], r["pagerank"]) for r in rows] == [(r["slug"], r["pagerank"]) for r in rankings(links)]
    finish()
    assert rows == rankings(links) and any(row["betweenness"] for row in rows)
    assert list(tmp_path.iterdir()) == []  # the child's file is gone with its result


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_strongly_connected_groups_are_networkx_s(seed):
    """The unreachable groups and the loops are found from igraph's strongly connected groups: the same
    partition of the dreams as networkx's, whether asked of a projection or of its kept arrays."""
    from dreamgraph.snapshot.projection import strong_groups

    graph = nx.relabel_nodes(_graph(1500, 1900, seed=seed), {i: f"d{i:04d}" for i in range(1500)})
    graph.add_nodes_from(sorted(graph), label="", stub=False, partial=False, clusters=[])
    expected = {frozenset(group) for group in nx.strongly_connected_components(graph)}
    assert 1 < len(expected) < len(graph), "groups of several dreams and single dreams"
    for asked in (graph, Links(links_of(graph))):
        nodes, group_of, _ = strong_groups(asked)
        found: dict[int, set[str]] = {}
        for node, group in zip(nodes, group_of.tolist()):
            found.setdefault(group, set()).add(node)
        assert {frozenset(group) for group in found.values()} == expected
        assert sorted(found) == list(range(len(found)))  # numbered from 0, as unreachable_groups counts them


def test_rounded_is_python_s_round_value_for_value():
    """The rankings round in numpy; every value must be the float Python's round gives, ties and the values
    next to them included (a tie the scaling moves off its half is the case numpy alone gets wrong)."""
    rng = np.random.default_rng(7)
    k = rng.integers(0, 10**6, 4000)
    ties = (k + 0.5) / 10**6  # decimal halves: most are not exact in binary, some land on either side
    beside = np.concatenate([np.nextafter(ties, 0), np.nextafter(ties, 1)])
    values = np.concatenate([rng.random(20000), rng.random(2000) * 1e-5, ties, beside, [0.0, 1.0, 0.285, 2.675e-3,
                             1e-300, 5e-7, 1500.0000005, 123456.7890125, -0.0000015, float("nan"), float("inf")]])
    ours, python = centrality.rounded(values), [round(float(value), 6) for value in values]
    assert len(ours) == len(python)
    wrong = [(value, a, b) for value, a, b in zip(values.tolist(), ours, python) if not (a == b or a != a and b != b)]
    assert not wrong, wrong[:5]
    assert sum(round(float(t), 6) != float(np.round(t, 6)) for t in ties) > 0, "numpy alone differs on some ties"
    assert centrality.rounded([0.1234565], 3) == [round(0.1234565, 3)]
