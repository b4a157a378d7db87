"""A table told as the runs of another: the few rows a rebuild changes, written without the many it keeps.

A rebuild after one edit makes tables (the gap report, the articles' rows, their mentions) that are the
last build's with a few rows changed; writing them whole again cost a rebuild at 100,000 articles 0.5 s of
pickling. :func:`runs` tells a new table (a list of rows) as a list of runs over a base table:
``(start, stop)``, the base's rows ``start`` to ``stop`` in order, or a list of rows of its own;
:func:`spliced` makes the table again from the base and the runs, and :func:`composed` turns runs over a
table that is itself runs over a base into runs over that base, so one base serves every rebuild after it
(see :class:`dreamgraph.store.Spliced`).

>>> base = ["a", "b", "c", "d"]
>>> told = runs(base, ["a", "b", "x", "d"])
>>> told
[(0, 2), ['x'], (3, 4)]
>>> spliced(base, told)
['a', 'b', 'x', 'd']
>>> spliced(base, composed(told, runs(spliced(base, told), ["b", "x", "d", "e"])))
['b', 'x', 'd', 'e']
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import chain

Runs = list  # of (start, stop) tuples and lists of rows


def runs(base: list, table: list, most: float = float("inf")) -> Runs | None:
    """Return ``table`` as runs over ``base`` (see the module): a row of the table is the base's when it is
    that row (or equal to it) at the place that follows the last one taken, or that row at any place; any
    other row is the table's own. The rows that follow one another in both are compared in slices (in C):
    at 100,000 rows, a few milliseconds where one comparison a row took 0.15 s. None when the runs and the
    rows of the table's own come to more than ``most`` (the table is better written whole), found as soon
    as they do.

    >>> runs(["a", "b", "c"], ["a", "c", "d"])
    [(0, 1), (2, 3), ['d']]
    """
    places = None  # the base's rows by identity, made when a row is not where the last one leads
    out: Runs = []
    done = at = owned = 0
    while done < len(table):
        row = table[done]
        if at < len(base) and (base[at] is row or base[at] == row):
            size = _alike(base, at, table, done)
            _take_range(out, at, at + size)
            done, at = done + size, at + size
        else:
            if places is None:
                places = {id(old): place for place, old in enumerate(base)}
            place = places.get(id(row))
            if place is not None:
                at = place  # taken from there on
                continue
            _own(out, row)
            done, owned = done + 1, owned + 1
            if at + 1 < len(base) and done < len(table) and base[at + 1] == table[done]:
                at += 1  # the row took the place of the base's (the rows after it may be equal, not the same)
        if len(out) + owned > most:
            return None
    return out


def _alike(old: list, at: int, new: list, done: int) -> int:
    """Return how many rows of ``old`` from ``at`` are those of ``new`` from ``done`` (one at least: the
    first are known to be), compared a slice at a time, in slices twice as long each time."""
    most = min(len(old) - at, len(new) - done)
    size, step = 1, 1
    while size < most:
        step = min(step * 2, most - size)
        if old[at + size:at + size + step] == new[done + size:done + size + step]:
            size += step
            continue
        low, high = 0, step  # the first ``low`` rows after ``size`` are alike, not all ``high``
        while high - low > 1:
            middle = (low + high) // 2
            if old[at + size + low:at + size + middle] == new[done + size + low:done + size + middle]:
                low = middle
            else:
                high = middle
        return size + low
    return size


def _own(out: Runs, row) -> None:
    """Add a row of the table's own to the runs ``out``."""
    if out and isinstance(out[-1], list):
        out[-1].append(row)
    else:
        out.append([row])


def own_rows(told: Runs) -> int:
    """Return how many rows the runs ``told`` hold of their own (not the base's).

    >>> own_rows([(0, 5), ["x", "y"], (7, 9), ["z"]])
    3
    """
    return sum(len(run) for run in told if isinstance(run, list))


def spliced(base: list, told: Runs) -> list:
    """Return the table the runs ``told`` make over ``base`` (see :func:`runs`)."""
    return list(chain.from_iterable(base[run[0]:run[1]] if isinstance(run, tuple) else run for run in told))


def composed(first: Runs, then: Runs) -> Runs:
    """Return runs over a base that make the table the runs ``then`` make over the table the runs ``first``
    make over that base.

    >>> composed([(0, 2), ["x"], (5, 7)], [(1, 4)])
    [(1, 2), ['x'], (5, 6)]
    """
    starts, at = [], 0  # where each run of ``first`` begins in the table it makes
    for run in first:
        starts.append(at)
        at += run[1] - run[0] if isinstance(run, tuple) else len(run)
    out: Runs = []
    for run in then:
        if isinstance(run, list):
            for row in run:
                _own(out, row)
            continue
        begin, end = run
        index = bisect_right(starts, begin) - 1
        while begin < end:
            piece, offset = first[index], begin - starts[index]
            size = piece[1] - piece[0] if isinstance(piece, tuple) else len(piece)
            stop = min(end - starts[index], size)
            if isinstance(piece, tuple):
                _take_range(out, piece[0] + offset, piece[0] + stop)
            else:
                for row in piece[offset:stop]:
                    _own(out, row)
            begin += stop - offset
            index += 1
    return out


def _take_range(out: Runs, start: int, stop: int) -> None:
    """Add the base's rows ``start`` to ``stop`` to the runs ``out``."""
    if out and isinstance(out[-1], tuple) and out[-1][1] == start:
        out[-1] = (out[-1][0], stop)
    else:
        out.append((start, stop))
