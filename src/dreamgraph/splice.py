"""A table told as the runs of another: the few rows a rebuild changes, written without the many it keeps.

A rebuild after one edit makes tables (the gap report, the articles' rows, their mentions) that are the
last build's with a few rows changed; writing them whole again cost a rebuild at 100,000 articles 0.5 s of
pickling. :func:`runs` tells a new table (a list of rows) as a list of runs over a base table:
``(start, stop)``, the base's rows ``start`` to ``stop`` in order, or a list of rows of its own;
:func:`spliced` makes the table again from the base and the runs, and :func:`composed` turns runs over a
table that is itself runs over a base into runs over that base, so one base serves every rebuild after it
(see :class:`dreamgraph.store.Spliced`).

A table that is a dict (every name a dream answers to, each article's version) is told the same way as the
:class:`Changes` to another: the keys taken out, those put in (new, or with a new value), and those whose
value, a dict itself, is told as its changes in turn.

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
from dataclasses import dataclass, field
from itertools import chain

Runs = list  # of (start, stop) tuples and lists of rows


@dataclass
class Changes:
    """A dict told as the changes to another (its base): the keys ``removed``, those ``put`` (new, or with a
    value of their own), and those ``within`` whose values, dicts in both, are told as changes in turn. No
    key is in two of them.

    >>> told = runs({"a": 1, "b": 2, "c": {"x": 1, "y": 2}}, {"a": 1, "c": {"x": 1, "y": 3}, "d": 4})
    >>> told
    Changes(removed=['b'], put={'d': 4}, within={'c': Changes(removed=[], put={'y': 3}, within={})})
    >>> spliced({"a": 1, "b": 2, "c": {"x": 1, "y": 2}}, told)
    {'a': 1, 'c': {'x': 1, 'y': 3}, 'd': 4}
    """

    removed: list = field(default_factory=list)
    put: dict = field(default_factory=dict)
    within: dict = field(default_factory=dict)

    def size(self) -> int:
        """Return how many keys the changes hold, those of the changes within included."""
        return len(self.removed) + len(self.put) + sum(changes.size() for changes in self.within.values())


def runs(base, table, most: float = float("inf")):
    """Return ``table`` as runs over ``base`` (see the module; for two dicts, as its :class:`Changes`, see
    :func:`changes`): a row of the table is the base's when it is
    that row (or equal to it) at the place that follows the last one taken, or that row at any place; any
    other row is the table's own. The rows that follow one another in both are compared in slices (in C):
    at 100,000 rows, a few milliseconds where one comparison a row took 0.15 s. None when the runs and the
    rows of the table's own come to more than ``most`` (the table is better written whole), found as soon
    as they do.

    >>> runs(["a", "b", "c"], ["a", "c", "d"])
    [(0, 1), (2, 3), ['d']]
    """
    if isinstance(base, dict) and isinstance(table, dict):
        return changes(base, table, most)
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


def table_size(table: list | dict) -> int:
    """Return how many rows a table has, or for a dict how many keys, those of the dicts within included
    (the size its runs or changes are weighed against).

    >>> table_size({"versions": {"a": 1, "b": 2}, "digest": "x"})
    4
    """
    if isinstance(table, dict):
        return len(table) + sum(table_size(value) for value in table.values() if type(value) is dict)
    return len(table)


def told_size(told: Runs | Changes) -> int:
    """Return how much the runs (their number and their rows of their own) or the changes (their keys) hold:
    what weighs against writing the table whole."""
    return told.size() if isinstance(told, Changes) else own_rows(told) + len(told)


def spliced(base, told: Runs | Changes):
    """Return the table the runs ``told`` make over ``base`` (see :func:`runs`); for :class:`Changes`, the
    dict ``base`` changed in place."""
    if isinstance(told, Changes):
        for key in told.removed:  # (composed changes may take out a key the base never had)
            base.pop(key, None)
        base.update(told.put)
        for key, inner in told.within.items():
            spliced(base[key], inner)
        return base
    return list(chain.from_iterable(base[run[0]:run[1]] if isinstance(run, tuple) else run for run in told))


def changes(base: dict, table: dict, most: float = float("inf")) -> Changes | None:
    """Return the dict ``table`` as its :class:`Changes` to ``base``: a value that is the base's (the same
    object, or equal) is not told; one that is a dict in both is told as its changes, unless they take out
    or put in as many keys as it has. None when they come to more than ``most`` keys, found as soon as they
    do. At 336,000 names, 0.03 s where pickling them took 0.22 s.

    >>> changes({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4})
    Changes(removed=[], put={'b': 3, 'c': 4}, within={})
    >>> changes({"a": 1, "b": 2}, {"c": 1, "d": 3}, most=3) is None
    True
    """
    told = Changes(sorted(base.keys() - table.keys()))
    missing, size = object(), len(told.removed)
    if size > most:
        return None
    for key, value in table.items():
        old = base.get(key, missing)
        if old is value:
            continue
        inner = changes(old, value) if isinstance(old, dict) and isinstance(value, dict) else None
        if inner is not None and len(inner.removed) + len(inner.put) < len(value):  # else put in whole
            if inner.size():
                told.within[key] = inner
                size += inner.size()
        elif old is missing or old != value:
            told.put[key] = value
            size += 1
        if size > most:
            return None
    return told


def composed(first: Runs | Changes, then: Runs | Changes) -> Runs | Changes:
    """Return runs over a base that make the table the runs ``then`` make over the table the runs ``first``
    make over that base (or changes, for changes).

    >>> composed([(0, 2), ["x"], (5, 7)], [(1, 4)])
    [(1, 2), ['x'], (5, 6)]
    >>> composed(Changes(["a"], {"b": 1}), Changes(["b"], {"a": 2}))
    Changes(removed=['b'], put={'a': 2}, within={})
    """
    if isinstance(first, Changes):
        return _composed_changes(first, then)
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


def _composed_changes(first: Changes, then: Changes) -> Changes:
    """Return the changes to a base that make the dict the changes ``then`` make of the dict the changes
    ``first`` make of that base (see :func:`composed`)."""
    out = Changes(list(first.removed), dict(first.put), dict(first.within))
    gone = set(then.removed) | then.put.keys()
    for key in gone:  # what ``first`` told of these keys no longer holds
        out.put.pop(key, None)
        out.within.pop(key, None)
    # a key ``then`` takes out may be one ``first`` put in, not the base's: taking it out of the base is no harm
    out.removed = sorted((set(out.removed) | set(then.removed)) - then.put.keys())
    out.put.update(then.put)
    for key, inner in then.within.items():
        if key in out.put:  # a value ``first`` put in whole, changed again: put in whole as it is now
            out.put[key] = spliced(_copied(out.put[key]), inner)
        elif key in out.within:
            out.within[key] = _composed_changes(out.within[key], inner)
        else:
            out.within[key] = inner
    return out


def _copied(value: dict) -> dict:
    """Return a copy of a dict deep enough to take changes without changing ``value`` (its dicts copied)."""
    return {key: _copied(inner) if isinstance(inner, dict) else inner for key, inner in value.items()}
