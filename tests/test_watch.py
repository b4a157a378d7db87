"""dreamgraph.watch: a build, then one at each change of the articles or the alias table, noticed by the
system's real file events (and by polling), in a thread of the test like a notebook would run it."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from helpers import FIXTURES, SEED, article
from dreamgraph.errors import DreamgraphError
from dreamgraph.store import GRAPH_FILE
from dreamgraph.watch import rebuilds

# every table a patch may write as runs over the last build's is written so (see conftest)
pytestmark = pytest.mark.usefixtures("always_spliced")
WAIT = 60  # seconds allowed for a change to be noticed and built (a loaded machine)


class Watching:
    """:func:`rebuilds` run in a thread, each build put in a queue, until ``stop``."""

    def __init__(self, sources, graph, **options):
        self.builds: queue.Queue = queue.Queue()
        self.stop = threading.Event()
        self.error: list[BaseException] = []

        def run():
            try:
                for rebuilt in rebuilds(sources, graph, stop=self.stop, **options):
                    self.builds.put(rebuilt)
            except BaseException as exc:  # noqa: BLE001 - said by next()
                self.error.append(exc)
                self.builds.put(None)

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def next(self):
        rebuilt = self.builds.get(timeout=WAIT)
        assert rebuilt is not None, self.error
        return rebuilt

    def nothing_more(self, seconds: float = 1.5) -> bool:
        time.sleep(seconds)
        return self.builds.empty()

    def close(self):
        self.stop.set()
        self.thread.join(timeout=WAIT)
        assert not self.thread.is_alive(), "the watch stops when asked"



@pytest.fixture
def library(tmp_path):
    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "gaps", folder)
    shutil.copy(SEED, folder)
    return folder


@pytest.fixture(params=[None, True], ids=["events", "polling"])
def watching(request, library, tmp_path):
    watch = Watching([library], tmp_path / "graph", force_polling=request.param)
    yield watch
    watch.close()


def test_a_first_build_then_one_at_each_change_of_an_article(watching, library, tmp_path):
    first = watching.next()
    assert first.changed == [] and first.error is None and first.report.store == "reloaded"
    text = (library / "teeth.txt").read_text(encoding="utf-8")
    (library / "teeth.txt").write_text(text.replace("Quick Answer\n", "Quick Answer\n- Watched and rebuilt.\n", 1),
                                       encoding="utf-8")
    rebuilt = watching.next()
    assert rebuilt.changed == ["articles/teeth.txt"]
    assert rebuilt.report.store == "patched"
    assert "Watched and rebuilt." in (tmp_path / "graph" / GRAPH_FILE).read_text(encoding="utf-8")
    (library / "new.md").write_text(article("Dream About Swimming: Strokes", quick=["Water holds you."]),
                                    encoding="utf-8")
    added = watching.next()
    assert added.changed == ["articles/new.md"] and added.report.articles == first.report.articles + 1
    assert added.report.store == "patched"
    (library / "new.md").unlink()
    removed = watching.next()
    assert removed.changed == ["articles/new.md"] and removed.report.articles == first.report.articles
    assert removed.report.store == "patched"  # taken out again: its dream leaves the tables (dreamgraph.patch)


def test_each_build_says_the_gaps_its_change_opened_and_closed(library, tmp_path):
    """A strategist editing an article sees at once what the edit did to the gap report: its FAQ removed
    opens the incomplete-article gap, put back closes it; an edit that changes no gap says none."""
    import re

    builds = rebuilds([library], tmp_path / "graph")
    try:
        assert next(builds).gap_changes() == ([], [])  # the first build: nothing to compare with
        path = library / "teeth.txt"
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"\nFAQ\n.*?(?=\nNext Stages|$)", "\n", text, flags=re.S), encoding="utf-8")
        time.sleep(1)
        opened, closed = next(builds).gap_changes()
        assert [(g.kind, g.node) for g in opened] == [("incomplete-article", "teeth-falling-out")] and closed == []
        assert "FAQ" in opened[0].action
        path.write_text(text, encoding="utf-8")
        time.sleep(1)
        opened, closed = next(builds).gap_changes()
        assert opened == [] and [(g.kind, g.node) for g in closed] == [("incomplete-article", "teeth-falling-out")]
        path.write_text(text.replace("Quick Answer\n", "Quick Answer\n- One more answer.\n", 1), encoding="utf-8")
        time.sleep(1)
        assert next(builds).gap_changes() == ([], [])  # the same gaps, their evidence moved a line down
    finally:
        builds.close()


def test_files_the_build_passes_over_start_no_build(watching, library, tmp_path):
    watching.next()
    (library / ".teeth.txt.swp").write_text("an editor's swap file")
    (library / "notes.csv").write_text("a,b\n")
    (library / ".drafts").mkdir()
    (library / ".drafts" / "draft.md").write_text(article("Dream About Drafts: Unsaved"), encoding="utf-8")
    (tmp_path / "graph" / "notes.md").write_text("beside the graph, not an article")
    assert watching.nothing_more()
    (tmp_path / "graph" / "aliases.toml").write_text('"flyng" = "flying"\n')  # the alias table is read by a build
    rebuilt = watching.next()
    assert rebuilt.changed == ["aliases.toml"] and rebuilt.report.store != "unchanged"


def test_what_the_caller_writes_under_an_ignored_folder_starts_no_build(tmp_path):
    """`watch --export` with the views' folder inside the watched one: writing the views (HTML, as a saved
    page is) after a build must not start the next build, and the next, for ever."""
    shutil.copytree(FIXTURES / "gaps", tmp_path / "site" / "articles")
    (tmp_path / "site" / "exports").mkdir()
    watch = Watching([tmp_path / "site"], tmp_path / "graph", ignore=[tmp_path / "site" / "exports"])
    try:
        watch.next()
        (tmp_path / "site" / "exports" / "taxonomy.html").write_text("<html><body>a view</body></html>")
        assert watch.nothing_more()
        (tmp_path / "site" / "articles" / "new.md").write_text(article("Dream About Swimming: Strokes"),
                                                               encoding="utf-8")
        assert watch.next().changed == ["site/articles/new.md"]
    finally:
        watch.close()


def test_changes_made_while_the_caller_is_busy_make_one_build_next(library, tmp_path):
    """The generator waits while its caller works on the last build (writes the views, say): what changed
    meanwhile, however many files, makes one build when it is asked for the next."""
    builds = rebuilds([library], tmp_path / "graph")
    try:
        next(builds)
        for name in ("teeth.txt", "flying.txt", "sleepwalking.txt"):  # a checkout of three files
            path = library / name
            path.write_text(path.read_text(encoding="utf-8").replace(
                "Quick Answer\n", f"Quick Answer\n- One more answer in {name}.\n", 1), encoding="utf-8")
            time.sleep(0.2)
        time.sleep(1)
        rebuilt = next(builds)
        assert rebuilt.changed == ["articles/flying.txt", "articles/sleepwalking.txt", "articles/teeth.txt"]
        turtle = (tmp_path / "graph" / GRAPH_FILE).read_text(encoding="utf-8")
        assert all(f"One more answer in {name}." in turtle for name in ("teeth.txt", "flying.txt", "sleepwalking.txt"))
    finally:
        builds.close()


def test_a_watch_that_builds_again_and_again_does_not_grow(library, tmp_path, monkeypatch):
    """As the `dreamgraph watch` program runs it (what a build leaves is kept for the process's end, the
    collector off), what each build leaves is freed after it, cycles too (the tables a build no longer
    needs, a networkx graph among them): the objects alive after the tenth build are those after the
    third, give or take a few."""
    import gc

    from dreamgraph import files

    monkeypatch.setattr(files, "_LEFT_FOR_EXIT", [])  # as dreamgraph.cli.run sets it
    builds = rebuilds([library], tmp_path / "graph")
    alive = []
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        next(builds)
        path, text = library / "teeth.txt", (library / "teeth.txt").read_text(encoding="utf-8")
        for number in range(10):
            path.write_text(text.replace("Quick Answer\n", f"Quick Answer\n- Answer {number}.\n", 1), encoding="utf-8")
            time.sleep(0.3)
            assert next(builds).report.store == "patched"
            assert files._LEFT_FOR_EXIT, "the build left its structures for later"
            alive.append(len(gc.get_objects()))
    finally:
        builds.close()
        if was_enabled:
            gc.enable()
    assert alive[-1] - alive[2] < 500, alive


def test_a_build_that_fails_is_said_and_the_watch_goes_on(library, tmp_path):
    folder = tmp_path / "only"
    folder.mkdir()
    shutil.copy(library / "teeth.txt", folder)
    watch = Watching([folder], tmp_path / "graph")
    try:
        assert watch.next().report.articles == 1
        (folder / "teeth.txt").unlink()  # no article left: the build says so
        failed = watch.next()
        assert failed.report is None and "no articles" in failed.error
        shutil.copy(library / "flying.txt", folder)
        assert watch.next().report.articles == 1
    finally:
        watch.close()


def test_a_change_made_while_another_build_holds_the_folder_is_built_once_it_is_free(library, tmp_path):
    """One build at a time: the watch's waits for the folder, says so when another build holds it longer,
    and tries again on its own, with no further change needed."""
    from filelock import FileLock

    from dreamgraph.store import LOCK_FILE

    builds = rebuilds([library], tmp_path / "graph", lock_timeout=0.5)
    try:
        next(builds)
        lock = FileLock(str(tmp_path / "graph" / LOCK_FILE))
        lock.acquire()  # as `dreamgraph build` run beside would
        path = library / "teeth.txt"
        path.write_text(path.read_text(encoding="utf-8").replace("Quick Answer\n", "Quick Answer\n- Held.\n", 1),
                        encoding="utf-8")
        held = next(builds)
        assert held.report is None and "locked by another dreamgraph build" in held.error
        assert "trying again" in held.error
        lock.release()
        retried = next(builds)
        assert retried.changed == ["articles/teeth.txt"] and retried.report.store == "patched"
        assert "Held." in (tmp_path / "graph" / GRAPH_FILE).read_text(encoding="utf-8")
    finally:
        builds.close()


def test_a_build_the_system_refuses_is_said_and_the_next_change_builds(library, tmp_path):
    """A write the system refuses (here a folder where the graph file goes; a full disk alike) stops that
    build with an error, not the watch."""
    builds = rebuilds([library], tmp_path / "graph")
    graph_file = tmp_path / "graph" / GRAPH_FILE
    try:
        first = next(builds)
        graph_file.unlink()
        graph_file.mkdir()
        path = library / "teeth.txt"
        path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        time.sleep(1)
        refused = next(builds)
        assert refused.report is None and "written whole or not at all" in refused.error and GRAPH_FILE in refused.error
        graph_file.rmdir()
        path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        time.sleep(1)
        assert next(builds).report.articles == first.report.articles and graph_file.is_file()
    finally:
        builds.close()


def test_a_source_that_does_not_exist_is_a_clear_error(tmp_path):
    with pytest.raises(DreamgraphError, match="no such file or folder to watch"):
        next(rebuilds([tmp_path / "nowhere"], tmp_path / "graph"))


def test_the_command_stops_on_a_terminate_signal_as_on_ctrl_c(library, tmp_path):
    """A service manager stops a watch with SIGTERM: it ends as Ctrl-C ends it, with status 0."""
    process = subprocess.Popen([sys.executable, "-m", "dreamgraph.cli", "watch", "-g", str(tmp_path / "graph"),
                                str(library)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert process.stdout.readline().startswith("built ")
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=WAIT)
    assert process.returncode == 0 and err.rstrip().endswith("stopped"), err


def test_the_command_prints_each_build_and_the_changed_files_problems_and_stops_on_ctrl_c(library, tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "dreamgraph.cli", "watch", "-g", str(tmp_path / "graph"),
                                str(library), "--export", "--output-dir", str(tmp_path / "views")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
                               # Ctrl-C reaches it as from a terminal, even when these tests were started in the
                               # background by a script (whose children ignore SIGINT, as the watch then does)
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    try:
        assert lines.get(timeout=WAIT).startswith("built ")
        assert lines.get(timeout=WAIT).startswith("wrote ")  # the views
        assert (tmp_path / "views" / "taxonomy.html").is_file()
        path = library / "teeth.txt"
        path.write_text(path.read_text(encoding="utf-8").replace(  # an error in the changed file
            "Common Scenarios\n", "Common Scenarios\n- A scenario without its meaning\n", 1), encoding="utf-8")
        assert lines.get(timeout=WAIT).startswith("built ")
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=WAIT)
    assert process.returncode == 0, err
    assert "changed: articles/teeth.txt" in err
    assert "articles/teeth.txt:8: error: scenario without '→'" in err
    assert err.rstrip().endswith("stopped")


@pytest.fixture
def in_build(monkeypatch) -> threading.Event:
    """An event set while a watch's build runs (and clear between builds, while the watch waits)."""
    import dreamgraph.watch as watch_module

    running, real_build = threading.Event(), watch_module.build

    def building(*args, **kwargs):
        running.set()
        try:
            return real_build(*args, **kwargs)
        finally:
            running.clear()

    monkeypatch.setattr(watch_module, "build", building)
    return running


def test_the_tables_a_watched_patch_made_are_read_ahead_for_the_next(library, tmp_path, monkeypatch, in_build):
    """Once a build's line is out, the watch reads the tables the build made anew (while nothing happens),
    so the next patch reads no table from disk: after the watch's first build too."""
    import dreamgraph.store as store_module
    from dreamgraph.build import build

    graph = tmp_path / "graph"
    build([library], graph)
    read, real_stamped = [], store_module._stamped

    def stamped(name, *rest):
        if in_build.is_set():
            read.append(name)
        return real_stamped(name, *rest)

    monkeypatch.setattr(store_module, "_stamped", stamped)
    teeth = library / "teeth.txt"
    teeth.write_text(teeth.read_text(encoding="utf-8").replace("Quick Answer\n", "Quick Answer\n- One.\n", 1),
                     encoding="utf-8")
    watch = Watching([library], graph)
    try:
        first = watch.next()
        assert first.report.store == "patched" and read, "the first patch reads its tables from the folder"
        read.clear()
        teeth.write_text(teeth.read_text(encoding="utf-8").replace("- One.", "- Two."), encoding="utf-8")
        assert watch.next().report.store == "patched"
        assert read == []
    finally:
        watch.close()


def test_a_watched_build_is_collected_after_its_line_not_as_it_returns(library, tmp_path, in_build):
    """The collector runs once a build's line is out (a whole collection), not as the build returns, when
    everything the build made is young and walked once more before the line (0.4 s at 100,000 articles);
    it is on again once the watch stops."""
    import gc

    collections = []

    def seen(phase, info):
        if phase == "start" and in_build.is_set():
            collections.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        assert gc.isenabled()
        watch = Watching([library], tmp_path / "graph")
        try:
            assert watch.next().report.store == "reloaded"
            teeth = library / "teeth.txt"
            teeth.write_text(teeth.read_text(encoding="utf-8").replace("Quick Answer\n", "Quick Answer\n- One.\n", 1),
                             encoding="utf-8")
            assert watch.next().report.store == "patched"
        finally:
            watch.close()
        assert collections == []
        assert gc.isenabled()
    finally:
        gc.callbacks.remove(seen)
