"""`dreamgraph brief`: a writer's brief made only of facts of the graph, each checked against the library."""

from __future__ import annotations

from dreamgraph.brief import make_brief, markdown, title_case
from dreamgraph.progression import progression_graph
from dreamgraph.connect import open_store


def test_the_brief_of_the_most_wanted_stub_holds_the_library_s_facts(sample_graph):
    store = open_store(sample_graph)
    brief = make_brief(store, "being-chased-by-a-killer")
    graph = progression_graph(store)
    assert brief.title == "Dream About Being Chased by a Killer: …" and not brief.written
    # who sends readers here: exactly the five links of the library, with their files, lines and words
    assert [(e["from"], e["path"], e["line"]) for e in brief.incoming] == [
        ("not-being-able-to-run", "articles/000_92aebca6ef1c887d.txt", 67),
        ("an-intruder-in-the-house", "articles/an-intruder-in-the-house.txt", 30),
        ("being-chased-by-a-dog", "articles/being-chased-by-a-dog.txt", 23),
        ("being-chased", "articles/being-chased.txt", 29),
        ("hiding-from-someone", "articles/hiding-from-someone.txt", 28)]
    for entry in brief.incoming:
        line = (sample_graph / entry["path"]).read_text(encoding="utf-8").splitlines()[entry["line"] - 1]
        assert entry["condition"] in line and "being chased by a killer" in line
        assert graph.edges[entry["from"], "being-chased-by-a-killer"]["condition"] == entry["condition"]
    # its cluster is the one most of them name, and its siblings are the cluster's written dreams
    assert brief.cluster == "being-chased"
    assert {s["slug"] for s in brief.siblings} == {n for n, d in graph.nodes(data=True)
                                                 if not d["stub"] and "being-chased" in d["clusters"]}
    # next stages: real dreams, none of them the dream itself, each with the reason the graph gives
    for stage in brief.next_stages:
        assert stage["slug"] in graph and stage["slug"] != brief.slug
        if stage["why"].startswith("where"):
            assert any(graph.has_edge(e["from"], stage["slug"]) for e in brief.incoming)
        if stage["why"].startswith("it sends readers here"):
            assert graph.has_edge(stage["slug"], brief.slug)
    # questions: each from the FAQ of a dream that links here or of a sibling
    related = {e["from"] for e in brief.incoming} | {s["slug"] for s in brief.siblings}
    for question in brief.questions:
        assert question["dream"] in related
        asked = store.select("SELECT ?q WHERE { ?d dg:hasQuestion ?n . ?n rdfs:label ?q }",
                             {"d": store.select(f"SELECT ?d WHERE {{ BIND(dream:{question['dream']} AS ?d) }}")[0]["d"]})
        assert question["question"] in {row["q"] for row in asked}
    text = markdown(brief)
    assert text.startswith("# Brief: being chased by a killer\n")
    for heading in ("## Who sends readers here", "### Quick Answer", "### Next Stages", "### FAQ"):
        assert heading in text
    assert "`articles/being-chased.txt:29`" in text


def test_a_dream_nobody_links_to_and_in_no_cluster_gets_an_honest_brief(sample_graph):
    brief = make_brief(open_store(sample_graph), "losing-your-phone")
    assert brief.written and brief.incoming == []
    text = markdown(brief)
    assert "No article links here yet." in text and "already written" in text


def test_the_commands_write_briefs(cli, sample_graph, tmp_path):
    printed = cli("-g", sample_graph, "brief", "being chased by a killer")
    assert printed.exit_code == 0 and printed.output.startswith("# Brief: being chased by a killer")
    result = cli("-g", sample_graph, "gaps", "--briefs", tmp_path / "briefs", "--kind", "missing-article")
    assert result.exit_code == 0
    written = sorted(p.stem for p in (tmp_path / "briefs").iterdir())
    missing = [line.split(":")[0].split()[-1] for line in result.stdout.splitlines() if ": write an article" in line]
    assert written == sorted(missing) and len(written) >= 5
    assert cli("-g", sample_graph, "brief", "no such dream at all").exit_code == 1


def test_title_case_keeps_small_words_small():
    assert title_case("falling into water") == "Falling into Water"
    assert title_case("the ocean at night") == "The Ocean at Night"
