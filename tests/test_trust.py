"""Promises a new user relies on: the same articles give the same Turtle wherever they lie and wherever
the command runs from, and the messages say what happened."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from helpers import FIXTURES
from dreamgraph.store import GRAPH_FILE


def _build(source, graph, cwd):
    result = subprocess.run([sys.executable, "-m", "dreamgraph.cli", "build", str(source), "-g", str(graph), "-q"],
                            cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return (graph / GRAPH_FILE).read_bytes() if os.path.isabs(graph) else (cwd / graph / GRAPH_FILE).read_bytes()


def test_the_turtle_does_not_depend_on_the_working_folder_or_where_the_library_lies(tmp_path):
    one, two = tmp_path / "one" / "articles", tmp_path / "two" / "deeper" / "articles"
    shutil.copytree(FIXTURES / "progression", one)
    shutil.copytree(FIXTURES / "progression", two)
    turtles = [
        _build(one, tmp_path / "g1", tmp_path),                         # from above the library
        _build(one, tmp_path / "g2", one),                              # from inside it
        _build("articles", tmp_path / "g3", tmp_path / "one"),          # a relative source
        _build(two, tmp_path / "g4", tmp_path / "two"),                 # another place on the machine
        _build(two, tmp_path / "g5", "/"),                              # from the root
    ]
    assert all(turtle == turtles[0] for turtle in turtles[1:])
    text = turtles[0].decode("utf-8")
    assert "id/source/articles/falling.txt" in text
    assert str(tmp_path) not in text and "source//" not in text


def test_a_graph_folder_holding_its_articles_keeps_paths_relative_to_itself(tmp_path):
    graph = tmp_path / "graph"
    shutil.copytree(FIXTURES / "progression", graph / "articles")
    text = _build(graph / "articles", graph, tmp_path / "graph" / "articles").decode("utf-8")
    assert "id/source/articles/falling.txt" in text


def test_show_prints_what_the_article_says_in_order(cli, sample_graph):
    text = cli("-g", sample_graph, "show", "falling").stdout
    order = ["There is no moment of jumping",                   # the intro
             "Quick Answer", "Common Scenarios", "What the Body Registered",
             "Why the Fall Wakes You", "The fall wakes you because",  # a free-form section and its text
             "The Sentence", "FAQ", "What happens if you hit the ground in a dream?",
             "Usually nothing: most people wake first",            # the answer, not only the question
             "Next Stages", "if: If the fall turned into gliding",
             "— when losing support turns into a different kind of freedom",  # the gloss
             "Led to from"]
    places = [text.find(part) for part in order]
    assert -1 not in places, [p for p, at in zip(order, places) if at < 0]
    assert places == sorted(places)


def test_a_page_with_only_an_intro_shows_its_intro(cli, write_corpus, graph_dir):
    intro = "\n".join(f"Paragraph {n} of an introduction that goes on." for n in range(1, 10))
    folder = write_corpus({"only.txt": f"Dream About Being Watched: The Eyes\n{intro}\n"})
    cli("build", folder, "-g", graph_dir)
    shown = cli("-g", graph_dir, "show", "being-watched")
    assert "Paragraph 1 of an introduction" in shown.stdout and "Paragraph 9" in shown.stdout
    import json

    card = json.loads(cli("-g", graph_dir, "show", "being-watched", "--format", "json").stdout)
    assert card["intro"].startswith("Paragraph 1") and card["sections"] == []


def test_search_finds_conditions_and_glosses_and_names_an_answer_as_an_answer(cli, sample_graph):
    import json

    rows = json.loads(cli("-g", sample_graph, "search", "came up and found yourself", "-f", "json").stdout)
    assert [(r["dream"], r["kind"]) for r in rows] == [("falling-into-water", "next stage")]  # a condition
    rows = json.loads(cli("-g", sample_graph, "search", "plunge turns into a long swim", "-f", "json").stdout)
    assert [(r["dream"], r["kind"]) for r in rows] == [("falling-into-water", "next stage")]  # a gloss
    rows = json.loads(cli("-g", sample_graph, "search", "most people wake first", "-f", "json").stdout)
    assert [(r["dream"], r["kind"]) for r in rows] == [("falling", "answer")]
    rows = json.loads(cli("-g", sample_graph, "search", "Falling Into Water", "-f", "json").stdout)
    assert "next stage" not in {r["kind"] for r in rows}  # a link is not found by the names of its two dreams


def _pre_order(tree):
    yield tree
    for child in tree["children"]:
        yield from _pre_order(child)


def test_shown_above_marks_only_a_dream_already_expanded_above(cli, sample_graph):
    import json
    import random

    import networkx as nx

    from dreamgraph.progression import progression_tree

    rng = random.Random(4)
    for _ in range(40):  # random graphs with loops and shortcuts
        graph = nx.gnp_random_graph(12, 0.2, seed=rng.randrange(10 ** 6), directed=True)
        for n in graph:
            graph.nodes[n].update(label=str(n), stub=False)
        for position, (a, b) in enumerate(graph.edges):
            graph.edges[a, b].update(condition=f"{a}>{b}", position=position)
        for depth in (1, 3, 6):
            tree = progression_tree(graph, 0, depth)
            seen = set()
            for node in _pre_order(tree):
                if node["repeat"]:  # shown above: printed earlier, and expanded there as far as here
                    assert node["slug"] in seen and not node["children"]
                else:
                    seen.add(node["slug"])
    tree = json.loads(cli("-g", sample_graph, "next", "being-chased", "--depth", "4", "-f", "json").stdout)
    seen = set()
    for node in _pre_order(tree):
        assert not node["repeat"] or node["slug"] in seen
        if not node["repeat"]:
            seen.add(node["slug"])


def test_trees_print_each_steps_condition(cli, sample_graph):
    text = cli("-g", sample_graph, "next", "falling", "--depth", "1").stdout
    assert "if: If the fall turned into gliding and you found you could stay up" in text
    assert "if:" not in cli("-g", sample_graph, "next", "falling", "--depth", "1", "--no-conditions").stdout


def test_no_progression_says_why(cli, sample_graph):
    said = [cli("-g", sample_graph, "path", a, b).stdout for a, b in (
        ("trying-to-scream", "falling"), ("stairs-that-lead-nowhere", "falling"), ("losing-control", "losing-your-phone"))]
    assert "trying-to-scream has no next stages: it is a dead end" in said[0]
    assert "cut off (partial)" in said[1]
    assert "losing-your-phone cannot be reached from losing-control" in said[2]


def test_an_unknown_prefix_is_named_not_a_grammar_dump(cli, sample_graph):
    result = cli("-g", sample_graph, "sparql", "-e", "SELECT ?d WHERE { ?d a foaf:Person }")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: unknown prefix foaf: declare it with PREFIX foaf: <...>")
    assert "dg:" in result.stderr and "\\u{" not in result.stderr and len(result.stderr.splitlines()) == 1
    ok = cli("-g", sample_graph, "sparql", "-e", "PREFIX foaf: <http://xmlns.com/foaf/0.1/> "
             "SELECT ?d WHERE { ?d a foaf:Person ; rdfs:label \"a:b\" }")
    assert ok.exit_code == 0, ok.stderr


def test_numeric_options_are_checked(cli, sample_graph):
    for args in (["next", "falling", "--depth", "-1"], ["leads-to", "falling", "--depth", "-1"],
                 ["rank", "--limit", "-2"], ["search", "fall", "--limit", "0"], ["path", "a", "b", "--max-hops", "0"],
                 ["sparql", "-e", "ASK {}", "--timeout", "nan"], ["sparql", "-e", "ASK {}", "--timeout", "inf"],
                 ["sparql", "-e", "ASK {}", "--timeout", "1e300"], ["sparql", "-e", "ASK {}", "--timeout", "0"],
                 ["loops", "--max-length", "0"], ["export", "--view", "dream", "--dream", "falling", "--hops", "-1"]):
        result = cli("-g", sample_graph, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
    for args in (["build", "--max-bytes", "0"], ["build", "--wait", "-1"], ["build", "--wait", "nan"]):
        assert cli(*args, "-g", sample_graph).exit_code == 2, args


def test_export_all_refuses_one_output_file_and_takes_a_folder(cli, sample_graph, tmp_path):
    result = cli("-g", sample_graph, "export", "--all", "--output", tmp_path / "x.html")
    assert result.exit_code == 2 and "--output-dir" in result.output
    assert not (tmp_path / "x.html").exists()
    result = cli("-g", sample_graph, "export", "--all", "--output-dir", tmp_path / "views")
    assert result.exit_code == 0
    assert sorted(p.name for p in (tmp_path / "views").iterdir()) == ["gaps.html", "taxonomy.html"]


def test_scenarios_written_with_a_dash_or_a_colon_are_kept_with_a_warning():
    from dreamgraph.parse import parse_text

    result = parse_text("Dream About Falling: The Drop\nCommon Scenarios\n- Falling off a cliff - a sudden loss\n"
                        "- Missing a step: a routine that failed\n- A line with nothing to split\n", "f.txt")
    assert [(s.label, s.meaning) for s in result.article.scenarios] == [
        ("Falling off a cliff", "a sudden loss"), ("Missing a step", "a routine that failed")]
    assert [(p.severity, p.line) for p in result.problems] == [("warning", 3), ("warning", 4), ("error", 5)]
    assert "' - ', ' – ', ' — ' or ': ' are read too" in result.problems[2].message


def test_utf16_without_a_bom_is_named_and_a_page_saved_as_text_is_read_as_a_page(cli, write_corpus, graph_dir):
    from helpers import article

    folder = write_corpus({
        "falling.txt": article("Dream About Falling: The Drop", scenarios=[("Off a cliff", "lost footing")]),
        "teeth.txt": "Dream About Teeth: The Bite\nQuick Answer\n- It bites.\n".encode("utf-16-le"),
        "saved.txt": "<!DOCTYPE html><html><body><h1>Dream About Flying</h1><h2>Quick Answer</h2><ul><li>Lift.</li>"
                     "</ul></body></html>",
        "page.html": "<html><body><h1>Dream About Rain</h1><p>It rains.</p></body></html>"})
    result = cli("build", folder, "-g", graph_dir)
    assert "teeth.txt: error: UTF-16 without a byte-order mark: save the file as UTF-8" in result.stderr
    assert "4 articles, " not in result.stdout and "3 articles, " in result.stdout, result.stdout
    shown = cli("show", "flying", "-g", graph_dir)
    assert "Lift." in shown.stdout and "<" not in shown.stdout


def test_a_query_from_standard_input_raises_no_deprecation_warning(seed_graph):
    result = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-m", "dreamgraph.cli", "-g",
                             str(seed_graph), "sparql", "-"], input="ASK { ?s ?p ?o }", capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "true", result.stderr


def test_validate_uses_the_shapes_of_the_graph_folder(cli, seed_graph, tmp_path):
    folder = tmp_path / "graph"
    shutil.copytree(seed_graph, folder)
    assert cli("-g", folder, "validate").exit_code == 0
    with (folder / "shapes.ttl").open("a", encoding="utf-8") as shapes:
        shapes.write("""
<https://w3id.org/dreamgraph/shapes#NoStubs> a <http://www.w3.org/ns/shacl#NodeShape> ;
    <http://www.w3.org/ns/shacl#targetClass> <https://w3id.org/dreamgraph/ontology#Dream> ;
    <http://www.w3.org/ns/shacl#property> [
        <http://www.w3.org/ns/shacl#path> <https://w3id.org/dreamgraph/ontology#isStub> ;
        <http://www.w3.org/ns/shacl#hasValue> false ;
        <http://www.w3.org/ns/shacl#message> "every dream has an article (a house rule)" ] .
""")
    result = cli("-g", folder, "validate")
    assert result.exit_code == 3 and "every dream has an article (a house rule)" in result.stdout


def test_loops_are_complete_up_to_their_length_and_the_same_under_any_hash_seed(write_corpus, graph_dir):
    import random

    from helpers import article

    rng = random.Random(5)
    links = {"a": ["b"], "b": ["a"], "c": ["d"], "d": ["e"], "e": ["c"], "f": ["g"], "g": ["h"], "h": ["i"],
             "i": ["j"], "j": ["f"]}
    dense = [f"n{i}" for i in range(14)]  # thousands of long loops
    for name in dense:
        links[name] = sorted(rng.sample([d for d in dense if d != name], 6))
    folder = write_corpus({f"{name}.txt": article(f"Dream About {name.upper()}x: T", scenarios=[("s", "m")],
                                                  next_stages=[("it goes", f"{t}x", "on") for t in targets])
                           for name, targets in links.items()})
    subprocess.run([sys.executable, "-m", "dreamgraph.cli", "build", str(folder), "-g", str(graph_dir), "-q"], check=True,
                   capture_output=True)
    outputs = []
    for seed in ("1", "2"):
        result = subprocess.run([sys.executable, "-m", "dreamgraph.cli", "-g", str(graph_dir), "loops"],
                                capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed}, timeout=300)
        assert result.returncode == 0, result.stderr
        outputs.append((result.stdout, result.stderr))
    assert outputs[0] == outputs[1]
    lines = outputs[0][0].splitlines()
    for loop in ("ax → bx → ax", "cx → dx → ex → cx", "fx → gx → hx → ix → jx → fx"):
        assert loop in lines
    lengths = [line.count("→") for line in lines]
    assert lengths == sorted(lengths) and len(lines) == 1000
    assert "more loops" in outputs[0][1] or "not searched" in outputs[0][1]
