"""Progression paths on a small corpus worked out by hand.

The fixture corpus (tests/fixtures/progression/):
    being-chased → falling;  falling → flying, falling → drowning;  flying → falling, flying → waking-up (stub);
    drowning → waking-up;  teeth-falling-out links nowhere.
So falling ↔ flying is a loop and waking-up is reachable from falling two ways.
"""

import json
import math

import networkx as nx
import pytest

from helpers import FIXTURES, article
from dreamgraph.build import build
from dreamgraph.progression import (all_progressions, loops, progression_graph, progression_tree, rankings,
                                    shortest_progression, steps)
from dreamgraph.answers import search_text
from dreamgraph.connect import open_store


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("progression") / "graph"
    assert build([FIXTURES / "progression"], folder).ok
    return folder


@pytest.fixture(scope="module")
def graph(corpus):
    return progression_graph(open_store(corpus))


def test_projection_nodes_and_edges(graph):
    assert sorted(graph.nodes) == ["being-chased", "drowning", "falling", "flying", "teeth-falling-out", "waking-up"]
    assert sorted(graph.edges) == [("being-chased", "falling"), ("drowning", "waking-up"), ("falling", "drowning"),
                                   ("falling", "flying"), ("flying", "falling"), ("flying", "waking-up")]
    assert graph.nodes["falling"]["clusters"] == ["falling"]
    assert graph.nodes["being-chased"]["clusters"] == ["fear"]
    assert graph.nodes["waking-up"]["stub"] is True and graph.nodes["falling"]["stub"] is False
    assert graph.nodes["falling"]["subtitle"] == "The Floor That Left"
    edge = graph.edges["falling", "flying"]
    assert edge["condition"] == "If the fall turned into floating"
    assert edge["gloss"] == "when the drop stops being a threat"


def test_shortest_path_prefers_the_alphabetically_first_of_equal_length(graph):
    assert shortest_progression(graph, "falling", "waking-up") == ["falling", "drowning", "waking-up"]
    assert shortest_progression(graph, "being-chased", "flying") == ["being-chased", "falling", "flying"]
    assert shortest_progression(graph, "waking-up", "falling") is None
    assert shortest_progression(graph, "falling", "falling") == ["falling"]


def test_steps_carry_conditions(graph):
    assert steps(graph, ["falling", "drowning", "waking-up"]) == [
        {"from": "falling", "to": "drowning", "from_label": "Falling", "to_label": "Drowning",
         "condition": "If you landed in water", "gloss": "when the loss of footing becomes a loss of air"},
        {"from": "drowning", "to": "waking-up", "from_label": "Drowning", "to_label": "waking up",
         "condition": "If you surfaced gasping", "gloss": "when the body ends the dream"}]


def test_all_paths_shortest_first_within_max_hops(graph):
    assert all_progressions(graph, "being-chased", "waking-up", max_hops=3) == [
        ["being-chased", "falling", "drowning", "waking-up"], ["being-chased", "falling", "flying", "waking-up"]]
    assert all_progressions(graph, "being-chased", "waking-up", max_hops=2) == []


def test_forward_tree_marks_repeats_and_stops(graph):
    tree = progression_tree(graph, "falling", depth=2)

    def shape(node):
        return [node["slug"] + ("*" if node["repeat"] else ""), [shape(c) for c in node["children"]]]
    assert shape(tree) == ["falling", [["flying", [["falling*", []], ["waking-up", []]]],
                                       ["drowning", [["waking-up*", []]]]]]
    assert tree["children"][0]["condition"] == "If the fall turned into floating"


def test_backward_tree(graph):
    tree = progression_tree(graph, "waking-up", depth=3, reverse=True)

    def shape(node):
        return [node["slug"] + ("*" if node["repeat"] else ""), [shape(c) for c in node["children"]]]
    # flying is first met with no links left; met again with two, it is expanded there (not "shown above")
    assert shape(tree) == ["waking-up", [["drowning", [["falling", [["being-chased", []], ["flying", []]]]]],
                                         ["flying", [["falling*", []]]]]]


def test_loops(graph):
    assert loops(graph) == [["falling", "flying"]]
    g = nx.DiGraph([("a", "a"), ("b", "c"), ("c", "d"), ("d", "b")])
    assert loops(g) == [["a"], ["b", "c", "d"]]
    assert loops(g, max_length=2) == [["a"]]


def test_rankings_worked_out_by_hand(graph):
    rows = {r["slug"]: r for r in rankings(graph)}
    assert {s: r["in_degree"] for s, r in rows.items()} == {
        "being-chased": 0, "drowning": 1, "falling": 2, "flying": 1, "teeth-falling-out": 0, "waking-up": 2}
    # betweenness, normalised by (n-1)(n-2) = 20: falling lies on 4 shortest paths, flying and drowning on half of 2
    assert {s: r["betweenness"] for s, r in rows.items()} == {
        "being-chased": 0.0, "drowning": 0.05, "falling": 0.2, "flying": 0.05, "teeth-falling-out": 0.0,
        "waking-up": 0.0}
    assert [r["slug"] for r in rankings(graph)][:2] == ["waking-up", "falling"]


def test_sparql_reachability_agrees_with_networkx(corpus, graph):
    from dreamgraph.query import named_query
    from dreamgraph.terms import IRI

    store = open_store(corpus)
    for slug in graph:
        rows = store.select(named_query("reachable-from").text,
                            {"dream": IRI(f"https://w3id.org/dreamgraph/id/dream/{slug}")})
        sparql = sorted(r["reached"].rsplit("/", 1)[1] for r in rows)
        # dg:nextStage+ is "one link, then any number": the successors and everything they reach
        networkx = sorted(set().union(*({s} | nx.descendants(graph, s) for s in graph.successors(slug))))
        assert sparql == networkx, slug


def test_unknown_dream_raises(graph):
    from dreamgraph.errors import UnknownDreamError

    with pytest.raises(UnknownDreamError):
        shortest_progression(graph, "falling", "nowhere")


# --- the commands ---------------------------------------------------------------------------------

def test_path_command(cli, corpus):
    result = cli("-g", corpus, "path", "Falling", "waking up")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "falling → drowning → waking-up (2 steps)",
        "   Falling → Drowning", "      if: If you landed in water",
        "   Drowning → waking up", "      if: If you surfaced gasping"]


def test_path_with_no_answer_says_so(cli, corpus):
    result = cli("-g", corpus, "path", "teeth-falling-out", "falling")
    assert result.exit_code == 0 and result.stdout == (
        "no progression from teeth-falling-out to falling: teeth-falling-out has no next stages: it is a dead end\n")


def test_path_all_json(cli, corpus):
    data = json.loads(cli("-g", corpus, "path", "being-chased", "waking-up", "--all", "--max-hops", "3",
                          "-f", "json").stdout)
    assert [p["dreams"] for p in data["paths"]] == [["being-chased", "falling", "drowning", "waking-up"],
                                                    ["being-chased", "falling", "flying", "waking-up"]]
    assert data["paths"][0]["hops"] == 3 and data["paths"][0]["steps"][0]["condition"] == "If the ground gave way as you ran"


def test_next_and_leads_to_print_trees(cli, corpus):
    assert cli("-g", corpus, "next", "falling", "--depth", "2", "--no-conditions").stdout.splitlines() == [
        "Falling (falling)",
        "├─ Flying (flying)",
        "│  ├─ Falling (falling, shown above)",
        "│  └─ waking up (waking-up, stub)",
        "└─ Drowning (drowning)",
        "   └─ waking up (waking-up, stub, shown above)"]
    assert cli("-g", corpus, "leads-to", "falling", "-d", "1").stdout.splitlines() == [
        "Falling (falling)", "├─ Being Chased (being-chased)", "│     if: If the ground gave way as you ran",
        "└─ Flying (flying)", "      if: If the flight gave out"]


def test_loops_and_rank_commands(cli, corpus):
    assert cli("-g", corpus, "loops").stdout == "falling → flying → falling\n"
    ranked = json.loads(cli("-g", corpus, "rank", "-f", "json").stdout)
    assert [r["slug"] for r in ranked] == ["waking-up", "falling", "drowning", "flying", "being-chased",
                                           "teeth-falling-out"]
    csv_lines = cli("-g", corpus, "rank", "-f", "csv").stdout.splitlines()
    assert csv_lines[0] == "slug,label,stub,in_degree,out_degree,pagerank,betweenness"
    assert csv_lines[1].startswith("waking-up,waking up,true,2,0,")



def test_rank_shows_a_person_the_first_dreams_and_a_program_every_one(cli, tmp_path):
    from dreamgraph.cli import RANKED_IN_A_TABLE

    folder = tmp_path / "articles"
    folder.mkdir()
    for n in range(RANKED_IN_A_TABLE + 10):  # a chain of rooms: 60 written dreams and one stub
        (folder / f"{n:02d}.txt").write_text(article(f"Dream About Room {n}: Doors", next_stages=[
            ("you leave", f"room {n + 1}", "it opens")]), encoding="utf-8")
    build([folder], tmp_path / "g")
    table = cli("-g", tmp_path / "g", "rank")
    assert len(table.stdout.splitlines()) == 2 + RANKED_IN_A_TABLE  # the header, its rule and the first 50
    assert table.stderr.strip() == "… and 11 more dreams (--limit N shows more; --format csv gives every one)"
    assert len(cli("-g", tmp_path / "g", "rank", "--limit", "55").stdout.splitlines()) == 2 + 55
    assert cli("-g", tmp_path / "g", "rank", "--limit", "55").stderr == ""
    assert len(cli("-g", tmp_path / "g", "rank", "-f", "csv").stdout.splitlines()) == 1 + RANKED_IN_A_TABLE + 11
    assert len(json.loads(cli("-g", tmp_path / "g", "rank", "-f", "json").stdout)) == RANKED_IN_A_TABLE + 11

def test_search_finds_parts_with_their_dream(cli, corpus):
    rows = json.loads(cli("-g", corpus, "search", "SURFACE", "-f", "json").stdout)
    assert [(r["dream"], r["kind"]) for r in rows] == [("drowning", "next stage"), ("drowning", "scenario")]
    assert "nothing matches" in cli("-g", corpus, "search", "zebra").stdout


def test_search_looks_in_every_kind_of_text(write_corpus, graph_dir):
    folder = write_corpus({"a.txt": article(
        "Dream About Zorblat Falling: The Zorblat Drop", prose="An intro that mentions zorblat once.",
        quick=["A zorblat answer."], scenarios=[("a zorblat scenario", "a plain meaning"), ("plain", "a ZORBLAT meaning")],
        sensations=[("zorblat in the chest", "fear.")], faq=[("Is zorblat real?", "Yes.")], sentence="Zorblat said it.",
        next_stages=[("it ends", "zorblat stub", "it ends")], extra_sections="Zorblat Notes\nSome plain prose.")})
    build([folder], graph_dir)
    store = open_store(graph_dir)
    rows = search_text(store, "zorBLAT")
    assert sorted({(r["dream"], r["kind"]) for r in rows}) == [
        ("zorblat-falling", "dream"), ("zorblat-falling", "question"), ("zorblat-falling", "quick answer"),
        ("zorblat-falling", "scenario"), ("zorblat-falling", "section"), ("zorblat-falling", "sensation"),
        ("zorblat-stub", "dream")]
    assert all("zorblat" in r["match"].lower() for r in rows)
    assert len([r for r in rows if r["kind"] == "scenario"]) == 2  # a label and a meaning
    assert rows == sorted(rows, key=lambda r: (r["dream"], r["kind"], r["node"]))
    assert search_text(store, '"} DROP ALL') == [] and search_text(store, "zorblat", limit=2) == rows[:2]


def test_unknown_names_get_suggestions_and_exit_1(cli, corpus):
    result = cli("-g", corpus, "path", "falling", "drownin")
    assert result.exit_code == 1 and "did you mean 'drowning'" in result.stderr



def test_finding_a_dream_without_suggestions(corpus):
    """Binding a query's parameter needs no suggestions: the fuzzy search over every name is skipped."""
    from dreamgraph.dreams import find_dream
    from dreamgraph.errors import UnknownDreamError

    store = open_store(corpus)
    with pytest.raises(UnknownDreamError) as suggested:
        find_dream(store, "falingg")
    assert "falling" in suggested.value.suggestions
    with pytest.raises(UnknownDreamError) as plain:
        find_dream(store, "falingg", suggest=False)
    assert plain.value.suggestions == [] and str(plain.value) == "unknown dream 'falingg'"



def test_loops_are_every_simple_cycle_networkx_finds_up_to_the_length():
    """Random graphs, with self-loops, two-dream loops and groups of every size: the loops found are
    networkx's simple cycles of at most that many dreams, each written from its first dream by name, in
    the projection and in the links the build keeps of it."""
    import random

    from dreamgraph.progression import loop_search
    from dreamgraph.snapshot.projection import Links, links_of

    for seed in range(40):
        rng = random.Random(seed)
        nodes = [f"d{rng.randrange(10**6)}" for _ in range(rng.randint(1, 25))]
        graph = nx.DiGraph()
        graph.add_nodes_from(nodes, label="a dream", stub=False, clusters=[])
        graph.add_edges_from((rng.choice(nodes), rng.choice(nodes)) for _ in range(len(nodes) * rng.randint(1, 2)))
        for length in (1, 2, 3, 5, None):
            theirs = []
            for cycle in nx.simple_cycles(graph, length_bound=length):
                start = cycle.index(min(cycle))
                theirs.append(cycle[start:] + cycle[:start])
            found, note = loop_search(graph, max_length=length, limit=10**6, budget=10**6, steps=10**9)
            assert found == sorted(theirs, key=lambda loop: (len(loop), loop)) and note is None, (seed, length)
            kept = Links(links_of(graph))  # what `dreamgraph loops` searches when the build kept it
            assert loop_search(kept, max_length=length, limit=10**6, budget=10**6, steps=10**9) == (found, note)


def test_a_loop_search_that_would_follow_too_many_links_stops_at_a_whole_length_and_says_so():
    from dreamgraph.progression import loop_search

    graph = nx.complete_graph([f"d{i:02}" for i in range(12)], create_using=nx.DiGraph)
    found, note = loop_search(graph, limit=10**6, budget=10**6, steps=20_000)
    longest = max(len(loop) for loop in found)
    assert 2 <= longest < 12
    for length in range(1, longest + 1):  # each length searched is whole: 12!/(12-L)! / L loops of L dreams
        assert sum(len(loop) == length for loop in found) == (math.perm(12, length) // length if length > 1 else 0)
    assert note == (f"loops of {longest + 1} dreams and longer were not searched: there are too many paths to "
                    "follow (give --max-length)")


def test_loops_do_not_depend_on_the_order_the_graph_holds_its_dreams_in():
    import random

    from dreamgraph.progression import loop_search

    for seed in range(12):
        rng = random.Random(seed)
        nodes = [f"dream-{i}" for i in range(rng.randint(5, 30))]
        edges = {(rng.choice(nodes), rng.choice(nodes)) for _ in range(len(nodes) * rng.randint(1, 4))}
        graphs = []
        for _ in range(3):  # the same graph, its dreams and links added in other orders
            shuffled_nodes, shuffled_edges = nodes[:], sorted(edges)
            rng.shuffle(shuffled_nodes), rng.shuffle(shuffled_edges)
            graph = nx.DiGraph()
            graph.add_nodes_from(shuffled_nodes)
            graph.add_edges_from(shuffled_edges)
            graphs.append(graph)
        for options in ({}, {"limit": 5}, {"max_length": 3}, {"budget": 40}, {"limit": 20, "budget": 200}):
            answers = [loop_search(graph, **options) for graph in graphs]
            assert answers[0] == answers[1] == answers[2], (seed, options)

@pytest.mark.parametrize("nodes, edges, k", [(60, 200, None), (400, 1500, 50), (3000, 9000, 100)])
def test_betweenness_is_what_networkx_computes(nodes, edges, k):
    import networkx as nx

    from dreamgraph.progression import betweenness_centrality

    graph = nx.gnm_random_graph(nodes, edges, seed=7, directed=True)
    graph.add_edges_from([(0, 0), (1, 2), (2, 1)])  # a self-loop and a two-dream loop
    graph = nx.relabel_nodes(graph, {i: f"dream-{i}" for i in graph})
    ours, theirs = betweenness_centrality(graph, k=k, seed=0), nx.betweenness_centrality(graph, k=k, seed=0)
    assert list(ours) == list(theirs) and any(theirs.values())
    assert all(abs(ours[n] - theirs[n]) < 1e-12 for n in graph)
