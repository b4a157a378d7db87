"""dreamgraph.bytesearch: bytes found by the C library's memmem where the buffer is, with the answers of
the buffer's own find (at every start, for needles of every length, in bytes and in a mapped file)."""

from __future__ import annotations

import mmap
import random

import pytest

from dreamgraph import bytesearch
from dreamgraph.bytesearch import Haystack, _memmem

BYTES = b"ab\x00\xffc "


def test_the_c_library_search_is_used_here():
    """On this machine (Linux, glibc) the search is memmem's: else the speed-up measured is not had."""
    assert _memmem() is not None and Haystack(b"abc")._base is not None


@pytest.mark.parametrize("memmem", ["the C library's", "none (the buffer's own find)"])
def test_every_answer_is_finds_answer(tmp_path, monkeypatch, memmem):
    if memmem.startswith("none"):
        monkeypatch.setattr(bytesearch, "_memmem", lambda: None)
    rng = random.Random(1)
    text = bytes(rng.choice(BYTES) for _ in range(3000))
    path = tmp_path / "texts"
    path.write_bytes(text)
    with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        for data in (text, bytearray(text), mapped):
            _same_as_find(Haystack(data), text, rng)  # (the haystack let go before the file is closed)
    assert Haystack(b"").find(b"") == 0 and Haystack(b"").find(b"a") == -1


def _same_as_find(hay: Haystack, text: bytes, rng: random.Random) -> None:
    for _ in range(3000):
        needle = bytes(rng.choice(BYTES) for _ in range(rng.choice([0, 1, 2, 3, 5, 9])))
        start = rng.choice([0, 1, rng.randrange(3100), len(text) - 1, len(text), len(text) + 5, -3])
        assert hay.find(needle, start) == text.find(needle, start), (needle, start)
    assert hay.find(text) == 0 and hay.find(text + b"a") == -1 and hay.find(text[-7:], 100) == len(text) - 7
