"""What a build leaves in the graph folder and the next build reads back: the graph file written from its
pieces (each article's Turtle, the unchanged ones read from the last graph file), the embedded store brought
up to date with it and the manifest of what the store holds, and the last build's report with a digest of
what it was built from (a build with nothing changed answers from it).

>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> read_manifest(folder / STORE_DIR) is None, unchanged_report(folder, Inputs("settings", ())) is None
(True, True)
"""

from __future__ import annotations

import hashlib
import itertools
import os
import pickle
import tempfile
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import pyoxigraph as ox

from .errors import Problem
from .files import GRAPH_PAST_CACHE, PastCacheReader, atomic_write, pieces_digest
from .library import Shared
from .parse import Limits
from .store import (GRAPH_FILE, STORE_DIR, StreamedLoad, changing, derived_files, finish_streamed_load, loaded_digest,
                    store_is_current, update_store_folder, write_and_load_store_folder)
from .triples import TURTLE_PREFIXES, Triple, iri, scheme_triples, turtle_blocks
from .validate import Violation, ontology_text, shapes_text
from .vocabulary import PROV, dream_iri, source_iri


@dataclass
class BuildReport:
    """What a build did: counts, the problems found per article, and SHACL violations."""

    articles: int = 0
    dreams: int = 0
    stubs: int = 0
    clusters: int = 0
    triples: int = 0
    seconds: float = 0.0
    store: str = ""                 # how the embedded store was brought up to date: "updated" or "reloaded",
                                    # or "unchanged" when nothing had changed (see build)
    graph_file: Path | None = None
    problems: list[Problem] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return True when nothing was dropped and the graph conforms to the shapes."""
        return not self.violations and not any(p.severity == "error" for p in self.problems)


class Spool:
    """The articles' Turtle during a build, never all in memory (the Turtle of a large library runs to
    gigabytes): the pieces made or read from the cache are kept in an unnamed temporary file, and those the
    last build wrote are read from its graph file (``last``, a file descriptor of it, opened before the
    new file is renamed over it; ``cached`` when it was written through the page cache, as the store's
    manifest says). A piece is known by (offset, length, SHA-256, 0 here or 1 there)."""

    SAMPLE = 200  # the pieces a build reads before it knows whether its store will be loaded again

    def __init__(self, folder: Path, last: int | None = None, cached: bool = False):
        self._file = tempfile.TemporaryFile(dir=folder)
        self._sources = (self._file.fileno(), last)
        self._retired = None if last is None else _retire(folder, last)
        # read as it was written (``cached``: through the page cache, see refresh_store), else past it
        self._last = None if last is None else PastCacheReader(last, direct=not cached)
        self.stream: StreamedLoad | None = None  # given every piece kept until it ends (see stream_to)
        self.streamed: set[tuple[int, int, str, int]] = set()  # the pieces it was given
        self._sampled: list[tuple[int, int, str, int]] = []
        self._unless: tuple[set[str], Path] | None = None

    def stream_unless_kept(self, old: set[str], folder: Path) -> None:
        """Stream the pieces to a new load of the store ``folder`` (see :class:`StreamedLoad`) once the first
        :data:`SAMPLE` pieces show that most are not among the ``old`` ones (their SHA-256): a store whose
        articles' Turtle all changed (the first build after an upgrade that changed it) is loaded again,
        and the load then goes on beside the reading; one whose Turtle is as it was is changed in place."""
        self._unless = (old, folder)

    def add(self, text: str | bytes, sha256: str = "") -> tuple[int, int, str, int]:
        """Keep a piece of Turtle; ``sha256`` is its hash when known already."""
        data = text.encode("utf-8") if isinstance(text, str) else text
        offset = self._file.seek(0, os.SEEK_END)
        self._file.write(data)
        piece = (offset, len(data), sha256 or hashlib.sha256(data).hexdigest(), 0)
        if self.stream is not None and not self.stream.ended:
            self.stream.feed(data)
            self.streamed.add(piece)
        elif self._unless is not None:
            self._sampled.append(piece)
            if len(self._sampled) == self.SAMPLE:
                (old, folder), self._unless = self._unless, None
                if 2 * sum(kept[2] in old for kept in self._sampled) < self.SAMPLE:
                    self.stream_to(StreamedLoad(folder))
                self._sampled = []
        return piece

    def stream_to(self, stream: StreamedLoad) -> None:
        """Give a new load (see :class:`StreamedLoad`) the graph file's head, every piece kept so far (the
        whole temporary file: only pieces this build made are there, those of :meth:`stream_unless_kept`'s
        sample) and every piece to come."""
        self._file.flush()
        stream.feed(graph_head())
        stream.feed(os.pread(self._sources[0], self._file.seek(0, os.SEEK_END), 0))
        self.streamed.update(self._sampled)
        self.stream = stream

    def read(self, ref: tuple[int, int, str, int]) -> bytes | memoryview:
        """Return a piece's bytes: those of the last graph file as a view valid until the next read (see
        :class:`dreamgraph.files.PastCacheReader`)."""
        if ref[3] == 1:
            return self._last.read(ref[0], ref[1])
        self._file.flush()  # pieces still in the write buffer; nothing to do when there are none
        return os.pread(self._sources[0], ref[1], ref[0])  # one system call, not a seek and a read

    def close(self) -> None:
        self._file.close()
        if self._retired is not None and _same_file(self._retired.parent / GRAPH_FILE, self._sources[1]):
            self._retired.unlink(missing_ok=True)  # not replaced (the build failed): its second name not needed
        if self._sources[1] is not None:  # the last graph file: where it could not be retired (see _retire),
            # closing it frees its blocks (0.3 s at 100,000 articles), done in a thread of its own
            threading.Thread(target=os.close, args=(self._sources[1],), name="dreamgraph-close", daemon=True).start()


RETIRED = "retired"  # the last graph file's second name, while a build replaces it (see _retire)


def _retire(graph_dir: Path, fd: int) -> Path | None:
    """Give the last graph file (open as ``fd``) a second name among a build's leftovers, which the next
    build removes in the background (see :func:`dreamgraph.build.remove_leftovers`), while it still has its
    own, and return that name: once the new file is renamed over it, nothing is freed as this build ends.
    Freed then, its blocks (145 MB at 10,000 articles, 1.4 GB at 100,000) went to the disk's journal with
    the build's last flush, which waited 0.05 s for them at 10,000 articles and 0.35-0.7 s at 100,000."""
    path = graph_dir / GRAPH_FILE
    retired = graph_dir / f".{GRAPH_FILE}.{os.urandom(6).hex()}.{RETIRED}.tmp"
    try:
        if _same_file(path, fd):
            os.link(path, retired)
            return retired
    except OSError:  # (a file system without hard links: it is freed as it is closed)
        pass
    return None


def _same_file(path: Path, fd: int) -> bool:
    """Return True when ``path`` names the file open as ``fd``."""
    try:
        seen, held = os.stat(path), os.fstat(fd)
    except OSError:
        return False
    return (seen.st_ino, seen.st_dev) == (held.st_ino, held.st_dev)


def last_graph_file(graph_dir: Path, manifest: dict | None) -> tuple[int, dict[str, tuple[int, int, str]]] | None:
    """Return the last build's graph file, opened for reading, and where each article's Turtle is in it
    (slug -> (offset, length, SHA-256)), when the store's ``manifest`` (:func:`read_manifest`) says so and
    the store still matches the file (by its size and time, else by its hash: see
    :func:`dreamgraph.store.store_is_current`); else None."""
    if manifest is None or "offsets" not in manifest:
        return None
    try:
        fd = os.open(graph_dir / GRAPH_FILE, os.O_RDONLY)
    except OSError:
        return None
    if not store_is_current(graph_dir / GRAPH_FILE, graph_dir / STORE_DIR):
        os.close(fd)
        return None
    hashes = manifest["articles"]
    return fd, {slug: (*place, hashes[slug]) for slug, place in manifest["offsets"].items()}


def graph_turtle(slugs: Iterable[str], parts: dict[str, tuple[tuple, str]], tail: bytes | tuple,
                 spool: Spool) -> Iterable[bytes]:
    """Yield the library's Turtle: the scheme, each article's blocks in the order of ``slugs`` (sorted),
    then the ``tail``, the clusters' and the stubs' blocks (:func:`shared_turtle`, or where the spool has
    them: see :func:`last_tail`). The same articles always give the same bytes.

    Pieces that follow one another where the spool keeps them (the unchanged articles of a rebuild, in the
    last graph file) are read together, up to :data:`RUN_BYTES` at a time: read one by one, the 100,000
    pieces of a large library each waited for Python's lock while the build made its tables."""
    head = graph_head()
    yield head
    run = None  # (offset, length, "", source) of the pieces read together next
    for slug in slugs:
        ref = parts[slug][0]
        if run and run[3] == ref[3] and run[0] + run[1] == ref[0] and run[1] + ref[1] <= RUN_BYTES:
            run = (run[0], run[1] + ref[1], "", run[3])
            continue
        if run:
            yield spool.read(run)
        run = (ref[0], ref[1], "", ref[3])
    if run:
        yield spool.read(run)
    yield tail if isinstance(tail, bytes) else spool.read(tail)


def streamed_fix(spool: Spool, pieces: dict[str, tuple], tail: bytes | tuple,
                 paths: dict[str, str]) -> Callable[[ox.Store], None]:
    """Return what makes a store loaded from the pieces the ``spool`` streamed (see :class:`StreamedLoad`:
    every piece it kept while the build read its articles, then the head and the ``tail``) hold what the
    graph file holds: the head, each written dream's piece (``pieces``, by slug) and the tail.

    The two differ when a piece streamed was not kept: an article whose slug or links an alias changed (its
    piece made again, and streamed too), or a duplicate refused. Their triples are taken out but for those
    the graph file still has (a triple is only in the pieces whose subjects it shares: its dream's, the
    file's it came from, the tail); a kept piece never streamed is put in. ``paths`` are the written
    dreams' article files (slug -> provenance path)."""
    kept = set(pieces.values())
    gone = sorted(piece for piece in spool.streamed if piece not in kept)
    new = sorted(piece for piece in kept if piece not in spool.streamed)
    if not gone and not new:
        return changing((), ())

    def quads(chosen: Iterable[tuple]) -> set[ox.Quad]:
        return set().union(*(turtle_quads(bytes(spool.read(piece))) for piece in chosen))

    out = quads(gone)
    subjects = {quad.subject.value for quad in out}
    slug_of = {dream_iri(slug): slug for slug in pieces}
    from_file: dict[str, list[str]] = {}
    for slug, path in paths.items():
        from_file.setdefault(source_iri(path), []).append(slug)
    near = set()
    for subject in subjects:  # a dream, a part of it (.../dream/<slug>/<kind>/<n>), or a file
        for slug in (slug_of.get(subject), slug_of.get(subject.rsplit("/", 2)[0]), *from_file.get(subject, ())):
            if slug is not None:
                near.add(pieces[slug])
    still = quads(near)
    tail = tail if isinstance(tail, bytes) else bytes(spool.read(tail))
    still.update(quad for quad in turtle_quads(graph_head() + tail) if quad.subject.value in subjects)
    return changing(out - still, quads(new))


def turtle_quads(data: bytes) -> set[ox.Quad]:
    """Return the triples of Turtle statements written with the graph file's prefixes (its pieces), as
    quads of the default graph.

    >>> len(turtle_quads(b"dream:a a dg:Dream ; rdfs:label 'A' ."))
    2
    """
    return set(ox.parse(TURTLE_PREFIXES.encode() + data, format=ox.RdfFormat.TURTLE))


def graph_pieces(slugs: Iterable[str], parts: dict[str, tuple[tuple, str]],
                 tail: bytes | tuple) -> list[tuple[int, str]]:
    """Return the length and SHA-256 of each piece of the graph file :func:`graph_turtle` writes from the
    same arguments: its head, each article's Turtle, its tail (see :func:`dreamgraph.files.pieces_digest`)."""
    head = graph_head()
    return [(len(head), _head_sha256()), *((parts[slug][0][1], parts[slug][0][2]) for slug in slugs),
            (len(tail), hashlib.sha256(tail).hexdigest()) if isinstance(tail, bytes) else (tail[1], tail[2])]


@lru_cache(maxsize=1)
def graph_head() -> bytes:
    """Return what every graph file begins with: the prefixes and the scheme's block."""
    return (TURTLE_PREFIXES + turtle_blocks(scheme_triples())).encode()


@lru_cache(maxsize=1)
def _head_sha256() -> str:
    return hashlib.sha256(graph_head()).hexdigest()


def shared_turtle(shared: Shared) -> bytes:
    """Return the Turtle of the triples no article owns: the clusters' blocks, then the stubs'."""
    return (turtle_blocks(shared.clusters) + turtle_blocks(shared.stubs)).encode("utf-8")


def last_tail(fd: int, places: dict[str, tuple[int, int, str]], manifest: dict) -> tuple[int, int, str, int] | None:
    """Return where the last graph file (open as ``fd``, its articles' ``places`` as :func:`last_graph_file`
    gives them, its store's ``manifest``) has its clusters' and stubs' blocks, as a piece of a
    :class:`Spool` made with it: from the end of its last article to the end of the file (a rebuild that
    changed none of them copies them); None when the manifest does not say what they were."""
    start = max((offset + length for offset, length, _ in places.values()), default=None)
    if start is None:  # no article: the tail follows the scheme
        start = len(graph_head())
    length = os.fstat(fd).st_size - start
    kept = manifest.get("tail")
    return (start, length, kept[1], 1) if isinstance(kept, tuple) and kept[0] == length else None


RUN_BYTES = 32 << 20


MANIFEST = "built-from.pickle"
SHARED = "built-from-shared.pickle"  # the manifest's shared triples, a file of their own (see refresh_store)
SHARED_CHANGES = "built-from-shared.changes"  # those taken from and put into it since, by patches (_shared_files)
SHARED_CHANGES_UP_TO = 1000  # changes kept beside it at most, then written whole


DERIVED_FROM = str(PROV.wasDerivedFrom)


INCREMENTAL_LIMIT = 0.05  # above this share of articles changed, reloading the whole store is faster


# the steps of a build as ``stage`` is told of them (see build), in order; a build takes one of the two
# store steps, and skips those it has nothing to do for (the shapes with --no-validate, the rankings when
# the links did not change)


def no_stage(what: str) -> None:
    """Be told of a build's step and do nothing (the default of ``stage``)."""


def refresh_store(graph_file: Path, turtle: Iterable[bytes], pieces: list[tuple[int, str]], folder: Path,
                  hashes: dict[str, str], shared: set[Triple] | None, own: Callable[[str], list[Triple]],
                  derived: Callable[[], dict[str, object]] | None = None, old: dict | None = None,
                  limits: str = "", stage: Callable[[str], None] = no_stage,
                  aliases: dict[str, str] | None = None,
                  streamed: tuple[StreamedLoad, Callable[[ox.Store], None]] | None = None,
                  cached_below: int = GRAPH_PAST_CACHE) -> tuple[int, str]:
    """Write the graph file from the pieces of ``turtle`` and bring the embedded store up to date with it;
    return the store's number of triples and how ("updated" or "reloaded"). ``pieces`` are the file's
    pieces' lengths and hashes (:func:`graph_pieces`): the store is stamped with their digest
    (:func:`dreamgraph.files.pieces_digest`), known before the file is written.

    The store folder keeps a manifest of what it holds (the SHA-256 of each article's Turtle, ``hashes``
    by slug, and the ``shared`` triples: see :func:`shared_set`; None for the last build's, unchanged,
    whose file is linked into the new folder rather than pickled again: 0.43 s at 100,000 articles, and
    0.26 s to read, which a patch does not), and where each article's Turtle is in the
    graph file (from ``pieces``: the manifest may be written before the file is), for the next build
    to read it there, with the library's ``aliases`` (alias slug -> dream slug); ``own(slug)`` returns the
    triples of an article (see :func:`dreamgraph.triples.own_triples`); ``old`` is the manifest the
    store had when the build began (:func:`read_manifest`; at 100,000 articles it takes 0.4 s to read).
    When the store still holds the previous build and few articles changed, only their triples and the
    changed shared triples are replaced, in one transaction on a copy of the store (see
    :func:`dreamgraph.store.update_store_folder`); otherwise the store is reloaded from the Turtle as it
    is written (:func:`dreamgraph.store.write_and_load_store_folder`). ``derived`` returns the data
    (name -> object) kept with the store for :meth:`dreamgraph.store.Store.derived`, and is called while
    the store loads. ``limits`` (their ``repr``) are those the articles were read with, which the manifest
    keeps for the next build. ``stage`` is told of each step as it begins (see :func:`dreamgraph.build.build`).
    ``streamed`` is a store loaded as the build read its articles (:class:`StreamedLoad`, ended) with what
    makes it hold the file's triples (:func:`streamed_fix`): it is put in place rather than loaded again.
    A graph file under ``cached_below`` bytes is written through the page cache, a larger one past it
    (see :data:`dreamgraph.files.GRAPH_PAST_CACHE`, and ``PATCHED_PAST_CACHE`` for a patch's); the manifest
    says which ("graph-cached"), for the next build to read it the same way (see :class:`Spool`).
    """
    starts = [0, *itertools.accumulate(length for length, _ in pieces[:-1])]
    size = starts[-1] + pieces[-1][0] if pieces else 0
    if len(pieces) != len(hashes) + 2:
        raise ValueError(f"a graph file of {len(hashes)} articles has {len(pieces)} pieces, not a head, theirs "
                         "and a tail")
    if shared is None and old is None:
        raise ValueError("the last build's shared triples are kept only with its manifest")
    manifest = {"articles": hashes, "limits": limits, "aliases": aliases or {}, "tail": pieces[-1],
                "offsets": {slug: (start, length) for slug, start, (length, _)
                            in zip(sorted(hashes), starts[1:], pieces[1:-1])},
                # the shared triples about written dreams (a cluster's hub belongs to it), put back with a
                # changed dream's own
                "about-dreams": old["about-dreams"] if shared is None else None}  # (else made below)
    # the shared triples' files: the last build's linked when unchanged, else made below (see _shared_files)
    shared_files: dict[str, Path | bytes] | None = _last_shared_files(folder) if shared is None else None
    layout = (pieces_digest(pieces), starts)

    def kept_files(digest: str) -> Iterator[tuple[str, bytes]]:
        """Make the kept data (while the store loads), then yield its files one table at a time as the store
        folder writes them, each table let go once pickled: at 100,000 articles all the files at once
        (1 GB) made the build's peak. The graph file may still be being written: its digest is known."""
        data = derived() if derived else {}

        def files() -> Iterator[tuple[str, bytes]]:
            stage("writing the read model")
            for name in sorted(data):
                yield from derived_files(name, data.pop(name), digest).items()
            yield from (shared_files or {SHARED: _pickled(shared)}).items()
            manifest["turtle"] = digest
            yield MANIFEST, _pickled(manifest)
            stage("finishing the store")

        return files()

    if old is not None and streamed is None:
        changed = {slug for slug, h in manifest["articles"].items() if old["articles"].get(slug) != h}
        gone = set(old["articles"]) - set(manifest["articles"])
        try:
            remove = (set(_article_triples_in_store(folder, (changed | gone) & set(old["articles"])))
                      if len(changed) + len(gone) <= max(10, INCREMENTAL_LIMIT * len(hashes)) else None)
        except OSError:  # the store's files are gone or damaged: it is loaded again from the Turtle below
            remove = None
        if remove is not None:
            add = {" ".join(t) for slug in changed for t in own(slug)}
            if shared is not None:
                taken_out, put_in = old["shared"] - shared, shared - old["shared"]
                remove.update(" ".join(t) for t in taken_out)
                add.update(" ".join(t) for t in put_in)
                shared_files = _shared_files(folder, taken_out, put_in)
                manifest["about-dreams"] = _about_patched(old, hashes, taken_out, put_in)
            changed_dreams = {iri(dream_iri(slug)) for slug in changed}  # their shared triples went with them
            add.update(" ".join(t) for t in manifest["about-dreams"] if t[0] in changed_dreams)
            manifest["triples"] = old["triples"] - len(remove - add) + len(add - remove)
            manifest["graph-cached"] = size < cached_below
            stage("writing the graph and updating the store")

            update_store_folder(graph_file, turtle, folder, sorted(remove), sorted(add), layout, kept_files,
                                manifest["triples"], direct=not manifest["graph-cached"])
            return manifest["triples"], "updated"
    if manifest["about-dreams"] is None:
        manifest["about-dreams"] = _about_written(shared, hashes)
    manifest["triples"] = -1  # not known until loaded: a manifest left by a crash here is not used
    manifest["graph-cached"] = size < min(cached_below, GRAPH_PAST_CACHE)  # (a store loaded: a large process)
    stage("writing the graph and loading the store")
    if streamed is not None:
        count = finish_streamed_load(streamed[0], graph_file, turtle, streamed[1], kept_files, layout,
                                     direct=not manifest["graph-cached"])
    else:
        count, _ = write_and_load_store_folder(graph_file, turtle, folder, kept_files, layout,
                                               direct=not manifest["graph-cached"])
    manifest["triples"] = count
    atomic_write(folder / MANIFEST, _pickled(manifest))
    return count, "reloaded"


def _about_written(shared: set[Triple], written: Iterable[str]) -> set[Triple]:
    """Return the shared triples whose subject is a written dream (not a stub's, nor a cluster's)."""
    dreams = {iri(dream_iri(slug)) for slug in written}
    return {t for t in shared if t[0] in dreams}


def _about_patched(old: dict, written: dict[str, str], taken_out: set[Triple], put_in: set[Triple]) -> set[Triple]:
    """Return :func:`_about_written` of the shared triples and the ``written`` dreams from the ``old``
    manifest's, the shared triples having changed by ``taken_out`` and ``put_in`` (at 100,000 articles, made
    again they took a patch 0.15-0.18 s before the graph file was written). A dream is the subject of
    shared triples as a stub (unwritten) or as a cluster's hub (written) alone, so a dream written or
    taken out has its triples among those changed: none that stand changes sides."""
    prefix = iri(dream_iri(""))[:-1]  # "<...dream/"
    about = old["about-dreams"] - taken_out
    about.update(t for t in put_in if t[0].startswith(prefix) and t[0][len(prefix):-1] in written)
    return about


def shared_set(shared: Shared) -> set[Triple]:
    """Return the shared triples as the manifest keeps them (see :func:`refresh_store`)."""
    return set(shared.clusters) | set(shared.stubs)


def _pickled(value) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def read_manifest(folder: Path, shared: bool = True) -> dict | None:
    """Return the store's manifest if the store still holds exactly what it describes, else None; with
    ``shared``, its shared triples too (under "shared": see :func:`refresh_store`)."""
    try:
        manifest = pickle.loads((folder / MANIFEST).read_bytes())
        if manifest.get("triples", -1) < 0 or manifest.get("turtle") != loaded_digest(folder):
            return None
        if shared:
            manifest["shared"] = _shared_in(folder)
    except Exception:
        return None
    return manifest


def read_shared(folder: Path) -> set[Triple] | None:
    """Return the shared triples the store folder's manifest keeps (see :func:`refresh_store`), or None when
    their file is gone or damaged."""
    try:
        return _shared_in(folder)
    except Exception:
        return None


def _shared_in(folder: Path) -> set[Triple]:
    """Return the shared triples a store folder keeps: its file of them, with the changes since beside it
    when a patch wrote them (see :func:`_shared_files`)."""
    shared = pickle.loads((folder / SHARED).read_bytes())
    gone, came = _shared_changes(folder)
    shared -= gone
    shared |= came
    return shared


def _shared_changes(folder: Path) -> tuple[set[Triple], set[Triple]]:
    """Return the shared triples taken out of and put into a store folder's file of them since it was written."""
    path = folder / SHARED_CHANGES
    return pickle.loads(path.read_bytes()) if path.exists() else (set(), set())


def _last_shared_files(folder: Path) -> dict[str, Path]:
    """Return the files of a store folder that keep its shared triples, for a new folder to link."""
    return {SHARED: folder / SHARED, **({SHARED_CHANGES: folder / SHARED_CHANGES}
                                       if (folder / SHARED_CHANGES).exists() else {})}


def _shared_files(folder: Path, taken_out: set[Triple], put_in: set[Triple]) -> dict[str, Path | bytes] | None:
    """Return the files that keep a store folder's shared triples once ``taken_out`` and ``put_in`` changed
    those of ``folder``: its file of them linked, with the changes since that file was written beside it
    (pickling all of them took a patch at 100,000 articles 0.33 s, before the graph file could be
    written); or, past :data:`SHARED_CHANGES_UP_TO` changes, None (written whole)."""
    try:
        was_gone, was_came = _shared_changes(folder)
    except Exception:
        return None
    # gone and came are taken from and put into the file's set: a triple is in at most one, as it is in it
    gone = (was_gone | {t for t in taken_out if t not in was_came}) - {t for t in put_in if t in was_gone}
    came = (was_came - taken_out) | {t for t in put_in if t not in was_gone}
    if len(gone) + len(came) > SHARED_CHANGES_UP_TO or not (folder / SHARED).exists():
        return None
    return {SHARED: folder / SHARED, SHARED_CHANGES: _pickled((gone, came))}


LAST_REPORT = "last-report.pickle"  # in the store folder: what the build that made it reported, and from what


@dataclass(frozen=True)
class Inputs:
    """What a build's output depends on (see :func:`build_inputs`): ``settings``, a digest of all but the
    article files, and ``files``, each file's provenance path and the cache key of its bytes."""

    settings: str
    files: tuple[tuple[str, str], ...]

    @property
    def digest(self) -> str:
        return hashlib.sha256(pickle.dumps((self.settings, self.files), protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()


def build_inputs(keys: Sequence[str], shown: Sequence[str], aliases: dict[str, str], problems: list[Problem],
                 limits: Limits, validate: bool) -> Inputs:
    """Return everything a build's output depends on: the article files (their provenance paths and the
    cache keys of their bytes, see :func:`dreamgraph.compile.file_keys`), and a digest of the rest: the
    alias table, the problems found before any article was read, the parse limits, whether the graph is
    checked against the shapes, the code, the shapes and ontology it ships, and the versions of the store
    and of the SHACL checker."""
    from .store import code_fingerprint

    settings = hashlib.sha256(pickle.dumps(
        (code_fingerprint(), shapes_text(), ontology_text(), installed_version("pyoxigraph"),
         installed_version("pyshacl"), repr(limits),
         validate, sorted(aliases.items()), [str(p) for p in problems]), protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()
    return Inputs(settings, tuple(zip(shown, keys)))


def installed_version(name: str) -> str:
    """Return the version of the installed distribution ``name`` (an import name that is also its
    distribution's), as ``importlib.metadata.version`` does: read from the name of its ``.dist-info``
    folder beside the package where pip put one, which spares every build the import of
    ``importlib.metadata`` and its search (14 ms of a rebuild after one edit).

    >>> from importlib.metadata import version
    >>> installed_version("pyoxigraph") == version("pyoxigraph")
    True
    """
    import importlib.util

    spec = importlib.util.find_spec(name)  # found, not imported
    if spec is not None and spec.origin:
        folder = Path(spec.origin).parent.parent
        prefix = f"{name.replace('-', '_')}-".lower()
        try:
            found = [entry for entry in os.listdir(folder)
                     if entry.lower().startswith(prefix) and entry.endswith(".dist-info")]
        except OSError:
            found = []
        if len(found) == 1:
            return found[0][len(prefix):-len(".dist-info")]
    from importlib.metadata import version

    return version(name)


def keep_report(graph_dir: Path, inputs: Inputs, report: BuildReport, validated: bool,
                before_writing: Callable[[], None] | None = None) -> None:
    """Keep, in the store folder the build made, its report, its inputs (see :func:`build_inputs`) and
    whether it checked the shapes, with the size of every file of the folder: :func:`unchanged_report`
    answers the next build from them when none of its inputs changed, :func:`last_verdict` answers
    ``dreamgraph validate``, and a rebuild after a few edits starts from them (see :mod:`dreamgraph.patch`).
    ``before_writing`` is called once the report is made, before it is written (a patch waits there for
    its cache to be saved: the report must not tell of entries the cache lost)."""
    folder = graph_dir / STORE_DIR
    try:
        files = {entry.name: entry.stat().st_size for entry in os.scandir(folder) if entry.is_file()}
        made = pickle.dumps(
            {"inputs": inputs.digest, "settings": inputs.settings, "sources": inputs.files,
             "turtle": loaded_digest(folder), "files": files, "validated": validated, "report": report},
            protocol=pickle.HIGHEST_PROTOCOL)
    except OSError:  # the build is done all the same; the next one, not knowing it, does the work again
        made = None
    if before_writing is not None:
        before_writing()
    try:
        if made is not None:
            atomic_write(folder / LAST_REPORT, made)
    except OSError:
        pass


def last_report(graph_dir: Path) -> dict | None:
    """Return what the last build kept with :func:`keep_report`, when the graph folder is as it left it: its
    graph file in place as it wrote it, and its store folder holding every file it wrote, at its size."""
    folder = graph_dir / STORE_DIR
    try:
        kept = pickle.loads((folder / LAST_REPORT).read_bytes())
    except Exception:  # gone or damaged: whatever unpickling bytes that are no report raises
        return None
    try:
        if not isinstance(kept, dict) or kept["turtle"] != loaded_digest(folder):
            return None
        if any(os.stat(folder / name).st_size != size for name, size in kept["files"].items()):
            return None
        if not (folder / "oxigraph").is_dir() or not store_is_current(graph_dir / GRAPH_FILE, folder):
            return None
    except (OSError, ValueError, KeyError, TypeError, EOFError, pickle.UnpicklingError, AttributeError):
        return None
    return kept


def unchanged_report(graph_dir: Path, inputs: Inputs, kept: dict | None = None) -> BuildReport | None:
    """Return the last build's report when a build with these inputs (see :func:`build_inputs`) would do
    nothing but write the same graph again: the last build's inputs were the same, and the graph folder is
    as it left it (see :func:`last_report`; ``kept``, its answer when the caller has it). Else None."""
    kept = last_report(graph_dir) if kept is None else kept
    if kept is None or kept["inputs"] != inputs.digest:
        return None
    report = kept["report"]
    report.store = "unchanged"
    report.graph_file = graph_dir / GRAPH_FILE
    return report


def last_verdict(graph_dir: str | os.PathLike) -> list[Violation] | None:
    """Return the SHACL violations the last build found, when they are the answer for the graph folder as it
    is: that build checked the shapes, its graph is in place as it left it (see :func:`last_report`), and
    the folder's shapes.ttl holds the shapes it checked against (the shipped ones). Else None.

    The build checks each article, cluster and stub with the types of what it links to, one structure at a
    time (see :func:`dreamgraph.validate.check_units`: the same violations as pySHACL finds in the whole
    graph, which at 10,000 articles takes a minute and 2.9 GB).
    """
    graph_dir = Path(graph_dir)
    kept = last_report(graph_dir)
    if kept is None or not kept.get("validated"):
        return None
    try:
        if (graph_dir / "shapes.ttl").read_text(encoding="utf-8") != shapes_text():
            return None
    except (OSError, UnicodeDecodeError):
        return None
    return kept["report"].violations


def _article_triples_in_store(folder: Path, slugs: Iterable[str]) -> list[str]:
    """Return, as N-Triples lines, the triples the store holds about these articles' own nodes: each
    dream, its parts (the nodes under its IRI it links to) and its source file."""
    import pyoxigraph as ox

    store = ox.Store.read_only(str(folder / "oxigraph"))
    found: list[str] = []
    for slug in sorted(slugs):
        dream = str(dream_iri(slug))
        nodes, seen = [ox.NamedNode(dream)], set()
        while nodes:
            node = nodes.pop()
            if node.value in seen:
                continue
            seen.add(node.value)
            for quad in store.quads_for_pattern(node, None, None, ox.DefaultGraph()):
                found.append(f"{quad.subject} {quad.predicate} {quad.object}")
                target = quad.object
                if isinstance(target, ox.NamedNode) and node.value == dream and (
                        target.value.startswith(dream + "/") or quad.predicate.value == DERIVED_FROM):
                    nodes.append(target)
    return found
