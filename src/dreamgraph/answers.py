"""Shipped queries answered from what the build kept beside the embedded store, with the rows SPARQL gives.

On disk, Oxigraph looks up every pattern and reads every string on its own, so a shipped query that lists
most of a large library takes seconds (the completeness of 100,000 articles: 18 s), while the build
already made the data it asks for (see :mod:`dreamgraph.derived`). Each function here answers one shipped
query (its name) from that data, with exactly the rows, terms and order the query gives; tests run every
one against the query itself, on libraries made to hold the corner cases. A query with no function here,
a store with nothing kept (a remote endpoint, a graph loaded by hand) and any query not shipped go to the
engine as they are.

>>> from dreamgraph.build import assemble, shared_triples
>>> from dreamgraph.derived import _Kept, derive
>>> from dreamgraph.parse import parse_text
>>> library = assemble([parse_text("Dream About Falling: The Drop\\nNext Stages\\n"
...                                "- If you land → dream about landing meaning — when it ends\\n", "a.txt")], {})
>>> store = _Kept(derive(library, shared_triples(library)))
>>> answer = kept_answer(store, "stubs-by-demand", {})
>>> answer.variables, answer.rows[0][1:]
(['stub', 'label', 'linkedFrom'], (('literal', 'landing', None, None), ('literal', '1', 'http://www.w3.org/2001/XMLSchema#integer', None)))
"""

from __future__ import annotations

from collections import Counter
from typing import Callable

import networkx as nx

from .gaps import SECTION_COUNTS
from .store import QueryResult, Store
from .vocabulary import cluster_iri, dream_iri, slug_of

_XSD = "http://www.w3.org/2001/XMLSchema#"
Rows = tuple[list[str], list[tuple]]


def _iri(value: str) -> tuple:
    return ("uri", value)


def _text(value: str) -> tuple:
    return ("literal", value, None, None)


def _integer(value: int) -> tuple:
    return ("literal", str(value), _XSD + "integer", None)


def _boolean(value: bool) -> tuple:
    return ("literal", "true" if value else "false", _XSD + "boolean", None)


def _article(entry: dict) -> tuple:
    """The dream, label, path and line of a completeness entry (see :func:`dreamgraph.gaps.completeness_matrix`)."""
    return _iri(str(dream_iri(entry["dream"]))), _text(entry["label"]), _text(entry["path"]), _integer(entry["line"])


# --- one function per shipped query: (store, bindings) -> (variables, rows), or None when not kept -------

def gap_completeness(store: Store, bindings: dict) -> Rows | None:
    matrix = store.derived("completeness")
    if matrix is None:
        return None
    return (["dream", "label", "path", "line", *SECTION_COUNTS],
            [(*_article(e), *(_integer(e[key]) for key in SECTION_COUNTS.values())) for e in matrix])


def gap_orphans(store: Store, bindings: dict) -> Rows | None:
    matrix, graph = store.derived("completeness"), store.derived("projection")
    if matrix is None or graph is None:
        return None
    return ["dream", "label", "path", "line"], [_article(e) for e in matrix
                                                if not set(graph.predecessors(e["dream"])) - {e["dream"]}]


def gap_dead_ends(store: Store, bindings: dict) -> Rows | None:
    matrix, graph = store.derived("completeness"), store.derived("projection")
    if matrix is None or graph is None:
        return None
    ends = sorted((e for e in matrix if not graph.out_degree(e["dream"])),
                  key=lambda e: (-graph.in_degree(e["dream"]), e["dream"]))
    return (["dream", "label", "path", "line", "linkedFrom"],
            [(*_article(e), _integer(graph.in_degree(e["dream"]))) for e in ends])


def stubs_by_demand(store: Store, bindings: dict) -> Rows | None:
    graph = store.derived("projection")
    if graph is None:
        return None
    stubs = sorted((slug for slug, stub in graph.nodes(data="stub") if stub and graph.in_degree(slug)),
                   key=lambda slug: (-graph.in_degree(slug), slug))
    return (["stub", "label", "linkedFrom"],
            [(_iri(graph.nodes[s]["iri"]), _text(graph.nodes[s]["label"]), _integer(graph.in_degree(s))) for s in stubs])


def gap_missing_articles(store: Store, bindings: dict) -> Rows | None:
    links, matrix = store.derived("stub-links"), store.derived("completeness")
    if links is None or matrix is None:
        return None
    source = {e["path"]: e["dream"] for e in matrix}
    if any(path not in source for entry in links.values() for path, _, _ in entry["links"]):
        return None  # a link from a file that made no written dream: let the query say what it finds
    rows = []
    for slug in sorted(links):
        dream, label = _iri(str(dream_iri(slug))), _text(links[slug]["label"])
        rows.extend((dream, label, _iri(str(dream_iri(source[path]))), _text(path), _integer(line), _text(condition))
                    for path, line, condition in links[slug]["links"])
    return ["dream", "label", "source", "path", "line", "condition"], rows


def gap_clusters(store: Store, bindings: dict) -> Rows | None:
    table, graph = store.derived("clusters"), store.derived("projection")
    if table is None or graph is None:
        return None
    written = Counter(c for _, data in graph.nodes(data=True) if not data["stub"] for c in data["clusters"])
    rows = []
    for slug in sorted(table, key=lambda slug: (written[slug], slug)):
        hub = _iri(graph.nodes[slug]["iri"]) if slug in graph and not graph.nodes[slug]["stub"] else None
        rows.extend((_iri(str(cluster_iri(slug))), _text(label), _integer(written[slug]), hub)
                    for label in table[slug]["labels"])
    return ["cluster", "label", "writtenDreams", "hub"], rows


def _chained(graph: nx.DiGraph, start: str, step: Callable) -> list[str]:
    """The dreams one or more steps from ``start`` (itself only when it is on a loop), sorted."""
    if start not in graph:
        return []
    seen: set[str] = set()
    todo = list(step(start))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(step(node))
    return sorted(seen)


def _progression(store: Store, bindings: dict, column: str, forward: bool) -> Rows | None:
    graph = store.derived("projection")
    if graph is None or "dream" not in bindings:
        return None
    start = str(bindings["dream"])
    found = _chained(graph, slug_of(start), graph.successors if forward else graph.predecessors)
    return (["dream", column, "label", "stub"],
            [(_iri(start), _iri(graph.nodes[s]["iri"]), _text(graph.nodes[s]["label"]), _boolean(graph.nodes[s]["stub"]))
             for s in found])


def leads_to(store: Store, bindings: dict) -> Rows | None:
    return _progression(store, bindings, "source", forward=False)


def reachable_from(store: Store, bindings: dict) -> Rows | None:
    return _progression(store, bindings, "reached", forward=True)


ANSWERS: dict[str, Callable[[Store, dict], Rows | None]] = {
    "gap-completeness": gap_completeness, "gap-orphans": gap_orphans, "gap-dead-ends": gap_dead_ends,
    "gap-missing-articles": gap_missing_articles, "gap-clusters": gap_clusters, "stubs-by-demand": stubs_by_demand,
    "leads-to": leads_to, "reachable-from": reachable_from,
}


def kept_answer(store: Store, name: str, bindings: dict | None, max_rows: int | None = None) -> QueryResult | None:
    """Return the answer of the shipped query ``name`` made from the data kept with the store, at most
    ``max_rows`` rows, or None when the engine must answer it."""
    answer = ANSWERS.get(name)
    made = answer(store, bindings or {}) if answer else None
    if made is None:
        return None
    variables, rows = made
    limit = len(rows) if max_rows is None else max_rows
    return QueryResult("select", variables=variables, rows=rows[:limit], truncated=len(rows) > limit)
