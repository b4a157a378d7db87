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

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pyoxigraph as ox

from .errors import DreamgraphError, GraphNotBuiltError, QueryError
from .vocabulary import PREFIXES

GRAPH_FILE = "dreamgraph.ttl"
STORE_DIR = ".store"
STAMP_FILE = "loaded-from.json"
LOCK_FILE = ".lock"


class IRI(str):
    """An IRI in a query result (a ``str``, so it compares and sorts as text)."""

    def __repr__(self) -> str:
        return f"IRI({str.__repr__(self)})"


class TypedLiteral(str):
    """A literal with a datatype that has no plain Python counterpart."""

    datatype: str = ""


# --- atomic files ----------------------------------------------------------------------------------

def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers and crashes see the old file or the new one, never a mix.

    The bytes go to a temporary file in the same folder, are flushed to disk and renamed over ``path``.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "g.ttl"
    >>> atomic_write(target, b"new"); target.read_bytes()
    b'new'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~_umask())  # mkstemp makes 0600; keep the usual mode
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_digest(path: Path) -> str:
    """Return the SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- terms and rows --------------------------------------------------------------------------------

_XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMERIC = {_XSD + name for name in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger")}


def python_value(term):
    """Return a pyoxigraph term as a plain Python value: IRI, str, int, float, bool or TypedLiteral."""
    if isinstance(term, ox.NamedNode):
        return IRI(term.value)
    if isinstance(term, ox.BlankNode):
        return IRI("_:" + term.value)
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        if datatype in _NUMERIC:
            return int(term.value)
        if datatype == _XSD + "boolean":
            return term.value in ("true", "1")
        if datatype in (_XSD + "double", _XSD + "float", _XSD + "decimal"):
            return float(term.value)
        if datatype in (_XSD + "string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"):
            return term.value
        typed = TypedLiteral(term.value)
        typed.datatype = datatype
        return typed
    return None if term is None else str(term)


def oxigraph_term(value) -> ox.NamedNode | ox.Literal:
    """Return a Python value as a pyoxigraph term (an IRI stays an IRI, text becomes a literal)."""
    if isinstance(value, IRI):
        return ox.NamedNode(value)
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode(_XSD + "boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode(_XSD + "integer"))
    return ox.Literal(str(value))


# --- the store interface ---------------------------------------------------------------------------

class Store:
    """A read-only view of a built graph that answers SPARQL.

    ``bindings`` are substituted as RDF terms, never pasted into the query text.
    """

    def raw_query(self, query: str, bindings: dict | None = None):
        """Return the engine's own result for a query (pyoxigraph result objects).

        A bound variable must appear in the SELECT clause (Oxigraph substitutes it there too).
        """
        raise NotImplementedError

    def select(self, query: str, bindings: dict | None = None) -> list[dict]:
        """Return the rows of a SELECT query as dicts of plain Python values (unbound variables left out)."""
        result = self.raw_query(query, bindings)
        names = [v.value for v in result.variables]
        return [{name: python_value(row[name]) for name in names if row[name] is not None} for row in result]

    def ask(self, query: str, bindings: dict | None = None) -> bool:
        """Return the answer of an ASK query."""
        return bool(self.raw_query(query, bindings))


class OxigraphStore(Store):
    """An Oxigraph store, in memory or opened read-only from a folder on disk."""

    def __init__(self, store: ox.Store, location: Path | None = None):
        self._store, self.location = store, location

    def raw_query(self, query: str, bindings: dict | None = None):
        substitutions = {ox.Variable(k): oxigraph_term(v) for k, v in (bindings or {}).items()}
        try:
            return self._store.query(query, prefixes=PREFIXES, substitutions=substitutions or None)
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}") from None
        except RuntimeError as exc:
            raise QueryError(f"query failed: {exc}") from None
        except OSError as exc:
            raise DreamgraphError(f"cannot read the store {self.location}: {exc}") from None

    def __len__(self) -> int:
        return len(self._store)

    def triples(self) -> Iterator[tuple]:
        """Yield every triple of the default graph as pyoxigraph terms."""
        for quad in self._store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
            yield quad.subject, quad.predicate, quad.object


class MemoryStore(OxigraphStore):
    """An in-memory Oxigraph store, for tests and notebooks."""

    @classmethod
    def from_turtle(cls, data: bytes) -> "MemoryStore":
        """Return a store holding the triples of a Turtle document."""
        store = ox.Store()
        store.bulk_load(data, ox.RdfFormat.TURTLE)
        return cls(store)


def load_store_folder(turtle: Path, folder: Path) -> None:
    """(Re)build the on-disk Oxigraph store ``folder`` from a Turtle file, replacing it atomically.

    The new store is loaded into a temporary folder beside it and renamed into place, so a reader or
    a crash sees the old store or the new one.
    """
    digest = file_digest(turtle)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f"{folder.name}.", suffix=".tmp"))
    try:
        store = ox.Store(str(tmp / "oxigraph"))
        store.bulk_load(path=str(turtle), format=ox.RdfFormat.TURTLE)
        store.flush()
        del store
        stat = turtle.stat()
        stamp = {"sha256": digest, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        atomic_write(tmp / STAMP_FILE, json.dumps(stamp).encode())
        old = folder.with_name(folder.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        if folder.exists():
            os.replace(folder, old)
        os.replace(tmp, folder)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def store_is_current(turtle: Path, folder: Path) -> bool:
    """Return True when the store folder was loaded from the Turtle file as it is now."""
    try:
        stamp = json.loads((folder / STAMP_FILE).read_text())
    except (OSError, ValueError):
        return False
    stat = turtle.stat()
    if stamp.get("size") == stat.st_size and stamp.get("mtime_ns") == stat.st_mtime_ns:
        return True
    return stamp.get("sha256") == file_digest(turtle)


def open_store(graph_dir: str | os.PathLike, endpoint: str | None = None) -> Store:
    """Return the store every read command uses: a remote endpoint if given, else the embedded store.

    The embedded store is reloaded from ``dreamgraph.ttl`` first when it is missing or out of date.
    """
    if endpoint:
        from .remote import RemoteStore

        return RemoteStore(endpoint)
    graph_dir = Path(graph_dir)
    turtle = graph_dir / GRAPH_FILE
    if not turtle.is_file():
        raise GraphNotBuiltError(f"no graph in {graph_dir}/: run `dreamgraph build` first")
    folder = graph_dir / STORE_DIR
    if not store_is_current(turtle, folder):
        from filelock import FileLock, Timeout

        try:
            with FileLock(str(graph_dir / LOCK_FILE), timeout=120):
                if not store_is_current(turtle, folder):
                    load_store_folder(turtle, folder)
        except Timeout:
            raise DreamgraphError(f"{graph_dir} is locked by another dreamgraph process") from None
        except (OSError, SyntaxError) as exc:
            raise DreamgraphError(f"cannot load {turtle}: {exc}") from None
    try:
        return OxigraphStore(ox.Store.read_only(str(folder / "oxigraph")), folder)
    except OSError as exc:
        raise DreamgraphError(
            f"the store in {folder} cannot be opened ({exc}); delete that folder and it is rebuilt "
            f"from {turtle}") from None
