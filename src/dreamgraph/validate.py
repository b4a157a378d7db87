"""SHACL check of a built graph against ``data/shapes.ttl`` (pySHACL).

>>> from rdflib import Graph
>>> bad = Graph().parse(data='''@prefix dg: <https://w3id.org/dreamgraph/ontology#> .
... <https://w3id.org/dreamgraph/id/dream/a> a dg:Dream ; dg:nextStage <https://w3id.org/dreamgraph/id/dream/b> .''',
...                     format="turtle")
>>> sorted({v.message for v in check(bad)})[:2]
['a next stage must point to a dream', 'every dream has exactly one non-empty label']
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import SH

from .errors import DreamgraphError


@dataclass(frozen=True, order=True)
class Violation:
    """One broken rule: the node it is about, the rule in words, and the offending value if any."""

    focus: str
    message: str
    path: str = ""
    value: str = ""

    def __str__(self) -> str:
        extra = f" (value {self.value})" if self.value else ""
        return f"{self.focus}: {self.message}{extra}"


def shapes_text() -> str:
    """Return the shipped SHACL shapes as Turtle text."""
    return resources.files("dreamgraph").joinpath("data/shapes.ttl").read_text(encoding="utf-8")


def ontology_text() -> str:
    """Return the shipped ontology as Turtle text."""
    return resources.files("dreamgraph").joinpath("data/ontology.ttl").read_text(encoding="utf-8")


def _rdflib_term(term):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    return Literal(term.value, lang=term.language, datatype=None if term.language else URIRef(term.datatype.value))


def _graph(data: bytes, fmt) -> Graph:
    """Return an rdflib Graph of RDF bytes parsed by Oxigraph (strict, fast, never fetches)."""
    graph = Graph()
    graph.addN((_rdflib_term(t.subject), _rdflib_term(t.predicate), _rdflib_term(t.object), graph)
               for t in ox.parse(data, format=fmt))
    return graph


def graph_from_ntriples(data: str) -> Graph:
    """Return an rdflib Graph of N-Triples text (Oxigraph's parser is faster than rdflib's own)."""
    return _graph(data.encode("utf-8"), ox.RdfFormat.N_TRIPLES)


def read_turtle(path: Path) -> Graph:
    """Return an rdflib Graph of a Turtle file; a syntax error is reported with the file, line and column."""
    try:
        return _graph(Path(path).read_bytes().removeprefix(b"\xef\xbb\xbf"), ox.RdfFormat.TURTLE)
    except SyntaxError as exc:
        raise DreamgraphError(f"{path}: {exc}") from None
    except OSError as exc:
        raise DreamgraphError(f"cannot read {path}: {exc.strerror or exc}") from None


def check(graph: Graph) -> list[Violation]:
    """Return the SHACL violations of a graph, sorted (empty when it conforms)."""
    import pyshacl

    shapes = Graph().parse(data=shapes_text(), format="turtle")
    conforms, results, _ = pyshacl.validate(graph, shacl_graph=shapes, inference="none", advanced=False)
    if conforms:
        return []
    violations = set()
    for result in results.subjects(SH.resultSeverity, SH.Violation):
        violations.add(Violation(
            focus=str(results.value(result, SH.focusNode)),
            message=str(results.value(result, SH.resultMessage) or "violates a shape"),
            path=str(results.value(result, SH.resultPath) or ""),
            value=str(results.value(result, SH.value) or ""),
        ))
    return sorted(violations)
