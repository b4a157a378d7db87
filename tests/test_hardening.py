"""Hostile input, crashes and concurrent use: each protection has a test that fails without it."""

import hashlib
import signal
import subprocess
import sys
import time

import pytest

from helpers import ROOT, SEED, article, leftovers
from dreamgraph.build import build
from dreamgraph.parse import parse_text
from dreamgraph.store import GRAPH_FILE, STORE_DIR
from dreamgraph.connect import open_store

sys.path.insert(0, str(ROOT / "bench"))
from generate import generate  # noqa: E402

DREAMGRAPH = [sys.executable, "-m", "dreamgraph.cli"]


def run(*args, **kwargs):
    return subprocess.run([*DREAMGRAPH, *map(str, args)], capture_output=True, text=True, **kwargs)


# --- crashes and concurrency -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def big_library(tmp_path_factory):
    """A generated library large enough that a build takes several seconds."""
    folder = tmp_path_factory.mktemp("big") / "articles"
    generate(800, folder, seed=3, shape="random")
    return folder


def test_a_killed_build_leaves_the_old_graph_or_the_new_one(big_library, tmp_path):
    graph = tmp_path / "graph"
    assert run("build", big_library, "-g", graph, "-q", "--no-validate").returncode == 0
    old = (graph / GRAPH_FILE).read_bytes()
    for path in sorted(big_library.iterdir())[:40]:  # change the library so the next graph differs
        path.write_text(path.read_text(encoding="utf-8").replace("Quick Answer\n", "Quick Answer\n- Changed.\n", 1),
                        encoding="utf-8")
    states = set()
    for delay in (0.3, 1.0, 1.8, 2.6, 3.4, 4.2):
        process = subprocess.Popen([*DREAMGRAPH, "build", str(big_library), "-g", str(graph), "-q", "--no-validate"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        states.add(hashlib.sha256((graph / GRAPH_FILE).read_bytes()).hexdigest())
    assert run("build", big_library, "-g", graph, "-q", "--no-validate").returncode == 0
    new = (graph / GRAPH_FILE).read_bytes()
    assert new != old
    assert leftovers(graph) == []  # leftovers cleaned up
    assert states <= {hashlib.sha256(old).hexdigest(), hashlib.sha256(new).hexdigest()}
    check = run("validate", "-g", graph)
    assert check.returncode == 0, check.stdout + check.stderr
    assert run("stats", "-g", graph).returncode == 0  # the store left by the killed builds opens again


def test_a_second_build_of_the_same_folder_refuses_or_waits(big_library, tmp_path):
    graph = tmp_path / "graph"
    first = subprocess.Popen([*DREAMGRAPH, "build", str(big_library), "-g", str(graph), "-q", "--no-validate"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not (graph / ".lock").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    refused = run("build", big_library, "-g", graph, "-q")
    assert refused.returncode == 1
    assert "is locked by another dreamgraph build" in refused.stderr and "Traceback" not in refused.stderr
    waited = run("build", big_library, "-g", graph, "-q", "--no-validate", "--wait", "120")
    assert waited.returncode == 0, waited.stderr
    assert first.wait(60) == 0


def test_the_lock_of_a_killed_build_is_free_at_once(big_library, tmp_path):
    graph = tmp_path / "graph"
    process = subprocess.Popen([*DREAMGRAPH, "build", str(big_library), "-g", str(graph), "-q"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    process.kill()
    process.wait()
    started = time.monotonic()
    assert run("build", SEED, "-g", graph, "-q").returncode == 0
    assert time.monotonic() - started < 30


def test_a_damaged_store_is_rebuilt_from_the_turtle(tmp_path):
    graph = tmp_path / "graph"
    build([SEED], graph)
    for path in (graph / STORE_DIR / "oxigraph").iterdir():
        if path.is_file():
            path.write_bytes(b"garbage")
    assert open_store(graph).select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"] == 223


def test_a_hand_edited_turtle_file_is_reloaded_into_the_store(tmp_path):
    graph = tmp_path / "graph"
    build([SEED], graph)
    path = graph / GRAPH_FILE
    path.write_text(path.read_text(encoding="utf-8").replace('"losing control"', '"Losing Control (edited)"', 1),
                    encoding="utf-8")
    labels = {r["l"] for r in open_store(graph).select("SELECT ?l WHERE { ?c a dg:Cluster ; rdfs:label ?l }")}
    assert labels == {"Losing Control (edited)"}


def test_a_broken_turtle_file_is_reported_and_not_overwritten(tmp_path, cli):
    graph = tmp_path / "graph"
    build([SEED], graph)
    path = graph / GRAPH_FILE
    broken = path.read_bytes()[:5000]
    path.write_bytes(broken)
    result = cli("-g", graph, "stats")
    assert result.exit_code == 1 and "cannot load" in result.stderr and "line" in result.stderr
    assert path.read_bytes() == broken


# --- hostile and broken articles -------------------------------------------------------------------

def built(tmp_path, files: dict, *extra):
    folder = tmp_path / "articles"
    folder.mkdir(exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return run("build", folder, "-g", tmp_path / "graph", *extra)


GOOD = article("Dream About Falling: The Drop", scenarios=[("Off a cliff", "lost footing")])


@pytest.mark.parametrize("name, content, message", [
    ("binary.txt", bytes(range(256)) * 4, "binary file"),
    ("latin1.txt", "Dream About Café: Old\nQuick Answer\n- Fine.\n".encode("latin-1"), "not UTF-8"),
    ("huge.txt", b"Dream About Huge: Big\n" + b"word " * 1_300_000, "larger than 5,000,000 bytes"),
    ("long-line.txt", ("Dream About Long: Line\nThe Morning After\n" + "x" * 1_000_000 + "\n").encode(), "longer than 100,000"),
    ("bullets.txt", ("Dream About Many: Bullets\nQuick Answer\n" + "- item.\n" * 100_000).encode(), "more than 1,000"),
], ids=["binary", "latin1", "50MB", "1MB-line", "100000-bullets"])
def test_input_that_loses_content_is_reported_and_exits_1(tmp_path, name, content, message):
    result = built(tmp_path, {"good.txt": GOOD, name: content})
    assert result.returncode == 1
    assert f"{name}" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr
    store = open_store(tmp_path / "graph")
    assert store.ask("ASK { dream:falling a dg:Dream }")


def test_limits_can_be_raised(tmp_path):
    content = ("Dream About Many: Bullets\nQuick Answer\n" + "- item.\n" * 2000).encode()
    assert built(tmp_path, {"bullets.txt": content}, "--max-items", "5000").returncode == 0


@pytest.mark.parametrize("name, content", [
    ("bom.txt", b"\xef\xbb\xbf" + GOOD.encode()),
    ("utf16.txt", "\ufeff".encode("utf-16-le") + GOOD.encode("utf-16-le")),
    ("crlf.txt", GOOD.replace("\n", "\r\n").encode()),
    ("cr.txt", GOOD.replace("\n", "\r").encode()),
], ids=["utf8-bom", "utf16-bom", "crlf", "cr"])
def test_encodings_and_line_endings_build_the_same_graph(tmp_path, name, content):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD, encoding="utf-8")
    assert run("build", folder, "-g", tmp_path / "plain", "-q").returncode == 0
    (folder / "a.txt").write_bytes(content)
    assert run("build", folder, "-g", tmp_path / "other", "-q").returncode == 0
    plain = (tmp_path / "plain" / GRAPH_FILE).read_text(encoding="utf-8")
    other = (tmp_path / "other" / GRAPH_FILE).read_text(encoding="utf-8")
    without_hash = [line for line in plain.splitlines() if "contentHash" not in line]
    assert [line for line in other.splitlines() if "contentHash" not in line] == without_hash


def test_deeply_nested_markdown_lists_and_empty_sections(tmp_path):
    nested = "# Dream About Nesting: Deep\n\nIntro.\n\n## Quick Answer\n\n" + "".join(
        f"{'  ' * depth}- level {depth}.\n" for depth in range(200)) + "\n## Common Scenarios\n\n   \n## FAQ\n"
    result = parse_text(nested, "n.md")
    assert len(result.article.quick_answer) == 200
    assert [p.severity for p in result.problems] == ["warning", "warning"]


def test_self_link_and_titles_that_slug_alike(tmp_path):
    looping = article("Dream About Looping: Again", next_stages=[("it repeats", "looping", "again")])
    twins = {"a.txt": GOOD, "b.txt": article("Falling Dream Meaning", scenarios=[("x", "y")]), "loop.txt": looping}
    result = built(tmp_path, twins)
    assert result.returncode == 1
    assert "b.txt:1: error: dream 'falling' is already written in" in result.stderr and "a.txt" in result.stderr
    assert "loop.txt:4: warning: next stage points at its own dream" in result.stderr
    store = open_store(tmp_path / "graph")
    assert store.ask("ASK { dream:looping dg:nextStage dream:looping }")


UNICODE = "Träume 🌙 خواب שֵׁנָה e\u0301 \u202eevil\u202c 夢"
LOOKS_LIKE_CODE = '> . ?s ?p ?o """ \\u0000 } DROP ALL { <x> . @prefix'


def test_unicode_and_code_looking_text_round_trip_exactly(tmp_path):
    text = article(f"Dream About {UNICODE}: {LOOKS_LIKE_CODE}", prose=f"{UNICODE} intro. {LOOKS_LIKE_CODE}.",
                   scenarios=[(UNICODE, LOOKS_LIKE_CODE), (LOOKS_LIKE_CODE, UNICODE)],
                   faq=[(f"{LOOKS_LIKE_CODE}?", UNICODE)], sentence=LOOKS_LIKE_CODE,
                   next_stages=[(LOOKS_LIKE_CODE, UNICODE, LOOKS_LIKE_CODE)])
    assert built(tmp_path, {"u.txt": text}).returncode == 0
    store = open_store(tmp_path / "graph")
    meanings = {r["m"] for r in store.select("SELECT ?m WHERE { ?s dg:meaning ?m }")}
    assert meanings == {LOOKS_LIKE_CODE, UNICODE}
    assert store.select("SELECT ?s WHERE { ?d dg:subtitle ?s }") == [{"s": LOOKS_LIKE_CODE}]
    assert run("validate", "-g", tmp_path / "graph").returncode == 0


def test_control_characters_never_reach_the_terminal(tmp_path):
    text = article("Dream About Colour: \x1b[31mRed\x1b[0m", scenarios=[("bell \x07", "override \u202e and back")])
    built(tmp_path, {"c.txt": text})
    shown = run("show", "colour", "-g", tmp_path / "graph")
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout and "\u202e" not in shown.stdout
    assert "\\x1b[31mRed" in shown.stdout


# --- no network because of an input --------------------------------------------------------------

AUDIT = """
import sys
def guard(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "urllib.Request"):
        raise PermissionError(f"network access from an input: {event} {args!r:.80}")
sys.addaudithook(guard)
from dreamgraph.cli import main
main()
"""


def test_inputs_never_make_dreamgraph_touch_the_network(tmp_path):
    links = article("Dream About Links: http://127.0.0.1:9/x", prose="See http://127.0.0.1:9/a and <http://127.0.0.1:9/b>.",
                    scenarios=[("[a link](http://127.0.0.1:9/c)", "![img](http://127.0.0.1:9/d.png)")],
                    next_stages=[("x", "http://127.0.0.1:9/e", "y")])
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "l.md").write_text(links, encoding="utf-8")
    graph = tmp_path / "graph"
    (graph).mkdir()
    (graph / "aliases.toml").write_text('"http://127.0.0.1:9/f" = "links"\n', encoding="utf-8")
    commands = [["build", folder], ["validate"], ["gaps"], ["export", "-o", tmp_path / "v.html"], ["rank"],
                ["sparql", "-e", "SELECT * WHERE { ?s ?p ?o } LIMIT 3"],
                ["sparql", "-e", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/s> { ?s ?p ?o } }"],
                ["sparql", "-e", "SELECT * FROM <http://127.0.0.1:9/g.ttl> WHERE { ?s ?p ?o }"]]
    for command in commands:
        result = subprocess.run([sys.executable, "-c", AUDIT, "-g", str(graph), *map(str, command)],
                                capture_output=True, text=True)
        assert "network access from an input" not in result.stderr, (command, result.stderr[-500:])
        assert "Traceback" not in result.stderr, (command, result.stderr[-800:])


def test_a_graph_file_with_remote_imports_is_read_without_fetching(tmp_path, cli):
    graph = tmp_path / "graph"
    build([SEED], graph)
    path = graph / GRAPH_FILE
    path.write_text(path.read_text(encoding="utf-8") + "\n<https://w3id.org/dreamgraph/id/scheme> "
                    "<http://www.w3.org/2002/07/owl#imports> <http://127.0.0.1:9/remote.ttl> .\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", AUDIT, "-g", str(graph), "validate"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
