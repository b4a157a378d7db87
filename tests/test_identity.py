"""Real article libraries: title variants, partial pages, non-article pages, aliases and the stub life cycle."""

import pytest

from helpers import FIXTURES, article
from dreamgraph.build import build
from dreamgraph.parse import parse_file, parse_text
from dreamgraph.store import GRAPH_FILE
from dreamgraph.connect import open_store

VARIANTS = FIXTURES / "variants"


def dreams(graph_dir):
    """Return {slug: (label, subtitle, stub, partial)} of every dream in a built graph."""
    rows = open_store(graph_dir).select("""SELECT ?d ?l ?stub ?sub ?partial WHERE { ?d a dg:Dream ; rdfs:label ?l ;
        dg:isStub ?stub OPTIONAL { ?d dg:subtitle ?sub } OPTIONAL { ?d dg:isPartial ?partial } }""")
    return {r["d"].rsplit("/", 1)[1]: (r["l"], r.get("sub"), r["stub"], r.get("partial", False)) for r in rows}


def links(graph_dir):
    rows = open_store(graph_dir).select("SELECT ?a ?b WHERE { ?a dg:nextStage ?b }")
    return sorted((r["a"].rsplit("/", 1)[1], r["b"].rsplit("/", 1)[1]) for r in rows)


@pytest.mark.parametrize("name, slug, label, subtitle", [
    ("01-seed-shape.txt", "falling", "Falling", "The Floor That Left"),
    ("02-meaning-suffix.txt", "flying", "Flying", None),
    ("03-no-prefix.txt", "teeth-falling-out", "Teeth Falling Out", "What the Mouth Remembers"),
    ("04-em-dash.txt", "drowning", "Drowning", "When the Air Runs Out"),
    ("05-title-twice.txt", "being-chased", "Being Chased", "The Pursuer"),
])
def test_title_variants(name, slug, label, subtitle):
    result = parse_file(VARIANTS / name)
    a = result.article
    assert (a.slug, a.name, a.subtitle) == (slug, label, subtitle)
    assert result.problems == []


def test_title_printed_twice_is_not_read_as_intro():
    a = parse_file(VARIANTS / "05-title-twice.txt").article
    assert a.intro == "Something is behind you."


def test_bullet_dots_with_blank_lines():
    a = parse_file(VARIANTS / "04-em-dash.txt").article
    assert [i.text for i in a.quick_answer] == [
        "Drowning means the situation has stopped leaving you room to breathe.", "It is about capacity, not water."]
    assert [(s.label, s.meaning) for s in a.scenarios] == [("Sinking with the surface in sight",
                                                            "help is visible and unreachable")]
    assert [t.target_slug for t in a.next_stages] == ["falling"]


def test_the_variant_library_builds_the_exact_dreams_and_links(graph_dir):
    report = build([VARIANTS], graph_dir)
    assert report.ok
    assert dreams(graph_dir) == {
        "being-chased": ("Being Chased", "The Pursuer", False, False),
        "drowning": ("Drowning", "When the Air Runs Out", False, False),
        "falling": ("Falling", "The Floor That Left", False, False),
        "flying": ("Flying", None, False, False),
        "sinking-sand": ("Sinking Sand", "The Slow Pull", False, True),
        "teeth-falling-out": ("Teeth Falling Out", "What the Mouth Remembers", False, False),
        "trying-to-run-but-staying-in-place": ("Trying to Run but Staying in Place", "The Treadmill", False, False),
    }
    assert links(graph_dir) == [("drowning", "falling"), ("falling", "drowning"), ("falling", "flying"),
                                ("flying", "falling")]
    warnings = sorted(str(p).split("variants/", 1)[1] for p in report.problems)
    assert warnings == [
        "06-partial.txt:8: warning: page ends mid-sentence: built what is there and marked the dream partial",
        "07-about-page.md:1: warning: not a dream article (no dream title and none of the article sections): "
        "'About Our Method'; skipped",
    ]


def test_partial_page_keeps_what_is_there():
    result = parse_file(VARIANTS / "06-partial.txt")
    a = result.article
    assert a.partial and not result.dropped
    assert [s.title for s in a.sections] == ["The Slow Pull"]
    assert a.sections[0].text.endswith("the point the dream is trying to")


def test_a_page_cut_off_inside_next_stages_is_partial_not_an_error():
    text = article("Dream About X: Y", next_stages=[("a", "b", "c")]) + "If the dream went on and on → dream abo"
    result = parse_text(text, "x.txt")
    assert result.article.partial and not result.dropped
    assert [t.target_slug for t in result.article.next_stages] == ["b"]


def test_about_page_is_skipped_and_invents_no_dream():
    result = parse_file(VARIANTS / "07-about-page.md")
    assert result.article is None and result.skipped and not result.dropped


def test_a_dream_title_without_sections_is_still_an_article():
    result = parse_text("Dream About Rain Meaning\nRain in a dream is about release.\n", "rain.txt")
    assert result.article.slug == "rain" and not result.skipped


@pytest.mark.parametrize("front", ["---\n---\n", "---\n\n---\n", "---\n# only a comment\n---\n"])
def test_empty_front_matter_is_no_front_matter(front):
    result = parse_text(front + "# Dream About Rain: Release\n\n## Quick Answer\n\n- It is about release.\n", "rain.md")
    assert result.article.slug == "rain" and not result.problems


def test_front_matter_slug_and_aliases(write_corpus, graph_dir):
    linking = article("Dream About Falling: The Drop", next_stages=[
        ("the fall became a chase", "being chased by a killer", "the threat appears"),
        ("it went on", "a pursuer", "you are followed")])
    chased = ("---\nslug: pursued\naliases: [being chased by a killer, \"dream about a pursuer meaning\"]\n---\n"
              "# Chased by a Murderer: The Pursuit\n\nSomeone is behind you.\n\n## Quick Answer\n\n- It is about avoidance.\n")
    folder = write_corpus({"falling.txt": linking, "chased.md": chased})
    report = build([folder], graph_dir)
    assert report.ok and report.stubs == 0
    assert links(graph_dir) == [("falling", "pursued")]
    assert set(dreams(graph_dir)) == {"falling", "pursued"}
    aliases = open_store(graph_dir).select("SELECT ?a WHERE { dream:pursued skos:altLabel ?a } ORDER BY ?a")
    assert [r["a"] for r in aliases] == ["being chased by a killer", "dream about a pursuer meaning"]


def test_full_cycle_link_then_article_under_another_title_then_alias(write_corpus, graph_dir, tmp_path):
    folder = write_corpus({"run.txt": article("Dream About Not Being Able to Run: The Lock", next_stages=[
        ("what chased you caught up", "being chased by a killer", "the encounter happens")])})
    build([folder], graph_dir)
    assert dreams(graph_dir)["being-chased-by-a-killer"][2] is True  # a stub, from the link text

    write_corpus({"killer.txt": article("Chased by a Killer in a Dream — When the Footsteps Get Closer",
                                        scenarios=[("Footsteps behind you", "the pressure is close")])})
    report = build([folder], graph_dir)
    assert set(dreams(graph_dir)) == {"not-being-able-to-run", "being-chased-by-a-killer", "chased-by-a-killer"}
    hint = [str(p) for p in report.problems if "add an alias" in p.message]
    assert hint == [f"{display(folder / 'run.txt')}:4: warning: 'being chased by a killer' looks like "
                    "'chased-by-a-killer': add an alias? (in aliases.toml: \"being-chased-by-a-killer\" = "
                    "\"chased-by-a-killer\")"]

    (graph_dir / "aliases.toml").write_text('"being chased by a killer" = "chased-by-a-killer"\n', encoding="utf-8")
    report = build([folder], graph_dir)
    assert report.ok and report.stubs == 0
    assert dreams(graph_dir) == {
        "not-being-able-to-run": ("Not Being Able to Run", "The Lock", False, False),
        "chased-by-a-killer": ("Chased by a Killer", "When the Footsteps Get Closer", False, False),
    }
    assert links(graph_dir) == [("not-being-able-to-run", "chased-by-a-killer")]
    assert b"being-chased-by-a-killer" not in (graph_dir / GRAPH_FILE).read_bytes()


def display(path):
    from dreamgraph.sources import display_path

    return display_path(path, path.parent.parent / "graph", [path.parent])


def test_a_broken_alias_table_is_reported(write_corpus, graph_dir):
    folder = write_corpus({"a.txt": article("Dream About Falling: The Drop")})
    graph_dir.mkdir()
    (graph_dir / "aliases.toml").write_text('"x" = \n', encoding="utf-8")
    report = build([folder], graph_dir)
    assert any("alias table not read" in p.message and p.severity == "error" for p in report.problems)
    assert report.articles == 1
