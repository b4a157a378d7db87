"""A rebuild after edits that keep every link (dreamgraph.patch): the graph file, the store, every table and
the report are those of a clean build of the same files, and only the edited files' work is done."""

from __future__ import annotations

import os
import shutil
import sys

import pytest

from helpers import FIXTURES, ROOT, SEED, article, leftovers, same_table, stricter_shapes
from dreamgraph.build import build
from dreamgraph.cache import Cache
from dreamgraph.connect import open_store
from dreamgraph.snapshot import TABLES, Snapshot
from dreamgraph.files import file_pieces_digest
from dreamgraph.graphfolder import read_manifest
from dreamgraph.parse import parse_text
from dreamgraph.patch import UNCHANGED
from dreamgraph.store import GRAPH_FILE, STORE_DIR, _read_starts, loaded_digest, retired_folders

# every table a patch may write as runs over the last build's is written so (see conftest)
pytestmark = pytest.mark.usefixtures("always_spliced")


def _replace(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path.name, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _drop_line(path, start: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(start)]
    assert len(kept) == len(lines) - 1, (path.name, start)
    path.write_text("".join(kept), encoding="utf-8")


def _same_as_a_clean_build(folder, graph, clean, report) -> None:
    """Build ``folder`` afresh into ``clean`` and compare everything a reader sees with ``graph``."""
    if clean.exists():
        shutil.rmtree(clean)
    clean.mkdir()
    if (graph / "aliases.toml").exists():
        shutil.copy(graph / "aliases.toml", clean)
    fresh = build([folder], clean)
    assert (graph / GRAPH_FILE).read_bytes() == (clean / GRAPH_FILE).read_bytes()
    # the digest the patch stamps, made from its pieces without reading the file, is the clean build's
    assert loaded_digest(graph / STORE_DIR) == loaded_digest(clean / STORE_DIR) == file_pieces_digest(
        graph / GRAPH_FILE, _read_starts(graph / STORE_DIR))
    assert sorted(map(str, open_store(graph)._store.quads_for_pattern(None, None, None))) == \
        sorted(map(str, open_store(clean)._store.quads_for_pattern(None, None, None)))
    for name in TABLES:
        a, b = Snapshot(open_store(graph)).kept(name), Snapshot(open_store(clean)).kept(name)
        assert a is not None and same_table(name, a, b), name
    patched, whole = read_manifest(graph / STORE_DIR), read_manifest(clean / STORE_DIR)
    assert patched["shared"] == whole["shared"] and patched["about-dreams"] == whole["about-dreams"]
    assert report.problems == fresh.problems
    assert report.violations == fresh.violations
    assert (report.articles, report.dreams, report.stubs, report.clusters, report.triples) == \
        (fresh.articles, fresh.dreams, fresh.stubs, fresh.clusters, fresh.triples)


@pytest.fixture
def library(tmp_path):
    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "gaps", folder)
    shutil.copy(SEED, folder)
    (folder / "loop.txt").write_text(article(  # a loop of one, a link to a look-alike of a written dream
        "Dream About Running In Circles: The Loop", quick=["Round.", "And round."],
        scenarios=[("Running a track", "repetition")], prose="Unlike sleepwalking, it is chosen.",
        next_stages=[("you stop", "running in circles", "it ends"), ("you fly", "flyng", "it lifts")]), encoding="utf-8")
    (tmp_path / "graph").mkdir()
    (tmp_path / "graph" / "aliases.toml").write_text('"dream about falling off a cliff meaning" = "falling"\n')
    assert build([folder], tmp_path / "graph").store == "reloaded"
    return folder


EDITS = {
    # lines added above Next Stages: links to stubs, the loop's warning and the look-alike's move down
    "a line added": lambda f: _replace(f / "loop.txt", "Quick Answer\n", "Quick Answer\n- A new first answer.\n"),
    "a scenario rewritten": lambda f: _replace(f / "sleepwalking.txt", "walking scenario two → walking meaning two",
                                               "walking scenario two → a meaning rewritten"),
    "a dream named in prose": lambda f: _replace(f / "flying.txt", "gathers dreams of soaring",
                                                 "gathers dreams of soaring, unlike not being able to run,"),
    "a section removed": lambda f: _replace(f / "loop.txt", "Common Scenarios\n- Running a track → repetition\n", ""),
    "a broken line": lambda f: _replace(f / "loop.txt", "- Running a track → repetition", "- Running a track"),
    "two files at once": lambda f: (_replace(f / "loop.txt", "Round.", "Round and round."),
                                    _replace(f / "teeth.txt", "\n", "\n\n")),
    # teeth's texts become flying's (its title, cluster and links as they were): a near-duplicate pair
    "a near-duplicate made": lambda f: (f / "teeth.txt").write_text("\n".join(
        (lines := (f / "teeth.txt").read_text(encoding="utf-8").splitlines())[:2]
        + [line.replace("teeth", "soaring") for line in lines[2:]]) + "\n", encoding="utf-8"),
}


def _patched_twice(library, tmp_path, edit, again) -> None:
    """Make ``edit``, then ``again`` (patched from the patched folder): each a patch, each a clean build's."""
    graph = tmp_path / "graph"
    for step in (edit, again):
        step(library)
        report = build([library], graph)
        assert report.store == "patched", step
        _same_as_a_clean_build(library, graph, tmp_path / "clean", report)


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edit_that_keeps_the_links_is_patched_into_what_a_clean_build_makes(library, tmp_path, edit):
    _patched_twice(library, tmp_path, EDITS[edit], lambda f: _replace(f / "loop.txt", "And round.", "And round!"))


@pytest.mark.parametrize("carried", ["copied", "linked", "spliced"])
def test_patches_one_after_another_in_one_process_with_the_tables_kept_in_memory_make_clean_builds(
        library, tmp_path, monkeypatch, carried):
    """A process that builds again and again (dreamgraph.watch) keeps the tables a patch read for the next
    one: a table whose file the last patch replaced is read again, one it carried (linked into the new
    folder, as a large library's are, and a spliced table's base and runs are) is taken from memory, and
    every folder is a clean build's."""
    import dreamgraph.store as store_module
    from dreamgraph.store import TablesInMemory

    if carried == "linked":
        monkeypatch.setattr(store_module, "APART_BYTES", 0)
    if carried != "spliced":
        monkeypatch.setattr(store_module, "SPLICED_ROWS", 10**9)
    graph, memory = tmp_path / "graph", TablesInMemory()
    for number, edit in enumerate(["a line added", "a scenario rewritten", "a near-duplicate made", "a line added"]):
        EDITS[edit](library) if number < 3 else _replace(library / "loop.txt", "A new first answer.", "An answer.")
        report = build([library], graph, memory=memory)
        assert report.store == "patched", edit
        _same_as_a_clean_build(library, graph, tmp_path / "clean", report)
        # a table carried from the last build is taken from the second patch on (a spliced one from the third:
        # the first patch reads the whole build's tables, and splices them, the second reads those)
        assert (memory.taken > 0) == (number > {"copied": 9, "linked": 0, "spliced": 1}[carried]), carried


def test_a_patch_writes_its_large_tables_as_runs_over_the_files_of_the_last_build(library, tmp_path, monkeypatch):
    """A table a patch changes a few rows of is written as runs over the last build's file, which is linked
    rather than written again (dreamgraph.store.Spliced), and read back as a clean build makes it; the next
    patch's runs are over the same file. Small tables, or tables with many new rows, are written whole."""
    import pickle

    import dreamgraph.store as store_module
    from dreamgraph.patch import SPLICED_TABLES
    from dreamgraph.splice import Changes

    graph = tmp_path / "graph"
    folder = graph / STORE_DIR
    whole = {name: (folder / f"{name}.pickle").stat().st_ino for name in SPLICED_TABLES}
    for number, edit in enumerate(["a line added", "a dream named in prose"]):
        EDITS[edit](library)
        report = build([library], graph)
        assert report.store == "patched", edit
        spliced = {name for name in SPLICED_TABLES if (folder / f"{name}.runs").exists()}
        assert {"gaps", "completeness", "article-versions", "mention-sources"} <= spliced, (edit, spliced)
        for name in spliced:  # the whole build's file, linked: never written again
            assert (folder / f"{name}.kept").stat().st_ino == whole[name], (edit, name)
        _same_as_a_clean_build(library, graph, tmp_path / "clean", report)
    LINK_EDITS["a link to a new stub"](library)  # names added: the names table told as its changes to the base
    report = build([library], graph)
    assert report.store == "patched" and (folder / "names.runs").exists()
    told = pickle.loads((folder / "names.runs").read_bytes())
    assert isinstance(told, Changes) and 0 < told.size() <= 3 and not told.removed, told  # the stub's names
    _same_as_a_clean_build(library, graph, tmp_path / "clean", report)
    monkeypatch.setattr(store_module, "SPLICED_ROWS", 2000)  # the size at which a patch splices on its own
    _replace(library / "loop.txt", "Quick Answer\n", "Quick Answer\n- One more answer.\n")  # its row changes
    assert build([library], graph).store == "patched"
    assert not (folder / "completeness.runs").exists(), "a small table the patch changed is written whole"
    _same_as_a_clean_build(library, graph, tmp_path / "clean", report=build([library], graph))


def test_a_graph_file_written_slowly_leaves_a_manifest_the_next_patch_can_use(library, tmp_path, monkeypatch):
    """The store folder (its manifest of where each article's Turtle is) may be complete before the graph
    file is written, as at 100,000 articles: what it says is known before the file is written, so the next
    edit is patched again, and the folder is a clean build's."""
    import time

    import dreamgraph.store as store_module

    real = store_module._write_beside

    def slowly(path, data, direct=False):
        time.sleep(0.5)  # the kept files and the manifest are written meanwhile
        return real(path, data, direct)

    monkeypatch.setattr(store_module, "_write_beside", slowly)
    graph = tmp_path / "graph"
    for edit in ["a line added", "a scenario rewritten", "two files at once"]:
        EDITS[edit](library)
        report = build([library], graph)
        assert report.store == "patched", edit
    _same_as_a_clean_build(library, graph, tmp_path / "clean", report)
    assert read_manifest(graph / STORE_DIR)["offsets"] == read_manifest(tmp_path / "clean" / STORE_DIR)["offsets"]


@pytest.mark.parametrize("large", [False, True])
def test_a_graph_file_goes_past_the_page_cache_only_when_large_and_is_patched_either_way(library, tmp_path,
                                                                                        monkeypatch, large):
    """A graph file under PATCHED_PAST_CACHE bytes (GRAPH_PAST_CACHE for a build that loads the store) is
    written through the page cache, where the next patch reads it back, as the store's manifest says; a
    larger one (here: every one) is written and read past it (O_DIRECT). Either way the patch makes the
    clean build's file, folder and tables."""
    import dreamgraph.files as files_module
    import dreamgraph.patch as patch_module

    if large:
        monkeypatch.setattr(patch_module, "PATCHED_PAST_CACHE", 0)
    real, past = files_module._past_cache, []

    def noting(fd):  # the files set past the page cache, by name
        past.append(os.path.basename(os.readlink(f"/proc/self/fd/{fd}")))
        return real(fd)

    monkeypatch.setattr(files_module, "_past_cache", noting)
    graph = tmp_path / "graph"
    for edit in ["a line added", "a scenario rewritten"]:
        past.clear()
        EDITS[edit](library)
        report = build([library], graph)
        assert report.store == "patched", edit
        graph_files = [name for name in past if GRAPH_FILE in name]
        # written (a temporary file beside it), and read when the last patch wrote it so too
        assert bool([name for name in graph_files if name.startswith(".")]) is large, graph_files
        assert bool([name for name in graph_files if not name.startswith(".")]) is (large and edit != "a line added")
        assert read_manifest(graph / STORE_DIR)["graph-cached"] is not large
    _same_as_a_clean_build(library, graph, tmp_path / "clean", report)


def test_a_patch_links_the_shared_triples_it_cannot_change_into_the_new_folder(library, tmp_path):
    """The clusters' and stubs' triples (the manifest's largest part: 26 MB at 100,000 articles) are the last
    build's after a patch: their file is linked into the new store folder, not read and written again."""
    from dreamgraph.graphfolder import SHARED

    graph = tmp_path / "graph"
    before = (graph / STORE_DIR / SHARED).stat()
    EDITS["a scenario rewritten"](library)
    assert build([library], graph).store == "patched"
    after = (graph / STORE_DIR / SHARED).stat()
    assert (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)
    build([library], tmp_path / "clean")
    assert read_manifest(graph / STORE_DIR)["shared"] == read_manifest(tmp_path / "clean" / STORE_DIR)["shared"]


def test_tables_read_ahead_between_patches_are_all_taken_from_memory_and_make_clean_builds(library, tmp_path,
                                                                                           monkeypatch):
    """What a watching process does while it waits (TablesInMemory.read_ahead): the tables the last patch
    read, read again from the folder it left, so that the next patch reads no table from disk; the
    folders it makes are clean builds' all the same."""
    import dreamgraph.store as store_module
    from dreamgraph.store import STORE_DIR, TablesInMemory

    read = []
    real = store_module._stamped
    monkeypatch.setattr(store_module, "_stamped", lambda name, *rest: read.append(name) or real(name, *rest))
    graph, memory = tmp_path / "graph", TablesInMemory()
    for number, edit in enumerate(["a line added", "a scenario rewritten", "a dream named in prose",
                                   "a near-duplicate made"]):
        EDITS[edit](library)
        read.clear()
        taken = memory.taken
        report = build([library], graph, memory=memory)
        assert report.store == "patched", edit
        if number == 0:
            assert len(read) > 10, "the first patch reads its tables from the folder"
        elif edit == "a near-duplicate made":  # the possible overlaps found again: the tables they read (not
            # the projection: the links stand for it)
            assert sorted(read) == sorted(set(UNCHANGED) - {"projection", "projection-changes", "links", "typos"}), read
            assert memory.taken - taken > 10
        else:
            assert read == [] and memory.taken - taken > 10, (edit, read)
        _same_as_a_clean_build(library, graph, tmp_path / "clean", report)
        read.clear()
        memory.read_ahead(graph / STORE_DIR)
        assert read, "the tables the patch made anew are read ahead"


def test_with_every_array_kept_apart_and_read_mapped_a_rebuild_makes_what_a_clean_build_makes(library, tmp_path,
                                                                                               monkeypatch):
    """Every table's arrays kept apart and read back mapped, read-only (at 100,000 articles the shingles
    and the search table's columns are, see store.derived_files): the patch and the whole rebuild that start
    from them give a clean build's folder."""
    import dreamgraph.store as store_module

    monkeypatch.setattr(store_module, "APART_BYTES", 0)
    graph = tmp_path / "graph"
    assert build([library], graph, force=True).store == "updated"
    assert list((graph / ".store").glob("shingles.buffer*")) and list((graph / ".store").glob("search.buffer*"))
    EDITS["a near-duplicate made"](library)
    report = build([library], graph)
    assert report.store == "patched"
    _same_as_a_clean_build(library, graph, tmp_path / "clean", report)
    for change, how in ((lambda: (library / "new.txt").write_text(article("Dream About Swimming: Strokes", quick=[
            "Water holds you."]), encoding="utf-8"), "patched"), (lambda: (library / "teeth.txt").unlink(), "updated")):
        change()  # an article added (patched), then one removed (the whole rebuild)
        report = build([library], graph)
        assert report.store == how
        _same_as_a_clean_build(library, graph, tmp_path / "clean", report)


NIGHTMARES_FIRST = "If you got up → dream about sleepwalking meaning — when the body moves\n"
LINK_EDITS = {
    "a link's condition changed": lambda f: _replace(f / "loop.txt", "you stop", "you halt"),
    "a link to a written dream added": lambda f: _replace(
        f / "nightmares.txt", NIGHTMARES_FIRST, NIGHTMARES_FIRST + "If you flew off → dream about flying meaning — when you lift\n"),
    "a link to a written dream removed": lambda f: _replace(f / "nightmares.txt", NIGHTMARES_FIRST, ""),
    "a link pointed at another written dream": lambda f: _replace(
        f / "flying.txt", "dream about sleepwalking meaning", "dream about nightmares meaning"),
    "links put in another order": lambda f: _replace(
        f / "nightmares.txt", NIGHTMARES_FIRST, "") or _replace(f / "nightmares.txt", "fear has no picture\n",
                                                               "fear has no picture\n" + NIGHTMARES_FIRST),
    # being watched is named first by nightmares.txt: its label stands
    "a stub linked again by a file that links it": lambda f: _replace(
        f / "sleepwalking.txt", "when you are seen\n", "when you are seen\nIf eyes stayed → dream about being watched "
                                                         "meaning — when they stay\n"),
    "a stub's first link moved down": lambda f: _replace(
        f / "nightmares.txt", NIGHTMARES_FIRST, NIGHTMARES_FIRST.replace("sleepwalking", "being watched")
        + "If you went → dream about sleepwalking meaning — when you go\n"),
    "a link reworded that does not name its stub first": lambda f: _replace(
        f / "sleepwalking.txt", "dream about being watched meaning", "dream about Being Watched meaning"),
    "a link to a new stub": lambda f: _replace(
        f / "loop.txt", "If you fly →", "If you dive → dream about diving deep meaning — when it sinks\nIf you fly →"),
    # the new stub's name is in flying.txt's prose: that article's mentions are found again from the cache
    "a link to a new stub another article names": lambda f: _replace(
        f / "nightmares.txt", NIGHTMARES_FIRST, NIGHTMARES_FIRST + "If you rose → dream about dreams of soaring "
                                                                   "meaning — when you rise\n"),
    # its longest word is in the label of a stub (being watched): no article to read back for that one
    "a link to a new stub another stub's label names": lambda f: _replace(
        f / "loop.txt", "If you fly →", "If you hide → dream about a watched crowd meaning — when eyes turn\nIf you fly →"),
    # both go before the same stub of the last build, in their order
    "two new stubs side by side": lambda f: _replace(
        f / "loop.txt", "If you fly →", "If you dive → dream about diving deeper meaning — when it sinks\n"
                                        "If you sink → dream about diving deep meaning — when it ends\nIf you fly →"),
    "new stubs linked from two files": lambda f: (LINK_EDITS["a link to a new stub"](f), _replace(
        f / "flying.txt", "when the lift ends\n", "when the lift ends\nIf you fell → dream about a slow fall meaning "
                                                  "— when it drops\n")),
    # flying.txt sorts before nightmares.txt, which names being watched first: the label would change
    "a stub linked from one more file": lambda f: (f / "teeth.txt").write_text((f / "teeth.txt").read_text(
        encoding="utf-8") + "Next Stages\nIf eyes were on you → dream about being watched meaning — when you are seen\n",
        encoding="utf-8"),
    # flying.txt sorts before nightmares.txt, which linked it first: the same words, the same label
    "a stub linked first from one more file": lambda f: _replace(f / "flying.txt", "when the lift ends\n", (
        "when the lift ends\nIf eyes were on you → dream about being watched meaning — when you are seen\n")),
    "a stub linked from one file fewer": lambda f: _replace(
        f / "sleepwalking.txt", "If someone saw you → dream about being watched meaning — when you are seen\n", ""),
    "links changed in two files": lambda f: (LINK_EDITS["a link to a written dream removed"](f),
                                             LINK_EDITS["a link pointed at another written dream"](f)),
    # flyng's one link: the stub goes (its block, node, names, look-alike and search entry)
    "a stub's last link pointed at a written dream": lambda f: _replace(f / "loop.txt", "you fly → dream about flyng",
                                                                        "you fly → dream about flying"),
    # the next link to being watched is sleepwalking.txt's, in the same words: read back, the label stands
    "a stub's first link taken out": lambda f: _replace(
        f / "nightmares.txt", "If eyes followed you → dream about being watched meaning — when you are seen\n", ""),
    "a stub's last link taken out": lambda f: _drop_line(f / SEED.name, "If what was chasing you caught up"),
    "a stub's last link taken out, and a new stub linked": lambda f: _replace(
        f / "loop.txt", "you fly → dream about flyng", "you fly → dream about diving deep"),
}


@pytest.mark.parametrize("edit", sorted(LINK_EDITS))
def test_an_edit_to_the_links_is_patched_into_what_a_clean_build_makes(library, tmp_path, edit):
    """A changed Next Stages line (a link added, removed, pointed elsewhere or reworded) that leaves every
    unwritten dream as it was, or adds new ones: the projection, its arrays, the rankings (and with new
    stubs their triples, names, look-alikes, search entries and the mentions of their names) are patched
    too."""
    _patched_twice(library, tmp_path, LINK_EDITS[edit], lambda f: _replace(f / "loop.txt", "you fly →", "you glide →"))


@pytest.mark.parametrize("edit", ["a link to a new stub", "a stub's last link taken out, and a new stub linked"])
def test_a_link_edit_with_the_betweenness_estimated_aside_is_a_clean_build(library, tmp_path, edit, monkeypatch):
    """Above centrality.ASIDE_ABOVE dreams (here above none) a patch estimates the betweenness in a child
    process while it finds the gaps: the rankings it writes are still the clean build's."""
    from dreamgraph import centrality

    monkeypatch.setattr(centrality, "ASIDE_ABOVE", 0)
    _patched_twice(library, tmp_path, LINK_EDITS[edit],
                   lambda f: _replace(f / "loop.txt", "you fly →", "you glide →"))


SWIMMING = article("Dream About Swimming: Strokes", quick=["Water holds you.", "You float."],
                   scenarios=[("Swimming in a lake", "calm")], prose="The body cluster gathers dreams of swimming.",
                   next_stages=[("you sink", "nightmares", "it darkens"), ("you rise", "flying", "you lift")])
ADDITIONS = {
    "a new dream linking written dreams, in a cluster": lambda f: (f / "swimming.txt").write_text(SWIMMING, encoding="utf-8"),
    # zz sorts after the files that link to being watched already: its label stands
    "a new dream linking an old stub and a new one": lambda f: (f / "zz-swimming.txt").write_text(
        SWIMMING.replace("dream about flying meaning", "dream about being watched meaning").replace(
            "you sink → dream about nightmares", "you sink → dream about diving deep"), encoding="utf-8"),
    # a.txt sorts before nightmares.txt, which linked being watched first: in the same words, the same label
    "a new dream linking an old stub first": lambda f: (f / "a.txt").write_text(
        SWIMMING.replace("dream about flying meaning", "dream about being watched meaning"), encoding="utf-8"),
    # flying.txt's prose names "dreams of soaring": its mentions are found again
    "a new dream another article names": lambda f: (f / "soaring.txt").write_text(
        SWIMMING.replace("Swimming: Strokes", "Dreams of Soaring: Height"), encoding="utf-8"),
    "two new dreams, one linking the other": lambda f: ((f / "swimming.txt").write_text(
        SWIMMING.replace("dream about flying meaning", "dream about diving meaning"), encoding="utf-8"),
        (f / "diving.md").write_text("# " + article("Dream About Diving: Depth", quick=["Down."]), encoding="utf-8")),
    "a new page out of the article format": lambda f: (f / "swimming.txt").write_text(
        "Dream About Swimming: Strokes\nJust a paragraph.\n", encoding="utf-8"),
    "a new page cut off": lambda f: (f / "swimming.txt").write_text(SWIMMING.rstrip("\n")[:-12], encoding="utf-8"),
    # nightmares.txt and sleepwalking.txt link to it: their links lead to a written dream now
    "an article written for a stub": lambda f: (f / "watched.txt").write_text(
        SWIMMING.replace("Swimming: Strokes", "Being Watched: Eyes"), encoding="utf-8"),
    # loop.txt's link to flyng was warned of (it looks like flying): the warning goes
    "an article written for a stub that looks like a written dream": lambda f: (f / "flyng.txt").write_text(
        article("Dream About Flyng: Eyes", quick=["Seen."]), encoding="utf-8"),
    "an article written for a stub, and a new one linking it": lambda f: (
        (f / "watched.txt").write_text(SWIMMING.replace("Swimming: Strokes", "Being Watched: Eyes").replace(
            "dream about flying meaning", "dream about diving meaning"), encoding="utf-8"),
        (f / "diving.md").write_text("# " + article("Dream About Diving: Depth", quick=["Down."], next_stages=[
            ("eyes turn", "being watched", "you are seen")]), encoding="utf-8")),
}


@pytest.mark.parametrize("addition", sorted(ADDITIONS))
def test_an_article_added_is_patched_into_what_a_clean_build_makes(library, tmp_path, addition):
    """A new file whose article is a dream no link led to, or a stub's (see dreamgraph.patch): its parts,
    its node and links, its names, its cluster's sources and its stubs' blocks are put into the last build's
    (the stub's taken out), and its mentions and the mentions of its name found."""
    _patched_twice(library, tmp_path, ADDITIONS[addition], lambda f: _replace(f / "loop.txt", "you fly →", "you glide →"))


REMOVALS = {  # what is written and built first, then what is taken out
    "a new dream, in a cluster": (ADDITIONS["a new dream linking written dreams, in a cluster"],
                                  lambda f: (f / "swimming.txt").unlink()),
    # being watched is linked from nightmares.txt and sleepwalking.txt too: its block loses one file
    "a dream linking an old stub": (lambda f: (f / "zz-swimming.txt").write_text(SWIMMING.replace(
        "dream about flying meaning", "dream about being watched meaning"), encoding="utf-8"),
                                    lambda f: (f / "zz-swimming.txt").unlink()),
    # flying.txt's prose names "dreams of soaring": its mentions are found again
    "a dream another article names": (ADDITIONS["a new dream another article names"],
                                      lambda f: (f / "soaring.txt").unlink()),
    # flying.txt's prose names it where, once it is gone, another dream's shorter name is found: "the fog"
    "a dream named in prose over another's shorter name": (
        lambda f: ((f / "lantern.txt").write_text(SWIMMING.replace("Swimming: Strokes", "A Lantern In The Fog: Lit"),
                                                  encoding="utf-8"),
                   (f / "fog.txt").write_text(SWIMMING.replace("Swimming: Strokes", "The Fog: Grey"),
                                              encoding="utf-8"),
                   _replace(f / "flying.txt", "gathers dreams of soaring",
                            "gathers dreams of soaring, a lantern in the fog")),
        lambda f: (f / "lantern.txt").unlink()),
    "a page out of the article format": (ADDITIONS["a new page out of the article format"],
                                         lambda f: (f / "swimming.txt").unlink()),
    "a page cut off": (ADDITIONS["a new page cut off"], lambda f: (f / "swimming.txt").unlink()),
    "two dreams, one linking the other": (ADDITIONS["two new dreams, one linking the other"],
                                          lambda f: ((f / "swimming.txt").unlink(), (f / "diving.md").unlink())),
    "a dream, with an edit to another article": (ADDITIONS["a new dream linking written dreams, in a cluster"],
                                                 lambda f: ((f / "swimming.txt").unlink(),
                                                            _replace(f / "loop.txt", "Round.", "Round and round."))),
    # sleepwalking.txt links to nightmares: it becomes a stub, labelled by that link
    "a dream another article links to": (lambda f: None, lambda f: (f / "nightmares.txt").unlink()),
    # night-terrors.txt links to teeth falling out; swimming names the body cluster too
    "a dream another article links to, in a cluster": (ADDITIONS["a new dream linking written dreams, in a cluster"],
                                                       lambda f: (f / "teeth.txt").unlink()),
    "a dream linked from an article edited at once": (lambda f: None, lambda f: (
        (f / "nightmares.txt").unlink(), _replace(f / "flying.txt", "when the lift ends\n", "when the lift ends\n"
                                                  "If it darkens → dream about nightmares meaning — when it darkens\n"))),
    # loop.txt links to flyingg: a stub now, the look-alike of flying (the link is warned of)
    "a dream whose stub looks like a written dream": (
        lambda f: ((f / "flyingg.txt").write_text(article("Dream About Flyingg: Up", quick=["Up."]), encoding="utf-8"),
                   _replace(f / "loop.txt", "dream about flyng", "dream about flyingg")),
        lambda f: (f / "flyingg.txt").unlink()),
    # the one file linking flyng, a loop of one: the stub goes too
    "the only file linking a stub": (lambda f: None, lambda f: (f / "loop.txt").unlink()),
    # flying.txt linked to it: the same patch takes that link out
    "a dream, and the link to it": (
        lambda f: ((f / "swimming.txt").write_text(SWIMMING, encoding="utf-8"),
                   _replace(f / "flying.txt", "when the lift ends\n",
                            "when the lift ends\nIf you land in water → dream about swimming meaning — when it is wet\n")),
        lambda f: ((f / "swimming.txt").unlink(), _replace(f / "flying.txt", "If you land in water → dream about "
                                                           "swimming meaning — when it is wet\n", ""))),
}


@pytest.mark.parametrize("removal", sorted(REMOVALS))
def test_an_article_taken_out_is_patched_into_what_a_clean_build_makes(library, tmp_path, removal):
    """A file taken out (see dreamgraph.patch): its dream's parts, node and links, names, cluster sources and
    stubs' files go (where links still lead to it, it becomes their stub), and the mentions of its names."""
    write, take_out = REMOVALS[removal]
    write(library)
    build([library], tmp_path / "graph")
    _patched_twice(library, tmp_path, take_out,
                   lambda f: _replace(f / "flying.txt", "gathers dreams of soaring", "gathers the dreams of soaring"))


def test_articles_moving_a_cluster_s_subtitle_across_the_count_it_makes_overlaps_to_are_patched_into_clean_builds(
        library, tmp_path, monkeypatch):
    """The pairs of a subtitle more than MOST_SUBTITLED dreams of a cluster carry are no possible overlaps:
    an article added with it, then taken out, moves the whole group across that number, and a patch finds
    the pairs of all its dreams again (here: two, then three, then two)."""
    import dreamgraph.gaps as gaps_module

    monkeypatch.setattr(gaps_module, "MOST_SUBTITLED", 2)

    def swimming(where: str, target: str) -> str:  # one subtitle, one next stage each: alike by the subtitle alone
        return article(f"Dream About Swimming {where}: Strokes", quick=["Water holds you.", "You float."],
                       prose="The body cluster gathers dreams of swimming.", next_stages=[("you go on", target, "on")])

    def overlapping() -> list[str]:
        return sorted(gap.label for gap in Snapshot(open_store(graph)).kept("gaps") if gap.kind == "possible-overlap"
                      and any("the same subtitle" in e["text"] for e in gap.evidence))

    graph = tmp_path / "graph"
    (library / "swim-lake.txt").write_text(swimming("In A Lake", "flying"), encoding="utf-8")
    (library / "swim-pool.txt").write_text(swimming("In A Pool", "nightmares"), encoding="utf-8")
    build([library], graph)
    assert overlapping() == ["Swimming In A Lake ~ Swimming In A Pool"]
    steps = [lambda f: (f / "swim-sea.txt").write_text(swimming("In The Sea", "being watched"), encoding="utf-8"),
             lambda f: (f / "swim-lake.txt").unlink()]
    for step, expected in zip(steps, [[], ["Swimming In A Pool ~ Swimming In The Sea"]]):
        step(library)
        report = build([library], graph)
        assert report.store == "patched"
        assert overlapping() == expected
        _same_as_a_clean_build(library, graph, tmp_path / "clean", report)


RENAMES = {
    # in the body cluster (its only article), linked from night-terrors.txt
    "an article in a cluster, linked to": lambda f: (f / "teeth.txt").rename(f / "teeth-moved.txt"),
    # sorted first now: its link to being watched is the stub's first (in the same words)
    "an article linking a stub, sorted first now": lambda f: (f / "sleepwalking.txt").rename(f / "a-sleepwalking.txt"),
    # its link to being watched was the first: sleepwalking.txt's is now (read back, the same words)
    "an article linking a stub first, sorted last now": lambda f: (f / "nightmares.txt").rename(f / "zz-nightmares.txt"),
    # the one file linking flyng, a loop of one
    "the only file linking a stub": lambda f: (f / "loop.txt").rename(f / "circles.txt"),
    "an article renamed and edited": lambda f: ((f / "flying.txt").rename(f / "soaring.md"),
                                                _replace(f / "soaring.md", "gathers dreams of soaring",
                                                         "gathers dreams of soaring high")),
}


@pytest.mark.parametrize("rename", sorted(RENAMES))
def test_an_article_file_renamed_is_patched_into_what_a_clean_build_makes(library, tmp_path, rename):
    """A file renamed (see dreamgraph.patch): its dream's article at another path, its triples, the cluster
    and stub blocks that name its file, its rows and the stubs' links put in place of the old ones."""
    _patched_twice(library, tmp_path, RENAMES[rename],
                   lambda f: _replace(f / "night-terrors.txt", "\n", "\n\n"))


def test_an_article_with_aliases_of_its_own_renamed_is_patched_and_taken_out_built_whole(library, tmp_path):
    """A file renamed keeps its front-matter aliases (the same dream, answering to the same names): a patch;
    taken out, they may point other links elsewhere: the whole rebuild."""
    (library / "sinking.md").write_text('---\naliases: ["going under", "the deep"]\n---\n\n# ' + article(
        "Dream About Sinking: The Weight", quick=["Down."], next_stages=[("you rise", "flying", "you lift")]),
        encoding="utf-8")
    build([library], tmp_path / "graph")
    _patched_twice(library, tmp_path, lambda f: (f / "sinking.md").rename(f / "a-sinking.md"),
                   lambda f: _replace(f / "a-sinking.md", "Down.", "Down and down."))
    (library / "a-sinking.md").unlink()
    report = build([library], tmp_path / "graph")
    assert report.store in ("updated", "reloaded")
    _same_as_a_clean_build(library, tmp_path / "graph", tmp_path / "clean", report)


@pytest.mark.parametrize("write, take_out, why", [
    # nightmares.txt linked being watched first; sleepwalking.txt's link, next, names it in other words
    (lambda f: None, lambda f: ((f / "nightmares.txt").unlink(), _replace(
        f / "sleepwalking.txt", "dream about being watched meaning", "dream about Being Watched meaning")),
     "a file removed that linked a stub first, the next link in other words"),
    (lambda f: (f / "swimming.txt").write_text(SWIMMING, encoding="utf-8"),
     lambda f: ((f / "swimming.txt").unlink(), (f / "diving.txt").write_text(SWIMMING.replace(
         "Swimming: Strokes", "Diving: Depth"), encoding="utf-8")), "a file removed and another added"),
    (lambda f: (f / "falling.txt").write_text(article("Dream About Falling: Down", quick=["Down."]), encoding="utf-8"),
     lambda f: (f / "falling.txt").unlink(), "a file removed whose dream an alias points to"),
    (lambda f: None, lambda f: ((f / "teeth.txt").rename(f / "teeth-moved.txt"),
                                _replace(f / "teeth-moved.txt", "Teeth", "Molars")), "a file renamed, its title changed"),
])
def test_a_file_taken_out_that_changes_more_is_built_whole(library, tmp_path, write, take_out, why):
    graph = tmp_path / "graph"
    write(library)
    build([library], graph)
    take_out(library)
    report = build([library], graph)
    assert report.store in ("updated", "reloaded"), why
    _same_as_a_clean_build(library, graph, tmp_path / "clean", report)


@pytest.mark.parametrize("edit, why", [
    (lambda f: _replace(f / "nightmares.txt", "dream about being watched meaning", "dream about Being Watched meaning"),
     "a stub's first link reworded"),
    (lambda f: _replace(f / "flying.txt", "when the lift ends\n", "when the lift ends\nIf eyes were on you → dream about "
                                                                  "Being Watched meaning — when you are seen\n"),
     "a stub linked first from one more file, in other words"),
    (lambda f: _replace(f / "loop.txt", "The Loop", "The Circle"), "a title changed"),
    (lambda f: (f / "new.txt").write_text(article("Dream About Being Watched?: Eyes", quick=["Seen."]), encoding="utf-8"),
     "a file added for a stub, under another name"),
    (lambda f: (f / "new.txt").write_text(article("Dream About Swimming: Strokes", prose="The water cluster gathers "
                                                  "dreams of swimming."), encoding="utf-8"),
     "a file added naming a new cluster"),
    (lambda f: (f / "new.txt").write_text(article("Dream About Swimming: Strokes", prose="The bodý cluster gathers "
                                                  "dreams of swimming."), encoding="utf-8"),
     "a file added naming a cluster in other words"),
    (lambda f: (f / "new.txt").write_text(article("Dream About Being Watchd: Eyes", quick=["Seen."]), encoding="utf-8"),
     "a file added whose dream a stub may mean"),
    (lambda f: (f / "new.txt").write_text(article("Dream About Nightmares: Again", quick=["Twice."]), encoding="utf-8"),
     "a file added for a written dream"),
    (lambda f: (f / "new.txt").write_text(article("Dream About Swimming: Strokes", next_stages=[
        ("eyes turn", "Being Watched", "you are seen")]), encoding="utf-8"),
     "a file added that names a stub first, in other words"),
    # aliases.toml points "falling off a cliff" to falling, which had no article: its warning goes
    (lambda f: (f / "falling.txt").write_text(article("Dream About Falling: Down", quick=["Down."]), encoding="utf-8"),
     "a file added for a dream an alias points to"),
    (lambda f: (f / "teeth.txt").unlink(), "a file removed, the last to name its cluster"),
    (lambda f: (f / "sleepwalking.txt").unlink(), "a file removed whose dream is a cluster's hub"),
    (lambda f: (f / "flying.txt").unlink(), "a file removed whose dream a stub looks like"),
    (lambda f: (f / SEED.name).unlink(), "a file removed, the last to name its cluster and link its stubs"),
    (lambda f: (f / "teeth.txt").write_text("\n".join(  # its title and intro alone, no link before or after
        (f / "teeth.txt").read_text(encoding="utf-8").splitlines()[:2]) + "\n", encoding="utf-8"),
     "out of the article format"),
])
def test_an_edit_that_changes_more_than_its_texts_is_built_whole(library, tmp_path, edit, why):
    graph = tmp_path / "graph"
    edit(library)
    report = build([library], graph)
    assert report.store in ("updated", "reloaded"), why
    _same_as_a_clean_build(library, graph, tmp_path / "clean", report)


def test_an_alias_table_changed_with_an_edit_is_built_whole(library, tmp_path):
    graph = tmp_path / "graph"
    (graph / "aliases.toml").write_text('"flyng" = "flying"\n', encoding="utf-8")
    _replace(library / "loop.txt", "Round.", "Round!")
    report = build([library], graph)
    assert report.store == "updated"
    _same_as_a_clean_build(library, graph, tmp_path / "clean", report)


def test_a_patch_reads_the_edited_files_alone(library, tmp_path, monkeypatch):
    """Only the edited file is read and parsed, and only its cache entries are read; the cache keeps the
    entries of every other file and drops the edited file's old ones."""
    import dreamgraph.compile as compile_module

    graph = tmp_path / "graph"
    cache_file = graph / ".cache"
    before = Cache(cache_file)
    entries = before.keys("article")
    before.close()
    parsed, heads = [], []
    real_read, real_get_many = compile_module.read_source, Cache.get_many
    monkeypatch.setattr(compile_module, "read_source", lambda path, *a: parsed.append(os.path.basename(path)) or real_read(path, *a))

    def got(self, kind, keys):
        keys = list(keys)
        heads.extend(keys if kind == "article" else [])
        return real_get_many(self, kind, keys)

    monkeypatch.setattr(Cache, "get_many", got)
    _replace(library / "teeth.txt", "\n", "\n\n")
    assert build([library], graph).store == "patched"
    monkeypatch.undo()
    assert parsed == ["teeth.txt"] and len(heads) == 1
    after = Cache(cache_file)
    now = after.keys("article")
    after.close()
    assert len(now) == len(entries) and len(now - entries) == 1 and len(entries - now) == 1


def test_a_patch_on_the_realistic_library_is_a_clean_build(tmp_path):
    """The realistic generator's library (title families, stubs, near-duplicates, cut-off pages, Markdown):
    a few articles' texts edited in turn."""
    sys.path.insert(0, str(ROOT / "bench"))
    from generate import generate

    folder = tmp_path / "articles"
    paths = sorted(generate(80, folder, seed=5))
    graph = tmp_path / "graph"
    build([folder], graph)
    patched = 0
    for number, path in enumerate(paths[:: len(paths) // 6]):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        # a line of prose added after the title: every later line moves down
        path.write_text("\n".join(lines[:1] + [f"A new sentence {number} about the dream."] + lines[1:]) + "\n",
                        encoding="utf-8")
        report = build([folder], graph)
        patched += report.store == "patched"
        _same_as_a_clean_build(folder, graph, tmp_path / "clean", report)
    assert patched >= 4


LONG_MEANINGS = """
<https://w3id.org/dreamgraph/shapes#LongMeaning> a <http://www.w3.org/ns/shacl#NodeShape> ;
    <http://www.w3.org/ns/shacl#targetClass> <https://w3id.org/dreamgraph/ontology#Scenario> ;
    <http://www.w3.org/ns/shacl#property> [ <http://www.w3.org/ns/shacl#path> <https://w3id.org/dreamgraph/ontology#meaning> ;
        <http://www.w3.org/ns/shacl#minLength> 11 ; <http://www.w3.org/ns/shacl#message> "a meaning says something" ] .
"""


def test_a_patch_checks_the_edited_articles_shapes_and_keeps_the_others_verdicts(library, tmp_path):
    """Under shapes a text can break (a scenario's meaning of at least 11 characters): edits that mend the
    rule and break it give the violations a clean build finds, those of the articles not edited kept."""
    graph = tmp_path / "other"
    with stricter_shapes(LONG_MEANINGS):
        assert [v.value for v in build([library], graph).violations] == ["repetition"]  # loop.txt's
        steps = [(library / "loop.txt", "→ repetition", "→ again and again", []),
                 (library / "teeth.txt", "→ teeth meaning one", "→ a bite", ["a bite"]),
                 (library / "loop.txt", "→ again and again", "→ repetition", ["a bite", "repetition"])]
        for path, old, new, values in steps:
            _replace(path, old, new)
            report = build([library], graph)
            assert report.store == "patched" and sorted(v.value for v in report.violations) == values
            _same_as_a_clean_build(library, graph, tmp_path / "clean", report)


def test_the_search_texts_patched_in_memory_are_those_patched_to_a_file(library, tmp_path):
    """search_patched lays the texts out in memory, or writes them to a file as made, copying the old ones
    from the last table's mapping or (the build's way) from its file: the same bytes and columns each way."""
    import numpy as np

    from dreamgraph.library import Library
    from dreamgraph.parse import parse_file
    from dreamgraph.snapshot.texts import search_patched
    from dreamgraph.store import kept_in_folder

    last = kept_in_folder(tmp_path / "graph" / ".store", "search")
    _replace(library / "loop.txt", "Round.", "Round and round, faster.")
    edited = parse_file(library / "loop.txt").article
    edited.path = "articles/loop.txt"
    in_memory, _ = search_patched(last, Library({edited.slug: edited}, {}, []))
    to_file, _ = search_patched(last, Library({edited.slug: edited}, {}, []), tmp_path)
    (tmp_path / "copied").mkdir()
    copied, texts_copied = search_patched(last, Library({edited.slug: edited}, {}, []), tmp_path / "copied",
                                          tmp_path / "graph" / ".store" / "search.lower")  # copied from their file
    texts_copied()
    assert bytes(in_memory["lower"]) == to_file["lower"].read_bytes() == copied["lower"].read_bytes()
    assert b"round and round, faster." in bytes(in_memory["lower"])
    for name in ("starts", "dream", "kind", "position", "predicate"):
        assert np.array_equal(in_memory[name], to_file[name]), name
    assert in_memory["versions"] == to_file["versions"] != last["versions"]


def test_the_cards_patched_to_a_file_are_those_of_the_whole_library(library, tmp_path):
    """cards_patched puts edited articles' cards in place of their old ones (one with a section no longer
    read), in memory or in a new file whose other bytes are copied from the last table's file in the
    background: the same cards as the whole library's, in the same order."""
    from dreamgraph.compile import compile_all
    from dreamgraph.library import Library, assemble
    from dreamgraph.parse import Limits
    from dreamgraph.snapshot.articles import Cards, card_parts_from_library, cards_patched
    from dreamgraph.sources import find_article_files
    from dreamgraph.store import kept_in_folder

    folder = tmp_path / "graph" / ".store"
    last = kept_in_folder(folder, "card-parts")
    edits = {"loop.txt": ("Round.", "Round and round, faster."),
             "teeth.txt": ("Quick Answer", "Answers, quick")}  # its quick answer no longer read: its parts change
    for name, (old, new) in edits.items():
        _replace(library / name, old, new)
    files, _ = find_article_files([library])
    whole = assemble([item.result for item in compile_all(files, tmp_path / "graph", Limits())], {})
    edited = Library({slug: a for slug, a in whole.articles.items() if a.path.rsplit("/", 1)[-1] in edits}, {}, [])
    assert len(edited.articles) == 2
    expected = Cards(card_parts_from_library(whole))
    (tmp_path / "spill").mkdir()
    in_memory, _ = cards_patched(last, edited)
    to_file, wait = cards_patched(last, edited, tmp_path / "spill", folder / "card-parts.packed")
    wait()
    to_file = {**to_file, "packed": to_file["packed"].read_bytes()}
    for table in (in_memory, to_file):
        cards = Cards(table)
        assert cards.slugs == expected.slugs and cards.urls == expected.urls
        assert all(cards[slug] == expected[slug] for slug in expected), [s for s in expected if cards[s] != expected[s]]
    assert Cards(in_memory) != Cards(last)


def test_the_shingles_patched_to_a_file_are_those_laid_out_in_memory(library, tmp_path):
    """shingles_patched writes the last table's hashes with an edited article's replaced to a new file, the
    old ones copied in the background, and a new dream's put in its place: once waited for, the table is the
    one laid out in memory; it declines (None) when a dream's shingles go, which takes it out of the table."""
    import numpy as np

    from dreamgraph.library import Library
    from dreamgraph.parse import parse_file
    from dreamgraph.snapshot.texts import shingle_arrays, shingles, shingles_from_library, shingles_patched
    from dreamgraph.store import kept_in_folder

    folder = tmp_path / "graph" / ".store"
    last = kept_in_folder(folder, "shingles")
    _replace(library / "loop.txt", "Round.", "Round and round, faster and faster, the track never ends.")
    edited = parse_file(library / "loop.txt").article
    made = {edited.slug: shingles("round and round, faster and faster, the track never ends. and round.")}
    (tmp_path / "spill").mkdir()
    table, wait = shingles_patched(last, made, tmp_path / "spill", folder / "shingles.hashes")
    wait()
    in_memory = shingles_from_library(Library({edited.slug: edited}, {}, []), made, last, {edited.slug})
    got, expected = shingle_arrays(table), shingle_arrays(in_memory)
    assert got[0] == expected[0] and np.array_equal(got[1], expected[1]) and np.array_equal(got[2], expected[2])
    assert not np.array_equal(got[1], shingle_arrays(last)[1])
    assert shingles_patched(last, {edited.slug: None}, tmp_path / "spill", folder / "shingles.hashes") is None
    # a new dream's shingles put in its place (none: nothing put in)
    (library / "new.txt").write_text(SWIMMING, encoding="utf-8")
    added = parse_file(library / "new.txt").article
    made = {added.slug: shingles("water holds you and you float in a lake at night"), "not-shingled": None}
    table, wait = shingles_patched(last, made, tmp_path / "spill", folder / "shingles.hashes")
    wait()
    in_memory = shingles_from_library(Library({added.slug: added}, {}, []), made, last, {added.slug})
    got, expected = shingle_arrays(table), shingle_arrays(in_memory)
    assert added.slug in got[0] and len(got[0]) == len(shingle_arrays(last)[0]) + 1
    assert got[0] == expected[0] and np.array_equal(got[1], expected[1]) and np.array_equal(got[2], expected[2])
    # a dream taken out of it, and another's replaced
    gone = shingle_arrays(last)[0][1]
    made = {edited.slug: shingles("round and round, faster and faster, the track never ends. and round.")}
    table, wait = shingles_patched(last, made, tmp_path / "spill", folder / "shingles.hashes", {gone})
    wait()
    in_memory = shingles_from_library(Library({edited.slug: edited}, {}, []), made, last, {edited.slug, gone})
    got, expected = shingle_arrays(table), shingle_arrays(in_memory)
    assert gone not in got[0] and len(got[0]) == len(shingle_arrays(last)[0]) - 1
    assert got[0] == expected[0] and np.array_equal(got[1], expected[1]) and np.array_equal(got[2], expected[2])


def _damage(kept) -> None:
    """Damage a table's file by hand: a pickle still current by its header, and of its size, damaged within;
    another file removed."""
    if kept.name.endswith(".pickle"):
        import pickle

        with open(kept, "rb") as file:
            pickle.load(file)
            start, size = file.tell(), kept.stat().st_size
        with open(kept, "r+b") as file:
            file.seek(start)
            file.write(b"\x80\x05damaged" + bytes(size - start - 9))
    else:
        kept.unlink()


@pytest.mark.parametrize("damage", ["search.lower", "shingles.hashes", "mentions.pickle", "links.pickle"])
def test_a_kept_file_gone_or_damaged_makes_the_whole_rebuild_not_a_failure(library, tmp_path, damage):
    """A file of the last build's tables removed or damaged by hand (its header intact, or the file gone):
    the patch stops with the folder as it was, and the whole rebuild makes a clean build's folder."""
    graph = tmp_path / "graph"
    _damage(graph / ".store" / damage)
    _replace(library / "loop.txt", "Round.", "Round again.")
    report = build([library], graph)
    assert report.store in ("updated", "reloaded")
    _same_as_a_clean_build(library, graph, tmp_path / "clean", report)
    # nothing left but the store folder the build replaced, which the next build removes
    assert leftovers(graph) == [] and len(list(graph.glob(".store.*"))) == 1
    assert list(graph.glob(".store.*")) == retired_folders(graph / STORE_DIR)


def test_a_damaged_table_a_patch_does_not_read_is_carried_and_read_from_the_engine(library, tmp_path):
    """The projection, which a patch neither reads nor writes (one of texts, or of links, whose changes to it
    are kept beside it), damaged by hand: each patch carries the file as it is, readers get the projection
    from the engine (the clean build's), and the next whole rebuild makes it again."""
    graph, clean = tmp_path / "graph", tmp_path / "clean"
    _damage(graph / ".store" / "projection.pickle")
    for old, new in (("Round.", "Round again."),  # a text edit, then a link changed
                     ("you fly → dream about flyng", "you fly → dream about flying")):
        _replace(library / "loop.txt", old, new)
        assert build([library], graph).store == "patched"
        shutil.rmtree(clean, ignore_errors=True)
        clean.mkdir()
        shutil.copy(graph / "aliases.toml", clean)
        build([library], clean)
        store = open_store(graph)
        assert Snapshot(store).kept("projection") is None
        assert same_table("projection", Snapshot(store).projection, Snapshot(open_store(clean)).projection)
    report = build([library], graph, force=True)
    assert report.store in ("updated", "reloaded")
    _same_as_a_clean_build(library, graph, clean, report)


def test_a_patched_gap_reports_evidence_in_a_web_page_keeps_the_pages_address(tmp_path):
    """A stub linked from a web page (its evidence carries the live page's address) and from a text article
    whose lines move: the patched report gives the moved link's evidence again with the page's address on
    the page's, as a clean build does."""
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(FIXTURES / "html" / "wordpress-theme.html", folder)
    (folder / "control.txt").write_text(article(
        "Dream About Slipping: The Loss", quick=["It slips."], scenarios=[("Slipping on ice", "no grip")],
        next_stages=[("it keeps on", "losing control", "it spirals")]), encoding="utf-8")
    graph = tmp_path / "graph"
    build([folder], graph)
    _replace(folder / "control.txt", "Quick Answer\n", "Quick Answer\n- A new first answer.\n")
    report = build([folder], graph)
    assert report.store == "patched"
    gaps = Snapshot(open_store(graph)).kept("gaps")
    [gap] = [g for g in gaps if g.node == "losing-control" and g.kind == "missing-article"]
    assert [(e["path"], "url" in e) for e in gap.evidence] == [("articles/control.txt", False),
                                                                ("articles/wordpress-theme.html", True)]
    _same_as_a_clean_build(folder, graph, tmp_path / "clean", report)


def test_new_stubs_are_put_into_the_search_texts_in_their_places(library, tmp_path):
    """search_patched puts a new stub's label among the other dreams' entries in the order of their IRIs,
    numbering the dreams after it one further: the table a whole build makes of the library with that stub
    (the first and the last place too, two in one place, and an edited dream right after new stubs)."""
    import numpy as np

    from dreamgraph.library import Library
    from dreamgraph.parse import parse_file
    from dreamgraph.snapshot.texts import search_patched
    from dreamgraph.store import kept_in_folder

    last = kept_in_folder(tmp_path / "graph" / ".store", "search")
    edited = parse_file(library / "loop.txt").article
    edited.path = "articles/loop.txt"
    stubs = {"aaa-first": "aaa first", "running-in-circleb": "running in circleb",  # two in one place, out of order
             "running-in-circlea": "running in circlea", "zzz-last": "zzz last"}
    table, _ = search_patched(last, Library({edited.slug: edited}, {}, []), None, None, stubs)
    assert table["dreams"] == sorted(last["dreams"] + list(stubs))  # slugs of plain words sort as their IRIs
    at = {slug: n for n, slug in enumerate(table["dreams"])}
    starts, lower = table["starts"], bytes(table["lower"])
    for slug, label in stubs.items():
        entries = np.flatnonzero(table["dream"] == at[slug])
        assert [lower[starts[i]:starts[i + 1]] for i in entries] == [label.encode()]
    for slug in last["dreams"]:  # every old dream's texts, under its new number
        old = last["dreams"].index(slug)
        before = [bytes(last["lower"][last["starts"][i]:last["starts"][i + 1]]) for i in np.flatnonzero(last["dream"] == old)]
        after = [lower[starts[i]:starts[i + 1]] for i in np.flatnonzero(table["dream"] == at[slug])]
        assert after == before, slug
    assert len(table["versions"].split(b"\n")) == len(table["dreams"]) == len(table["labels"])


def test_link_edits_one_after_another_with_the_tables_kept_in_memory_make_clean_builds(library, tmp_path):
    """The link patch under a process that builds again and again (dreamgraph.watch): the tables it takes
    from memory are not changed in place (the projection is read anew, the others copied), so each folder
    is a clean build's, a new stub's included."""
    _patched_with_tables_in_memory(library, tmp_path, [LINK_EDITS[edit] for edit in [
        "a link to a written dream added", "a link to a new stub", "a link pointed at another written dream",
        "a link's condition changed"]])


def _patched_with_tables_in_memory(library, tmp_path, changes) -> None:
    """Make each change to the library in turn, building after each in one process that keeps the tables
    (as `watch` does, reading them ahead): each build a patch, each folder a clean build's."""
    from dreamgraph.store import TablesInMemory

    graph, memory = tmp_path / "graph", TablesInMemory()
    for change in changes:
        change(library)
        report = build([library], graph, memory=memory)
        assert report.store == "patched", change
        _same_as_a_clean_build(library, graph, tmp_path / "clean", report)
        memory.read_ahead(graph / STORE_DIR)
    assert memory.taken > 0


def test_articles_added_one_after_another_with_the_tables_kept_in_memory_make_clean_builds(library, tmp_path):
    """New articles under a process that builds again and again (dreamgraph.watch): the tables a patch
    takes from memory (names, clusters, stub links, the mention finder's sources) are copied, not changed in
    place, so each folder is a clean build's, the stub's article included."""
    _patched_with_tables_in_memory(library, tmp_path, [ADDITIONS[addition] for addition in [
        "a new dream linking written dreams, in a cluster", "an article written for a stub",
        "a new dream another article names",  # then the stub's article edited, a new one added
        "an article written for a stub, and a new one linking it"]])


@pytest.mark.parametrize("up_to", [1000, 0])
def test_patches_keep_the_shared_triples_changed_beside_the_last_file_of_them(library, tmp_path, monkeypatch, up_to):
    """A patch that changes the shared triples (a cluster's members, a stub's links) links the last file of
    them into the new folder and writes what it took out and put in beside it, added to what the patches
    before it changed; past ``SHARED_CHANGES_UP_TO`` changes it writes them whole. Each folder is a clean
    build's, its shared triples too."""
    import dreamgraph.graphfolder as graphfolder
    from dreamgraph.graphfolder import SHARED, SHARED_CHANGES

    monkeypatch.setattr(graphfolder, "SHARED_CHANGES_UP_TO", up_to)
    graph = tmp_path / "graph"
    first = (graph / STORE_DIR / SHARED).stat().st_ino
    for change in [ADDITIONS["a new dream linking written dreams, in a cluster"], LINK_EDITS["a link to a new stub"],
                   ADDITIONS["an article written for a stub"]]:
        change(library)
        report = build([library], graph)
        assert report.store == "patched"
        _same_as_a_clean_build(library, graph, tmp_path / "clean", report)
        linked = (graph / STORE_DIR / SHARED).stat().st_ino == first
        assert linked == (up_to > 0) and (graph / STORE_DIR / SHARED_CHANGES).exists() == linked


def test_a_cluster_s_hub_written_and_taken_out_updates_the_store_to_a_clean_build_s(library, tmp_path):
    """A hub (a written dream with the slug of a cluster its article does not name: "body", which teeth.txt
    names) written, then taken out, is no patch: the whole rebuild brings the store up to date, the shared
    triples about written dreams with it (the hub's membership of its cluster comes, then goes); each
    folder is a clean build's."""
    graph = tmp_path / "graph"
    hub = library / "body.txt"
    assert not read_manifest(graph / STORE_DIR)["about-dreams"]
    for change in (lambda: hub.write_text(article("Dream About Body: The Frame", quick=["Held."]), encoding="utf-8"),
                   hub.unlink):
        change()
        report = build([library], graph)
        assert report.store == "updated", report.store
        _same_as_a_clean_build(library, graph, tmp_path / "clean", report)
        assert bool(read_manifest(graph / STORE_DIR)["about-dreams"]) == hub.exists()


def test_articles_taken_out_one_after_another_with_the_tables_kept_in_memory_make_clean_builds(library, tmp_path):
    """Files taken out under a process that builds again and again (dreamgraph.watch): a new dream taken
    out again, a dream others link to (a stub now), the one file linking a stub (which goes with it)."""
    _patched_with_tables_in_memory(library, tmp_path, [
        ADDITIONS["a new dream linking written dreams, in a cluster"], lambda f: (f / "swimming.txt").unlink(),
        lambda f: (f / "nightmares.txt").unlink(), lambda f: (f / "loop.txt").unlink()])


def test_the_projection_s_changes_are_carried_by_a_whole_build_and_added_to_by_the_next_patches(library, tmp_path):
    """A patch keeps its changes to the projection beside the last whole build's projection (reading and
    writing neither): a whole rebuild whose links are the same carries both files, and the patches after it
    add their changes to those; at each step the projection a reader gets is a clean build's."""
    from dreamgraph.store import _after_header

    graph = tmp_path / "graph"
    base = b"".join(_after_header(graph / STORE_DIR / "projection.pickle"))
    ADDITIONS["a new dream linking written dreams, in a cluster"](library)
    report = build([library], graph)
    assert report.store == "patched"
    assert b"".join(_after_header(graph / STORE_DIR / "projection.pickle")) == base, "carried as it was"
    changes = Snapshot(open_store(graph)).kept("projection-changes")
    assert "swimming" in changes["nodes"] and "swimming" in changes["links"]
    _same_as_a_clean_build(library, graph, tmp_path / "clean", report)
    report = build([library], graph, force=True)  # a whole rebuild of the same links: both carried
    assert report.store in ("updated", "reloaded")
    assert Snapshot(open_store(graph)).kept("projection-changes") == changes
    _same_as_a_clean_build(library, graph, tmp_path / "clean", report)
    for change in (LINK_EDITS["a link to a new stub"], lambda f: (f / "swimming.txt").unlink(),
                   LINK_EDITS["a stub's last link taken out"]):
        change(library)
        report = build([library], graph)
        assert report.store == "patched"
        _same_as_a_clean_build(library, graph, tmp_path / "clean", report)
    changes = Snapshot(open_store(graph)).kept("projection-changes")
    assert changes["nodes"]["swimming"] is None and changes["links"]["swimming"] == []
    _replace(library / "loop.txt", "Round.", "Round and round.")
    report = build([library], graph, force=True)
    assert report.store in ("updated", "reloaded")
    _same_as_a_clean_build(library, graph, tmp_path / "clean", report)


def test_link_changes_on_the_realistic_library_are_patched_into_clean_builds(tmp_path):
    """The realistic generator's library (title families, stubs that resemble written dreams, hubs): a next
    stage added to a written dream, another to a new stub, an article added, an article others link to
    taken out (a stub now) and put back, each patched (the gaps found over the links, the projection's
    changes kept beside it) into what a clean build of the same files makes."""
    sys.path.insert(0, str(ROOT / "bench"))
    from generate import generate

    folder = tmp_path / "articles"
    paths = sorted(generate(150, folder, seed=11))
    graph = tmp_path / "graph"
    build([folder], graph)
    first, second = paths[3], paths[40]
    text = first.read_text(encoding="utf-8")
    name = parse_text(second.read_text(encoding="utf-8"), second.name).article.name
    heading = next(line for line in text.splitlines() if "Next Stages" in line)
    linked = f"{heading}\n- If it turns → dream about {name} meaning — when it turns"
    changes = [
        lambda: first.write_text(text.replace(heading, linked, 1), encoding="utf-8"),
        lambda: first.write_text(text.replace(heading, f"{linked}\n- If the light fades → dream about a lantern in "
                                                       "the fog meaning — when it dims", 1), encoding="utf-8"),
        lambda: (folder / "zz-added.txt").write_text(text.replace(text.splitlines()[0].removeprefix("# "),
                                                                  "Dream About A Copper Kettle: The Whistle", 1),
                                                     encoding="utf-8"),
        lambda: second.rename(tmp_path / second.name),
        lambda: (tmp_path / second.name).rename(second),
    ]
    patched = 0
    for change in changes:
        change()
        report = build([folder], graph)
        patched += report.store == "patched"
        _same_as_a_clean_build(folder, graph, tmp_path / "clean", report)
    assert patched >= 4
