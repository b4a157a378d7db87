"""The article parser: the seed's layout, its Markdown twin, and each bad input with file and line."""

import codecs
import dataclasses

import pytest

from helpers import FIXTURES, SEED, article
from dreamgraph.parse import Limits, parse_bytes, parse_file, parse_text


@pytest.fixture(scope="module")
def seed():
    result = parse_file(SEED, "articles/seed.txt")
    assert result.problems == []
    return result.article


def test_seed_title_and_subtitle(seed):
    assert seed.title == "Dream About Not Being Able to Run: The Kinetic Lock"
    assert (seed.name, seed.slug, seed.subtitle) == ("Not Being Able to Run", "not-being-able-to-run", "The Kinetic Lock")
    assert seed.intro.startswith("Your legs are working.") and seed.intro.endswith("came to show you.")


def test_seed_sections_and_counts(seed):
    assert len(seed.quick_answer) == 5
    assert [s.label for s in seed.scenarios][0] == "Legs pumping, ground not moving"
    assert seed.scenarios[0].meaning == "the effort is real, the progress isn’t; maximum input producing zero output"
    assert len(seed.scenarios) == 5 and len(seed.sensations) == 4 and len(seed.questions) == 3
    assert [s.title for s in seed.sections] == [
        "What the Legs Are Telling You", "The Moment You Notice It Isn’t Working", "What Is Actually Chasing You",
        "Why Turning Around Ends the Dream", "When This Dream Arrives", "The Psychology Behind It", "The Morning After"]
    assert seed.core_sentence.startswith("I’ve been running as hard as I can") and not seed.core_sentence.startswith("“")
    assert set(seed.standard_sections) == {"quick-answer", "common-scenarios", "what-the-body-registered",
                                           "the-sentence", "faq", "next-stages"}
    assert seed.partial is False


def test_seed_faq_splits_question_from_answer(seed):
    assert seed.questions[0].question == "What does it mean when you can’t run in a dream?"
    assert seed.questions[0].answer.startswith("It means effort is fully present")
    assert seed.questions[2].question == "Does this dream mean something is wrong with me physically?"


def test_seed_next_stages(seed):
    assert [(t.target_slug, t.line) for t in seed.next_stages] == [
        ("not-being-able-to-move", 66), ("being-chased-by-a-killer", 67), ("losing-control", 68)]
    first = seed.next_stages[0]
    assert first.condition.startswith("If the running became stillness")
    assert first.target == "dream about not being able to move meaning"
    assert first.gloss == "when the failure stops being about traction and becomes about the body refusing to move at all"


def test_seed_cluster_named_in_prose(seed):
    assert [(c.name, c.slug, c.line) for c in seed.clusters] == [("losing control", "losing-control", 26)]


def _without_lines(a):
    data = dataclasses.asdict(a)
    for key in ("path", "content_hash", "title_line", "standard_sections"):
        data.pop(key)

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "line"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value
    return strip(data)


def test_markdown_twin_of_the_seed_parses_to_the_same_article(seed):
    result = parse_file(FIXTURES / "markdown" / "not-being-able-to-run.md")
    assert result.problems == []
    assert _without_lines(result.article) == _without_lines(seed)


@pytest.mark.parametrize("transform", [
    lambda b: codecs.BOM_UTF8 + b,
    lambda b: b.replace(b"\n", b"\r\n"),
    lambda b: b.replace(b"\n", b"\r"),
    lambda b: codecs.BOM_UTF16_LE + b.decode().encode("utf-16-le"),
    lambda b: b.replace(b"\n", b"\n\n"),
], ids=["utf8-bom", "crlf", "cr", "utf16-bom", "blank-lines"])
def test_encodings_and_line_endings_give_the_same_article(seed, transform):
    result = parse_bytes(transform(SEED.read_bytes()), "x.txt")
    assert result.problems == []
    assert _without_lines(result.article) == _without_lines(seed)


def test_bullet_dot_variant_with_blank_lines():
    text = ("Dream About Falling: The Drop\n\nAn intro.\n\n\nQuick Answer\n\n  • Falling means loss.\n\n"
            "  • It ends.\n\n\nCommon Scenarios\n\n  • Off a cliff → lost footing\n\n\nNext Stages\n\n"
            "  • If you land → dream about landing meaning — when it ends\n")
    result = parse_text(text, "f.txt")
    assert result.problems == []
    a = result.article
    assert [i.text for i in a.quick_answer] == ["Falling means loss.", "It ends."]
    assert [(s.label, s.meaning) for s in a.scenarios] == [("Off a cliff", "lost footing")]
    assert [t.target_slug for t in a.next_stages] == ["landing"]


def test_one_stray_bullet_in_a_list_of_arrows_does_not_make_its_items_text():
    """Next Stages written without bullets, then one line added with a bullet (an edit seen in a library):
    the lines with an arrow stay next stages, the stray line is the error it is; a line with neither a
    bullet nor an arrow in a bulleted list is still a paragraph about the list."""
    text = article("Dream About Falling: The Drop", scenarios=[("Off a cliff", "lost footing")],
                   next_stages=[("you land", "landing", "it ends"), ("you rise", "flying", "it lifts")])
    result = parse_text(text + "- A line added later.\n", "falling.txt")
    assert [t.target_slug for t in result.article.next_stages] == ["landing", "flying"]
    assert [(p.severity, p.line) for p in result.problems] == [("error", 8)]
    assert result.article.sections == []
    noted = text.replace("Common Scenarios\n- Off", "Common Scenarios\nSome of the ways it comes:\n- Off")
    result = parse_text(noted, "falling.txt")
    assert [s.label for s in result.article.scenarios] == ["Off a cliff"] and result.problems == []
    assert [s.text for s in result.article.sections] == ["Some of the ways it comes:"]


def test_a_wrapped_list_item_is_one_item_with_its_first_line():
    """Markdown wraps a long item onto lines set in under it: a next stage's gloss, or the half of it after
    a wrap before the arrow, and a quick answer's end stay with their item (they became paragraphs of
    their own); a paragraph at the list's own margin is still a note about the list."""
    text = ("Dream About Falling: The Drop\nAn intro that ends.\nQuick Answer\n- Falling means loss\n"
            "  of footing.\n- It ends.\nA note on the answers.\nNext Stages\n"
            "- If you land → dream about landing meaning —\n    when it ends\n\n- If you rise\n"
            "  → dream about flying meaning — when it lifts\n")
    result = parse_text(text, "falling.md")
    a = result.article
    assert result.problems == []
    assert [(i.text, i.line) for i in a.quick_answer] == [("Falling means loss of footing.", 4), ("It ends.", 6)]
    assert [(t.target_slug, t.condition, t.gloss, t.line) for t in a.next_stages] == [
        ("landing", "If you land", "when it ends", 9), ("flying", "If you rise", "when it lifts", 12)]
    assert [s.text for s in a.sections] == ["A note on the answers."]


@pytest.mark.parametrize("arrow", ["→", "->", "=>", "⟶"])
def test_arrow_variants(arrow):
    a = parse_text(f"Dream About X: Y\nCommon Scenarios\n- left {arrow} right\n", "a.txt").article
    assert [(s.label, s.meaning) for s in a.scenarios] == [("left", "right")]


def test_scenario_without_arrow_is_an_error_with_its_line_and_the_rest_is_kept():
    text = article("Dream About Falling: The Drop", scenarios=[("Off a cliff", "lost footing")])
    text = text.replace("Common Scenarios\n", "Common Scenarios\n- A line with no arrow at all\n")
    result = parse_text(text, "falling.txt")
    assert [(p.severity, p.line) for p in result.problems] == [("error", 4)]
    assert "scenario without '→'" in result.problems[0].message
    assert [s.label for s in result.article.scenarios] == ["Off a cliff"]
    assert result.dropped


def test_next_stage_without_target_is_an_error():
    text = "Dream About Falling: The Drop\nAn intro.\nNext Stages\n- If you land →  — when it ends\n- If x → dream about y meaning\n"
    result = parse_text(text, "f.txt")
    assert [(p.severity, p.line, p.message) for p in result.problems] == [
        ("error", 4, "next stage without a target dream after '→'; dropped")]
    assert [t.target_slug for t in result.article.next_stages] == ["y"]


@pytest.mark.parametrize("data, message", [
    (b"", "empty file"),
    (b"  \n\t\n", "empty file"),
    (b"Dream About Caf\xe9\nQuick Answer\n", "not UTF-8: invalid byte 0xe9 at byte 15 (line 1)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    (b"Quick Answer\n- Something.\n", "no dream title: the file starts with the section 'Quick Answer'"),
])
def test_unreadable_articles_are_errors_naming_what_is_wrong(data, message):
    result = parse_bytes(data, "bad.txt")
    assert result.article is None and result.dropped
    assert message in str(result.problems[0]) and str(result.problems[0]).startswith("bad.txt")


def test_limits_are_explicit_and_reported():
    long_line = "Dream About X: Y\nIntro.\nThe Morning After\n" + "a" * 200 + "\n"
    result = parse_text(long_line, "a.txt", Limits(max_line_chars=100))
    assert "longer than 100" in result.problems[0].message and result.problems[0].line == 4
    many = "Dream About X: Y\nQuick Answer\n" + "".join(f"- item {i}.\n" for i in range(20))
    result = parse_text(many, "a.txt", Limits(max_items=5))
    assert len(result.article.quick_answer) == 5
    assert "more than 5" in result.problems[0].message


def test_parse_file_refuses_files_over_the_size_limit(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"Dream About X: Y\n" + b"x" * 100)
    result = parse_file(path, "big.txt", Limits(max_bytes=50))
    assert result.article is None and "larger than 50 bytes" in result.problems[0].message


def test_heading_with_nothing_under_it_is_a_warning():
    result = parse_text("Dream About X: Y\nIntro.\nQuick Answer\nCommon Scenarios\n- a → b\n", "a.txt")
    assert [(p.severity, p.line) for p in result.problems] == [("warning", 3)]
    assert "has nothing under it" in result.problems[0].message


def test_a_list_item_or_an_answer_without_a_full_stop_is_not_a_cut_page():
    for ending in ("Quick Answer\n- The floor went away\n", "FAQ\nWhy do I fall? Because the floor went away\n",
                   "Common Scenarios\n- Off a cliff → lost footing\n"):
        result = parse_text(f"Dream About Falling: The Drop\nAn intro that ends properly.\n{ending}", "f.txt")
        assert not result.article.partial and result.problems == [], ending


def test_a_page_cut_inside_its_faq_is_partial_not_a_broken_question():
    text = "Dream About Falling: The Drop\nAn intro that ends.\nFAQ\nWhy do I fall? Because.\nEffort wolf and"
    result = parse_text(text, "f.txt")  # no newline at the end: saved half-loaded
    assert result.article.partial and not result.dropped
    assert [p.message for p in result.problems] == [
        "page ends mid-sentence: built what is there and marked the dream partial"]


def test_a_title_alone_has_its_own_message_and_is_not_partial():
    result = parse_text("Dream About Teeth Falling Out\n", "t.txt")
    assert result.article is not None and not result.article.partial
    assert [(p.severity, p.message) for p in result.problems] == [
        ("warning", "the file holds a title and nothing else: write the article's sections")]


def test_prose_that_stops_mid_sentence_is_still_a_cut_page():
    result = parse_text("Dream About Falling: The Drop\nThe Morning After\nThe legs are fine, and the\n", "f.txt")
    assert result.article.partial
