"""Output files: written whole or not at all, never replacing a link, a FIFO or a device at the target,
and `-` for standard output."""

import os
import subprocess
import sys
import threading

import pytest

from dreamgraph.files import atomic_write


def test_a_symlink_stays_and_the_file_it_points_to_gets_the_bytes(tmp_path):
    real = tmp_path / "real.html"
    real.write_bytes(b"old")
    link = tmp_path / "link.html"
    link.symlink_to(real)
    atomic_write(link, b"new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() == b"new"
    dangling = tmp_path / "dangling.html"
    dangling.symlink_to(tmp_path / "later.html")
    atomic_write(dangling, [b"made ", b"there"])
    assert dangling.is_symlink() and (tmp_path / "later.html").read_bytes() == b"made there"


def test_a_fifo_is_written_through_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    atomic_write(fifo, [b"through ", b"the pipe"])
    reader.join(10)
    assert got == [b"through the pipe"]
    assert fifo.is_fifo()


def test_a_device_is_written_through_and_a_folder_refused(tmp_path):
    atomic_write("/dev/null", b"nothing")
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")
    with pytest.raises(IsADirectoryError):
        atomic_write(tmp_path, b"x")


def test_dash_writes_a_view_a_brief_and_the_gap_page_to_standard_output(sample_graph, tmp_path):
    """Through a real pipe, as a shell would use it; no file named '-' is made."""
    def run(*args):
        done = subprocess.run([sys.executable, "-m", "dreamgraph", "-g", str(sample_graph), *args],
                              cwd=tmp_path, capture_output=True)
        assert done.returncode == 0, done.stderr.decode()
        return done

    page = run("export", "--output", "-")
    assert page.stdout.startswith(b"<!DOCTYPE html>") and page.stdout.rstrip().endswith(b"</html>")
    assert b"wrote" not in page.stdout
    graphml = run("export", "-f", "graphml", "-o", "-")
    assert graphml.stdout.startswith(b"<?xml") and b"<graphml" in graphml.stdout
    triples = run("export", "-f", "ntriples", "-o", "-")
    assert triples.stdout.count(b" .\n") > 4000
    assert run("brief", "being chased by a killer", "-o", "-").stdout.startswith(b"# Brief: being chased by a killer")
    gaps = run("gaps", "--html", "-")
    assert gaps.stdout.startswith(b"<!DOCTYPE html>") and b"missing-article" in gaps.stdout
    assert not (tmp_path / "-").exists() and not (tmp_path / "exports").exists()
    refused = subprocess.run([sys.executable, "-m", "dreamgraph", "-g", str(sample_graph), "export", "-f", "csv",
                              "-o", "-"], cwd=tmp_path, capture_output=True, text=True)
    assert refused.returncode == 2 and "writes two files" in refused.stderr


def test_export_through_a_symlink_keeps_the_link(cli, sample_graph, tmp_path):
    target = tmp_path / "site" / "taxonomy.html"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "taxonomy.html"
    link.symlink_to(target)
    assert cli("-g", sample_graph, "export", "-o", link).exit_code == 0
    assert link.is_symlink() and target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_large_structures_are_left_for_exit_only_by_a_process_ending_without_teardown(monkeypatch):
    import weakref

    from dreamgraph import files

    class Library:  # a stand-in for a build's parsed library: any object that can be weakly referenced
        pass

    monkeypatch.setattr(files, "_LEFT_FOR_EXIT", None)
    kept = Library()
    gone = weakref.ref(kept)
    files.leave_for_exit(kept)
    del kept
    assert gone() is None  # a program using the library: freed as usual
    files.end_without_teardown()
    kept = Library()
    alive = weakref.ref(kept)
    files.leave_for_exit(kept)
    del kept
    assert alive() is not None  # the dreamgraph program: kept until os._exit


@pytest.mark.parametrize("sizes", [[], [0], [1], [4095], [4096], [4097], [8 << 20], [(8 << 20) + 1, 3],
                                   [5000, 10_000_000, 7]])
def test_bytes_written_past_the_page_cache_are_the_bytes_given(tmp_path, sizes):
    """Files written past the page cache (the graph file, the kept tables) hold exactly the bytes given,
    whatever their length: the last chunk's padding is cut off again."""
    from dreamgraph.files import write_direct

    pieces = [bytes([n % 251]) * size for n, size in enumerate(sizes)]
    fd = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        assert write_direct(fd, pieces) == sum(sizes)
    finally:
        os.close(fd)
    assert (tmp_path / "f").read_bytes() == b"".join(pieces)


def test_a_file_system_refusing_writes_past_the_cache_gets_them_as_usual(tmp_path, monkeypatch):
    import errno
    import fcntl

    from dreamgraph.files import write_direct

    real = os.write

    def refusing(fd, data):
        if fcntl.fcntl(fd, fcntl.F_GETFL) & getattr(os, "O_DIRECT", 0):
            raise OSError(errno.EINVAL, "Invalid argument")
        return real(fd, data)

    monkeypatch.setattr(os, "write", refusing)
    pieces = [b"x" * 5000, b"y" * (9 << 20)]
    fd = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        assert write_direct(fd, pieces) == 5000 + (9 << 20)
        assert not fcntl.fcntl(fd, fcntl.F_GETFL) & getattr(os, "O_DIRECT", 0)
    finally:
        os.close(fd)
    assert (tmp_path / "f").read_bytes() == b"".join(pieces)


@pytest.mark.parametrize("refused", ["nothing", "the kernel's copy", "the kernel's copy and reads past the cache"])
def test_ranges_copied_between_files_are_the_ranges(tmp_path, monkeypatch, refused):
    """Ranges of a file copied into places of another (the search texts a patch keeps) are the ranges, whatever
    their alignment and order, copied inside the kernel or, where the system refuses, read (past the page
    cache, or as usual) and written; a range past the source's end is an error, not a short file."""
    import errno
    import fcntl

    from dreamgraph.files import copy_ranges

    data = bytes(range(251)) * 90_000
    (tmp_path / "source").write_bytes(data)
    used = []
    if refused != "nothing":
        def no_kernel_copy(*args):
            used.append("kernel")
            raise OSError(errno.EXDEV, "Invalid cross-device link")

        monkeypatch.setattr(os, "copy_file_range", no_kernel_copy)
    if refused.endswith("past the cache"):
        real = os.preadv

        def refusing(fd, buffers, offset):
            if fcntl.fcntl(fd, fcntl.F_GETFL) & getattr(os, "O_DIRECT", 0):
                raise OSError(errno.EINVAL, "Invalid argument")
            return real(fd, buffers, offset)

        monkeypatch.setattr(os, "preadv", refusing)
    ranges = [(4095, 2, 1), (0, 1, 0), (7, 8_399_994, 3), (len(data) - 3, 3, 8_399_997)]
    source = os.open(tmp_path / "source", os.O_RDONLY)
    target = os.open(tmp_path / "target", os.O_RDWR | os.O_CREAT | os.O_EXCL)
    try:
        copy_ranges(source, target, ranges)
        assert used == ([] if refused == "nothing" else ["kernel"])  # refused once, then not asked again
        with pytest.raises(EOFError):
            copy_ranges(source, target, [(len(data) - 3, 4, len(data))])
        assert fcntl.fcntl(source, fcntl.F_GETFL) & getattr(os, "O_DIRECT", 0) == 0  # left as it was opened
    finally:
        os.close(source)
        os.close(target)
    got = (tmp_path / "target").read_bytes()
    assert got[:8_400_000] == data[0:1] + data[4095:4097] + data[7:8_400_001] + data[-3:]


def test_work_in_background_is_waited_for_and_its_error_raised_there():
    from dreamgraph.files import in_background

    done = []
    wait = in_background(lambda: done.append(1))
    wait()
    assert done == [1]

    def failing():
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        in_background(failing)()


@pytest.mark.parametrize("given", ["bytes", "views", "pieces made as written"])
def test_a_store_folder_file_holds_the_bytes_given_through_the_page_cache_or_past_it(tmp_path, monkeypatch, given):
    """write_unsynced writes a small file through the page cache (where the next build reads it, at 10,000
    articles 0.04 s sooner) and a large one past it, pieces made as they are written too (gathered until
    their size is known to be small, or large); either way the file holds the bytes given."""
    from dreamgraph import files

    monkeypatch.setattr(files, "CACHED_BYTES", 10_000)
    real, past = files._past_cache, []

    def noting(fd):
        past.append(fd)
        return real(fd)

    monkeypatch.setattr(files, "_past_cache", noting)
    for size in (0, 3, 9_999, 10_000, (8 << 20) + 5):
        data = bytes(n % 251 for n in range(size))
        if given == "views":
            data = [memoryview(data)[:size // 2], memoryview(data)[size // 2:]]
        elif given == "pieces made as written":
            data = (piece for piece in (data[:7], data[7:9_000], data[9_000:]))
        path = tmp_path / f"{given}-{size}"
        past.clear()
        files.sync_and_close(files.write_unsynced(path, data))
        assert path.read_bytes() == bytes(n % 251 for n in range(size)), size
        assert bool(past) is (size >= 10_000), (given, size)  # past the page cache when large alone


def test_work_in_a_child_process_returns_its_result_and_raises_its_error_here(tmp_path):
    """A child process sees this process's memory as it was when forked, hands its result back, raises its
    error here (one that cannot be pickled, as text) and leaves no file behind."""
    from dreamgraph.files import Child

    seen = {"texts": ["a dog at sea"] * 3}
    child = Child(lambda: (os.getpid(), [text.upper() for text in seen["texts"]]), tmp_path)
    seen["texts"].append("changed here after the fork")
    pid, texts = child.result()
    assert pid != os.getpid() and texts == ["A DOG AT SEA"] * 3

    def failing():
        raise ValueError("no such name")

    with pytest.raises(ValueError, match="no such name"):
        Child(failing, tmp_path).result()

    class Unpicklable(Exception):
        def __reduce__(self):
            raise TypeError("not this one")

    def failing_oddly():
        raise Unpicklable("odd")

    with pytest.raises(RuntimeError, match="odd"):
        Child(failing_oddly, tmp_path).result()
    assert list(tmp_path.iterdir()) == []


def test_work_for_a_child_process_that_cannot_be_forked_is_done_here(tmp_path, monkeypatch):
    """No memory for a child process: the work is done at once in this one, and no file is left."""
    import errno

    from dreamgraph.files import Child

    def no_fork():
        raise OSError(errno.ENOMEM, "Cannot allocate memory")

    monkeypatch.setattr(os, "fork", no_fork)
    assert Child(lambda: os.getpid(), tmp_path).result() == os.getpid()
    assert list(tmp_path.iterdir()) == []


def test_a_child_process_holds_no_pipe_open_and_a_killed_or_cancelled_one_leaves_nothing(tmp_path):
    """A reader of a pipe (the store's loader) sees its end when this process closes its write end, though
    a child forked meanwhile is still working; a child killed before its result gives an error saying so;
    one cancelled is ended; neither leaves a file."""
    import select
    import signal
    import time

    from dreamgraph.files import Child

    release = tmp_path / "release"
    folder = tmp_path / "results"
    folder.mkdir()

    def wait_for_release():
        while not release.exists():
            time.sleep(0.01)
        return "released"

    read_end, write_end = os.pipe()
    child = Child(wait_for_release, folder)
    os.close(write_end)
    ready, _, _ = select.select([read_end], [], [], 10)
    assert ready and os.read(read_end, 1) == b""  # the end of the pipe, while the child still works
    os.close(read_end)
    release.touch()
    assert child.result() == "released"

    release.unlink()
    killed = Child(wait_for_release, folder)
    os.kill(killed._pid, signal.SIGKILL)
    with pytest.raises(RuntimeError, match="ended without its result"):
        killed.result()
    cancelled = Child(wait_for_release, folder)
    pid = cancelled._pid
    cancelled.cancel()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert list(folder.iterdir()) == []


def test_a_child_process_ends_with_the_process_that_forked_it(tmp_path):
    """A build killed while its child works leaves no child behind."""
    import time

    script = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from dreamgraph.files import Child\n"
        "child = Child(lambda: time.sleep(60), Path(sys.argv[1]))\n"
        "print(child._pid, flush=True)\n"
        "os._exit(0)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=60)
    pid = int(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the child {pid} outlived the process that forked it")
