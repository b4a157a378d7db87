"""A real SPARQL server: the Oxigraph server on 127.0.0.1, filled with `dreamgraph push`, must give the same
answers as the embedded store; failures of a server are clear one-line errors."""

import contextlib
import json
import re
import shutil
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from helpers import FIXTURES, ROOT, article, free_port, running
from dreamgraph.build import build


@contextlib.contextmanager
def oxigraph_server(folder):
    """Run the Oxigraph server on 127.0.0.1 over ``folder``; yield its base URL."""
    binary = shutil.which("oxigraph")
    if binary is None:
        pytest.fail("the Oxigraph server is missing: pip install -e '.[test]' (PyPI package 'oxigraph')")
    port = free_port()
    with running([binary, "serve", "--location", str(folder), "--bind", f"127.0.0.1:{port}"],
                 lambda: socket.create_connection(("127.0.0.1", port), timeout=0.2).close(), "the Oxigraph server"):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph")) as url:
        yield url


@pytest.fixture(scope="module")
def pushed(server, tmp_path_factory):
    graph = tmp_path_factory.mktemp("remote") / "graph"
    build([FIXTURES / "progression"], graph)
    from click.testing import CliRunner

    from dreamgraph.cli import main

    result = CliRunner().invoke(main, ["-g", str(graph), "push", "--store-url", f"{server}/store"])
    assert result.exit_code == 0, result.output
    assert "pushed" in result.stdout
    return graph


COMMANDS = [
    ["sparql", "-e", "SELECT ?d ?l WHERE { ?d a dg:Dream ; rdfs:label ?l } ORDER BY ?d", "-f", "json"],
    ["sparql", "-n", "dream-scenarios", "-p", "dream=falling", "-f", "json"],
    ["sparql", "-n", "search", "-p", "text=surface", "-f", "json"],
    ["sparql", "-n", "stubs-by-demand", "-f", "csv"],
    ["sparql", "-e", "ASK { dream:falling dg:nextStage dream:flying }"],
    ["sparql", "-e", "CONSTRUCT WHERE { dream:falling dg:nextStage ?t }", "-f", "ntriples"],
    ["path", "being-chased", "waking-up", "--all", "-f", "json"],
    ["next", "falling", "-f", "json"],
    ["leads-to", "waking-up"],
    ["loops"],
    ["rank", "-f", "json"],
    ["gaps", "-f", "json"],
    ["show", "falling", "-f", "json"],
    ["stats", "-f", "json"],
    ["search", "surface", "-f", "json"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_server_answers_like_the_embedded_store(cli, server, pushed, command):
    local = cli("-g", pushed, *command)
    remote = cli("-g", pushed, "--endpoint", f"{server}/query", *command)
    assert remote.exit_code == local.exit_code
    assert remote.stdout == local.stdout and local.stdout


def test_every_gap_kind_and_a_brief_are_answered_by_the_server_as_here(cli, tmp_path):
    """The sample library with an overlapping pair beside it: every gap kind it has (link suggestions and
    possible overlaps among them), the report by dream and a brief come the same from a server."""
    articles = tmp_path / "articles"
    shutil.copytree(ROOT / "graph" / "articles", articles)
    stages = [("you stop", "standing still", "it ends"), ("you fall", "falling", "the floor goes")]
    (articles / "stuck-a.txt").write_text(article("Dream About Being Stuck in Mud: The Hold", next_stages=stages,
                                                  prose="Part of the Losing Control cluster. Unlike being "
                                                        "stuck in sand, the ground here pulls."), encoding="utf-8")
    (articles / "stuck-b.txt").write_text(article("Dream About Being Stuck in Sand: The Hold", next_stages=stages,
                                                  prose="Part of the Losing Control cluster."), encoding="utf-8")
    graph = tmp_path / "graph"
    build([articles], graph)
    with oxigraph_server(tmp_path / "oxigraph") as url:
        assert cli("-g", graph, "push", "--store-url", f"{url}/store").exit_code == 0
        for command in (["gaps", "-f", "json"], ["gaps", "--by", "dream", "-f", "json"],
                        ["brief", "being-chased-by-a-killer"]):
            local = cli("-g", graph, *command)
            remote = cli("-g", graph, "--endpoint", f"{url}/query", *command)
            assert (remote.exit_code, remote.stdout) == (local.exit_code, local.stdout) and local.stdout, command
    kinds = {gap["kind"] for gap in json.loads(cli("-g", graph, "gaps", "-f", "json").stdout)}
    assert {"missing-article", "broken-link", "partial-article", "near-duplicate", "possible-overlap",
            "link-suggestion", "dead-end", "orphan"} <= kinds


def test_exported_views_are_the_same_bytes(cli, server, pushed, tmp_path):
    local, remote = tmp_path / "local.html", tmp_path / "remote.html"
    assert cli("-g", pushed, "export", "-o", local).exit_code == 0
    assert cli("-g", pushed, "--endpoint", f"{server}/query", "export", "-o", remote).exit_code == 0
    assert local.read_bytes() == remote.read_bytes()


def test_push_replaces_the_graph(cli, server, pushed, tmp_path):
    smaller = tmp_path / "graph"
    build([FIXTURES / "progression" / "teeth.txt"], smaller)
    assert cli("-g", smaller, "push", "--store-url", f"{server}/store", "--graph-iri", "https://example.org/g").exit_code == 0
    other = json.loads(cli("--endpoint", f"{server}/query", "--endpoint-graph", "https://example.org/g",
                           "stats", "-f", "json").stdout)
    assert other["written dreams"] == 1
    main = json.loads(cli("--endpoint", f"{server}/query", "stats", "-f", "json").stdout)
    assert main["written dreams"] == 5


def test_environment_variable_selects_the_endpoint(cli, server, pushed, monkeypatch):
    monkeypatch.setenv("DREAMGRAPH_ENDPOINT", f"{server}/query")
    result = cli("-g", "/nonexistent", "stats", "-f", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["written dreams"] == 5


def test_a_server_that_is_down_is_a_clear_error(cli):
    result = cli("--endpoint", f"http://127.0.0.1:{free_port()}/query", "stats")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot reach http://127.0.0.1:") and "Traceback" not in result.output


def test_a_server_error_is_reported_with_its_status(cli, server):
    result = cli("--endpoint", f"{server}/not-a-sparql-endpoint", "stats")
    assert result.exit_code == 1 and "answered 404" in result.stderr


def test_refused_queries_are_refused_before_reaching_the_server(cli, server):
    result = cli("--endpoint", f"{server}/query", "sparql", "-e", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    assert result.exit_code == 1 and "SERVICE is refused" in result.stderr


class Recorder(BaseHTTPRequestHandler):
    """A loopback server that answers each path its own way and records the headers it was sent."""

    seen: list = []
    requests: list = []  # (method, path, Accept, Content-Type, body)

    def do_POST(self):  # noqa: N802
        self.seen.append((self.path, self.headers.get("Authorization")))
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.requests.append((self.command, self.path, self.headers.get("Accept"), self.headers.get("Content-Type"), body))
        results, triples = "application/sparql-results+json", "application/n-triples"
        if self.path.startswith("/capped"):  # Virtuoso's way: 7 rows, at most 3 an answer, and a header saying so
            query = parse_qs(urlsplit(self.path).query or body.decode()).get("query", [""])[0]
            if triples in self.headers.get("Accept", ""):  # no header on a graph answer
                self.answer(200, triples, b"".join(b"<http://e.org/%d> <http://e.org/p> <http://e.org/o> .\n" % i
                                                   for i in range(3)))
                return
            page = re.search(r"LIMIT (\d+) OFFSET (\d+)$", query)
            start = int(page.group(2)) if page else 0
            count = min(3, int(page.group(1)) if page else 3)
            rows = ",".join('{"x": {"type": "literal", "value": "%d"}}' % i for i in range(7)[start:start + count])
            self.answer(200, results, b'{"head": {"vars": ["x"]}, "results": {"bindings": [' + rows.encode() + b"]}}",
                        {"X-SPARQL-MaxRows": "3"})
        elif self.path.startswith("/plain"):
            self.answer(200, results, b'{"head": {"vars": ["x"]}, "results": {"bindings": []}}')
        elif self.path.startswith("/ntriples"):
            self.answer(200, triples, b"<http://e.org/a> <http://e.org/b> <http://e.org/c> .\n")
        elif self.path.startswith("/redirect"):
            self.answer(302, None, b"", {"Location": "http://127.0.0.2:9/steal"})
        elif self.path.startswith("/private"):
            self.answer(401, None, b"")
        elif self.path.startswith("/broken"):
            self.answer(200, results, b'{"head": {"vars": ["x"]}, "results": {"bindings": [')
        elif self.path.startswith("/slow"):
            time.sleep(3)
        else:
            self.answer(500, "text/html", b"<html><body>Internal failure</body></html>")

    def answer(self, status: int, media_type: str | None, body: bytes, headers: dict | None = None):
        """Send a status, the headers, and a body (none when empty)."""
        self.send_response(status)
        for name, value in [*([("Content-Type", media_type)] if media_type else []), *(headers or {}).items()]:
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    Recorder.seen, Recorder.requests = [], []
    httpd = HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def test_credentials_are_sent_but_never_shown_and_redirects_not_followed(cli, recorder, monkeypatch):
    monkeypatch.setenv("DREAMGRAPH_ENDPOINT_USER", "editor")
    monkeypatch.setenv("DREAMGRAPH_ENDPOINT_PASSWORD", "s3cret-pass")
    private = cli("--endpoint", f"{recorder}/private", "stats")
    assert private.exit_code == 1 and "answered 401" in private.stderr and "DREAMGRAPH_ENDPOINT" in private.stderr
    assert "s3cret" not in private.output
    moved = cli("--endpoint", f"{recorder}/redirect", "stats")
    assert moved.exit_code == 1 and "redirects to http://127.0.0.2:9/steal" in moved.stderr
    assert [path.split("?")[0] for path, _ in Recorder.seen] == ["/private", "/redirect"]
    assert all(auth and auth.startswith("Basic ") for _, auth in Recorder.seen)


def test_error_pages_broken_answers_and_slow_servers(cli, recorder):
    failed = cli("--endpoint", f"{recorder}/fail", "stats")
    assert failed.exit_code == 1 and "answered 500" in failed.stderr and "Internal failure" in failed.stderr
    broken = cli("--endpoint", f"{recorder}/broken", "stats")
    assert broken.exit_code == 1 and "broken JSON" in broken.stderr
    slow = cli("--endpoint", f"{recorder}/slow", "sparql", "-e", "ASK { ?s ?p ?o }", "--timeout", "1")
    assert slow.exit_code == 1 and "did not answer within 1 s" in slow.stderr


def test_queries_travel_as_get_or_form_post_and_ask_for_the_format_of_their_kind(recorder):
    """The protocol's two portable forms: GET for a short query, a form-encoded POST for a long one (never
    a POST of application/sparql-query, which Virtuoso does not answer); Accept by the query's form."""
    from dreamgraph.remote import RemoteStore

    store = RemoteStore(f"{recorder}/plain")
    store.execute("SELECT ?x WHERE { ?x ?p ?o }")
    method, path, accept, _, body = Recorder.requests[-1]
    assert method == "GET" and accept.startswith("application/sparql-results+json") and body == b""
    sent = parse_qs(urlsplit(path).query)
    assert sent["query"][0].endswith("SELECT ?x WHERE { ?x ?p ?o }")
    assert sent["default-graph-uri"] == ["https://w3id.org/dreamgraph/graph"]

    long = "SELECT ?x WHERE { ?x ?p ?o FILTER(?o != \"" + "x" * 3000 + "\") }"
    store.execute(long)
    method, path, _, content_type, body = Recorder.requests[-1]
    assert method == "POST" and content_type == "application/x-www-form-urlencoded"
    assert parse_qs(body.decode())["query"][0].endswith(long) and "?" not in path

    triples = RemoteStore(f"{recorder}/ntriples").execute("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert Recorder.requests[-1][2].startswith("application/n-triples") and len(triples.triples) == 1


def test_an_answer_cut_at_the_servers_row_cap_is_paged_or_refused_never_short(cli, recorder):
    """The server has 7 rows and sends at most 3, saying so in X-SPARQL-MaxRows (as Virtuoso does)."""
    paged = cli("--endpoint", f"{recorder}/capped", "sparql", "-e", "SELECT ?x WHERE { ?x ?p ?o }", "-f", "csv")
    assert paged.exit_code == 0 and paged.stdout.split() == ["x", *map(str, range(7))]
    pages = [parse_qs(urlsplit(r[1]).query)["query"][0].rsplit("\n", 1)[-1] for r in Recorder.requests[1:]]
    assert pages == ["LIMIT 3 OFFSET 0", "LIMIT 3 OFFSET 3", "LIMIT 3 OFFSET 6"]
    # a query with a LIMIT of its own is not paged: the cut is an error
    own = cli("--endpoint", f"{recorder}/capped", "sparql", "-e", "SELECT ?x WHERE { ?x ?p ?o } LIMIT 5")
    assert own.exit_code == 1 and "cut its answer at its cap of 3 rows" in own.stderr and "Traceback" not in own.output
    # asked for no more than the cap: whole as far as the user asked
    fewer = cli("--endpoint", f"{recorder}/capped", "sparql", "-e", "SELECT ?x WHERE { ?x ?p ?o }", "--max-rows", "2")
    assert fewer.exit_code == 0 and fewer.stdout.split()[-2:] == ["0", "1"]
    # a graph answer comes without the header; the cap the server stated before tells it was cut
    graph = cli("--endpoint", f"{recorder}/capped", "sparql", "-e", "CONSTRUCT WHERE { ?s ?p ?o }")
    assert graph.exit_code == 1 and "cut its answer at its cap of 3 rows" in graph.stderr
