"""Export formats for other tools: GraphML (Gephi, yEd), CSV nodes and edges, JSON-LD and N-Triples.

GraphML and CSV hold the nodes and edges of a view; JSON-LD and N-Triples hold the whole graph.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import networkx as nx

from ..query import format_result
from ..files import atomic_write
from ..store import Store
from ..terms import QueryResult
from ..vocabulary import PREFIXES, compact_iri
from .data import ViewData
from .html import render
from .layout import place

SUFFIX = {"html": ".html", "graphml": ".graphml", "csv": ".csv", "jsonld": ".jsonld", "ntriples": ".nt"}


def view_graph(view: ViewData) -> nx.DiGraph:
    """Return a view's nodes and edges as a networkx graph with only text and number attributes."""
    if view.nodes and "x" not in view.nodes[0]:
        place(view)
    graph = nx.DiGraph()
    for node in sorted(view.nodes, key=lambda n: n["id"]):
        graph.add_node(node["id"], label=node["label"], kind=node["kind"], clusters=" ".join(node["clusters"]),
                       x=float(node.get("x", 0)), y=float(node.get("y", 0)))
    for edge in sorted(view.edges, key=lambda e: e["id"]):
        graph.add_edge(edge["from"], edge["to"], kind=edge["kind"], title=edge.get("title", ""))
    return graph


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def xml_text(value):
    """Return text with the characters XML 1.0 cannot hold (most control characters) as U+FFFD.

    >>> xml_text("a\x1bb")
    'a\ufffdb'
    """
    return _NOT_XML.sub("\ufffd", value) if isinstance(value, str) else value


def spreadsheet_cell(value):
    """Return a cell a spreadsheet will not run as a formula: text starting with = + - @ (or a tab or a
    return) gets a leading apostrophe, as OWASP advises against CSV injection.

    >>> spreadsheet_cell("=SUM(A1)"), spreadsheet_cell("plain"), spreadsheet_cell(12)
    ("'=SUM(A1)", 'plain', 12)
    """
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA) else value


def graphml_bytes(view: ViewData) -> bytes:
    """Return a view as GraphML (well-formed XML whatever the article text holds)."""
    graph = view_graph(view)
    for _, data in graph.nodes(data=True):
        data.update({key: xml_text(value) for key, value in data.items()})
    for _, _, data in graph.edges(data=True):
        data.update({key: xml_text(value) for key, value in data.items()})
    buffer = io.BytesIO()
    nx.write_graphml(graph, buffer, encoding="utf-8", prettyprint=True)
    return buffer.getvalue()


def csv_tables(view: ViewData, raw: bool = False) -> tuple[bytes, bytes]:
    """Return the nodes table and the edges table of a view as CSV; text that a spreadsheet would run as a
    formula is neutralised (:func:`spreadsheet_cell`) unless ``raw``."""
    graph = view_graph(view)
    cell = (lambda value: value) if raw else spreadsheet_cell
    nodes, edges = io.StringIO(), io.StringIO()
    writer = csv.writer(nodes, lineterminator="\n")
    writer.writerow(["id", "label", "kind", "clusters", "x", "y"])
    writer.writerows([n, cell(d["label"]), d["kind"], d["clusters"], int(d["x"]), int(d["y"])]
                     for n, d in graph.nodes(data=True))
    writer = csv.writer(edges, lineterminator="\n")
    writer.writerow(["from", "to", "kind", "title"])
    writer.writerows([a, b, d["kind"], cell(d["title"])] for a, b, d in graph.edges(data=True))
    return nodes.getvalue().encode("utf-8"), edges.getvalue().encode("utf-8")


def ntriples_bytes(store: Store) -> bytes:
    """Return the whole graph as sorted N-Triples."""
    result = QueryResult("graph", variables=["subject", "predicate", "object"], triples=store.every_triple())
    return (format_result(result, "ntriples") + "\n").encode("utf-8")


_XSD = "http://www.w3.org/2001/XMLSchema#"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def jsonld_bytes(store: Store) -> bytes:
    """Return the whole graph as compacted JSON-LD: the dreamgraph prefixes as its ``@context``, one node
    per subject (sorted), IRIs written ``prefix:local``, classes as ``@type``, integers and booleans as
    JSON numbers and booleans. Written here from the rows (rdflib's serialiser took three times as long)."""
    nodes: dict[str, dict[str, list]] = {}
    for subject, predicate, obj in store.every_triple():
        node = nodes.setdefault(_jsonld_id(subject), {})
        if predicate[1] == _RDF_TYPE and obj[0] == "uri":
            node.setdefault("@type", []).append(_compact(obj[1]))
        else:
            node.setdefault(_compact(predicate[1]), []).append(_jsonld_value(obj))
    graph = []
    for identifier in sorted(nodes):
        node = {"@id": identifier}
        for key, values in nodes[identifier].items():
            node[key] = values[0] if len(values) == 1 else sorted(values, key=repr)
        graph.append(node)
    document = {"@context": dict(sorted(PREFIXES.items())), "@graph": graph}
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")


def _compact(iri: str) -> str:
    return compact_iri(iri) or iri


def _jsonld_id(cell) -> str:
    return f"_:{cell[1]}" if cell[0] == "bnode" else _compact(cell[1])


def _jsonld_value(cell):
    """Return an object of a triple as a JSON-LD value."""
    if cell[0] != "literal":
        return {"@id": _jsonld_id(cell)}
    _, text, datatype, language = cell
    if language:
        return {"@language": language, "@value": text}
    if datatype is None:
        return text
    if datatype == _XSD + "integer":
        return int(text)
    if datatype == _XSD + "boolean":
        return text == "true"
    return {"@type": _compact(datatype), "@value": text}


ONE_FILE = ("html", "graphml", "jsonld", "ntriples")  # CSV is two files, nodes and edges


def format_bytes(store: Store, view: ViewData, fmt: str) -> bytes:
    """Return a view (or, for jsonld and ntriples, the whole graph) in a format that is one file."""
    if fmt == "html":
        return render(view).encode("utf-8")
    makers = {"graphml": lambda: graphml_bytes(view), "jsonld": lambda: jsonld_bytes(store),
              "ntriples": lambda: ntriples_bytes(store)}
    if fmt not in makers:
        raise ValueError(f"{fmt} is not a one-file format; use one of {', '.join(ONE_FILE)}")
    return makers[fmt]()


def write_format(store: Store, view: ViewData, fmt: str, path: Path, raw_cells: bool = False) -> list[Path]:
    """Write a view (or, for jsonld and ntriples, the whole graph) in a format; return the files written."""
    if fmt == "csv":
        nodes, edges = csv_tables(view, raw=raw_cells)
        stem = path.with_suffix("")
        written = [stem.with_name(stem.name + "-nodes.csv"), stem.with_name(stem.name + "-edges.csv")]
        atomic_write(written[0], nodes)
        atomic_write(written[1], edges)
        return written
    if fmt not in ONE_FILE or fmt == "html":
        raise ValueError(f"unknown format {fmt!r}")
    atomic_write(path, format_bytes(store, view, fmt))
    return [path]
