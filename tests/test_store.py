"""The embedded store folder: written and loaded from the same bytes, and left as it was when that fails."""

import hashlib
import itertools
import os
from pathlib import Path

import pytest

from helpers import leftovers
from dreamgraph.files import PIECES, file_digest, file_pieces_digest, pieces_digest
from dreamgraph.store import (PIECES_FILE, STORE_DIR, MemoryStore, loaded_digest, store_is_current,
                              update_store_folder, write_and_load_store_folder)
from dreamgraph.connect import open_store

PREFIX = b"@prefix dg: <https://w3id.org/dreamgraph/ontology#> .\n"


def _pieces(n: int, start: int = 0):
    yield PREFIX
    for i in range(start, start + n):
        yield f"<https://w3id.org/dreamgraph/id/dream/d{i}> dg:nextStage <https://w3id.org/dreamgraph/id/dream/d{i + 1}> .\n".encode()


def _open_fds() -> int:
    """The process's open descriptors, once what earlier tests left is let go: their cyclic garbage, and the
    replaced graph files a build closes in a thread of its own (graphfolder.Spool.close)."""
    import gc
    import threading

    gc.collect()
    for thread in threading.enumerate():
        if thread.name == "dreamgraph-close":
            thread.join()
    return len(os.listdir("/proc/self/fd"))


def _count(graph_dir) -> int:
    return open_store(graph_dir).select("SELECT (COUNT(*) AS ?n) WHERE { ?a dg:nextStage ?b }")[0]["n"]


@pytest.fixture
def built(tmp_path):
    """A graph folder whose Turtle and store hold 3 links."""
    count, digest = write_and_load_store_folder(tmp_path / "dreamgraph.ttl", _pieces(3), tmp_path / ".store")
    assert count == 3
    return tmp_path, digest


def test_the_file_and_the_store_are_made_from_the_same_bytes(built):
    graph_dir, digest = built
    turtle = graph_dir / "dreamgraph.ttl"
    assert turtle.read_bytes() == b"".join(_pieces(3))
    assert digest == file_digest(turtle) == loaded_digest(graph_dir / ".store")
    assert store_is_current(turtle, graph_dir / ".store") and _count(graph_dir) == 3


def test_the_kept_files_are_made_once_the_file_is_written(tmp_path):
    seen = {}

    def extra(digest):
        seen["digest"], seen["in place"] = digest, (tmp_path / "dreamgraph.ttl").exists()
        return {"note.bin": b"kept"}

    fds = _open_fds()
    big = 20_000  # more than a pipe holds, so the writer waits for the loader
    count, digest = write_and_load_store_folder(tmp_path / "dreamgraph.ttl", _pieces(big), tmp_path / ".store", extra)
    assert _open_fds() == fds
    written = (tmp_path / "dreamgraph.ttl").read_bytes()
    assert count == big and seen["digest"] == digest == hashlib.sha256(written).hexdigest()
    assert not seen["in place"]  # the file is put in place after the store
    assert (tmp_path / ".store" / "note.bin").read_bytes() == b"kept"


def test_a_store_stamped_with_the_digest_of_its_pieces_knows_the_same_bytes_again_and_no_others(tmp_path):
    """The digest of a graph file's pieces (a rebuild knows it before writing: see pieces_digest) stands for
    the file's bytes as its SHA-256 would: a file touched or copied with the same bytes is still the store's;
    one byte changed, or the record of where the pieces start lost, is not."""
    pieces = list(_pieces(3))
    starts = [0, *itertools.accumulate(len(p) for p in pieces[:-1])]
    layout = (pieces_digest((len(p), hashlib.sha256(p).hexdigest()) for p in pieces), starts)
    turtle, folder = tmp_path / "dreamgraph.ttl", tmp_path / ".store"
    count, digest = write_and_load_store_folder(turtle, iter(pieces), folder, layout=layout)
    assert count == 3 and digest == layout[0] == loaded_digest(folder) and digest.startswith(PIECES)
    assert digest == file_pieces_digest(turtle, starts)
    os.utime(turtle, ns=(10**18, 10**18))  # another time, the same bytes: known by its pieces
    assert store_is_current(turtle, folder)
    data = turtle.read_bytes()
    at = data.index(b"d2>")
    turtle.write_bytes(data[:at] + b"x" + data[at + 1:])  # the same size, one byte changed
    assert not store_is_current(turtle, folder)
    turtle.write_bytes(data)
    assert store_is_current(turtle, folder)
    (folder / PIECES_FILE).unlink()
    assert not store_is_current(turtle, folder)


def test_a_write_that_fails_leaves_the_old_file_and_store(built):
    graph_dir, digest = built
    before = (graph_dir / "dreamgraph.ttl").read_bytes()

    def failing():
        yield from _pieces(5000, start=100)
        raise OSError(28, "No space left on device")

    fds = _open_fds()
    with pytest.raises(OSError, match="No space left"):
        write_and_load_store_folder(graph_dir / "dreamgraph.ttl", failing(), graph_dir / ".store")
    assert _open_fds() == fds
    assert (graph_dir / "dreamgraph.ttl").read_bytes() == before
    assert loaded_digest(graph_dir / ".store") == digest and _count(graph_dir) == 3
    assert sorted(p.name for p in graph_dir.iterdir()) == [".store", "dreamgraph.ttl"]


def test_a_load_that_fails_leaves_the_old_store_and_the_writer_is_not_stuck(built):
    graph_dir, digest = built
    broken = iter([PREFIX, b"<a> <b> \"unterminated .\n", *list(_pieces(20_000))[1:]])
    fds = _open_fds()
    with pytest.raises(SyntaxError):
        write_and_load_store_folder(graph_dir / "dreamgraph.ttl", broken, graph_dir / ".store")
    assert _open_fds() == fds
    assert (graph_dir / "dreamgraph.ttl").read_bytes() == b"".join(_pieces(3))
    assert loaded_digest(graph_dir / ".store") == digest and _count(graph_dir) == 3
    assert leftovers(graph_dir) == []


def test_a_change_whose_kept_files_fail_leaves_the_old_file_and_store_and_no_store_open(built):
    """The store's copy is opened and changed in a thread while the kept files are made: when making them
    fails, the copy is closed and removed, and the old file and store stay."""
    graph_dir, digest = built
    before = (graph_dir / "dreamgraph.ttl").read_bytes()
    pieces = list(_pieces(4))
    starts = [0, *itertools.accumulate(len(p) for p in pieces[:-1])]
    layout = (pieces_digest((len(p), hashlib.sha256(p).hexdigest()) for p in pieces), starts)
    link = "<https://w3id.org/dreamgraph/id/dream/d3> <https://w3id.org/dreamgraph/ontology#nextStage> " \
           "<https://w3id.org/dreamgraph/id/dream/d4>"

    def extra(digest):
        raise OSError(28, "No space left on device")

    fds = _open_fds()
    with pytest.raises(OSError, match="No space left") as caught:
        update_store_folder(graph_dir / "dreamgraph.ttl", iter(pieces), graph_dir / STORE_DIR, [], [link], layout,
                            extra)
    assert _open_fds() == fds and caught.value  # not even while the error lives
    assert (graph_dir / "dreamgraph.ttl").read_bytes() == before
    assert loaded_digest(graph_dir / STORE_DIR) == digest and _count(graph_dir) == 3
    assert sorted(p.name for p in graph_dir.iterdir()) == [".store", "dreamgraph.ttl"]
    update_store_folder(graph_dir / "dreamgraph.ttl", iter(pieces), graph_dir / STORE_DIR, [], [link], layout)
    assert _count(graph_dir) == 4 and loaded_digest(graph_dir / STORE_DIR) == layout[0]


def test_a_changed_store_is_on_disk_before_it_is_put_in_place(built, monkeypatch):
    """The engine leaves some of the files it writes to the system to write back (a compaction's output): a
    store folder would be put in place with them not yet on disk, and the next build's flushes waited behind
    them. Every file of the changed copy that is not a link to the old store's is flushed before the rename."""
    import dreamgraph.store as store_module

    graph_dir, _ = built
    engine = graph_dir / STORE_DIR / "oxigraph"
    old = {entry.stat().st_ino for entry in os.scandir(engine)}
    synced, real = [], store_module._sync_file
    monkeypatch.setattr(store_module, "_sync_file", lambda path: synced.append(Path(path)) or real(path))
    pieces = list(_pieces(4))
    starts = [0, *itertools.accumulate(len(p) for p in pieces[:-1])]
    layout = (pieces_digest((len(p), hashlib.sha256(p).hexdigest()) for p in pieces), starts)
    link = "<https://w3id.org/dreamgraph/id/dream/d3> <https://w3id.org/dreamgraph/ontology#nextStage> " \
           "<https://w3id.org/dreamgraph/id/dream/d4>"
    update_store_folder(graph_dir / "dreamgraph.ttl", iter(pieces), graph_dir / STORE_DIR, [], [link], layout)
    assert _count(graph_dir) == 4
    made = {entry.name for entry in os.scandir(engine) if entry.stat().st_ino not in old}
    assert made and any(name.endswith(".sst") for name in made)  # the change's own table at least
    assert made <= {path.name for path in synced if path.parent.name == "oxigraph"}


def test_memory_store_reads_turtle():
    store = MemoryStore.from_turtle(b"".join(_pieces(2)))
    assert len(store.select("SELECT ?a WHERE { ?a dg:nextStage ?b }")) == 2


def test_kept_data_out_of_date_is_said_once_and_the_answer_is_the_same(cli, tmp_path):
    """Data kept by another version of dreamgraph is not used; the command says so once, on stderr, and
    answers from the graph itself."""
    import io
    import pickle

    from helpers import SEED
    from dreamgraph.build import build

    graph = tmp_path / "graph"
    build([SEED], graph)
    fresh = cli("-g", graph, "gaps", "-f", "json")
    assert "out of date" not in fresh.stderr
    from dreamgraph.store import code_fingerprint

    for kept in (graph / STORE_DIR).glob("*.pickle"):
        stream = io.BytesIO(kept.read_bytes())
        header = pickle.load(stream)  # (the graph's digest, the code's fingerprint); the data follows
        if isinstance(header, tuple) and header[1] == code_fingerprint():  # not the manifest
            kept.write_bytes(pickle.dumps((header[0], "another version")) + stream.read())
    stale = cli("-g", graph, "gaps", "-f", "json")
    assert stale.stdout == fresh.stdout
    assert stale.stderr.count("note: the data kept with this graph is out of date") == 1


def test_a_carried_table_is_copied_under_the_new_graphs_header_with_its_raw_parts(tmp_path):
    """A table the last build kept and this one did not change (store.Carried): its data is copied after a
    new header, its raw parts shared, and it reads back whole for the new graph."""
    from dreamgraph.store import Carried, derived_files, kept_in_folder, load_store_folder

    turtle = tmp_path / "g.ttl"
    turtle.write_bytes(b"".join(_pieces(3)))
    old = tmp_path / "old"
    table = {"rows": [1, 2, 3], "lower": b"some kept text"}
    load_store_folder(turtle, old, derived_files("texts", table, file_digest(turtle)))
    kept = kept_in_folder(old, "texts")  # its raw parts mapped into memory, as a reader maps them
    assert kept["rows"] == table["rows"] and kept["lower"][:] == table["lower"]

    before = file_digest(turtle)
    turtle.write_bytes(b"".join(_pieces(4)))  # the next build's graph
    assert file_digest(turtle) != before
    new = tmp_path / "new"
    files = derived_files("texts", Carried(old), file_digest(turtle))
    assert sorted(files) == ["texts.lower", "texts.pickle"] and files["texts.lower"] == old / "texts.lower"
    load_store_folder(turtle, new, files)
    kept = kept_in_folder(new, "texts")
    assert kept["rows"] == table["rows"] and kept["lower"][:] == table["lower"]
    assert (new / "texts.lower").read_bytes() == b"some kept text"
    assert (new / "texts.lower").stat().st_ino == (old / "texts.lower").stat().st_ino  # shared, not copied


@pytest.mark.parametrize("carried", ["written", "carried, copied", "carried, kept apart"])
def test_a_tables_large_arrays_are_kept_apart_and_read_mapped_not_copied(tmp_path, monkeypatch, carried):
    """The bytes of a table's large arrays are pickled out of band, each in a file of its own that a reader
    maps: the array read back is equal, read-only and backed by the mapping (never copied into memory),
    small arrays stay in the pickle, and a carried table shares the files."""
    import mmap

    import numpy as np

    import dreamgraph.store as store_module
    from dreamgraph.store import Carried, derived_files, kept_in_folder, load_store_folder

    turtle = tmp_path / "g.ttl"
    turtle.write_bytes(b"".join(_pieces(3)))
    large, other, small = (np.arange(300_000, dtype=np.uint64), np.arange(300_000, dtype=np.int32),
                           np.arange(10, dtype=np.int64))
    old = tmp_path / "old"
    load_store_folder(turtle, old, derived_files("shingles", (["a", "b"], large, small, {"more": other}),
                                                 file_digest(turtle)))
    assert sorted(p.name for p in old.glob("shingles.*")) == ["shingles.buffer0", "shingles.buffer1", "shingles.pickle"]
    assert (old / "shingles.pickle").stat().st_size < 2000
    folder = old
    if carried != "written":
        monkeypatch.setattr(store_module, "APART_BYTES", 1 << 20 if carried.endswith("copied") else 0)
        turtle.write_bytes(b"".join(_pieces(4)))
        folder = tmp_path / "new"
        load_store_folder(turtle, folder, derived_files("shingles", Carried(old), file_digest(turtle)))
        assert (folder / "shingles.buffer0").stat().st_ino == (old / "shingles.buffer0").stat().st_ino
    slugs, hashes, sizes, more = kept_in_folder(folder, "shingles")
    assert slugs == ["a", "b"] and np.array_equal(hashes, large) and np.array_equal(more["more"], other)
    assert np.array_equal(sizes, small) and sizes.flags.writeable  # small: in the pickle, a copy of its own
    for array in (hashes, more["more"]):
        assert not array.flags.writeable
        base = array
        while getattr(base, "base", None) is not None and not isinstance(base, mmap.mmap):
            base = base.base.obj if isinstance(base.base, memoryview) else base.base
        assert isinstance(base, mmap.mmap)


def test_a_streamed_load_that_fails_early_never_holds_the_build_up_and_leaves_nothing(tmp_path):
    import threading

    from dreamgraph.store import StreamedLoad

    load = StreamedLoad(tmp_path / STORE_DIR)
    load.feed(b"this is not Turtle .\n")  # the loader stops at once; the build goes on feeding it
    statement = b"<https://example.org/a> <https://example.org/p> " + b'"' + b"x" * 1000 + b'" .\n'

    def feed_on():  # four times as many chunks as wait for the loader
        for _ in range(4 * load.QUEUED):
            load.feed(statement * 4096)
        load.end()

    fed = threading.Thread(target=feed_on)
    fed.start()
    fed.join(60)
    assert not fed.is_alive(), "feeding a load that failed blocked the build"
    with pytest.raises(SyntaxError):
        load.loading.result()
    load.abort()
    assert not load.tmp.exists() and list(tmp_path.iterdir()) == []


def test_a_streamed_load_aborted_midway_stops_without_loading_what_it_had(tmp_path):
    from dreamgraph.store import StreamedLoad

    load = StreamedLoad(tmp_path / STORE_DIR)
    load.feed(b"<https://example.org/a> <https://example.org/p> <https://example.org/b> .\n" * 1000)
    future = load.loading
    load.abort()  # a build that failed while reading its articles
    with pytest.raises(SyntaxError):  # stopped at what the abort fed it, not ended as a whole load
        future.result()
    assert not load.tmp.exists() and load.ended


def test_a_streamed_load_whose_graph_file_fails_leaves_nothing_and_no_file_open(tmp_path):
    from dreamgraph.store import StreamedLoad, changing, finish_streamed_load

    pieces = list(_pieces(2000))
    starts = [0, *itertools.accumulate(len(p) for p in pieces[:-1])]
    layout = (pieces_digest((len(p), hashlib.sha256(p).hexdigest()) for p in pieces), starts)

    def failing():
        yield from pieces[:1000]
        raise OSError(28, "No space left on device")

    fds = _open_fds()
    load = StreamedLoad(tmp_path / STORE_DIR)
    for piece in pieces:
        load.feed(piece)
    load.end()
    with pytest.raises(OSError, match="No space left"):
        finish_streamed_load(load, tmp_path / "dreamgraph.ttl", failing(), changing((), ()), None, layout)
    load.abort()  # as the build does, whatever happened
    assert _open_fds() == fds
    assert list(tmp_path.iterdir()) == []
    # and whole, it is put in place holding what it was fed
    load = StreamedLoad(tmp_path / STORE_DIR)
    for piece in pieces:
        load.feed(piece)
    load.end()
    assert finish_streamed_load(load, tmp_path / "dreamgraph.ttl", iter(pieces), changing((), ()), None, layout) == 2000
    load.abort()
    assert _open_fds() == fds
    assert loaded_digest(tmp_path / STORE_DIR) == layout[0] and store_is_current(tmp_path / "dreamgraph.ttl",
                                                                                  tmp_path / STORE_DIR)
    assert sorted(p.name for p in tmp_path.iterdir()) == [STORE_DIR, "dreamgraph.ttl"]


@pytest.mark.parametrize("how", ["written", "streamed", "from the file"])
def test_a_store_loaded_from_much_turtle_is_compacted_once_loaded_and_a_small_one_is_not(tmp_path, monkeypatch, how):
    """The bulk load of a large library is compacted as the build makes it: left as loaded, the rebuilds that
    follow compacted it piecemeal (after a full build of 100,000 articles, the next four took 9.7-15.6 s,
    against 8.9-9.1 s after a compaction). Each way a store is loaded measures the Turtle it was given."""
    import dreamgraph.store as store_module
    from dreamgraph.store import StreamedLoad, changing, finish_streamed_load, load_store_folder

    compacted = []
    real = store_module._compact
    monkeypatch.setattr(store_module, "_compact", lambda store: compacted.append(len(store)) or real(store))
    for limit, expected in ((1 << 40, []), (1, [50])):
        monkeypatch.setattr(store_module, "COMPACTED_FROM", limit)
        turtle, folder = tmp_path / f"{limit}.ttl", tmp_path / f"store-{limit}"
        if how == "written":
            write_and_load_store_folder(turtle, _pieces(50), folder)
        elif how == "streamed":
            pieces = list(_pieces(50))
            starts = [0, *itertools.accumulate(len(p) for p in pieces[:-1])]
            load = StreamedLoad(folder)
            for piece in pieces:
                load.feed(piece)
            load.end()
            finish_streamed_load(load, turtle, pieces, changing((), ()), None,
                                 (pieces_digest((len(p), hashlib.sha256(p).hexdigest()) for p in pieces), starts))
            load.abort()  # as the build does, whatever happened (nothing once in place)
        else:
            turtle.write_bytes(b"".join(_pieces(50)))
            load_store_folder(turtle, folder)
        assert compacted == expected, (limit, compacted)
        compacted.clear()
        assert turtle.exists() and store_is_current(turtle, folder)
