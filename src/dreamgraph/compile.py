"""The per-file work of a build: each article file read, parsed and made into its Turtle and the key of its
SHACL structure, in worker processes when there are many, and kept in the build's cache by the file's bytes
(a file whose size and times did not change is not even read again: see :class:`FileIndex`).

>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "a.txt").write_text("Dream About Falling: The Drop\\nQuick Answer\\n- Down.\\n")
>>> [(item.slug, item.result.article.name) for item in compile_all([folder / "a.txt"], folder, Limits())]
[('falling', 'Falling')]
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import stat
import threading
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .article import Article
from .cache import Cache, key_of
from .files import die_with
from .graphfolder import Spool
from .library import Library
from .pages import parse_source, read_source
from .parse import Limits, ParseResult, read_limited
from .snapshot import link_digest
from .snapshot.texts import shingles, similarity_text
from .sources import absolute_paths, display_paths
from .triples import DERIVED, ENTITY, MEMBER, A, Triple, own_triples, turtle_blocks
from .triples import T as TERMS
from .validate import Unit, unit_key

DREAM, CLUSTER, NEXT_STAGE, IN_CLUSTER = TERMS["Dream"], TERMS["Cluster"], TERMS["nextStage"], TERMS["belongsToCluster"]
SOURCE = TERMS["SourceArticle"]
PARALLEL_THRESHOLD = 400  # below this many files, starting worker processes costs more than it saves


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


def article_unit(article: Article, resolve: Callable[[str], str]) -> Unit:
    """Return an article's own triples, with the types of the dreams and clusters it links to as context
    (its texts read and let go of again: see :meth:`dreamgraph.article.Article.let_go`)."""
    own = own_triples(article, article.path, resolve)
    article.let_go()
    context = [(o, A, DREAM if p == NEXT_STAGE else CLUSTER) for _, p, o in own if p in (NEXT_STAGE, IN_CLUSTER)]
    return own, context


def shared_unit(own: list[Triple]) -> Unit:
    """Return the unit of one subject of the shared triples (a cluster's, a stub's or a hub's block), with the
    types of the dreams a cluster has as members and of the article files it comes from as context: nodes
    described alike, which the check takes as one (see :func:`dreamgraph.validate.unit_key`), so that a
    cluster or a stub named by one more article keeps its key and its verdict."""
    return own, [(o, A, DREAM) for _, p, o in own if p == MEMBER] + [
        triple for _, p, o in own if p == DERIVED for triple in ((o, A, SOURCE), (o, A, ENTITY))]


def _as_written(slug: str) -> str:
    return slug


def compile_article(article: Article, resolve: Callable[[str], str]) -> tuple[str, str]:
    unit = article_unit(article, resolve)
    return turtle_blocks(unit[0]), unit_key(unit)


def _compile_result(result: ParseResult) -> Compiled:
    if result.article is None:
        return Compiled(result)
    text = similarity_text(result.article)
    turtle, structure = compile_article(result.article, _as_written)
    data = turtle.encode("utf-8")  # bytes: the next build unpickles them without decoding
    return Compiled(result, result.article.slug, data, structure, None if text is None else shingles(text),
                    hashlib.sha256(data).hexdigest(), link_digest(result.article))


def compile_file(args) -> list[Compiled]:
    """Return the per-file work of one file: one article a text file or page, one a post of an export."""
    path, shown, limits = args
    return [_compile_result(result) for result in read_source(path, shown, limits)]


def _compile_packed(args) -> tuple[bytes, list[bytes], list[bytes | None], tuple[bytes, bytes, bytes],
                                   tuple[str, tuple | None, bool] | None]:
    """Return the per-file work pickled apart (see :func:`_pickled_apart`) and packed for the cache (see
    :func:`cache_entries`), all in the worker: the parent unpickles the first and keeps the last (unpacking
    it there cost the parent, which shares the cores with the workers, 1.2 s at 10,000 articles).

    ``args`` are those of :func:`compile_file`, and the cache's code version when the parent has no key for
    the file (see :func:`compile_all`): the worker then makes it from the bytes it parses and returns it last,
    as (key, the file's stat taken before it was read, whether the key may be learned: see
    :meth:`FileIndex.learn`), else None."""
    path, shown, limits, *version = args
    keyed = None
    if version:
        before = FileIndex._stat(path)
        key, data = keyed_bytes(path, shown, limits, partial(key_of, version[0]))
        keyed = (key, before, data is not None)
        # (a file that cannot be used is read again for the problem it has)
        compiled = [_compile_result(result) for result in (
            read_source(path, shown, limits) if data is None else parse_source(data, shown, limits))]
    else:
        compiled = compile_file(args)
    raw, turtles, bodies = _pickled_apart(compiled)
    return raw, turtles, bodies, _packed(raw, turtles, bodies), keyed


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
    article); :func:`put_together` joins them again."""
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


def put_together(compiled: list[Compiled], bodies: list[bytes | None] | list[Callable[[], bytes]]) -> None:
    """Give the articles of a file's per-file work read back apart their bodies (or functions that fetch them)."""
    for item, body in zip(compiled, bodies):
        if item.result.article is not None and body is not None:
            item.result.article.attach(body)


def _start_worker(build: int) -> None:
    """Set up a parse worker: no cyclic garbage collection (its objects live for one file), and on Linux
    end it when the build that started it dies, so a killed build leaves no workers behind."""
    gc.disable()
    die_with(build)


class FileIndex:
    """What the last build learned of each article file: its size, times and inode (``os.stat``) and the
    cache key of its bytes, so a build reads and hashes only the files whose stat changed (at 10,000
    articles, reading and hashing every file cost 0.3 s of a one-change rebuild).

    A file changed in the same clock tick as the index was made could keep its size and modification
    time; its change time still moves (no program can set it), and a file modified within two seconds
    before the index was made is read again anyway, as git does with "racily clean" entries.

    The index is kept whole (``index``) with the changes of the builds since beside it (``delta``): a
    build that read a few files writes those alone (at 100,000 articles the whole index is 10 MB, which
    took a rebuild after one change 0.2 s to pickle and 0.4 s to write), and the whole index again once
    the changes are more than :data:`DELTA_UP_TO` or a twentieth of the files.
    """

    RACY_NS = 2_000_000_000
    DELTA_UP_TO = 1000

    def __init__(self, cache: Cache, limits: str, context: str = ""):
        self.cache, self.limits, self.context = cache, limits, context
        self.started = time.time_ns()
        kept = cache.get("files", "index")
        valid = isinstance(kept, dict) and kept.get("limits") == limits and kept.get("version") == cache.version
        self.base: dict | None = kept if valid else None  # the whole index, as written
        self.old: dict = kept["files"] if valid else {}
        self.before: int = kept["made"] if valid else 0
        self.old_context = kept.get("context") if valid else None
        delta = cache.get("files", "delta") if valid else None
        if isinstance(delta, dict) and delta.get("base") == kept["made"]:  # (else made for another index)
            self.old = dict(self.old)  # (the whole index's stays as written: see keep)
            for name in delta["gone"]:
                self.old.pop(name, None)
            self.old.update(delta["files"])
            self.before, self.old_context = delta["made"], delta["context"]
        self.new: dict = {}
        self.read = 0  # files whose bytes were read and hashed: their stat was not the last build's

    def provenance(self) -> dict[str, str] | None:
        """Return the provenance path the last build gave each file (absolute path -> provenance path) when
        it was made in this build's context (see :func:`dreamgraph.sources.provenance_context`), else None."""
        if not self.context or self.old_context != self.context:
            return None
        return {absolute: shown for absolute, shown in self.old}

    @staticmethod
    def _stat(path: str | os.PathLike) -> tuple | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev

    def known(self, path: str | os.PathLike, shown: str, absolute: str | None = None) -> tuple[str | None, tuple | None]:
        """Return (the cache key, if the file's stat is what the last build saw, else None; its stat now);
        ``absolute`` is the path made absolute, when known."""
        now = self._stat(path)
        name = (absolute or os.path.abspath(path), shown)
        seen = self.old.get(name)
        if seen is None or now != seen[0] or max(now[1], now[2]) >= self.before - self.RACY_NS:
            return None, now
        self.new[name] = seen
        return seen[1], now

    def learn(self, path: str | os.PathLike, shown: str, key: str, before: tuple | None) -> None:
        """Note the key of a file read just after its stat ``before`` was taken (taken after the read, a
        change in between would be missed; taken before, it is seen next time by the file's later times)."""
        self.read += 1
        if before is not None:
            self.new[(os.path.abspath(path), shown)] = (before, key)

    def keep(self) -> None:
        """Keep this build's index: the files it found, with their stats and keys (see the class)."""
        base = self.base
        if base is not None and base.get("context") == self.context:
            was = base["files"]
            changed = {name: seen for name, seen in self.new.items() if was.get(name) != seen}
            gone = was.keys() - self.new.keys()
            if len(changed) + len(gone) <= min(self.DELTA_UP_TO, len(self.new) // 20):
                self.cache.touch("files", "index")
                self.cache.put("files", "delta", {"base": base["made"], "made": self.started, "files": changed,
                                                  "gone": gone, "context": self.context})
                return
        self.cache.put("files", "index", {"limits": self.limits, "version": self.cache.version,
                                          "made": self.started, "files": self.new, "context": self.context})
        self.cache.put("files", "delta", None)  # (made for the last index: its base no longer)


def keyed_bytes(path: str | os.PathLike, shown: str, limits: Limits,
                key: Callable[..., str]) -> tuple[str, bytes | None]:
    """Return the cache key of a file's bytes (``key`` makes it, as :meth:`Cache.key` does) and the bytes; for
    a file that cannot be read or is over the size limit, the key of a mark saying so and None (such a key
    is never learned: the file is read again by the next build)."""
    try:  # never more than the limit, and only from a regular file (see parse.read_limited)
        data = read_limited(path, limits.max_bytes)
    except OSError:
        return key(b"<unreadable>", shown, repr(limits)), None
    if len(data) > limits.max_bytes:
        return key(b"<too large>", shown, repr(limits)), None
    return key(data, shown, repr(limits)), data


def file_keys(paths: Sequence[str | os.PathLike], shown: Sequence[str], limits: Limits, cache: Cache,
              files: FileIndex | None = None, absolute: Sequence[str] | None = None,
              read: bool = True) -> tuple[list[str | None], FileIndex]:
    """Return the cache key of every file's bytes (in the order of ``paths``), and the index of the files'
    stats that answered most of them: only a file whose stat changed since the last build is read and
    hashed (see :class:`FileIndex`, ``files`` when the caller opened it; the caller keeps the index,
    :meth:`FileIndex.keep`). ``absolute`` are the paths made absolute, when the caller has them. Without
    ``read``, such a file's key is None: :func:`compile_all`'s workers make it as they read the file (a
    build with nothing in its cache, at 100,000 articles, read and hashed every file first: 3-10 s)."""
    files = files or FileIndex(cache, repr(limits))
    keys: list[str | None] = []
    for index, (path, absolute) in enumerate(zip(paths, absolute_paths(paths) if absolute is None else absolute)):
        key, before = files.known(path, shown[index], absolute)
        if key is None and read:
            key, data = keyed_bytes(path, shown[index], limits, cache.key)
            if data is not None:
                files.learn(path, shown[index], key, before)
        keys.append(key)
    return keys, files


def compile_all(paths: Sequence[str | os.PathLike], graph_dir: Path, limits: Limits,
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
    what :func:`file_keys` returned for these files, when the caller asked it already; the keys it left
    out (None) are put in its list as the files are read."""
    cache = cache or Cache(None)
    shown = display_paths(paths, graph_dir, sources) if shown is None else shown
    results: list[list[Compiled] | None] = [None] * len(paths)
    keys, files = keyed or file_keys(paths, shown, limits, cache)
    index_of = {key: index for index, key in enumerate(keys) if key is not None}
    heads = dict(cache.get_many("article", index_of)) if index_of else {}
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
        put_together(kept, [partial(cache.body, key, place) for place in range(len(kept))]
                      if texts_later else bodies[key])
        for place, item in enumerate(kept):
            item.entry = (key, place)
    del heads, bodies
    todo = [index for index, result in enumerate(results) if result is None]
    done = len(paths) - len(todo)
    if progress:  # what the cache answered, at once
        progress(done, len(paths))
    workers = min(os.cpu_count() or 1, 8)
    parallel = len(todo) >= PARALLEL_THRESHOLD and workers > 1
    missing = [index for index in todo if keys[index] is None]
    if missing and not parallel:  # keys left to the workers: made here, each of these few files read twice
        made = file_keys([paths[i] for i in missing], [shown[i] for i in missing], limits, cache, files)[0]
        for index, key in zip(missing, made):
            keys[index] = key
    jobs = [(paths[i], shown[i], limits, *((cache.version,) if keys[i] is None else ())) for i in todo]
    if parallel:
        from concurrent.futures import ProcessPoolExecutor  # (8 ms of a patch's start, which has no pool)

        threading.Thread(target=read_ahead, args=([paths[i] for i in todo], limits.max_bytes + 1),
                         name="dreamgraph-read-ahead", daemon=True).start()
        with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(os.getpid(),)) as pool:
            packed = pool.map(_compile_packed, jobs, chunksize=64)
            for index, (raw, turtles, bodies, data, keyed_here) in zip(todo, packed):
                if keyed_here is not None:
                    keys[index], before, learned = keyed_here
                    if learned:
                        files.learn(paths[index], shown[index], keys[index], before)
                results[index] = pickle.loads(raw)
                put_together(results[index], bodies)
                for item, turtle in zip(results[index], turtles):  # the bodies stay packed: see Article.let_go
                    item.turtle = turtle
                keep_in_cache(cache, keys[index], results[index], spool, data)
                done += 1
                if progress:
                    progress(done, len(paths))
    else:
        for index, job in zip(todo, jobs):
            results[index] = compile_file(job)
            keep_in_cache(cache, keys[index], results[index], spool)
            done += 1
            if progress:
                progress(done, len(paths))
    files.keep()
    cache.stale.update({key for _, key in files.old.values()} - set(keys))  # of files changed or gone
    return [item for file in results for item in file]  # type: ignore[union-attr]


def read_ahead(paths: Iterable[str | os.PathLike], length: int = 0) -> None:
    """Ask the system to read the files into its page cache, in the order given (that of the workers), each
    up to ``length`` bytes (0: all of it; a worker reads no more than the size limit): the files of a first
    build are often on the disk alone, and a worker reading one would wait for it with its core idle. Each
    request returns at once; the disk reads while the workers parse."""
    if not hasattr(os, "posix_fadvise"):
        return
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            continue
        try:
            os.posix_fadvise(fd, 0, length, os.POSIX_FADV_WILLNEED)
        except OSError:  # a pipe, say: the worker reports it
            pass
        finally:
            os.close(fd)


def keep_in_cache(cache: Cache, key: str, compiled: list[Compiled], spool: Spool | None,
          packed: tuple[bytes, bytes, bytes] | None = None) -> None:
    if not any(p.message.startswith("cannot read") for item in compiled for p in item.result.problems):
        article, turtle, body = packed or cache_entries(compiled)
        cache.put("article", key, None, article)
        cache.put("turtle", key, None, turtle)
        cache.put("body", key, None, body)
    if spool is not None:
        for item in compiled:
            item.turtle = spool.add(item.turtle, item.turtle_sha256)


def parse_all(paths: Sequence[str | os.PathLike], graph_dir: Path, limits: Limits = Limits()) -> list[ParseResult]:
    """Return the parse of every file (see :func:`compile_all`)."""
    return [compiled.result for compiled in compile_all(paths, graph_dir, limits)]


def article_parts(library: Library, compiled: Iterable[Compiled], spool: Spool, cache: Cache | None = None,
                  last: dict[str, tuple[int, int, str]] | None = None) -> dict[str, tuple[tuple, str]]:
    """Return (Turtle in the spool, structure key) per dream slug, made again for the articles whose slug
    or links an alias changed. An article read from the cache has its Turtle where the ``last`` build's
    graph file has it (slug -> (offset, length, SHA-256), :func:`dreamgraph.graphfolder.last_graph_file`), when that is the same,
    else the cache's (made again if the cache lost it)."""
    parts, wanted = {}, []
    for item in compiled:
        article = item.result.article
        if article is None or library.articles.get(article.slug) is not article:
            continue  # not a dream, or a duplicate that was skipped
        stale = (item.slug != article.slug or article.slug in library.repointed
                 or any(library.resolve(s.target_slug) != s.target_slug for s in article.next_stages))
        if stale:
            turtle, structure = compile_article(article, library.resolve)
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
            turtle, structure = compile_article(article, library.resolve)
            parts[article.slug] = (spool.add(turtle), structure)
    return parts
