"""Terms and query results the same for every engine: IRIs, result cells, rows, and terms written safely
into SPARQL.

>>> python_value(("literal", "3", "http://www.w3.org/2001/XMLSchema#integer", None))
3
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from .errors import QueryError


class IRI(str):
    """An IRI in a query result (a ``str``, so it compares and sorts as text)."""

    def __repr__(self) -> str:
        return f"IRI({str.__repr__(self)})"


class TypedLiteral(str):
    """A literal with a datatype that has no plain Python counterpart."""

    datatype: str = ""


_XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMERIC = {_XSD + name for name in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger")}

# A result cell, as plain picklable data the same for every engine:
#   ("uri", iri) | ("bnode", id) | ("literal", text, datatype IRI or None, language or None)
Cell = tuple


@dataclass
class QueryResult:
    """The answer to one query, engine-neutral: SELECT rows, an ASK boolean, or CONSTRUCT/DESCRIBE triples."""

    kind: str                                   # "select", "ask" or "graph"
    variables: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)       # one Cell or None per variable
    boolean: bool | None = None
    triples: list[tuple] = field(default_factory=list)    # (Cell, Cell, Cell)
    truncated: bool = False                     # stopped at the row cap


def cell_of(term) -> Cell | None:
    """Return a pyoxigraph term as a Cell."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return ("uri", term.value)
    if isinstance(term, ox.BlankNode):
        return ("bnode", term.value)
    datatype = term.datatype.value if not term.language else None
    value = term.value
    if datatype == _XSD + "boolean" and value in ("0", "1"):  # Virtuoso's SELECT answers: the canonical form
        value = "true" if value == "1" else "false"
    return ("literal", value, None if datatype == _XSD + "string" else datatype, term.language)


def python_value(cell: Cell | None):
    """Return a Cell as a plain Python value: IRI, str, int, float, bool or TypedLiteral."""
    if cell is None:
        return None
    if cell[0] == "uri":
        return IRI(cell[1])
    if cell[0] == "bnode":
        return IRI("_:" + cell[1])
    value, datatype = cell[1], cell[2]
    if datatype is None or datatype == "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString":
        return value
    if datatype in _NUMERIC:
        return int(value)
    if datatype == _XSD + "boolean":
        return value in ("true", "1")
    if datatype in (_XSD + "double", _XSD + "float", _XSD + "decimal"):
        return float(value)
    typed = TypedLiteral(value)
    typed.datatype = datatype
    return typed


def oxigraph_term(value) -> ox.NamedNode | ox.Literal:
    """Return a Python value as a pyoxigraph term (an IRI stays an IRI, text becomes a literal)."""
    if isinstance(value, IRI):
        return ox.NamedNode(value)
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode(_XSD + "boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode(_XSD + "integer"))
    return ox.Literal(str(value))


def sparql_term(value) -> str:
    """Return a Python value as SPARQL/Turtle term text, escaped so it can never end the term early.

    >>> sparql_term('"} DROP ALL')
    '"\\\\"} DROP ALL"'
    >>> sparql_term(IRI("https://w3id.org/dreamgraph/id/dream/a"))
    '<https://w3id.org/dreamgraph/id/dream/a>'
    """
    return str(oxigraph_term(value))


def result_from_oxigraph(answer, max_rows: int | None = None) -> QueryResult:
    """Return a pyoxigraph query answer as a QueryResult, reading at most ``max_rows`` rows or triples."""
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult("ask", boolean=bool(answer))
    limit = max_rows if max_rows is not None else float("inf")
    if isinstance(answer, ox.QuerySolutions):
        names = [v.value for v in answer.variables]
        result = QueryResult("select", variables=names)
        for row in answer:
            if len(result.rows) >= limit:
                result.truncated = True
                break
            result.rows.append(tuple(map(cell_of, row)))  # a solution iterates in the order of its variables
        return result
    result = QueryResult("graph", variables=["subject", "predicate", "object"])
    for triple in answer:
        if len(result.triples) >= limit:
            result.truncated = True
            break
        result.triples.append((cell_of(triple.subject), cell_of(triple.predicate), cell_of(triple.object)))
    return result


def _where_brace(query: str) -> int:
    """Return the index just after the "{" that opens the query's WHERE group, skipping comments, strings
    and IRIs (so a "{" or "WHERE" inside them does not count)."""
    i, n, seen_where, quote = 0, len(query), False, None
    while i < n:
        char = query[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if query.startswith(quote, i):
                i += len(quote)
                quote = None
                continue
        elif char == "#":
            newline = query.find("\n", i)
            i = n if newline < 0 else newline
            continue
        elif char in "\"'":
            quote = query[i:i + 3] if query[i:i + 3] in ('"""', "'''") else char
            i += len(quote)
            continue
        elif char == "<" and re.match(r"<[^<>\"{}|^`\\\s]*>", query[i:]):
            i = query.index(">", i) + 1
            continue
        elif query[i:i + 5].upper() == "WHERE" and not query[i - 1:i].isalnum():
            seen_where = True
        elif char == "{" and (seen_where or not re.search(r"\bWHERE\b", query, re.IGNORECASE)):
            return i + 1
        i += 1
    raise QueryError("the query has no WHERE group to bind parameters in")


def with_values_clause(query: str, bindings: dict) -> str:
    """Return the query with a VALUES block binding the variables, placed first in its WHERE group.

    Used where an engine has no way to bind variables (remote endpoints, or a bound variable that is not
    selected). Terms are written by :func:`sparql_term`, so no value can change the query's structure, and
    because the block is inside the group, FILTERs there see the bound values.

    >>> with_values_clause("SELECT ?x WHERE { ?x ?p ?t FILTER(?t = ?x) }", {"t": "a"})
    'SELECT ?x WHERE { VALUES (?t) { ("a") } ?x ?p ?t FILTER(?t = ?x) }'
    """
    names = " ".join(f"?{name}" for name in bindings)
    values = " ".join(sparql_term(v) for v in bindings.values())
    at = _where_brace(query)
    return f"{query[:at]} VALUES ({names}) {{ ({values}) }}{query[at:]}"
