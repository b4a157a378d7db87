"""The read model: every table a build keeps beside the store is exactly what the same table asked of the
graph with SPARQL gives (a remote endpoint, a graph loaded by hand), and kept data of another graph or of
other code is never used."""

from __future__ import annotations

import io
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from helpers import FIXTURES, SEED, leftovers, same_table
from dreamgraph.build import build
from dreamgraph.connect import open_store
from dreamgraph.gaps import GapSettings, find_gaps
import dreamgraph.snapshot as snapshot_module
from dreamgraph.progression import rankings, store_rankings
from dreamgraph.snapshot import TABLES, Snapshot
from dreamgraph.snapshot.articles import names_table

ASKED = sorted(name for name, table in TABLES.items() if table.from_store or table.from_snapshot)


@pytest.fixture(scope="module", params=["progression", "gaps", "variants", "hostile", "html"])
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


@pytest.mark.parametrize("name", ASKED)
def test_each_table_kept_is_what_the_graph_answers(graph, name):
    kept = Snapshot(open_store(graph)).kept(name)
    asked = Snapshot(asking_the_graph(open_store(graph))).table(name)
    assert kept is not None and asked is not None
    if name == "projection":
        assert kept.number_of_edges() and any(stub for _, stub in kept.nodes(data="stub"))
        assert list(kept.nodes(data=True)) == list(asked.nodes(data=True))
        assert list(kept.edges(data=True)) == list(asked.edges(data=True))
    elif name == "links":
        assert kept.keys() == asked.keys() and kept["slugs"] and len(kept["succ"])
        assert all(kept[key] == asked[key] if isinstance(kept[key], list) else np.array_equal(kept[key], asked[key])
                   for key in kept)
    elif name == "shingles":
        from dreamgraph.snapshot.texts import shingle_arrays

        kept, asked = shingle_arrays(kept), shingle_arrays(asked)
        assert kept[0] and kept[0] == asked[0] and len(kept[1]) == kept[2].sum() > 0
        assert np.array_equal(kept[1], asked[1]) and np.array_equal(kept[2], asked[2])
    elif name == "card-parts":
        from dreamgraph.snapshot.articles import Cards

        assert len(kept["slugs"]) and same_table(name, kept, asked)  # the parts, as unpickled
        assert dict(Cards(kept).items()) == dict(Cards(asked).items()) and Cards(kept).urls == Cards(asked).urls
    else:
        assert kept == asked and (kept or name == "mentions")  # a library may name no dream in its prose


def test_the_counts_kept_are_in_the_order_the_graph_gives_them(graph):
    """`stats` prints the counts in their order: kept or asked of the graph, the same lines."""
    store = open_store(graph)
    assert list(Snapshot(store).kept("counts")) == list(snapshot_module.TABLES["counts"].from_store(store))


def test_every_table_is_kept_by_a_build(graph):
    snapshot = Snapshot(open_store(graph))
    assert [name for name in TABLES if snapshot.kept(name) is None] == []


def test_a_snapshot_reads_each_table_once(graph):
    store = open_store(graph)
    asked = []
    store.derived = lambda name: asked.append(name) or None  # nothing kept: each table asked of the graph
    snapshot = Snapshot.of(store)
    assert Snapshot.of(snapshot) is snapshot
    first = snapshot.projection
    assert snapshot.projection is first and Snapshot.of(store).projection is first
    assert asked.count("projection") == 1


def test_the_rankings_kept_are_those_of_the_graph(graph):
    kept = store_rankings(open_store(graph))
    assert kept and kept == rankings(Snapshot(asking_the_graph(open_store(graph))).projection)


def test_the_views_take_the_pagerank_the_build_kept_and_it_is_what_they_compute(graph):
    from dreamgraph.progression import progression_graph
    from dreamgraph.views.data import pagerank

    projection = progression_graph(asking_the_graph(open_store(graph)))
    kept = pagerank(open_store(graph), projection)
    assert kept == pagerank(asking_the_graph(open_store(graph)), projection)
    assert kept.keys() == set(projection) and sum(kept.values()) == pytest.approx(1, abs=1e-3)


def test_the_triples_recorded_are_the_triples_in_the_store(graph, tmp_path):
    store = open_store(graph)
    counted = store.execute("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0][1]
    assert store.triple_count() == int(counted) > 0


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
    card = Snapshot(store).card_parts["not-being-able-to-run"]
    assert (len(card["quick"]), len(card["scenarios"]), len(card["sensations"])) == (5, 5, 4)
    entry = next(e for e in store.derived("completeness") if e["dream"] == "not-being-able-to-run")
    assert (entry["faq"], entry["next-stages"], entry["the-sentence"]) == (3, 3, 1)


def _kept_file(path):
    """Return the header and the data of a kept table's file (two pickles, one after the other)."""
    kept = io.BytesIO(path.read_bytes())
    return pickle.load(kept), pickle.load(kept)


def test_kept_data_of_another_graph_is_not_used(graph, tmp_path):
    copy = tmp_path / "graph"
    shutil.copytree(graph, copy)
    path = copy / ".store" / "completeness.pickle"
    (digest, made_by), data = _kept_file(path)
    path.write_bytes(pickle.dumps(("0" * 64, made_by)) + pickle.dumps(data))  # as if left from an older graph
    store = open_store(copy)
    assert store.derived("completeness") is None and store.derived("projection") is not None
    assert Snapshot(store).completeness == data       # the graph is asked instead, with the same answer


def test_kept_data_made_by_other_code_is_not_used(graph, tmp_path):
    copy = tmp_path / "graph"
    shutil.copytree(graph, copy)
    expected = [g.as_dict() for g in find_gaps(open_store(copy))]
    for name in ("gaps", "projection"):
        path = copy / ".store" / f"{name}.pickle"
        (digest, made_by), data = _kept_file(path)
        path.write_bytes(pickle.dumps((digest, "another version")) + pickle.dumps(data))  # as if an older dreamgraph made it
    store = open_store(copy)
    assert store.derived("gaps") is None and store.derived("projection") is None
    assert store.derived("completeness") is not None
    assert [g.as_dict() for g in find_gaps(store)] == expected  # made anew by this code, the same report


def test_a_name_two_dreams_answer_to_goes_to_the_one_it_labels():
    table = names_table({"x/b": {"labels": {"Fall"}, "titles": set(), "aliases": set()},
                         "x/a": {"labels": {"Drop"}, "titles": {"Fall"}, "aliases": {" fall "}},
                         "x/c": {"labels": {"drop"}, "titles": set(), "aliases": set()}})
    assert table["fall"] == "x/b"               # a label before a title or an alias
    assert table["drop"] == "x/a"               # the same rank: the first IRI
    assert table["a"] == "x/a" and table["c"] == "x/c"  # and every slug


def test_a_store_read_through_a_snapshot_is_freed_as_soon_as_it_is_dropped(graph):
    """No reference cycle keeps a store (and its open files) alive until the garbage collector runs."""
    import gc
    import weakref

    store = open_store(graph)
    assert Snapshot.of(store).projection is not None
    gone = weakref.ref(store)
    gc.disable()
    try:
        del store
        assert gone() is None
    finally:
        gc.enable()


def test_the_tables_kept_after_edits_are_those_of_a_clean_build(tmp_path):
    """Add, change, rename and delete articles between builds (the build keeps parts of tables per article):
    every kept table is the one a clean build of the same files makes."""
    from helpers import article

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "gaps", folder)
    shutil.copy(SEED, folder)
    kept = tmp_path / "kept"
    build([folder], kept)
    steps = [
        lambda: (folder / "flying.txt").write_text((folder / "flying.txt").read_text(encoding="utf-8").replace(
            "gathers dreams of soaring", "gathers dreams of soaring, unlike not being able to run or falling into "
            "water,"), encoding="utf-8"),
        lambda: (folder / "teeth.txt").rename(folder / "teeth-renamed.txt"),
        lambda: (folder / "nightmares.txt").unlink(),
        lambda: (folder / "new.txt").write_text(article(
            "Dream About Soaring Over Water: Lift", prose="Unlike sleepwalking, it is chosen.",
            next_stages=[("you land", "flying", "down")]), encoding="utf-8"),
        # a dream flying.txt named before it was written: flying's mentions change with no change to flying
        lambda: (folder / "water.txt").write_text(article("Dream About Falling Into Water: Splash"), encoding="utf-8"),
        lambda: (folder / "sleepwalking.txt").write_text((folder / "sleepwalking.txt").read_text(encoding="utf-8").replace(
            "Quick Answer", "It is close to soaring over water.\nQuick Answer", 1), encoding="utf-8"),
        # a card's texts: its scenarios and Quick Answer, copied from the last build for the other articles
        lambda: (folder / "sleepwalking.txt").write_text(
            (folder / "sleepwalking.txt").read_text(encoding="utf-8").replace(
                "walking scenario two → walking meaning two", "walking scenario two → a meaning rewritten").replace(
                "number 2.", "number two."), encoding="utf-8"),
        # an alias: a stub goes (flying's misspelt link now means sleepwalking) with no article changed
        lambda: (kept / "aliases.toml").write_text('"sleepwalkng" = "sleepwalking"\n', encoding="utf-8"),
        # a written dream others link to comes and goes: links from unchanged articles to it become links to a stub
        lambda: (folder / "sleepwalking.txt").rename(tmp_path / "sleepwalking.txt"),
        lambda: (tmp_path / "sleepwalking.txt").rename(folder / "sleepwalking.txt"),
    ]
    for number, step in enumerate(steps):
        step()
        build([folder], kept)
        clean = tmp_path / f"clean-{number}"
        if (kept / "aliases.toml").exists():
            clean.mkdir()
            shutil.copy(kept / "aliases.toml", clean)
        build([folder], clean)
        for name in TABLES:
            a, b = Snapshot(open_store(kept)).kept(name), Snapshot(open_store(clean)).kept(name)
            assert a is not None and same_table(name, a, b), (number, name)
    mentions = Snapshot(open_store(kept)).kept("mentions")
    assert {(m["source"], m["target"]) for m in mentions} >= {
        ("flying", "not-being-able-to-run"), ("flying", "falling-into-water"), ("sleepwalking", "soaring-over-water")}


def test_the_linked_view_answers_the_progression_questions_as_the_projection_does(graph):
    """`next`, `leads-to` and `path` read a LinkedView (kept links, link texts asked of the store) when the
    build kept the links: every tree, path, step and reason is the projection's."""
    from itertools import islice

    from dreamgraph.progression import progression_tree, shortest_progression, steps, why_no_progression
    from dreamgraph.snapshot.projection import LinkedView

    snapshot = Snapshot(open_store(graph))
    whole, view = snapshot.projection, snapshot.reader()
    assert isinstance(view, LinkedView)
    dreams = sorted(whole)
    for slug in dreams:
        for reverse in (False, True):
            assert progression_tree(view, slug, 3, reverse=reverse) == progression_tree(whole, slug, 3, reverse=reverse)
    pairs = list(islice(((a, b) for a in dreams for b in reversed(dreams) if a != b), 400))
    for a, b in pairs:
        path = shortest_progression(whole, a, b)
        assert shortest_progression(view, a, b) == path, (a, b)
        if path:
            assert steps(view, path) == steps(whole, path)
        else:
            assert why_no_progression(view, a, b) == why_no_progression(whole, a, b)


def test_the_linked_view_keeps_the_first_of_two_links_to_one_dream_and_loops_of_one(tmp_path):
    from helpers import article

    from dreamgraph.progression import progression_tree, shortest_progression, steps

    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(article("Dream About Alpha: One", next_stages=[
        ("it echoes", "alpha", "again"), ("you go on", "beta", "first"), ("you go on again", "beta", "second"),
        ("you stop", "gamma", "end")]), encoding="utf-8")
    (folder / "b.txt").write_text(article("Dream About Beta: Two", next_stages=[
        ("you turn back", "alpha", "back"), ("you stop", "gamma", "end")]), encoding="utf-8")
    build([folder], tmp_path / "graph")
    snapshot = Snapshot(open_store(tmp_path / "graph"))
    whole, view = snapshot.projection, snapshot.reader()
    assert view.edges["alpha", "beta"]["condition"] == "If you go on" and view.edges["alpha", "beta"]["position"] == 2
    assert view.edges["alpha", "beta"]["conditions"] == whole.edges["alpha", "beta"]["conditions"]
    for slug in ("alpha", "beta", "gamma"):
        for reverse in (False, True):
            assert progression_tree(view, slug, 3, reverse=reverse) == progression_tree(whole, slug, 3, reverse=reverse)
    path = shortest_progression(view, "beta", "gamma")
    assert path == shortest_progression(whole, "beta", "gamma") and steps(view, path) == steps(whole, path)


def test_the_rankings_and_look_alikes_are_made_again_only_when_the_dreams_or_their_links_change(tmp_path, monkeypatch):
    """A text edit keeps the last build's link tables and rankings (they depend on dreams, labels and links
    alone), its look-alike answers (on the written slugs and the stubs) and the mentions of every other
    article; a new link makes them again (the rankings), and a new stub is matched alone."""
    import dreamgraph.build as build_module
    import dreamgraph.gaps as gaps_module
    import dreamgraph.progression as progression_module
    from dreamgraph.snapshot import projection, texts

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "gaps", folder)
    build([folder], tmp_path / "graph")
    made, matched = [], []
    real, ranked, lookalikes = progression_module.rankings, build_module.rankings, gaps_module.Lookalikes

    class Counted(lookalikes):
        def match(self, slug, cutoff=85):
            matched.append(slug)
            return super().match(slug, cutoff)

    searched, find = [], texts.MentionFinder.find
    projected, project = [], projection.from_library
    monkeypatch.setattr(projection, "from_library", lambda *args: projected.append(1) or project(*args))
    import dreamgraph.patch as patch_module

    # a whole build ranks, and a patch whose links changed (the betweenness estimated aside when large)
    monkeypatch.setattr(build_module, "rankings", lambda links: made.append(1) or ranked(links))
    aside = patch_module.rankings_aside
    monkeypatch.setattr(patch_module, "rankings_aside", lambda *args: made.append(1) or aside(*args))
    monkeypatch.setattr(gaps_module, "Lookalikes", Counted)
    among = gaps_module.match_among  # (a few stubs are matched one by one)
    monkeypatch.setattr(gaps_module, "match_among", lambda slug, *rest: matched.append(slug) or among(slug, *rest))
    monkeypatch.setattr(texts.MentionFinder, "find", lambda self, prose, linked: searched.extend(
        {text[0] for text in prose}) or find(self, prose, linked))
    flying = folder / "flying.txt"
    flying.write_text(flying.read_text(encoding="utf-8").replace("Quick Answer", "Quick Answer\n- A new answer.", 1),
                      encoding="utf-8")
    build([folder], tmp_path / "graph")
    assert made == [] and matched == [] and searched == ["flying"] and projected == []
    flying.write_text(flying.read_text(encoding="utf-8") + "- If you wake → dream about waking up meaning — later\n",
                      encoding="utf-8")
    assert build([folder], tmp_path / "graph").store == "patched"  # a new stub: its link put into the projection
    assert made == [1] and matched == ["waking-up"] and projected == []
    snapshot = Snapshot(open_store(tmp_path / "graph"))
    assert snapshot.kept("rankings") == real(snapshot.projection)  # ranked over the arrays, as over the graph


def test_a_new_name_is_looked_for_in_the_articles_whose_texts_may_hold_it_only(tmp_path, monkeypatch):
    """A new article brings a new name: the other articles' prose is searched again only where the last
    build's search texts hold the name's longest word ("soaring"), and the mentions are a clean build's."""
    from helpers import article
    from dreamgraph.snapshot import texts

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "gaps", folder)
    shutil.copy(SEED, folder)
    sleepwalking = folder / "sleepwalking.txt"
    sleepwalking.write_text(sleepwalking.read_text(encoding="utf-8").replace(
        "Quick Answer", "It is close to soaring over water.\nQuick Answer", 1), encoding="utf-8")
    build([folder], tmp_path / "graph")
    searched, find = [], texts.MentionFinder.find
    monkeypatch.setattr(texts.MentionFinder, "find", lambda self, prose, linked: searched.extend(
        {text[0] for text in prose}) or find(self, prose, linked))
    (folder / "new.txt").write_text(article("Dream About Soaring Over Water: Lift"), encoding="utf-8")
    build([folder], tmp_path / "graph")
    holding = {path.stem for path in folder.iterdir() if "soaring" in path.read_text(encoding="utf-8").lower()}
    assert "sleepwalking" in searched and set(searched) <= holding | {"soaring-over-water"}
    assert len(set(searched)) < len(list(folder.iterdir())) - 2
    build([folder], tmp_path / "clean")
    kept, clean = (Snapshot(open_store(tmp_path / name)).kept("mentions") for name in ("graph", "clean"))
    assert kept == clean and ("sleepwalking", "soaring-over-water") in {(m["source"], m["target"]) for m in kept}


def test_a_rebuild_reads_the_texts_of_the_changed_articles_only(tmp_path, monkeypatch):
    """The unchanged articles come back from the cache with their bodies packed (see Article), and no table
    of a rebuild unpacks one: their card parts, counts, completeness, search entries and mentions are the
    last build's or made from what an article keeps outside its body."""
    import dreamgraph.article as article_module

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "gaps", folder)
    shutil.copy(SEED, folder)
    build([folder], tmp_path / "graph")
    unpacked, real = [], article_module.Article.__getattr__

    def counted(self, name):
        if "_body" in vars(self):
            unpacked.append(self.slug)
        return real(self, name)

    monkeypatch.setattr(article_module.Article, "__getattr__", counted)
    flying = folder / "flying.txt"
    flying.write_text(flying.read_text(encoding="utf-8").replace("Quick Answer", "Quick Answer\n- A new answer.", 1),
                      encoding="utf-8")
    build([folder], tmp_path / "graph")
    assert unpacked == []
    snapshot = Snapshot(open_store(tmp_path / "graph"))
    assert "A new answer." in snapshot.card_parts["flying"]["quick"]
    assert len(snapshot.card_parts["not-being-able-to-run"]["scenarios"]) > 0  # copied, not lost


def test_a_rebuild_fetches_the_bodies_of_the_articles_whose_texts_it_reads_only(tmp_path, monkeypatch):
    """The cache keeps each article's body apart from its head: a rebuild that brings the last tables up to
    date fetches no body of an unchanged article, one whose links an alias changed fetches its own, one
    whose tables are gone reads every body at once, and a file whose body entry was lost is parsed again;
    each time the tables and the graph file are a clean build's."""
    import sqlite3

    from dreamgraph.cache import Cache
    from dreamgraph.store import GRAPH_FILE, STORE_DIR

    folder, graph = tmp_path / "articles", tmp_path / "graph"
    shutil.copytree(FIXTURES / "gaps", folder)
    shutil.copy(SEED, folder)
    build([folder], graph)
    fetched, bulk, fetch, many = [], [], Cache.body, Cache.get_many
    monkeypatch.setattr(Cache, "body", lambda self, key, place: fetched.append(key) or fetch(self, key, place))
    monkeypatch.setattr(Cache, "get_many", lambda self, kind, keys: (bulk.append(kind) if kind == "body" else None)
                        or many(self, kind, keys))

    def same_as_clean(name: str) -> None:
        clean = tmp_path / name
        clean.mkdir()
        if (graph / "aliases.toml").exists():
            shutil.copy(graph / "aliases.toml", clean)
        build([folder], clean)
        assert (graph / GRAPH_FILE).read_bytes() == (clean / GRAPH_FILE).read_bytes()
        for table in TABLES:
            assert same_table(table, Snapshot(open_store(graph)).kept(table), Snapshot(open_store(clean)).kept(table)), table

    flying = folder / "flying.txt"
    flying.write_text(flying.read_text(encoding="utf-8").replace("Quick Answer", "Quick Answer\n- A new answer.", 1),
                      encoding="utf-8")
    build([folder], graph)
    assert (fetched, bulk) == ([], [])
    same_as_clean("clean-edit")

    stub = sorted(Snapshot(open_store(graph)).stub_links)[0]
    (graph / "aliases.toml").write_text(f'"{stub}" = "flying"\n', encoding="utf-8")
    fetched.clear(), bulk.clear()
    build([folder], graph)
    assert fetched and bulk == []  # the articles linking to the stub are made again from their texts
    same_as_clean("clean-alias")

    shutil.rmtree(graph / STORE_DIR)
    fetched.clear(), bulk.clear()
    build([folder], graph)
    assert fetched == [] and bulk == ["body"]

    database = sqlite3.connect(graph / ".cache" / Cache.FILE)
    with database:
        database.execute("DELETE FROM entries WHERE kind = 'body' AND rowid = (SELECT MIN(rowid) FROM entries "
                         "WHERE kind = 'body')")
    database.close()
    lost = len(Cache(graph / ".cache").keys("article") - Cache(graph / ".cache").keys("body"))
    assert lost == 1
    build([folder], graph, force=True)  # nothing changed: only a build made to run reads the cache
    assert Cache(graph / ".cache").keys("article") == Cache(graph / ".cache").keys("body")
    same_as_clean("clean-lost")


def test_the_link_digests_come_from_the_parse_and_an_alias_still_makes_the_link_tables_again(tmp_path, monkeypatch):
    """A rebuild digests no article's links again (the parse made and cached each article's digest), and
    what changes the link tables without changing an article (a new alias in aliases.toml) still makes
    them again: the tables equal a clean build's."""
    from dreamgraph.snapshot import projection

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "gaps", folder)
    graph = tmp_path / "graph"
    build([folder], graph)
    digested, real = [], snapshot_module.link_digest
    projected, project = [], projection.from_library
    monkeypatch.setattr(snapshot_module, "link_digest", lambda article: digested.append(article.slug) or real(article))
    monkeypatch.setattr(projection, "from_library", lambda *args: projected.append(1) or project(*args))
    from dreamgraph.snapshot import texts

    named, prose_names = [], texts.prose_names  # the mention finder's names, made from the names table
    monkeypatch.setattr(texts, "prose_names", lambda names: named.append(1) or prose_names(names))
    flying = folder / "flying.txt"
    flying.write_text(flying.read_text(encoding="utf-8").replace("Quick Answer", "Quick Answer\n- A new answer.", 1),
                      encoding="utf-8")
    build([folder], graph)
    assert digested == [] and projected == [] and named == []  # the last build's names, and its finder's
    stub = sorted(Snapshot(open_store(graph)).stub_links)[0]
    (graph / "aliases.toml").write_text(f'"{stub}" = "flying"\n', encoding="utf-8")
    build([folder], graph)
    assert projected == [1] and named == [1] and stub not in Snapshot(open_store(graph)).projection
    clean = tmp_path / "clean"
    clean.mkdir()
    shutil.copy(graph / "aliases.toml", clean)
    build([folder], clean)
    for name in ("projection", "links", "names", "clusters", "mentions", "mention-sources"):
        assert same_table(name, Snapshot(open_store(graph)).kept(name), Snapshot(open_store(clean)).kept(name)), name


def test_the_search_index_laid_out_a_few_texts_at_a_time_is_the_same(tmp_path, monkeypatch):
    """The search index is laid out in batches (a library's millions of texts at once took 1.5 GB): with
    batches of 5 texts, made whole and brought up to date after an edit, it is the index of a clean build."""
    from dreamgraph.snapshot import texts

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "gaps", folder)
    shutil.copy(SEED, folder)
    build([folder], tmp_path / "clean")
    monkeypatch.setattr(texts, "SEARCH_BATCH", 5)
    build([folder], tmp_path / "batched")
    assert same_table("search", Snapshot(open_store(tmp_path / "batched")).kept("search"),
                       Snapshot(open_store(tmp_path / "clean")).kept("search"))
    flying = folder / "flying.txt"
    flying.write_text(flying.read_text(encoding="utf-8").replace("Quick Answer", "Quick Answer\n- Soaring anew.", 1),
                      encoding="utf-8")
    build([folder], tmp_path / "batched")
    monkeypatch.setattr(texts, "SEARCH_BATCH", 50_000)
    build([folder], tmp_path / "clean-after")
    batched = Snapshot(open_store(tmp_path / "batched")).kept("search")
    assert b"soaring anew" in bytes(batched["lower"])
    assert same_table("search", batched, Snapshot(open_store(tmp_path / "clean-after")).kept("search"))


def test_the_search_texts_written_to_a_file_as_made_are_those_laid_out_in_memory(tmp_path):
    """A build writes the search texts to a file as it makes them (at 100,000 articles a bytearray held
    490 MB to the build's end) and links it into the store folder: the same bytes, the same table, with the
    mode of the folder's other files, and no file left beside the graph after a build or a rebuild."""
    from dreamgraph.library import assemble, shared_triples
    from dreamgraph.parse import parse_file

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "gaps", folder)
    library = assemble([parse_file(path) for path in sorted(folder.glob("*.txt"))], {})
    shared = shared_triples(library)
    spill = tmp_path / "spill"
    spill.mkdir()
    in_memory = snapshot_module.make_tables(library, shared)["search"]
    written = snapshot_module.make_tables(library, shared, spill=spill)["search"]
    assert isinstance(written["lower"], Path) and written["lower"].parent == spill
    assert written["lower"].read_bytes() == bytes(in_memory["lower"]) and b"flying" in bytes(in_memory["lower"])
    assert same_table("search", {**written, "lower": written["lower"].read_bytes()}, in_memory)

    graph = tmp_path / "graph"
    for _ in range(2):  # made whole, then brought up to date after an edit
        build([folder], graph)
        kept = graph / ".store"
        assert (kept / "search.lower").stat().st_mode == (kept / "search.pickle").stat().st_mode
        assert leftovers(graph) == []
        flying = folder / "flying.txt"
        flying.write_text(flying.read_text(encoding="utf-8").replace("Quick Answer", "Quick Answer\n- Soaring anew.", 1),
                          encoding="utf-8")
    assert b"soaring anew" in (graph / ".store" / "search.lower").read_bytes()


@pytest.mark.parametrize("rebuild", ["whole", "patch"])
def test_a_build_failing_after_the_search_texts_were_written_leaves_no_file_and_the_last_index(tmp_path, monkeypatch,
                                                                                              rebuild):
    """The search texts' file is made beside the graph while the tables are: a rebuild that fails after it
    removes it, and leaves the last build's graph file, store and index as they were (the new graph file,
    written meanwhile, is renamed into place only after the store folder). The whole rebuild and a patch
    (see dreamgraph.patch) alike."""
    import dreamgraph.build
    import dreamgraph.patch

    build_module = dreamgraph.patch if rebuild == "patch" else dreamgraph.build
    monkeypatch.setattr(dreamgraph.patch, "MOST_FILES", 50 if rebuild == "patch" else 0)

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "gaps", folder)
    graph = tmp_path / "graph"
    build([folder], graph)
    before, turtle = (graph / ".store" / "search.lower").read_bytes(), (graph / "dreamgraph.ttl").read_bytes()
    flying = folder / "flying.txt"
    flying.write_text(flying.read_text(encoding="utf-8").replace("Quick Answer", "Quick Answer\n- Soaring anew.", 1),
                      encoding="utf-8")

    def broken(*args, **kwargs):
        assert list(graph.glob(".kept-part.*.tmp")), "the search texts were not written to a file first"
        raise RuntimeError("a fault after the search index")

    monkeypatch.setattr(build_module, "near_pairs", broken)
    if rebuild == "patch":  # the pairs found from the last table while its shingles' file is written
        monkeypatch.setattr(build_module, "near_pairs_patched", broken)
    with pytest.raises(RuntimeError, match="a fault after the search index"):
        build([folder], graph)
    assert leftovers(graph) == []
    assert (graph / ".store" / "search.lower").read_bytes() == before
    assert (graph / "dreamgraph.ttl").read_bytes() == turtle  # the graph file goes in place after the store
    assert Snapshot(open_store(graph)).kept("search") is not None


def test_texts_asked_in_batches_two_at_a_time_are_those_asked_at_once(graph):
    from dreamgraph.snapshot.lookups import texts_of

    store = open_store(graph)
    pairs = [(row["node"], row["p"]) for row in store.select(
        "SELECT ?node ?p WHERE { ?node ?p ?text FILTER(isLiteral(?text) && ?p IN (rdfs:label, dg:meaning)) } "
        "ORDER BY ?node ?p LIMIT 40")]
    assert len(pairs) >= 10
    assert texts_of(store, pairs, batch=3) == texts_of(store, pairs) and len(texts_of(store, pairs)) == len(set(pairs))


def test_a_damaged_link_table_of_the_last_build_is_made_again_not_carried(tmp_path):
    """The link tables are carried only when the last build's read whole: one that cannot be read is made
    again, and the build writes it (it does not copy the damaged file)."""
    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "gaps", folder)
    build([folder], tmp_path / "graph")
    names = tmp_path / "graph" / ".store" / "names.pickle"
    names.write_bytes(names.read_bytes()[:40])  # cut short
    flying = folder / "flying.txt"
    flying.write_text(flying.read_text(encoding="utf-8").replace("Quick Answer", "Quick Answer\n- A new answer.", 1),
                      encoding="utf-8")
    build([folder], tmp_path / "graph")
    build([folder], tmp_path / "clean")
    kept, clean = Snapshot(open_store(tmp_path / "graph")), Snapshot(open_store(tmp_path / "clean"))
    assert kept.kept("names") is not None and kept.kept("names") == clean.kept("names")
    assert same_table("projection", kept.kept("projection"), clean.kept("projection"))


def test_per_article_tables_patched_from_the_last_build_are_those_made_whole():
    """The shingle table and the completeness matrix copy the unchanged dreams' rows from the last build's
    in runs: after any mix of edits, additions and removals (at the ends and side by side, articles
    without compared parts among them) they equal the tables made from the whole library."""
    import random

    from helpers import article
    from dreamgraph.library import assemble
    from dreamgraph.parse import parse_bytes
    from dreamgraph.snapshot.articles import article_versions, changed_articles, completeness_from_library
    from dreamgraph.snapshot.texts import shingle_arrays, shingles_from_library

    def text(n: int, version: int) -> str:
        words = f"the lantern number {n} burns version {version} over the water at night"
        quick = [words] if (n + version) % 4 else []  # a quarter without the parts compared
        return article(f"Dream About Lantern {n:03d}: Light", quick=quick,
                       scenarios=[(f"you hold lantern {n}", f"meaning {version} of it")] * (version % 3))

    def library_of(files: dict[int, int]):
        return assemble([parse_bytes(text(n, version).encode(), f"{n:03d}.txt") for n, version in sorted(files.items())],
                        {})

    chance = random.Random(7)
    files = {n: 0 for n in range(60)}
    for _ in range(25):
        last = library_of(files)
        last_shingles, last_matrix = shingles_from_library(last), completeness_from_library(last)
        for _ in range(chance.randint(1, 6)):
            n = chance.choice([0, 1, 59, *range(100)])
            if n in files and chance.random() < 0.3:
                del files[n]
            else:
                files[n] = files.get(n, 0) + 1
        library = library_of(files)
        changed = changed_articles(article_versions(library), article_versions(last))
        whole, patched = (shingle_arrays(shingles_from_library(library)),
                          shingle_arrays(shingles_from_library(library, None, last_shingles, changed)))
        assert patched[0] == whole[0] and np.array_equal(patched[1], whole[1]) and np.array_equal(patched[2], whole[2])
        assert completeness_from_library(library, last_matrix, changed) == completeness_from_library(library)


def test_a_build_with_other_limits_keeps_the_tables_a_clean_build_with_them_makes(tmp_path):
    """An article's version is its file's: read again with other limits (fewer items per section), its
    parts differ with the same bytes, so nothing is copied from a build that read it with other limits."""
    from dreamgraph.parse import Limits

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "gaps", folder)
    shutil.copy(SEED, folder)
    build([folder], tmp_path / "kept")
    for limits in (Limits(max_items=2), Limits(max_items=2), Limits()):
        build([folder], tmp_path / "kept", limits=limits)
        clean = tmp_path / f"clean-{limits.max_items}"
        if not clean.exists():
            build([folder], clean, limits=limits)
        kept, made = Snapshot(open_store(tmp_path / "kept")), Snapshot(open_store(clean))
        for name in TABLES:
            assert same_table(name, kept.kept(name), made.kept(name)), (limits, name)
        most = max(len(part["scenarios"]) for part in kept.card_parts.values())
        assert most == 2 if limits.max_items == 2 else most > 2


def test_a_build_keeps_every_body_packed_once_its_tables_are_made(tmp_path, monkeypatch):
    """The tables that read an article's texts (search, card parts, mentions) let go of them once read: at
    the build's end every article parsed by the workers holds its body packed, as it came from them (held
    unpickled, the texts of 100,000 articles took a gigabyte at the build's peak), and the tables are those
    of a build made one article at a time in this process."""
    import dreamgraph.build as build_module
    import dreamgraph.compile as compile_module
    from dreamgraph.article import BODY, Article

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "gaps", folder)
    shutil.copy(SEED, folder)
    left: list = []
    monkeypatch.setattr(build_module, "leave_for_exit", lambda *objects: left.extend(objects))
    monkeypatch.setattr(compile_module, "PARALLEL_THRESHOLD", 1)
    unpacked, most, unpack, let_go = set(), [0], Article.__getattr__, Article.let_go

    def counted_unpack(self, name):  # a body unpickled: never more than one at a time
        try:
            return unpack(self, name)
        finally:
            if "_packed" in vars(self):
                unpacked.add(id(self))
                most[0] = max(most[0], len(unpacked))

    monkeypatch.setattr(Article, "__getattr__", counted_unpack)
    monkeypatch.setattr(Article, "let_go", lambda self: unpacked.discard(id(self)) or let_go(self))
    build([folder], tmp_path / "workers")
    assert most[0] == 1 and not unpacked
    library = left[0]
    assert len(library.articles) == 6
    for article in library.articles.values():
        assert isinstance(vars(article).get("_body"), bytes) and vars(article).keys().isdisjoint(BODY), article.path
    monkeypatch.setattr(compile_module, "PARALLEL_THRESHOLD", 10 ** 9)
    build([folder], tmp_path / "here")
    for name in TABLES:
        a, b = Snapshot(open_store(tmp_path / "workers")).kept(name), Snapshot(open_store(tmp_path / "here")).kept(name)
        assert same_table(name, a, b), name


@pytest.mark.parametrize("rebuild", ["whole", "patch"])
def test_a_table_carried_from_the_last_build_is_linked_not_copied(tmp_path, monkeypatch, rebuild):
    """An edit to an article's texts leaves the projection as it was: the next store folder links the last
    one's file (as projection.kept, behind a new header) rather than writing its bytes again, build after
    build, and reads back the same table as a clean build's."""
    import dreamgraph.patch
    import dreamgraph.store as store_module

    monkeypatch.setattr(store_module, "APART_BYTES", 0)
    monkeypatch.setattr(dreamgraph.patch, "MOST_FILES", 50 if rebuild == "patch" else 0)
    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "gaps", folder)
    graph = tmp_path / "graph"
    build([folder], graph)
    first = (graph / ".store" / "projection.pickle").stat().st_ino
    flying = folder / "flying.txt"
    for line in ("- Soaring anew.", "- Soaring once more."):
        flying.write_text(flying.read_text(encoding="utf-8").replace("Quick Answer", f"Quick Answer\n{line}", 1),
                          encoding="utf-8")
        assert build([folder], graph).store == ("patched" if rebuild == "patch" else "updated")
        assert (graph / ".store" / "projection.kept").stat().st_ino == first
        assert (graph / ".store" / "projection.pickle").stat().st_size < 200
        build([folder], tmp_path / "clean")
        assert same_table("projection", Snapshot(open_store(graph)).kept("projection"),
                          Snapshot(open_store(tmp_path / "clean")).kept("projection"))
        shutil.rmtree(tmp_path / "clean")
