"""A remote SPARQL 1.1 endpoint behind the same :class:`~dreamgraph.store.Store` interface, and pushing a
built graph to a server with the SPARQL 1.1 Graph Store protocol.

Works with any SPARQL 1.1 server (Oxigraph server, Apache Jena Fuseki, GraphDB, Virtuoso). Queries read the
named graph dreamgraph pushes to (``default-graph-uri``), unless told to read the endpoint's default graph.
Credentials come from the environment (``DREAMGRAPH_ENDPOINT_TOKEN``, or ``DREAMGRAPH_ENDPOINT_USER`` and
``DREAMGRAPH_ENDPOINT_PASSWORD``), are sent only to the endpoint's own host, and never appear in messages.
Redirects are not followed.

>>> RemoteStore("http://127.0.0.1:7878/query").graph
'https://w3id.org/dreamgraph/graph'
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request

from .errors import EndpointError
from .store import QueryResult, Store, with_values_clause
from .vocabulary import PREFIXES

DEFAULT_GRAPH = "https://w3id.org/dreamgraph/graph"
MAX_RESPONSE = 512 * 1024 * 1024  # bytes; a larger answer is refused rather than read into memory


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


def _host(parts: urllib.parse.SplitResult) -> str:
    """Return the host and port of an address, without any user name or password written into it."""
    return parts.netloc.rsplit("@", 1)[-1]


def _redact(text: str, secrets: list[str]) -> str:
    """Return an error text without the credentials a server may echo back (a token, a password, the
    Authorization header)."""
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    return re.sub(r"(?i)\b(bearer|basic|digest)\s+[A-Za-z0-9._~+/=-]{8,}", r"\1 [redacted]", text)


def _request(url: str, *, data: bytes | None, method: str, headers: dict[str, str], timeout: float) -> bytes:
    """Send one HTTP request and return the body; every failure becomes an EndpointError with a clear message."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise EndpointError(f"not an http(s) endpoint address: {_redact(url, [parts.password or ''])!r}")
    auth = _auth_header()
    # the header, its token or base64 part, and the password that part encodes
    secrets = [*auth.values(), *(v.split(" ", 1)[-1] for v in auth.values()),
               os.environ.get("DREAMGRAPH_ENDPOINT_PASSWORD", ""), parts.password or ""]
    request = urllib.request.Request(url, data=data, method=method, headers={**headers, **auth})
    deadline = time.monotonic() + timeout
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            # read what arrives, chunk by chunk, against one deadline for the whole answer: the socket's
            # timeout bounds each read only, so a server dripping a byte a second could hold a read forever
            chunks, size = [], 0
            while size <= MAX_RESPONSE:
                chunk = response.read1(1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if time.monotonic() > deadline:
                    raise TimeoutError
            body = b"".join(chunks)
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
    if len(body) > MAX_RESPONSE:
        raise EndpointError(f"{_host(parts)} sent more than {MAX_RESPONSE // 2**20} MB; add a LIMIT to the query")
    return body


def _results(body: bytes) -> dict:
    """Return a SPARQL results JSON answer, checked for the shape the reader relies on."""
    try:
        answer = json.loads(body)
    except (ValueError, RecursionError):
        raise EndpointError("the endpoint sent broken JSON (a truncated answer?)") from None

    def bad(what: str) -> EndpointError:
        return EndpointError(f"the endpoint's answer is not SPARQL results JSON: {what}")

    if not isinstance(answer, dict):
        raise bad("not an object")
    if "boolean" in answer:
        if not isinstance(answer["boolean"], bool):
            raise bad("'boolean' is not true or false")
        return answer
    head, results = answer.get("head", {}), answer.get("results")
    if not isinstance(head, dict) or not isinstance(head.get("vars", []), list) or \
            not all(isinstance(v, str) for v in head.get("vars", [])):
        raise bad("'head' has no list of variable names")
    if not isinstance(results, dict) or not isinstance(results.get("bindings"), list):
        raise bad("no 'results' with a list of 'bindings'")
    for binding in results["bindings"]:
        if not isinstance(binding, dict) or not all(
                isinstance(term, dict) and isinstance(term.get("value"), str) and term.get("type") in
                ("uri", "literal", "typed-literal", "bnode") for term in binding.values()):
            raise bad("a binding is not a map of variables to terms with a type and a value")
    return answer


def _cell(term: dict):
    kind = term.get("type")
    if kind == "uri":
        return ("uri", term["value"])
    if kind == "bnode":
        return ("bnode", term["value"])
    datatype = term.get("datatype")
    if datatype == "http://www.w3.org/2001/XMLSchema#string":
        datatype = None
    return ("literal", term["value"], datatype, term.get("xml:lang"))


class RemoteStore(Store):
    """A SPARQL 1.1 query endpoint read over HTTP."""

    def __init__(self, url: str, graph: str | None = DEFAULT_GRAPH, timeout: float = 60.0):
        self.url, self.graph, self.timeout = url, graph or None, timeout

    def execute(self, query: str, bindings: dict | None = None, *, max_rows: int | None = None,
                timeout: float | None = None) -> QueryResult:
        """Return the result of a read query sent to the endpoint; bindings travel as a VALUES clause of
        escaped terms."""
        prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(PREFIXES.items()))
        text = prologue + (with_values_clause(query, bindings) if bindings else query)
        params = {"default-graph-uri": self.graph} if self.graph else {}
        url = self.url + (("&" if "?" in self.url else "?") + urllib.parse.urlencode(params) if params else "")
        body = _request(url, data=text.encode("utf-8"), method="POST", timeout=timeout or self.timeout, headers={
            "Content-Type": "application/sparql-query; charset=utf-8",
            "Accept": "application/sparql-results+json, application/n-triples;q=0.9"})
        if not body.strip():
            raise EndpointError("the endpoint sent an empty answer")
        if body.lstrip().startswith((b"{", b"[")):
            answer = _results(body)
            if "boolean" in answer:
                return QueryResult("ask", boolean=bool(answer["boolean"]))
            names = answer.get("head", {}).get("vars", [])
            result = QueryResult("select", variables=names)
            for binding in answer.get("results", {}).get("bindings", []):
                if max_rows is not None and len(result.rows) >= max_rows:
                    result.truncated = True
                    break
                result.rows.append(tuple(_cell(binding[n]) if n in binding else None for n in names))
            return result
        import pyoxigraph as ox

        from .store import cell_of

        result = QueryResult("graph", variables=["subject", "predicate", "object"])
        try:
            for triple in ox.parse(body, format=ox.RdfFormat.N_TRIPLES):
                if max_rows is not None and len(result.triples) >= max_rows:
                    result.truncated = True
                    break
                result.triples.append((cell_of(triple.subject), cell_of(triple.predicate), cell_of(triple.object)))
        except SyntaxError as exc:
            raise EndpointError(f"the endpoint's answer is neither SPARQL JSON nor N-Triples: {exc}") from None
        return result


def push(turtle: bytes, store_url: str, graph: str = DEFAULT_GRAPH, timeout: float = 300.0) -> None:
    """Replace the named graph ``graph`` on a server with a built graph, in one Graph Store protocol PUT.

    The server applies the PUT as one change, so readers see the old graph or the new one.
    """
    separator = "&" if "?" in store_url else "?"
    url = f"{store_url}{separator}{urllib.parse.urlencode({'graph': graph})}"
    _request(url, data=turtle, method="PUT", timeout=timeout, headers={"Content-Type": "text/turtle; charset=utf-8"})
