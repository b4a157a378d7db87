"""Shipped queries answered from the build's kept data give exactly the rows the queries themselves give."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys

import pytest

from helpers import FIXTURES, ROOT, SEED, article
from dreamgraph.answers import ANSWERS, kept_answer
from dreamgraph.gaps import KINDS
from dreamgraph.build import build
from dreamgraph.query import named_queries, named_query, run_query
from dreamgraph.terms import IRI
from dreamgraph.connect import open_store
from dreamgraph.vocabulary import dream_iri

sys.path.insert(0, str(ROOT / "bench"))
from generate import generate  # noqa: E402

CORNERS = {
    # a dream that leads to itself and into a loop; the loop; a cluster spelt two ways
    "echo.txt": article("Dream About Echo: Again", prose="It sits in the Return Trip cluster.",
                        quick=["Again.", "Again."], scenarios=[("You hear it", "It repeats")],
                        next_stages=[("it repeats", "echo", "again"), ("it turns", "loop a", "round"),
                                     ("it fades", "silence", "quiet")]),
    "loop-a.txt": article("Dream About Loop A: One", prose="Part of the return-trip cluster.",
                          next_stages=[("it turns", "loop b", "on"), ("it fades", "silence", "quiet")]),
    "loop-b.txt": article("Dream About Loop B: Two", prose="Part of the return trip cluster.",
                          next_stages=[("it turns", "loop a", "back"), ("it ends", "silence", "twice"),
                                       ("it stops", "silence", "again")]),
    # written, linked by nobody, leading nowhere, in no cluster
    "lonely.txt": article("Dream About Lonely: Alone", faq=[("Why?", "Because.")]),
    # a dead end many dreams lead to
    "wall.txt": article("Dream About Wall: Stop", prose="The Barrier cluster holds it."),
}


_BUILT: dict = {}


def built(kind: str, tmp_path_factory):
    """The graph folder of a library: the corners above, a fixture folder with the seed, or a generated one."""
    if kind in _BUILT:
        return _BUILT[kind]
    folder = tmp_path_factory.mktemp(kind)
    articles = folder / "articles"
    if kind == "corners":
        articles.mkdir()
        for name, text in CORNERS.items():
            (articles / name).write_text(text, encoding="utf-8")
        for name in ("first", "second"):
            (articles / f"{name}.txt").write_text(article(f"Dream About {name.title()}: Way", next_stages=[
                ("you stop", "wall", "blocked"), ("you hear", "echo", "called")]), encoding="utf-8")
    elif kind == "generated":
        generate(300, articles, seed=5, shape="random")
    else:
        shutil.copytree(FIXTURES / kind, articles)
        shutil.copy(SEED, articles)
    build([articles], folder / "graph")
    _BUILT[kind] = folder / "graph"
    return _BUILT[kind]


@pytest.fixture(scope="module", params=["corners", "progression", "gaps", "variants", "hostile", "generated"])
def graph(request, tmp_path_factory):
    return built(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def corners(tmp_path_factory):
    return built("corners", tmp_path_factory)


WORDS = ["the", "A", "fall", "RUN", "kinetic lock", "’", '"', "ß", "İ", "é", "\\", "<script>", "scenario/1",
         "chased → ", "nothing matches this", "e"]


def bindings_to_try(store, name: str) -> list[dict]:
    """No bindings for a query without parameters; words for the search (common ones, across parts, odd
    characters); else every dream (up to 60) and one that does not exist."""
    if not named_query(name).parameters:
        return [{}]
    if name == "search":
        return [{"text": word} for word in WORDS]
    dreams = sorted(store.derived("projection").nodes(data="iri"))[:60]
    return [{"dream": IRI(iri)} for _, iri in dreams] + [{"dream": IRI(dream_iri("no-such-dream"))}]


def test_every_answer_is_of_a_shipped_query():
    assert set(ANSWERS) <= set(named_queries())


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_the_kept_answer_is_the_rows_of_the_query(graph, name):
    store = open_store(graph)
    rows = 0
    for bindings in bindings_to_try(store, name):
        kept = kept_answer(store, name, bindings)
        assert kept is not None, f"{name} was not answered from the kept data"
        asked = store.execute(named_query(name).text, bindings)
        assert kept.variables == asked.variables
        assert kept.rows == asked.rows, f"{name} {bindings}"
        rows += len(kept.rows)
    if graph.parent.name.startswith("corners") or (graph.parent.name.startswith("generated") and name != "gap-no-cluster"):
        assert rows, f"{name} found nothing to compare"  # (every generated dream is in a cluster)


def test_the_corners_are_there(corners):
    """The corner library does hold what the comparisons above are meant to cover."""
    store = open_store(corners)
    clusters = kept_answer(store, "gap-clusters", {}).rows
    assert len([row for row in clusters if row[0][1].endswith("/return-trip")]) >= 2  # two spellings
    loop = kept_answer(store, "reachable-from", {"dream": IRI(dream_iri("echo"))}).rows
    assert {row[1][1].rsplit("/", 1)[1] for row in loop} == {"echo", "loop-a", "loop-b", "silence"}
    ends = kept_answer(store, "gap-dead-ends", {}).rows
    assert ends[0][0][1].endswith("/wall") and ends[0][4][1] == "2"
    orphans = {row[0][1].rsplit("/", 1)[1] for row in kept_answer(store, "gap-orphans", {}).rows}
    assert {"lonely", "first", "second"} <= orphans and "echo" not in orphans


def test_run_query_uses_the_kept_answer_with_the_row_cap(graph):
    store = open_store(graph)
    full = run_query(store, named_query("gap-completeness"), max_rows=None)
    capped = run_query(store, named_query("gap-completeness"), max_rows=1)
    asked = store.execute(named_query("gap-completeness").text, max_rows=1)
    assert capped.rows == full.rows[:1] == asked.rows
    assert capped.truncated == asked.truncated == (len(full.rows) > 1)


def test_without_kept_data_the_engine_answers(graph):
    store = open_store(graph)
    store.derived = lambda name: None  # as a remote endpoint: nothing kept
    assert kept_answer(store, "gap-orphans", {}) is None
    assert run_query(store, named_query("gap-orphans")).rows == kept_answer(open_store(graph), "gap-orphans", {}).rows


def test_the_command_prints_the_same_either_way(corners):
    """`sparql -n NAME` (kept answer) and `sparql -e TEXT` (the engine, via the safety checks) print the same."""
    for name in ("gap-missing-articles", "stubs-by-demand"):
        printed = [subprocess.run([sys.executable, "-m", "dreamgraph.cli", "-g", str(corners), "sparql", *how, "-f", "json"],
                                  capture_output=True, text=True, check=True).stdout
                   for how in (["-n", name], ["-e", named_query(name).text])]
        assert printed[0] == printed[1] and '"bindings": [' in printed[0]


@pytest.mark.parametrize("cap", [1, 2, 5, 40])
def test_a_capped_search_keeps_the_query_order(graph, cap):
    """Cut at the cap, the kept answer still orders the texts of the last node as the query does."""
    store = open_store(graph)
    for word in ("the", "e", "you"):
        kept = run_query(store, named_query("search"), {"text": word}, max_rows=cap)
        asked = store.execute(named_query("search").text, {"text": word}, max_rows=cap)
        assert kept.rows == asked.rows and kept.truncated == asked.truncated


def test_the_gap_report_served_as_kept_is_the_report_made_again(graph, cli):
    """`gaps` with the default settings prints the report the build kept, in every order, format and set of
    kinds: the same as the report laid out from its gaps."""
    from dreamgraph.gaps import find_gaps
    from dreamgraph.keptreport import kept_report
    from dreamgraph.report import as_data, in_order, markdown, terminal_text

    found = find_gaps(open_store(graph))
    kept = kept_report(open_store(graph))
    assert kept is not None and kept[0].startswith(b"\nmissing-article") and len(found) > 10
    assert cli("-g", graph, "gaps").stdout == kept[0].decode("utf-8") == terminal_text(found)
    for by in ("dream", "score"):
        assert cli("-g", graph, "gaps", "--by", by, *(part for kind in KINDS for part in ("--kind", kind))).stdout \
            == terminal_text(found, by)
    orphans = [gap for gap in found if gap.kind in ("orphan", "one-way")]
    assert orphans and len(orphans) < len(found)
    for by in ("kind", "dream", "score"):  # the other formats, against the report laid out from the gaps
        for chosen, kinds in ((found, ()), (orphans, ("--kind", "orphan", "--kind", "one-way"))):
            assert json.loads(cli("-g", graph, "gaps", "--by", by, "-f", "json", *kinds).stdout) == as_data(chosen, by)
            assert cli("-g", graph, "gaps", "--by", by, "-f", "markdown", *kinds).stdout == markdown(chosen, by)
            rows = list(csv.reader(io.StringIO(cli("-g", graph, "gaps", "--by", by, "-f", "csv", *kinds).stdout)))
            assert [row[:2] for row in rows[1:]] == [[g.kind, g.node] for g in in_order(chosen, by)], by
