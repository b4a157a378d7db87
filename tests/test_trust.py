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
