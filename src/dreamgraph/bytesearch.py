"""Finding bytes in a large buffer: the C library's ``memmem`` where it has one, else the buffer's own
``find``, with the same answers.

The kept texts a search or a patch looks through are 490 MB at 100,000 articles (see
:func:`dreamgraph.snapshot.texts.search_from_library`). ``bytes.find`` goes through them at about 2 GB/s,
glibc's ``memmem`` (vectorised) at 4-7 GB/s: a word found nowhere took 0.22-0.41 s against 0.07-0.20 s. The
call lets go of Python's lock, as ``find`` does not, so other threads run meanwhile.

>>> hay = Haystack(b"a dog at sea")
>>> hay.find(b"sea"), hay.find(b"sea", 10), hay.find(b"a", 1), hay.find(b"cat"), hay.find(b"")
(9, -1, 6, -1, 0)
"""

from __future__ import annotations

import ctypes
from functools import lru_cache


@lru_cache(maxsize=1)
def _memmem():
    """Return the C library's ``memmem``, ready to call, or None where there is none to be had."""
    try:
        function = ctypes.CDLL(None).memmem  # the C library this process runs on
    except (OSError, AttributeError, TypeError):
        return None
    function.restype = ctypes.c_void_p
    function.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
    return function


class Haystack:
    """A buffer (bytes, bytearray, a memoryview, a mapped file) to find bytes in, as ``find`` finds them."""

    def __init__(self, data):
        self.data, self.size, self._base = data, len(data), None
        if self.size and _memmem() is not None:
            import numpy as np

            self._held = np.frombuffer(data, dtype=np.uint8)  # the buffer stays where it is while this lives
            self._base = self._held.ctypes.data

    def find(self, needle: bytes, start: int = 0) -> int:
        """Return where ``needle`` first begins at ``start`` or after, or -1: ``bytes.find``'s answer (a
        mapped file's own ``find`` differs for empty bytes past its end)."""
        if start < 0:
            start = max(self.size + start, 0)
        if not needle or start + len(needle) > self.size:
            return start if not needle and start <= self.size else -1
        if self._base is None:
            return self.data.find(needle, start)
        found = _memmem()(self._base + start, self.size - start, needle, len(needle))
        return found - self._base if found else -1
