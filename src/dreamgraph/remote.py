"""A remote SPARQL 1.1 endpoint behind the same :class:`~dreamgraph.store.Store` interface, and pushing a
built graph to a server with the SPARQL 1.1 Graph Store protocol.

Works with any SPARQL 1.1 server (Oxigraph server, Apache Jena Fuseki, GraphDB, Virtuoso). Queries read the
named graph dreamgraph pushes to (``default-graph-uri``), unless told to read the endpoint's default graph.
Credentials come from the environment (``DREAMGRAPH_ENDPOINT_TOKEN``, or ``DREAMGRAPH_ENDPOINT_USER`` and
``DREAMGRAPH_ENDPOINT_PASSWORD``, sent as Basic, or as Digest to a server that asks for it), are sent only to
the endpoint's own host, and never appear in messages.
Redirects are not followed.

Queries travel in the protocol's two forms every server accepts: GET with the query in the address when
it is short, else a form-encoded POST (some servers never answer a POST of ``application/sparql-query``).
The ``Accept`` header asks for SPARQL results for SELECT and ASK and for N-Triples for CONSTRUCT and
DESCRIBE. A server that caps its answers (``X-SPARQL-MaxRows``) and sends exactly its cap has cut the
answer: a SELECT is then read page by page, anything else is an error; never a silent truncation.

>>> RemoteStore("http://127.0.0.1:7878/query").graph
'https://w3id.org/dreamgraph/graph'
"""

from __future__ import annotations

import base64
import io
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

import pyoxigraph as ox

from .errors import EndpointError
from .store import Store
from .terms import QueryResult, result_from_oxigraph, with_values_clause
from .vocabulary import PREFIXES

DEFAULT_GRAPH = "https://w3id.org/dreamgraph/graph"
MAX_RESPONSE = 512 * 1024 * 1024  # bytes; an answer is read as it arrives and refused past this size
MAX_GET = 2000  # characters of address up to which a query is sent by GET (servers and proxies take more)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise EndpointError(f"the endpoint redirects to {newurl}; give that address instead (redirects are "
                            "not followed, so credentials never go to another host)")


_OPENER = urllib.request.build_opener(_NoRedirect)


def _auth_header() -> dict[str, str]:
    token = os.environ.get("DREAMGRAPH_ENDPOINT_TOKEN")
    if token:
        return {"Authorization": f"Bearer {token}"}
    user = os.environ.get("DREAMGRAPH_ENDPOINT_USER")
    if user:
        secret = f"{user}:{os.environ.get('DREAMGRAPH_ENDPOINT_PASSWORD', '')}".encode()
        return {"Authorization": "Basic " + base64.b64encode(secret).decode()}
    return {}


def _digest_authorization(request: urllib.request.Request, timeout: float) -> str | None:
    """Return a Digest ``Authorization`` header for ``request`` when its server asks for Digest (Virtuoso's
    Graph Store endpoint does), found with a bodiless HEAD first: a server that refuses a large body sent
    with the wrong scheme may close the connection before it is sent. None when the server does not ask."""
    probe = urllib.request.Request(request.full_url, method="HEAD")
    try:
        _OPENER.open(probe, timeout=timeout).close()
        return None
    except urllib.error.HTTPError as exc:
        challenge = exc.headers.get("WWW-Authenticate", "") if exc.code == 401 else ""
    except (OSError, EndpointError):
        return None  # the request itself will say what is wrong
    if not challenge.lower().startswith("digest "):
        return None
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, request.full_url, os.environ.get("DREAMGRAPH_ENDPOINT_USER", ""),
                           os.environ.get("DREAMGRAPH_ENDPOINT_PASSWORD", ""))
    fields = urllib.request.parse_keqv_list(urllib.request.parse_http_list(challenge[7:]))
    handler = urllib.request.HTTPDigestAuthHandler(passwords)
    probe.add_header("Authorization", f"Digest {handler.get_authorization(probe, fields)}")
    try:  # the credentials tried without the body: a wrong password is a clear 401, not a reset connection
        _OPENER.open(probe, timeout=timeout).close()
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            raise EndpointError(f"{urllib.parse.urlsplit(request.full_url).netloc.rsplit('@', 1)[-1]} answered "
                                "401 Unauthorized (check DREAMGRAPH_ENDPOINT_USER and DREAMGRAPH_ENDPOINT_PASSWORD)"
                                ) from None
    except OSError:
        pass
    answer = handler.get_authorization(request, fields)
    return f"Digest {answer}" if answer else None


def _host(parts: urllib.parse.SplitResult) -> str:
    """Return the host and port of an address, without any user name or password written into it."""
    return parts.netloc.rsplit("@", 1)[-1]


def _redact(text: str, secrets: list[str]) -> str:
    """Return an error text without the credentials a server may echo back (a token, a password, the
    Authorization header)."""
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    return re.sub(r"(?i)\b(bearer|basic|digest)\s+[A-Za-z0-9._~+/=-]{8,}", r"\1 [redacted]", text)


class _Answer(io.RawIOBase):
    """The body of an HTTP answer, read as it arrives against one deadline for the whole answer and a size cap.

    The socket's own timeout bounds each read only, so a server dripping a byte a second could otherwise
    hold a read for ever; and a parser that stops early (at the row cap) never reads the rest.
    """

    def __init__(self, response, host: str, timeout: float):
        self._response, self._host, self._timeout = response, host, timeout
        self._deadline, self.size = time.monotonic() + timeout, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if time.monotonic() > self._deadline:
            raise EndpointError(f"{self._host} did not answer within {self._timeout:g} s")
        try:
            chunk = self._response.read1(min(len(buffer), 1 << 16))
        except TimeoutError:
            raise EndpointError(f"{self._host} did not answer within {self._timeout:g} s") from None
        except OSError as exc:
            raise EndpointError(f"{self._host} broke off its answer: {exc}") from None
        self.size += len(chunk)
        if self.size > MAX_RESPONSE:
            raise EndpointError(f"{self._host} sent more than {MAX_RESPONSE // 2**20} MB; add a LIMIT to the query")
        buffer[:len(chunk)] = chunk
        return len(chunk)


@contextmanager
def _exchange(url: str, *, data: bytes | None, method: str, headers: dict[str, str], timeout: float):
    """Send one HTTP request and yield its answer as a buffered binary stream with its media type (or "");
    every failure becomes an EndpointError with a clear message."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise EndpointError(f"not an http(s) endpoint address: {_redact(url, [parts.password or ''])!r}")
    auth = _auth_header()
    # the header, its token or base64 part, and the password that part encodes
    secrets = [*auth.values(), *(v.split(" ", 1)[-1] for v in auth.values()),
               os.environ.get("DREAMGRAPH_ENDPOINT_PASSWORD", ""), parts.password or ""]
    request = urllib.request.Request(url, data=data, method=method, headers={**headers, **auth})
    if data is not None and auth.get("Authorization", "").startswith("Basic "):  # a push, or a long query
        digest = _digest_authorization(request, timeout)
        if digest:
            request.headers["Authorization"] = digest
            secrets.append(digest)
    try:
        response = _OPENER.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        detail = exc.read(2000).decode("utf-8", "replace").strip().splitlines()[:3]
        hint = " (check DREAMGRAPH_ENDPOINT_TOKEN or _USER/_PASSWORD)" if exc.code in (401, 403) else ""
        raise EndpointError(_redact(f"{_host(parts)} answered {exc.code} {exc.reason}{hint}"
                                    + (": " + " / ".join(detail) if detail else ""), secrets)) from None
    except urllib.error.URLError as exc:
        raise EndpointError(_redact(f"cannot reach {parts.scheme}://{_host(parts)}: {exc.reason}", secrets)) from None
    except TimeoutError:
        raise EndpointError(f"{_host(parts)} did not answer within {timeout:g} s") from None
    except OSError as exc:
        raise EndpointError(_redact(f"cannot reach {parts.scheme}://{_host(parts)}: {exc}", secrets)) from None
    with response:
        kind = (response.headers.get_content_type() if response.headers.get("Content-Type") else "")
        yield io.BufferedReader(_Answer(response, _host(parts), timeout), 1 << 16), kind, response.headers


def _request(url: str, *, data: bytes | None, method: str, headers: dict[str, str], timeout: float) -> bytes:
    """Send one HTTP request and return the whole body (at most :data:`MAX_RESPONSE` bytes)."""
    with _exchange(url, data=data, method=method, headers=headers, timeout=timeout) as (answer, _, _):
        return answer.read()


#: The answer formats read, by media type: SPARQL results for SELECT and ASK, RDF for CONSTRUCT and DESCRIBE.
_RESULTS_FORMATS = {"application/sparql-results+json": ox.QueryResultsFormat.JSON,
                    "application/json": ox.QueryResultsFormat.JSON,
                    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
                    "text/tab-separated-values": ox.QueryResultsFormat.TSV}
_GRAPH_FORMATS = {"application/n-triples": ox.RdfFormat.N_TRIPLES, "text/plain": ox.RdfFormat.N_TRIPLES,
                  "text/turtle": ox.RdfFormat.TURTLE, "application/rdf+xml": ox.RdfFormat.RDF_XML}
_ACCEPT_RESULTS = "application/sparql-results+json, application/sparql-results+xml;q=0.8"
_ACCEPT_GRAPH = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.8"
_IRI_OR_STRING = re.compile(r"<[^<>\s]*>|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'")
_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


def query_form(query: str) -> str:
    """Return the form of a query, upper case: its first SELECT, ASK, CONSTRUCT or DESCRIBE outside IRIs,
    strings and comments (a CONSTRUCT with a SELECT inside is a CONSTRUCT).

    >>> query_form("PREFIX x: <http://e.org/#select> # SELECT in a comment\\nconstruct { ?s ?p ?o } WHERE { { SELECT ?s ?p ?o {} } }")
    'CONSTRUCT'
    """
    found = _FORM.search(_plain(query))
    return found.group(1).upper() if found else "SELECT"


def accept_for(query: str) -> str:
    """Return the Accept header for a query: SPARQL results, or RDF for CONSTRUCT and DESCRIBE."""
    return _ACCEPT_GRAPH if query_form(query) in ("CONSTRUCT", "DESCRIBE") else _ACCEPT_RESULTS


def _answer_format(answer: io.BufferedReader, kind: str):
    """Return the pyoxigraph format of an answer: from its media type, else from its first bytes."""
    if kind in _RESULTS_FORMATS or kind in _GRAPH_FORMATS:
        return _RESULTS_FORMATS.get(kind) or _GRAPH_FORMATS[kind]
    start = answer.peek(64)[:64].lstrip()
    if start.startswith((b"{", b"[")):
        return ox.QueryResultsFormat.JSON
    if start.startswith(b"<?xml") or start.startswith(b"<sparql"):
        return ox.QueryResultsFormat.XML
    return ox.RdfFormat.N_TRIPLES


def _read_answer(answer: io.BufferedReader, kind: str, max_rows: int | None) -> QueryResult:
    """Parse an answer as it arrives and stop reading at the row cap."""
    if not answer.peek(1):
        raise EndpointError("the endpoint sent an empty answer")
    form = _answer_format(answer, kind)
    try:
        if isinstance(form, ox.QueryResultsFormat):
            return result_from_oxigraph(ox.parse_query_results(answer, form), max_rows)
        return result_from_oxigraph(ox.parse(answer, format=form), max_rows)
    except SyntaxError as exc:
        message = str(exc)
        if form == ox.QueryResultsFormat.JSON:
            if message.startswith("Parser error"):  # the JSON itself, not its shape
                raise EndpointError(f"the endpoint sent broken JSON (a truncated answer?): {message}") from None
            raise EndpointError(f"the endpoint's answer is not SPARQL results JSON: {message}") from None
        raise EndpointError(f"the endpoint's answer is not readable as {kind or 'SPARQL results or N-Triples'}: "
                            f"{message}") from None


class RemoteStore(Store):
    """A SPARQL 1.1 query endpoint read over HTTP."""

    def __init__(self, url: str, graph: str | None = DEFAULT_GRAPH, timeout: float = 60.0):
        self.url, self.graph, self.timeout = url, graph or None, timeout

    def execute(self, query: str, bindings: dict | None = None, *, max_rows: int | None = None,
                timeout: float | None = None, max_memory: int | None = None) -> QueryResult:
        """Return the result of a read query sent to the endpoint; bindings travel as a VALUES clause of
        escaped terms. The server bounds its own memory; here the answer is read as it arrives and only up
        to the row cap, so ``max_memory`` has nothing left to bound.

        A SELECT that a server cuts at its row cap (``X-SPARQL-MaxRows``) is asked again in pages of that
        size (``LIMIT``/``OFFSET``, in the query's ``ORDER BY`` if it has one), unless it has a ``LIMIT`` or
        ``OFFSET`` of its own; a CONSTRUCT or DESCRIBE that reaches a cap the server has stated is an error.
        """
        prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(PREFIXES.items()))
        text = prologue + (with_values_clause(query, bindings) if bindings else query)
        seconds = timeout or self.timeout
        result, cap = self._send(text, max_rows, seconds)
        got = len(result.rows) if result.kind == "select" else len(result.triples)
        cap = cap or (_CAPS.get(self.url) if result.kind == "graph" else None)
        # a cut graph answer holds the cap's number of triples, or one more (Virtuoso 7.2 sends cap + 1)
        if cap is None or result.truncated or not cap <= got <= cap + (result.kind == "graph"):
            return result
        if result.kind == "select" and not _OWN_LIMIT.search(_plain(text)):
            return self._paged(text, result.variables, cap, max_rows, seconds)
        raise EndpointError(f"the endpoint cut its answer at its cap of {cap:,} rows (X-SPARQL-MaxRows): "
                            "raise the server's limit (Virtuoso: ResultSetMaxRows in virtuoso.ini), or page the "
                            "query with LIMIT and OFFSET")

    def every_triple(self) -> list[tuple]:
        """Return every triple of the graph, asked as rows in a fixed order, so that a server that caps its
        answers can be read page by page (a CONSTRUCT could only be refused)."""
        return self.execute("SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o").rows

    def _send(self, text: str, max_rows: int | None, timeout: float) -> tuple[QueryResult, int | None]:
        """Send one query; return its result and the row cap the server states, if any."""
        form = urllib.parse.urlencode({"query": text, **({"default-graph-uri": self.graph} if self.graph else {})})
        headers = {"Accept": accept_for(text)}
        if len(self.url) + 1 + len(form) <= MAX_GET:
            request = {"url": self.url + ("&" if "?" in self.url else "?") + form, "data": None, "method": "GET"}
        else:
            request = {"url": self.url, "data": form.encode("ascii"), "method": "POST"}
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        with _exchange(**request, timeout=timeout, headers=headers) as (answer, kind, received):
            result = _read_answer(answer, kind, max_rows)
        cap = received.get("X-SPARQL-MaxRows", "").strip()
        if cap.isdigit():
            _CAPS[self.url] = int(cap)
        return result, int(cap) if cap.isdigit() else None

    def _paged(self, text: str, variables: list[str], size: int, max_rows: int | None, timeout: float) -> QueryResult:
        """Ask a SELECT again in pages of ``size`` rows, from the start, until a page comes back short.

        Each page is the query as a subquery with LIMIT and OFFSET outside it: an ORDER BY inside is kept,
        and Virtuoso, which refuses to sort more than its cap for an OFFSET, sorts once that way."""
        prologue = _PROLOGUE.match(text).group(0)
        outer = "SELECT " + " ".join(f"?{name}" for name in variables)
        rows: list[tuple] = []
        last: list[tuple] | None = None
        while True:
            query = f"{prologue}{outer} WHERE {{ {{\n{text[len(prologue):]}\n}} }}\nLIMIT {size} OFFSET {len(rows)}"
            page, _ = self._send(query, None, timeout)
            if page.rows and page.rows == last:  # the same page twice: LIMIT and OFFSET are not honoured
                raise EndpointError(f"the endpoint cuts answers at {size:,} rows and does not page them "
                                    "(LIMIT/OFFSET are ignored): raise its row cap")
            variables, last = variables or page.variables, page.rows
            rows.extend(page.rows)
            if max_rows is not None and len(rows) >= max_rows:
                return QueryResult("select", variables=variables, rows=rows[:max_rows], truncated=True)
            if len(page.rows) < size:
                return QueryResult("select", variables=variables, rows=rows)


#: The row cap each endpoint has stated (``X-SPARQL-MaxRows``), by address: a CONSTRUCT answer, which
#: comes without the header, is checked against it.
_CAPS: dict[str, int] = {}
_PROLOGUE = re.compile(r"(?:\s+|#[^\n]*|(?:PREFIX\s+[^\s:]*:\s*|BASE\s*)<[^<>\s]*>)*", re.IGNORECASE)
_OWN_LIMIT = re.compile(r"\b(LIMIT|OFFSET)\s+\d+\s*(\b(LIMIT|OFFSET)\s+\d+\s*)?$", re.IGNORECASE)


def _plain(query: str) -> str:
    """Return a query without its IRIs, strings and comments (what keywords are looked for in)."""
    return re.sub(r"#[^\n]*", " ", _IRI_OR_STRING.sub(" ", query))


def push(turtle: bytes, store_url: str, graph: str = DEFAULT_GRAPH, timeout: float = 300.0) -> None:
    """Replace the named graph ``graph`` on a server with a built graph, in one Graph Store protocol PUT.

    The server applies the PUT as one change, so readers see the old graph or the new one.
    """
    separator = "&" if "?" in store_url else "?"
    url = f"{store_url}{separator}{urllib.parse.urlencode({'graph': graph})}"
    _request(url, data=turtle, method="PUT", timeout=timeout, headers={"Content-Type": "text/turtle; charset=utf-8"})
