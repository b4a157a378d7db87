"""What a build keeps beside the store is exactly what the read side would ask of the graph."""

from __future__ import annotations

import pickle
import shutil

import numpy as np
import pytest

from helpers import FIXTURES, SEED
from dreamgraph.build import build
from dreamgraph.dreams import class_counts, dream_names
from dreamgraph.gaps import GapSettings, cluster_table, completeness_matrix, find_gaps, similarity_shingles, stub_links
from dreamgraph.progression import graph_of, projection_data, rankings, store_rankings
from dreamgraph.store import open_store
from dreamgraph.views.data import card_parts

READERS = {"card-parts": card_parts, "completeness": completeness_matrix,
           "stub-links": stub_links, "clusters": cluster_table, "names": dream_names, "counts": class_counts}


@pytest.fixture(scope="module", params=["progression", "gaps", "variants", "hostile"])
def graph(request, tmp_path_factory):
    """A fixture library with the seed article and an alias table, built."""
    folder = tmp_path_factory.mktemp(request.param)
    shutil.copytree(FIXTURES / request.param, folder / "articles")
    shutil.copy(SEED, folder / "articles")
    (folder / "graph").mkdir()
    (folder / "graph" / "aliases.toml").write_text('"dream about falling off a cliff meaning" = "falling"\n')
    build([folder / "articles"], folder / "graph")
    return folder / "graph"


def asking_the_graph(store):
    """Make the store answer as a remote endpoint does: nothing kept, everything asked with SPARQL."""
    store.derived = lambda name: None
    return store


def test_the_projection_kept_is_what_the_graph_answers(graph):
    store = open_store(graph)
    kept = store.derived("projection")
    asked = graph_of(projection_data(store))
    assert kept.number_of_edges() and any(stub for _, stub in kept.nodes(data="stub"))
    assert list(kept.nodes(data=True)) == list(asked.nodes(data=True))
    assert list(kept.edges(data=True)) == list(asked.edges(data=True))


@pytest.mark.parametrize("name", sorted(READERS))
def test_what_is_kept_is_what_the_graph_answers(graph, name):
    store = open_store(graph)
    assert store.derived(name)
    kept = READERS[name](store)
    assert READERS[name](asking_the_graph(open_store(graph))) == kept


def test_the_rankings_kept_are_those_of_the_graph(graph):
    kept = store_rankings(open_store(graph))
    assert kept and kept == rankings(graph_of(projection_data(asking_the_graph(open_store(graph)))))


def test_the_triples_recorded_are_the_triples_in_the_store(graph, tmp_path):
    store = open_store(graph)
    counted = store.execute("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0][1]
    assert store.triple_count() == int(counted) > 0


def test_the_shingles_made_by_the_workers_are_those_of_the_texts_the_graph_answers(graph):
    slugs, hashes, sizes = open_store(graph).derived("shingles")
    asked = similarity_shingles(asking_the_graph(open_store(graph)))
    assert slugs and slugs == asked[0] and len(hashes) == sizes.sum() > 0
    assert np.array_equal(hashes, asked[1]) and np.array_equal(sizes, asked[2])


def test_the_gap_report_is_the_same_either_way(graph):
    kept = open_store(graph).derived("gaps")
    assert kept and find_gaps(open_store(graph)) == kept
    assert kept == find_gaps(asking_the_graph(open_store(graph)))


def test_other_settings_are_computed_not_read_from_the_kept_report(graph):
    store = open_store(graph)
    strict = GapSettings(min_cluster_size=50, min_items=9)
    found = find_gaps(store, strict)
    assert found != store.derived("gaps")
    assert found == find_gaps(asking_the_graph(open_store(graph)), strict)


def test_the_seed_card_and_completeness_hold_its_sections(graph):
    store = open_store(graph)
    card = store.derived("card-parts")["not-being-able-to-run"]
    assert (len(card["quick"]), len(card["scenarios"]), len(card["sensations"])) == (5, 5, 4)
    entry = next(e for e in store.derived("completeness") if e["dream"] == "not-being-able-to-run")
    assert (entry["faq"], entry["next-stages"], entry["the-sentence"]) == (3, 3, 1)


def test_kept_data_of_another_graph_is_not_used(graph, tmp_path):
    copy = tmp_path / "graph"
    shutil.copytree(graph, copy)
    path = copy / ".store" / "completeness.pickle"
    digest, made_by, data = pickle.loads(path.read_bytes())
    path.write_bytes(pickle.dumps(("0" * 64, made_by, data)))  # as if left from an older graph
    store = open_store(copy)
    assert store.derived("completeness") is None and store.derived("projection") is not None
    assert completeness_matrix(store) == data         # the graph is asked instead, with the same answer


def test_kept_data_made_by_other_code_is_not_used(graph, tmp_path):
    from dreamgraph.gaps import find_gaps

    copy = tmp_path / "graph"
    shutil.copytree(graph, copy)
    expected = [g.as_dict() for g in find_gaps(open_store(copy))]
    for name in ("gaps", "projection"):
        path = copy / ".store" / f"{name}.pickle"
        digest, made_by, data = pickle.loads(path.read_bytes())
        path.write_bytes(pickle.dumps((digest, "another version", data)))  # as if an older dreamgraph made it
    store = open_store(copy)
    assert store.derived("gaps") is None and store.derived("projection") is None
    assert store.derived("completeness") is not None
    assert [g.as_dict() for g in find_gaps(store)] == expected  # made anew by this code, the same report


def test_a_name_two_dreams_answer_to_goes_to_the_one_it_labels():
    from dreamgraph.dreams import names_table

    table = names_table({"x/b": {"labels": {"Fall"}, "titles": set(), "aliases": set()},
                         "x/a": {"labels": {"Drop"}, "titles": {"Fall"}, "aliases": {" fall "}},
                         "x/c": {"labels": {"drop"}, "titles": set(), "aliases": set()}})
    assert table["fall"] == "x/b"               # a label before a title or an alias
    assert table["drop"] == "x/a"               # the same rank: the first IRI
    assert table["a"] == "x/a" and table["c"] == "x/c"  # and every slug
