"""The content gap report on a corpus with known gaps, and on the sample corpus."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from helpers import FIXTURES, SEED, article
from dreamgraph.build import build
from dreamgraph import report
from dreamgraph.gaps import WEIGHTS, GapSettings, _order, completeness_matrix, find_gaps, unreachable_groups
from dreamgraph.snapshot.texts import shingles
from dreamgraph.query import named_query
from dreamgraph.terms import IRI
from dreamgraph.connect import open_store
from dreamgraph.store import STORE_DIR
from dreamgraph.vocabulary import dream_iri, slug_of


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """tests/fixtures/gaps: 'being watched' is linked from two articles and unwritten; 'sleepwalkng' is a typo;
    night-terrors has no FAQ; teeth-falling-out is a dead end alone in the thin 'body' cluster; flying is an orphan."""
    folder = tmp_path_factory.mktemp("gaps") / "graph"
    build([FIXTURES / "gaps"], folder)
    return folder


def test_the_exact_gap_list_in_order(corpus):
    gaps = find_gaps(open_store(corpus))
    assert [(g.kind, g.node, g.score) for g in gaps] == [
        ("missing-article", "being-watched", 2.2008),      # 1.0 x 2 linking articles + PageRank 0.2008
        ("broken-link", "sleepwalkng", 0.96),              # 1.0 x 1 linking article x similarity 0.9565
        ("incomplete-article", "night-terrors", 0.32),     # 0.8 x (page + 1 arriving) x 1 of 5 sections
        ("dead-end", "teeth-falling-out", 1.4),            # 0.7 x (page + 1 arriving)
        ("orphan", "flying", 0.6),                         # 0.6 x the page
        ("thin-cluster", "body", 0.8),                     # 0.4 x 2 dreams lacking
        ("cluster-without-hub", "body", 1.0),              # 0.5 x (hub + 1 written member)
        ("one-way", "night-terrors", 0.1),                 # 0.1 x the page
    ]


def test_scores_share_one_scale_across_kinds(corpus):
    """Each score is the kind's weight x reach x confidence; one list by score mixes the kinds."""
    gaps = find_gaps(open_store(corpus))
    assert all(0 < g.score <= WEIGHTS[g.kind] * 100 for g in gaps)
    ranked = report.grouped(gaps, by="score")[0][2]
    assert [g.score for g in ranked] == sorted((g.score for g in gaps), reverse=True)
    assert [g.kind for g in ranked][:3] == ["missing-article", "dead-end", "cluster-without-hub"]
    by_dream = [key for key, _, _ in report.grouped(gaps, by="dream")]
    # by the sum of each dream's scores: body's two gaps (0.8 + 1.0) outweigh teeth-falling-out's dead end
    assert by_dream == ["being-watched", "body", "teeth-falling-out", "sleepwalkng", "flying", "night-terrors"]


def test_gaps_carry_evidence_and_actions(corpus):
    gaps = {g.kind: g for g in find_gaps(open_store(corpus))}
    missing = gaps["missing-article"]
    assert missing.action == "write an article for 'being watched': 2 articles send readers there"
    assert missing.evidence == [
        {"path": "gaps/nightmares.txt", "line": 23, "text": "If eyes followed you"},
        {"path": "gaps/sleepwalking.txt", "line": 23, "text": "If someone saw you"}]
    assert gaps["broken-link"].action == "'sleepwalkng' looks like 'sleepwalking': fix the link or add an alias"
    assert gaps["broken-link"].evidence == [
        {"path": "gaps/night-terrors.txt", "line": 18, "text": "If you wandered off"}]
    assert gaps["incomplete-article"].action == "add FAQ"


def test_thresholds_change_the_report(corpus):
    store = open_store(corpus)
    assert "thin-cluster" not in {g.kind for g in find_gaps(store, GapSettings(min_cluster_size=1))}
    thin = [g for g in find_gaps(store, GapSettings(min_items=4)) if g.kind == "incomplete-article"]
    assert len(thin) == 5 and all("expand" in g.action for g in thin)


def test_completeness_matrix(corpus):
    matrix = {r["dream"]: r for r in completeness_matrix(open_store(corpus))}
    assert matrix["night-terrors"]["faq"] == 0 and matrix["night-terrors"]["quick-answer"] == 3
    assert matrix["teeth-falling-out"]["next-stages"] == 0
    assert matrix["nightmares"]["next-stages"] == 3 and matrix["nightmares"]["the-sentence"] == 1


def test_the_sample_corpus_reports_its_three_stubs_as_missing_articles(seed_store):
    missing = [g.node for g in find_gaps(seed_store) if g.kind == "missing-article"]
    assert sorted(missing) == ["being-chased-by-a-killer", "losing-control", "not-being-able-to-move"]


def test_near_duplicates_and_partial_pages_in_the_variant_library(tmp_path):
    graph_dir = tmp_path / "graph"
    build([SEED, FIXTURES / "variants"], graph_dir)
    gaps = find_gaps(open_store(graph_dir))
    duplicates = [(g.label, g.score) for g in gaps if g.kind == "near-duplicate"]
    assert duplicates == [("not-being-able-to-run ~ trying-to-run-but-staying-in-place", 0.68)]  # 0.6 x 2 pages x 56%
    assert [g.node for g in gaps if g.kind == "partial-article"] == ["sinking-sand"]


def test_unreachable_group():
    g = nx.DiGraph()
    for node in "abcde":
        g.add_node(node, label=node.upper(), stub=False, clusters=[])
    g.add_edges_from([("a", "b"), ("c", "d"), ("d", "c"), ("d", "e")])
    assert [(x.node, x.label) for x in unreachable_groups(g)] == [("c", "C ↔ D")]
    assert [e["text"] for e in unreachable_groups(g)[0].evidence] == ["the group: c, d", "a loop in it: c → d → c"]


def test_alias_hint_and_broken_link_agree(write_corpus, graph_dir):
    folder = write_corpus({"a.txt": article("Dream About Falling: The Drop", next_stages=[("x", "flyng", "y")]),
                           "b.txt": article("Dream About Flying: The Lift", next_stages=[("x", "falling", "y")])})
    report = build([folder], graph_dir)
    assert any("'flyng' looks like 'flying'" in p.message for p in report.problems)
    assert [g.node for g in find_gaps(open_store(graph_dir)) if g.kind == "broken-link"] == ["flyng"]


# --- the command ----------------------------------------------------------------------------------

def test_gaps_command_formats(cli, corpus):
    table = cli("-g", corpus, "gaps").stdout
    assert table.index("missing-article (1)") < table.index("broken-link (1)") < table.index("one-way (1)")
    data = json.loads(cli("-g", corpus, "gaps", "-f", "json").stdout)
    assert [g["kind"] for g in data][:2] == ["missing-article", "broken-link"]
    assert set(data[0]) == {"kind", "node", "label", "score", "action", "evidence"}
    rows = list(csv.reader(io.StringIO(cli("-g", corpus, "gaps", "-f", "csv").stdout)))
    assert rows[0] == ["kind", "node", "label", "score", "action", "evidence"] and len(rows) == 9
    markdown = cli("-g", corpus, "gaps", "-f", "markdown").stdout
    assert markdown.startswith("# Content gaps\n") and "| score | node | action | evidence |" in markdown
    only = json.loads(cli("-g", corpus, "gaps", "-f", "json", "--kind", "orphan").stdout)
    assert [g["node"] for g in only] == ["flying"]


def test_fail_on_sets_the_exit_status(cli, corpus):
    """The same status and count from the report the build kept in every format and order, of the gaps
    listed (``--kind`` chooses them first)."""
    for options in ((), ("--by", "dream"), ("-f", "json"), ("-f", "csv", "--by", "score"), ("-f", "markdown")):
        failed = cli("-g", corpus, "gaps", *options, "--fail-on", "dead-end")
        assert failed.exit_code == 3 and failed.stderr == "1 gaps of the kinds given to --fail-on\n", options
        assert cli("-g", corpus, "gaps", *options, "--fail-on", "unreachable").exit_code == 0
        every = cli("-g", corpus, "gaps", *options, "--fail-on", "any", "--fail-on", "dead-end")
        assert every.exit_code == 3 and every.stderr == "8 gaps of the kinds given to --fail-on\n", options
        assert cli("-g", corpus, "gaps", *options, "--kind", "orphan", "--fail-on", "dead-end").exit_code == 0
    bad = cli("-g", corpus, "gaps", "--fail-on", "nonsense")
    assert bad.exit_code == 2 and "unknown gap kind 'nonsense'" in bad.stderr


def test_matrix_command(cli, corpus):
    lines = cli("-g", corpus, "gaps", "--matrix").stdout.splitlines()
    assert lines[0].split()[:3] == ["dream", "Quick", "Answer"]
    assert any(line.startswith("night-terrors") and line.split()[5] == "0" for line in lines)


def test_gaps_html_page_is_written(cli, corpus, tmp_path):
    out = tmp_path / "gaps.html"
    assert cli("-g", corpus, "gaps", "--html", out).exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert "being-watched" in page and "sleepwalkng" in page


@pytest.mark.parametrize("fixture", ["gaps", "progression"])
def test_the_named_gap_queries_find_what_the_report_finds(fixture, tmp_path):
    build([FIXTURES / fixture], tmp_path / "graph")
    store = open_store(tmp_path / "graph")
    found = find_gaps(store)
    for kind, query in (("dead-end", "gap-dead-ends"), ("orphan", "gap-orphans"), ("no-cluster", "gap-no-cluster"),
                        ("partial-article", "gap-partial")):
        asked = sorted(slug_of(row["dream"]) for row in store.select(named_query(query).text))
        assert asked == sorted(g.node for g in found if g.kind == kind), kind
    assert {"dead-end", "orphan", *(["no-cluster"] if fixture == "progression" else [])} <= {g.kind for g in found}
    rows = store.select(named_query("gap-clusters").text)
    assert any("hub" in r for r in rows) and any("hub" not in r for r in rows)
    assert sorted(slug_of(r["cluster"]) for r in rows if r["writtenDreams"] < 3) == \
        sorted(g.node for g in found if g.kind == "thin-cluster") != []
    assert sorted(slug_of(r["cluster"]) for r in rows if "hub" not in r) == \
        sorted(g.node for g in found if g.kind == "cluster-without-hub")


def test_named_queries_keep_their_order_and_a_self_link_is_no_link(write_corpus, graph_dir):
    # falling links only to itself (an orphan all the same); crying links to itself and biting to it
    folder = write_corpus({
        "a.txt": article("Dream About Falling: The Drop", next_stages=[("x", "falling", "y"), ("x", "zebra", "y")]),
        "b.txt": article("Dream About Biting: The Bite",
                         next_stages=[("x", "zebra", "y"), ("x", "apple", "y"), ("x", "crying", "y")]),
        "c.txt": article("Dream About Crying: The Tears",
                         next_stages=[("x", "crying", "y"), ("x", "mango", "y"), ("x", "apple", "y")]),
    })
    build([folder], graph_dir)
    store = open_store(graph_dir)
    stubs = store.select(named_query("stubs-by-demand").text)
    assert [(slug_of(r["stub"]), r["linkedFrom"]) for r in stubs] == [("apple", 2), ("zebra", 2), ("mango", 1)]
    orphans = [slug_of(r["dream"]) for r in store.select(named_query("gap-orphans").text)]
    assert orphans == ["biting", "falling"] == sorted(g.node for g in find_gaps(store) if g.kind == "orphan")
    missing = [(slug_of(r["dream"]), os.path.basename(r["path"])) for r in store.select(named_query("gap-missing-articles").text)]
    assert missing == [("apple", "b.txt"), ("apple", "c.txt"), ("mango", "c.txt"), ("zebra", "a.txt"), ("zebra", "b.txt")]
    crying = {"dream": IRI(dream_iri("crying"))}
    assert [slug_of(r["source"]) for r in store.select(named_query("leads-to").text, crying)] == ["biting", "crying"]
    reached = [slug_of(r["reached"]) for r in store.select(named_query("reachable-from").text, crying)]
    assert reached == ["apple", "crying", "mango"]


def test_shingles_are_the_same_in_every_process():
    """The build's workers make each article's shingles, so they must not depend on the process."""
    text = "Legs pumping, ground not moving; the body knows the ground."
    code = "import sys; from dreamgraph.snapshot.texts import shingles; print(shingles(sys.argv[1]).tolist())"
    out = subprocess.run([sys.executable, "-c", code, text], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONHASHSEED": "123"}).stdout
    assert json.loads(out) == shingles(text).tolist()
    assert len(shingles(text)) == 8 and len(shingles("Two words")) == 0


def test_unreachable_groups_are_the_condensation_sources_with_no_way_in():
    """Against networkx's condensation, on random graphs with stubs and self-loops."""
    import random

    rng, groups = random.Random(7), 0
    for trial in range(150):
        graph = nx.gnp_random_graph(rng.randint(0, 25), rng.random() * 0.15, directed=True, seed=trial)
        graph = nx.relabel_nodes(graph, {i: f"d{i:02d}" for i in graph})
        for node in graph:
            graph.nodes[node].update(stub=rng.random() < 0.3, label=node.upper())
        if len(graph) and rng.random() < 0.5:
            graph.add_edge("d00", "d00")
        condensed = nx.condensation(graph)
        expected = set()
        for component in condensed:
            members = sorted(condensed.nodes[component]["members"])
            if condensed.in_degree(component) or len(members) == len(graph):
                continue
            if (len(members) > 1 or graph.has_edge(members[0], members[0])) and \
                    not all(graph.nodes[m]["stub"] for m in members):
                expected.add(tuple(members))
        found = unreachable_groups(graph)
        assert {tuple(g.evidence[0]["text"].removeprefix("the group: ").split(", ")) for g in found} == expected, trial
        for gap in found:  # the evidence is a real loop, every step a link, within the group
            members = set(gap.evidence[0]["text"].removeprefix("the group: ").split(", "))
            loop = gap.evidence[1]["text"].removeprefix("a loop in it: ").split(" → ")
            assert loop[0] == loop[-1] == gap.node and len(loop) >= 2 and set(loop) <= members, trial
            assert all(graph.has_edge(a, b) for a, b in zip(loop, loop[1:])), trial
        groups += len(found)
    assert groups >= 20  # the random graphs do have such groups


def test_the_thresholds_are_options_of_the_command(cli, tmp_path):
    graph_dir = tmp_path / "graph"
    build([SEED, FIXTURES / "variants"], graph_dir)

    def kinds(*options):
        result = cli("gaps", "-g", graph_dir, "-f", "json", *options)
        assert result.exit_code == 0, result.output
        return [g["kind"] for g in json.loads(result.stdout)]

    assert kinds().count("near-duplicate") == 1
    assert kinds("--duplicate-similarity", "0.6").count("near-duplicate") == 0  # the pair shares 0.56
    assert kinds("--duplicate-similarity", "0.5").count("near-duplicate") == 1
    typo_dir = tmp_path / "typos"
    build([FIXTURES / "gaps"], typo_dir)  # 'sleepwalkng' is 95.65 like 'sleepwalking'
    typos = lambda *options: kinds("-g", typo_dir, *options).count("broken-link")  # noqa: E731
    assert (typos(), typos("--typo-similarity", "95"), typos("--typo-similarity", "96")) == (1, 1, 0)
    for bad in (["--typo-similarity", "101"], ["--duplicate-similarity", "1.5"], ["--min-items", "0"]):
        result = cli("gaps", "-g", graph_dir, *bad)
        assert result.exit_code == 2 and "Traceback" not in result.output


def test_one_gap_per_root_cause(write_corpus, graph_dir):
    """A cut-off page is one partial-article gap (the cut explains its missing sections, its missing Next
    Stages and its missing cluster, and the links into it are not one-way); a page with a title and no
    standard section, or in another site's format, is one 'not in the article format' gap."""
    full = dict(quick=["It is about footing.", "It is about trust.", "It is about balance."],
                scenarios=[("On stairs", "a step missed"), ("Off a roof", "exposure"), ("Off a cliff", "a big risk")],
                sensations=[("A drop", "a shock"), ("Cold", "fear"), ("A jolt", "waking")],
                faq=[("Why?", "Because."), ("When?", "At night."), ("Who?", "Anyone.")], sentence="I let go.")
    write_corpus({
        "falling.txt": article("Dream About Falling: The Drop", prose="Part of the Losing Control cluster.",
                               next_stages=[("the floor went", "sinking sand", "it gives way"),
                                            ("you float", "floating", "it lifts")], **full),
        "sinking.txt": "Dream About Sinking Sand: The Slow Pull\nThe ground takes you slowly and the\n",
        "floating.txt": "Dream About Floating\n",
        "foreign.txt": "Dream About Sleep Paralysis or Unable to Move – Meaning\nCategory: Fears\n"
                       "Sleep paralysis is a state between sleep and waking.\n"})
    report = build([graph_dir.parent / "articles"], graph_dir)
    assert any(p.path.endswith("foreign.txt") and "not in the article format" in p.message for p in report.problems)
    gaps = find_gaps(open_store(graph_dir))
    about = {}
    for gap in gaps:
        about.setdefault(gap.node, []).append(gap.kind)
    assert about["sinking-sand"] == ["partial-article"]
    assert about["floating"] == ["incomplete-article"]
    assert about["sleep-paralysis-or-unable-to-move"] == ["incomplete-article", "orphan"]  # nothing links to it
    assert all(g.action.startswith("not in the article format") for g in gaps
               if g.node in ("floating", "sleep-paralysis-or-unable-to-move") and g.kind == "incomplete-article")
    assert not [g for g in gaps if g.kind == "one-way"]  # falling's next stages lead to pages that lost theirs
    assert about["falling"] == ["orphan"]


def test_a_rebuild_that_keeps_the_projection_takes_its_kinds_from_the_last_report(write_corpus, graph_dir, tmp_path,
                                                                                  monkeypatch):
    """The unreachable groups and one-way links are made from the projection alone (and the pages out of
    the article format): a rebuild that keeps the projection takes them from the last report, and finds
    the one-way links again when a page comes into the format; each report equals a clean build's."""
    import dreamgraph.gaps as gaps_module

    folder = write_corpus({
        "falling.txt": article("Dream About Falling: The Drop", prose="Part of the Losing Control cluster.",
                               next_stages=[("you float", "floating", "it lifts"), ("you wake", "waking", "it ends")]),
        "waking.txt": article("Dream About Waking: The Return", prose="Part of the Waking cluster.",
                              next_stages=[("you sleep", "sleeping", "it starts")]),
        "sleeping.txt": article("Dream About Sleeping: The Dark", prose="Part of the Waking cluster.",
                                next_stages=[("you wake", "waking", "it ends")]),
        "dusk.txt": article("Dream About Dusk: The Fade", next_stages=[("it darkens", "dawn", "night ends")]),
        "dawn.txt": article("Dream About Dawn: The Light", next_stages=[("it fades", "dusk", "day ends")]),
        "floating.txt": "Dream About Floating\n"})
    build([folder], graph_dir)
    made = []
    for name in ("one_way_progressions", "unreachable_groups", "possible_overlaps"):
        monkeypatch.setattr(gaps_module, name, lambda *a, real=getattr(gaps_module, name), name=name, **k:
                            made.append(name) or real(*a, **k))

    def report_and_clean(clean: str) -> list:
        build([folder], tmp_path / clean)
        gaps = find_gaps(open_store(graph_dir))
        assert gaps == find_gaps(open_store(tmp_path / clean))
        return gaps

    def text_file():  # the report as the terminal shows it, kept beside the store
        return os.stat(graph_dir / STORE_DIR / "gaps-text.text").st_ino

    before, text_before = find_gaps(open_store(graph_dir)), text_file()
    assert [g.kind for g in before if g.kind in ("unreachable", "one-way")] == ["unreachable", "one-way"]
    falling = folder / "falling.txt"
    falling.write_text(falling.read_text(encoding="utf-8").replace("An intro", "A longer intro"), encoding="utf-8")
    build([folder], graph_dir)
    assert made == []  # neither kind made again
    assert report_and_clean("clean-edit") == before
    assert text_file() == text_before  # the same report: its text is the last build's file, linked
    (folder / "floating.txt").write_text("Dream About Floating\nQuick Answer\n- It lifts.\n", encoding="utf-8")
    made.clear()
    build([folder], graph_dir)
    assert made == ["one_way_progressions"]  # floating is in the format now: falling -> floating is one-way
    # (the overlaps stand: the same near-duplicates, the same sentences saying how two dreams differ)
    after = report_and_clean("clean-format")
    assert "Falling → Floating" in [g.label for g in after if g.kind == "one-way"]
    assert text_file() != text_before
    assert "falling → floating" in (graph_dir / STORE_DIR / "gaps-text.text").read_text(encoding="utf-8")


def test_a_hub_belongs_to_its_cluster_everywhere(write_corpus, graph_dir, tmp_path, cli):
    """'Losing Control' does not name its own cluster, but it is the hub of the cluster others name: it is a
    member in the graph, in the projection kept and asked, and the report neither calls it cluster-less nor
    calls a link into it one-way; an incremental build after the hub changes equals a clean build."""
    from dreamgraph.snapshot.projection import from_store

    hub = article("Dream About Losing Control: The Wheel", next_stages=[("you crash", "a car crash", "it ends")])
    write_corpus({
        "losing-control.txt": hub,
        "falling.txt": article("Dream About Falling: The Drop", prose="Part of the Losing Control cluster.",
                               next_stages=[("the wheel went", "losing control", "control goes")]),
        "flying.txt": article("Dream About Flying: The Lift", prose="Part of the Flying cluster.",
                              next_stages=[("you lost the wheel", "losing control", "it turns")])})
    folder = graph_dir.parent / "articles"
    build([folder], graph_dir)
    store = open_store(graph_dir)
    assert store.ask("ASK { dream:losing-control dg:belongsToCluster cluster:losing-control . "
                     "cluster:losing-control skos:member dream:losing-control }")
    assert store.derived("projection").nodes["losing-control"]["clusters"] == ["losing-control"]
    store.derived = lambda name: None  # asked of the graph, as a remote endpoint is
    assert from_store(store).nodes["losing-control"]["clusters"] == ["losing-control"]
    gaps = find_gaps(open_store(graph_dir))
    assert not [g for g in gaps if g.node == "losing-control" and g.kind in ("no-cluster", "cluster-without-hub")]
    assert not [g for g in gaps if g.kind == "one-way" and g.node == "falling"]
    assert [g.label for g in gaps if g.kind == "one-way"] == ["Flying → Losing Control"]
    assert "\ncluster: losing control\n" in cli("-g", graph_dir, "show", "losing-control").output

    (folder / "losing-control.txt").write_text(hub.replace("The Wheel", "The Lost Wheel"), encoding="utf-8")
    assert build([folder], graph_dir).store == "updated"
    build([folder], tmp_path / "clean")
    quads = lambda g: sorted(map(str, open_store(g)._store.quads_for_pattern(None, None, None)))  # noqa: E731
    assert quads(graph_dir) == quads(tmp_path / "clean")
    # a text edit of the hub is patched, its membership (a shared triple about it) put back with its own
    text = (folder / "losing-control.txt").read_text(encoding="utf-8")
    (folder / "losing-control.txt").write_text(text.replace("ends properly.", "ends properly, again.", 1),
                                               encoding="utf-8")
    assert build([folder], graph_dir).store == "patched"
    build([folder], tmp_path / "clean")
    assert quads(graph_dir) == quads(tmp_path / "clean")
    assert open_store(graph_dir).ask("ASK { dream:losing-control dg:belongsToCluster cluster:losing-control }")


def test_articles_that_overlap_without_copying_are_reported_once_with_why(write_corpus, graph_dir):
    """Two articles of one cluster that send readers to the same next stages, or carry one subtitle, are a
    possible overlap (with the reason); a pair already reported as near-duplicates is not reported again."""
    stages = [("you stop", "standing still", "it ends"), ("you fall", "falling", "the floor goes"),
              ("you wake", "waking up", "it is over")]
    write_corpus({
        "run.txt": article("Dream About Not Being Able to Run: The Kinetic Lock", prose="Part of the Stuck cluster.",
                           next_stages=stages),
        "place.txt": article("Dream About Running in Place: The Kinetic Lock",
                             prose="Part of the Stuck cluster. Running in place is a dream of effort. Unlike "
                                   "not being able to run, the legs still move here.",
                             next_stages=[(c + " at last", t, g) for c, t, g in stages]),
        "other.txt": article("Dream About Flying: The Lift", prose="Part of the Stuck cluster.",
                             next_stages=[("you land", "landing", "it ends")]),
    })
    build([graph_dir.parent / "articles"], graph_dir)
    found = find_gaps(open_store(graph_dir))
    overlaps = [g for g in found if g.kind == "possible-overlap"]
    assert [(g.node, g.label) for g in overlaps] == [("not-being-able-to-run", "Not Being Able to Run ~ Running in Place")]
    assert [e["text"] for e in overlaps[0].evidence] == [
        "both lead to falling, standing-still, waking-up", "the same subtitle: 'The Kinetic Lock'",
        "both in the stuck cluster",
        "how it differs: Unlike not being able to run, the legs still move here."]
    assert (overlaps[0].evidence[-1]["path"], overlaps[0].evidence[-1]["line"]) == ("articles/place.txt", 1)
    assert overlaps[0].score == 0.6  # 0.3 x 2 pages x all next stages shared
    assert [g.label for g in found if g.kind == "link-suggestion"] == ["Running in Place → Not Being Able to Run"]
    asked = open_store(graph_dir)
    asked.derived = lambda name: None  # as a remote endpoint answers: from the graph alone
    assert [g.as_dict() for g in find_gaps(asked) if g.kind in ("possible-overlap", "link-suggestion")] == \
        [g.as_dict() for g in found if g.kind in ("possible-overlap", "link-suggestion")]


def test_a_rebuild_finds_the_overlaps_again_when_a_page_says_how_it_differs(write_corpus, graph_dir, tmp_path):
    """A rebuild that keeps the projection takes the possible overlaps from the last report (see
    gaps.reused_gaps) until a page says how it differs from the other: the sentence is then shown, as a
    clean build shows it."""
    stages = [("you stop", "standing still", "it ends"), ("you fall", "falling", "the floor goes")]
    folder = write_corpus({
        "run.txt": article("Dream About Not Being Able to Run: The Lock", prose="Part of the Stuck cluster.",
                           next_stages=stages),
        "place.txt": article("Dream About Running in Place: The Treadmill", prose="Part of the Stuck cluster.",
                             next_stages=[(c + " at last", t, g) for c, t, g in stages])})
    build([folder], graph_dir)
    overlap = [g for g in find_gaps(open_store(graph_dir)) if g.kind == "possible-overlap"]
    assert len(overlap) == 1 and not [e for e in overlap[0].evidence if e["text"].startswith("how it differs")]
    place = folder / "place.txt"
    place.write_text(place.read_text(encoding="utf-8").replace(
        "Part of the Stuck cluster.", "Part of the Stuck cluster. Unlike not being able to run, the legs move."),
        encoding="utf-8")
    build([folder], graph_dir)
    build([folder], tmp_path / "clean")
    found = find_gaps(open_store(graph_dir))
    assert found == find_gaps(open_store(tmp_path / "clean"))
    assert "how it differs: Unlike not being able to run, the legs move." in [
        e["text"] for g in found if g.kind == "possible-overlap" for e in g.evidence]


def test_a_subtitle_more_dreams_of_a_cluster_carry_than_counted_makes_no_possible_overlaps():
    """A subtitle carried by more than MOST_SUBTITLED written dreams of a cluster is the cluster's: its pairs
    are not reported (250 numbered variants of an article made 31,000 pairs of each); within the count,
    every pair is, and a dream in two clusters pairs with the others of the one where the subtitle is rare."""
    import networkx as nx

    from dreamgraph.gaps import possible_overlaps

    graph = nx.DiGraph()
    for n in "abcd":
        graph.add_node(n, stub=False, clusters=["k", "m"] if n == "a" else ["k"], label=n.upper(), subtitle="Lock")
    graph.add_node("e", stub=False, clusters=["m"], label="E", subtitle=" lock")
    labels = lambda most: [g.label for g in possible_overlaps(graph, set(), most_subtitled=most)]  # noqa: E731
    assert labels(4) == ["A ~ B", "A ~ C", "A ~ D", "A ~ E", "B ~ C", "B ~ D", "C ~ D"]
    assert labels(3) == ["A ~ E"]  # four in k: the cluster's; two in m
    assert labels(1) == []


def test_possible_overlaps_skip_near_duplicates():
    from dreamgraph.gaps import possible_overlaps

    graph = nx.DiGraph()
    for node in "abcd":
        graph.add_node(node, stub=False, clusters=["k"], label=node.upper(), subtitle=None)
    graph.add_edges_from([("a", "c"), ("a", "d"), ("b", "c"), ("b", "d")])
    assert [g.label for g in possible_overlaps(graph, set())] == ["A ~ B"]
    assert possible_overlaps(graph, {("a", "b")}) == [] and possible_overlaps(graph, {("b", "a")}) == []
    graph.nodes["b"]["clusters"] = ["other"]
    assert possible_overlaps(graph, set()) == []  # not in one cluster


def test_a_page_from_another_site_is_never_the_dream_a_link_means(write_corpus, graph_dir):
    """'Sleep Paralysis or Unable to Move – Meaning' with none of the standard sections is built, but the
    link 'sleep paralysis or unable to move' of another article is not said to mean it by its title alone."""
    write_corpus({
        "foreign.txt": "Dream About Sleep Paralysis or Unable to Move – Meaning\nCategory: Fears\n"
                       "Sleep paralysis is a state between sleep and waking.\n",
        "falling.txt": article("Dream About Falling: The Drop", prose="Part of the Losing Control cluster.",
                               next_stages=[("you froze", "sleep paralysis or unable to moves", "you cannot move")])})
    report = build([graph_dir.parent / "articles"], graph_dir)
    assert not [p for p in report.problems if "add an alias" in p.message]
    assert not [g for g in find_gaps(open_store(graph_dir)) if g.kind == "broken-link"]


def test_a_dream_named_in_prose_and_not_linked_is_a_link_suggestion(write_corpus, graph_dir):
    """Named by a name of two words or more, as whole words, in the intro, a section or an FAQ answer; not
    when the article links to it, not for a one-word name, not for the hub of the article's own cluster."""
    write_corpus({
        "move.txt": article("Dream About Not Being Able to Move: The Freeze",
                            prose="Part of the Losing Control cluster. Where not being able to run keeps the "
                                  "effort, this dream loses it. Water is everywhere.",
                            faq=[("Is it like falling into water?", "No: falling into water is a fall, this is a stop.")],
                            next_stages=[("you ran", "not being able to run", "the legs go")]),
        "run.txt": article("Dream About Not Being Able to Run: The Lock", prose="Nothing like being chased here."),
        "chased.txt": article("Dream About Being Chased: The Pursuit", prose="Part of the Losing Control cluster."),
        "water.txt": article("Dream About Falling Into Water: The Splash"),
        "lc.txt": article("Dream About Losing Control: The Wheel", prose="It happens in losing control dreams."),
        "wet.txt": article("Dream About Water: The Sea")})
    build([graph_dir.parent / "articles"], graph_dir)
    found = [(g.node, g.label, g.evidence[0]["path"], g.evidence[0]["line"], g.evidence[0]["text"])
             for g in find_gaps(open_store(graph_dir)) if g.kind == "link-suggestion"]
    asked = open_store(graph_dir)
    asked.derived = lambda name: None  # as a remote endpoint answers: from the graph alone
    assert [(g.node, g.label, g.evidence) for g in find_gaps(asked) if g.kind == "link-suggestion"] == \
        [(node, label, [{"path": path, "line": line, "text": text}]) for node, label, path, line, text in found]
    assert found == [
        ("not-being-able-to-move", "Not Being Able to Move → Falling Into Water", "articles/move.txt", 4,
         "No: falling into water is a fall, this is a stop."),
        ("not-being-able-to-run", "Not Being Able to Run → Being Chased", "articles/run.txt", 1,
         "Nothing like being chased here."),
    ]


def test_near_duplicate_pairs_patched_after_edits_are_the_pairs_found_again():
    """The build brings the last build's near-duplicate pairs up to date (gaps.updated_pairs): after changed,
    added and removed articles, and shingles whose count crosses the cap, they are what a full search finds;
    the same when the new table is the old one with their shingles replaced, put in or taken out (a
    patch's, gaps._Replaced, never laid out)."""
    import numpy as np

    from dreamgraph.gaps import _Replaced, similar_pairs, updated_pairs

    rng = np.random.default_rng(7)

    def article() -> np.ndarray:
        return np.unique(rng.integers(0, 300, size=int(rng.integers(10, 40))).astype(np.uint64))

    def table(arrays: dict) -> tuple:
        slugs = sorted(arrays)
        return (slugs, np.concatenate([arrays[s] for s in slugs]).astype(np.uint64),
                np.array([len(arrays[s]) for s in slugs], dtype=np.int64))

    def pairs(t: tuple, cap: int) -> list:
        return [(t[0][i], t[0][j], share) for i, j, share in similar_pairs(t[1], t[2], 0.4, most_shared=cap)]

    checked = in_place = added = removed = 0
    for scenario in range(40):
        cap = int(rng.integers(3, 12))  # small caps: shingles cross them as articles change
        arrays = {f"d{n:03d}": article() for n in range(60)}
        for n in range(0, 60, 7):  # near-duplicates: a copy with a little changed
            arrays[f"d{n:03d}-copy"] = np.unique(np.concatenate([arrays[f"d{n:03d}"][2:], article()[:2]]))
        old = table(arrays)
        for slug in rng.choice(sorted(arrays), size=3, replace=False):
            kind = rng.integers(0, 4) if scenario % 2 else 3  # every other scenario: edits in place alone
            if kind == 0:
                arrays[slug] = article()
            elif kind == 1:
                del arrays[slug]
            elif kind == 2:
                arrays[f"{slug}-new"] = arrays[slug].copy()
            else:  # as many shingles, one of them another (the tables then hold the same articles)
                arrays[slug] = np.unique(np.concatenate([arrays[slug][1:], [np.uint64(1000 + scenario)]]))
        new = table(arrays)
        found = updated_pairs(old, pairs(old, cap), new, 0.4, most_shared=cap, most_changed=1.0)
        expected = similar_pairs(new[1], new[2], 0.4, most_shared=cap)
        assert found == expected, scenario
        checked += len(expected)
        # the table as a patch sees it: edits in place, articles added and taken out
        edited = {slug: arrays[slug] for n, slug in enumerate(old[0]) if slug in arrays
                  and not np.array_equal(arrays[slug], old[1][old[2][:n].sum():old[2][:n + 1].sum()])}
        edited.update((slug, arrays[slug]) for slug in set(new[0]) - set(old[0]))
        gone = set(old[0]) - set(new[0])
        replaced = _Replaced(old, edited, gone)
        assert replaced.slugs == new[0] and [replaced.index[slug] for slug in new[0]] == list(range(len(new[0])))
        assert (edited or gone) and all(np.array_equal(a, b) for a, b in zip(replaced.whole()[1:], new[1:]))
        assert updated_pairs(old, pairs(old, cap), replaced, 0.4, most_shared=cap, most_changed=1.0,
                             changed={*edited, *gone}) == expected, scenario
        in_place += 1
        added += len(set(new[0]) - set(old[0])) > 0
        removed += len(gone) > 0
    assert checked > 100 and in_place >= 25 and added >= 5 and removed >= 5  # the scenarios hold pairs to compare
    assert updated_pairs(old, [], new, 0.4, most_changed=0.01) is None  # too many changes: found again in full


def test_the_holders_of_a_few_shingles_are_found_exactly_when_their_low_bits_collide():
    """gaps._positions_of looks hashes up by their low bits first: hashes alike there but not whole are not
    taken for one another."""
    import numpy as np

    from dreamgraph.gaps import _positions_of

    rng = np.random.default_rng(3)
    hashes = rng.integers(0, 2**63, size=5000, dtype=np.uint64)
    wanted = np.unique(hashes[[7, 100, 4999]])
    twins = wanted + np.uint64(1 << 40)  # the same low 40 bits, another hash
    hashes = np.concatenate([hashes, twins, wanted])
    found = _positions_of(hashes, wanted, chunk=1000)
    assert sorted(found.tolist()) == sorted(np.flatnonzero(np.isin(hashes, wanted)).tolist())
    assert len(found) == 2 * len(wanted) and not np.isin(hashes[found], twins).any()
    assert len(_positions_of(hashes, np.empty(0, dtype=np.uint64))) == 0


def test_near_duplicate_pairs_group_the_shingles_as_numpy_unique_does():
    """similar_pairs groups equal shingles by sorting their mixed high bits with each one's place packed in
    (a plain sort, not numpy.unique's argsort): the same groups, values alike in those bits told apart whole
    (forced here by keeping only a few high bits), each group's places in order."""
    import numpy as np

    from dreamgraph.gaps import _grouped

    rng = np.random.default_rng(11)
    hashes = rng.integers(0, 2**63, size=400, dtype=np.uint64)[rng.integers(0, 400, size=5000)]
    expected = np.unique(hashes, return_inverse=True)[1].ravel()
    for index_bits in (0, 54, 56, 60):  # 10 high bits: a few of the 400 values alike; 4: all
        numbers, by_value, spread = _grouped(hashes, index_bits=index_bits)
        assert numbers.dtype == np.int32 and len(spread) == 400
        # one number for each value, and no two values alike
        assert len(set(zip(numbers.tolist(), expected.tolist()))) == 400
        assert np.array_equal(spread[numbers], np.bincount(expected)[expected])
        assert (np.diff(numbers[by_value]) >= 0).all()  # ordered by number ...
        same = np.diff(numbers[by_value]) == 0
        assert (np.diff(by_value)[same] > 0).all()  # ... and within a number by place
    for _ in range(50):  # one high bit: three values, often all in one run
        three = rng.integers(0, 2**63, size=3, dtype=np.uint64)
        numbers, by_value, spread = _grouped(three, index_bits=63)
        assert len(set(numbers.tolist())) == len(set(three.tolist())) and sorted(by_value.tolist()) == [0, 1, 2]


def _pairs_by_hand(arrays: list, threshold: float, most_shared: int = 50) -> list:
    """similar_pairs's rule, pair by pair."""
    import numpy as np

    hashes = np.concatenate(arrays)
    values, held = np.unique(hashes, return_counts=True)
    counted = set(values[(held > 1) & (held <= most_shared)].tolist())
    found = []
    for a in range(len(arrays)):
        for b in range(a + 1, len(arrays)):
            smaller = min(len(arrays[a]), len(arrays[b]))
            common = len(set(arrays[a].tolist()) & set(arrays[b].tolist()) & counted)
            if common and smaller >= 10 and common / smaller >= threshold:
                found.append((a, b, common / smaller))
    return found


@pytest.mark.parametrize("at_once", [True, False])
def test_near_duplicate_pairs_are_those_compared_pair_by_pair(monkeypatch, at_once):
    """Only the articles holding one of an article's rarest shingles are compared with it (prefix
    filtering): the pairs found are exactly those of comparing every pair, at any threshold, in a library
    of families of near-copies of different sizes, unrelated articles and boilerplate many share; with the
    pairs each shingle makes counted at once where they are fewer, or never (``at_once`` False)."""
    import numpy as np

    import dreamgraph.gaps as gaps_module
    from dreamgraph.gaps import _shared_counts, similar_pairs

    if not at_once:
        monkeypatch.setattr(gaps_module, "PAIRED_AT_ONCE", 0)

    rng = np.random.default_rng(5)
    boilerplate = rng.integers(0, 2**63, size=30, dtype=np.uint64)
    arrays = []
    for family in range(12):
        base = rng.integers(0, 2**63, size=int(rng.integers(8, 80)), dtype=np.uint64)
        for _ in range(int(rng.integers(1, 6))):  # copies, each keeping most of the base and adding its own
            kept = base[rng.random(len(base)) < rng.uniform(0.5, 1.0)]
            own = rng.integers(0, 2**63, size=int(rng.integers(0, 20)), dtype=np.uint64)
            arrays.append(np.unique(np.concatenate([kept, own, boilerplate[rng.random(30) < 0.5]])))
    arrays += [np.unique(rng.integers(0, 2**63, size=40, dtype=np.uint64)) for _ in range(10)]
    arrays.append(np.empty(0, dtype=np.uint64))
    # at the threshold of 0.5 exactly, sharing only its 10 most common shingles with a larger article: found
    # only among the first 12 of its 20 (rarest first), the other's shingles counting too few to look
    rare, common = np.arange(1, 11, dtype=np.uint64), np.arange(11, 21, dtype=np.uint64)
    arrays.append(np.concatenate([rare, common]))
    arrays.append(np.concatenate([common, np.arange(100, 115, dtype=np.uint64)]))
    arrays += [np.array([value], dtype=np.uint64) for value in rare]  # each rare one held by one other
    arrays += [common, common]  # the common ones held by four
    order = rng.permutation(len(arrays))
    arrays = [arrays[n] for n in order]
    hashes, sizes = np.concatenate(arrays), np.array([len(a) for a in arrays])
    for threshold in (0.0, 0.1, 0.3, 0.5, 0.8, 0.95, 1.0):
        expected = _pairs_by_hand(arrays, threshold)
        assert similar_pairs(hashes, sizes, threshold) == expected, threshold
    assert similar_pairs(hashes, sizes, 0.5, most_shared=3) == _pairs_by_hand(arrays, 0.5, most_shared=3)
    assert [pair for pair in _pairs_by_hand(arrays, 0.8)]  # the library has near-copies
    # the shared counts, a few keys at a time as in one pass
    starts = np.concatenate([[0], np.cumsum(sizes)])
    numbers = np.unique(hashes, return_inverse=True)[1].ravel()
    first, second = np.array([0, 1, 2, 0]), np.array([1, 2, 3, 3])
    whole = _shared_counts(first, second, numbers, starts)
    assert np.array_equal(whole, _shared_counts(first, second, numbers, starts, chunk=1))
    assert whole.tolist() == [len(set(arrays[a].tolist()) & set(arrays[b].tolist())) for a, b in zip(first, second)]


def test_in_a_small_vocabulary_the_pairs_every_shingle_makes_are_counted_at_once(monkeypatch):
    """Where most articles share shingles with most others (a library written from a small vocabulary), each
    candidate pair's shingles sorted together took seconds at 1,000 articles (94 million keys for 238,000
    pairs); the pairs the shared shingles make are fewer (594,000) and are counted at once: the same pairs
    as comparing every pair by hand, and the candidates' shingles never sorted."""
    import numpy as np

    import dreamgraph.gaps as gaps_module
    from dreamgraph.gaps import _pairs_sharing, similar_pairs

    def not_called(*args, **kwargs):
        raise AssertionError("each candidate pair's shingles were sorted")

    rng = np.random.default_rng(11)
    vocabulary = rng.integers(0, 2**63, size=150, dtype=np.uint64)
    arrays = [np.unique(rng.choice(vocabulary, size=int(rng.integers(5, 70)), replace=False)) for _ in range(90)]
    arrays += [arrays[3][2:], arrays[10][:-1], arrays[10], np.empty(0, dtype=np.uint64)]  # near and exact copies
    hashes, sizes = np.concatenate(arrays), np.array([len(a) for a in arrays])
    monkeypatch.setattr(gaps_module, "_shared_counts", not_called)
    for threshold in (0.0, 0.3, 0.5, 0.9, 1.0):
        assert similar_pairs(hashes, sizes, threshold) == _pairs_by_hand(arrays, threshold), threshold
    assert similar_pairs(hashes, sizes, 0.9)  # the copies
    # the pairs sharing a value, with how many they share, against sets
    owners = np.repeat(np.arange(len(arrays)), sizes)
    numbers = np.unique(hashes, return_inverse=True)[1].ravel()
    first, second, common = _pairs_sharing(numbers, owners, len(arrays))
    expected = {(a, b): len(set(arrays[a].tolist()) & set(arrays[b].tolist()))
                for a in range(len(arrays)) for b in range(a + 1, len(arrays))}
    assert list(zip(first.tolist(), second.tolist(), common.tolist())) == [
        (a, b, n) for (a, b), n in sorted(expected.items()) if n]


def _small_library() -> dict:
    """The tables of a small library for :func:`patched_gaps`: a and b, written, of one cluster, with one
    subtitle (a possible overlap), c written in it too, and x a stub a and c link to."""
    from dreamgraph.article import STANDARD_SECTIONS

    graph = nx.DiGraph()
    for slug, subtitle in (("a", "The Lock"), ("b", "The Lock"), ("c", None)):
        graph.add_node(slug, label=slug.upper(), stub=False, partial=False, clusters=["k"], subtitle=subtitle)
    graph.add_node("x", label="x", stub=True, partial=False, clusters=[])
    graph.add_edges_from([("a", "x"), ("c", "x"), ("c", "a"), ("b", "c")])
    rows = [{"dream": slug, "label": slug.upper(), "path": f"{slug}.txt", "line": 1,
             **{key: 3 for key in STANDARD_SECTIONS}} for slug in "abc"]
    tables = {"projection": graph, "completeness": rows, "near-pairs": [], "mentions": [], "clusters": {},
              "stub-links": {"x": {"label": "x", "links": [("a.txt", 9, "If it holds"), ("c.txt", 8, "If not")]}},
              "card-parts": {"urls": {}}}
    return tables


def _patched(last: dict, now: dict, edited: set[str]):
    from dreamgraph.gaps import patched_gaps
    from dreamgraph.snapshot import Snapshot
    from dreamgraph.snapshot.projection import Links, links_of

    last_gaps = find_gaps(Snapshot(tables=last))
    return last_gaps, patched_gaps(last_gaps, edited, Links(links_of(last["projection"])), last.get, now)


@pytest.mark.parametrize("edit", ["a section emptied", "a link line moved", "a dream named", "two at once"])
def test_a_text_edits_gap_report_patched_is_the_report_found_again(edit):
    """What a patch's edits can change (a dream's sections, its links' lines, the dreams its prose names),
    patched into the last report: the report find_gaps makes of the new tables."""
    from dreamgraph.snapshot import Snapshot

    last = _small_library()
    now = dict(last)
    mention = {"source": "c", "target": "b", "linked": False, "differ": True, "path": "c.txt", "line": 4,
               "sentence": "Unlike B, it holds."}  # b and c are no possible overlap: the patch stands
    if edit in ("a section emptied", "two at once"):
        now["completeness"] = [{**row, "faq": 0} if row["dream"] == "a" else row for row in last["completeness"]]
    if edit in ("a link line moved", "two at once"):
        now["stub-links"] = {"x": {"label": "x", "links": [("a.txt", 10, "If it holds"), ("c.txt", 8, "If not")]}}
    if edit in ("a dream named", "two at once"):
        now["mentions"] = [mention]
    edited = {"a", "c"} if edit == "two at once" else {"c"} if edit == "a dream named" else {"a"}
    last_gaps, patched = _patched(last, now, edited)
    assert patched is not None and patched is not last_gaps
    assert patched == find_gaps(Snapshot(tables=now))
    assert patched != last_gaps


def test_a_gap_report_patched_with_nothing_changed_is_the_last_one():
    last = _small_library()
    last_gaps, patched = _patched(last, dict(last), {"a", "c"})
    assert patched is last_gaps and any(gap.kind == "possible-overlap" for gap in last_gaps)


@pytest.mark.parametrize("change", ["a possible overlap restated", "a near-duplicate pair", "another article links"])
def test_a_gap_report_that_cannot_be_patched_is_left_to_find_gaps(change):
    """An edit that may change the possible overlaps (a's sentence on how it differs from b, its possible
    overlap; a near-duplicate pair made), or a stub linked from other articles than before: no patch."""
    last = _small_library()
    now = dict(last)
    if change == "a possible overlap restated":
        now["mentions"] = [{"source": "a", "target": "b", "linked": False, "differ": True, "path": "a.txt",
                            "line": 4, "sentence": "Unlike B, it holds."}]
    elif change == "a near-duplicate pair":
        now["near-pairs"] = [("a", "c", 0.9)]
    else:
        now["stub-links"] = {"x": {"label": "x", "links": [("a.txt", 9, "If it holds"), ("b.txt", 8, "If not")]}}
    assert _patched(last, now, {"a"})[1] is None


def _restated(rnd, mentions: list[dict], written: list[str], pairs=()) -> list[dict]:
    """Return ``mentions`` (sentences saying how two dreams differ) with some dropped or reworded and some
    new ones among the ``written`` dreams (and for ``pairs``), sorted as the mentions table is."""
    kept = [m if rnd.random() < 0.7 else {**m, "sentence": m["sentence"] + " Still."}
            for m in mentions if rnd.random() < 0.7 and m["source"] in written and m["target"] in written]
    for a, b in [*pairs, *(rnd.sample(written, 2) for _ in range(rnd.randrange(3)))]:
        if a != b and not any((m["source"], m["target"]) == (a, b) for m in kept):
            kept.append({"source": a, "target": b, "path": f"{a}.txt", "line": 3, "linked": False, "differ": True,
                         "sentence": f"Unlike {b}, it holds."})
    return sorted(kept, key=lambda m: (m["source"], m["target"]))


@pytest.mark.parametrize("seed", range(40))
def test_the_one_way_links_and_overlaps_of_a_relinked_graph_are_those_found_again(seed):
    """A patch whose edits change some dreams' Next Stages (dreamgraph.patch) makes the one-way links and the
    possible overlaps from the last report, finding again only those of the relinked dreams: on random
    graphs of clustered dreams with shared subtitles, a dream relinked (at times to the next stages of
    another of its cluster, an overlap made or lost), a dream no longer written (a stub now, its links gone)
    or taken out with its links (no link leading to it), and sentences saying how two dreams differ dropped,
    reworded or added, they are those of the report found again whole."""
    import random

    from dreamgraph.gaps import relinked_gaps
    from dreamgraph.snapshot import Snapshot
    from dreamgraph.snapshot.projection import LinkedView, Links, links_of

    rnd = random.Random(seed)
    graph = nx.DiGraph()
    for n in range(40):
        graph.add_node(f"d{n:02d}", label=f"D{n}", stub=n >= 34, partial=False,
                       subtitle=rnd.choice([None, None, "The Lock", "The Fall"]) if n < 34 else None,
                       clusters=sorted(rnd.sample("kmn", rnd.choice([0, 1, 1, 2]))) if n < 34 else [])
    nodes = sorted(graph)
    written = nodes[:34]
    for a in written:
        graph.add_edges_from((a, b) for b in rnd.sample(nodes, rnd.randrange(0, 5)))
    tables = {"completeness": [], "near-pairs": [], "mentions": [], "stub-links": {}, "clusters": {},
              "projection": graph}
    overlaps = [sorted(gap.action.split("'")[1:4:2]) for gap in find_gaps(Snapshot(tables=dict(tables)))
                if gap.kind == "possible-overlap"]
    if overlaps and rnd.random() < 0.3:  # an overlap's pair near-duplicates before (and not now, below)
        tables["near-pairs"] = [(*rnd.choice(overlaps), 0.9)]
    tables["mentions"] = _restated(rnd, [], written, [pair for pair in overlaps if rnd.random() < 0.5])
    last_gaps, old = find_gaps(Snapshot(tables=dict(tables))), Links(links_of(graph))
    relinked = set(rnd.sample(written, rnd.choice([1, 1, 2])))
    for x in sorted(relinked):
        graph.remove_edges_from(list(graph.out_edges(x)))
        like = rnd.choice(written)  # at times the next stages of another dream: an overlap made
        targets = list(graph.successors(like)) if rnd.random() < 0.5 else rnd.sample(nodes, rnd.randrange(0, 5))
        graph.add_edges_from((x, b) for b in targets)
    removed = set()
    unwritten = rnd.choice([x for x in written if x not in relinked])
    if rnd.random() < 0.5:  # its article taken out: a stub where links lead to it, else gone
        graph.remove_edges_from(list(graph.out_edges(unwritten)))
        if graph.in_degree(unwritten):
            graph.nodes[unwritten].update(stub=True, clusters=[], subtitle=None)
            relinked.add(unwritten)
        else:
            graph.remove_node(unwritten)
            removed.add(unwritten)
    now = {**tables, "near-pairs": []}
    if rnd.random() < 0.5:  # sentences on how two dreams differ: some dropped, reworded or new (an article gone)
        now["mentions"] = _restated(rnd, tables["mentions"], [x for x in written if x in graph and x not in removed])
    overlaps = [sorted(gap.action.split("'")[1:4:2]) for gap in last_gaps if gap.kind == "possible-overlap"]
    if not tables["near-pairs"] and overlaps and rnd.random() < 0.4:  # a last overlap's pair, or any two
        pair = overlaps[0] if rnd.random() < 0.5 else sorted(rnd.sample([x for x in written if x in graph], 2))
        now["near-pairs"] = [(*pair, 0.9)]                            # written dreams, near-duplicates now
    ready = relinked_gaps(last_gaps, relinked, old, graph, tables.get, now, removed=removed)
    assert set(ready) == {"one-way", "possible-overlap"}
    view = LinkedView(Links(links_of(graph)), None)  # the links as a patch reads them
    assert relinked_gaps(last_gaps, relinked, old, view, tables.get, now, removed=removed) == ready
    again = find_gaps(Snapshot(tables=dict(now)))
    assert find_gaps(Snapshot(tables=dict(now)), ready=ready) == again
    assert any(g.kind == "one-way" for g in again)


@pytest.mark.parametrize("seed", range(30))
def test_the_overlaps_of_a_relinked_graph_whose_links_make_and_unmake_hubs_are_those_found_again(seed):
    """Dreams of one cluster leading to a few shared next stages, a next stage more than ``most_sources``
    of them lead to counted as a hub: relinking one or two of them makes some hubs and unmakes others, and
    the possible overlaps the patch makes are those found again whole."""
    import random

    from dreamgraph.gaps import relinked_gaps
    from dreamgraph.snapshot.projection import LinkedView, Links, links_of

    rnd = random.Random(seed)
    graph = nx.DiGraph()
    written = [f"w{n:02d}" for n in range(24)]
    graph.add_nodes_from((x, {"label": x.upper(), "stub": False, "partial": False, "subtitle": None,
                              "clusters": ["k"]}) for x in written)
    pool = written[:6]  # the next stages most lead to
    for x in written[6:]:
        graph.add_edges_from((x, target) for target in rnd.sample(pool, rnd.choice([2, 3])))
    most = sorted(graph.in_degree(target) for target in pool)[3]  # some next stages hubs, others not
    tables = {"completeness": [], "near-pairs": [], "mentions": [], "stub-links": {}, "clusters": {},
              "projection": graph}
    last_gaps, old = _overlaps(tables, most), Links(links_of(graph))
    relinked = set(rnd.sample(written[6:], rnd.choice([1, 2])))
    for x in sorted(relinked):
        graph.remove_edges_from(list(graph.out_edges(x)))
        graph.add_edges_from((x, target) for target in rnd.sample(pool, rnd.choice([1, 2, 3])))
    ready = relinked_gaps(last_gaps, relinked, old, LinkedView(Links(links_of(graph)), None), tables.get, tables,
                          most_sources=most)
    assert sorted(ready["possible-overlap"], key=_order) == sorted(_overlaps(tables, most), key=_order)


def _overlaps(tables: dict, most_sources: int) -> list:
    """The possible overlaps of a report made of ``tables``, next stages more than ``most_sources`` dreams
    lead to being hubs."""
    from dreamgraph.gaps import near_duplicates, possible_overlaps
    from dreamgraph.settings import GapSettings
    from dreamgraph.snapshot import Snapshot
    from dreamgraph.snapshot.texts import differences

    duplicates = {tuple(gap.label.split(" ~ ")) for gap in near_duplicates(Snapshot(tables=dict(tables)), GapSettings())}
    return possible_overlaps(tables["projection"], duplicates, most_sources, stated=differences(tables["mentions"]))


def test_the_overlaps_leading_to_a_next_stage_that_became_a_hub_are_found_again():
    """A next stage more than 30 written dreams lead to is a hub, left out of the overlaps' counts: a link
    that makes a dream one (or no longer one) changes every pair leading there, whose overlaps are found
    again; a pair that became a near-duplicate has its overlap found again."""
    from dreamgraph.gaps import relinked_gaps
    from dreamgraph.snapshot import Snapshot
    from dreamgraph.snapshot.projection import Links, links_of

    graph = nx.DiGraph()
    graph.add_nodes_from((f"w{n:02d}", {"label": f"W{n}", "stub": False, "partial": False, "clusters": ["k"]})
                         for n in range(32))
    graph.add_node("hub", label="Hub", stub=False, partial=False, clusters=["k"])
    graph.add_node("mid", label="Mid", stub=False, partial=False, clusters=["k"])
    graph.add_edges_from((f"w{n:02d}", target) for n in range(30) for target in ("hub", "mid"))
    tables = {"completeness": [], "near-pairs": [], "mentions": [], "stub-links": {}, "clusters": {},
              "projection": graph}
    last_gaps, old = find_gaps(Snapshot(tables=dict(tables))), Links(links_of(graph))
    graph.add_edge("w30", "hub")  # the 31st: a hub now, the overlaps of the 30 leading there gone
    ready = relinked_gaps(last_gaps, {"w30"}, old, graph, tables.get, tables)
    assert sum(gap.kind == "possible-overlap" for gap in last_gaps) > 400 and ready["possible-overlap"] == []
    assert find_gaps(Snapshot(tables=dict(tables)), ready=ready) == find_gaps(Snapshot(tables=dict(tables)))
    graph.remove_edge("w30", "hub")
    graph.add_edge("w30", "w31")
    assert "possible-overlap" in relinked_gaps(last_gaps, {"w30"}, old, graph, tables.get, tables)
    graph.add_edges_from([("w30", "w05"), ("w31", "w05"), ("w31", "w30"), ("w30", "w31")])
    paired = {**tables, "near-pairs": [("w30", "w31", 0.9)]}
    ready = relinked_gaps(last_gaps, {"w30", "w31"}, old, graph, tables.get, paired)
    assert find_gaps(Snapshot(tables=dict(paired)), ready=ready) == find_gaps(Snapshot(tables=dict(paired)))


@pytest.mark.parametrize("library", ["fixture", "realistic"])
def test_the_gap_report_over_the_links_is_the_report_over_the_projection(library, tmp_path):
    """A rebuild that patches the last build's tables finds the gaps over the kept link arrays
    (projection.LinkedView) rather than the projection: on the fixture with every kind and on a library
    from the realistic generator, the report is the one found over the projection."""
    from dreamgraph.snapshot import TABLES, Snapshot
    from dreamgraph.snapshot.projection import LinkedView, Links

    folder = FIXTURES / "gaps"
    if library == "realistic":
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
        from generate import generate

        folder = tmp_path / "articles"
        generate(300, folder, seed=7)
    build([folder], tmp_path / "graph")
    kept = Snapshot(open_store(tmp_path / "graph"))
    tables = {name: kept.kept(name) for name in TABLES if name != "gaps"}  # (so that it is found again)
    over_the_projection = find_gaps(Snapshot(tables=tables))
    over_the_links = find_gaps(Snapshot(tables={**tables, "projection": LinkedView(Links(tables["links"]), None)}))
    assert over_the_links == over_the_projection == kept.kept("gaps")
    assert len({gap.kind for gap in over_the_links}) >= 8
