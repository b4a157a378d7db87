"""Hostile input from the red-team pass: files that are not files, names that are not UTF-8, front matter
that explodes, two files that claim one identity, and a SERVICE hidden from the safety check.

Each case runs the real build (in a child process with a memory and time limit where the old behaviour
was to read without end or wait forever) and checks that the rest of the library still builds, that the
message names the file, and that nothing leaks.
"""

from __future__ import annotations

import http.server
import json
import shutil
import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from helpers import ROOT, SEED, article
from dreamgraph.build import build
from dreamgraph.errors import QueryError
from dreamgraph.query import run_query
from dreamgraph.store import GRAPH_FILE
from dreamgraph.connect import open_store

GOOD = article("Dream About Falling: The Drop", scenarios=[("Falling off a cliff", "a sudden loss")],
               next_stages=[("you land", "landing", "the fall ends")])


def run_build(folder: Path, graph: Path, memory_mb: int = 1500, timeout: float = 60,
              extra: tuple = ()) -> subprocess.CompletedProcess:
    """Run `dreamgraph build` in a child limited in memory and time, as a CI runner would be."""
    limit = f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({memory_mb << 20}, {memory_mb << 20}))"
    code = f"{limit}; import sys; from dreamgraph.cli import run; sys.argv = ['dreamgraph'] + sys.argv[1:]; run()"
    return subprocess.run([sys.executable, "-c", code, "build", str(folder), *map(str, extra), "-g", str(graph)],
                          capture_output=True, text=True, timeout=timeout)


class Quiet(http.server.BaseHTTPRequestHandler):
    """A request handler that logs nothing."""

    def log_message(self, *args):
        pass


@contextmanager
def serving(handler: type[http.server.BaseHTTPRequestHandler]):
    """Run a web server on 127.0.0.1 with ``handler``, each request in a thread of its own; yield its port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()


def run_measured(*args: str, timeout: float = 120) -> tuple[int, int, str, str]:
    """Run `dreamgraph ARGS` in a child process; return its exit status, its peak memory in KB, its output
    and its errors (the peak is measured by a wrapper process that waited for it and for nothing else)."""
    code = ("import json, resource, subprocess, sys; answer = subprocess.run(sys.argv[1:], capture_output=True, "
            "text=True); print(json.dumps([answer.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
            "answer.stdout, answer.stderr]))")
    measured = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "dreamgraph.cli", *args],
                              capture_output=True, text=True, timeout=timeout)
    status, peak_kb, out, err = json.loads(measured.stdout)
    return status, peak_kb, out, err


def test_a_link_to_a_device_is_refused_not_read(write_corpus, tmp_path):
    folder = write_corpus({"falling.txt": GOOD})
    os.symlink("/dev/zero", folder / "x.txt")
    result = run_build(folder, tmp_path / "graph")  # found in the folder: a link out of it, not followed
    assert "x.txt: warning: a symbolic link to a file outside the folder; skipped, not read" in result.stderr
    assert "1 articles" in result.stdout
    result = run_build(folder / "falling.txt", tmp_path / "graph", extra=[folder / "x.txt"])  # named: followed
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr  # 2.7 GB read, then this, before
    assert result.returncode == 1  # something was left out
    assert "x.txt: error: cannot read: not a regular file (a device, pipe or socket); skipped" in result.stderr
    assert "1 articles" in result.stdout


def test_a_named_pipe_does_not_hang_the_build(write_corpus, tmp_path):
    folder = write_corpus({"falling.txt": GOOD})
    os.mkfifo(folder / "x.txt")
    result = run_build(folder, tmp_path / "graph", timeout=60)  # waited forever, holding the lock, before
    assert "x.txt: error: cannot read: not a regular file" in result.stderr
    assert "1 articles" in result.stdout
    again = run_build(folder, tmp_path / "graph", timeout=60)  # the lock was let go
    assert "1 articles" in again.stdout


def test_a_file_name_that_is_not_utf8_is_shown_escaped_and_the_rest_builds(write_corpus, tmp_path):
    folder = write_corpus({"falling.txt": GOOD})
    with open(os.fsencode(folder) + b"/bad-\xff\xfe-name.txt", "wb") as odd:
        odd.write(article("Dream About Flying: Up", scenarios=[("Soaring", "freedom")]).encode())
    result = run_build(folder, tmp_path / "graph")
    assert result.returncode == 0, result.stderr
    assert "2 articles" in result.stdout
    turtle = (tmp_path / "graph" / GRAPH_FILE).read_text(encoding="utf-8")
    assert "bad-%5Cxff%5Cxfe-name.txt" in turtle and "bad-\\\\xff\\\\xfe-name.txt" in turtle


@pytest.mark.parametrize("front, message", [
    ("aliases: 5", "'aliases' must be a name or a list of names"),
    ("aliases: true", "'aliases' must be a name or a list of names"),
    ("aliases: [[nested]]", "'aliases' must be a name or a list of names"),
    ("slug: [x]", "'slug' must be a name"),
    ("slug: " + "9" * 5001, "front matter cannot be read"),
])
def test_odd_front_matter_is_a_message_not_a_traceback(write_corpus, tmp_path, front, message):
    text = f"---\n{front}\n---\n# Dream About Flying: Up\n\n## Quick Answer\n\n- It lifts.\n"
    folder = write_corpus({"falling.txt": GOOD, "flying.md": text})
    result = run_build(folder, tmp_path / "graph")
    assert "Traceback" not in result.stderr, result.stderr
    assert "flying.md:2: " in result.stderr and message in result.stderr
    assert "2 articles" in result.stdout


def test_a_yaml_alias_bomb_is_refused_at_once(write_corpus, tmp_path):
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    bomb = "---\n" + "\n".join(levels) + "\naliases: *a8\n---\n# Dream About Flying: Up\n\n## Quick Answer\n\n- It lifts.\n"
    assert len(bomb) < 600
    folder = write_corpus({"falling.txt": GOOD, "flying.md": bomb})
    result = run_build(folder, tmp_path / "graph", timeout=30)  # 7 minutes and 0.9 GB before
    assert "anchors or aliases" in result.stderr and "Traceback" not in result.stderr
    assert "2 articles" in result.stdout


def test_two_files_with_one_provenance_path_are_not_merged(tmp_path, monkeypatch):
    graph = tmp_path / "graph"
    (graph / "articles").mkdir(parents=True)
    (graph / "articles" / "a.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "a.txt").write_text(article("Dream About Flying: Up", scenarios=[("Soaring", "freedom")]),
                                                 encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    report = build([graph / "articles", Path("articles")], graph)
    assert report.articles == 1
    clash = [p for p in report.problems if "same provenance path" in p.message]
    assert clash and clash[0].path == "articles/a.txt" and "'articles/a.txt'" in clash[0].message
    store = open_store(graph)
    from rdflib import Graph

    assert len(Graph().parse(graph / GRAPH_FILE)) == store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"]


def test_a_link_to_a_file_outside_the_folder_is_not_read(write_corpus, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-LINE first line of a private file\n", encoding="utf-8")
    folder = write_corpus({"falling.txt": GOOD})
    os.symlink(secret, folder / "linked.txt")
    os.symlink(folder / "falling.txt", folder / "inside.txt")  # a link within the folder is read
    result = run_build(folder, tmp_path / "graph")
    assert "linked.txt: warning: a symbolic link to a file outside the folder; skipped, not read" in result.stderr
    assert "TOP-SECRET" not in result.stderr + result.stdout
    assert not any(b"TOP-SECRET" in p.read_bytes() for p in (tmp_path / "graph").rglob("*") if p.is_file())
    assert "inside.txt" in result.stderr  # same slug as falling.txt: reported, so it was read


def test_a_folder_that_cannot_be_listed_is_an_error_naming_it(write_corpus, tmp_path):
    folder = write_corpus({"falling.txt": GOOD})
    # a chain of folders deeper than the system's path limit: os.walk cannot list the last one
    handle = os.open(folder, os.O_RDONLY)
    name = "d" * 200
    for _ in range(25):
        os.mkdir(name, dir_fd=handle)
        handle = os.open(name, os.O_RDONLY, dir_fd=handle)
    with open(os.open("deep.txt", os.O_WRONLY | os.O_CREAT, dir_fd=handle), "w", encoding="utf-8") as deep:
        deep.write(GOOD)
    result = run_build(folder, tmp_path / "graph")
    assert "cannot read the folder" in result.stderr and "its articles are left out" in result.stderr
    assert result.returncode == 1 and "1 articles" in result.stdout


def test_a_missing_source_says_so(cli, tmp_path):
    result = cli("build", tmp_path / "nowhere", "-g", tmp_path / "graph")
    assert result.exit_code == 1 and "no such file or folder" in result.stderr


@pytest.fixture
def answering():
    """A web server on 127.0.0.1 that records each request's path and answers with the status and body it is
    given."""
    answer = {"status": 200, "body": b"", "type": "application/sparql-results+json", "seen": []}

    class Handler(Quiet):
        def do_POST(self):  # noqa: N802
            answer["seen"].append(self.path)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(answer["status"])
            self.send_header("Content-Type", answer["type"])
            self.send_header("Content-Length", str(len(answer["body"])))
            self.end_headers()
            self.wfile.write(answer["body"])

        do_GET = do_POST  # noqa: N815

    with serving(Handler) as port:
        yield port, answer


@pytest.fixture
def listener(answering):
    """A web server on 127.0.0.1 that records every request it gets (and answers 500)."""
    port, answer = answering
    answer.update(status=500, body=b"")
    return port, answer["seen"]


@pytest.mark.parametrize("comment", ["# note\r", "#\r", "# a\r\r", "# a\r\n", "#\n", "# note\u2028\r"])
def test_service_behind_any_line_end_is_refused_and_nothing_is_sent(seed_store, listener, comment):
    port, seen = listener
    query = f"SELECT ?s WHERE {{ {comment} SERVICE <http://127.0.0.1:{port}/x> {{ ?s ?p ?o }}\n}}"
    with pytest.raises(QueryError, match="SERVICE is refused"):
        run_query(seed_store, query)
    assert seen == []


def test_service_behind_a_carriage_return_is_refused_from_the_command_line(cli, seed_graph, listener):
    port, seen = listener
    result = cli("-g", seed_graph, "sparql", "-e", f"SELECT ?s WHERE {{ # note\r SERVICE <http://127.0.0.1:{port}/x> "
                 "{ ?s ?p ?o }\n}")
    assert result.exit_code == 1 and "SERVICE is refused" in result.stderr
    assert seen == []


def test_a_carriage_return_comment_still_ends_the_comment(seed_store):
    rows = run_query(seed_store, "SELECT ?d WHERE { # a comment\r ?d a dg:Dream } ORDER BY ?d").rows
    assert len(rows) == 4


def test_the_seed_still_builds_beside_all_of_it(write_corpus, tmp_path):
    folder = write_corpus({"run.txt": SEED.read_text(encoding="utf-8")})
    os.symlink("/dev/zero", folder / "zero.txt")
    os.mkfifo(folder / "pipe.md")
    result = run_build(folder, tmp_path / "graph")
    assert "1 articles, 4 dreams" in result.stdout


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def test_a_killed_build_leaves_no_workers(tmp_path):
    import signal
    import time

    sys.path.insert(0, str(ROOT / "bench"))
    from generate import generate

    generate(1200, tmp_path / "articles", seed=9, shape="random")
    build_process = subprocess.Popen([sys.executable, "-m", "dreamgraph.cli", "build", str(tmp_path / "articles"), "-g",
                                      str(tmp_path / "graph"), "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while len(workers) < 2 and time.monotonic() < deadline and build_process.poll() is None:
        workers |= _children(build_process.pid)
        time.sleep(0.02)
    assert workers, "the build started no worker processes"
    build_process.send_signal(signal.SIGKILL)
    build_process.wait()
    time.sleep(2)
    alive = [pid for pid in workers if Path(f"/proc/{pid}").exists()
             and (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]
    assert alive == [], f"workers still running after their build was killed: {alive}"


def test_graphml_stays_well_formed_and_csv_cells_never_run_as_formulas(cli, write_corpus, graph_dir, tmp_path):
    import csv

    import networkx as nx

    folder = write_corpus({"bell.txt": "Dream About The Bell\x07 And\x1b[2J Esc: X\nAn intro.\nCommon Scenarios\n"
                                       "- a → b\nNext Stages\n=HYPERLINK(\"http://x\",\"y\") → dream about @SUM(1) meaning "
                                       "— when it ends\n"})
    cli("build", folder, "-g", graph_dir)
    assert cli("-g", graph_dir, "export", "-f", "graphml", "-o", tmp_path / "v.graphml").exit_code == 0
    graph = nx.read_graphml(tmp_path / "v.graphml")  # Gephi and yEd need well-formed XML
    assert any("\ufffd" in data.get("label", "") for _, data in graph.nodes(data=True))
    assert cli("-g", graph_dir, "export", "-f", "csv", "-o", tmp_path / "v.csv").exit_code == 0
    nodes = list(csv.DictReader((tmp_path / "v-nodes.csv").open(encoding="utf-8")))
    edges = list(csv.DictReader((tmp_path / "v-edges.csv").open(encoding="utf-8")))
    assert [n["label"] for n in nodes if n["id"] == "dream:sum-1"] == ["'@SUM(1)"]
    assert any(e["title"].startswith("'=HYPERLINK") for e in edges)
    cli("-g", graph_dir, "export", "-f", "csv", "-o", tmp_path / "raw.csv", "--raw-cells")
    raw = list(csv.DictReader((tmp_path / "raw-nodes.csv").open(encoding="utf-8")))
    assert [n["label"] for n in raw if n["id"] == "dream:sum-1"] == ["@SUM(1)"]


def test_a_select_asked_for_as_turtle_is_a_usage_error(cli, seed_graph):
    result = cli("-g", seed_graph, "sparql", "-e", "SELECT ?d WHERE { ?d a dg:Dream }", "-f", "turtle")
    assert result.exit_code == 2 and "--format turtle is for CONSTRUCT and DESCRIBE" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [["search", "window", "-f", "json"], ["search", "window", "-f", "csv"],
                                  ["rank", "-f", "csv"], ["gaps", "-f", "json"],
                                  ["sparql", "-e", "SELECT ?l WHERE { ?d rdfs:label ?l }", "-f", "tsv"],
                                  ["sparql", "-e", "CONSTRUCT WHERE { ?d rdfs:label ?l }", "-f", "turtle"]])
def test_escape_sequences_from_articles_never_reach_a_terminal(write_corpus, graph_dir, args):
    import pty

    evil = "Dream About The \x1b]0;owned\x07Window\x1b[2J \u202eevil\u009b: X"
    folder = write_corpus({"evil.txt": article(evil, scenarios=[("window \x1b[31mred", "b")],
                                               next_stages=[("it goes", "the window \x1b]0;t\x07", "it ends")])})
    build([folder], graph_dir)
    leader, follower = pty.openpty()
    result = subprocess.run([sys.executable, "-m", "dreamgraph.cli", "-g", str(graph_dir), *args], stdout=follower,
                            stderr=subprocess.PIPE, timeout=60)
    os.close(follower)
    printed = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        printed += chunk
    os.close(leader)
    assert result.returncode in (0, 3), result.stderr
    text = printed.decode("utf-8", "replace")
    assert "\x1b" not in text and "\u202e" not in text and "\u009b" not in text
    assert "\\x1b" in text.lower() or "\\u001b" in text.lower()  # shown, escaped
    piped = subprocess.run([sys.executable, "-m", "dreamgraph.cli", "-g", str(graph_dir), *args], capture_output=True)
    assert b"\x1b" in piped.stdout or b"\\u001b" in piped.stdout.lower()  # a file or pipe gets the data as it is


@pytest.mark.parametrize("body, message", [
    (b'{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri"}}]}}', "not SPARQL results JSON"),
    (b'{"head": {"vars": ["s"]}, "results": []}', "not SPARQL results JSON"),
    (b'{"head": {"vars": ["s"]}, "results": {"bindings": [1]}}', "not SPARQL results JSON"),
    (b'{"boolean": "yes"}', "not SPARQL results JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "not SPARQL results JSON"),
    (b'{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": ', "broken JSON"),
    (b'{"head": ' + b'{"a": ' * 100_000, "broken JSON"),
    (b"", "an empty answer"),
    (b'{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri", "value": 5}}]}}', "not SPARQL results JSON"),
], ids=["no value", "results not an object", "binding not an object", "boolean not a boolean", "deep arrays",
        "cut off", "deep objects", "empty", "value not text"])
def test_a_malformed_answer_is_a_message_not_a_traceback(cli, answering, body, message):
    port, answer = answering
    answer["body"] = body
    result = cli("--endpoint", f"http://127.0.0.1:{port}/query", "sparql", "-e", "SELECT ?s WHERE { ?s ?p ?o }")
    assert result.exit_code == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_credentials_never_appear_in_an_error(cli, answering, monkeypatch):
    port, answer = answering
    monkeypatch.setenv("DREAMGRAPH_ENDPOINT_TOKEN", "s3cr3t-t0ken-value")
    answer.update(status=401, type="text/plain", body=b"unauthorized: Authorization: Bearer s3cr3t-t0ken-value\n")
    result = cli("--endpoint", f"http://127.0.0.1:{port}/query", "sparql", "-e", "SELECT ?s WHERE { ?s ?p ?o }")
    assert result.exit_code == 1 and "401" in result.stderr and "s3cr3t" not in result.output
    monkeypatch.delenv("DREAMGRAPH_ENDPOINT_TOKEN")
    result = cli("--endpoint", f"http://reader:pa55word@127.0.0.1:{port}/query", "sparql", "-e", "ASK {}")
    assert result.exit_code == 1 and "pa55word" not in result.output
    result = cli("--endpoint", "ftp://reader:pa55word@127.0.0.1/query", "sparql", "-e", "ASK {}")
    assert result.exit_code == 1 and "pa55word" not in result.output


def test_a_server_that_drips_its_answer_is_stopped_at_the_timeout(cli):
    import time

    class Drip(Quiet):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.25)
            except OSError:
                pass

        do_GET = do_POST  # noqa: N815

    with serving(Drip) as port:
        started = time.monotonic()
        result = cli("--endpoint", f"http://127.0.0.1:{port}/query", "sparql", "-e", "SELECT ?s WHERE { ?s ?p ?o }",
                     "--timeout", "2")
        took = time.monotonic() - started
    assert result.exit_code == 1 and "did not answer within" in result.stderr, result.output
    assert took < 8, took  # 250 s before: each read was bounded, not the answer


def test_an_endless_answer_is_read_only_up_to_the_row_cap(tmp_path):
    """A server that would send answers without end: the reader stops at the row cap, so neither time nor
    memory grows with what the server sends (it once read 500 MB into 7 GB before looking at a row)."""
    row = b'{"s": {"type": "literal", "value": "' + b"x" * 200 + b'"}},'
    sent = []

    class Endless(Quiet):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            try:
                self.wfile.write(b'{"head": {"vars": ["s"]}, "results": {"bindings": [')
                for count in range(5_000_000):  # about 1 GB if it were all read
                    self.wfile.write(row * 100)
                    sent.append(count)
            except OSError:
                pass

        do_GET = do_POST  # noqa: N815

    with serving(Endless) as port:
        status, peak_kb, out, _ = run_measured("--endpoint", f"http://127.0.0.1:{port}/query", "sparql", "-e",
                                               "SELECT ?s WHERE { ?s ?p ?o }", "--max-rows", "10", "-f", "csv",
                                               timeout=60)
    assert status == 0 and out.count("x" * 200) == 10, out[:500]
    assert peak_kb < 400_000, f"{peak_kb // 1024} MB to print 10 rows"
    assert len(sent) < 50_000, f"{len(sent)} blocks were read"


@pytest.mark.parametrize("media_type, body", [
    ("application/sparql-results+xml", b'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
     b'<head><variable name="s"/></head><results><result><binding name="s"><uri>http://example.org/a</uri>'
     b'</binding></result></results></sparql>'),
    ("text/tab-separated-values", b"?s\n<http://example.org/a>\n"),
    ("application/sparql-results+json", b'{"results": {"bindings": [{"s": {"type": "uri", "value": '
     b'"http://example.org/a"}}]}, "head": {"vars": ["s"]}}'),
    ("application/octet-stream", b'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
     b'<head><variable name="s"/></head><results><result><binding name="s"><uri>http://example.org/a</uri>'
     b'</binding></result></results></sparql>'),
], ids=["xml", "tsv", "json with results first", "unlabelled xml"])
def test_answers_in_every_results_format_read_alike(cli, answering, media_type, body):
    port, answer = answering
    answer.update(body=body, type=media_type)
    result = cli("--endpoint", f"http://127.0.0.1:{port}/query", "sparql", "-e", "SELECT ?s WHERE { ?s ?p ?o }",
                 "-f", "csv")
    assert result.exit_code == 0 and result.stdout.split() == ["s", "http://example.org/a"], result.output


def test_a_constructed_graph_in_turtle_is_read(cli, answering):
    port, answer = answering
    answer.update(body=b"@prefix ex: <http://example.org/> .\nex:a ex:b ex:c , ex:d .\n", type="text/turtle")
    result = cli("--endpoint", f"http://127.0.0.1:{port}/query", "sparql", "-e",
                 "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "-f", "ntriples")
    assert result.exit_code == 0, result.output
    assert sorted(result.stdout.splitlines()) == ["<http://example.org/a> <http://example.org/b> <http://example.org/c> .",
                                                  "<http://example.org/a> <http://example.org/b> <http://example.org/d> ."]


CROSS_PRODUCT = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"  # grows by GBs on the sample library


def test_a_query_that_eats_memory_is_stopped_with_a_message(sample_graph):
    """The query is stopped once it has taken its allowance, not when the machine runs out (it reached
    8.7 GB and died by SIGABRT before)."""
    status, peak_kb, _, message = run_measured("-g", str(sample_graph), "sparql", "-e", CROSS_PRODUCT,
                                               "--max-memory", "250M")
    assert status == 1, message
    assert "needed more than 250 MB of memory" in message and "--max-memory" in message and "Traceback" not in message
    assert peak_kb < 250_000 + 250_000, f"peak {peak_kb // 1024} MB"  # the allowance and the process


def test_a_query_run_from_python_is_bounded_in_memory_too(sample_graph):
    store = open_store(sample_graph)
    with pytest.raises(QueryError, match="needed more than 200 MB"):
        run_query(store, CROSS_PRODUCT, max_memory=200 << 20, timeout=120)
    assert run_query(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", max_memory=200 << 20).rows  # room to spare


@pytest.mark.parametrize("size", ["lots", "0", "12", "-5M"])
def test_a_memory_allowance_that_is_not_a_size_is_refused(cli, seed_graph, size):
    result = cli("-g", seed_graph, "sparql", "-e", "ASK {}", "--max-memory", size)
    assert result.exit_code == 2 and "--max-memory" in result.output


def test_a_folder_that_cannot_be_written_is_a_message_and_the_graph_stays(cli, write_corpus, tmp_path):
    folder = write_corpus({"falling.txt": GOOD})
    graph = tmp_path / "graph"
    assert cli("build", folder, "-g", graph).exit_code == 0
    before = (graph / GRAPH_FILE).read_bytes()
    (graph / ".lock").unlink(missing_ok=True)
    (graph / ".lock").mkdir()  # the lock file cannot be opened: the same error as a read-only folder's
    result = cli("build", folder, "-g", graph)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.startswith("error: ") and ".lock" in result.stderr and "as it was" in result.stderr
    assert (graph / GRAPH_FILE).read_bytes() == before


def test_a_graph_read_from_its_turtle_in_memory_answers_like_the_store(seed_graph):
    from dreamgraph.store import _store_in_memory

    query = "SELECT ?d ?l WHERE { ?d rdfs:label ?l } ORDER BY ?d ?l"
    assert _store_in_memory(seed_graph / GRAPH_FILE).select(query) == open_store(seed_graph).select(query)


def test_a_store_opened_before_a_build_reads_one_graph(tmp_path):
    from dreamgraph.dreams import dream_card
    from dreamgraph.progression import progression_graph

    first, second = tmp_path / "one", tmp_path / "two"
    shutil.copytree(ROOT / "tests" / "fixtures" / "progression", first)
    shutil.copytree(ROOT / "tests" / "fixtures" / "gaps", second)
    graph = tmp_path / "graph"
    build([first], graph)
    store = open_store(graph)
    asked = {r["d"].rsplit("/", 1)[1] for r in store.select("SELECT ?d WHERE { ?d a dg:Dream }")}
    build([second], graph)  # the folder's name now holds another graph
    kept = progression_graph(store)  # the kept data of the folder the store was opened from, or the store's own
    assert set(kept) == asked == {r["d"].rsplit("/", 1)[1] for r in store.select("SELECT ?d WHERE { ?d a dg:Dream }")}
    for slug in sorted(kept):
        assert dream_card(store, f"https://w3id.org/dreamgraph/id/dream/{slug}").slug == slug
    assert set(progression_graph(open_store(graph))) != asked  # a store opened now reads the new graph
