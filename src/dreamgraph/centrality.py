"""How central each dream is: PageRank, degrees and betweenness, computed over the links as arrays.

The build ranks every dream from the projection's arrays (:class:`dreamgraph.snapshot.projection.Links`),
without the projection itself or networkx: networkx's PageRank spent most of its time turning the graph
into a matrix (0.15 s of 0.17 s at 10,000 dreams), which the arrays already are. The numbers are
networkx's: PageRank is its power iteration step for step (the same sums in the same order, so the same
floats), and betweenness is Brandes' algorithm (igraph's) from the sources networkx would sample.

>>> import numpy as np
>>> pairs = np.array([(0, 1), (1, 2), (0, 3), (3, 2)])
>>> [(row["slug"], row["pagerank"], row["betweenness"]) for row in ranked(["a", "b", "c", "d"], list("ABCD"),
...                                                                       [False] * 4, pairs)][:2]
[('c', 0.470609, 0.0), ('b', 0.195943, 0.083333)]
"""

from __future__ import annotations

import random
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from .igraphcore import core
from .snapshot.projection import Links

if TYPE_CHECKING:  # numpy is loaded by the first ranking, not by every command that imports the build
    import numpy as np

EXACT_UP_TO = 2000  # dreams; above, betweenness is estimated from SAMPLED sources (seeded, so stable)
SAMPLED = 100
ASIDE_ABOVE = 20_000  # dreams; above, a patch estimates the betweenness in a child process (rankings_aside)


def rankings(links: Links) -> list[dict]:
    """Return :func:`ranked` for the projection's arrays."""
    return ranked(links.slugs, links.labels, links.stub, links.pairs())


def rankings_aside(links: Links, folder: Path) -> tuple[list[dict], Callable[[], None]]:
    """Return :func:`rankings` at once but for the betweenness, estimated meanwhile in a child process (see
    :class:`dreamgraph.files.Child`, its file in ``folder``) for a library of more than :data:`ASIDE_ABOVE`
    dreams, and what puts it in the rows once done (waiting for it). A patch that changes links reads the
    PageRank (the gaps' scores) but not the betweenness before it writes the rankings: at 100,000 dreams the
    estimate takes 0.7-1.9 s, which the child spends on the other core.

    >>> import tempfile
    >>> from dreamgraph.snapshot.projection import links_of
    >>> import networkx as nx
    >>> g = nx.DiGraph([("a", "b"), ("b", "c"), ("a", "d"), ("d", "c")])
    >>> g.add_nodes_from(g, label="", stub=False, partial=False, clusters=[])
    >>> rows, finish = rankings_aside(Links(links_of(g)), Path(tempfile.mkdtemp()))
    >>> finish(); rows == rankings(Links(links_of(g)))
    True
    """
    pairs = links.pairs()
    count = len(links.slugs)
    if count <= ASIDE_ABOVE:
        return ranked(links.slugs, links.labels, links.stub, pairs), lambda: None
    from functools import partial

    from .files import Child

    child = Child(partial(estimated_betweenness, count, pairs), folder)
    rows, order = _ranked(links.slugs, links.labels, links.stub, pairs)

    def finish() -> None:
        _put_betweenness(rows, order, child.result())

    return rows, finish


def estimated_betweenness(count: int, pairs: np.ndarray) -> np.ndarray:
    """Return the betweenness the rankings give: exact up to :data:`EXACT_UP_TO` dreams, else estimated from
    :data:`SAMPLED` sources (see :func:`betweenness`)."""
    return betweenness(count, pairs, k=None if count <= EXACT_UP_TO else SAMPLED, seed=0)


def ranked(slugs: Sequence[str], labels: Sequence[str], stub: Sequence[bool], pairs: np.ndarray) -> list[dict]:
    """Return every dream with its in-degree, out-degree, PageRank and betweenness, most central first:
    dreams numbered as ``slugs`` orders them, ``pairs`` the links as (source, target) numbers.

    Sorted by PageRank, then in-degree, then slug. Values are rounded to 6 places so output is stable.
    """
    rows, order = _ranked(slugs, labels, stub, pairs)
    if rows:
        _put_betweenness(rows, order, estimated_betweenness(len(slugs), pairs))
    return rows


def _ranked(slugs: Sequence[str], labels: Sequence[str], stub: Sequence[bool],
            pairs: np.ndarray) -> tuple[list[dict], list[int]]:
    """Return the rows of :func:`ranked` with no betweenness yet, and the dream of each row (its number)."""
    import numpy as np

    count = len(slugs)
    if count == 0:
        return [], []
    scores = rounded(pagerank(count, pairs) if len(pairs) else [1 / count] * count)
    into, out = (np.bincount(pairs[:, side], minlength=count).tolist() for side in (1, 0))
    if all(map(str.__lt__, slugs, islice(slugs, 1, None))):  # numbered in slug order: a tie keeps it (5x faster)
        order = np.lexsort((-np.array(into), -np.array(scores))).tolist()
    else:
        order = sorted(range(count), key=lambda n: (-scores[n], -into[n], slugs[n]))
    stub = stub.tolist() if hasattr(stub, "tolist") else list(stub)
    rows = [{"slug": slugs[n], "label": labels[n], "stub": bool(stub[n]), "in_degree": into[n],
             "out_degree": out[n], "pagerank": scores[n], "betweenness": None} for n in order]
    return rows, order


def _put_betweenness(rows: list[dict], order: list[int], between: np.ndarray) -> None:
    import numpy as np

    for row, value in zip(rows, rounded(between[np.array(order, dtype=np.int64)])):
        row["betweenness"] = value


def rounded(values: np.ndarray | Sequence[float], places: int = 6) -> list[float]:
    """Return ``round(value, places)`` of each value, the float Python's ``round`` gives, a twentieth of its
    time (0.7 µs a value, 15 ms a patch at 10,000 dreams). Scaled up and rounded to a whole number, a value
    rounds as Python rounds it unless it lies within the scaling's error of a half (or is large, or not a
    number): those few are rounded by Python. The whole number divided back is the float nearest the
    decimal, as Python's is.

    >>> values = [0.1234565, 2.5e-7, 0.285, 1 / 3]
    >>> rounded(values), rounded(values) == [round(value, 6) for value in values]
    ([0.123456, 0.0, 0.285, 0.333333], True)
    """
    import numpy as np

    values = np.asarray(values, dtype=float)
    scale = 10.0 ** places
    with np.errstate(invalid="ignore", over="ignore"):  # (infinities: rounded by Python below)
        scaled = values * scale
        near = ~(np.abs(scaled - np.floor(scaled) - 0.5) > 1e-6) | ~(np.abs(values) < 1e3)  # (NaN is near)
    found = (np.rint(np.where(near, 0.0, scaled)) / scale).tolist()
    for n in np.flatnonzero(near).tolist():
        found[n] = round(float(values[n]), places)
    return found


def pagerank(count: int, pairs: np.ndarray, alpha: float = 0.85, max_iter: int = 100,
             tol: float = 1.0e-6) -> list[float]:
    """Return the PageRank of each of ``count`` dreams linked by ``pairs``, as networkx's ``pagerank``
    computes it for a graph whose nodes are in that order: its power iteration step for step, with numpy
    alone (scipy's import cost a rebuild after one edit 0.1 s). networkx multiplies the scores by its
    sparse matrix, which adds each dream's share into the dreams it links to from the first source to
    the last; ``np.bincount`` adds them in the same order when the links are sorted by source, so every
    sum, and every float, is the same.

    >>> import networkx as nx, numpy as np
    >>> g = nx.DiGraph([(0, 1), (1, 2), (2, 0), (2, 3), (3, 3)])
    >>> pagerank(4, np.array(g.edges)) == list(nx.pagerank(g).values())
    True
    """
    import numpy as np

    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]  # by source, then target; a pair twice counts twice
    first = np.flatnonzero(np.concatenate(([True], (pairs[1:] != pairs[:-1]).any(axis=1))))
    times = np.diff(np.append(first, len(pairs)))
    sources, targets = pairs[first, 0], pairs[first, 1]
    out = np.bincount(sources, weights=times, minlength=count)
    dangling = np.where(out == 0)[0]
    out[out != 0] = 1.0 / out[out != 0]
    share = out[sources] * times  # each link's part of its source's score (the matrix networkx makes)
    x = np.repeat(1.0 / count, count)
    p = np.repeat(1.0 / count, count)
    for _ in range(max_iter):
        last = x
        x = alpha * (np.bincount(targets, weights=share * x[sources], minlength=count) + sum(x[dangling]) * p) \
            + (1 - alpha) * p
        if np.absolute(x - last).sum() < count * tol:
            return x.tolist()
    raise ArithmeticError(f"PageRank did not converge in {max_iter} iterations")


def betweenness(count: int, pairs: np.ndarray, k: int | None = None, seed: int = 0) -> np.ndarray:
    """Return networkx's normalized betweenness centrality of each of ``count`` dreams linked by ``pairs``:
    from every dream, or estimated from ``k`` sources sampled as networkx samples them with ``seed`` from
    the dreams in that order (the sum of each source's dependencies, scaled as networkx scales it).

    igraph's Brandes in C counts the shortest paths from the sources: at 100,000 dreams, 0.7 s against 3 s
    for the same algorithm in sparse matrix products (and 70 s for networkx's estimate in Python).

    >>> import numpy as np
    >>> betweenness(4, np.array([(0, 1), (1, 2), (0, 3), (3, 2)])).tolist()
    [0.0, 0.08333333333333333, 0.0, 0.08333333333333333]
    """
    import numpy as np

    if count < 3:
        return np.zeros(count)
    every = k is None or k >= count
    sources = None if every else random.Random(seed).sample(range(count), k)
    # a dream's link to itself is on no shortest path; igraph reads a list of pairs 4 times as fast as an array
    graph = core().GraphBase(count, pairs[pairs[:, 0] != pairs[:, 1]].tolist(), True)
    total = np.array(graph.betweenness(directed=True, sources=sources), dtype=float)
    if every:  # pairs of distinct other dreams
        return total / ((count - 1) * (count - 2))
    sampled = np.zeros(count, dtype=bool)
    sampled[sources] = True
    within, outside = 1 / ((len(sources) - 1) * (count - 2)), 1 / (len(sources) * (count - 2))
    return total * np.where(sampled, within, outside)
