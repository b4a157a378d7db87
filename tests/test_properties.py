"""Property-based tests: generated articles (random sections, bullets, arrows, Unicode, garbage lines)."""

import pyoxigraph as ox
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dreamgraph.build import assemble, shared_triples, validation_units
from dreamgraph.validate import check_units
from dreamgraph.parse import parse_bytes, parse_text
from dreamgraph.triples import DERIVED, A, article_triples, iri, ntriples, to_turtle
from dreamgraph.vocabulary import DG

HEADINGS = ["Quick Answer", "Common Scenarios", "What the Body Registered", "The Sentence This Dream Was Trying to Say",
            "FAQ", "Next Stages", "## Quick Answer", "## Common Scenarios", "## Next Stages", "The Morning After",
            "What It Means"]
text = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00"), max_size=40)
words = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs", "Mn"], exclude_characters="\r\n"),
                min_size=1, max_size=30)
arrow = st.sampled_from([" → ", " -> ", " => ", "→", " - ", ""])
bullet = st.sampled_from(["- ", "* ", "  • ", "", "1. ", "    - "])
line = st.one_of(
    st.builds(lambda b, a, x, y: f"{b}{x}{a}{y}", bullet, arrow, words, words),
    st.builds(lambda c, t, g: f"If {c} → dream about {t} meaning — when {g}", words, words, words),
    st.builds(lambda q, a: f"{q}? {a}", words, words),
    st.builds(lambda n: f"The {n} cluster maps things.", words),
    text,
)
section = st.tuples(st.sampled_from(HEADINGS), st.lists(line, max_size=6))
title = st.one_of(st.builds(lambda x, y: f"Dream About {x}: {y}", words, words),
                  st.builds(lambda x: f"{x} in a Dream — When", words), words, st.builds(lambda x: f"# {x}", words))
articles = st.builds(lambda t, intro, sections, ending: "\n".join(
    [t, *intro, *[h + "\n" + "\n".join(ls) for h, ls in sections]]) + ending,
    title, st.lists(line, max_size=3), st.lists(section, max_size=7), st.sampled_from(["\n", "", "\n\n"]))

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(articles)
def test_the_parser_returns_a_result_or_clear_problems_never_an_exception(source):
    result = parse_text(source, "a.txt")
    assert result.article is not None or result.problems
    for problem in result.problems:
        assert problem.severity in ("error", "warning") and problem.message
        assert problem.line is None or 1 <= problem.line <= source.count("\n") + 1


@SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes_give_a_result_or_a_clear_problem(data):
    result = parse_bytes(data, "b.txt")
    assert result.article is not None or result.problems


def triples_of(source):
    article = parse_text(source, "articles/a.txt").article
    return None if article is None else article_triples(article, "articles/a.txt", resolve=lambda s: s)


@SETTINGS
@given(articles)
def test_building_is_deterministic_and_every_node_has_provenance(source):
    triples = triples_of(source)
    if triples is None:
        return
    assert triples == triples_of(source)
    assert to_turtle(triples) == to_turtle(list(reversed(triples)))
    subjects = {s for s, _, _ in triples if "/id/source/" not in s}
    traced = {s for s, p, _ in triples if p == DERIVED}
    dream = next(s for s, p, o in triples if p == A and o == iri(DG.Dream))
    # dreams and clusters name their file; a part is its dream's, which links it
    assert {s for s in subjects if not s.startswith(dream[:-1] + "/")} <= traced
    assert {s for s in subjects if s.startswith(dream[:-1] + "/")} <= {o for s, _, o in triples if s == dream}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(articles)
def test_whatever_was_built_passes_the_shapes(source):
    result = parse_text(source, "articles/a.txt")
    if result.article is not None:
        library = assemble([result], {})
        units = validation_units(library, shared_triples(library))
        assert check_units(units) == [[]] * len(units)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(articles, min_size=1, max_size=4))
def test_units_of_one_key_have_one_structure(sources):
    """A unit's key (validate.unit_key, which takes context nodes described alike as one) is never shared by
    two units of different structures: each key's verdict is its structure's."""
    from dreamgraph.validate import _shapes, structure, unit_key

    library = assemble([parse_text(text, f"articles/{n}.txt") for n, text in enumerate(sources)], {})
    by_key: dict[str, str] = {}
    for unit in validation_units(library, shared_triples(library)):
        unit = unit() if callable(unit) else unit
        text = structure(*unit, _shapes()[2])[0]
        assert by_key.setdefault(unit_key(unit), text) == text


@SETTINGS
@given(articles)
def test_turtle_written_then_parsed_gives_the_same_graph(source):
    triples = triples_of(source)
    if triples is None:
        return
    from_turtle = {str(q) for q in ox.parse(to_turtle(triples), format=ox.RdfFormat.TURTLE)}
    from_ntriples = {str(q) for q in ox.parse(ntriples(triples).encode(), format=ox.RdfFormat.N_TRIPLES)}
    assert from_turtle == from_ntriples and len(from_turtle) == len(set(triples))


yaml_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), words,
              st.builds(lambda n: "9" * n, st.integers(1, 6000)), st.sampled_from(["&a x", "*a", "[", "{", ":", "- -"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(words, inner, max_size=3)), max_leaves=12)
front_line = st.one_of(
    st.builds(lambda key, value: f"{key}: {value}", st.sampled_from(["slug", "aliases", "title", "x"]), yaml_value),
    st.builds(lambda key, values: f"{key}:\n" + "\n".join(f"  - {v}" for v in values),
              st.sampled_from(["aliases", "slug"]), st.lists(yaml_value, max_size=4)),
    text)


@SETTINGS
@given(st.lists(front_line, max_size=5), st.booleans())
def test_any_front_matter_gives_the_article_or_a_message_never_an_exception(lines, closed):
    body = "# Dream About Flying: Up\n\n## Quick Answer\n\n- It lifts.\n"
    source = "---\n" + "\n".join(lines) + ("\n---\n" if closed else "\n") + body
    result = parse_text(source, "a.md")
    assert all(p.path == "a.md" and p.message for p in result.problems)
    if closed and not any(p.severity == "error" for p in result.problems if p.line and p.line > len(lines) + 2):
        assert result.article is not None and [q.text for q in result.article.quick_answer] == ["It lifts."]
        assert all(isinstance(a, str) and a for a in result.article.aliases)
        assert result.article.slug and result.article.slug == result.article.slug.strip("-")


TAGS = ["p", "div", "li", "ul", "ol", "h1", "h2", "h3", "strong", "b", "a", "br", "table", "tr", "td", "th", "dl", "dt",
        "dd", "details", "summary", "article", "main", "nav", "aside", "script", "style", "template", "span", "section"]
markup = st.recursive(
    st.one_of(words, st.sampled_from(["&rarr;", "&amp;", "&#0;", "&lt;", "<br>", "<hr>", "<!-- x -->", "]]>", "<"])),
    lambda inner: st.builds(lambda tag, attrs, parts, close: f"<{tag}{attrs}>{''.join(parts)}" + (f"</{tag}>" if close else ""),
                            st.sampled_from(TAGS),
                            st.sampled_from(["", ' class="entry-content"', ' class="comments"', " hidden", ' href="/dream-about-x/"',
                                             ' style="display:none"', ' onclick="alert(1)"']),
                            st.lists(inner, max_size=5), st.booleans()),
    max_leaves=40)


@SETTINGS
@given(st.lists(markup, max_size=8), st.sampled_from(["", "<html><body>", "<!DOCTYPE html><html><head><title>Dream About T</title></head><body>"]))
def test_any_page_gives_a_result_or_clear_problems_never_an_exception(parts, head):
    from dreamgraph.pages import parse_page

    results = parse_page((head + "".join(parts)).encode("utf-8", "surrogatepass"), "p.html")
    assert len(results) == 1
    result = results[0]
    assert result.article is not None or result.problems
    if result.article is not None:
        assert result.article.slug and all(p.path == "p.html" for p in result.problems)
        article_triples(result.article, "p.html", lambda slug: slug)  # its triples can be made


@SETTINGS
@given(articles)
@example("Dream About __0__: 0\n")  # bold before a colon: the word "0:" is not in the source as written
def test_an_article_as_a_page_of_escaped_lines_keeps_its_text(source):
    """Whatever the text, writing its lines into a page as escaped paragraphs keeps every character of it
    as text: no markup appears, and no text is lost to the page parser."""
    import html

    from dreamgraph.pages import parse_page
    from dreamgraph.parse import _plain_text

    lines = [line for line in source.split("\n") if line.strip()]
    page = "<html><body><article>" + "".join(f"<p>{html.escape(line)}</p>" for line in lines) + "</article></body></html>"
    [result] = parse_page(page.encode("utf-8", "surrogatepass"), "p.html")
    if result.article is not None:
        words_in = " ".join(" ".join(line.split()) for line in lines)
        # a page's **x** and __x__ read as bold x, as in an article of text ("__0__:" gives the word "0:")
        plain_in = " ".join(" ".join(_plain_text(line).split()) for line in lines)
        for part in (result.article.title, result.article.intro):
            for word in part.split():
                assert word.strip("*_") in words_in or word in plain_in or "\ufffd" in word


def _mentions_word_by_word(finder, texts, linked):
    """Every word tried as the start of every name (the finder looks only where a name's first two words are)."""
    from dreamgraph.snapshot.texts import _NAME_WORDS, _SENTENCE, note_mention

    found: dict = {}
    for source, path, line, text in sorted(texts):
        for sentence in _SENTENCE.split(text):
            words, i = _NAME_WORDS.findall(sentence.lower()), 0
            while i < len(words):
                target, size = None, 1
                for n in range(8, 1, -1):
                    target = finder.wanted.get(" ".join(words[i:i + n])) if i + n <= len(words) else None
                    if target:
                        size = n
                        break
                if target:  # kept by the finder's own rule: what differs is where names are looked for
                    note_mention(found, source, target, path, line, sentence, linked)
                i += size
    return [found[target] for target in sorted(found)]


_NAMES = ["a baby", "a baby at night", "baby at night", "at night", "the sea", "falling into the sea",
          "the sea at night", "into the sea"]
_PIECES = st.sampled_from(_NAMES + ["a", "unlike", "dream", "of", "night", "falling"])


@settings(max_examples=300, deadline=None)
@given(names=st.lists(st.sampled_from(_NAMES), max_size=8, unique=True),
       sentences=st.lists(st.lists(_PIECES, min_size=1, max_size=8).map(lambda w: " ".join(w) + "."), max_size=5))
def test_mentions_are_those_a_word_by_word_search_finds(names, sentences):
    """Names that share first words, nest ("a baby", "a baby at night") and overlap in the prose ("a baby at
    night" then "at night"): the finder finds exactly the mentions a search starting at every word finds,
    with its index of the names (made once it has searched a few articles) and without it."""
    from dreamgraph.snapshot.texts import MentionFinder

    finder = MentionFinder({name: f"https://w3id.org/dreamgraph/id/dream/d{n}" for n, name in enumerate(names)})
    texts = [("src", "a.txt", 1, " ".join(sentences))]
    expected = _mentions_word_by_word(finder, texts, {"d0"})
    for _ in range(MentionFinder.UNINDEXED):
        assert finder.find(texts, {"d0"}) == expected and not finder.openings
    assert finder.find(texts, {"d0"}) == expected and (finder.openings or not names)


_SPELLINGS = [name.replace(" ", sep) for name in _NAMES for sep in (" ", "-")] + ["A Baby", "the-sea", "one"]


@settings(max_examples=300, deadline=None)
@given(before=st.dictionaries(st.sampled_from(_SPELLINGS), st.integers(0, 3), max_size=8),
       added=st.dictionaries(st.sampled_from(_SPELLINGS), st.integers(4, 6), max_size=4))
def test_a_finder_given_more_names_looks_for_what_one_made_of_all_the_names_does(before, added):
    """A patch gives the last build's finder the names new dreams answer to (texts.finder_with): the finder
    looks for what one made of every name looks for, or the patch makes it of every name."""
    from dreamgraph.snapshot.texts import MentionFinder, finder_with

    def iris(names: dict) -> dict:
        return {name: f"https://w3id.org/dreamgraph/id/dream/d{n}" for name, n in names.items()}

    added = {name: n for name, n in added.items() if name not in before}  # names no dream answered to
    grown = finder_with(MentionFinder(iris(before)).kept(), iris(added))
    whole = MentionFinder(iris({**before, **added}))
    if grown is None:  # some new name has the words of one looked for already
        assert any(" ".join(name.replace("-", " ").lower().split()) in MentionFinder(iris(before)).wanted
                   for name in added)
    else:
        assert grown.wanted == whole.wanted and grown.digest == whole.digest


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(st.one_of(st.characters(codec="utf-8"), st.sampled_from("ΣσςİIıßﬁ'\x00 .")), max_size=12),
                max_size=8))
@example(["ΟΔΟΣ", "Σ", "AΣ", "ΣA", "Σ'", "'Σ"])
def test_texts_lowered_all_at_once_are_those_lowered_one_by_one(texts):
    """The search index lower-cases a batch of texts joined by NULs (snapshot.texts.lowered_texts): each text
    comes out as lower-casing it alone makes it, a final sigma included, and a text holding a NUL too."""
    from dreamgraph.snapshot.texts import lowered_texts

    lowered, lengths = lowered_texts(texts)
    alone = [text.lower().encode("utf-8", "surrogatepass") for text in texts]
    assert lowered == b"".join(alone) and lengths.tolist() == [len(text) for text in alone]
