"""The plain way, for comparison: an rdflib in-memory graph parsed from the Turtle, behind dreamgraph's
Store interface, so the very same library code (queries, paths, gaps, views) runs on it.

Run as a script it does one piece of work from a cold start, like the CLI does:

    python bench/plain.py GRAPH_DIR query|gaps|path|export [ARGS]
"""

from __future__ import annotations

import sys
import time

from rdflib import BNode, Graph, Literal, URIRef

from dreamgraph.store import Store
from dreamgraph.terms import QueryResult
from dreamgraph.vocabulary import PREFIXES


def _cell(term):
    if term is None:
        return None
    if isinstance(term, URIRef):
        return ("uri", str(term))
    if isinstance(term, BNode):
        return ("bnode", str(term))
    datatype = str(term.datatype) if term.datatype else None
    if datatype == "http://www.w3.org/2001/XMLSchema#string":
        datatype = None
    return ("literal", str(term), datatype, term.language)


def _term(value):
    from dreamgraph.terms import IRI

    if isinstance(value, IRI):
        return URIRef(value)
    return Literal(value)


class RdflibStore(Store):
    """dreamgraph's Store interface over a plain rdflib Graph."""

    def __init__(self, graph: Graph):
        self.graph = graph

    @classmethod
    def from_turtle(cls, path) -> "RdflibStore":
        return cls(Graph().parse(path, format="turtle"))

    def execute(self, query, bindings=None, *, max_rows=None, timeout=None) -> QueryResult:
        result = self.graph.query(query, initNs=PREFIXES,
                                  initBindings={k: _term(v) for k, v in (bindings or {}).items()})
        if result.type == "ASK":
            return QueryResult("ask", boolean=bool(result.askAnswer))
        if result.type in ("CONSTRUCT", "DESCRIBE"):
            return QueryResult("graph", variables=["subject", "predicate", "object"],
                               triples=[tuple(_cell(t) for t in triple) for triple in result])
        names = [str(v) for v in result.vars]
        return QueryResult("select", variables=names, rows=[tuple(_cell(row[n]) for n in names) for row in result])


def main() -> None:
    graph_dir, work, *args = sys.argv[1:]
    started = time.perf_counter()
    store = RdflibStore.from_turtle(f"{graph_dir}/dreamgraph.ttl")
    if work == "query":
        from dreamgraph.query import named_query

        rows = store.select(named_query(args[0]).text)
        print(len(rows))
    elif work == "gaps":
        from dreamgraph.gaps import find_gaps

        print(len(find_gaps(store)))
    elif work == "path":
        from dreamgraph.progression import progression_graph, shortest_progression

        print(shortest_progression(progression_graph(store), args[0], args[1]))
    elif work == "search":
        from dreamgraph.dreams import search_text

        print(len(search_text(store, " ".join(args))))
    elif work == "export":
        from dreamgraph.views import render, taxonomy_view

        print(len(render(taxonomy_view(store))))
    print(f"{time.perf_counter() - started:.2f}", file=sys.stderr)


if __name__ == "__main__":
    main()
