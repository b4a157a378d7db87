"""SPARQL for users: safety checks, named queries with bound parameters, and result formats.

User queries are read-only and local: updates are refused, and so are ``SERVICE``
and ``FROM``/``FROM NAMED`` (which make an engine fetch from the network) unless
explicitly allowed. Parameters of named queries are bound as RDF terms, never
pasted into the query text.

>>> check_query("SELECT ?d WHERE { ?d a dg:Dream }")
'select'
>>> check_query("SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }")
Traceback (most recent call last):
...
dreamgraph.errors.QueryError: SERVICE is refused: it sends the query to another server (allow it with --allow-network)
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import warnings
from dataclasses import dataclass, field
from importlib import resources
from operator import itemgetter
from typing import Callable

from .errors import QueryError, UnknownDreamError
from .limits import DEFAULT_QUERY_MEMORY
from .settings import MAX_ROWS, QUERY_TIMEOUT
from .slugs import slugify
from .store import Store
from .terms import IRI, QueryResult, sparql_term
from .vocabulary import PREFIXES, cluster_iri, compact_iri, dream_iri

DEFAULT_TIMEOUT = QUERY_TIMEOUT
DEFAULT_MAX_ROWS = MAX_ROWS
_KINDS = {"SelectQuery": "select", "AskQuery": "ask", "ConstructQuery": "construct", "DescribeQuery": "describe"}


def read_query_text(text: str) -> str:
    r"""Return query text with a BOM removed and every line end made ``\n``; refuse an empty or comment-only
    query. The safety check and the engine then read the same text the same way: the check's parser ends a
    ``#`` comment at ``\n`` only, Oxigraph at ``\r`` too, so a lone ``\r`` could hide a SERVICE from the check.

    >>> read_query_text("SELECT * { # note\r?s ?p ?o }")
    'SELECT * { # note\n?s ?p ?o }'
    """
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not "".join(line.split("#", 1)[0] for line in text.splitlines()).strip():
        raise QueryError("the query is empty")
    return text


def _syntax_error(text: str, exc) -> QueryError:
    line, column = getattr(exc, "lineno", None), getattr(exc, "col", None)
    if line is None:
        return QueryError(f"SPARQL syntax error: {exc}")
    lines = text.splitlines() or [""]
    source = lines[min(line, len(lines)) - 1]
    message = str(getattr(exc, "msg", exc))
    return QueryError(f"SPARQL syntax error at line {line}, column {column}: {message}\n"
                      f"  {source}\n  {' ' * max(column - 1, 0)}^")


_IRI_OR_STRING = re.compile(r'<[^<>"{}|^`\\\s]*>|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
                            r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|#[^\n]*')
_PREFIXED = re.compile(r"(?<![\w.:?$-])([A-Za-z][\w.-]*)?:(?=[\w%\\-]|\s|[;,.)\]}]|$)")
_DECLARED = re.compile(r"\bPREFIX\s+([A-Za-z][\w.-]*)?:", re.IGNORECASE)


def undeclared_prefixes(text: str) -> list[str]:
    """Return the prefixes a query uses without declaring them (dreamgraph's own count as declared).

    >>> undeclared_prefixes('SELECT ?d WHERE { ?d a foaf:Person ; dg:title "x:y" } # z:w')
    ['foaf']
    """
    code = _IRI_OR_STRING.sub(" ", text)
    declared = set(PREFIXES) | {m.group(1) or "" for m in _DECLARED.finditer(code)}
    used = {m.group(1) or "" for m in _PREFIXED.finditer(_DECLARED.sub(" ", code))}
    return sorted(used - declared)


def check_query(text: str, allow_network: bool = False) -> str:
    """Return the kind of a read query ("select", "ask", "construct", "describe") after checking it is safe.

    Raises QueryError for a syntax error (with line and column), an update, a query nested too deeply,
    or, unless ``allow_network``, a SERVICE or FROM/FROM NAMED clause.
    """
    with _quiet_parser():
        return _check_query(text, allow_network)


@contextlib.contextmanager
def _quiet_parser():
    """Silence the deprecation warnings pyparsing 3.3 gives rdflib releases before 7.6 (their old method
    names), which a user of the command line would otherwise see."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def _check_query(text: str, allow_network: bool) -> str:
    from pyparsing import ParseException
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.plugins.sparql.algebra import traverse
    from rdflib.plugins.sparql.parser import parseUpdate

    text = read_query_text(text)
    unknown = undeclared_prefixes(text)
    if unknown:
        raise QueryError(f"unknown prefix {', '.join(p + ':' for p in unknown)} declare it with PREFIX "
                         f"{unknown[0]}: <...>; the declared ones are {', '.join(p + ':' for p in sorted(PREFIXES))}")
    try:
        query = prepareQuery(text, initNs=PREFIXES)
    except ParseException as exc:
        try:
            parseUpdate(text)
        except Exception:
            raise _syntax_error(text, exc) from None
        raise QueryError("updates (INSERT, DELETE, LOAD, CLEAR, DROP ...) are refused: queries are read-only; "
                         "change the articles and rebuild instead") from None
    except RecursionError:
        raise QueryError("the query is nested too deeply to parse") from None
    except Exception as exc:  # rdflib raises plain exceptions for some semantic errors
        raise QueryError(f"SPARQL error: {exc}") from None
    if not allow_network:
        found: list[str] = []
        traverse(query.algebra, visitPost=lambda node: found.append("SERVICE")
                 if getattr(node, "name", None) == "ServiceGraphPattern" else None)
        if found:
            raise QueryError("SERVICE is refused: it sends the query to another server (allow it with --allow-network)")
        if query.algebra.get("datasetClause"):
            raise QueryError("FROM and FROM NAMED are refused: they make the engine load graphs from elsewhere "
                             "(allow them with --allow-network)")
    return _KINDS.get(query.algebra.name, "select")


# --- named queries ---------------------------------------------------------------------------------

@dataclass
class Parameter:
    """A parameter of a named query: its variable, what kind of term it binds, and what it is."""

    name: str
    kind: str  # "dream", "cluster" or "text"
    description: str


@dataclass
class NamedQuery:
    """A query shipped with dreamgraph as a .rq file with a comment header."""

    name: str
    title: str
    description: str
    text: str
    parameters: list[Parameter] = field(default_factory=list)


_HEADER = re.compile(r"^#\s*(title|description|param):\s*(.*)$")


def parse_named_query(name: str, text: str) -> NamedQuery:
    """Return a named query from its .rq text; the header is '# title:', '# description:' and '# param:' lines.

    >>> q = parse_named_query("x", "# title: T\\n# description: D\\n# param: dream (dream) the dream\\nSELECT * {}")
    >>> (q.title, q.parameters[0].name, q.parameters[0].kind)
    ('T', 'dream', 'dream')
    """
    title, description, parameters = name, "", []
    for line in text.splitlines():
        match = _HEADER.match(line.strip())
        if not match:
            continue
        key, value = match.groups()
        if key == "title":
            title = value.strip()
        elif key == "description":
            description = f"{description} {value.strip()}".strip()
        else:
            param = re.match(r"(\w+)\s*\((dream|cluster|text)\)\s*(.*)", value.strip())
            if not param:
                raise ValueError(f"query {name}: bad parameter line {value!r}")
            parameters.append(Parameter(*param.groups()))
    return NamedQuery(name, title, description, text, parameters)


def named_queries() -> dict[str, NamedQuery]:
    """Return the queries shipped in ``dreamgraph/queries/``, by name."""
    folder = resources.files("dreamgraph").joinpath("queries")
    queries = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".rq"):
            name = entry.name[:-3]
            queries[name] = parse_named_query(name, entry.read_text(encoding="utf-8"))
    return queries


def named_query(name: str) -> NamedQuery:
    """Return one shipped query by name, or raise QueryError listing the names there are."""
    queries = named_queries()
    if name not in queries:
        raise QueryError(f"no named query {name!r}; there are: {', '.join(queries)}")
    return queries[name]


def bind_parameters(query: NamedQuery, values: dict[str, str], find_dream: Callable[[str], str] | None = None) -> dict:
    """Return the RDF terms for a named query's parameters from the user's text values.

    A dream is found by ``find_dream`` (name -> IRI, raising UnknownDreamError; see
    :func:`dreamgraph.dreams.find_dream`); a value that names no dream is still bound, as the IRI its slug
    would have, so it matches nothing rather than changing the query.
    """
    known = {p.name: p for p in query.parameters}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise QueryError(f"query {query.name!r} has no parameter {', '.join(unknown)}; "
                         f"it takes: {', '.join(known) or 'none'}")
    missing = [name for name in known if name not in values]
    if missing:
        raise QueryError(f"query {query.name!r} needs --param {missing[0]}=VALUE ({known[missing[0]].description})")
    bindings = {}
    for name, value in values.items():
        kind = known[name].kind
        if kind == "dream":
            try:
                bindings[name] = IRI(find_dream(value)) if find_dream else IRI(dream_iri(slugify(value)))
            except UnknownDreamError:
                bindings[name] = IRI(dream_iri(slugify(value)))
        elif kind == "cluster":
            bindings[name] = IRI(cluster_iri(slugify(value)))
        else:
            bindings[name] = value
    return bindings


# --- result formats --------------------------------------------------------------------------------

def cell_text(cell, compact: bool = True) -> str:
    """Return a result cell as text for a person: prefixed IRIs, plain literal values."""
    if cell is None:
        return ""
    if cell[0] == "uri":
        return (compact_iri(cell[1]) if compact else None) or cell[1]
    if cell[0] == "bnode":
        return "_:" + cell[1]
    return cell[1]


def _column_texts(column: tuple) -> list[str]:
    """Return the full text of each cell of a result's column (:func:`cell_text`, IRIs in full), at C speed
    for a column with no empty cell and no blank node (100,000 rows of ten columns: 0.05 s against 0.3 s).

    >>> _column_texts((("uri", "https://example.org/a"), ("literal", "2", None, None)))
    ['https://example.org/a', '2']
    >>> _column_texts((("bnode", "b0"), None))
    ['_:b0', '']
    """
    if None not in column and "bnode" not in set(map(itemgetter(0), column)):
        return list(map(itemgetter(1), column))
    return [cell_text(cell, compact=False) for cell in column]


def _json_term(cell) -> dict:
    if cell[0] == "uri":
        return {"type": "uri", "value": cell[1]}
    if cell[0] == "bnode":
        return {"type": "bnode", "value": cell[1]}
    term = {"type": "literal", "value": cell[1]}
    if cell[3]:
        term["xml:lang"] = cell[3]
    elif cell[2]:
        term["datatype"] = cell[2]
    return term


def _nt_term(cell) -> str:
    if cell[0] == "uri":
        return f"<{cell[1]}>"
    if cell[0] == "bnode":
        return f"_:{cell[1]}"
    if cell[3]:
        return sparql_term(cell[1]) + "@" + cell[3]
    if cell[2]:
        return sparql_term(cell[1]) + f"^^<{cell[2]}>"
    return sparql_term(cell[1])


def format_result(result: QueryResult, fmt: str) -> str:
    """Return a result as text: table, csv, tsv, json (W3C SPARQL 1.1 results), jsonl (a row a line, plain
    values), turtle or ntriples."""
    if result.kind == "ask":
        if fmt == "json":
            return json.dumps({"head": {}, "boolean": result.boolean})
        return "true" if result.boolean else "false"
    if result.kind == "graph":
        if fmt in ("turtle", "ntriples", "table"):
            lines = [f"{_nt_term(s)} {_nt_term(p)} {_nt_term(o)} ." for s, p, o in result.triples]
            if fmt == "turtle":  # pyoxigraph's writer: a tenth of rdflib's time on a large answer
                import pyoxigraph as ox

                triples = ox.parse("\n".join(sorted(lines)), format=ox.RdfFormat.N_TRIPLES)
                return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=dict(sorted(PREFIXES.items()))
                                    ).decode("utf-8")
            return "\n".join(sorted(lines))
        rows, variables = result.triples, ["subject", "predicate", "object"]
    else:
        rows, variables = result.rows, result.variables
    if fmt == "jsonl":  # a row a line, each an object of the row's values as plain text
        from .output import json_line  # (the command line's module: not loaded by a query asked from Python)

        return "".join(json_line({v: cell_text(c, compact=False) for v, c in zip(variables, row) if c is not None})
                       + "\n" for row in rows).rstrip("\n")
    if fmt == "json":
        bindings = [{v: _json_term(c) for v, c in zip(variables, row) if c is not None} for row in rows]
        return json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}}, ensure_ascii=False,
                          indent=1)
    if fmt in ("csv", "tsv"):
        buffer = io.StringIO()
        if fmt == "csv":
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(variables)
            writer.writerows(zip(*(_column_texts(column) for column in zip(*rows))) if rows else ())
        else:
            buffer.write("\t".join(f"?{v}" for v in variables) + "\n")
            for row in rows:
                buffer.write("\t".join("" if c is None else _nt_term(c) for c in row) + "\n")
        return buffer.getvalue().rstrip("\n")
    raise ValueError(f"unknown format {fmt!r}")


def run_query(store: Store, text: str | NamedQuery, bindings: dict | None = None, *, allow_network: bool = False,
              timeout: float | None = DEFAULT_TIMEOUT, max_rows: int | None = DEFAULT_MAX_ROWS,
              max_memory: int | None = DEFAULT_QUERY_MEMORY) -> QueryResult:
    """Return the result of a user's query after the safety checks, within a timeout, a memory allowance
    (bytes the engine may take beyond what the process held before) and a row cap.

    A query shipped with dreamgraph (:func:`named_query`) passes the checks (the tests see to it), so it is
    not parsed twice. :func:`dreamgraph.answers.run_query` answers some shipped queries from the data the
    build kept, with the same rows.
    """
    shipped = isinstance(text, NamedQuery) and named_queries().get(text.name) == text
    text = text.text if isinstance(text, NamedQuery) else text
    if not shipped:
        check_query(text, allow_network=allow_network)
    return store.execute(read_query_text(text), bindings, max_rows=max_rows, timeout=timeout, max_memory=max_memory)
