"""Where the triples live, and how every command reads them.

``graph/dreamgraph.ttl`` is the versioned, human-diffable graph. Commands do
not re-parse it: they read an embedded Oxigraph store kept beside it in
``graph/.store/`` (ignored by git), rebuilt automatically whenever the Turtle
changed, or a remote SPARQL 1.1 endpoint. Both sit behind one interface,
:class:`Store`, whose ``select`` returns rows of plain Python values.

>>> store = MemoryStore.from_turtle(b'@prefix dg: <https://w3id.org/dreamgraph/ontology#> . '
...                                 b'<https://w3id.org/dreamgraph/id/dream/a> dg:nextStage <https://w3id.org/dreamgraph/id/dream/b> .')
>>> store.select("SELECT ?to WHERE { ?from dg:nextStage ?to }")
[{'to': IRI('https://w3id.org/dreamgraph/id/dream/b')}]
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import io
import itertools
import json
import os
import pickle
import shutil
import tempfile
import time
import traceback
from array import array
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pyoxigraph as ox

from .errors import DreamgraphError, GraphNotBuiltError, QueryError
from .files import (PIECES, _put_in_place, _write_beside, atomic_write, file_digest,
                    file_pieces_digest, leave_for_exit, paused_gc, replaced_file, sync_and_close, write_unsynced)
from .limits import POLL_SECONDS, over_allowance, resident_bytes
from .splice import composed, runs, spliced, table_size, told_size
from .terms import QueryResult, python_value, result_from_oxigraph, with_values_clause
from .vocabulary import PREFIXES

GRAPH_FILE = "dreamgraph.ttl"
STORE_DIR = ".store"
STAMP_FILE = "loaded-from.json"
PIECES_FILE = "turtle-pieces"  # where the pieces of the Turtle a store was stamped with start (see store_is_current)
LOCK_FILE = ".lock"


# --- the store interface ---------------------------------------------------------------------------

class Store:
    """A read-only view of a built graph that answers SPARQL.

    ``bindings`` are bound as RDF terms (escaped terms in a VALUES block), never as query syntax.
    """

    def execute(self, query: str, bindings: dict | None = None, *, max_rows: int | None = None,
                timeout: float | None = None, max_memory: int | None = None) -> QueryResult:
        """Return the result of any read query (SELECT, ASK, CONSTRUCT, DESCRIBE), stopped with a QueryError
        past ``timeout`` seconds or once it has taken ``max_memory`` bytes more, where the engine runs here."""
        raise NotImplementedError

    def select(self, query: str, bindings: dict | None = None) -> list[dict]:
        """Return the rows of a SELECT query as dicts of plain Python values (unbound variables left out)."""
        result = self.execute(query, bindings)
        return [{name: python_value(cell) for name, cell in zip(result.variables, row) if cell is not None}
                for row in result.rows]

    def ask(self, query: str, bindings: dict | None = None) -> bool:
        """Return the answer of an ASK query."""
        return bool(self.execute(query, bindings).boolean)

    def every_triple(self) -> list[tuple]:
        """Return every triple of the graph, as (Cell, Cell, Cell)."""
        return self.execute("CONSTRUCT WHERE { ?s ?p ?o }").triples

    def derived(self, name: str):
        """Return data the build derived from this graph and kept with the store (such as the dream
        projection), or None when there is none, so the caller asks the graph itself."""
        return None

    def triple_count(self) -> int:
        """Return the number of triples in the graph (from what the build recorded, when it did)."""
        # COUNT(?o), not COUNT(*): the same number, and Virtuoso 7.2 takes 500 times as long for COUNT(*)
        return python_value(self.execute("SELECT (COUNT(?o) AS ?n) WHERE { ?s ?p ?o }").rows[0][0])


#: How a query is stopped at its timeout. False (the default, safe in any process): it runs in a child
#: process, which is killed when late; starting one costs about 0.3 s. True: it runs in a thread of this
#: process and is left behind when late, to end with the process; only for a process that ends soon after
#: the command, which the ``dreamgraph`` program does (:func:`dreamgraph.cli.run`).
ABANDON_LATE_QUERIES = False


def _query_in_child(connection, location: str, query: str, bindings: dict | None, max_rows: int | None) -> None:
    """Run one query in a child process against a read-only store and send back the result or the error."""
    try:
        store = OxigraphStore(ox.Store.read_only(location))
        connection.send(("ok", store.execute(query, bindings, max_rows=max_rows)))
    except Exception as exc:  # sent to the parent, which raises it there
        connection.send(("error", exc if isinstance(exc, DreamgraphError) else QueryError(str(exc))))
    finally:
        connection.close()


class OxigraphStore(Store):
    """An Oxigraph store, in memory or opened read-only from a folder on disk.

    ``on_stale``, when set, is called once the first time data kept beside the store is found out of date
    (made by another version of dreamgraph, or for an earlier graph): reads then ask the graph itself,
    which is much slower on a large library, until a build makes it again.
    """

    on_stale: Callable[[], None] | None = None

    def __init__(self, store: ox.Store, location: Path | None = None):
        self._store, self.location = store, location
        # The store folder as it was opened, held by a handle: the kept data is read from that folder, not
        # by its name, which a build may give to a new folder meanwhile. A reader sees one graph.
        self._folder: int | None = None
        self._digest = None
        self._triples = None
        if location is not None:
            try:
                self._folder = os.open(location, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
                stamp = json.loads(_read_at(self._folder, STAMP_FILE))
                self._digest, self._triples = stamp.get("sha256"), stamp.get("triples")
            except (OSError, ValueError, AttributeError, NotImplementedError):
                self._digest = None

    def __del__(self):
        if getattr(self, "_folder", None) is not None:
            try:
                os.close(self._folder)
            except OSError:
                pass

    def execute(self, query: str, bindings: dict | None = None, *, max_rows: int | None = None,
                timeout: float | None = None, max_memory: int | None = None) -> QueryResult:
        """Return the result of a query; with a timeout or a memory allowance it runs in a child process that
        is killed when late or too big (or in a thread left behind, see :data:`ABANDON_LATE_QUERIES`).

        rdflib and Oxigraph have no query timeout or memory bound of their own, so a runaway query is
        stopped by ending the process that runs it.
        """
        if (timeout is not None or max_memory is not None) and ABANDON_LATE_QUERIES:
            return self._execute_in_thread(query, bindings, max_rows, timeout, max_memory)
        if (timeout is not None or max_memory is not None) and self.location is not None:
            return self._execute_in_child(query, bindings, max_rows, timeout, max_memory)
        if bindings:
            # A VALUES block, not Oxigraph's substitutions: those are applied after a property path is
            # evaluated for every start (leads-to took 13.6 s at 10,000 articles with them, 0.75 s so).
            query = with_values_clause(query, bindings)
        try:
            return result_from_oxigraph(self._store.query(query, prefixes=PREFIXES), max_rows)
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}") from None
        except RuntimeError as exc:
            raise QueryError(f"query failed: {exc}") from None
        except OSError as exc:
            raise DreamgraphError(f"cannot read the store {self.location}: {exc}") from None

    @staticmethod
    def _watch(finished: Callable[[float], bool], timeout: float | None, max_memory: int | None,
               pid: int | None = None) -> None:
        """Wait until ``finished(seconds)`` says the query is done; raise when it is late or has grown by
        more than ``max_memory`` bytes (measured on process ``pid``, this one by default)."""
        deadline = time.monotonic() + timeout if timeout is not None else float("inf")
        base = resident_bytes(pid)
        while not finished(min(POLL_SECONDS, max(0.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                raise QueryError(f"query stopped after {timeout:g} s (raise the limit with --timeout)")
            if max_memory is not None and resident_bytes(pid) - base > max_memory:
                raise over_allowance(max_memory)

    def _execute_in_thread(self, query, bindings, max_rows, timeout, max_memory) -> QueryResult:
        import threading

        answer: list = []

        def work() -> None:
            try:
                answer.append(("ok", self.execute(query, bindings, max_rows=max_rows)))
            except BaseException as exc:  # handed to the waiting thread, which raises it there
                answer.append(("error", exc))

        worker = threading.Thread(target=work, name="dreamgraph-query", daemon=True)
        worker.start()  # Oxigraph releases the GIL while it evaluates

        def finished(seconds: float) -> bool:
            worker.join(seconds)
            return bool(answer)

        self._watch(finished, timeout, max_memory)
        status, payload = answer.pop()  # out of the list: an error's traceback would otherwise hold it in a cycle
        if status == "error":
            raise payload
        return payload

    def _execute_in_child(self, query, bindings, max_rows, timeout, max_memory) -> QueryResult:
        import multiprocessing

        context = multiprocessing.get_context("spawn")  # a fresh process: no store handles copied by fork
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=_query_in_child,
                                args=(sender, str(self.location / "oxigraph"), query, bindings, max_rows), daemon=True)
        child.start()
        sender.close()
        try:
            self._watch(receiver.poll, timeout, max_memory, child.pid)
            status, payload = receiver.recv()
        except EOFError:
            raise QueryError("the query process ended without an answer (out of memory?)") from None
        finally:
            if child.is_alive():
                child.kill()
            child.join()
        if status == "error":
            raise payload
        return payload

    def triple_count(self) -> int:
        """Return the number of triples, as the build recorded it beside the store (counting 16.9 million
        triples at 100,000 articles took 16 s), or counted."""
        if isinstance(self._triples, int) and self._triples >= 0:
            return self._triples
        return len(self._store)

    def derived(self, name: str):
        """Return ``NAME.pickle`` of the store folder when it was made for the graph the store holds (with
        its raw parts, see :func:`derived_files`, mapped into memory)."""
        if self._folder is None or self._digest is None:
            return None
        folder = self._folder
        try:  # a file gone (the folder was replaced and removed) is data not kept: the store is asked instead
            data = _stamped(name, self._digest, lambda file: _read_at(folder, file), lambda file: _mapped(file, folder))
        except Exception:
            return None
        if data is _STALE:
            callback, self.on_stale = self.on_stale, None
            if callback:
                callback()
            return None
        return data


_RAW = "raw parts"
_STALE = object()  # kept data stamped for another graph or by other code


def _stamped(name: str, digest: str | None, read: Callable[[str], bytes], part: Callable[[str], object]):
    """Return the data kept as ``NAME.pickle`` (see :func:`derived_files`) with each raw part through
    ``part``, or ``_STALE`` when it was made for another Turtle than ``digest`` or by other code. Raises
    when a file cannot be read or unpickled."""
    kept = io.BytesIO(read(f"{name}.pickle"))
    header = pickle.load(kept)
    if header != _header(digest):  # another graph's, another version's, or an older format
        return _STALE
    with paused_gc():
        data = _load_with_buffers(kept, name, part)
        if isinstance(data, str) and data in (KEPT_APART, SPLICED):  # NAME.kept's, after the header of its build
            told = data == SPLICED and pickle.loads(read(f"{name}.runs"))
            kept = io.BytesIO(read(f"{name}.kept"))
            pickle.load(kept)
            data = _load_with_buffers(kept, name, part)
            if told is not False:  # the runs over it of the table (see Spliced)
                data = spliced(data, told)
    for key in data.pop(_RAW) if isinstance(data, dict) and _RAW in data else ():
        data[key] = part(f"{name}.{key}")
    return data


def _load_with_buffers(kept: io.BytesIO, name: str, part: Callable[[str], object]):
    """Return the data pickled in ``kept`` (after the header), its large arrays' bytes mapped from the files
    they were kept apart in (see :func:`derived_files`): an array read this way is not copied into memory."""
    data = pickle.load(kept)
    if isinstance(data, tuple) and len(data) == 2 and data[0] == _BUFFERS:
        data = pickle.load(kept, buffers=[part(f"{name}.{_BUFFERS}{i}") for i in range(data[1])])
    return data


_BUFFERS = "buffer"  # NAME.buffer0, NAME.buffer1...: the bytes of a table's large arrays (see derived_files)


def _header(digest: str | None) -> tuple[str | None, str]:
    """Return what a kept file begins with: the digest of the Turtle it was made for, and the code's
    fingerprint (see :func:`derived_files`, :func:`_stamped`, :func:`kept_is_current`)."""
    return digest, code_fingerprint()


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Return a fingerprint of the package's code and shipped queries: data kept beside a store by one
    version of dreamgraph is not read by another, whose rules or formats may differ."""
    from importlib import resources

    digest = hashlib.sha256()
    root = resources.files("dreamgraph")
    for folder in (root, root.joinpath("queries"), root.joinpath("views"), root.joinpath("snapshot")):
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith((".py", ".rq")):
                digest.update(entry.name.encode() + b"\0" + entry.read_bytes())
    return digest.hexdigest()[:16]


def derived_files(name: str, data, digest: str) -> dict[str, bytes | Path | Iterator[bytes]]:
    """Return the files that keep derived data for the graph with this digest (see OxigraphStore.derived):
    ``NAME.pickle``, two pickles one after the other: a header (the digest and the code's fingerprint) and
    the data; and for a dict, each of its bytes (bytearray, memoryview) values as a file of its own,
    ``NAME.KEY``, which a reader maps into memory rather than reads (a search then touches only the pages it
    scans); a Path value is a file written already for the purpose, linked into the folder as ``NAME.KEY``. The bytes
    of each large array in the data (numpy's, of :data:`APART_BYTES` or more) are pickled out of band, each
    in a file of its own, ``NAME.buffer0``, ``NAME.buffer1``..., which a reader maps too: the array it
    gets is not copied into memory (at 100,000 articles the shingles are 144 MB, read and unpickled in
    0.5-0.75 s, and written after a copy into the pickle).

    ``data`` may be :class:`Carried`: a table the last build kept and this one did not change, whose files
    are linked (a Path value: see :func:`_new_store_folder`) rather than pickled and written again: its
    ``NAME.pickle`` is linked as ``NAME.kept`` and the new ``NAME.pickle`` holds the new header and
    :data:`KEPT_APART` (a small one is copied after the new header instead, pieces of bytes as they are
    read; a ``NAME.kept`` carried again is linked again). ``data`` may be :class:`Spliced`: a table made from
    the last build's with few rows changed, kept as the runs over a base (see :mod:`dreamgraph.splice`).
    """
    if isinstance(data, Spliced):
        told = _spliced_files(name, data, digest)
        if told is not None:
            return told
        data = data.data
    if isinstance(data, Carried):
        parts = sorted(path for path in data.folder.glob(f"{glob.escape(name)}.*") if path.name != f"{name}.pickle")
        old = data.folder / f"{name}.pickle"
        apart = data.folder / f"{name}.kept"
        if not apart.exists() and old.stat().st_size > APART_BYTES:  # linked as NAME.kept, not copied: see KEPT_APART
            return {f"{name}.pickle": _headed(digest, pickle.dumps(KEPT_APART, protocol=pickle.HIGHEST_PROTOCOL)),
                    f"{name}.kept": old, **{path.name: path for path in parts if path.name != f"{name}.kept"}}
        return {f"{name}.pickle": _headed(digest, _after_header(old)), **{path.name: path for path in parts}}
    raw = ({key: value for key, value in data.items() if isinstance(value, (bytes, bytearray, memoryview, Path))}
           if isinstance(data, dict) else {})
    rest = {**{key: value for key, value in data.items() if key not in raw}, _RAW: sorted(raw)} if raw else data
    apart: list[memoryview] = []

    def out_of_band(buffer: pickle.PickleBuffer) -> bool:  # False: the buffer is kept apart
        view = buffer.raw()
        if view.nbytes < APART_BYTES:
            return True
        apart.append(view)
        return False

    body = pickle.dumps(rest, protocol=5, buffer_callback=out_of_band)
    if apart:
        body = pickle.dumps((_BUFFERS, len(apart)), protocol=pickle.HIGHEST_PROTOCOL) + body
    return {f"{name}.pickle": _headed(digest, body), **{f"{name}.{key}": value for key, value in raw.items()},
            **{f"{name}.{_BUFFERS}{i}": [view] for i, view in enumerate(apart)}}


def _headed(digest: str, body: bytes | Iterator[bytes]) -> bytes | Iterator[bytes]:
    """Return a kept file: the header for the Turtle with this digest, then ``body``."""
    header = pickle.dumps(_header(digest), protocol=pickle.HIGHEST_PROTOCOL)
    return header + body if isinstance(body, bytes) else itertools.chain([header], body)


def _after_header(path: Path, size: int = 4 << 20) -> Iterator[bytes]:
    """Yield the data of the kept file ``path`` after its own header, a piece at a time (a carried table's
    data is never held whole: the projection of 100,000 dreams is 90 MB)."""
    with open(path, "rb") as kept:
        pickle.load(kept)  # the old header
        while piece := kept.read(size):
            yield piece


KEPT_APART = "kept apart"  # in place of a table's data in NAME.pickle: the data is NAME.kept's (see derived_files)
APART_BYTES = 1 << 20  # a carried table's file larger than this is linked as NAME.kept rather than copied
SPLICED = "spliced"  # in place of a table's data in NAME.pickle: NAME.runs over NAME.kept's (see Spliced)
SPLICED_ROWS = 2000  # a table of fewer rows is written whole (pickled in a few milliseconds)
SPLICED_MOST = 0.25  # a table whose runs and rows of its own are more than this share of its rows: whole


@dataclass(frozen=True)
class Spliced:
    """A table made from the table ``last`` the last build kept in the store folder ``folder``: written as
    runs over the data of a file of that folder (its ``NAME.kept``, or its whole ``NAME.pickle``, linked as
    the new folder's ``NAME.kept``), in ``NAME.runs`` (see :mod:`dreamgraph.splice`: the runs over a table
    that was itself runs over a base are turned into runs over that base), when few of its rows are new;
    else whole. At 100,000 articles a rebuild after one edit pickled 0.8 s of tables, most of their rows
    the last build's. A dict table is told as its changes to the last (see :class:`dreamgraph.splice.Changes`):
    at 100,000 articles the names alone took 0.22 s to pickle."""

    folder: Path
    last: list | dict
    data: list | dict


def _spliced_files(name: str, table: Spliced, digest: str) -> dict[str, bytes | Path] | None:
    """Return the files of a :class:`Spliced` table, or None when it is better written whole: a small table,
    or one whose rows are mostly new, or in many runs (a long run of rebuilds since the base was written)."""
    if (type(table.last) is not type(table.data) or not isinstance(table.data, (list, dict))
            or (table.folder / f"{name}.{_BUFFERS}0").exists()):  # (arrays kept apart: not rows or keys)
        return None
    size = table_size(table.data)
    if size < SPLICED_ROWS:
        return None
    base, last_runs = table.folder / f"{name}.kept", table.folder / f"{name}.runs"
    if not base.exists():  # the last table was written whole: its file is the base (its own header skipped)
        base = table.folder / f"{name}.pickle"
    most = SPLICED_MOST * size
    told = runs(table.last, table.data, most)
    if told is not None and last_runs.exists():
        told = composed(pickle.loads(last_runs.read_bytes()), told)
    if told is None or told_size(told) > most:
        return None
    return {f"{name}.pickle": _headed(digest, pickle.dumps(SPLICED, protocol=pickle.HIGHEST_PROTOCOL)),
            f"{name}.kept": base, f"{name}.runs": pickle.dumps(told, protocol=pickle.HIGHEST_PROTOCOL)}


@dataclass(frozen=True)
class Carried:
    """A table kept in the store folder ``folder`` by the last build and unchanged by this one (see
    :func:`derived_files`)."""

    folder: Path


class TablesInMemory:
    """Tables read from a store folder, kept from one build to the next by a process that builds again and
    again (:mod:`dreamgraph.watch`), each under the identity of the file that holds its data. A store
    folder's files are never changed in place, and a table a build carries is linked into the new folder
    (see :func:`derived_files`): while the file is the same, so is the table, and the next build need not
    read it again (at 10,000 articles, the projection takes 0.07-0.09 s to read). Only what the last
    build read is kept."""

    def __init__(self):
        self._kept: dict[tuple, object] = {}
        self._read: dict[tuple, object] = {}
        self.taken = 0  # tables taken from here rather than read, since the process began

    def get(self, key: tuple):
        """Return the table kept under ``key``, or None."""
        data = self._kept.get(key)
        if data is not None:
            self._read[key] = data
            self.taken += 1
        return data

    def put(self, key: tuple, data) -> None:
        """Keep a table read from the file whose identity is ``key``."""
        self._read[key] = data

    def read_ahead(self, folder: Path) -> None:
        """Read the tables the last build read again from the store folder it left, those it made anew
        (the others are kept here under the same file's identity), so that the next build takes every one
        from here: for a process that waits between builds, called while nothing happens (at 10,000
        articles the tables a text edit changes take 0.12 s to read)."""
        taken = self.taken
        for name in sorted({key[0] for key in self._kept}):
            kept_in_folder(folder, name, self)
        self.taken = taken
        self.end_of_build()

    def end_of_build(self) -> None:
        """Let go of the tables the build just done did not read, when it read any (a build that found
        nothing changed reads none); freed after the build where a process frees what it leaves (see
        :func:`dreamgraph.files.leave_for_exit`)."""
        if self._read:
            leave_for_exit(self._kept)
            self._kept, self._read = self._read, {}


def _data_file_identity(folder: Path, name: str, digest: str | None) -> tuple | None:
    """Return the identity of the file holding the data of the table ``name`` of a store folder (``NAME.kept``
    when there is one, see :data:`KEPT_APART`, else ``NAME.pickle``; with ``NAME.runs`` for a :class:`Spliced`
    one), when the table is current (its header is that of the Turtle with ``digest`` and of this code), else
    None."""
    with open(folder / f"{name}.pickle", "rb") as kept:
        if pickle.load(kept) != _header(digest):
            return None
        stat = os.fstat(kept.fileno())
    with contextlib.suppress(FileNotFoundError):
        stat = os.stat(folder / f"{name}.kept")
    told = ()  # and NAME.runs, for a spliced table (see Spliced)
    with contextlib.suppress(FileNotFoundError):
        runs_stat = os.stat(folder / f"{name}.runs")
        told = (runs_stat.st_ino, runs_stat.st_size, runs_stat.st_mtime_ns)
    return name, stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, *told


def kept_in_folder(folder: Path, name: str, memory: TablesInMemory | None = None):
    """Return the data a build kept in a store folder under ``name`` (see :func:`derived_files`; a dict's
    bytes values mapped into memory, as a reader maps them: the files of a store folder are never changed
    in place, and a mapping outlives the folder's replacement) when it was made for the Turtle the folder
    holds by this version of the code, else None: what the next build starts from (at 100,000 articles,
    the search texts it copies from are 490 MB, read whole before). With ``memory``, a table read there
    before from the same file is taken from it, and one read here is kept in it."""
    def read(file: str) -> bytes:
        return (folder / file).read_bytes()

    def mapped(file: str):
        handle = os.open(folder, os.O_RDONLY)
        try:
            return _mapped(file, handle)
        finally:
            os.close(handle)

    try:
        digest = loaded_digest(folder)
        key = None if memory is None else _data_file_identity(folder, name, digest)
        if key is not None and (known := memory.get(key)) is not None:
            return known
        data = _stamped(name, digest, read, mapped)
    except Exception:  # gone, damaged or of another format: not kept
        return None
    if data is _STALE:
        return None
    if key is not None:
        memory.put(key, data)
    return data


def kept_is_current(folder: Path, name: str) -> bool:
    """Return True when the data kept in a store folder under ``name`` was made for the Turtle the folder
    holds by this version of the code (see :func:`kept_in_folder`), read from its header alone."""
    try:
        with open(folder / f"{name}.pickle", "rb") as kept:
            return pickle.load(kept) == _header(loaded_digest(folder))
    except Exception:
        return False


def _read_at(folder: int, name: str) -> bytes:
    """Return the bytes of a file in the folder open as ``folder``."""
    handle = os.open(name, os.O_RDONLY, dir_fd=folder)
    with open(handle, "rb") as file:
        return file.read()


def _mapped(name: str, folder: int):
    """Return a file's bytes, in the folder open as ``folder``, as a read-only memory map (bytes for an empty
    file, which cannot be mapped)."""
    import mmap

    with open(os.open(name, os.O_RDONLY, dir_fd=folder), "rb") as file:
        return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) if os.fstat(file.fileno()).st_size else b""


class MemoryStore(OxigraphStore):
    """An in-memory Oxigraph store, for tests and notebooks."""

    @classmethod
    def from_turtle(cls, data: bytes) -> "MemoryStore":
        """Return a store holding the triples of a Turtle document."""
        store = ox.Store()
        store.bulk_load(data, ox.RdfFormat.TURTLE)
        return cls(store)


def _write_stamp(folder: Path, turtle: Path, digest: str, triples: int = -1, starts: list[int] | None = None) -> None:
    """Stamp a store folder with the Turtle file it holds: its size and time, its ``digest`` (its SHA-256, or
    the digest of its pieces, :func:`dreamgraph.files.pieces_digest`, with where they ``starts``) and the
    store's number of triples when known."""
    stat = turtle.stat()
    stamp = {"sha256": digest, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    if triples >= 0:
        stamp["triples"] = triples
    if digest.startswith(PIECES):  # in this machine's byte order, as the store's own files are
        atomic_write(folder / PIECES_FILE, array("q", starts or ()).tobytes())
    atomic_write(folder / STAMP_FILE, json.dumps(stamp).encode())


def _read_starts(folder: Path) -> list[int] | None:
    """Return where the pieces of the Turtle file a store folder was stamped with start (see
    :func:`_write_stamp`), or None when they cannot be read."""
    starts = array("q")
    try:
        starts.frombytes((folder / PIECES_FILE).read_bytes())
    except (OSError, ValueError):
        return None
    return starts.tolist()


def _read_stamp(folder: Path) -> dict:
    """Return what the store folder says it was loaded from (empty when it says nothing readable)."""
    try:
        stamp = json.loads((folder / STAMP_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) else {}


def loaded_digest(folder: Path) -> str | None:
    """Return the digest of the Turtle file the store folder was last loaded from (see :func:`_write_stamp`),
    if it says."""
    return _read_stamp(folder).get("sha256")


# files written into a store folder beside the store: name -> bytes (or pieces of bytes, or the Path of a file
# of the old folder to share), or (name, bytes) pairs (made as they are written), or a function returning either
Files = dict[str, bytes | Iterator[bytes] | Path] | Iterable[tuple[str, bytes | Iterator[bytes] | Path]]
Extra = Files | Callable[[], Files] | None

# a Turtle file's digest made from its pieces (see dreamgraph.files.pieces_digest) and where each piece starts
Layout = tuple[str, list[int]]


def load_store_folder(turtle: Path, folder: Path, extra: Extra = None, digest: str | None = None) -> int:
    """(Re)build the on-disk Oxigraph store ``folder`` from a Turtle file, replacing it atomically.

    Returns the number of triples loaded. ``extra`` files (name -> bytes, or a function returning them,
    called while the store loads) are written into the folder too; ``digest`` is the file's SHA-256 when
    the caller knows it.
    """
    return _new_store_folder(folder, lambda store: _bulk_load(store, str(turtle), lambda: turtle.stat().st_size),
                             turtle, extra, digest or file_digest(turtle), count=True)


COMPACTED_FROM = 512 << 20  # bytes of Turtle: a store loaded from this much is compacted once loaded


def _bulk_load(store: ox.Store, path: str, size: Callable[[], int] = lambda: 0) -> None:
    """Bulk-load a Turtle file into an empty store, and compact it (``Store.optimize``) when the Turtle read,
    ``size()`` bytes once loaded, was :data:`COMPACTED_FROM` or more.

    Compaction changes no read (measured at 100,000 articles: every command and shipped query within 0.05
    s, a scan of all 18 million triples 5.7 s either way), but a large store left as its bulk load made it
    is compacted by the rebuilds that follow instead, whose small changes set off merges with its files:
    after a full build of 100,000 articles the next rebuilds took 12.05, 9.69, 9.89 and 15.63 s; with the
    store compacted as the build made it, 10.65, 9.07, 8.93 and 8.92 s, and after another, 9.1-11.1 s in six
    (the build 234-237 s against 231-233 s). Both were measured while a patch wrote its graph file through
    the page cache, most of those seconds (see :data:`dreamgraph.files.PATCHED_PAST_CACHE`); what the
    compaction saves since is not measured again.
    A small store is left as loaded (at 10,000 articles compaction took 2.3 s of a 19 s build, on its
    critical path, and the rebuilds after it were as quick without).
    """
    store.bulk_load(path=path, format=ox.RdfFormat.TURTLE)
    if size() >= COMPACTED_FROM:
        _compact(store)


def _compact(store: ox.Store) -> None:
    """Compact a store's files (RocksDB's, all levels): 5 s of a 100,000-article build's 237 s, most of it
    while the build makes its other tables."""
    store.optimize()


def write_and_load_store_folder(turtle: Path, pieces: Iterable[bytes], folder: Path,
                                extra: Callable[[str], Files] | None = None,
                                layout: Layout | None = None, direct: bool = True) -> tuple[int, str]:
    """Write the Turtle file ``turtle`` from ``pieces`` and (re)build the store folder from the same bytes
    as they are written, instead of reading the file back afterwards (at 100,000 articles the write took
    9 s before the load could start). Returns the number of triples and the file's digest: ``layout``'s
    when given (see :data:`Layout`), else its SHA-256, made as it is written.

    ``extra(digest)`` returns the files kept beside the store; it is called once the file is written, while
    the store may still be loading. The file is renamed into place after the store: a failed write or
    load leaves the old file and the old store, and a crash between the two renames leaves a store whose
    stamp does not match the file, which is reloaded when next opened. The file goes past the page cache
    when ``direct`` (see :data:`dreamgraph.files.GRAPH_PAST_CACHE`).
    """
    target = replaced_file(turtle)
    read_end, write_end = os.pipe()
    still_open = {read_end, write_end}
    hashed = None if layout else hashlib.sha256()
    written: list[Path] = []
    fed = [0]  # bytes given to the loader

    def digest() -> str:
        return layout[0] if layout else hashed.hexdigest()

    def close(fd: int) -> None:
        if fd in still_open:
            still_open.discard(fd)
            os.close(fd)

    def load(store: ox.Store) -> None:
        try:  # a path, not a Python file object: Oxigraph reads it without taking Python's lock
            _bulk_load(store, f"/dev/fd/{read_end}", lambda: fed[0])
        finally:
            close(read_end)  # the writer gets a broken pipe, not a wait, when the load stopped early

    def teed() -> Iterable[bytes]:
        feeding = True
        for piece in pieces:
            if hashed:
                hashed.update(piece)
            fed[0] += len(piece)
            view = memoryview(piece)
            while feeding and view:
                try:
                    view = view[os.write(write_end, view):]
                except BrokenPipeError:  # the load failed: its error is raised once the file is written
                    feeding = False
            yield piece

    def write_then_extra() -> Files:
        try:
            written.append(_write_beside(target, teed(), direct=direct))
        finally:
            close(write_end)  # the end of the Turtle for the loader
        return extra(digest()) if extra else {}

    try:
        count = _new_store_folder(folder, load, lambda: written[0], write_then_extra, digest, count=True,
                                  starts=layout[1] if layout else None)
        _put_in_place(written.pop(), target)
    finally:
        close(read_end)  # when the load never started
        close(write_end)
        for tmp in written:  # when the load failed
            tmp.unlink(missing_ok=True)
    return count, digest()


class StreamedLoad:
    """A store loaded from Turtle fed to it while a build still reads its articles: the bulk load of a first
    build began only once every article was read, and then held the build up (at 10,000 articles, 5.6 s of
    reading and then 7.9 s of loading, on two cores); fed as each article is made, it shares the cores with
    the reading and is mostly done when the reading is.

    The store is made in a temporary folder beside ``folder``; :meth:`feed` gives it Turtle (whole
    statements, after the prefixes: the pieces of the graph file in any order), :meth:`end` says the Turtle
    is all there, and :func:`finish_streamed_load` puts the store in place like any other. The bytes are
    handed to the loader by a thread of its own in chunks of :attr:`CHUNK` bytes, so a piece fed costs the
    build an append, and the loader reads them from a pipe without Python's lock. :meth:`abort` (when the
    build fails first) ends the load and removes the folder.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()) / ".store"
    >>> load = StreamedLoad(folder)
    >>> load.feed(b"<https://example.org/a> <https://example.org/p> <https://example.org/b> .\\n")
    >>> load.end()
    >>> len(load.loading.result())
    1
    >>> load.abort(); load.tmp.exists()
    False
    """

    CHUNK = 4 << 20
    QUEUED = 8  # chunks waiting for the loader at most (the build waits when it is that far ahead)

    def __init__(self, folder: Path):
        import queue
        import threading
        from concurrent.futures import ThreadPoolExecutor

        self.folder = folder
        self.tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f"{folder.name}.", suffix=".tmp"))
        self._pending: list[bytes] = []
        self._size = 0
        self.fed = 0  # bytes fed in all
        self._chunks: queue.Queue = queue.Queue(self.QUEUED)
        self.ended = self.used = False
        read_end, self._write_end = os.pipe()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="dreamgraph-load")
        self.loading = self._pool.submit(self._load, read_end)
        self._writer = threading.Thread(target=self._write, name="dreamgraph-feed", daemon=True)
        self._writer.start()

    def _load(self, read_end: int) -> ox.Store:
        try:
            store = ox.Store(str(self.tmp / "oxigraph"))
            # a path: Oxigraph reads it without Python's lock (and the Turtle is all fed once it is loaded)
            _bulk_load(store, f"/dev/fd/{read_end}", lambda: self.fed)
            return store
        finally:
            os.close(read_end)  # the writer gets a broken pipe, not a wait, when the load stopped early

    def _write(self) -> None:
        feeding = True
        try:
            while (chunk := self._chunks.get()) is not None:  # taken to the end: the build never waits on it
                view = memoryview(chunk)
                while feeding and view:
                    try:
                        view = view[os.write(self._write_end, view):]
                    except OSError:  # the load failed (a broken pipe): its error is raised where its store is wanted
                        feeding = False
        finally:
            os.close(self._write_end)  # the end of the Turtle for the loader

    def feed(self, data: bytes | memoryview) -> None:
        """Give the loader more Turtle (whole statements)."""
        self._pending.append(data)
        self._size += len(data)
        self.fed += len(data)
        if self._size >= self.CHUNK:
            self._hand_over()

    def _hand_over(self) -> None:
        if self._pending:
            self._chunks.put(b"".join(self._pending))
            self._pending.clear()
            self._size = 0

    def end(self) -> None:
        """Say the Turtle is all fed: the load ends once the loader has read it."""
        if not self.ended:
            self.ended = True
            self._hand_over()
            self._chunks.put(None)

    def abort(self) -> None:
        """End the load, if it is still going, and remove the store's folder (nothing once the store was
        put in place): a build that failed leaves nothing of it."""
        if not self.ended:
            self.ended = True
            self._pending.clear()
            self._chunks.put(b"\n!\n")  # not Turtle: the loader stops at it rather than load what it has
            self._chunks.put(None)
        if self.loading is not None:
            with contextlib.suppress(BaseException):
                self.loading.result()
            self.loading = None  # the store, closed once nothing holds it
        self._pool.shutdown(wait=True)
        if not self.used:
            shutil.rmtree(self.tmp, ignore_errors=True)


def finish_streamed_load(load: StreamedLoad, turtle: Path, pieces: Iterable[bytes], fix: Callable[[ox.Store], None],
                         extra: Callable[[str], Files] | None, layout: Layout, direct: bool = True) -> int:
    """Write the Turtle file ``turtle`` from ``pieces`` (whose digest and pieces are ``layout``: see
    :data:`Layout`) and put in place the store ``load`` made (:class:`StreamedLoad`, ended), changed by
    ``fix`` once loaded (it may have been fed pieces the library did not keep: see
    :func:`dreamgraph.graphfolder.streamed_fix`); return its number of triples. ``extra(digest)`` makes
    the files kept beside the store, while the load ends. As with :func:`write_and_load_store_folder`, the
    file is renamed into place after the store, and a failure leaves the old file and store; it goes past
    the page cache when ``direct``."""
    target = replaced_file(turtle)
    written = _write_beside(target, pieces, direct=direct)
    try:
        count = _new_store_folder(load.folder, fix, written, (lambda: extra(layout[0])) if extra else None,
                                  layout[0], count=True, starts=layout[1], streamed=load)
    except BaseException:
        written.unlink(missing_ok=True)
        raise
    _put_in_place(written, target)
    return count


def changing(remove: Iterable[ox.Quad], add: Iterable[ox.Quad]) -> Callable[[ox.Store], None]:
    """Return what takes the ``remove`` triples out of a store and then puts the ``add`` triples in."""
    def change(store: ox.Store) -> None:
        for quad in remove:
            store.remove(quad)
        store.extend(add)

    return change


def update_store_folder(turtle: Path, pieces: Iterable[bytes], folder: Path, remove: list[str], add: list[str],
                        layout: Layout, extra: Callable[[str], Files] | None = None, triples: int = -1,
                        direct: bool = True) -> None:
    """Write the Turtle file ``turtle`` from ``pieces`` (whose digest and pieces are ``layout``: see
    :data:`Layout`) and replace the store folder atomically by a copy changed to match it: ``remove`` and
    ``add`` triples (N-Triples lines without their final " ."), in one transaction. ``triples``, when the
    caller knows it, is the number of triples the store holds after the change. The file goes past the
    page cache when ``direct`` (see :data:`dreamgraph.files.PATCHED_PAST_CACHE`).

    The file is written beside the old one in a thread of its own (writing lets go of Python's lock) while
    the store is changed and ``extra(digest)`` makes the files kept beside it, and renamed into place after
    the store folder, as :func:`write_and_load_store_folder` does: a failure leaves the old file with the
    old store.

    The copy is a RocksDB checkpoint (its files are hard links to the old store's, which never change),
    so it costs little however large the store, and readers of the old store are never disturbed.
    """
    from concurrent.futures import ThreadPoolExecutor

    target = replaced_file(turtle)

    def change(store: ox.Store) -> None:
        if remove or add:
            store.update("DELETE DATA {\n" + " .\n".join(remove) + "\n} ;\nINSERT DATA {\n" + " .\n".join(add) + "\n}")

    with ThreadPoolExecutor(1) as pool:
        written = pool.submit(_write_beside, target, pieces, direct=direct)
        try:
            _new_store_folder(folder, change, written.result, (lambda: extra(layout[0])) if extra else None,
                              layout[0], copy=True, triples=triples, starts=layout[1])
        except BaseException:
            pool.shutdown(wait=True)  # the file written (or not): removed, the old one stays
            if written.exception() is None:
                written.result().unlink(missing_ok=True)
            raise
    _put_in_place(written.result(), target)


def _new_store_folder(folder: Path, fill, turtle: Path | Callable[[], Path], extra: Extra,
                      digest: str | Callable[[], str], copy: bool = False, count: bool = False,
                      triples: int = -1, starts: list[int] | None = None,
                      streamed: StreamedLoad | None = None) -> int:
    """Make a store in a temporary folder beside ``folder`` (empty, or a copy of it), let ``fill`` change
    it, stamp it with the Turtle file it now matches (and its number of triples: counted when ``count``,
    else ``triples`` if known), and rename it into place, so that a reader or a crash sees the old store
    or the new one. Returns the number of triples when ``count``, else -1.

    The store is copied, opened and filled in a thread of its own (Oxigraph lets go of Python's lock
    while it copies, opens and loads: the copy and the opening alone took 0.05-0.09 s at 10,000 articles),
    so the ``extra`` files are made meanwhile; ``turtle`` (the file whose size and time the stamp records)
    and ``digest`` (its SHA-256, or its pieces' digest with where they ``starts``: see
    :func:`_write_stamp`) may be functions, called after both. A ``streamed`` load (ended) gives the store
    and its folder instead: ``fill`` changes it once loaded."""
    from concurrent.futures import ThreadPoolExecutor

    tmp = streamed.tmp if streamed else Path(tempfile.mkdtemp(dir=folder.parent, prefix=f"{folder.name}.",
                                                                suffix=".tmp"))
    store = None

    def filled_store() -> ox.Store:
        if streamed:
            opened = streamed.loading.result()
        else:
            if copy:
                ox.Store.read_only(str(folder / "oxigraph")).backup(str(tmp / "oxigraph"))
            opened = ox.Store(str(tmp / "oxigraph"))
        fill(opened)
        return opened

    try:
        with ThreadPoolExecutor(1) as pool:
            filling = pool.submit(filled_store)
            extra = extra() if callable(extra) else extra
            store = filling.result()
        store.flush()
        triples = len(store) if count else triples
        store = filling = None  # closed (the future held it too): the folder is renamed below
        if streamed:
            streamed.loading = None
        # one at a time: made lazily, a file's bytes are freed once written; each flushed to disk in a thread
        # while the next is made (nobody sees the folder before it is renamed, after the last flush)
        with ThreadPoolExecutor(1) as syncing:
            # first the engine's own new files: it leaves some to the system to write back (a compaction's
            # output, 60 MB at 10,000 articles), which then made a later build's flushes wait a second
            flushed = [syncing.submit(_sync_file, path) for path in _own_files(tmp / "oxigraph")]
            for name, data in (extra.items() if isinstance(extra, dict) else extra or ()):
                if isinstance(data, Path):  # a file of the old folder, never changed in place, or one made for it
                    _link_or_copy(data, tmp / name)
                    flushed.append(syncing.submit(_sync_file, tmp / name))  # an old folder's: on disk, no cost
                else:
                    flushed.append(syncing.submit(sync_and_close, write_unsynced(tmp / name, data)))
            for done in flushed:
                done.result()
        _write_stamp(tmp, turtle() if callable(turtle) else turtle, digest() if callable(digest) else digest,
                     triples, starts)
        if folder.exists():  # retired: the next build removes it (see retired_folders)
            os.replace(folder, folder.with_name(folder.name + RETIRED + tmp.name[len(folder.name):-len(".tmp")]))
        os.replace(tmp, folder)
        if streamed:
            streamed.used = True
        return triples if count else -1
    except BaseException as exc:
        # the error's frames (and the future, once the thread opened it) hold the half-made store, and its
        # open files, for as long as the error lives
        store = filling = None  # noqa: F841
        traceback.clear_frames(exc.__traceback__)
        if streamed:
            streamed.abort()  # the load ended first
        shutil.rmtree(tmp, ignore_errors=True)
        raise


RETIRED = ".old"  # a store folder replaced by a new one is renamed FOLDER.old.* (the new one's FOLDER.*.tmp)


def retired_folders(folder: Path) -> list[Path]:
    """Return the store folders that replaced versions of ``folder`` were renamed to, for the next build to
    remove (holding the graph folder's lock; in the background: see :func:`dreamgraph.build.remove_leftovers`).
    A build that removed the folder it replaced paid, as it exited, for the files it still mapped (freeing
    their blocks and pages: 0.06 s of a text edit's rebuild at 10,000 articles); left, they cost nothing
    then."""
    return sorted(folder.parent.glob(f"{glob.escape(folder.name)}{RETIRED}*"))


def _own_files(folder: Path) -> list[Path]:
    """Return the files of a store's folder that are its own: not hard links to the files of the store it
    was copied from (see :func:`update_store_folder`), which are on disk already."""
    return sorted(Path(entry.path) for entry in os.scandir(folder)
                  if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_nlink == 1)


def _sync_file(path: Path) -> None:
    """Flush a file's bytes to disk."""
    sync_and_close(os.open(path, os.O_RDONLY))


def _link_or_copy(source: Path, target: Path) -> None:
    """Give ``target`` the bytes of ``source``: a hard link to it, or a copy where links cannot be made."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def store_is_current(turtle: Path, folder: Path) -> bool:
    """Return True when the store folder was loaded from the Turtle file as it is now."""
    stamp = _read_stamp(folder)
    if not stamp:
        return False
    stat = turtle.stat()
    if stamp.get("size") == stat.st_size and stamp.get("mtime_ns") == stat.st_mtime_ns:
        return True
    digest = stamp.get("sha256")
    if isinstance(digest, str) and digest.startswith(PIECES):  # a file touched, copied, checked out again
        starts = _read_starts(folder)
        return starts is not None and file_pieces_digest(turtle, starts) == digest
    return digest == file_digest(turtle)


def open_embedded(graph_dir: str | os.PathLike) -> OxigraphStore:
    """Return the embedded store of a graph folder, reloaded from ``dreamgraph.ttl`` first when it is
    missing or out of date (see :func:`dreamgraph.connect.open_store` for the store a command reads)."""
    graph_dir = Path(graph_dir)
    turtle = graph_dir / GRAPH_FILE
    if not turtle.is_file():
        raise GraphNotBuiltError(f"no graph in {graph_dir}/: run `dreamgraph build` first")
    folder = graph_dir / STORE_DIR
    if not store_is_current(turtle, folder):
        if not os.access(graph_dir, os.W_OK):
            return _store_in_memory(turtle)  # a read-only folder: read the Turtle, keep nothing
        _reload(turtle, folder, graph_dir)
    try:
        return OxigraphStore(ox.Store.read_only(str(folder / "oxigraph")), folder)
    except (OSError, RuntimeError):  # RocksDB reports corruption as RuntimeError
        if not os.access(graph_dir, os.W_OK):
            return _store_in_memory(turtle)
    # A store left damaged (a process killed while writing it, a disk error): rebuild it from the Turtle once.
    _reload(turtle, folder, graph_dir, force=True)
    try:
        return OxigraphStore(ox.Store.read_only(str(folder / "oxigraph")), folder)
    except (OSError, RuntimeError) as exc:
        raise DreamgraphError(
            f"the store in {folder} cannot be opened ({exc}); delete that folder and run the command again "
            f"to rebuild it from {turtle}") from None


def _store_in_memory(turtle: Path) -> "OxigraphStore":
    """Return a store loaded into memory from the Turtle file: for a graph folder that cannot be written,
    where the store on disk is missing or out of date and cannot be made again."""
    store = ox.Store()
    try:
        store.bulk_load(path=str(turtle), format=ox.RdfFormat.TURTLE)
    except (OSError, SyntaxError) as exc:
        raise DreamgraphError(f"cannot load {turtle}: {exc}") from None
    return OxigraphStore(store, None)


def _reload(turtle: Path, folder: Path, graph_dir: Path, force: bool = False) -> None:
    """Rebuild the store folder from the Turtle file under the graph folder's lock."""
    from filelock import FileLock, Timeout

    try:
        with FileLock(str(graph_dir / LOCK_FILE), timeout=120):
            if force or not store_is_current(turtle, folder):
                load_store_folder(turtle, folder)
    except Timeout:
        raise DreamgraphError(f"{graph_dir} is locked by another dreamgraph process") from None
    except (OSError, SyntaxError) as exc:
        raise DreamgraphError(f"cannot load {turtle}: {exc}") from None
