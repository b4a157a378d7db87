"""Shared fixtures: the sample corpus, small article folders written per test, and a CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import ROOT, SEED

# Tests that take a second or more: builds killed mid-way, real servers, generated libraries, child
# processes. `pytest -m "not slow and not browser"` runs the rest in well under a minute; CI runs all.
SLOW = {
    "test_answers.py": ("test_the_command_prints_the_same_either_way", "test_the_kept_answer_is_the_rows_of_the_query",
                        "test_a_capped_search_keeps_the_query_order"),
    "test_docs.py": ("test_the_python_example_runs_and_prints_what_it_says",),
    "test_files.py": ("test_dash_writes",),
    "test_hardening.py": ("test_a_killed_build", "test_a_second_build_of_the_same_folder", "test_encodings_and_line",
                          "test_input_that_loses_content", "test_inputs_never_make_dreamgraph_touch_the_network",
                          "test_limits_can_be_raised", "test_the_lock_of_a_killed_build", "test_unicode_and_code",
                          "test_control_characters_never_reach", "test_self_link_and_titles"),
    "test_hostile.py": ("test_a_killed_build", "test_a_link_to_a_device", "test_a_named_pipe", "test_a_server_that_drips",
                        "test_an_endless_answer", "test_a_query_that_eats_memory", "test_escape_sequences",
                        "test_odd_front_matter", "test_a_yaml_alias_bomb", "test_the_seed_still_builds_beside",
                        "test_a_file_name_that_is_not_utf8", "test_a_folder_that_cannot_be_listed",
                        "test_a_link_to_a_file_outside", "test_a_query_run_from_python"),
    "test_query.py": ("test_a_runaway_query", "test_the_program_stops_a_runaway_query"),
    "test_remote.py": ("",),  # a real SPARQL server for every test
    "test_trust.py": ("test_loops_are_complete", "test_the_turtle_does_not_depend_on_the_working_folder"),
    "test_build.py": ("test_a_library_large_enough_for_worker_processes", "test_a_rebuild_patches_the_near_duplicate"),
    "test_snapshot.py": ("test_the_tables_kept_after_edits",),
    "test_progression.py": ("test_betweenness_is_what_networkx_computes",),
    "test_properties.py": ("",),  # Hypothesis: many examples each
}


def pytest_collection_modifyitems(items):
    """Mark the browser tests (tests/test_views.py) and the slow ones (:data:`SLOW`)."""
    for item in items:
        module = item.path.name
        if module == "test_views.py":
            item.add_marker(pytest.mark.browser)
        if any(item.name.startswith(prefix) for prefix in SLOW.get(module, ())):
            item.add_marker(pytest.mark.slow)


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


@pytest.fixture
def always_spliced(monkeypatch):
    """Make a patch write every table it may as runs over the last build's (dreamgraph.store.Spliced), however
    small the table or many its new rows: the tests' libraries are far smaller than the size at which a
    patch does so on its own."""
    from dreamgraph import store

    monkeypatch.setattr(store, "SPLICED_ROWS", 0)
    monkeypatch.setattr(store, "SPLICED_MOST", float("inf"))
