"""`dreamgraph diff`: what changed between two builds, from folders, Turtle files or a git revision."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from helpers import ROOT
from dreamgraph.build import build
from dreamgraph.diff import compare, open_build
from dreamgraph.store import GRAPH_FILE

CAR_CRASH = ("Dream About a Car Crash: The Impact\nThe car hits and the dream stays there.\nQuick Answer\n"
             "- It is about consequences.\nNext Stages\n"
             "- If the car rolled → dream about driving a car with no brakes meaning — when it starts again\n")


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """The sample library built, then three edits built: an article for the stub 'a car crash', the
    orphan 'losing your phone' removed, and a link of 'falling' moved to another stub."""
    root = tmp_path_factory.mktemp("diff")
    shutil.copytree(ROOT / "graph" / "articles", root / "articles")
    build([root / "articles"], root / "old")
    falling = root / "articles" / "falling.txt"
    falling.write_text(falling.read_text(encoding="utf-8").replace(
        "→ dream about waking up with a jolt meaning", "→ dream about a false awakening meaning"), encoding="utf-8")
    (root / "articles" / "losing-your-phone.txt").unlink()
    (root / "articles" / "a-car-crash.txt").write_text(CAR_CRASH, encoding="utf-8")
    build([root / "articles"], root / "new")
    return root


def test_the_three_edits_are_what_changed(builds):
    changes = compare(open_build(builds / "old"), open_build(builds / "new"))
    assert changes.stubs_written == ["a-car-crash"] and changes.dreams_added == []
    assert changes.dreams_removed == ["losing-your-phone"]
    assert changes.stubs_removed == ["waking-up-with-a-jolt"] and changes.stubs_added == []
    assert changes.links_added == [("a-car-crash", "driving-a-car-with-no-brakes"), ("falling", "a-false-awakening")]
    assert changes.links_removed == [("falling", "waking-up-with-a-jolt"), ("losing-your-phone", "being-late"),
                                     ("losing-your-phone", "getting-lost")]
    assert changes.clusters_added == changes.clusters_removed == []
    assert {(g.kind, g.node) for g in changes.gaps_closed} == {
        ("missing-article", "a-car-crash"), ("missing-article", "waking-up-with-a-jolt"), ("orphan", "losing-your-phone")}
    assert {(g.kind, g.node) for g in changes.gaps_opened} >= {("incomplete-article", "a-car-crash"),
                                                               ("no-cluster", "a-car-crash")}
    assert changes.coverage["being-late"] == (5, 4) and changes.coverage["water"][0] == changes.coverage["water"][1]
    assert compare(open_build(builds / "new"), open_build(builds / "new")).is_empty()
    assert not changes.is_empty()



def test_a_written_dream_still_linked_to_after_its_article_went_is_said_to_be_a_stub_now(cli, tmp_path):
    from helpers import FIXTURES

    shutil.copytree(FIXTURES / "progression", tmp_path / "articles")
    build([tmp_path / "articles"], tmp_path / "old")
    (tmp_path / "articles" / "drowning.txt").unlink()  # falling links to it
    (tmp_path / "articles" / "teeth.txt").unlink()  # nothing links to it
    build([tmp_path / "articles"], tmp_path / "new")
    changes = compare(open_build(tmp_path / "old"), open_build(tmp_path / "new"))
    assert changes.dreams_removed == ["drowning", "teeth-falling-out"] and changes.now_stubs == ["drowning"]
    assert changes.stubs_added == []  # a written dream become a stub is not a new stub
    shown = cli("diff", tmp_path / "old", tmp_path / "new").output
    assert "Dreams removed (2)\n  drowning (its article went; articles still link to it: a stub now)\n  teeth-falling-out\n" in shown

def test_turtle_files_compare_as_their_folders_do(builds):
    folders = compare(open_build(builds / "old"), open_build(builds / "new")).as_dict()
    files = compare(open_build(builds / "old" / GRAPH_FILE), open_build(builds / "new" / GRAPH_FILE)).as_dict()
    assert files == folders


def test_the_command_in_every_format_and_fail_on_new(cli, builds):
    table = cli("diff", builds / "old", builds / "new")
    assert table.exit_code == 0 and "Stubs now written (1)\n  a-car-crash" in table.output
    assert "  being-late: 5 → 4" in table.output
    data = json.loads(cli("diff", builds / "old", builds / "new", "-f", "json").output)
    assert data["dreams_removed"] == ["losing-your-phone"] and data["coverage"]["being-late"] == {"before": 5, "after": 4}
    markdown = cli("diff", builds / "old", builds / "new", "-f", "markdown").output
    assert markdown.startswith("# What changed in the dream graph") and "| being-late | 5 | 4 |" in markdown
    failed = cli("diff", builds / "old", builds / "new", "--fail-on-new", "no-cluster")
    assert failed.exit_code == 3 and "new gaps of the kinds given to --fail-on-new" in failed.stderr
    assert cli("diff", builds / "old", builds / "new", "--fail-on-new", "broken-link").exit_code == 0
    same = cli("diff", builds / "new", builds / "new")
    assert same.exit_code == 0 and same.output.startswith("no changes")


def test_a_git_revision_is_compared_with_the_folder_now(cli, builds, tmp_path):
    if shutil.which("git") is None:
        pytest.fail("git is needed for diff --rev: install git")
    repo = tmp_path / "repo"
    shutil.copytree(builds / "old", repo / "graph", ignore=shutil.ignore_patterns(".store", ".cache", ".lock"))
    run = lambda *args: subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    run("-c", "user.name=t", "-c", "user.email=t@example.org", "add", "graph/dreamgraph.ttl")
    run("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "old")
    shutil.copy(builds / "new" / GRAPH_FILE, repo / "graph" / GRAPH_FILE)
    result = cli("-g", repo / "graph", "diff", "--rev", "HEAD", "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["stubs_written"] == ["a-car-crash"]
    missing = cli("-g", repo / "graph", "diff", "--rev", "no-such-branch")
    assert missing.exit_code == 1 and "cannot read dreamgraph.ttl at 'no-such-branch'" in missing.stderr


def test_what_is_not_a_build_is_a_message(cli, builds, tmp_path):
    (tmp_path / "notes.ttl").write_text("this is not turtle", encoding="utf-8")
    result = cli("diff", builds / "old", tmp_path / "notes.ttl")
    assert result.exit_code == 1 and "is not a Turtle graph" in result.stderr and "Traceback" not in result.output
    result = cli("diff", builds / "old", tmp_path / "nowhere")
    assert result.exit_code == 1 and "neither a graph folder nor a Turtle file" in result.stderr
    assert cli("diff", builds / "old").exit_code == 2
