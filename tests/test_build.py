"""`dreamgraph build`: the seed's exact graph, byte-identical rebuilds, stubs, removal and bad input."""

import os
import pickle
import shutil
from pathlib import Path

import pytest

from helpers import ROOT, SEED, article, leftovers
from dreamgraph.build import build
from dreamgraph.cache import Cache
from dreamgraph.dreams import graph_stats
from dreamgraph.store import GRAPH_FILE, STORE_DIR
from dreamgraph.connect import open_store


def count(store, query):
    return store.select(query)[0]["n"]


def test_seed_graph_holds_exactly_what_the_article_says(seed_store):
    s = seed_store
    assert count(s, "SELECT (COUNT(?d) AS ?n) WHERE { ?d a dg:Dream ; dg:isStub false }") == 1
    assert s.select("SELECT ?sub WHERE { ?d a dg:Dream ; dg:subtitle ?sub }") == [{"sub": "The Kinetic Lock"}]
    for cls, n in [("Scenario", 5), ("Sensation", 4), ("QuickAnswerItem", 5), ("Question", 3), ("Transition", 3)]:
        assert count(s, f"SELECT (COUNT(?x) AS ?n) WHERE {{ ?x a dg:{cls} }}") == n, cls
    assert count(s, "SELECT (COUNT(?x) AS ?n) WHERE { dream:not-being-able-to-run dg:quickAnswer ?x }") == 5
    targets = s.select("SELECT ?t ?stub WHERE { dream:not-being-able-to-run dg:nextStage ?t . ?t dg:isStub ?stub } ORDER BY ?t")
    assert [(t["t"].rsplit("/", 1)[1], t["stub"]) for t in targets] == [
        ("being-chased-by-a-killer", True), ("losing-control", True), ("not-being-able-to-move", True)]
    assert s.select("SELECT ?c WHERE { dream:not-being-able-to-run dg:belongsToCluster ?c }") == [
        {"c": "https://w3id.org/dreamgraph/id/cluster/losing-control"}]


def test_every_node_has_one_label_and_provenance(seed_store):
    unlabelled = seed_store.select("""SELECT ?x WHERE { ?x a ?c . FILTER(?c != prov:Entity)
        FILTER NOT EXISTS { ?x rdfs:label ?l } }""")
    assert unlabelled == []
    doubly = seed_store.select("SELECT ?x WHERE { ?x rdfs:label ?a, ?b FILTER(?a != ?b) }")
    assert doubly == []
    untraced = seed_store.select("""SELECT ?x WHERE { ?x a ?c . FILTER(?c IN (dg:Dream, dg:Cluster))
        FILTER NOT EXISTS { ?x prov:wasDerivedFrom ?src } }""")
    assert untraced == []
    # a part's file is its dream's: every part belongs to exactly one dream, which names its file
    parts = seed_store.select("""SELECT ?x (COUNT(DISTINCT ?dream) AS ?n) WHERE { ?x a ?c .
        FILTER(?c IN (dg:Scenario, dg:Sensation, dg:Transition, dg:Question, dg:Section, dg:QuickAnswerItem))
        OPTIONAL { ?dream ?has ?x ; a dg:Dream ; prov:wasDerivedFrom ?src } } GROUP BY ?x""")
    assert len(parts) >= 5 + 4 + 5 + 3 + 3 and {row["n"] for row in parts} == {1}, parts
    sources = seed_store.select("SELECT DISTINCT ?p WHERE { ?x prov:wasDerivedFrom ?s . ?s rdfs:label ?p }")
    assert sources == [{"p": "articles/000_92aebca6ef1c887d.txt"}]


def test_committed_sample_graph_is_what_a_build_writes(tmp_path):
    shutil.copytree(ROOT / "graph" / "articles", tmp_path / "articles")
    build([tmp_path / "articles"], tmp_path)
    committed = ROOT / "graph" / GRAPH_FILE
    assert committed.is_file(), "graph/dreamgraph.ttl is missing: run `dreamgraph build` and commit it"
    assert (tmp_path / GRAPH_FILE).read_bytes() == committed.read_bytes()
    for name in ("ontology.ttl", "shapes.ttl"):
        assert (tmp_path / name).read_bytes() == (ROOT / "graph" / name).read_bytes()


def test_building_twice_gives_identical_bytes(write_corpus, graph_dir, tmp_path):
    folder = write_corpus({"a.txt": SEED.read_text(encoding="utf-8")})
    build([folder], graph_dir)
    first = (graph_dir / GRAPH_FILE).read_bytes()
    assert build([folder], graph_dir, force=True).store == "updated"  # written again (nothing changed)
    assert (graph_dir / GRAPH_FILE).read_bytes() == first
    build([folder], tmp_path / "elsewhere")
    assert (tmp_path / "elsewhere" / GRAPH_FILE).read_bytes() == first


def test_stub_becomes_a_full_dream_when_its_article_arrives(write_corpus, graph_dir):
    folder = write_corpus({"run.txt": SEED.read_text(encoding="utf-8")})
    build([folder], graph_dir)
    write_corpus({"move.txt": article("Dream About Not Being Able to Move: The Frozen Body",
                                      scenarios=[("Frozen in bed", "the body refuses")])})
    report = build([folder], graph_dir)
    assert (report.articles, report.stubs) == (2, 2)
    store = open_store(graph_dir)
    rows = store.select("SELECT ?d ?stub ?label WHERE { ?d a dg:Dream ; dg:isStub ?stub ; rdfs:label ?label "
                        "FILTER(CONTAINS(STR(?d), 'move')) }")
    assert rows == [{"d": "https://w3id.org/dreamgraph/id/dream/not-being-able-to-move", "stub": False,
                     "label": "Not Being Able to Move"}]


def test_removing_an_article_removes_all_its_triples(write_corpus, graph_dir):
    folder = write_corpus({"run.txt": SEED.read_text(encoding="utf-8")})
    build([folder], graph_dir)
    alone = (graph_dir / GRAPH_FILE).read_bytes()
    write_corpus({"fall.txt": article("Dream About Falling: The Drop", scenarios=[("Off a cliff", "lost footing")],
                                      next_stages=[("you land", "not being able to run", "it stops")])})
    build([folder], graph_dir)
    assert b"falling" in (graph_dir / GRAPH_FILE).read_bytes()
    (folder / "fall.txt").unlink()
    build([folder], graph_dir)
    assert (graph_dir / GRAPH_FILE).read_bytes() == alone
    assert open_store(graph_dir).select("SELECT ?x WHERE { ?x ?p ?o FILTER(CONTAINS(STR(?x), 'falling')) }") == []


def test_bad_articles_are_reported_and_the_rest_still_builds(write_corpus, graph_dir, cli):
    good = article("Dream About Falling: The Drop", scenarios=[("Off a cliff", "lost footing")])
    folder = write_corpus({
        "good.txt": good,
        "latin1.txt": "Dream About Café: Old Bytes\nQuick Answer\n- Fine.\n".encode("latin-1"),
        "binary.txt": b"\x00\x01\x02\x03 not text",
        "empty.txt": "",
        "notitle.txt": "Quick Answer\n- An answer with no title.\n",
        "noarrow.txt": article("Dream About Flying: Up", scenarios=[("ok", "fine")]).replace(
            "- ok → fine", "- ok → fine\n- a scenario with no arrow"),
        "notarget.txt": "Dream About Sinking: Down\nIntro.\nNext Stages\n- If it goes on →\n",
    })
    result = cli("build", folder, "--graph-dir", graph_dir)
    assert result.exit_code == 1, result.output
    err = result.stderr
    assert "latin1.txt: error: not UTF-8: invalid byte 0xe9" in err
    assert "binary.txt: error: binary file" in err
    assert "empty.txt: error: empty file" in err
    assert "notitle.txt:1: error: no dream title" in err
    assert "noarrow.txt:5: error: scenario without '→'" in err
    assert "notarget.txt:4:" in err and "next stage without" in err
    assert "Traceback" not in result.output
    store = open_store(graph_dir)
    slugs = sorted(r["d"].rsplit("/", 1)[1] for r in store.select("SELECT ?d WHERE { ?d a dg:Dream ; dg:isStub false }"))
    assert slugs == ["falling", "flying", "sinking"]


def test_a_folder_with_no_articles_is_an_error(tmp_path, cli, graph_dir):
    (tmp_path / "empty").mkdir()
    result = cli("build", tmp_path / "empty", "--graph-dir", graph_dir)
    assert result.exit_code == 1
    assert "error: no articles (.txt, .md) found in" in result.stderr
    assert not (graph_dir / GRAPH_FILE).exists()


def test_a_failed_build_leaves_the_previous_graph_untouched(write_corpus, graph_dir, cli):
    folder = write_corpus({"run.txt": SEED.read_text(encoding="utf-8")})
    build([folder], graph_dir)
    before = (graph_dir / GRAPH_FILE).read_bytes()
    (folder / "run.txt").write_bytes(b"\xff\xfe\xfa broken")
    result = cli("build", folder, "--graph-dir", graph_dir)
    assert result.exit_code == 1 and "no article could be built" in result.stderr
    assert (graph_dir / GRAPH_FILE).read_bytes() == before
    # nothing left, not even a second name of the graph file it did not replace (see graphfolder._retire)
    assert [p.name for p in graph_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_the_store_folder_a_build_replaced_is_left_for_the_next_build_to_remove(write_corpus, graph_dir, monkeypatch):
    """A build leaves the store folder it replaced (renamed aside: a process still mapping its files would
    free them as it exits); the next build removes it, and a killed build's temporary folders, in a thread
    of its own, before it returns; readers see the new folder alone."""
    import dreamgraph.build as build_module
    from dreamgraph.store import retired_folders

    folder = write_corpus({"run.txt": SEED.read_text(encoding="utf-8")})
    build([folder], graph_dir)
    assert retired_folders(graph_dir / STORE_DIR) == []  # nothing replaced
    (folder / "run.txt").write_text(SEED.read_text(encoding="utf-8") + "\nA line more.\n", encoding="utf-8")
    build([folder], graph_dir)
    (first,) = retired_folders(graph_dir / STORE_DIR)
    assert (first / "oxigraph").is_dir() and first.name.startswith(f"{STORE_DIR}.old.")
    killed = graph_dir / f"{STORE_DIR}.killed.tmp"  # as a build killed while it made its store leaves it
    (killed / "oxigraph").mkdir(parents=True)
    removers, real = [], build_module.in_background

    def noted(work):
        removers.append(work)
        return real(work)

    monkeypatch.setattr(build_module, "in_background", noted)
    # the graph file the last build replaced, kept under a second name: freed now, not as that build ended
    (replaced,) = [p for p in graph_dir.iterdir() if p.name.endswith(".tmp") and p.is_file()]
    assert replaced.name.endswith(".retired.tmp") and replaced.stat().st_nlink == 1
    (folder / "run.txt").write_text(SEED.read_text(encoding="utf-8") + "\nTwo lines more.\n", encoding="utf-8")
    report = build([folder], graph_dir)
    assert removers and report.store in ("patched", "updated")
    (second,) = retired_folders(graph_dir / STORE_DIR)  # this build's, left; the last one's and the killed one's gone
    assert second != first and not first.exists() and not killed.exists()
    (left,) = [p for p in graph_dir.iterdir() if p.name.endswith(".tmp")]  # the graph file this build replaced
    assert left != replaced and not replaced.exists() and left.name.endswith(".retired.tmp")
    assert open_store(graph_dir).select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"] == report.triples


def test_a_graph_file_that_is_a_link_stays_a_link_whichever_way_the_store_is_brought_up_to_date(tmp_path):
    """A graph folder whose dreamgraph.ttl links to a file elsewhere (kept in another repository, say): a
    rebuild that patches the store and one that reloads it both write the file the link points to."""
    from helpers import FIXTURES

    from dreamgraph.snapshot import Snapshot

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "gaps", folder)
    graph = tmp_path / "graph"
    build([folder], graph)
    elsewhere = tmp_path / "elsewhere" / "dreams.ttl"
    elsewhere.parent.mkdir()
    (graph / GRAPH_FILE).rename(elsewhere)
    (graph / GRAPH_FILE).symlink_to(elsewhere)
    flying = folder / "flying.txt"
    for store_kept, line in ((True, "- Soaring anew."), (False, "- Soaring once more.")):
        if not store_kept:
            shutil.rmtree(graph / STORE_DIR)  # the store reloaded from the Turtle as it is written
        flying.write_text(flying.read_text(encoding="utf-8").replace("Quick Answer", f"Quick Answer\n{line}", 1),
                          encoding="utf-8")
        report = build([folder], graph)
        assert report.store == ("patched" if store_kept else "reloaded")
        assert (graph / GRAPH_FILE).is_symlink() and (graph / GRAPH_FILE).resolve() == elsewhere.resolve()
        assert line[2:].encode() in elsewhere.read_bytes()
        assert [p.name for p in elsewhere.parent.iterdir()] == ["dreams.ttl"]  # no temporary file left
        assert Snapshot(open_store(graph)).kept("search") is not None  # the store is the file's: kept data read


def test_duplicate_titles_report_both_paths_and_keep_the_first(write_corpus, graph_dir):
    text = article("Dream About Falling: The Drop", scenarios=[("Off a cliff", "lost footing")])
    folder = write_corpus({"a.txt": text, "b.md": text.replace("The Drop", "Another Subtitle")})
    report = build([folder], graph_dir)
    errors = [p for p in report.problems if p.severity == "error"]
    assert len(errors) == 1 and errors[0].path.endswith("b.md") and "a.txt" in errors[0].message
    assert report.articles == 1 and not report.ok


def test_summary_line_and_graph_dir_from_the_environment(write_corpus, graph_dir, cli, monkeypatch):
    folder = write_corpus({"run.txt": SEED.read_text(encoding="utf-8")})
    monkeypatch.setenv("DREAMGRAPH_GRAPH_DIR", str(graph_dir))
    result = cli("build", folder)
    assert result.exit_code == 0, result.output
    assert "1 articles, 4 dreams (3 stubs), 1 clusters, 223 triples" in result.stdout
    assert (graph_dir / GRAPH_FILE).is_file() and (graph_dir / "shapes.ttl").is_file()
    assert (graph_dir / "ontology.ttl").is_file()


def test_an_incremental_build_equals_a_clean_build_and_reuses_the_cache(tmp_path):
    from helpers import FIXTURES

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "progression", folder)
    build([folder], tmp_path / "kept")
    parsed = Cache(tmp_path / "kept" / ".cache").keys("article")
    assert len(parsed) == 5
    path = folder / "flying.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("The Lift", "The Updraft"), encoding="utf-8")
    (folder / "teeth.txt").unlink()
    build([folder], tmp_path / "kept")
    now = Cache(tmp_path / "kept" / ".cache").keys("article")
    assert len(now) == 4 and len(now - parsed) == 1  # one article parsed again, the removed one forgotten
    build([folder], tmp_path / "clean")
    assert (tmp_path / "kept" / GRAPH_FILE).read_bytes() == (tmp_path / "clean" / GRAPH_FILE).read_bytes()
    assert b"The Updraft" in (tmp_path / "kept" / GRAPH_FILE).read_bytes()


def test_the_cache_forgets_changed_files_and_what_a_stopped_build_left(tmp_path, monkeypatch):
    """A rebuild drops the entries of the files that changed (it knows their old keys), and entries nothing
    uses, such as those of a build stopped before its end, are dropped by the next build too."""
    import sqlite3

    from helpers import FIXTURES

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "progression", folder)
    graph = tmp_path / "graph"
    build([folder], graph)
    before = {kind: Cache(graph / ".cache").keys(kind) for kind in ("article", "turtle", "body")}
    assert len(before["article"]) == 5 and before["turtle"] == before["body"] == before["article"]
    path = folder / "flying.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    database = sqlite3.connect(graph / ".cache" / Cache.FILE)
    with database:
        database.execute("INSERT INTO entries VALUES ('article', 'left-by-a-stopped-build', x'00')")
    database.close()
    build([folder], graph)
    after = {kind: Cache(graph / ".cache").keys(kind) for kind in ("article", "turtle", "body")}
    assert len(after["article"]) == 5 and len(after["article"] - before["article"]) == 1
    assert after["turtle"] == after["body"] == after["article"]
    build([folder], graph)  # nothing changed: nothing to drop
    assert {kind: Cache(graph / ".cache").keys(kind) for kind in ("article", "turtle", "body")} == after

    statements, connect = [], Cache._connect  # a change drops its file's old entries by their keys alone

    def traced(self):
        db = connect(self)
        if db is not None:
            db.set_trace_callback(statements.append)
        return db

    monkeypatch.setattr(Cache, "_connect", traced)
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    build([folder], graph)
    assert not [s for s in statements if "NOT IN (SELECT key FROM used)" in s]
    assert len(Cache(graph / ".cache").keys("article") - after["article"]) == 1


def test_a_build_by_other_code_starts_a_fresh_cache_keeping_the_shacl_verdicts(tmp_path, monkeypatch):
    """Entries made by other code (an upgrade, an edit to the parser) can never be read again, as their keys
    hold the code version: the next build starts a new cache file with the SHACL verdicts alone (their
    keys are the structures'), rather than deleting the old entries one by one."""
    import sqlite3

    import dreamgraph.cache as cache_module
    from helpers import FIXTURES

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "progression", folder)
    graph = tmp_path / "graph"
    real_version = cache_module._code_version
    monkeypatch.setattr(cache_module, "_code_version", lambda: "older-code")
    build([folder], graph)
    older = {kind: Cache(graph / ".cache").keys(kind) for kind in ("article", "turtle", "body", "shacl")}
    assert len(older["article"]) == 5 and older["shacl"]
    monkeypatch.setattr(cache_module, "_code_version", real_version)

    statements, connect = [], sqlite3.connect

    def traced(*args, **kwargs):
        db = connect(*args, **kwargs)
        db.set_trace_callback(statements.append)
        return db

    monkeypatch.setattr(cache_module.sqlite3, "connect", traced)
    report = build([folder], graph)
    assert report.ok
    assert not [s for s in statements if s.startswith("DELETE") and "key" in s], "old entries deleted one by one"
    monkeypatch.setattr(cache_module.sqlite3, "connect", connect)
    now = {kind: Cache(graph / ".cache").keys(kind) for kind in ("article", "turtle", "body", "shacl")}
    assert len(now["article"]) == 5 and not now["article"] & older["article"]
    assert now["turtle"] == now["body"] == now["article"]
    assert now["shacl"] == older["shacl"]  # the verdicts carried, not checked again
    assert sorted(p.name for p in (graph / ".cache").iterdir()) == [Cache.FILE]
    build([folder], tmp_path / "clean")
    assert (graph / GRAPH_FILE).read_bytes() == (tmp_path / "clean" / GRAPH_FILE).read_bytes()
    rebuilt = build([folder], graph, force=True)  # the same code again: every entry read, none made
    assert rebuilt.ok and Cache(graph / ".cache").keys("article") == now["article"]


def test_a_verdict_kept_for_one_set_of_shapes_is_not_the_answer_for_another(tmp_path):
    """The SHACL verdicts are carried from one version of dreamgraph to the next, whose shapes may be
    stricter: a structure found clean under the old shapes is checked again under the new ones."""
    from helpers import FIXTURES, stricter_shapes

    graph = tmp_path / "graph"
    assert build([FIXTURES / "progression"], graph).violations == []
    with stricter_shapes():
        found = build([FIXTURES / "progression"], graph).violations
    assert found and {v.message for v in found} == {"every dream has a subtitle"}


def _turtle_sources(folder, graph_dir, monkeypatch) -> dict[str, int]:
    """Build, and return how many articles' Turtle came from where: the last graph file, the cache, or made."""
    import dreamgraph.compile as build_module

    counted = {"last graph file": 0, "cache": 0, "made": 0}
    real_compile, real_get_many = build_module.compile_article, Cache.get_many

    def compiled(*args):
        counted["made"] += 1
        return real_compile(*args)

    def got(self, kind, keys):
        for key, value in real_get_many(self, kind, keys):
            if kind == "turtle":
                counted["cache"] += len(value)
            yield key, value

    monkeypatch.setattr(build_module, "compile_article", compiled)
    monkeypatch.setattr(Cache, "get_many", got)
    monkeypatch.setattr("dreamgraph.patch.MOST_FILES", 0)  # the whole rebuild, not a patch
    report = build([folder], graph_dir)
    monkeypatch.undo()
    assert report.ok
    manifest = pickle.loads((graph_dir / STORE_DIR / "built-from.pickle").read_bytes())
    counted["last graph file"] = report.articles - counted["cache"] - counted["made"]
    assert set(manifest["offsets"]) == set(manifest["articles"])
    return counted


def test_a_rebuild_takes_the_turtle_of_unchanged_articles_from_the_last_graph_file(tmp_path, monkeypatch):
    """An unchanged article's Turtle is copied from where the last graph file has it; from the cache when
    that file was changed since, and made again when the cache lost it too; the file is always a clean
    build's, byte for byte."""
    import sqlite3

    from helpers import FIXTURES

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "progression", folder)
    graph = tmp_path / "graph"
    assert _turtle_sources(folder, graph, monkeypatch)["made"] == 5
    path = folder / "flying.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("The Lift", "The Updraft"), encoding="utf-8")
    assert _turtle_sources(folder, graph, monkeypatch) == {"last graph file": 4, "cache": 0, "made": 1}
    build([folder], tmp_path / "clean")
    clean = (tmp_path / "clean" / GRAPH_FILE).read_bytes()
    assert (graph / GRAPH_FILE).read_bytes() == clean

    (graph / GRAPH_FILE).write_bytes(clean.replace(b"The Updraft", b"The Draft"))  # edited by hand
    path.write_text(path.read_text(encoding="utf-8").replace("The Updraft", "The Lift"), encoding="utf-8")
    assert _turtle_sources(folder, graph, monkeypatch) == {"last graph file": 0, "cache": 4, "made": 1}
    build([folder], tmp_path / "clean-2")
    assert (graph / GRAPH_FILE).read_bytes() == (tmp_path / "clean-2" / GRAPH_FILE).read_bytes()

    (graph / GRAPH_FILE).unlink()
    database = sqlite3.connect(graph / ".cache" / Cache.FILE)
    with database:
        database.execute("DELETE FROM entries WHERE kind = 'turtle'")
    database.close()
    assert _turtle_sources(folder, graph, monkeypatch) == {"last graph file": 0, "cache": 0, "made": 5}
    assert (graph / GRAPH_FILE).read_bytes() == (tmp_path / "clean-2" / GRAPH_FILE).read_bytes()


def test_the_turtle_read_a_few_pieces_at_a_time_is_the_same(tmp_path, monkeypatch):
    """Pieces next to one another in the last graph file are read together up to RUN_BYTES: with runs
    cut short, and with runs of one piece, the file is a clean build's."""
    import dreamgraph.graphfolder as build_module
    from helpers import FIXTURES

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "progression", folder)
    build([folder], tmp_path / "clean")
    for number, size in enumerate((1, 3000)):
        graph = tmp_path / f"graph-{number}"
        build([folder], graph)
        (folder / "flying.txt").write_text((folder / "flying.txt").read_text(encoding="utf-8") + "\n", encoding="utf-8")
        monkeypatch.setattr(build_module, "RUN_BYTES", size)
        build([folder], graph)
        build([folder], tmp_path / f"clean-{number}")
        assert (graph / GRAPH_FILE).read_bytes() == (tmp_path / f"clean-{number}" / GRAPH_FILE).read_bytes()
        monkeypatch.undo()


def test_a_last_graph_file_that_cannot_be_read_past_the_page_cache_is_read_as_usual(tmp_path, monkeypatch):
    """The unchanged articles' Turtle is read from a large last graph file (here: any) past the page cache;
    where the system refuses that, as usual: the file is a clean build's either way."""
    import errno
    import fcntl

    import dreamgraph.graphfolder as graphfolder_module
    from helpers import FIXTURES

    monkeypatch.setattr(graphfolder_module, "GRAPH_PAST_CACHE", 0)
    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "progression", folder)
    graph = tmp_path / "graph"
    build([folder], graph)
    refused = []

    real = os.preadv

    def refusing(fd, buffers, offset):  # as a file system without O_DIRECT reads does
        if fcntl.fcntl(fd, fcntl.F_GETFL) & getattr(os, "O_DIRECT", 0):
            refused.append(offset)
            raise OSError(errno.EINVAL, "Invalid argument")
        return real(fd, buffers, offset)

    monkeypatch.setattr(os, "preadv", refusing)
    flying = folder / "flying.txt"
    flying.write_text(flying.read_text(encoding="utf-8").replace("The Lift", "The Updraft"), encoding="utf-8")
    build([folder], graph)
    assert refused
    monkeypatch.undo()
    build([folder], tmp_path / "clean")
    assert (graph / GRAPH_FILE).read_bytes() == (tmp_path / "clean" / GRAPH_FILE).read_bytes()


def _reads_of_a_build(folder, graph_dir, monkeypatch, limits=None) -> list[str]:
    """Build, and return the names of the files whose bytes the build read to know whether they changed."""
    import dreamgraph.compile as build_module

    seen = []
    real = build_module.read_limited

    def reading(path, max_bytes):
        seen.append(Path(path).name)
        return real(path, max_bytes)

    monkeypatch.setattr(build_module, "read_limited", reading)
    report = build([folder], graph_dir, **({"limits": limits} if limits else {}))
    assert report.ok or limits
    monkeypatch.setattr(build_module, "read_limited", real)
    return sorted(seen)


def test_a_rebuild_reads_only_the_files_whose_stat_changed(tmp_path, monkeypatch):
    """Files are known unchanged by their size, times and inode: only a changed one is read again, also
    when the change keeps its size and its modification time is set back (its change time still moves)."""
    from dreamgraph.compile import FileIndex
    from helpers import FIXTURES

    monkeypatch.setattr(FileIndex, "RACY_NS", 0)  # the files here were all written within the last seconds
    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "progression", folder)
    names = sorted(p.name for p in folder.iterdir())
    assert _reads_of_a_build(folder, tmp_path / "graph", monkeypatch) == names  # nothing known yet
    assert _reads_of_a_build(folder, tmp_path / "graph", monkeypatch) == []
    path = folder / "flying.txt"
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    assert "The Lift" in text
    path.write_text(text.replace("The Lift", "The Rise"), encoding="utf-8")  # the same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    assert _reads_of_a_build(folder, tmp_path / "graph", monkeypatch) == ["flying.txt"]
    assert b"The Rise" in (tmp_path / "graph" / GRAPH_FILE).read_bytes()
    assert _reads_of_a_build(folder, tmp_path / "graph", monkeypatch) == []


def test_a_build_that_read_a_few_files_keeps_their_entries_beside_the_whole_index(tmp_path, monkeypatch):
    """The index of the files' stats is written whole by a build that read many files; one that read a
    few (a patch) writes their entries and the files gone beside it, which the next build reads as one
    index: it reads only what changed since, and once the changes are more than a twentieth of the files
    the whole index is written again."""
    from dreamgraph.compile import FileIndex
    from dreamgraph.parse import Limits

    monkeypatch.setattr(FileIndex, "RACY_NS", 0)  # the files here were all written within the last seconds
    folder, graph = tmp_path / "articles", tmp_path / "graph"
    folder.mkdir()
    for i in range(60):
        (folder / f"{i:02d}.txt").write_text(article(
            f"Dream About Rowing {i}: The Oars", quick=[f"Answer {i}.", "Two."],
            next_stages=[("you tire", f"rowing {(i + 1) % 60}", "the arms ache")]), encoding="utf-8")

    def kept():
        cache = Cache(graph / ".cache")
        try:
            index, delta = cache.get("files", "index"), cache.get("files", "delta")
            merged = {Path(path).name: seen for (path, _), seen in FileIndex(cache, repr(Limits())).old.items()}
        finally:
            cache.close()
        return index, delta, merged

    def edit(name: str, text: str) -> None:
        path = folder / name
        path.write_text(path.read_text(encoding="utf-8").replace("Two.", text), encoding="utf-8")

    assert build([folder], graph).ok
    whole, delta, merged = kept()
    assert delta is None and len(whole["files"]) == 60 and len(merged) == 60
    edit("03.txt", "Two and more.")
    assert build([folder], graph).store == "patched"
    index, delta, merged = kept()
    assert index == whole  # not written again
    assert [Path(path).name for path, _ in delta["files"]] == ["03.txt"] and not delta["gone"]
    assert merged["03.txt"][0][0] == (folder / "03.txt").stat().st_size != whole_size(whole, "03.txt")
    (folder / "05.txt").unlink()
    assert build([folder], graph).ok
    index, delta, merged = kept()
    assert index == whole and [Path(path).name for path, _ in delta["gone"]] == ["05.txt"]
    assert sorted(merged) == sorted(p.name for p in folder.iterdir()) and "03.txt" in {
        Path(path).name for path, _ in delta["files"]}  # the changes since the whole index, all of them
    assert _reads_of_a_build(folder, graph, monkeypatch) == []
    edit("07.txt", "Seven.")
    edit("08.txt", "Eight.")
    assert _reads_of_a_build(folder, graph, monkeypatch) == ["07.txt", "08.txt"]
    index, delta, merged = kept()  # 03, 05, 07 and 08 changed: more than a twentieth of 59 files
    assert delta is None and index["made"] > whole["made"] and len(index["files"]) == 59
    assert _reads_of_a_build(folder, graph, monkeypatch) == []


def whole_size(index: dict, name: str) -> int:
    return next(seen[0][0] for (path, _), seen in index["files"].items() if Path(path).name == name)


def test_the_report_is_written_once_what_it_waits_for_is_done(tmp_path):
    """A patch saves its cache in a thread while its report is made; the report, which tells the next build
    which entries the cache holds, is written after that is done, never before."""
    from dreamgraph.graphfolder import LAST_REPORT, Inputs, keep_report, last_report

    folder, graph = tmp_path / "articles", tmp_path / "graph"
    folder.mkdir()
    shutil.copy(SEED, folder)
    report = build([folder], graph)
    kept = last_report(graph)
    path = graph / STORE_DIR / LAST_REPORT
    path.unlink()
    seen = []
    keep_report(graph, Inputs(kept["settings"], kept["sources"]), report, kept["validated"],
                before_writing=lambda: seen.append(path.exists()))
    assert seen == [False] and path.exists() and last_report(graph)["inputs"] == kept["inputs"]


def test_a_report_emptied_cut_or_damaged_means_the_whole_build_again(tmp_path):
    """The last build's report, damaged (nothing, the start of it, zeros, other bytes, a pickle of something
    else), is taken for no report: the next build does the whole work, to the same graph."""
    import random

    from dreamgraph.graphfolder import LAST_REPORT, last_report

    folder, graph = tmp_path / "articles", tmp_path / "graph"
    folder.mkdir()
    shutil.copy(SEED, folder)
    build([folder], graph)
    path = graph / STORE_DIR / LAST_REPORT
    whole, turtle = path.read_bytes(), (graph / "dreamgraph.ttl").read_bytes()
    assert last_report(graph) is not None
    for left in (b"", whole[:len(whole) // 2], bytes(len(whole)), random.Random(0).randbytes(len(whole)),
                 b"\x80\x05K\x01.", b"\x80\x05]\x94."):  # (the last two: a pickle of something else)
        path.write_bytes(left)
        assert last_report(graph) is None
        report = build([folder], graph)
        assert report.store != "unchanged" and (graph / "dreamgraph.ttl").read_bytes() == turtle
        assert last_report(graph) is not None


def test_files_changed_just_before_a_build_are_read_again_by_the_next(tmp_path, monkeypatch):
    """A file modified within two seconds before a build began could change again in the same clock tick
    unseen, so the next build reads it again rather than trusting its stat ("racily clean")."""
    from helpers import FIXTURES

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "progression", folder)
    _reads_of_a_build(folder, tmp_path / "graph", monkeypatch)
    assert len(_reads_of_a_build(folder, tmp_path / "graph", monkeypatch)) == 5  # written just now


def test_a_damaged_cache_entry_is_made_again(tmp_path):
    """An entry that cannot be unpacked (a damaged disk block, an older format) is a miss, not an error."""
    import sqlite3

    from helpers import FIXTURES

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "progression", folder)
    build([folder], tmp_path / "kept")
    database = sqlite3.connect(tmp_path / "kept" / ".cache" / Cache.FILE)
    with database:
        database.execute("UPDATE entries SET value = x'00ff00' WHERE kind = 'article' AND rowid = "
                         "(SELECT MIN(rowid) FROM entries WHERE kind = 'article')")
    database.close()
    before = (tmp_path / "kept" / GRAPH_FILE).read_bytes()
    (tmp_path / "kept" / GRAPH_FILE).unlink()  # so the build writes it again
    report = build([folder], tmp_path / "kept")
    assert report.ok and report.articles == 5
    assert (tmp_path / "kept" / GRAPH_FILE).read_bytes() == before
    assert len(Cache(tmp_path / "kept" / ".cache").keys("article")) == 5


def store_triples(graph_dir):
    store = open_store(graph_dir)
    return sorted(map(str, store._store.quads_for_pattern(None, None, None)))


def _graph_folder_state(graph: Path) -> dict[str, tuple[int, int]]:
    """Every file of a graph folder but its cache and lock, with its size and modification time."""
    return {str(p.relative_to(graph)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(graph.rglob("*"))
            if p.is_file() and ".cache" not in p.parts and not p.name.endswith(".lock")}


def test_a_build_with_nothing_changed_writes_nothing_and_gives_the_last_builds_report(tmp_path):
    """Building again what was just built (the README's first command run twice, a build in a script run
    often) touches nothing in the graph folder and reports what the last build did, its problems included;
    a file touched but not changed is not a change."""
    from helpers import FIXTURES

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "progression", folder)
    (folder / "broken.txt").write_text(article("Dream About Broken Stairs: The Gap",
                                               next_stages=[("you climb", "flying", "it opens")]) +
                                       "- a next stage without an arrow\n", encoding="utf-8")
    graph = tmp_path / "graph"
    first = build([folder], graph)
    assert first.store == "reloaded" and any(p.severity == "error" for p in first.problems)
    before = _graph_folder_state(graph)
    again = build([folder], graph)
    assert again.store == "unchanged"
    assert _graph_folder_state(graph) == before
    assert (again.articles, again.dreams, again.stubs, again.clusters, again.triples, again.problems,
            again.violations) == (first.articles, first.dreams, first.stubs, first.clusters, first.triples,
                                  first.problems, first.violations)
    assert again.graph_file == graph / GRAPH_FILE and again.seconds < first.seconds
    os.utime(folder / "flying.txt", ns=(10**18, 10**18))  # the same bytes, another time: read, and the same
    assert build([folder], graph).store == "unchanged"
    assert _graph_folder_state(graph) == before
    assert build([folder], graph, force=True).store == "updated"


def test_whatever_a_build_depends_on_makes_it_build_again(tmp_path, monkeypatch):
    """Each input of a build (an article's bytes, an article added, the alias table, a limit, the SHACL
    check asked or not, the store's version) and each part of the graph folder it wrote (the graph file, a
    file kept beside the store, the last report itself) builds again when changed, and the graph is then
    what a clean build writes."""
    from helpers import FIXTURES

    from dreamgraph import graphfolder
    from dreamgraph.parse import Limits

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "progression", folder)
    graph = tmp_path / "graph"
    build([folder], graph)
    flying = folder / "flying.txt"
    installed = graphfolder.installed_version
    changes = [
        ("article", lambda: flying.write_text(flying.read_text(encoding="utf-8").replace("The Lift", "The Rise"),
                                              encoding="utf-8"), {}),
        ("added", lambda: (folder / "new.txt").write_text(article("Dream About Landing: Ground"), encoding="utf-8"),
         {}),
        ("alias", lambda: (graph / "aliases.toml").write_text('"waking-up" = "landing"\n', encoding="utf-8"), {}),
        ("limits", lambda: None, {"limits": Limits(max_items=2)}),
        ("limits back", lambda: None, {}),
        ("no check", lambda: None, {"validate": False}),
        ("check", lambda: None, {}),
        ("graph file", lambda: (graph / GRAPH_FILE).write_bytes(b"# edited by hand\n"), {}),
        ("kept file", lambda: (graph / STORE_DIR / "gaps.pickle").unlink(), {}),
        ("last report damaged", lambda: (graph / STORE_DIR / "last-report.pickle").write_bytes(b"\x80\x05garbage"), {}),
        ("store", lambda: shutil.rmtree(graph / STORE_DIR / "oxigraph"), {}),
        ("store upgraded", lambda: monkeypatch.setattr(
            graphfolder, "installed_version", lambda name: "99.0" if name == "pyoxigraph" else installed(name)), {}),
    ]
    for name, change, options in changes:
        change()
        report = build([folder], graph, **options)
        assert report.store in ("patched", "updated", "reloaded"), name
        assert build([folder], graph, **options).store == "unchanged", name
        clean = tmp_path / f"clean-{len(os.listdir(tmp_path))}"
        clean.mkdir()
        if (graph / "aliases.toml").exists():
            shutil.copy(graph / "aliases.toml", clean)
        assert build([folder], clean, **options).triples == report.triples, name
        assert (graph / GRAPH_FILE).read_bytes() == (clean / GRAPH_FILE).read_bytes(), name
        assert store_triples(graph) == store_triples(clean), name


def test_a_small_change_updates_the_store_to_what_a_clean_build_loads(tmp_path):
    from helpers import FIXTURES

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "progression", folder)
    kept = tmp_path / "kept"
    build([folder], kept)
    path = folder / "flying.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("The Lift", "The Updraft"), encoding="utf-8")
    (folder / "teeth.txt").unlink()                     # a written dream goes; links to it make it a stub
    (folder / "drowning.txt").unlink()
    (folder / "new.txt").write_text(article("Dream About Landing: Ground", prose="Part of the Falling cluster.",
                                            next_stages=[("you wake", "waking up", "it ends")]), encoding="utf-8")
    report = build([folder], kept)
    assert report.store == "updated"                  # only the changes were applied, on a copy
    build([folder], tmp_path / "clean")
    assert store_triples(kept) == store_triples(tmp_path / "clean")
    assert report.triples == len(store_triples(kept)) == open_store(kept).triple_count()
    assert (kept / GRAPH_FILE).read_bytes() == (tmp_path / "clean" / GRAPH_FILE).read_bytes()
    assert graph_stats(open_store(kept)) == graph_stats(open_store(tmp_path / "clean"))


def test_a_store_that_does_not_match_its_manifest_is_reloaded(tmp_path):
    from helpers import FIXTURES

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "progression", folder)
    build([folder], tmp_path / "graph")
    (tmp_path / "graph" / ".store" / "loaded-from.json").unlink()  # no longer says what it was loaded from
    path = folder / "flying.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("The Lift", "The Updraft"), encoding="utf-8")
    assert build([folder], tmp_path / "graph").store == "reloaded"
    build([folder], tmp_path / "clean")
    assert store_triples(tmp_path / "graph") == store_triples(tmp_path / "clean")


def test_a_library_large_enough_for_worker_processes_builds_as_one_process_does(tmp_path, monkeypatch):
    import dreamgraph.compile as build_module

    articles = tmp_path / "articles"
    articles.mkdir()
    count = build_module.PARALLEL_THRESHOLD + 20
    for i in range(count):
        (articles / f"{i:04d}.txt").write_text(article(
            f"Dream About Walking Path {i}: The Walk", quick=[f"Answer {i} one.", "Answer two.", "Answer three."],
            scenarios=[(f"Walking path {i}", "moving on"), ("Standing still", f"waiting {i}")],
            next_stages=[("you stop", f"walking path {(i + 1) % count}", "it ends")]), encoding="utf-8")
    parallel = build([articles], tmp_path / "parallel")
    monkeypatch.setattr(build_module, "PARALLEL_THRESHOLD", 10 ** 9)
    serial = build([articles], tmp_path / "serial")
    assert parallel.articles == serial.articles == count and parallel.ok and serial.ok
    assert (tmp_path / "parallel" / GRAPH_FILE).read_bytes() == (tmp_path / "serial" / GRAPH_FILE).read_bytes()
    from dreamgraph.snapshot.texts import shingle_arrays

    kept, made = (shingle_arrays(open_store(tmp_path / name).derived("shingles")) for name in ("parallel", "serial"))
    assert kept[0] == made[0] and (kept[1] == made[1]).all() and len(kept[1]) > 0
    assert len(Cache(tmp_path / "parallel" / ".cache").keys("article")) == count


def test_a_build_makes_mentions_and_cards_in_a_child_process_and_keeps_the_tables_one_process_makes(tmp_path,
                                                                                                     monkeypatch):
    """A library large enough has its mentions found and its cards made in a child process while the build
    makes its other tables: every table it keeps is the one a build making them all itself keeps; a rebuild
    that reads its articles' texts from the cache (its last tables brought up to date) does not fork one
    (the child would use this process's connection to the cache)."""
    import dreamgraph.build as build_module
    import dreamgraph.files as files_module
    from dreamgraph.snapshot import TABLES, Snapshot
    from helpers import FIXTURES, same_table

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "gaps", folder)
    shutil.copy(SEED, folder)
    forked: list[int] = []

    class Recorded(files_module.Child):
        def __init__(self, work, where):
            super().__init__(work, where)
            forked.append(self._pid)

    monkeypatch.setattr(build_module, "Child", Recorded)
    monkeypatch.setattr(build_module, "ASIDE_THRESHOLD", 1)
    build([folder], tmp_path / "aside")
    assert len(forked) == 1 and forked[0] not in (None, os.getpid())
    assert Snapshot(open_store(tmp_path / "aside")).kept("mentions")  # the fixtures name one another
    monkeypatch.setattr(build_module, "ASIDE_THRESHOLD", 10 ** 9)
    build([folder], tmp_path / "here")
    assert len(forked) == 1
    for name in TABLES:
        a, b = Snapshot(open_store(tmp_path / "aside")).kept(name), Snapshot(open_store(tmp_path / "here")).kept(name)
        assert same_table(name, a, b), name
    monkeypatch.setattr(build_module, "ASIDE_THRESHOLD", 1)
    flying = folder / "flying.txt"
    flying.write_text(flying.read_text(encoding="utf-8") + "\nFlying over the sea.\n", encoding="utf-8")
    assert build([folder], tmp_path / "aside", force=True).store == "updated"
    assert len(forked) == 1


def test_the_cache_version_holds_every_module_the_per_file_work_runs():
    """The cache's entries are keyed by the version of the code that made them (cache.VERSIONED): every
    module whose code runs in the per-file work (text, Markdown, a web page, a WordPress export) is in it, so
    an upgrade that changes one never reuses what the old code made."""
    import sys

    import dreamgraph
    from dreamgraph.cache import VERSIONED
    from dreamgraph.compile import compile_file
    from dreamgraph.parse import Limits
    from helpers import FIXTURES

    package = Path(dreamgraph.__file__).resolve().parent
    ran: set[str] = set()

    def tracer(frame, event, arg):
        path = Path(frame.f_code.co_filename)
        if event == "call" and package in path.parents:
            ran.add(path.relative_to(package).as_posix())

    files = [*sorted((FIXTURES / "progression").iterdir()), *sorted((FIXTURES / "markdown").iterdir()),
             *sorted((FIXTURES / "html").iterdir())]
    sys.setprofile(tracer)
    try:
        for path in files:
            compile_file((path, path.name, Limits()))
    finally:
        sys.setprofile(None)
    assert {"pages.py", "compile.py", "snapshot/__init__.py"} <= ran  # (the pages and exports were read)
    assert ran - {"__init__.py"} <= set(VERSIONED), sorted(ran - set(VERSIONED))


def test_a_folder_whose_cache_was_removed_is_still_up_to_date(tmp_path):
    """With nothing in its cache a build leaves the files' keys to its workers, but not when the last build had
    the same settings: the folder may be up to date (its cache removed, say), which only the keys tell."""
    from helpers import FIXTURES

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "progression", folder)
    graph = tmp_path / "graph"
    assert build([folder], graph).store == "reloaded"
    written = (graph / GRAPH_FILE).stat().st_mtime_ns
    shutil.rmtree(graph / ".cache")
    assert build([folder], graph).store == "unchanged"
    assert (graph / GRAPH_FILE).stat().st_mtime_ns == written


def test_reading_ahead_passes_over_what_is_not_a_readable_file(tmp_path):
    """The read-ahead of a first build's files (compile.read_ahead, in a thread of its own) asks for regular
    files and passes over a file gone, a folder, a named pipe and a device without raising or waiting."""
    from dreamgraph.compile import read_ahead

    (tmp_path / "a.txt").write_text("Dream About A: B\n", encoding="utf-8")
    (tmp_path / "folder.txt").mkdir()
    os.mkfifo(tmp_path / "pipe.txt")
    read_ahead([tmp_path / "a.txt", tmp_path / "gone.txt", tmp_path / "folder.txt", tmp_path / "pipe.txt",
                "/dev/zero", str(tmp_path / "a.txt")], 5_000_001)
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "Dream About A: B\n"


def test_a_first_build_leaves_the_keys_to_its_workers_and_knows_every_file_after(tmp_path, monkeypatch):
    """With nothing in its cache, a build does not read every file to key it before the work: each worker
    makes the key from the bytes it parses. The keys are those the parent would make (the next build reads
    nothing and finds nothing changed), a file over the size limit is reported as one process reports it
    and read again by every build, and one file changed after is the one read again."""
    import dreamgraph.compile as compile_module
    from dreamgraph.compile import FileIndex, file_keys
    from dreamgraph.parse import Limits

    monkeypatch.setattr(FileIndex, "RACY_NS", 0)  # the files here were all written within the last seconds
    folder = tmp_path / "articles"
    folder.mkdir()
    for i in range(12):
        (folder / f"{i:02d}.txt").write_text(article(
            f"Dream About Rowing {i}: The Oars", quick=[f"Answer {i}.", "Two.", "Three."],
            next_stages=[("you tire", f"rowing {(i + 1) % 12}", "the arms ache")]), encoding="utf-8")
    (folder / "huge.txt").write_text("Dream About Huge: Big\n" + "word " * 400, encoding="utf-8")
    limits = Limits(max_bytes=1500)
    assert all((folder / f"{i:02d}.txt").stat().st_size <= 1500 for i in range(12))

    def problems(report):
        return sorted((Path(p.path).name, p.message) for p in report.problems if p.severity == "error")

    monkeypatch.setattr(compile_module, "PARALLEL_THRESHOLD", 10 ** 9)
    serial = build([folder], tmp_path / "serial", limits=limits)
    monkeypatch.setattr(compile_module, "PARALLEL_THRESHOLD", 1)
    seen, real = [], compile_module.read_limited
    monkeypatch.setattr(compile_module, "read_limited", lambda path, most: seen.append(path) or real(path, most))
    first = build([folder], tmp_path / "graph", limits=limits)
    monkeypatch.setattr(compile_module, "read_limited", real)
    assert seen == []  # (the workers read them)
    assert problems(first) == problems(serial) and [name for name, _ in problems(first)] == ["huge.txt"]
    assert (tmp_path / "graph" / GRAPH_FILE).read_bytes() == (tmp_path / "serial" / GRAPH_FILE).read_bytes()
    cache = Cache(tmp_path / "graph" / ".cache")
    kept = FileIndex(cache, repr(limits)).old
    entries = {Path(path).name: (path, shown, key) for (path, shown), (_, key) in kept.items()}
    names = sorted(entries)
    assert names == [f"{i:02d}.txt" for i in range(12)]
    read = file_keys([entries[n][0] for n in names], [entries[n][1] for n in names], limits, cache,
                     FileIndex(Cache(None), ""))[0]
    assert read == [entries[n][2] for n in names] and set(cache.keys("article")) >= set(read)
    cache.close()
    assert _reads_of_a_build(folder, tmp_path / "graph", monkeypatch, limits) == ["huge.txt"]
    assert build([folder], tmp_path / "graph", limits=limits).store == "unchanged"
    path = folder / "03.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("Answer 3.", "Answer three."), encoding="utf-8")
    assert _reads_of_a_build(folder, tmp_path / "graph", monkeypatch, limits) == ["03.txt", "huge.txt"]


def test_a_rebuild_patches_the_near_duplicate_pairs_to_what_a_clean_build_finds(tmp_path, monkeypatch):
    """With few articles changed, the build brings the last build's near-duplicate pairs up to date instead
    of comparing every pair again; the pairs and the gap report are a clean build's."""
    import sys

    import dreamgraph.gaps as gaps_module
    from dreamgraph.snapshot import Snapshot

    sys.path.insert(0, str(ROOT / "bench"))
    from generate import generate

    folder = tmp_path / "articles"
    paths = generate(60, folder, seed=3)
    build([folder], tmp_path / "kept")
    searched = []
    monkeypatch.setattr(gaps_module, "similar_pairs", lambda *args, **kw: searched.append(1) or [])
    first, second = sorted(p for p in paths if p.suffix == ".txt")[:2]  # the second becomes a copy of the first
    second.write_text(first.read_text(encoding="utf-8").replace("Dream About ", "Dream About Another ", 1),
                      encoding="utf-8")
    build([folder], tmp_path / "kept")
    assert searched == []  # patched, not searched again
    monkeypatch.undo()
    build([folder], tmp_path / "clean")
    kept, clean = (Snapshot(open_store(tmp_path / name)) for name in ("kept", "clean"))
    assert kept.kept("near-pairs") == clean.kept("near-pairs")
    assert kept.kept("gaps") == clean.kept("gaps")
    from dreamgraph.parse import parse_file

    pair = tuple(sorted(parse_file(path).article.slug for path in (first, second)))
    assert [share for a, b, share in kept.kept("near-pairs") if (a, b) == pair] == [1.0]  # the copy was found


def test_a_build_says_each_step_as_it_begins_in_order(tmp_path):
    from helpers import FIXTURES
    from dreamgraph.build import STAGES

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "progression", folder)
    steps, read = [], []
    build([folder], tmp_path / "g", stage=steps.append, progress=lambda done, total: read.append((done, total)))
    assert steps == sorted(set(steps), key=STAGES.index)  # each once, in the order STAGES gives
    assert steps[:3] == ["finding the articles", "reading the articles", "putting the library together"]
    assert {"writing the graph and loading the store", "checking the shapes", "ranking the dreams",
            "finding the gaps", "writing the read model", "finishing the store"} <= set(steps)
    assert steps[-1] == "tidying the cache" and read[-1] == (5, 5)
    path = folder / "flying.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("The Lift", "The Updraft"), encoding="utf-8")
    steps.clear(), read.clear()
    build([folder], tmp_path / "g", stage=steps.append, progress=lambda done, total: read.append((done, total)))
    assert "writing the graph and updating the store" in steps and "writing the graph and loading the store" not in steps
    assert "ranking the dreams" not in steps  # a subtitle changes no link: the last rankings stand
    assert read[0] == (4, 5) and read[-1] == (5, 5)  # the cache's four at once, then the one read again
    steps.clear()
    build([folder], tmp_path / "g", validate=False, stage=steps.append)
    assert "checking the shapes" not in steps and steps[-1] == "tidying the cache"


def test_a_pass_over_a_kinds_entries_reads_the_file_mapped_and_lets_the_mapping_go(tmp_path):
    """Reading many entries of a kind (a whole rebuild's article heads) maps the cache's file while the pass
    runs (read page by page in key order, the file was read at random), and lets go of the mapping when the
    pass ends, is left half way, or outlives the cache's connection; the entries are those looked up one
    by one."""
    cache = Cache(tmp_path / ".cache")
    keys = [f"k{i:05d}" for i in range(Cache.FEW + 500)]
    for key in keys:
        cache.put("article", key, {"key": key})
        cache.put("body", key, "x" * 500)
    cache.close()
    cache = Cache(tmp_path / ".cache")

    def mapped() -> int:
        return cache._connect().execute("PRAGMA mmap_size").fetchone()[0]

    assert mapped() == 0
    found, during = {}, []
    for key, value in cache.get_many("article", keys):
        found[key] = value
        during.append(mapped())
    assert found == {key: {"key": key} for key in keys} and min(during) > 0 and mapped() == 0
    assert {key: cache.get("article", key) for key in keys[::100]} == {key: found[key] for key in keys[::100]}
    left = cache.get_many("article", keys)
    next(left)
    assert mapped() > 0
    left.close()
    assert mapped() == 0
    left = cache.get_many("article", keys)
    next(left)
    cache.close()
    left.close()  # the connection closed first: nothing to let go of, and no error


def test_the_cache_knows_how_many_entries_each_kind_holds_without_counting_them(tmp_path):
    """The counts a build's tail reads (SQLite keeps them as entries come and go) are what counting the
    entries gives, after puts, replaced entries, drops, prunes, an entry written behind the cache's back,
    and for a file that an older dreamgraph wrote without them."""
    import sqlite3

    def counted(folder) -> tuple[dict[str, int], dict[str, int]]:  # (the counts kept, the entries counted)
        with sqlite3.connect(folder / Cache.FILE) as db:
            kept = dict(db.execute("SELECT kind, n FROM counts WHERE n > 0"))
            return kept, dict(db.execute("SELECT kind, COUNT(*) FROM entries GROUP BY kind"))

    folder = tmp_path / ".cache"
    cache = Cache(folder)
    for key in ("a", "b", "c"):
        cache.put("article", key, key)
        cache.put("turtle", key, key)
    cache.put("article", "a", "again")  # replaced: still one entry
    cache.close()
    kept, real = counted(folder)
    assert kept == real and kept["article"] == 3 and kept["turtle"] == 3
    with sqlite3.connect(folder / Cache.FILE) as db:  # a stopped build's entry, say
        db.execute("INSERT INTO entries VALUES ('article', 'left', x'00')")
    kept, real = counted(folder)
    assert kept == real and kept["article"] == 4
    cache = Cache(folder)
    cache.drop(("article", "turtle"), ["b"], {"a", "c"})
    cache.close()
    kept, real = counted(folder)
    assert kept == real and kept["article"] == 2 and kept["turtle"] == 2
    cache = Cache(folder)
    cache.get("article", "a")
    cache.prune()
    cache.close()
    kept, real = counted(folder)
    assert kept == real and kept["article"] == 1 and kept["turtle"] == 2  # a kind the build did not use stays

    with sqlite3.connect(folder / Cache.FILE) as db:  # as an older dreamgraph left it: no counts
        db.executescript("DROP TRIGGER counted_in; DROP TRIGGER counted_out; DROP TABLE counts;")
        db.execute("INSERT INTO entries VALUES ('turtle', 'x', x'00')")
    cache = Cache(folder)
    cache.put("turtle", "y", "y")
    cache.close()
    kept, real = counted(folder)
    assert kept == real and kept["turtle"] == 4


def test_the_cache_drops_the_keys_it_is_told_of_in_every_kind_however_they_are_given(tmp_path):
    """Cache.drop (a patch's tail): the keys gone, given as an iterator, leave every kind named; a kind with
    entries beyond those kept (a stopped build's) keeps those alone."""
    cache = Cache(tmp_path / ".cache")
    for kind, keys in (("article", ("old", "kept", "new")), ("turtle", ("old", "kept"))):
        for key in keys:
            cache.put(kind, key, key)
    cache.put("shacl", "old", "a verdict")
    cache.drop(("article", "turtle"), (key for key in ["old"]), {"kept", "new"})
    cache.close()
    assert {kind: Cache(tmp_path / ".cache").keys(kind) for kind in ("article", "turtle", "shacl")} == \
        {"article": {"kept", "new"}, "turtle": {"kept"}, "shacl": {"old"}}
    cache = Cache(tmp_path / ".cache")
    cache.drop(("article",), [], {"kept"})
    cache.close()
    assert Cache(tmp_path / ".cache").keys("article") == {"kept"}


def _store_and_file_triples(graph_dir):
    import pyoxigraph as ox

    held = set(ox.Store.read_only(str(graph_dir / STORE_DIR / "oxigraph")))
    written = set(ox.parse(path=str(graph_dir / GRAPH_FILE), format=ox.RdfFormat.TURTLE))
    return held, written


def test_a_first_build_loads_its_store_as_it_reads_and_the_store_holds_the_files_triples(write_corpus, graph_dir,
                                                                                         tmp_path):
    # pieces streamed to the loader that the library then did not keep as they were: an article an alias
    # renames (and the links to its old name), a duplicate title refused, a post refused in an export whose
    # other posts share its file
    chased = ("---\nslug: pursued\naliases: [being chased by a killer]\n---\n"
              "# Chased by a Murderer: The Pursuit\n\nSomeone is behind you.\n\n## Quick Answer\n\n- Avoidance.\n")
    post = ("<item><title>{}</title><content:encoded><![CDATA[<h2>Quick Answer</h2><ul><li>{}</li></ul>]]>"
            "</content:encoded><wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>")
    export = ('<?xml version="1.0"?><rss xmlns:content="http://purl.org/rss/1.0/modules/content/" '
              'xmlns:wp="http://wordpress.org/export/1.2/"><channel>'
              + post.format("Dream About Doors", "A door.") + post.format("Dream About Doors", "Another door.")
              + post.format("Dream About Keys", "A key.") + "</channel></rss>")
    files = {f"{n:03}.txt": article(f"Dream About Thing {n}", scenarios=[(f"scene {n}", "meaning")], next_stages=[
        ("it moves on", "being chased by a killer", "it follows"), ("later", f"thing {n + 1}", "it turns")])
        for n in range(30)}
    # the refused duplicate names the cluster its dream is the hub of, which the kept one does not: the
    # graph's tail says it all the same; an alias renames a post whose file the export's other posts share
    files["000.txt"] = article("Dream About Thing 0", prose="The falling cluster gathers these.")
    files.update({"falling-again.txt": article("Dream About Falling", quick=["You fall again."]),
                  "falling.txt": article("Dream About Falling", quick=["You fall."],
                                         prose="The falling cluster holds it."),
                  "chased.md": chased, "export.xml": export})
    folder = write_corpus(files)
    graph_dir.mkdir()
    (graph_dir / "aliases.toml").write_text('"keys" = "locks"\n', encoding="utf-8")
    seen = {}

    def stage(what):
        if what == "putting the library together":  # every article read: the store is loading already
            seen["loading"] = [p.name for p in graph_dir.glob(f"{STORE_DIR}.*.tmp") if (p / "oxigraph").is_dir()]

    report = build([folder], graph_dir, stage=stage)
    assert report.articles == 30 + 4 and len(seen["loading"]) == 1, seen
    assert not list(graph_dir.glob("*.tmp")) and leftovers(graph_dir) == []
    held, written = _store_and_file_triples(graph_dir)
    assert held == written and report.triples == len(written)
    turtle = (graph_dir / GRAPH_FILE).read_text(encoding="utf-8")
    assert "You fall again." in turtle and "You fall." not in turtle  # the first of the two kept
    assert "dream:being-chased-by-a-killer" not in turtle  # the links to the alias lead to the dream
    assert "dream:locks\n" in turtle and "dream:keys\n" not in turtle
    assert "dream:falling dg:belongsToCluster cluster:falling" in turtle.replace("\n   ", "")
    # the same files built into a folder whose store is there (and loaded again from the file, most articles
    # being new to it): the same triples
    again = tmp_path / "again"
    again.mkdir()
    shutil.copy(graph_dir / "aliases.toml", again)
    first = write_corpus({"only.txt": article("Dream About Only One", quick=["One."])}, folder="first")
    build([first], again)
    assert build([folder], again).store == "reloaded"
    assert _store_and_file_triples(again)[0] == held


def test_a_first_build_that_fails_after_its_load_began_leaves_no_store_behind(write_corpus, graph_dir, monkeypatch):
    import threading

    import dreamgraph.build as build_module

    folder = write_corpus({f"{n}.txt": article(f"Dream About Thing {n}", quick=["q"]) for n in range(5)})

    def failing(*args, **kwargs):
        raise RuntimeError("the tables failed")

    monkeypatch.setattr(build_module, "kept_tables", failing)
    try:
        build([folder], graph_dir)
        raise AssertionError("the build should have failed")
    except RuntimeError as error:
        assert "the tables failed" in str(error)
    assert not (graph_dir / STORE_DIR).exists() and not (graph_dir / GRAPH_FILE).exists()
    assert leftovers(graph_dir) == [], list(graph_dir.iterdir())
    assert not [t.name for t in threading.enumerate() if t.name.startswith(("dreamgraph-load", "dreamgraph-feed"))]
    monkeypatch.undo()
    assert build([folder], graph_dir).articles == 5  # and the next build is whole
    held, written = _store_and_file_triples(graph_dir)
    assert held == written


def _upgrade(monkeypatch, name: str, turtle_changes: bool) -> None:
    """Make the next builds those of another dreamgraph: its per-file cache fresh, its settings other, and
    with ``turtle_changes`` every article's Turtle one triple longer."""
    import dreamgraph.cache as cache_module
    import dreamgraph.compile as compile_module
    import dreamgraph.store as store_module

    monkeypatch.setattr(cache_module, "_code_version", lambda: name)
    monkeypatch.setattr(store_module, "code_fingerprint", lambda: name)
    if turtle_changes:
        own = compile_module.own_triples

        def upgraded(article, path, resolve):
            triples = own(article, path, resolve)
            return triples + [(triples[4][0], "<http://www.w3.org/2000/01/rdf-schema#comment>", '"upgraded"')]

        monkeypatch.setattr(compile_module, "own_triples", upgraded)


def test_the_first_build_after_an_upgrade_loads_its_store_as_it_reads_when_every_articles_turtle_changed(
        write_corpus, graph_dir, monkeypatch):
    from dreamgraph.graphfolder import Spool

    folder = write_corpus({f"{n:03}.txt": article(f"Dream About Thing {n}", scenarios=[(f"scene {n}", "meaning")],
                                                  next_stages=[("later", f"thing {n + 1}", "it turns")])
                           for n in range(Spool.SAMPLE + 50)})
    assert build([folder], graph_dir).store == "reloaded"
    seen = []

    def stage(what):
        if what == "putting the library together":  # every article read: a load going on already, or none
            seen.append(bool([p for p in graph_dir.glob(f"{STORE_DIR}.*.tmp") if (p / "oxigraph").is_dir()]))

    _upgrade(monkeypatch, "same Turtle", turtle_changes=False)
    assert build([folder], graph_dir, stage=stage).store == "updated"  # the store as it was: changed in place
    _upgrade(monkeypatch, "other Turtle", turtle_changes=True)
    report = build([folder], graph_dir, stage=stage)
    assert report.store == "reloaded" and seen == [False, True]
    held, written = _store_and_file_triples(graph_dir)
    assert held == written and report.triples == len(written)
    assert (graph_dir / GRAPH_FILE).read_text(encoding="utf-8").count('rdfs:comment "upgraded"') == Spool.SAMPLE + 50
    assert leftovers(graph_dir) == []


@pytest.mark.parametrize("name", ["pyoxigraph", "pyshacl", "click", "networkx", "numpy", "rdflib", "igraph"])
def test_the_versions_a_build_depends_on_are_those_importlib_metadata_gives(name):
    """The build's inputs hold the store's and the SHACL checker's versions, read from their .dist-info
    folders' names (importlib.metadata's import and search cost every build 14 ms): the same answers."""
    from importlib.metadata import version

    from dreamgraph.graphfolder import installed_version

    assert installed_version(name) == version(name)


def test_a_version_with_no_dist_info_folder_beside_it_is_importlib_metadata_s(tmp_path, monkeypatch):
    from importlib.metadata import version

    from dreamgraph import graphfolder

    package = tmp_path / "site" / "pyoxigraph"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (tmp_path / "site" / "pyoxigraph-0.0.1.dist-info").mkdir()
    (tmp_path / "site" / "pyoxigraph-0.0.2.dist-info").mkdir()  # two: which is installed is not this folder's to say
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: real(name, *a) if name != "pyoxigraph" else
                        importlib.util.spec_from_file_location("pyoxigraph", package / "__init__.py"))
    assert graphfolder.installed_version("pyoxigraph") == version("pyoxigraph")
    (tmp_path / "site" / "pyoxigraph-0.0.2.dist-info").rmdir()
    assert graphfolder.installed_version("pyoxigraph") == "0.0.1"
