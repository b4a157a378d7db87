"""Files written whole or not at all, their digests, and pausing the garbage collector for bulk work.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
>>> atomic_write(path, [b"one ", b"two"]); path.read_bytes()
b'one two'
"""

from __future__ import annotations

import contextlib
import errno
import gc
import hashlib
import itertools
import os
import pickle
import signal
import stat
import sys
import tempfile
import threading
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator


@contextlib.contextmanager
def paused_gc():
    """Pause Python's cyclic garbage collector while making many objects at once (loading a large
    pickle, building a graph of a hundred thousand dreams): it would otherwise walk them again and again,
    which costs more than making them. Reference counting still frees everything; nothing made here has
    cycles that need the collector."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_LEFT_FOR_EXIT: list | None = None  # a list when the process ends without tearing down (see end_without_teardown)


def end_without_teardown() -> None:
    """Say that this process ends with ``os._exit`` once its one command is done (the ``dreamgraph`` program,
    :func:`dreamgraph.cli.run`): from then on :func:`leave_for_exit` keeps what it is given."""
    global _LEFT_FOR_EXIT
    _LEFT_FOR_EXIT = []


def leave_for_exit(*objects) -> None:
    """Keep large objects alive until the process ends, when it ends without tearing down: freeing a
    build's parsed library one object at a time as the build returned took 0.15-0.17 s at 10,000 articles,
    for a process about to end. Elsewhere (a notebook, a test, a program using the library) this does nothing and
    the objects are freed as usual."""
    if _LEFT_FOR_EXIT is not None:
        _LEFT_FOR_EXIT.extend(objects)


def let_go_of_the_left() -> None:
    """Free what :func:`leave_for_exit` kept: for a process that stays up after a build (see
    :mod:`dreamgraph.watch`), whose next build would otherwise keep this one's structures too."""
    if _LEFT_FOR_EXIT:
        _LEFT_FOR_EXIT.clear()


def atomic_write(path: str | os.PathLike, data: bytes | Iterable[bytes]) -> None:
    """Write ``data`` (bytes, or pieces of bytes written one after the other) to ``path`` so that readers
    and crashes see the old file or the new one, never a mix.

    The bytes go to a temporary file in the same folder, are flushed to disk and renamed over ``path``.
    A symbolic link stays: the file it points to is the one replaced. A target that is not a regular file
    (a FIFO, a device such as ``/dev/stdout``, a socket) is written through, never replaced.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "g.ttl"
    >>> atomic_write(target, b"new"); target.read_bytes()
    b'new'
    """
    path = Path(path)
    try:
        kind = os.stat(path).st_mode  # follows links: what a write would reach
    except FileNotFoundError:
        kind = None
    if kind is not None and not stat.S_ISREG(kind):
        if stat.S_ISDIR(kind):
            raise IsADirectoryError(f"{path} is a folder, not a file")
        _write_through(path, data)
        return
    path = replaced_file(path)
    _put_in_place(_write_beside(path, data), path)


def replaced_file(path: Path) -> Path:
    """Return the file a write of ``path`` replaces: the file a symbolic link points to (the link stays a
    link), else ``path`` itself."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def write_unsynced(path: Path, data: bytes | bytearray | memoryview | Iterable[bytes]) -> int:
    """Write ``data`` to a new file ``path`` in a folder no reader sees yet, and return its descriptor, still
    open: the caller flushes it to disk with :func:`sync_and_close` (in a thread, while it writes the next
    file) before the folder is renamed into place. The file is removed when writing fails. A file of
    :data:`CACHED_BYTES` or more goes past the page cache where the system allows it (see
    :func:`write_direct`); a smaller one through it, where the next build reads it (at 10,000 articles,
    reading back the tables a patch wrote past the cache took 0.04-0.07 s). Pieces that are made as they
    are written (an iterator: each piece its own bytes) are gathered up to that size before it is known
    which: the small tables a patch copies were written past the cache, each write padded and the file cut
    back, 0.19 s of a text edit's 1.2 s at 10,000 articles."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    pieces = [data] if isinstance(data, (bytes, bytearray, memoryview)) else data
    try:
        pieces, rest = (pieces, None) if isinstance(pieces, list) else _gathered(pieces, CACHED_BYTES)
        if rest is None and sum(memoryview(piece).nbytes for piece in pieces) < CACHED_BYTES:
            for piece in pieces:  # small: through the page cache, where the next build reads it
                view = memoryview(piece).cast("B")
                while view:
                    view = view[os.write(fd, view):]
        else:
            write_direct(fd, pieces if rest is None else itertools.chain(pieces, rest))
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    return fd


def _gathered(pieces: Iterable[bytes], size: int) -> tuple[list[bytes], Iterator[bytes] | None]:
    """Return the first of ``pieces`` until they come to ``size`` bytes, and the rest (None when there is
    none left).

    >>> _gathered(iter([b"ab", b"c"]), 10), _gathered(iter([b"ab", b"cd", b"e"]), 3)[0]
    (([b'ab', b'c'], None), [b'ab', b'cd'])
    """
    gathered, total, rest = [], 0, iter(pieces)
    for piece in rest:
        gathered.append(piece)
        total += memoryview(piece).nbytes
        if total >= size:
            return gathered, rest
    return gathered, None


def sync_and_close(fd: int) -> None:
    """Flush a file written by :func:`write_unsynced` to disk and close it."""
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temporary_file(folder: Path, name: str) -> tuple[BinaryIO, Path]:
    """Open a new file in ``folder`` for writing, named as a build's temporary files are (``.NAME.*.tmp``,
    removed with them when a build was killed) and with the mode of the files it writes; return it and its
    path.

    >>> import tempfile, pathlib
    >>> handle, path = temporary_file(pathlib.Path(tempfile.mkdtemp()), "texts")
    >>> handle.close(); path.name.startswith(".texts.") and path.name.endswith(".tmp")
    True
    """
    fd, name = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600
    return os.fdopen(fd, "wb"), Path(name)


def _write_through(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Write ``data`` into a FIFO or a device as it comes (there is nothing to rename over)."""
    with open(path, "wb") as handle:
        for piece in [data] if isinstance(data, bytes) else data:
            handle.write(piece)


def _write_beside(path: Path, data: bytes | Iterable[bytes], direct: bool = False) -> Path:
    """Write ``data`` to a new temporary file beside ``path``, flushed to disk, and return its path (it is
    removed again when writing fails). With ``direct``, the bytes go past the page cache where the system
    allows it (see :func:`write_direct`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = temporary_file(path.parent, path.name)
    try:
        with handle:
            if direct:
                write_direct(handle.fileno(), [data] if isinstance(data, bytes) else data)
            elif isinstance(data, bytes):
                handle.write(data)
            else:
                for piece in data:
                    handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        return tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


DIRECT_CHUNK = 8 << 20  # bytes written at a time past the page cache
CACHED_BYTES = 64 << 20  # a store folder's file smaller than this is written through the page cache (see
# write_unsynced): the kept tables of 100,000 articles are 35 MB at most, the graph file 1.5 GB
DIRECT_BLOCK = 4096  # what a write past the page cache is a multiple of, in length and place
GRAPH_PAST_CACHE = 1 << 30  # a graph file of this many bytes or more that a whole build writes is written
# past the page cache; a smaller one through it, where the next build reads it back. Written and flushed to
# disk on a machine of this project's, 126 MB (10,000 articles) took 0.19 s through the cache against 0.35 s
# past it, 300 MB 0.43-0.47 s against 0.51-0.79 s, 600 MB 0.89-0.97 s against 1.19-1.47 s, 1.28 GB 2.4-3.3 s
# against 2.0-3.2 s (and 1.4 GB 9-17 s against 1.1 s on an earlier machine type, in a build's large process)
PATCHED_PAST_CACHE = GRAPH_PAST_CACHE  # the same for a graph file a patch writes. Through the cache, a 1.28
# GB file (100,000 articles) went into memory the machine had to hand over afresh (the last file's, freed),
# at 0.15-0.4 GB/s, with the tables' work beside it: 2.4-7 s, the end of the patch waiting on it, the
# first after a full build most. Past it: 2.7-3.3 s, done before the tables. From the command line, in
# blocks (through / past): a text edit 5.0 / 4.3 s (medians of twelve), an article added or taken out 7.8 /
# 7.1 s, the first three added and taken out after a full build 8.3 / 7.0 s (6.4-8.3 s past, 7.4-9.4
# through). The thirty-fourth session, with other code around the write, measured the opposite (7.3
# against 9.6 s).
_CHUNKS = threading.local()


def write_direct(fd: int, pieces: Iterable[bytes]) -> int:
    """Write ``pieces`` to the empty file open as ``fd`` past the page cache (see :class:`PastCache`);
    return the number of bytes written.

    A graph file of 100,000 articles is 1.5 GB: written through the page cache on this project's machines
    (virtual ones, whose memory is handed over on first touch) it took 9-17 s, written past it 1.1 s.

    >>> import tempfile
    >>> with tempfile.TemporaryFile() as f:
    ...     n = write_direct(f.fileno(), [b"a" * 5000, b"b" * 10_000_000])
    ...     _ = f.seek(0); data = f.read()
    >>> n, len(data), data[4999:5001]
    (10005000, 10005000, b'ab')
    """
    writer = PastCache(fd)
    try:
        for piece in pieces:
            writer.write(piece)
    except BaseException:
        writer.finish(complete=False)
        raise
    return writer.finish()


class PastCache:
    """Writes to the empty file open as ``fd`` that go past the page cache (``O_DIRECT``: in aligned chunks
    of :data:`DIRECT_CHUNK` from a page-aligned buffer, the last padded and the file cut back to its
    length) where the system and the file system allow it, else as usual. One thread's writer at a time:
    each thread has one buffer."""

    def __init__(self, fd: int):
        import mmap

        self.fd = fd
        self.flags, self.direct = _past_cache(fd)
        if not hasattr(_CHUNKS, "chunk"):  # page-aligned, as O_DIRECT needs; made once (on a virtual machine,
            _CHUNKS.chunk = mmap.mmap(-1, DIRECT_CHUNK)  # fresh memory is slow to touch)
        self.view = memoryview(_CHUNKS.chunk)
        self.filled = self.written = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        piece = memoryview(data).cast("B")
        while piece:
            n = min(len(piece), DIRECT_CHUNK - self.filled)
            self.view[self.filled:self.filled + n] = piece[:n]
            self.filled, piece = self.filled + n, piece[n:]
            if self.filled == DIRECT_CHUNK:
                self._flush(self.filled)
                self.written, self.filled = self.written + self.filled, 0

    def _flush(self, length: int) -> None:
        out = self.view[:length]
        while out:
            try:
                out = out[os.write(self.fd, out):]
            except OSError:
                if not self.direct:
                    raise
                self.direct = _as_usual(self.fd, self.flags)  # refused past the cache: the rest as usual

    def finish(self, complete: bool = True) -> int:
        """Write what is left (unless the writing failed) and return the number of bytes written."""
        try:
            if complete and self.filled:
                padded = -(-self.filled // DIRECT_BLOCK) * DIRECT_BLOCK if self.direct else self.filled
                self.view[self.filled:padded] = bytes(padded - self.filled)
                self._flush(padded)
                self.written += self.filled
                os.ftruncate(self.fd, self.written)
        finally:
            self.view.release()
            if self.direct:
                self.direct = _as_usual(self.fd, self.flags)
        return self.written


class PastCacheReader:
    """Reads of the file open as ``fd`` past the page cache (``O_DIRECT``: the aligned blocks around a range
    into a page-aligned buffer of this thread's) where the system allows it, else as usual: a build
    reading a large file it wrote past the cache reads it at the disk's speed, not at the speed of fresh
    memory (a graph file of 100,000 articles: 1.2 s against 3.2 s; 490 MB of search texts took 2.5 s read
    through a mapping). :meth:`read` returns a view of the buffer, valid until this thread's next read.
    Not ``direct``: through the page cache (a file written through it: see :data:`GRAPH_PAST_CACHE`)."""

    def __init__(self, fd: int, direct: bool = True):
        self.fd = fd
        self.flags, self.direct = _past_cache(fd) if direct else (0, 0)

    def read(self, offset: int, length: int) -> memoryview:
        """Return the bytes ``offset:offset + length`` of the file."""
        import mmap

        while True:
            start = offset - offset % DIRECT_BLOCK if self.direct else offset
            size = -(-(offset + length - start) // DIRECT_BLOCK) * DIRECT_BLOCK if self.direct else length
            if getattr(_CHUNKS, "reading", None) is None or len(_CHUNKS.reading) < size:  # a smaller one is
                _CHUNKS.reading = mmap.mmap(-1, max(size, DIRECT_CHUNK + DIRECT_BLOCK))  # freed with its views
            buffer = memoryview(_CHUNKS.reading)[:size]
            got = 0
            try:
                while got < offset + length - start:
                    read = os.preadv(self.fd, [buffer[got:]], start + got)
                    if read <= 0:
                        raise EOFError(f"the file ends before {offset + length}")
                    got += read
            except OSError:
                if not self.direct:
                    raise
                self.direct = _as_usual(self.fd, self.flags)  # refused past the cache: as usual from now on
                continue
            return buffer[offset - start:offset - start + length]

    def close(self) -> None:
        """Leave the file as it was opened."""
        if self.direct:
            self.direct = _as_usual(self.fd, self.flags)


def _past_cache(fd: int) -> tuple[int, int]:
    """Set ``O_DIRECT`` on an open file where the system and the file system allow it (not tmpfs, say);
    return the file's flags before and ``O_DIRECT``, or 0 when it was refused."""
    import fcntl

    flags, direct = fcntl.fcntl(fd, fcntl.F_GETFL), getattr(os, "O_DIRECT", 0)
    try:
        if direct:
            fcntl.fcntl(fd, fcntl.F_SETFL, flags | direct)
    except OSError:
        direct = 0
    return flags, direct


def _as_usual(fd: int, flags: int) -> int:
    """Give an open file its flags back (past the page cache no more); return 0, for the caller's ``direct``."""
    import fcntl

    fcntl.fcntl(fd, fcntl.F_SETFL, flags)
    return 0


def copy_ranges(source: int, target: int, ranges: Iterable[tuple[int, int, int]]) -> None:
    """Copy ranges of the file open as ``source`` into the file open as ``target``, each given as (where it
    begins in the source, its length, where it goes in the target): inside the kernel where the system
    allows it (``os.copy_file_range``: no byte passes through this process, which lets go of Python's lock
    meanwhile), else read past the page cache (see :class:`PastCacheReader`) and written, a chunk at a
    time. Raises EOFError when the source ends before a range does.

    >>> import tempfile
    >>> with tempfile.TemporaryFile() as source, tempfile.TemporaryFile() as target:
    ...     _ = source.write(bytes(range(256)) * 40_000); source.flush()
    ...     copy_ranges(source.fileno(), target.fileno(), [(5, 9_000_000, 3), (0, 3, 0)])
    ...     _ = target.seek(0); data = target.read()
    >>> data == bytes(range(3)) + (bytes(range(256)) * 40_000)[5:9_000_005]
    True
    """
    in_kernel, reader = hasattr(os, "copy_file_range"), None
    try:
        for start, length, at in ranges:
            done = 0
            while done < length:
                if in_kernel:
                    try:
                        n = os.copy_file_range(source, target, length - done, start + done, at + done)
                    except OSError as error:
                        if error.errno not in _NOT_IN_KERNEL:
                            raise
                        in_kernel = False  # another file system, an older kernel: read and written from now on
                        continue
                    if n == 0:
                        raise EOFError(f"the file ends before {start + length}")
                else:
                    reader = reader or PastCacheReader(source)
                    chunk = reader.read(start + done, min(DIRECT_CHUNK, length - done))
                    n = os.pwrite(target, chunk, at + done)
                done += n
    finally:
        if reader is not None:
            reader.close()


_NOT_IN_KERNEL = {getattr(errno, name) for name in ("EXDEV", "ENOSYS", "EINVAL", "EOPNOTSUPP", "ENOTSUP", "EPERM",
                                                    "EBADF") if hasattr(errno, name)}


def in_background(work: Callable[[], None]) -> Callable[[], None]:
    """Start ``work`` in a thread of its own and return what waits for it to end (raising its error, if it
    failed): for work that lets go of Python's lock, such as :func:`copy_ranges`, while this thread does
    other work."""
    failed: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # raised where it is waited for
            failed.append(error)

    thread = threading.Thread(target=run, name="dreamgraph-background", daemon=True)
    thread.start()

    def wait() -> None:
        thread.join()
        if failed:
            raise failed[0]

    return wait


class Child:
    """Work done in a child process forked from this one, while this one does other work: for work in
    Python, which holds this process's lock, when the machine has a core to spare (a build's mentions and
    cards, made while it makes its other tables). The child sees this process's memory as it was when
    forked, and hands its result back pickled in a temporary file in ``folder``; it keeps no pipe open (a
    reader of one, such as the store's loader, waits for every writer to close it) and dies with this
    process. Where processes cannot be forked safely (not on Linux) or at all (no memory for one), the work
    is done at once, here.

    >>> import tempfile
    >>> child = Child(lambda: sum(range(10)), Path(tempfile.mkdtemp()))
    >>> child.result()
    45
    """

    def __init__(self, work: Callable[[], object], folder: Path):
        self._pid = None
        if not sys.platform.startswith("linux"):
            self._outcome = self._run(work)
            return
        handle, self._path = temporary_file(folder, "child")
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:
            handle.close()
            self._path.unlink(missing_ok=True)
            self._outcome = self._run(work)
            return
        if pid == 0:  # the child: it never returns from here
            code = 1
            try:
                die_with(parent)
                for name in os.listdir("/proc/self/fd"):
                    fd = int(name)
                    if fd > 2 and fd != handle.fileno() and _is_pipe(fd):
                        os.close(fd)
                outcome = self._run(work)
                try:
                    pickle.dump(outcome, handle, protocol=pickle.HIGHEST_PROTOCOL)
                except Exception as error:  # an error that cannot be pickled: told as text
                    handle.seek(0)
                    handle.truncate()
                    pickle.dump((False, RuntimeError(f"{outcome[1]!r} ({error})")), handle)
                handle.close()
                code = 0
            finally:
                os._exit(code)
        handle.close()
        self._pid = pid

    @staticmethod
    def _run(work: Callable[[], object]) -> tuple[bool, object]:
        try:
            return True, work()
        except Exception as error:
            return False, error

    def result(self):
        """Wait for the work to end; return its result, or raise its error."""
        if self._pid is not None:
            _, status = os.waitpid(self._pid, 0)
            self._pid = None
            try:
                with open(self._path, "rb") as handle:
                    self._outcome = pickle.load(handle)
            except (OSError, EOFError, pickle.UnpicklingError):
                self._outcome = (False, RuntimeError(f"a child process ended without its result (status {status})"))
            finally:
                self._path.unlink(missing_ok=True)
        done, value = self._outcome
        if not done:
            raise value
        return value

    def cancel(self) -> None:
        """End the work if it is still going (this process no longer wants it)."""
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = None
            self._path.unlink(missing_ok=True)
            self._outcome = (False, RuntimeError("cancelled"))


def _is_pipe(fd: int) -> bool:
    try:
        return stat.S_ISFIFO(os.fstat(fd).st_mode)
    except OSError:
        return False


def die_with(parent: int) -> None:
    """In a process this one started (a build's worker or :class:`Child`), on Linux: end when the process
    ``parent`` ends, so a killed build leaves nothing behind."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
        if os.getppid() != parent:  # the parent died before the line above ran
            os._exit(1)


def splice(old, runs: list[tuple[int, int]], pieces: list[bytes], put: Callable[[bytes | memoryview], None]) -> None:
    """Give ``put``, in order, the ``runs`` of the bytes ``old`` (each (start, end)) with the ``pieces``
    between them, one after each run but the last: what :func:`spliced` lays out in a file, in memory.

    >>> laid = bytearray(); splice(b"0123456789", [(0, 2), (5, 10)], [b"ab"], laid.extend); bytes(laid)
    b'01ab56789'
    """
    view = memoryview(old)
    for (start, end), piece in zip(runs, [*pieces, b""]):
        put(view[start:end])
        put(piece)


def spliced(runs: list[tuple[int, int]], pieces: list[bytes], folder: Path, name: str,
            source: Path) -> tuple[Path, Callable[[], None]]:
    """Return a new file in ``folder`` (named as :func:`temporary_file` names it) that will hold the ``runs``
    of the file ``source`` (each (start, end)) with the ``pieces`` between them, one after each run but the
    last, and what waits until it does: the pieces are written here, the runs copied in a thread of their
    own (see :func:`copy_ranges`) and the file flushed to disk there, so the caller does other work
    meanwhile (a patch's tables: the search texts and the shingles of 100,000 articles are 490 MB and 144
    MB; at 10,000, flushed once the graph file was written, 0.13 s of a patch). Call what it returns once,
    before the file is read, linked or removed.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()); _ = (folder / "old").write_bytes(b"0123456789")
    >>> path, wait = spliced([(0, 2), (5, 10)], [b"ab"], folder, "part", folder / "old"); wait()
    >>> path.read_bytes()
    b'01ab56789'
    """
    handle, path = temporary_file(folder, name)
    descriptor = None
    try:
        descriptor = os.open(source, os.O_RDONLY)
        ranges, at = [], 0
        for (start, end), piece in zip(runs, [*pieces, b""]):
            ranges.append((start, end - start, at))
            at += end - start
            if piece:
                os.pwrite(handle.fileno(), piece, at)
            at += len(piece)
        os.ftruncate(handle.fileno(), at)

        def copy() -> None:
            copy_ranges(descriptor, handle.fileno(), ranges)
            os.fsync(handle.fileno())

        copying = in_background(copy)
    except BaseException:
        handle.close()
        if descriptor is not None:
            os.close(descriptor)
        path.unlink(missing_ok=True)
        raise

    def wait() -> None:
        try:
            copying()
        finally:
            os.close(descriptor)
            handle.close()

    return path, wait


def _put_in_place(tmp: Path, path: Path) -> None:
    """Rename a file written by :func:`_write_beside` over ``path``, durably."""
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


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


PIECES = "pieces:"  # what the digest of a file made of pieces begins with (see pieces_digest)


def pieces_digest(pieces: Iterable[tuple[int, str]]) -> str:
    """Return the digest of a file made of pieces from each piece's length and SHA-256, in order: known
    before the file is written, and kept when a rebuild changes one piece (a graph file is its head, each
    article's Turtle and its tail: the pieces' hashes are known, the 1.5 GB file of 100,000 articles need
    not be hashed again for one article). :func:`file_pieces_digest` gives the same from the file's bytes.

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile() as f:
    ...     _ = f.write(b"headbodytail"); f.flush()
    ...     made = pieces_digest((len(p), hashlib.sha256(p).hexdigest()) for p in (b"head", b"body", b"tail"))
    ...     made == file_pieces_digest(Path(f.name), [0, 4, 8]), made == file_pieces_digest(Path(f.name), [0, 4])
    (True, False)
    """
    digest = hashlib.sha256()
    for length, sha256 in pieces:
        digest.update(b"%d %s\n" % (length, sha256.encode("ascii")))
    return PIECES + digest.hexdigest()


def file_pieces_digest(path: Path, starts: Iterable[int]) -> str:
    """Return :func:`pieces_digest` of a file cut where each piece ``starts`` (the first at 0, the last
    running to the end of the file)."""
    starts = list(starts)
    lengths = [end - start for start, end in zip(starts, starts[1:])]
    if not starts or starts[0] != 0 or any(length < 0 for length in lengths):
        return ""
    pieces = []
    with open(path, "rb") as handle:
        for length in [*lengths, None]:
            digest, got = hashlib.sha256(), 0
            while length is None or got < length:
                block = handle.read(1 << 20 if length is None else min(1 << 20, length - got))
                if not block:
                    break
                digest.update(block)
                got += len(block)
            if length is not None and got < length:  # the file ends before the piece does
                return ""
            pieces.append((got, digest.hexdigest()))
    return pieces_digest(pieces)
