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
