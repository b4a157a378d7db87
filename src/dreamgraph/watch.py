"""Rebuild the graph each time an article changes, in a process that stays up.

A rebuild from the command line pays, before any work, for starting Python and importing what a build
needs (0.4 s), and reads the last build's tables back from disk; a process that stays up pays for these
once. :func:`rebuilds` builds once, then waits for article files (and the graph folder's alias table) to
be written, added or removed, and builds again, yielding what each build did: a library, a notebook or
``dreamgraph watch`` decide what to do with it (print it, write the views again).

>>> import tempfile, threading
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "articles").mkdir(), (folder / "articles" / "a.md").write_text("# Dream About Rain\\n")
>>> stop = threading.Event()
>>> for rebuilt in rebuilds([folder / "articles"], folder / "graph", validate=False, stop=stop):
...     stop.set()  # after the first build: a program would go on, building at each change
>>> rebuilt.report.articles, rebuilt.changed
(1, [])
"""

from __future__ import annotations

import gc
import os
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Protocol, Sequence

from .build import BuildReport, build
from .errors import DreamgraphError, FolderLockedError
from .files import let_go_of_the_left
from .gaps import Gap, find_gaps
from .library import ALIAS_FILE
from .parse import Limits
from .sources import ARTICLE_SUFFIXES, EXPORT_SUFFIXES, display_paths
from .store import STORE_DIR, TablesInMemory, open_embedded


STEP_MS = 20  # changes are gathered until none came for this long (an editor's save is one burst)


class Event(Protocol):
    """What stops :func:`rebuilds` once set: a ``threading.Event``, or anything with ``is_set()``."""

    def is_set(self) -> bool: ...


@dataclass
class Rebuilt:
    """One build of :func:`rebuilds`: the files whose change started it (none for the first; as a
    :class:`~dreamgraph.errors.Problem` names a file: see :func:`dreamgraph.sources.display_path`), and the
    build's report, or the error that stopped it (the library emptied, another build holding the folder,
    a full disk: the next change builds again). :meth:`gap_changes` says which gaps the change opened and
    closed."""

    changed: list[str] = field(default_factory=list)
    report: BuildReport | None = None
    error: str | None = None
    graph_dir: Path | None = field(default=None, repr=False)
    before: dict[str, str] | None = field(default=None, repr=False)  # the last build's gaps (see _gap_index)
    _gaps: list[Gap] | None = field(default=None, repr=False)

    def gaps(self) -> list[Gap] | None:
        """Return this build's gap report (the default one, which the build keeps), read once; None for a
        build that failed, or when the graph folder cannot be read (another process replacing it)."""
        if self._gaps is None and self.report is not None:
            try:
                self._gaps = find_gaps(open_embedded(self.graph_dir))
            except (DreamgraphError, OSError):
                return None
        return self._gaps

    def gap_changes(self) -> tuple[list[Gap], list[Gap]]:
        """Return the gaps this build opened and those it closed, against the last build's report (a gap is
        its kind, node and label: the same gap with its evidence moved is neither), each most valuable
        first (a closed gap as the last report had it, without its score and evidence); nothing for the
        first build or where a report is not known."""
        now, then = self.gaps(), self.before
        if now is None or then is None:
            return [], []
        after = _gap_index(now)
        closed = [Gap(*key.split(_SEP), 0.0, action) for key, action in then.items() if key not in after]
        return [gap for gap in now if _gap_key(gap) not in then], closed


_SEP = "\0"  # between a gap's kind, node and label in its key (none of them holds one)


def _gap_index(gaps: list[Gap]) -> dict[str, str]:
    """Return what :meth:`Rebuilt.gap_changes` keeps of a report for the next build's: each gap's key (its
    kind, node and label) and action, in the report's order. Strings, which the collector does not walk: at
    100,000 articles the report is 111,000 gaps, 160 MB as :class:`Gap` objects."""
    return {_gap_key(gap): gap.action for gap in gaps}


def _gap_key(gap: Gap) -> str:
    return _SEP.join((gap.kind, gap.node, gap.label))


def rebuilds(sources: Sequence[str | os.PathLike], graph_dir: str | os.PathLike, *, limits: Limits = Limits(),
             validate: bool = True, stop: Event | None = None, lock_timeout: float = 10,
             force_polling: bool | None = None, ignore: Sequence[str | os.PathLike] = ()) -> Iterator[Rebuilt]:
    """Build the graph folder from ``sources`` (as :func:`dreamgraph.build.build` does), then again each
    time an article file under them, or the graph folder's alias table, is written, added, moved or
    removed; yield each build's :class:`Rebuilt`. Stops when ``stop`` is set, or when the caller stops
    iterating.

    Changes are noticed by the system's file events (inotify on Linux, through watchfiles, in a thread
    of its own; polled where there are none, or with ``force_polling``) from before the first build, and
    gathered until none came for :data:`STEP_MS` (an editor's save, a ``git checkout`` of many files): what
    changed while a build ran, however many files, makes one build next. Hidden files (an editor's swap
    and backup files) and files of other kinds are passed over, as the build passes them over. A build
    waits ``lock_timeout`` seconds for another one of the same folder (a ``dreamgraph build`` run beside),
    then says so and tries again :data:`RETRY_SECONDS` later, and again, until it gets the folder. Files
    under the folders in ``ignore`` start no build: what the caller writes after each build (the views of
    ``dreamgraph watch --export``, HTML like a saved page) must not start the next. The cyclic garbage
    collector is off while it runs, but for a whole collection after each build (see :func:`_between_builds`).
    """
    graph_dir = Path(graph_dir)
    missing = [str(source) for source in sources if not os.path.exists(source)]
    if missing:
        raise DreamgraphError(f"no such file or folder to watch: {', '.join(missing)}")
    graph_dir.mkdir(parents=True, exist_ok=True)
    wanted = _Wanted(sources, graph_dir, ignore)
    memory = TablesInMemory()  # the tables a rebuild read, for the next
    batches: queue.Queue = queue.Queue()
    done = threading.Event()
    watchers = []  # one thread for the source folders and their subfolders, one for single folders
    for folders, recursive in ((wanted.trees, True), (wanted.folders, False)):
        if folders:
            ready = threading.Event()
            watchers.append((threading.Thread(target=_watch, args=(folders, recursive, wanted, batches, done, ready,
                                                                   force_polling), daemon=True,
                                              name="dreamgraph-watch"), ready))
    for watcher, _ in watchers:
        watcher.start()
    collecting = gc.isenabled()
    # off while it runs: what a build made is collected once its line is out (_between_builds), not as the
    # build returns (0.4 s at 100,000 articles, before the line), then again after it
    gc.disable()
    try:
        for _, ready in watchers:
            ready.wait()  # the watches are in place: a change from now on is seen
        rebuilt, pending = _one_build(sources, graph_dir, [], limits, validate, lock_timeout, memory)
        yield rebuilt
        last = _gaps_kept(rebuilt)
        _between_builds(rebuilt, memory)
        while stop is None or not stop.is_set():
            try:
                got = [batches.get(timeout=RETRY_SECONDS if pending is not None else 0.2)]
            except queue.Empty:
                if pending is None:
                    continue
                got = []  # the folder was held by another build: try again
            while not batches.empty():  # what else changed during the last build
                got.append(batches.get_nowait())
            for error in (item for item in got if isinstance(item, BaseException)):
                raise DreamgraphError(f"cannot watch {', '.join(wanted.trees + wanted.folders)} for changes: "
                                      f"{error} (dreamgraph watch --poll looks for them instead)") from error
            changes = {path for _, path in set().union(*got)}
            changed = sorted(set(pending or ()) | set(display_paths(sorted(changes), graph_dir, sources)))
            rebuilt, pending = _one_build(sources, graph_dir, changed, limits, validate, lock_timeout, memory)
            rebuilt.before = last
            yield rebuilt
            if rebuilt.report is not None:
                last = _gaps_kept(rebuilt)
            _between_builds(rebuilt, memory)
    finally:
        if collecting:
            gc.enable()
        done.set()
        for watcher, _ in watchers:
            watcher.join(timeout=2)


def _watch(folders: list[str], recursive: bool, wanted: _Wanted, batches: queue.Queue, done: threading.Event,
           ready: threading.Event, force_polling: bool | None) -> None:
    """Put each set of wanted changes in ``folders`` (and their subfolders if ``recursive``) in ``batches``
    until ``done`` is set (an error that stops the watching, such as the system's limit of watched folders,
    is put there too); set ``ready`` once the watches are in place (at the first wait's end: watchfiles
    places them before it waits)."""
    from watchfiles import watch

    try:
        for changes in watch(*folders, watch_filter=wanted, stop_event=done, step=STEP_MS, rust_timeout=100,
                             yield_on_timeout=True, force_polling=force_polling, recursive=recursive):
            ready.set()
            if changes:
                batches.put(changes)
    except Exception as exc:  # noqa: BLE001 - given to the thread that builds, which says it
        batches.put(exc)
    finally:
        ready.set()


def _one_build(sources, graph_dir: Path, changed: list[str], limits: Limits, validate: bool, lock_timeout: float,
               memory: TablesInMemory) -> tuple[Rebuilt, list[str] | None]:
    """Run one build of :func:`rebuilds`; return it, and the changes to build again soon when another
    build held the folder (else None: the next change builds)."""
    try:
        return Rebuilt(changed, report=build(sources, graph_dir, limits=limits, validate=validate,
                                             lock_timeout=lock_timeout, memory=memory), graph_dir=graph_dir), None
    except FolderLockedError as exc:
        return Rebuilt(changed, error=f"{exc}; trying again in {RETRY_SECONDS:g} s", graph_dir=graph_dir), changed
    except DreamgraphError as exc:
        return Rebuilt(changed, error=str(exc), graph_dir=graph_dir), None
    except OSError as exc:  # a full disk, a folder made read-only: what was there is as it was
        where = f" ({exc.filename})" if exc.filename else ""
        return Rebuilt(changed, error=f"{exc.strerror or exc}{where}; files are written whole or not at all, so what "
                                      "was there is as it was", graph_dir=graph_dir), None


RETRY_SECONDS = 2  # after another build held the folder, the changes are built again this soon


def _gaps_kept(rebuilt: Rebuilt) -> dict[str, str] | None:
    """Return the index of a build's gaps for the next build's changes (read now, while nothing happens, if
    its caller did not ask for them), and let go of the report itself."""
    gaps = rebuilt.gaps()
    rebuilt._gaps = None  # read again if asked for later
    return None if gaps is None else _gap_index(gaps)


def _between_builds(rebuilt: Rebuilt, memory: TablesInMemory) -> None:
    """What a watch does once a build's line is printed, while nothing happens: read the tables the build
    made anew for the next build (:meth:`dreamgraph.store.TablesInMemory.read_ahead`), then free what the
    build left behind (a process that stays up frees it, where the one-command program leaves it to the
    end of the process) and the cycles among it (the program leaves the collector off): a whole
    collection, since a table kept in memory for builds before may be let go of now (a networkx graph is
    cyclic). 0.13 s at 10,000 articles, 0.6-0.7 s at 100,000."""
    if rebuilt.report is not None:
        memory.read_ahead(rebuilt.graph_dir / STORE_DIR)
    let_go_of_the_left()
    gc.collect()


class _Wanted:
    """The changes :func:`rebuilds` builds again for: the article files the build reads under the sources
    (see :func:`dreamgraph.sources.find_article_files`), the files named as sources, and the alias table.
    Also the folders to watch: each source folder with its subfolders (``trees``), and on their own, not
    their subfolders (``folders``), a named file's folder and the graph folder when no tree holds them (a
    file named in the home folder must not have the whole home folder watched)."""

    def __init__(self, sources: Sequence[str | os.PathLike], graph_dir: Path, ignore: Sequence[str | os.PathLike] = ()):
        self.aliases = os.path.abspath(graph_dir / ALIAS_FILE)
        self.ignored = tuple(os.path.join(os.path.abspath(folder), "") for folder in ignore)
        self.files = {os.path.abspath(source) for source in sources if not os.path.isdir(source)}
        self.trees = sorted({os.path.join(os.path.abspath(source), "") for source in sources if os.path.isdir(source)})
        singles = {os.path.join(os.path.dirname(file), "") for file in self.files} | {os.path.join(
            os.path.abspath(graph_dir), "")}
        self.folders = sorted(folder for folder in singles if not folder.startswith(tuple(self.trees)))
        self.suffixes = tuple(ARTICLE_SUFFIXES | EXPORT_SUFFIXES)

    def __call__(self, change, path: str) -> bool:
        path = os.path.abspath(path)
        if path == self.aliases or path in self.files:
            return True
        if path.startswith(self.ignored):
            return False
        for tree in self.trees:
            if path.startswith(tree):
                inside = path[len(tree):].split(os.sep)
                return not any(part.startswith(".") for part in inside) and path.lower().endswith(self.suffixes)
        return False
