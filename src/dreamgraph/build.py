"""The build pipeline: find articles, parse them, resolve identities, write the graph, validate it.

>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "a.txt").write_text("Dream About Falling: The Drop\\nNext Stages\\n- If you land → dream about landing meaning — when it ends\\n")
>>> report = build([folder], folder / "graph")
>>> (report.articles, report.dreams, report.stubs, report.ok)
(1, 2, 1, True)
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import stat
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from filelock import FileLock, Timeout

from .article import Article
from .errors import DreamgraphError, Problem
from .pages import read_source
from .parse import Limits, ParseResult, read_limited
from .slugs import dream_name
from .cache import CACHE_DIR, Cache
from .library import ALIAS_FILE, Library, Shared, assemble, shared_triples
from .sources import display_paths, find_articles, read_alias_table, unique_provenance
from .gaps import (GapSettings, find_gaps, lookalike_targets, not_in_format, reused_gaps, similar_pairs, typo_table,
                   updated_pairs)
from .report import terminal_text
from .progression import rankings
from .snapshot import Snapshot, link_digest, make_tables
from .snapshot.articles import changed_articles
from .snapshot.texts import SPILLED, shingles, similarity_text
from .files import atomic_write, leave_for_exit, paused_gc
from .store import (GRAPH_FILE, LOCK_FILE, STORE_DIR, Carried, derived_files, kept_in_folder, kept_is_current,
                    loaded_digest, store_is_current, update_store_folder, write_and_load_store_folder)
from .triples import (MEMBER, TURTLE_PREFIXES, A, iri, own_triples, scheme_triples,
                      turtle_blocks)
from .triples import T as TERMS
from .validate import Unit, Violation, check_units, ontology_text, shapes_text, unit_key, verdict_key
from .vocabulary import PROV, dream_iri

DREAM, CLUSTER, NEXT_STAGE, IN_CLUSTER = TERMS["Dream"], TERMS["Cluster"], TERMS["nextStage"], TERMS["belongsToCluster"]
PARALLEL_THRESHOLD = 400  # below this many files, starting worker processes costs more than it saves


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


@dataclass
class Compiled:
    """One article file after the per-file work, done in parallel and cached by the file's bytes: its parse,
    and for a dream, the Turtle of its own nodes and the key of its SHACL structure, made with links
    resolved as written (the few articles an alias touches are made again once the library is known)."""

    result: ParseResult
    slug: str = ""
    turtle: bytes | tuple = b""     # the UTF-8 text, or its place in the build's Spool; b"" read from the cache
    structure: str = ""
    shingles: object = None         # for near-duplicates: see dreamgraph.snapshot.texts.shingles
    turtle_sha256: str = ""         # of the Turtle text's UTF-8, made with it (not again at each build)
    link_digest: bytes = b""        # what the link tables read of it: see dreamgraph.snapshot.link_digest
    entry: tuple = ()               # (cache key, place in the file's list): where the cache keeps its Turtle


class Spool:
    """The articles' Turtle during a build, never all in memory (the Turtle of a large library runs to
    gigabytes): the pieces made or read from the cache are kept in an unnamed temporary file, and those the
    last build wrote are read from its graph file (``last``, a file descriptor of it, opened before the
    new file is renamed over it). A piece is known by (offset, length, SHA-256, 0 here or 1 there)."""

    def __init__(self, folder: Path, last: int | None = None):
        self._file = tempfile.TemporaryFile(dir=folder)
        self._sources = (self._file.fileno(), last)

    def add(self, text: str | bytes, sha256: str = "") -> tuple[int, int, str, int]:
        """Keep a piece of Turtle; ``sha256`` is its hash when known already."""
        data = text.encode("utf-8") if isinstance(text, str) else text
        offset = self._file.seek(0, os.SEEK_END)
        self._file.write(data)
        return offset, len(data), sha256 or hashlib.sha256(data).hexdigest(), 0

    def read(self, ref: tuple[int, int, str, int]) -> bytes:
        if ref[3] == 0:
            self._file.flush()  # pieces still in the write buffer; nothing to do when there are none
        return os.pread(self._sources[ref[3]], ref[1], ref[0])  # one system call, not a seek and a read

    def close(self) -> None:
        self._file.close()
        if self._sources[1] is not None:
            os.close(self._sources[1])


def last_graph_file(graph_dir: Path, manifest: dict | None) -> tuple[int, dict[str, tuple[int, int, str]]] | None:
    """Return the last build's graph file, opened for reading, and where each article's Turtle is in it
    (slug -> (offset, length, SHA-256)), when the store's ``manifest`` (:func:`_read_manifest`) says so and
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


def article_unit(article: Article, resolve: Callable[[str], str]) -> Unit:
    """Return an article's own triples, with the types of the dreams and clusters it links to as context
    (its texts read and let go of again: see :meth:`dreamgraph.article.Article.let_go`)."""
    own = own_triples(article, article.path, resolve)
    article.let_go()
    context = [(o, A, DREAM if p == NEXT_STAGE else CLUSTER) for _, p, o in own if p in (NEXT_STAGE, IN_CLUSTER)]
    return own, context


def _as_written(slug: str) -> str:
    return slug


def _compile(article: Article, resolve: Callable[[str], str]) -> tuple[str, str]:
    unit = article_unit(article, resolve)
    return turtle_blocks(unit[0]), unit_key(unit)


def _compile_result(result: ParseResult) -> Compiled:
    if result.article is None:
        return Compiled(result)
    text = similarity_text(result.article)
    turtle, structure = _compile(result.article, _as_written)
    data = turtle.encode("utf-8")  # bytes: the next build unpickles them without decoding
    return Compiled(result, result.article.slug, data, structure, None if text is None else shingles(text),
                    hashlib.sha256(data).hexdigest(), link_digest(result.article))


def _compile_one(args) -> list[Compiled]:
    """Return the per-file work of one file: one article a text file or page, one a post of an export."""
    path, shown, limits = args
    return [_compile_result(result) for result in read_source(path, shown, limits)]


def _compile_packed(args) -> tuple[bytes, list[bytes], list[bytes | None], tuple[bytes, bytes, bytes]]:
    """Return the per-file work pickled apart (see :func:`_pickled_apart`) and packed for the cache (see
    :func:`cache_entries`), all in the worker: the parent unpickles the first and keeps the last (unpacking
    it there cost the parent, which shares the cores with the workers, 1.2 s at 10,000 articles)."""
    raw, turtles, bodies = _pickled_apart(_compile_one(args))
    return raw, turtles, bodies, _packed(raw, turtles, bodies)


def cache_entries(compiled: list[Compiled]) -> tuple[bytes, bytes, bytes]:
    """Return a file's per-file work packed as the cache keeps it: the ``article`` entry, without the
    Turtle and the articles' bodies; the ``turtle`` entry, the Turtle of each item (a rebuild reads an
    unchanged article's Turtle from the last graph file, and the entry only when that cannot be used); and
    the ``body`` entry, each article's body packed (a rebuild fetches it for the articles whose texts it
    reads: at 10,000 articles the bodies are 60% of the per-file work's bytes)."""
    return _packed(*_pickled_apart(compiled))


def _packed(raw: bytes, turtles: list[bytes], bodies: list[bytes | None]) -> tuple[bytes, bytes, bytes]:
    return Cache.compress(raw), Cache.pack(turtles), Cache.pack(bodies)


def _pickled_apart(compiled: list[Compiled]) -> tuple[bytes, list[bytes], list[bytes | None]]:
    """Return a file's per-file work pickled without its Turtle and the articles' bodies (see
    :meth:`dreamgraph.article.Article.apart`), the Turtle of each item, and the body of each (None: no
    article); :func:`_put_together` joins them again."""
    turtles = [item.turtle for item in compiled]
    articles = [item.result.article for item in compiled]
    bodies: list[bytes | None] = []
    for item, article in zip(compiled, articles):
        item.turtle = b""
        if article is not None:
            item.result.article, body = article.apart()
        bodies.append(None if article is None else body)
    try:
        return pickle.dumps(compiled, protocol=pickle.HIGHEST_PROTOCOL), turtles, bodies
    finally:
        for item, turtle, article in zip(compiled, turtles, articles):
            item.turtle, item.result.article = turtle, article


def _put_together(compiled: list[Compiled], bodies: list[bytes | None] | list[Callable[[], bytes]]) -> None:
    """Give the articles of a file's per-file work read back apart their bodies (or functions that fetch them)."""
    for item, body in zip(compiled, bodies):
        if item.result.article is not None and body is not None:
            item.result.article.attach(body)


def _start_worker(build: int) -> None:
    """Set up a parse worker: no cyclic garbage collection (its objects live for one file), and on Linux
    end it when the build that started it dies, so a killed build leaves no workers behind."""
    gc.disable()
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
        if os.getppid() != build:  # the build died before the line above ran
            os._exit(1)


class FileIndex:
    """What the last build learned of each article file: its size, times and inode (``os.stat``) and the
    cache key of its bytes, so a build reads and hashes only the files whose stat changed (at 10,000
    articles, reading and hashing every file cost 0.3 s of a one-change rebuild).

    A file changed in the same clock tick as the index was made could keep its size and modification
    time; its change time still moves (no program can set it), and a file modified within two seconds
    before the index was made is read again anyway, as git does with "racily clean" entries.
    """

    RACY_NS = 2_000_000_000

    def __init__(self, cache: Cache, limits: str):
        self.cache, self.limits = cache, limits
        self.started = time.time_ns()
        kept = cache.get("files", "index")
        valid = isinstance(kept, dict) and kept.get("limits") == limits and kept.get("version") == cache.version
        self.old: dict = kept["files"] if valid else {}
        self.before: int = kept["made"] if valid else 0
        self.new: dict = {}
        self.read = 0  # files whose bytes were read and hashed: their stat was not the last build's

    @staticmethod
    def _stat(path: Path) -> tuple | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev

    def known(self, path: Path, shown: str) -> tuple[str | None, tuple | None]:
        """Return (the cache key, if the file's stat is what the last build saw, else None; its stat now)."""
        now = self._stat(path)
        name = (os.path.abspath(path), shown)
        seen = self.old.get(name)
        if seen is None or now != seen[0] or max(now[1], now[2]) >= self.before - self.RACY_NS:
            return None, now
        self.new[name] = seen
        return seen[1], now

    def learn(self, path: Path, shown: str, key: str, before: tuple | None) -> None:
        """Note the key of a file read just after its stat ``before`` was taken (taken after the read, a
        change in between would be missed; taken before, it is seen next time by the file's later times)."""
        self.read += 1
        if before is not None:
            self.new[(os.path.abspath(path), shown)] = (before, key)

    def keep(self) -> None:
        self.cache.put("files", "index", {"limits": self.limits, "version": self.cache.version,
                                          "made": self.started, "files": self.new})


def file_keys(paths: Sequence[Path], shown: Sequence[str], limits: Limits,
              cache: Cache) -> tuple[list[str], FileIndex]:
    """Return the cache key of every file's bytes (in the order of ``paths``), and the index of the files'
    stats that answered most of them: only a file whose stat changed since the last build is read and
    hashed (see :class:`FileIndex`; the caller keeps the index, :meth:`FileIndex.keep`)."""
    files = FileIndex(cache, repr(limits))
    keys = []
    for index, path in enumerate(paths):
        key, before = files.known(path, shown[index])
        if key is None:
            try:  # never more than the limit, and only from a regular file (see parse.read_limited)
                data = read_limited(path, limits.max_bytes)
                data = data if len(data) <= limits.max_bytes else b"<too large>"
            except OSError:
                data = b"<unreadable>"
            key = cache.key(data, shown[index], repr(limits))
            if not data.startswith(b"<"):  # never "<unreadable>" or "<too large>": those are read again
                files.learn(path, shown[index], key, before)
        keys.append(key)
    return keys, files


def compile_all(paths: Sequence[Path], graph_dir: Path, limits: Limits,
                progress: Callable[[int, int], None] | None = None, cache: Cache | None = None,
                spool: Spool | None = None, sources: Sequence = (), shown: Sequence[str] | None = None,
                texts_later: bool = False, keyed: tuple[list[str], FileIndex] | None = None) -> list[Compiled]:
    """Return the per-file work for every file (one item an article; a WordPress export gives one a post):
    from the cache when its bytes did not change, else done again, in parallel across the machine's cores
    when there are many. With a ``spool``, the Turtle of each article worked on goes there and
    ``Compiled.turtle`` holds its reference instead of the text; an article read from the cache comes
    without its Turtle (b"", see :func:`article_parts`). ``shown`` are the files' provenance paths when the
    caller has them (:func:`dreamgraph.sources.display_paths`).

    With ``texts_later`` (when the last build's tables are there to be brought up to date, which read the
    texts of the changed articles only), an article read from the cache fetches its body from the cache
    when a field of it is first read, rather than with its head (see :func:`cache_entries`). ``keyed`` is
    what :func:`file_keys` returned for these files, when the caller asked it already."""
    cache = cache or Cache(None)
    shown = display_paths(paths, graph_dir, sources) if shown is None else shown
    results: list[list[Compiled] | None] = [None] * len(paths)
    keys, files = keyed or file_keys(paths, shown, limits, cache)
    files.keep()
    cache.stale.update({key for _, key in files.old.values()} - set(keys))  # of files changed or gone
    index_of = {key: index for index, key in enumerate(keys)}
    heads = dict(cache.get_many("article", keys))
    if texts_later:  # each fetched when read: the keys say which files still have theirs
        bodies = cache.keys("body")
    else:
        bodies = dict(cache.get_many("body", heads)) if heads else {}
    for key, kept in heads.items():
        if key not in bodies:  # the file's bodies are lost: worked on again
            continue
        results[index_of[key]] = kept
        cache.touch("turtle", key)  # kept for this build, which reads it only when the last graph file is unusable
        cache.touch("body", key)
        _put_together(kept, [partial(cache.body, key, place) for place in range(len(kept))]
                      if texts_later else bodies[key])
        for place, item in enumerate(kept):
            item.entry = (key, place)
    del heads, bodies
    todo = [index for index, result in enumerate(results) if result is None]
    done = len(paths) - len(todo)
    if progress:  # what the cache answered, at once
        progress(done, len(paths))
    workers = min(os.cpu_count() or 1, 8)
    jobs = [(paths[i], shown[i], limits) for i in todo]
    if len(todo) >= PARALLEL_THRESHOLD and workers > 1:
        with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(os.getpid(),)) as pool:
            packed = pool.map(_compile_packed, jobs, chunksize=64)
            for index, (raw, turtles, bodies, data) in zip(todo, packed):
                results[index] = pickle.loads(raw)
                _put_together(results[index], bodies)
                for item, turtle in zip(results[index], turtles):  # the bodies stay packed: see Article.let_go
                    item.turtle = turtle
                _keep(cache, keys[index], results[index], spool, data)
                done += 1
                if progress:
                    progress(done, len(paths))
    else:
        for index, job in zip(todo, jobs):
            results[index] = _compile_one(job)
            _keep(cache, keys[index], results[index], spool)
            done += 1
            if progress:
                progress(done, len(paths))
    return [item for file in results for item in file]  # type: ignore[union-attr]


def _keep(cache: Cache, key: str, compiled: list[Compiled], spool: Spool | None,
          packed: tuple[bytes, bytes, bytes] | None = None) -> None:
    if not any(p.message.startswith("cannot read") for item in compiled for p in item.result.problems):
        article, turtle, body = packed or cache_entries(compiled)
        cache.put("article", key, None, article)
        cache.put("turtle", key, None, turtle)
        cache.put("body", key, None, body)
    if spool is not None:
        for item in compiled:
            item.turtle = spool.add(item.turtle, item.turtle_sha256)


def parse_all(paths: Sequence[Path], graph_dir: Path, limits: Limits = Limits()) -> list[ParseResult]:
    """Return the parse of every file (see :func:`compile_all`)."""
    return [compiled.result for compiled in compile_all(paths, graph_dir, limits)]


def article_parts(library: Library, compiled: Iterable[Compiled], spool: Spool, cache: Cache | None = None,
                  last: dict[str, tuple[int, int, str]] | None = None) -> dict[str, tuple[tuple, str]]:
    """Return (Turtle in the spool, structure key) per dream slug, made again for the articles whose slug
    or links an alias changed. An article read from the cache has its Turtle where the ``last`` build's
    graph file has it (slug -> (offset, length, SHA-256), :func:`last_graph_file`), when that is the same,
    else the cache's (made again if the cache lost it)."""
    parts, wanted = {}, []
    for item in compiled:
        article = item.result.article
        if article is None or library.articles.get(article.slug) is not article:
            continue  # not a dream, or a duplicate that was skipped
        stale = (item.slug != article.slug or article.slug in library.repointed
                 or any(library.resolve(s.target_slug) != s.target_slug for s in article.next_stages))
        if stale:
            turtle, structure = _compile(article, library.resolve)
            parts[article.slug] = (spool.add(turtle), structure)
        elif item.turtle:
            parts[article.slug] = (item.turtle, item.structure)
        elif last and last.get(article.slug, ())[2:] == (item.turtle_sha256,):
            parts[article.slug] = ((*last[article.slug], 1), item.structure)
        else:
            wanted.append(item)
    kept = dict(cache.get_many("turtle", {item.entry[0] for item in wanted})) if cache and wanted else {}
    for item in wanted:
        article = item.result.article
        turtles = kept.get(item.entry[0])
        if isinstance(turtles, list) and item.entry[1] < len(turtles):
            parts[article.slug] = (spool.add(turtles[item.entry[1]], item.turtle_sha256), item.structure)
        else:
            turtle, structure = _compile(article, library.resolve)
            parts[article.slug] = (spool.add(turtle), structure)
    return parts


def graph_turtle(library: Library, parts: dict[str, tuple[tuple, str]], shared: Shared,
                 spool: Spool, offsets: dict[str, tuple[int, int]] | None = None) -> Iterable[bytes]:
    """Yield the library's Turtle: the scheme, each article's blocks sorted by slug, then the clusters and
    the stubs. The same articles always give the same bytes. ``offsets`` is given where each article's
    blocks are in the file (slug -> (offset, length)).

    Pieces that follow one another where the spool keeps them (the unchanged articles of a rebuild, in the
    last graph file) are read together, up to :data:`RUN_BYTES` at a time: read one by one, the 100,000
    pieces of a large library each waited for Python's lock while the build made its tables."""
    head = (TURTLE_PREFIXES + turtle_blocks(scheme_triples())).encode()
    yield head
    at, run = len(head), None  # run: (offset, length, "", source) of the pieces read together next
    for slug in sorted(library.articles):
        ref = parts[slug][0]
        if offsets is not None:
            offsets[slug] = (at, ref[1])
        at += ref[1]
        if run and run[3] == ref[3] and run[0] + run[1] == ref[0] and run[1] + ref[1] <= RUN_BYTES:
            run = (run[0], run[1] + ref[1], "", run[3])
            continue
        if run:
            yield spool.read(run)
        run = (ref[0], ref[1], "", ref[3])
    if run:
        yield spool.read(run)
    yield (turtle_blocks(shared.clusters) + turtle_blocks(shared.stubs)).encode("utf-8")


RUN_BYTES = 8 << 20


def validation_units(library: Library, shared: Shared) -> list[Unit | Callable[[], Unit]]:
    """Return the units the SHACL check looks at one by one: each article (as a function that makes it),
    each cluster, each stub and the scheme, each with the types of the nodes it links to as context."""
    units: list[Unit | Callable[[], Unit]] = [partial(article_unit, library.articles[slug], library.resolve)
                                              for slug in sorted(library.articles)]
    for _, triples in groupby(shared.clusters, key=itemgetter(0)):
        own = list(triples)
        units.append((own, [(o, A, DREAM) for _, p, o in own if p == MEMBER]))
    units.extend((list(stub), []) for _, stub in groupby(shared.stubs, key=itemgetter(0)))
    units.append((scheme_triples(), []))
    return units


def validate_library(library: Library, parts: dict[str, tuple[tuple, str]], shared: Shared,
                     cache: Cache) -> list[Violation]:
    """Return the SHACL violations of the library (see :func:`dreamgraph.validate.check_units`); the result
    of each structure is kept in the cache, so a build only checks structures it has not seen."""
    units = validation_units(library, shared)
    keys = [parts[slug][1] for slug in sorted(library.articles)]
    found = check_units(units, lambda key: cache.get("shacl", verdict_key(key)),
                        lambda key, violations: cache.put("shacl", verdict_key(key), violations),
                        keys=keys + [None] * (len(units) - len(keys)))
    return sorted({v for unit in found for v in unit})


MANIFEST = "built-from.pickle"
DERIVED_FROM = str(PROV.wasDerivedFrom)
INCREMENTAL_LIMIT = 0.05  # above this share of articles changed, reloading the whole store is faster


# the steps of a build as ``stage`` is told of them (see build), in order; a build takes one of the two
# store steps, and skips those it has nothing to do for (the shapes with --no-validate, the rankings when
# the links did not change)
STAGES = ("finding the articles", "reading the articles", "putting the library together",
          "writing the graph and loading the store", "writing the graph and updating the store",
          "checking the shapes", "making the read model", "comparing the articles' texts", "ranking the dreams",
          "finding the gaps", "writing the read model", "finishing the store", "tidying the cache")


def _silent(what: str) -> None:
    pass


def refresh_store(graph_file: Path, turtle: Iterable[bytes], folder: Path, library: Library,
                  parts: dict[str, tuple[tuple, str]], shared: Shared,
                  derived: Callable[[], dict[str, object]] | None = None,
                  offsets: dict[str, tuple[int, int]] | None = None, old: dict | None = None,
                  limits: str = "", stage: Callable[[str], None] = _silent) -> tuple[int, str]:
    """Write the graph file from the pieces of ``turtle`` and bring the embedded store up to date with it;
    return the store's number of triples and how ("updated" or "reloaded").

    The store folder keeps a manifest of what it holds (a hash of each article's Turtle, and the shared
    triples), and where each article's Turtle is in the graph file (``offsets``, filled as ``turtle`` is
    written: see :func:`graph_turtle`), for the next build to read it there; ``old`` is the manifest the
    store had when the build began (:func:`_read_manifest`; at 100,000 articles it takes 0.4 s to read).
    When the store still holds the previous build and few articles changed, only their triples and the
    changed shared triples are replaced, in one transaction on a copy of the store (see
    :func:`dreamgraph.store.update_store_folder`); otherwise the store is reloaded from the Turtle as it
    is written (:func:`dreamgraph.store.write_and_load_store_folder`). ``derived`` returns the data
    (name -> object) kept with the store for :meth:`dreamgraph.store.Store.derived`, and is called while
    the store loads. ``limits`` (their ``repr``) are those the articles were read with, which the manifest
    keeps for the next build. ``stage`` is told of each step as it begins (see :func:`build`).
    """
    manifest = {"articles": {slug: parts[slug][0][2] for slug in library.articles},
                "shared": set(shared.clusters) | set(shared.stubs), "limits": limits}
    if offsets is not None:
        manifest["offsets"] = offsets

    def kept_files(digest: str | Callable[[], str]) -> Iterator[tuple[str, bytes]]:
        """Make the kept data (while the store loads), then yield its files one table at a time as the store
        folder writes them, each table let go once pickled: at 100,000 articles all the files at once
        (1 GB) made the build's peak."""
        data = derived() if derived else {}
        manifest["turtle"] = digest = digest() if callable(digest) else digest

        def files() -> Iterator[tuple[str, bytes]]:
            stage("writing the read model")
            for name in sorted(data):
                yield from derived_files(name, data.pop(name), digest).items()
            yield MANIFEST, _pickled(manifest)
            stage("finishing the store")

        return files()

    if old is not None:
        changed = {slug for slug, h in manifest["articles"].items() if old["articles"].get(slug) != h}
        gone = set(old["articles"]) - set(manifest["articles"])
        try:
            remove = (set(_article_triples_in_store(folder, (changed | gone) & set(old["articles"])))
                      if len(changed) + len(gone) <= max(10, INCREMENTAL_LIMIT * len(library.articles)) else None)
        except OSError:  # the store's files are gone or damaged: it is loaded again from the Turtle below
            remove = None
        if remove is not None:
            remove.update(" ".join(t) for t in old["shared"] - manifest["shared"])
            add = {" ".join(t) for slug in changed
                   for t in own_triples(library.articles[slug], library.articles[slug].path, library.resolve)}
            add.update(" ".join(t) for t in manifest["shared"] - old["shared"])
            changed_dreams = {iri(dream_iri(slug)) for slug in changed}  # their shared triples went with them
            add.update(" ".join(t) for t in manifest["shared"] if t[0] in changed_dreams)
            manifest["triples"] = old["triples"] - len(remove - add) + len(add - remove)
            stage("writing the graph and updating the store")

            update_store_folder(graph_file, turtle, folder, sorted(remove), sorted(add), kept_files,
                                manifest["triples"])
            return manifest["triples"], "updated"
    manifest["triples"] = -1  # not known until loaded: a manifest left by a crash here is not used
    stage("writing the graph and loading the store")
    count, _ = write_and_load_store_folder(graph_file, turtle, folder, kept_files)
    manifest["triples"] = count
    atomic_write(folder / MANIFEST, _pickled(manifest))
    return count, "reloaded"


def _pickled(value) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _read_manifest(folder: Path) -> dict | None:
    """Return the store's manifest if the store still holds exactly what it describes, else None."""
    try:
        manifest = pickle.loads((folder / MANIFEST).read_bytes())
    except Exception:
        return None
    if manifest.get("triples", -1) < 0 or manifest.get("turtle") != loaded_digest(folder):
        return None
    return manifest


LAST_REPORT = "last-report.pickle"  # in the store folder: what the build that made it reported, and from what


def build_inputs(keys: Sequence[str], shown: Sequence[str], aliases: dict[str, str], problems: list[Problem],
                 limits: Limits, validate: bool) -> str:
    """Return a digest of everything a build's output depends on: the article files (their provenance paths
    and the cache keys of their bytes, see :func:`file_keys`), the alias table, the problems found before
    any article was read, the parse limits, whether the graph is checked against the shapes, the code, the
    shapes and ontology it ships, and the versions of the store and of the SHACL checker."""
    from importlib.metadata import version

    from .store import code_fingerprint

    return hashlib.sha256(pickle.dumps(
        (code_fingerprint(), shapes_text(), ontology_text(), version("pyoxigraph"), version("pyshacl"), repr(limits),
         validate, sorted(aliases.items()), [str(p) for p in problems], list(zip(shown, keys))),
        protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()


def keep_report(graph_dir: Path, inputs: str, report: BuildReport, validated: bool) -> None:
    """Keep, in the store folder the build made, its report, the digest of its inputs (see
    :func:`build_inputs`) and whether it checked the shapes, with the size of every file of the folder:
    :func:`unchanged_report` answers the next build from them when none of its inputs changed, and
    :func:`last_verdict` answers ``dreamgraph validate``."""
    folder = graph_dir / STORE_DIR
    try:
        files = {entry.name: entry.stat().st_size for entry in os.scandir(folder) if entry.is_file()}
        atomic_write(folder / LAST_REPORT, pickle.dumps(
            {"inputs": inputs, "turtle": loaded_digest(folder), "files": files, "validated": validated,
             "report": report}, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:  # the build is done all the same; the next one, not knowing it, does the work again
        pass


def _last_report(graph_dir: Path) -> dict | None:
    """Return what the last build kept with :func:`keep_report`, when the graph folder is as it left it: its
    graph file in place as it wrote it, and its store folder holding every file it wrote, at its size."""
    folder = graph_dir / STORE_DIR
    try:
        kept = pickle.loads((folder / LAST_REPORT).read_bytes())
        if kept["turtle"] != loaded_digest(folder):
            return None
        if any(os.stat(folder / name).st_size != size for name, size in kept["files"].items()):
            return None
        if not (folder / "oxigraph").is_dir() or not store_is_current(graph_dir / GRAPH_FILE, folder):
            return None
    except (OSError, ValueError, KeyError, TypeError, EOFError, pickle.UnpicklingError, AttributeError):
        return None
    return kept


def unchanged_report(graph_dir: Path, inputs: str) -> BuildReport | None:
    """Return the last build's report when a build with these inputs (see :func:`build_inputs`) would do
    nothing but write the same graph again: the last build's inputs were the same, and the graph folder is
    as it left it (see :func:`_last_report`). Else None."""
    kept = _last_report(graph_dir)
    if kept is None or kept["inputs"] != inputs:
        return None
    report = kept["report"]
    report.store = "unchanged"
    report.graph_file = graph_dir / GRAPH_FILE
    return report


def last_verdict(graph_dir: str | os.PathLike) -> list[Violation] | None:
    """Return the SHACL violations the last build found, when they are the answer for the graph folder as it
    is: that build checked the shapes, its graph is in place as it left it (see :func:`_last_report`), and
    the folder's shapes.ttl holds the shapes it checked against (the shipped ones). Else None.

    The build checks each article, cluster and stub with the types of what it links to, one structure at a
    time (see :func:`dreamgraph.validate.check_units`: the same violations as pySHACL finds in the whole
    graph, which at 10,000 articles takes a minute and 2.9 GB).
    """
    graph_dir = Path(graph_dir)
    kept = _last_report(graph_dir)
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


def suggest_aliases(library: Library, links: dict[str, list[tuple[str, int, str]]], table: dict) -> None:
    """Add a warning for every link to an unwritten dream whose slug closely resembles a written one in
    the article format (``table``: see :func:`dreamgraph.gaps.typo_table`): a page from another site is not
    taken for the dream a link means on the strength of its title alone."""
    for stub in sorted(links):
        match = table["matches"].get(stub)
        if match:
            for path, line, text in sorted(links[stub]):
                library.problems.append(Problem(
                    "warning", path, line,
                    f"{dream_name(text)!r} looks like {match[0]!r}: add an alias? "
                    f"(in {ALIAS_FILE}: \"{stub}\" = \"{match[0]}\")"))


def kept_tables(library: Library, shared: Shared, shingled: dict | None = None,
                previous: Path | None = None, linked: dict[str, bytes] | None = None,
                spill: Path | None = None, stage: Callable[[str], None] = _silent) -> dict[str, object]:
    """Return every table of the read model (see :mod:`dreamgraph.snapshot`), with the results of the
    analyses a reader wants at once: the gap report with the default settings (1.1 s at 10,000 articles,
    11 s at 100,000; its kinds made from the projection alone taken from the last report when the projection
    is the last one's, and its files when it is the last report) and the rankings, both made while the
    store loads. ``previous`` is the store folder of the last build, from whose tables the search index,
    mentions, look-alikes, near-duplicate pairs and rankings are brought up to date rather than made again,
    and the link tables taken when their inputs did not change (``linked``: the articles' link digests the
    workers made, see :func:`make_tables`); the tables taken as they were are
    :class:`~dreamgraph.store.Carried` in the result, their files copied rather than pickled again. The
    search texts are written to a file in ``spill`` as made, when given (see :func:`make_tables`).
    ``shingled`` (the articles' shingles the workers made) is emptied once the shingle table is made."""
    read_twice: dict[str, object] = {}  # small tables two of the makers below read: read once

    def last(name: str):
        if name in READ_TWICE:
            if name not in read_twice:
                read_twice[name] = kept_in_folder(previous, name) if previous else None
            return read_twice[name]
        return kept_in_folder(previous, name) if previous else None

    carried: set[str] = set()  # the tables taken from the last build as they were
    stage("making the read model")
    tables = make_tables(library, shared, shingled, last, carried, linked, spill)
    if shingled:  # laid end to end in the shingle table now: the articles' own arrays (144 MB at 100,000) go
        shingled.clear()
    foreign = {e["dream"] for e in tables["completeness"] if not_in_format(e)}
    tables["typos"] = typo_table(lookalike_targets(tables["projection"], foreign), tables["stub-links"],
                                 GapSettings().typo_similarity, last("typos"))
    stage("comparing the articles' texts")
    tables["near-pairs"] = near_pairs(tables["shingles"], last, tables["article-versions"])
    # carried links are the last build's by their inputs: its rankings then stand without comparing them
    tables["rankings"] = last("rankings") if "links" in carried else reused_rankings(tables["links"], last)
    if tables["rankings"] is not None:
        carried.add("rankings")
    else:
        stage("ranking the dreams")
        tables["rankings"] = rankings(tables["projection"])
    last_gaps = last("gaps") if "projection" in carried else None
    ready = reused_gaps(last_gaps, last, tables) if last_gaps is not None else {}
    read_twice.clear()  # nothing below reads the last build's small tables again
    stage("finding the gaps")
    tables["gaps"] = find_gaps(Snapshot(tables=tables), ready=ready)  # which reads the rankings' PageRank
    if last_gaps is not None and tables["gaps"] == last_gaps:  # the same report: its file and text stand
        carried.update(("gaps", "gaps-text"))
    else:
        tables["gaps-text"] = {"text": terminal_text(tables["gaps"]).encode("utf-8")}
    tables.update((name, Carried(previous)) for name in carried)
    return tables


READ_TWICE = ("article-versions", "mentions", "near-pairs")  # small: the large ones are read again, not held


def reused_rankings(links: dict, last: Callable[[str], object]) -> list[dict] | None:
    """Return the last build's rankings (``last`` returns a table it kept, or None) when its dreams, their
    labels and kinds, and the links between them are this build's (the rankings are a function of these
    alone: an edit to an article's texts changes none of them), else None (0.4 s at 10,000 articles, 5 s
    at 100,000 made again)."""
    import numpy as np

    old = last("links")
    if old is None or old["slugs"] != links["slugs"] or old["labels"] != links["labels"]:
        return None
    if not all(np.array_equal(old[name], links[name]) for name in ("stub", "succ_ptr", "succ")):
        return None
    return last("rankings")


def near_pairs(table: tuple, last: Callable[[str], object],
               versions: dict[str, str] | None = None) -> list[tuple[str, str, float]]:
    """Return the pairs of articles whose shingles overlap past the default threshold (by slug), patched from
    the last build's (``last`` returns a table it kept, or None) when it kept them and few articles changed
    (1.9 s -> 0.2 s at 10,000 articles). ``versions`` (see :func:`dreamgraph.snapshot.articles.article_versions`)
    say which articles changed since, when given with the last build's."""
    threshold = GapSettings().duplicate_similarity
    old_table, old_pairs = last("shingles"), last("near-pairs")
    found = None
    if old_table is not None and old_pairs is not None:
        changed = changed_articles(versions, last("article-versions")) if versions is not None else None
        found = updated_pairs(old_table, old_pairs, table, threshold, changed=changed)
    if found is None:
        found = similar_pairs(table[1], table[2], threshold)
    return [(table[0][i], table[0][j], share) for i, j, share in found]


def build(sources: Sequence[str | os.PathLike], graph_dir: str | os.PathLike, *, limits: Limits = Limits(),
          validate: bool = True, progress: Callable[[int, int], None] | None = None,
          lock_timeout: float = 0, stage: Callable[[str], None] | None = None, force: bool = False) -> BuildReport:
    """Build the graph folder from article files and folders; return what was built and what went wrong.

    Writes ``dreamgraph.ttl`` (atomically), the ontology and shapes beside it, and the embedded store.
    Only one build runs per graph folder: a second one waits ``lock_timeout`` seconds, then refuses.
    ``progress(done, total)`` is told of the article files read; ``stage(what)`` of each step as it begins
    (see :data:`STAGES`): after the files are read, a large library's build has a minute or more to go.

    When nothing the graph depends on changed since the last build (the article files, by their bytes, the
    alias table, the limits, ``validate``, dreamgraph's code and the shapes and ontology it ships: see
    :func:`build_inputs`) and the graph folder is as that build left it,
    the build writes nothing and returns that build's report, with ``store`` "unchanged"; ``force`` builds
    again all the same (from the cache: see :func:`compile_all`).
    """
    started = time.perf_counter()
    graph_dir = Path(graph_dir)
    graph_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(graph_dir / LOCK_FILE))
    try:
        lock.acquire(timeout=lock_timeout)
    except Timeout:
        raise DreamgraphError(
            f"{graph_dir} is locked by another dreamgraph build; wait for it to finish (or pass --wait SECONDS)"
        ) from None
    try:
        with paused_gc():  # a build makes millions of small objects and frees them by reference counting
            return _build_locked(sources, graph_dir, limits, validate, progress, started, stage or _silent, force)
    finally:
        lock.release()


def remove_leftovers(graph_dir: Path) -> None:
    """Remove temporary files and store folders left by a build that was killed (we hold the lock, so no
    live process owns them)."""
    import shutil

    older = [p for p in (graph_dir / CACHE_DIR).glob("*") if not p.name.startswith(Cache.FILE)]  # older versions
    for path in list(graph_dir.glob(".*.tmp")) + list(graph_dir.glob(f"{STORE_DIR}.old")) + older:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _build_locked(sources, graph_dir: Path, limits: Limits, validate: bool, progress, started: float,
                  stage: Callable[[str], None], force: bool = False) -> BuildReport:
    remove_leftovers(graph_dir)
    stage("finding the articles")
    paths, problems = find_articles(sources)
    paths, shown, clashes = unique_provenance(paths, graph_dir, sources)
    problems += clashes
    if not paths:
        if problems:
            raise DreamgraphError("no articles to build:\n" + "\n".join(str(p) for p in problems))
        where = ", ".join(str(s) for s in sources) or "(nothing)"
        raise DreamgraphError(f"no articles (.txt, .md) found in {where}")
    cache = Cache(graph_dir / CACHE_DIR)
    aliases, alias_problems = read_alias_table(graph_dir)
    for name, content in (("ontology.ttl", ontology_text()), ("shapes.ttl", shapes_text())):
        target = graph_dir / name
        if not target.is_file() or target.read_text(encoding="utf-8") != content:
            atomic_write(target, content.encode("utf-8"))
    keyed = file_keys(paths, shown, limits, cache)
    inputs = build_inputs(keyed[0], shown, aliases, problems + alias_problems, limits, validate)
    unchanged = None if force else unchanged_report(graph_dir, inputs)
    if unchanged is not None:
        if keyed[1].read:  # files whose stat alone could not answer: known by it next time
            keyed[1].keep()
        cache.close()
        unchanged.seconds = time.perf_counter() - started
        return unchanged
    manifest = _read_manifest(graph_dir / STORE_DIR)  # what the store holds: the build holds the lock
    last = last_graph_file(graph_dir, manifest)
    spool = Spool(graph_dir, last[0] if last else None)
    # the last build's tables are brought up to date, reading the texts of the changed articles alone, when
    # its articles were read with these limits (an article's version is its file's: read with other limits,
    # its parts may differ)
    previous = graph_dir / STORE_DIR if manifest is not None and manifest.get("limits") == repr(limits) else None
    texts_later = previous is not None and kept_is_current(previous, "article-versions")
    try:
        stage("reading the articles")
        compiled = compile_all(paths, graph_dir, limits, progress, cache, spool, sources, shown, texts_later,
                               keyed)
        stage("putting the library together")
        library = assemble([item.result for item in compiled], aliases)
        library.problems[:0] = problems + alias_problems
        if not library.articles:
            raise DreamgraphError("no article could be built:\n" + "\n".join(str(p) for p in sorted(
                set(library.problems), key=lambda p: (p.path, p.line or 0))))
        parts = article_parts(library, compiled, spool, cache, last[1] if last else None)
        as_parsed = [item for item in compiled  # the articles whose slug no alias changed
                     if item.slug in library.articles and library.articles[item.slug] is item.result.article]
        shingled = {item.slug: item.shingles for item in as_parsed}
        linked = {item.slug: item.link_digest for item in as_parsed if item.link_digest}
        del compiled, as_parsed
        shared = shared_triples(library)
        violations: list = []

        def while_the_store_loads() -> dict[str, object]:
            if validate:
                stage("checking the shapes")
                violations.extend(validate_library(library, parts, shared, cache))
            tables = kept_tables(library, shared, shingled, previous, linked, spill=graph_dir, stage=stage)
            suggest_aliases(library, shared.links, tables["typos"])  # only warnings
            return tables

        graph_file = graph_dir / GRAPH_FILE
        offsets: dict[str, tuple[int, int]] = {}
        triple_count, store_refresh = refresh_store(
            graph_file, graph_turtle(library, parts, shared, spool, offsets), graph_dir / STORE_DIR, library, parts,
            shared, while_the_store_loads, offsets, manifest, repr(limits), stage)
    finally:
        spool.close()
        for spilled in graph_dir.glob(f".{SPILLED}.*.tmp"):  # linked into the store folder, or not needed
            spilled.unlink(missing_ok=True)
    report = BuildReport(
        articles=len(library.articles), stubs=len(shared.links), graph_file=graph_file,
        dreams=len(library.articles) + len(shared.links),
        clusters=len({c.slug for a in library.articles.values() for c in a.clusters}),
        triples=triple_count, store=store_refresh,
        problems=sorted(set(library.problems), key=lambda p: (p.path, p.line or 0, p.severity, p.message)),
    )
    report.violations = violations
    stage("tidying the cache")
    cache.prune()
    cache.close()
    keep_report(graph_dir, inputs, report, validate)
    leave_for_exit(library, parts, shared, shingled)
    report.seconds = time.perf_counter() - started
    return report
