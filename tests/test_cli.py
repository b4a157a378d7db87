"""`dreamgraph show`, `stats`, `validate` and the command line's error handling."""

import json

import pytest

from dreamgraph.store import GRAPH_FILE


def test_show_accepts_slug_title_or_label_in_any_case(cli, seed_graph):
    for name in ("not-being-able-to-run", "NOT BEING ABLE TO RUN",
                 "Dream About Not Being Able to Run: The Kinetic Lock"):
        result = cli("--graph-dir", seed_graph, "show", name)
        assert result.exit_code == 0, result.output
        assert "Not Being Able to Run — The Kinetic Lock" in result.stdout
        assert "Legs pumping, ground not moving → the effort is real" in result.stdout


def test_show_json_card(cli, seed_graph):
    card = json.loads(cli("-g", seed_graph, "show", "not-being-able-to-run", "--format", "json").stdout)
    assert card["subtitle"] == "The Kinetic Lock" and len(card["scenarios"]) == 5 and len(card["sensations"]) == 4
    assert [n["slug"] for n in card["next_stages"]] == ["not-being-able-to-move", "being-chased-by-a-killer",
                                                         "losing-control"]
    assert card["clusters"] == [{"slug": "losing-control", "label": "losing control"}]


def test_unknown_dream_gets_did_you_mean_and_exit_1(cli, seed_graph):
    result = cli("-g", seed_graph, "show", "not able to rnu")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: unknown dream 'not able to rnu'; did you mean 'not-being-able-to-run'")


def test_stats_counts(cli, seed_graph):
    stats = json.loads(cli("-g", seed_graph, "stats", "--format", "json").stdout)
    assert stats["Dream"] == 4 and stats["written dreams"] == 1 and stats["stub dreams"] == 3
    assert stats["Scenario"] == 5 and stats["Cluster"] == 1 and stats["triples"] == 223


def test_reading_before_building_says_what_to_do(cli, tmp_path):
    result = cli("-g", tmp_path / "nothing", "stats")
    assert result.exit_code == 1 and "run `dreamgraph build` first" in result.stderr


def test_validate_passes_on_the_seed_and_fails_with_exit_3_naming_node_and_rule(cli, seed_graph, tmp_path):
    assert cli("-g", seed_graph, "validate").exit_code == 0
    broken = tmp_path / "broken"
    broken.mkdir()
    text = (seed_graph / GRAPH_FILE).read_text(encoding="utf-8")
    text = text.replace('rdfs:label "being chased by a killer" ;', "")
    text += "\ndream:x dg:nextStage <https://example.org/not-a-dream> .\n"
    (broken / GRAPH_FILE).write_text(text, encoding="utf-8")
    result = cli("-g", broken, "validate")
    assert result.exit_code == 3
    assert ("https://w3id.org/dreamgraph/id/dream/being-chased-by-a-killer: every dream has exactly one non-empty label"
            in result.stdout)
    assert "the target of a next stage is not a dream" in result.stdout


def test_validate_answers_with_the_builds_verdict_while_the_graph_is_as_the_build_left_it(cli, tmp_path):
    """Shapes stricter than the shipped ones (a subtitle for every dream: stubs have none) give a build with
    violations; `validate` then prints what pySHACL finds in the whole graph (--full), without running it,
    until the graph, its store or its shapes change, or the build did not check the shapes."""
    from helpers import FIXTURES, stricter_shapes

    graph = tmp_path / "graph"
    with stricter_shapes():
        assert cli("-g", graph, "build", FIXTURES / "progression").exit_code == 3
        kept, full = cli("-g", graph, "validate"), cli("-g", graph, "validate", "--full")
        assert kept.exit_code == full.exit_code == 3 and "every dream has a subtitle" in full.stdout
        assert kept.stdout == full.stdout and "checked by the build" in kept.stderr and "checked by" not in full.stderr
        assert cli("-g", graph, "build", "--no-validate", FIXTURES / "progression").exit_code == 0
        result = cli("-g", graph, "validate")  # that build did not check the shapes: pySHACL does
        assert result.stdout == full.stdout and "checked by" not in result.stderr
    assert cli("-g", graph, "build", FIXTURES / "progression").exit_code == 0  # the shipped shapes again
    assert "checked by the build" in cli("-g", graph, "validate").stderr
    with (graph / GRAPH_FILE).open("a", encoding="utf-8") as edited:
        edited.write("\n<https://w3id.org/dreamgraph/id/dream/x> a <https://w3id.org/dreamgraph/ontology#Dream> .\n")
    result = cli("-g", graph, "validate")
    assert result.exit_code == 3 and "checked by" not in result.stderr and "dream/x" in result.stdout


def test_validate_reports_turtle_syntax_errors_with_line_and_column(cli, tmp_path):
    (tmp_path / GRAPH_FILE).write_text("@prefix dg: <https://w3id.org/dreamgraph/ontology#> .\ndg:a dg:b \"open\n", encoding="utf-8")
    result = cli("-g", tmp_path, "validate")
    assert result.exit_code == 1 and "line 2" in result.stderr and "column" in result.stderr
    assert "Traceback" not in result.output


def test_the_shell_completes_commands_and_options():
    import os
    import subprocess
    import sys

    def complete(words: str, cword: int) -> list[str]:
        env = {**os.environ, "COMP_WORDS": words, "COMP_CWORD": str(cword), "_DREAMGRAPH_COMPLETE": "bash_complete"}
        code = "from dreamgraph.cli import main; main(prog_name='dreamgraph')"
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout
        return [line.split(",", 1)[1] for line in out.splitlines()]

    assert complete("dreamgraph ga", 1) == ["gaps"]
    assert "--by" in complete("dreamgraph gaps --b", 2)


@pytest.mark.parametrize("args, option", [(["--view", "dream"], "--dream"), (["--view", "cluster"], "--cluster"),
                                          (["--view", "path", "--to", "falling"], "--from"),
                                          (["--view", "path", "--from", "falling"], "--to")])
def test_a_view_without_what_it_needs_is_a_usage_error(cli, seed_graph, tmp_path, args, option):
    result = cli("-g", seed_graph, "export", *args, "--output-dir", tmp_path)
    assert result.exit_code == 2 and f"needs {option}" in result.output and not list(tmp_path.iterdir())


def test_a_build_prints_every_error_and_the_first_warnings_then_how_many_more(cli, tmp_path):
    """60 cut-off pages (a warning each) and one article with a dropped line (an error); built again with
    nothing changed, the same report."""
    from helpers import article

    folder = tmp_path / "articles"
    folder.mkdir()
    for i in range(60):
        (folder / f"cut-{i:02}.txt").write_text(f"Dream About Cut Page {i}: The Cut\nThe page stops in the", encoding="utf-8")
    (folder / "broken.txt").write_text(article("Dream About Broken: The Break", quick=["It breaks."]) + "Next Stages\nno arrow here\n",
                                       encoding="utf-8")
    graph = tmp_path / "graph"
    result = cli("-g", graph, "build", folder)
    lines = result.stderr.splitlines()
    assert sum(": warning: " in line for line in lines) == 50
    assert sum(": error: " in line for line in lines) == 1
    assert "… and 10 more warnings (--all-warnings prints them;" in result.stderr
    assert "1 errors, 60 warnings" in result.stdout and result.exit_code == 1
    every = cli("-g", graph, "build", "--all-warnings", folder)
    assert sum(": warning: " in line for line in every.stderr.splitlines()) == 60 and "more warnings" not in every.stderr
    # nothing changed: the last build's report again, its error and exit status too, and "up to date"
    assert every.stdout.startswith(f"up to date {graph / 'dreamgraph.ttl'}: 61 articles") and every.exit_code == 1
    assert "1 errors, 60 warnings" in every.stdout
    forced = cli("-g", graph, "build", "--force", folder)
    assert forced.stdout.startswith("built ") and forced.stderr == result.stderr and forced.exit_code == 1
    quiet = cli("-g", graph, "build", "--quiet", folder)
    assert ": warning: " not in quiet.stderr and ": error: " in quiet.stderr and "more warnings" not in quiet.stderr


@pytest.mark.parametrize("args", [["gaps"], ["gaps", "--by", "dream"], ["gaps", "--by", "score"], ["rank"],
                                  ["search", "water"]])
def test_jsonl_is_the_json_list_one_item_a_line(cli, sample_graph, args):
    listed = json.loads(cli("-g", sample_graph, *args, "-f", "json").stdout)
    lines = cli("-g", sample_graph, *args, "-f", "jsonl").stdout.splitlines()
    assert len(lines) == len(listed) > 0
    assert [json.loads(line) for line in lines] == listed


def test_sparql_jsonl_gives_a_row_a_line_of_plain_values(cli, sample_graph):
    out = cli("-g", sample_graph, "sparql", "-e",
              "SELECT ?d ?n WHERE { ?d a dg:Dream ; rdfs:label ?n } ORDER BY ?d LIMIT 3", "-f", "jsonl").stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 3 and rows[0] == {"d": "https://w3id.org/dreamgraph/id/dream/a-car-crash", "n": "a car crash"}


def test_a_build_in_a_terminal_shows_the_step_it_is_at(cli, tmp_path, monkeypatch):
    import io

    from rich.console import Console

    from dreamgraph import cli as cli_module
    from helpers import article

    folder = tmp_path / "articles"
    folder.mkdir()
    for n in range(25):  # a bar is shown from 20 files
        (folder / f"{n:02d}.txt").write_text(article(f"Dream About Room {n}: Doors", next_stages=[
            ("you leave", f"room {n + 1}", "it opens")]), encoding="utf-8")
    screen = io.StringIO()
    monkeypatch.setattr(cli_module, "console", lambda stderr=False: Console(file=screen, force_terminal=True, width=120))
    assert cli("build", folder, "-g", tmp_path / "g").exit_code == 0
    shown = screen.getvalue()
    for step in ("reading the articles", "writing the graph and loading the store", "making the read model",
                 "finding the gaps", "tidying the cache"):
        assert step in shown, step
    screen.truncate(0)
    assert cli("build", folder, "-g", tmp_path / "g", "-q").exit_code == 0
    assert screen.getvalue() == ""  # --quiet: no bar, no steps


@pytest.mark.parametrize("given", [None, "2"])
def test_the_program_starts_no_linear_algebra_threads_unless_told_to(given):
    """numpy's OpenBLAS starts a thread a core when it loads, which spin for a while (0.13 s of processor
    time): the program asks for none, and a number the user set stands (the threads counted by Linux)."""
    import os
    import subprocess
    import sys

    env = {name: value for name, value in os.environ.items() if name != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    code = ("import os\nimport dreamgraph.cli as cli\n"
            "def main():\n    import numpy\n"
            "    print(os.environ['OPENBLAS_NUM_THREADS'], len(os.listdir('/proc/self/task')))\n"
            "cli.main = main\ncli.run()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    threads = 1 if given is None else min(2, os.cpu_count() or 1)  # (OpenBLAS starts no more than the cores)
    assert done.stdout.split() == [given or "1", str(threads)], "(the setting, the process's threads with numpy)"
