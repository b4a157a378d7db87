"""A second real SPARQL server: Virtuoso 7 (the Debian package virtuoso-opensource), started on 127.0.0.1
with a row cap of 1,000 so that its answers are cut and dreamgraph must page them. After `push` (through
Virtuoso's Digest-protected Graph Store endpoint), every read command and export must give the same bytes
as the embedded store, on the sample library and on a generated library of 300 articles."""

import contextlib
import os
import re
import shutil
import sys
import urllib.request

import pytest

from helpers import ROOT, free_port, running
from dreamgraph.build import build

sys.path.insert(0, str(ROOT / "bench"))
from generate import generate  # noqa: E402

pytestmark = pytest.mark.slow

CONFIG = "/etc/virtuoso-opensource-7/virtuoso.ini"
ROW_CAP = 1000
USER = {"DREAMGRAPH_ENDPOINT_USER": "dba", "DREAMGRAPH_ENDPOINT_PASSWORD": "dba"}  # a fresh database's


@contextlib.contextmanager
def virtuoso(folder):
    """Run Virtuoso over a database in ``folder`` on free loopback ports; yield its HTTP base URL."""
    binary = shutil.which("virtuoso-t")
    if binary is None or not os.path.exists(CONFIG):
        pytest.fail("Virtuoso is missing: apt-get install virtuoso-opensource (bash .ci/run does)")
    http, sql = free_port(), free_port()
    text = open(CONFIG, encoding="utf-8").read().replace("/var/lib/virtuoso-opensource-7/db/", f"{folder}/")
    text = re.sub(r"(?m)^ServerPort(\s*)= 1111", rf"ServerPort\g<1>= 127.0.0.1:{sql}", text)
    text = re.sub(r"(?m)^ServerPort(\s*)= 8890", rf"ServerPort\g<1>= 127.0.0.1:{http}", text)
    text = re.sub(r"(?m)^ResultSetMaxRows(\s*)=.*", rf"ResultSetMaxRows\g<1>= {ROW_CAP}", text)
    (folder / "virtuoso.ini").write_text(text, encoding="utf-8")
    command = [binary, "+foreground", "+configfile", str(folder / "virtuoso.ini")]
    ask = f"http://127.0.0.1:{http}/sparql?query=ASK%7B%7D"
    with running(command, lambda: urllib.request.urlopen(ask, timeout=2).close(), "Virtuoso", seconds=90, cwd=folder):
        yield f"http://127.0.0.1:{http}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with virtuoso(tmp_path_factory.mktemp("virtuoso")) as url:
        yield url


@pytest.fixture(scope="module")
def libraries(tmp_path_factory):
    """The sample library and a generated one of 300 articles, built."""
    root = tmp_path_factory.mktemp("libraries")
    shutil.copytree(ROOT / "graph" / "articles", root / "sample" / "articles")
    generate(300, root / "generated" / "articles")
    for name in ("sample", "generated"):
        build([root / name / "articles"], root / name / "graph")
    return {name: root / name / "graph" for name in ("sample", "generated")}


def push(cli, graph, server, monkeypatch, iri="https://w3id.org/dreamgraph/graph"):
    for name, value in USER.items():
        monkeypatch.setenv(name, value)
    result = cli("-g", graph, "push", "--store-url", f"{server}/sparql-graph-crud-auth", "--graph-iri", iri)
    for name in USER:
        monkeypatch.delenv(name)
    assert result.exit_code == 0, result.output
    return result


def commands(cli, graph):
    """Read commands that touch every table of the read model, for a library's own dreams."""
    rank = cli("-g", graph, "rank", "-f", "csv", "--limit", "3").stdout.splitlines()[1:]
    first, second = rank[0].split(",")[0], rank[1].split(",")[0]
    stub = cli("-g", graph, "gaps", "-f", "csv", "--kind", "missing-article").stdout.splitlines()
    found = [["stats", "-f", "json"], ["gaps", "-f", "json"], ["gaps", "--matrix", "-f", "csv"],
             ["show", first, "-f", "json"], ["search", "the", "-f", "json"], ["next", first, "-f", "json"],
             ["leads-to", first], ["path", first, second, "-f", "json"], ["rank", "-f", "json"], ["loops"],
             ["sparql", "-n", "stubs-by-demand", "-f", "csv"], ["sparql", "-n", "gap-completeness", "-f", "csv"],
             ["sparql", "-e", "SELECT ?d ?l WHERE { ?d a dg:Dream ; rdfs:label ?l } ORDER BY ?d", "-f", "json"],
             ["sparql", "-e", f"ASK {{ dream:{first} a dg:Dream }}"],
             # dg:nextStage+ over loops runs out of Virtuoso's memory: answered from the projection
             ["sparql", "-n", "reachable-from", "-p", f"dream={first}", "-f", "csv"],
             ["sparql", "-n", "leads-to", "-p", f"dream={first}", "-f", "csv"]]
    if len(stub) > 1:
        found.append(["brief", stub[1].split(",")[1]])
    return found


@pytest.mark.parametrize("library", ["sample", "generated"])
def test_virtuoso_answers_every_command_and_export_as_the_embedded_store(cli, server, libraries, library,
                                                                          monkeypatch, tmp_path):
    graph = libraries[library]
    push(cli, graph, server, monkeypatch)
    endpoint = ["--endpoint", f"{server}/sparql"]
    for command in commands(cli, graph):
        local = cli("-g", graph, *command)
        remote = cli("-g", graph, *endpoint, *command)
        assert (remote.exit_code, remote.stdout) == (local.exit_code, local.stdout), (command, remote.stderr[-500:])
        assert local.stdout
    for fmt, suffix in (("html", "html"), ("graphml", "graphml"), ("jsonld", "jsonld"), ("ntriples", "nt"),
                        ("csv", "csv")):
        local, remote = tmp_path / f"local.{suffix}", tmp_path / f"remote.{suffix}"
        assert cli("-g", graph, "export", "-f", fmt, "-o", local).exit_code == 0
        assert cli("-g", graph, *endpoint, "export", "-f", fmt, "-o", remote).exit_code == 0
        if fmt == "csv":
            for part in ("nodes", "edges"):
                assert (tmp_path / f"remote-{part}.csv").read_bytes() == (tmp_path / f"local-{part}.csv").read_bytes()
        else:
            assert remote.read_bytes() == local.read_bytes(), fmt
    gaps_local, gaps_remote = tmp_path / "gl.html", tmp_path / "gr.html"
    assert cli("-g", graph, "export", "--view", "gaps", "-o", gaps_local).exit_code == 0
    assert cli("-g", graph, *endpoint, "export", "--view", "gaps", "-o", gaps_remote).exit_code == 0
    assert gaps_remote.read_bytes() == gaps_local.read_bytes()


def test_push_uses_digest_replaces_the_graph_and_a_wrong_password_is_a_clear_error(cli, server, libraries,
                                                                                   monkeypatch):
    iri = "https://example.org/replaced"
    push(cli, libraries["generated"], server, monkeypatch, iri)
    push(cli, libraries["sample"], server, monkeypatch, iri)
    stats = cli("--endpoint", f"{server}/sparql", "--endpoint-graph", iri, "stats", "-f", "csv").stdout
    assert "written dreams,32" in stats
    monkeypatch.setenv("DREAMGRAPH_ENDPOINT_USER", "dba")
    monkeypatch.setenv("DREAMGRAPH_ENDPOINT_PASSWORD", "not-the-password")
    wrong = cli("-g", libraries["sample"], "push", "--store-url", f"{server}/sparql-graph-crud-auth")
    assert wrong.exit_code == 1 and "401 Unauthorized (check DREAMGRAPH_ENDPOINT_USER" in wrong.stderr
    assert "not-the-password" not in wrong.output


def test_a_construct_cut_at_the_cap_is_an_error_and_a_select_is_paged(cli, server, libraries, monkeypatch):
    push(cli, libraries["generated"], server, monkeypatch)
    endpoint = ["--endpoint", f"{server}/sparql"]
    rows = cli(*endpoint, "sparql", "-e", "SELECT ?s ?p ?o WHERE { ?s ?p ?o }", "-f", "csv", "--max-rows", "0")
    assert rows.exit_code == 0 and len(rows.stdout.splitlines()) - 1 > 10 * ROW_CAP
    cut = cli(*endpoint, "sparql", "-e", "CONSTRUCT WHERE { ?s ?p ?o }", "-f", "ntriples")
    assert cut.exit_code == 1 and f"cut its answer at its cap of {ROW_CAP:,} rows" in cut.stderr
