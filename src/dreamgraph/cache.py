"""What a build keeps between builds: each article's parse, Turtle and SHACL verdict, keyed by what it
depends on and by the code that made it, in one SQLite file.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Iterator

import lz4.frame

from .errors import DreamgraphError

CACHE_DIR = ".cache"
_SCHEMA = "(kind TEXT NOT NULL, key TEXT NOT NULL, value BLOB, PRIMARY KEY (kind, key))"
# How many entries each kind holds, kept by SQLite itself as entries come and go (an INSERT OR REPLACE
# counts as the delete and the insert it is, with recursive_triggers on): a build's tail asks it rather
# than counting the kind's keys, which this project's machines read from the disk each time (at 100,000
# articles 0.18 s a kind, 0.55 s of a one-change rebuild)
_COUNTS = """
CREATE TABLE counts (kind TEXT PRIMARY KEY, n INTEGER NOT NULL);
INSERT INTO counts SELECT kind, COUNT(*) FROM entries GROUP BY kind;
CREATE TRIGGER counted_in AFTER INSERT ON entries BEGIN
    INSERT INTO counts VALUES (NEW.kind, 1) ON CONFLICT (kind) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER counted_out AFTER DELETE ON entries BEGIN
    UPDATE counts SET n = n - 1 WHERE kind = OLD.kind;
END;
"""


# the files whose code makes what the cache keeps (every module the per-file work runs: a test holds this
# list to it) and the shapes; igraphcore.py too, whose finder takes part in every import once igraph's core loaded
VERSIONED = ("parse.py", "pages.py", "article.py", "slugs.py", "triples.py", "vocabulary.py", "library.py",
             "compile.py", "build.py", "cache.py", "validate.py", "snapshot/__init__.py", "snapshot/texts.py",
             "data/shapes.ttl", "igraphcore.py")


def _code_version() -> str:
    """Return a fingerprint of the parser's code and the shapes, so caches from older code are not reused."""
    from importlib import resources

    digest = hashlib.sha256()
    for name in VERSIONED:
        digest.update(resources.files("dreamgraph").joinpath(name).read_bytes())
    return digest.hexdigest()[:16]


def key_of(version: str, *parts: str | bytes) -> str:
    """Return the key of an entry made from ``parts`` by the code of ``version`` (see :meth:`Cache.key`: a
    worker process makes its files' keys with this, knowing the version)."""
    digest = hashlib.sha256(version.encode())
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


class Cache:
    """Per-article results kept between builds in GRAPH_DIR/.cache/entries.sqlite, keyed by a hash of what
    they depend on (and of the code that made them), so unchanged articles are not worked on again.

    One SQLite file rather than a file per entry: tens of thousands of small files cost more to open
    than to compute. An entry that cannot be read (an older format, a damaged file) is simply a miss.

    >>> cache = Cache(None)            # no folder: nothing is kept
    >>> cache.put("article", cache.key("text"), 1); cache.get("article", cache.key("text")) is None
    True
    """

    FILE = "entries.sqlite"
    # what builds keep (per file: its parse, its Turtle, its articles' bodies; SHACL verdicts; the file index;
    # the code version the entries were made by); other kinds are older
    KINDS = ("article", "turtle", "body", "shacl", "files", "version")
    # the kinds whose keys do not hold the code version (a SHACL verdict's key is its structure's, checked
    # against the shapes): carried into a fresh file when the code changes
    ACROSS_VERSIONS = ("shacl",)
    FEW = 2000  # up to this many keys, get_many looks them up rather than reading the kind's entries
    MAPPED = 1 << 40  # get_many's pass maps the whole file (SQLite maps at most its own limit, 2 GB here)

    def __init__(self, folder: Path | None):
        self.folder, self.used = folder, defaultdict(set)
        self.stale: set[str] = set()  # keys the caller knows no build will use again (see prune)
        self.version = _code_version()
        self._db: sqlite3.Connection | None = None

    def key(self, *parts: str | bytes) -> str:
        return key_of(self.version, *parts)

    def holds(self, kind: str) -> bool:
        """Return True when the cache keeps an entry of ``kind`` (False when it cannot be read)."""
        db = self._connect()
        try:
            return db is not None and db.execute("SELECT 1 FROM entries WHERE kind = ? LIMIT 1",
                                                 (kind,)).fetchone() is not None
        except sqlite3.DatabaseError:
            return False

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is None and self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / self.FILE
            for _ in range(2):
                db = None
                try:
                    db = self._open(path)
                    if self._version_of(db) != self.version:
                        db = self._started_afresh(db, path)
                    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'counts'").fetchone() is None:
                        db.executescript(f"BEGIN; {_COUNTS} COMMIT;")  # a file of older code: counted once
                    self._db = db
                    break
                except sqlite3.DatabaseError:  # not a database any more: start again with an empty cache
                    if db is not None:
                        db.close()
                    path.unlink(missing_ok=True)
        return self._db

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, check_same_thread=False)  # (one thread at a time: a patch saves in another)
        try:
            db.execute("PRAGMA synchronous = NORMAL")  # a cache: losing the last entries costs a rebuild
            db.execute("PRAGMA recursive_triggers = ON")  # a replaced entry's delete is counted too
            db.execute(f"CREATE TABLE IF NOT EXISTS entries {_SCHEMA}")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _version_of(self, db: sqlite3.Connection) -> str | None:
        row = db.execute("SELECT value FROM entries WHERE kind = 'version' AND key = 'code'").fetchone()
        return row[0].decode("ascii", "replace") if row is not None and isinstance(row[0], bytes) else None

    def _started_afresh(self, db: sqlite3.Connection, path: Path) -> sqlite3.Connection:
        """Return the cache in a new file holding only the entries other code can use (``ACROSS_VERSIONS``)
        and the code version, in place of one whose other entries were made by other code and can never be
        read again (their keys hold the version). Dropping them row by row was the cost: at 100,000
        articles, the first build after an upgrade spent 19.5 s deleting the old entries."""
        across = f"({', '.join('?' * len(self.ACROSS_VERSIONS))})"
        if db.execute(f"SELECT 1 FROM entries WHERE kind NOT IN {across} LIMIT 1", self.ACROSS_VERSIONS).fetchone():
            # (a file holding nothing else, a new one say, is as good as a fresh one)
            fresh = path.with_name("fresh.sqlite")  # not FILE: a build stopped here leaves it for remove_leftovers
            fresh.unlink(missing_ok=True)
            db.execute("ATTACH DATABASE ? AS fresh", (str(fresh),))
            db.execute(f"CREATE TABLE fresh.entries {_SCHEMA}")
            db.execute(f"INSERT INTO fresh.entries SELECT * FROM entries WHERE kind IN {across}", self.ACROSS_VERSIONS)
            db.commit()
            db.close()
            os.replace(fresh, path)
            db = self._open(path)
        db.execute("INSERT OR REPLACE INTO entries VALUES ('version', 'code', ?)", (self.version.encode("ascii"),))
        db.commit()
        return db

    @staticmethod
    def pack(value) -> bytes:
        """Return a value as the cache stores it: pickled, then compressed (see :meth:`compress`)."""
        return Cache.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    @staticmethod
    def compress(pickled: bytes) -> bytes:
        """Return a value's pickle as the cache stores it: LZ4-compressed (Turtle text shrinks about
        threefold, and writing a large library's cache is mostly disk time; LZ4 costs the workers 0.02 ms
        an article, zlib 0.14 ms, and the next build unpacks it in a quarter of zlib's time)."""
        return lz4.frame.compress(pickled)

    @staticmethod
    def unpack(data: bytes):
        return pickle.loads(lz4.frame.decompress(data))

    def get(self, kind: str, key: str):
        db = self._connect()
        if db is None:
            return None
        try:
            row = db.execute("SELECT value FROM entries WHERE kind = ? AND key = ?", (kind, key)).fetchone()
            value = None if row is None else self.unpack(row[0])
        except Exception:
            return None
        if value is not None:
            self.used[kind].add(key)
        return value

    def get_many(self, kind: str, keys: Iterable[str]) -> Iterator[tuple[str, object]]:
        """Yield (key, value) for those of ``keys`` that have a value kept: for many keys, one pass over the
        kind's entries (a lookup each cost 0.2 s at 10,000 articles), for a few, looked up 500 at a time.
        Each value is unpacked as it is reached, so the caller can put it away before the next (unpacked all
        at once, a large library's cache is gigabytes)."""
        db, wanted = self._connect(), set(keys)
        if db is None:
            return
        passed = len(wanted) > self.FEW
        if not passed:  # looked up by key: a pass would read every entry of the kind
            chosen = sorted(wanted)
            batches = [chosen[start:start + 500] for start in range(0, len(chosen), 500)]
            rows = (row for batch in batches for row in db.execute(
                f"SELECT key, value FROM entries WHERE kind = ? AND key IN ({', '.join('?' * len(batch))})",
                (kind, *batch)))
        else:
            # read through a mapping of the file: a kind's entries lie among the others' in the order they
            # were put, and SQLite's page-by-page reads in key order defeat the system's read-ahead, which a
            # mapping's page faults get (100,000 articles' heads from a file not in the page cache: 8.9 s
            # read page by page, 1.1 s mapped); the mapping is let go of after the pass
            db.execute(f"PRAGMA mmap_size = {self.MAPPED}")
            rows = db.execute("SELECT key, value FROM entries WHERE kind = ?", (kind,))
        try:
            for key, data in rows:
                if key in wanted:
                    try:
                        value = self.unpack(data)
                    except Exception:  # damaged or older: a miss
                        continue
                    self.used[kind].add(key)
                    yield key, value
        except sqlite3.DatabaseError:  # not a database any more: what was read is used
            return
        finally:
            if passed:
                try:
                    rows.close()
                    db.execute("PRAGMA mmap_size = 0")
                except sqlite3.Error:  # the cache closed before the pass ended: nothing is mapped any more
                    pass

    def body(self, key: str, place: int) -> bytes:
        """Return the body of the article at ``place`` in a file's ``body`` entry (see
        :meth:`dreamgraph.article.Article.attach`); an entry lost since the build began is an error."""
        bodies = self.get("body", key)
        if not isinstance(bodies, list) or place >= len(bodies) or bodies[place] is None:
            raise DreamgraphError(f"the build cache lost an article's texts: remove {self.folder} and build again")
        return bodies[place]

    def touch(self, kind: str, key: str) -> None:
        """Keep an entry this build did not read (see :meth:`prune`)."""
        self.used[kind].add(key)

    def forget(self, keys: Iterable[str]) -> None:
        """Count entries read so far as not used by this build after all (see :meth:`prune`)."""
        keys = set(keys)
        for used in self.used.values():
            used -= keys

    def put(self, kind: str, key: str, value, packed: bytes | None = None) -> None:
        """Keep ``value`` (given already packed, see :meth:`pack`, when the caller has it so)."""
        db = self._connect()
        if db is None:
            return
        data = packed if packed is not None else self.pack(value)
        db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", (kind, key, data))
        self.used[kind].add(key)

    def prune(self, kinds: Iterable[str] | None = None) -> None:
        """Save this build's entries and drop those it did not use (articles removed or changed), in the
        kinds it used (a build with --no-validate keeps the SHACL results for the next one), and every entry
        of a kind no build keeps any more.

        The ``stale`` keys (those of the files that changed or went since the last build, which the build
        knows) are dropped first; a kind then holding as many entries as this build used is left as it is,
        and only one with more (left by a build that was stopped, say) is compared with every key used
        (1.9 s of a rebuild of 100,000 articles). With ``kinds``, only entries of those kinds are dropped (a
        build that checked a few structures' shapes keeps the verdicts of the others: see
        :mod:`dreamgraph.patch`)."""
        db = self._connect()
        if db is None:
            return
        db.execute(f"DELETE FROM entries WHERE kind NOT IN ({', '.join('?' * len(self.KINDS))})", self.KINDS)
        for kind, keys in self.used.items():
            if kinds is not None and kind not in kinds:
                continue
            db.executemany("DELETE FROM entries WHERE kind = ? AND key = ?",
                           ((kind, key) for key in sorted(self.stale - keys)))
            if self._count(db, kind) != len(keys):
                self._keep_only(db, kind, keys)
        db.commit()

    def drop(self, kinds: Iterable[str], gone: Iterable[str], kept: set[str]) -> None:
        """Drop the entries of the keys ``gone`` in these kinds and save this build's, for a build that knows
        every key it no longer needs (a patch: the edited files' old entries; see :mod:`dreamgraph.patch`)
        and the keys it keeps, ``kept``: a kind holding more entries than those (some left by a build that
        was stopped) keeps those alone. Where :meth:`prune` is told of every key used, 0.3-0.4 s at 100,000
        articles."""
        db = self._connect()
        if db is None:
            return
        kinds, gone = tuple(kinds), sorted(set(gone))  # once: an iterator of keys serves every kind
        db.executemany("DELETE FROM entries WHERE kind = ? AND key = ?",
                       ((kind, key) for kind in kinds for key in gone))
        for kind in kinds:
            if self._count(db, kind) > len(kept):
                self._keep_only(db, kind, kept)
        db.commit()

    @staticmethod
    def _count(db: sqlite3.Connection, kind: str) -> int:
        """Return how many entries of ``kind`` the cache holds (kept by its triggers: see ``_COUNTS``)."""
        row = db.execute("SELECT n FROM counts WHERE kind = ?", (kind,)).fetchone()
        return 0 if row is None else row[0]

    @staticmethod
    def _keep_only(db: sqlite3.Connection, kind: str, keys: Iterable[str]) -> None:
        db.execute("CREATE TEMP TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY)")
        db.execute("DELETE FROM used")
        db.executemany("INSERT OR IGNORE INTO used VALUES (?)", ((k,) for k in keys))
        db.execute("DELETE FROM entries WHERE kind = ? AND key NOT IN (SELECT key FROM used)", (kind,))
        # counted again while at it: a count written by other means (a file edited by hand) is put right here
        db.execute("INSERT OR REPLACE INTO counts VALUES (?, (SELECT COUNT(*) FROM entries WHERE kind = ?))",
                   (kind, kind))

    def keys(self, kind: str) -> set[str]:
        """Return the keys kept for a kind."""
        db = self._connect()
        return set() if db is None else {k for (k,) in db.execute("SELECT key FROM entries WHERE kind = ?", (kind,))}

    def close(self) -> None:
        if self._db is not None:
            self._db.commit()
            self._db.close()
            self._db = None
