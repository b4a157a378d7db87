"""Shared fixtures: the sample corpus, small article folders written per test, and a CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import ROOT, SEED


@pytest.fixture
def write_corpus(tmp_path):
    """Return a function that writes {file name: text or bytes} into a fresh articles folder."""

    def write(files: dict[str, str | bytes], folder: str = "articles") -> Path:
        target = tmp_path / folder
        target.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            path = target / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return target

    return write


@pytest.fixture
def graph_dir(tmp_path) -> Path:
    return tmp_path / "graph"


@pytest.fixture
def cli():
    """Return a function that runs ``dreamgraph ARGS`` in-process and gives click's Result."""
    from dreamgraph.cli import main

    def run(*args, input=None):
        return CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)

    return run


@pytest.fixture(scope="session")
def seed_graph(tmp_path_factory) -> Path:
    """Return a graph folder built from the one seed article (built once per test session)."""
    from dreamgraph.build import build

    folder = tmp_path_factory.mktemp("seed") / "graph"
    (folder / "articles").mkdir(parents=True)
    shutil.copy(SEED, folder / "articles")
    report = build([folder / "articles"], folder)
    assert report.ok, report.problems
    return folder


@pytest.fixture(scope="session")
def sample_graph(tmp_path_factory) -> Path:
    """Return a graph folder built from the sample library in graph/articles/ (built once per test session)."""
    from dreamgraph.build import build

    folder = tmp_path_factory.mktemp("sample") / "graph"
    shutil.copytree(ROOT / "graph" / "articles", folder / "articles")
    report = build([folder / "articles"], folder)
    assert report.ok, report.problems
    return folder


@pytest.fixture(scope="session")
def seed_store(seed_graph):
    from dreamgraph.connect import open_store

    return open_store(seed_graph)
