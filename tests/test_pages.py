"""Saved web pages and WordPress exports (dreamgraph.pages): each page gives the graph of the same article in
text form, its lines point into the page, boilerplate and scripts never become article text, and reading a
page fetches nothing."""

from __future__ import annotations

import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from dreamgraph.build import build
from dreamgraph.pages import parse_page, read_source, slug_from_href
from dreamgraph.parse import parse_file
from dreamgraph.connect import open_store
from dreamgraph.triples import own_triples
from helpers import FIXTURES

PAGES = FIXTURES / "html"


def graph_of(article) -> list[tuple]:
    """The article's triples without what depends on the file (its path, lines, hash) or the page (its URL)."""
    return sorted(t for t in own_triples(article, "article", lambda slug: slug)
                  if not t[1].endswith(("#sourceLine>", "#contentHash>", "#url>")))


def page_lines(name: str) -> list[str]:
    return (PAGES / name).read_text(encoding="utf-8").split("\n")


@pytest.mark.parametrize("page, text", [
    ("wordpress-theme.html", FIXTURES / "markdown" / "not-being-able-to-run.md"),
    ("title-twice.html", FIXTURES / "variants" / "05-title-twice.txt"),
    ("faq-jsonld.html", FIXTURES / "variants" / "01-seed-shape.txt"),
    ("hostile.html", FIXTURES / "html-text" / "hostile.md"),
    ("broken.html", FIXTURES / "html-text" / "broken.md"),  # cut off mid-link, a scenario without its arrow
])
def test_a_page_gives_the_graph_of_the_same_article_in_text(page, text):
    """The same graph, and the same problems (at the page's own lines), as the article written as text."""
    [result] = read_source(PAGES / page)
    written = parse_file(text)
    assert graph_of(result.article) == graph_of(written.article)
    assert [(p.severity, p.message) for p in result.problems] == [(p.severity, p.message) for p in written.problems]


def test_a_wordpress_page_leaves_out_the_theme_and_points_into_the_page():
    [result] = read_source(PAGES / "wordpress-theme.html", "site/run.html")
    article, lines = result.article, page_lines("wordpress-theme.html")
    assert result.problems == []
    assert article.url == "https://dreamatlas.example/dream-about-not-being-able-to-run-meaning/"
    # the menu, the categories above the title, share buttons, related posts, comments, the sidebar and footer
    everything = " ".join([article.intro, *(s.text for s in article.sections), *(q.answer for q in article.questions),
                           *(s.target for s in article.next_stages)])
    for chrome in ("Chase Dreams", "Share this", "Related", "Leave a Reply", "Recent Posts", "cookies", "Powered by",
                   "Skip to the content", "Mara", "Tags:", "sleep paralysis?"):
        assert chrome not in everything, chrome
    assert len(article.next_stages) == 3
    # every line is the page line that holds the text
    assert "<h1" in lines[article.title_line - 1]
    assert article.scenarios[0].label in lines[article.scenarios[0].line - 1]
    assert article.next_stages[-1].condition in lines[article.next_stages[-1].line - 1]
    assert article.questions[1].question in lines[article.questions[1].line - 1]
    assert article.path == "site/run.html"


def test_a_table_of_scenarios_and_a_theme_without_landmarks():
    [result] = read_source(PAGES / "title-twice.html")
    article = result.article
    assert (article.title, article.intro) == ("Dream About Being Chased: The Pursuer", "Something is behind you.")
    assert [(s.label, s.meaning) for s in article.scenarios] == [("Hiding in a cupboard", "avoidance has run out of room")]
    assert "Filed under" not in article.intro


def test_json_ld_that_agrees_says_nothing_and_one_that_disagrees_is_reported_at_its_line(tmp_path):
    [result] = read_source(PAGES / "faq-jsonld.html")
    assert result.problems == []
    assert [q.question for q in result.article.questions] == ["Why do I wake up just before I land?"]
    text = (PAGES / "faq-jsonld.html").read_text(encoding="utf-8")
    text = text.replace('"headline": "Dream About Falling: The Floor That Left"', '"headline": "Falling Dreams Explained"')
    text = text.replace('"name": "Why do I wake up just before I land?"', '"name": "Is falling a bad omen?"')
    [result] = parse_page(text.encode("utf-8"), "falling.html")
    messages = [(p.line, p.message) for p in result.problems]
    script_line = next(n for n, line in enumerate(text.split("\n"), 1) if "ld+json" in line)
    assert (script_line, "the JSON-LD headline 'Falling Dreams Explained' is not the page's title "
                         "'Dream About Falling: The Floor That Left'") in messages
    assert (script_line, "the FAQPage JSON-LD asks 'Is falling a bad omen?', which the page's FAQ does not show") in messages
    question = result.article.questions[0]
    assert (question.line, "FAQ question 'Why do I wake up just before I land?' is missing from the page's FAQPage "
                           "JSON-LD") in messages
    broken = text.replace('{"@context"', '{"@context" oops', 1)
    [result] = parse_page(broken.encode("utf-8"), "falling.html")
    assert (script_line, "a JSON-LD block is not valid JSON; ignored") in [(p.line, p.message) for p in result.problems]


def test_a_broken_page_builds_what_it_can_and_names_its_lines(cli, tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    shutil.copy(PAGES / "broken.html", folder / "broken.html")
    shutil.copy(FIXTURES / "progression" / "teeth.txt", folder / "teeth.txt")
    result = cli("build", folder, "-g", tmp_path / "graph")
    lines = page_lines("broken.html")
    arrowless = next(n for n, line in enumerate(lines, 1) if "without any arrow" in line)
    assert f"broken.html:{arrowless}: error: scenario without '→'" in result.stderr
    assert "2 articles" in result.stdout and "Traceback" not in result.stderr
    shown = cli("show", "falling", "-g", tmp_path / "graph")
    assert "Missing a step" in shown.stdout and "Common Scenarios Falling" not in shown.stdout


def test_script_style_hidden_and_template_text_never_becomes_article_text():
    [result] = read_source(PAGES / "hostile.html")
    article = result.article
    everything = repr(article)
    for never in ("pwned", "inline script", "Enable scripts", "template text", "hidden spam", "A hidden item",
                  "svg text", "form text", "track.png", "onload", "onclick", "onerror=alert(3)"):
        assert never not in everything, never
    # what the page shows as text stays text, markup and all
    assert article.title == "Dream About Doors: <img src=x onerror=alert(2)>"
    assert article.intro == "A door that opens onto </textarea><script>alert(4)</script>."
    assert [s.href_slug for s in article.next_stages] == ["", ""]  # javascript: and data: name no dream


def test_a_next_stage_follows_its_address_before_its_text(cli, write_corpus, graph_dir):
    def page(title: str, stages: str = "", canonical: str = "https://dreams.example/x/") -> str:
        return (f'<html><head><link rel="canonical" href="{canonical}"></head><body><article><h1>{title}</h1>'
                f"<h2>Quick Answer</h2><ul><li>It means something.</li></ul><h2>Next Stages</h2><ul>{stages}</ul>"
                "</article></body></html>")

    folder = write_corpus({
        "falling.html": page("Dream About Falling", "".join([
            # the text names a stub, the address a written dream: the address wins
            '<li>If you rise → <a href="/dream-about-soaring-meaning/">dream about flying meaning</a> — up</li>',
            # the address names nothing written, the text does: the text wins
            '<li>If you land → <a href="/dream-about-crash-landing-meaning/">dream about soaring meaning</a></li>',
            # neither is written: the address, the site's name for the page
            '<li>If you sink → <a href="https://dreams.example/dream-about-deep-water-meaning/">dream about '
            "drowning meaning</a></li>",
            # another site's address names no dream of this one
            '<li>If you shop → <a href="https://shop.example/dream-about-shopping-meaning/">dream about markets '
            "meaning</a></li>"])),
        "soaring.html": page("Dream About Soaring", canonical="https://dreams.example/dream-about-soaring-meaning/")})
    result = cli("build", folder, "-g", graph_dir)
    assert result.exit_code == 0, result.stderr
    shown = cli("show", "falling", "-g", graph_dir, "-f", "json")
    import json

    targets = [stage["slug"] for stage in json.loads(shown.stdout)["next_stages"]]
    assert targets == ["soaring", "soaring", "deep-water", "markets"]


def test_slug_from_href():
    assert slug_from_href("https://dreams.example/dream-about-losing-control-meaning/") == "losing-control"
    assert slug_from_href("/dreams/losing-control/index.html") == "losing-control"
    assert slug_from_href("../falling.htm#faq") == "falling"
    assert slug_from_href("https://dreams.example/?p=12") == ""
    assert slug_from_href("https://dreams.example/2026/03/12/") == ""
    assert slug_from_href("javascript:alert(1)") == "" and slug_from_href("mailto:x@y.z") == ""


def test_a_wordpress_export_is_a_library_of_its_published_posts(cli, tmp_path):
    folder = tmp_path / "cms"
    folder.mkdir()
    shutil.copy(PAGES / "export.xml", folder / "export.xml")
    (folder / "sitemap.xml").write_text('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                        "<url><loc>https://dreamatlas.example/</loc></url></urlset>", encoding="utf-8")
    results = read_source(folder / "export.xml", "cms/export.xml")
    articles = [r.article for r in results if r.article]
    assert [(a.path, a.slug, a.url) for a in articles] == [
        ("cms/export.xml#dream-about-falling-meaning", "falling", "https://dreamatlas.example/dream-about-falling-meaning/"),
        ("cms/export.xml#dream-about-being-chased-meaning", "being-chased",
         "https://dreamatlas.example/dream-about-being-chased-meaning/")]
    assert [str(p) for r in results for p in r.problems] == [
        "cms/export.xml: warning: WordPress export: 1 attachment, 1 draft post, 1 page skipped (only published posts are read)"]
    falling, lines = articles[0], page_lines("export.xml")
    assert graph_of(falling) == graph_of(parse_file(FIXTURES / "variants" / "01-seed-shape.txt").article)
    assert "<title>" in lines[falling.title_line - 1] and falling.title in lines[falling.title_line - 1]
    assert falling.questions[0].question in lines[falling.questions[0].line - 1]
    assert falling.scenarios[1].label in lines[falling.scenarios[1].line - 1]
    result = cli("build", folder, "-g", tmp_path / "graph")
    assert "2 articles" in result.stdout and "sitemap" not in result.stderr, result.stderr
    store = open_store(tmp_path / "graph")
    rows = store.select("SELECT ?path WHERE { ?s a dg:SourceArticle ; rdfs:label ?path } ORDER BY ?path")
    assert [r["path"] for r in rows] == ["cms/export.xml#dream-about-being-chased-meaning",
                                         "cms/export.xml#dream-about-falling-meaning"]


@pytest.mark.parametrize("body_class, why", [("home blog", "the home page"), ("archive category category-chase", "a category page"),
                                             ("search search-results", "a search page")])
def test_pages_that_list_articles_are_skipped_with_a_warning(body_class, why):
    page = (f'<html><body class="{body_class}"><main><h1>Dreams About Being Chased</h1>'
            '<article><h2><a href="/a/">Dream About A</a></h2></article></main></body></html>')
    [result] = parse_page(page.encode(), "category.html")
    assert result.article is None and result.skipped
    assert [p.message for p in result.problems] == [f"not a dream article ({why}); skipped"]


def test_a_listing_and_an_about_page_are_skipped():
    listing = ("<html><body><article><h2>Dream About A</h2><p>a</p></article>"
               "<article><h2>Dream About B</h2><p>b</p></article></body></html>")
    [result] = parse_page(listing.encode(), "page/2/index.html")
    assert result.skipped and "a listing of 2 articles" in result.problems[0].message
    [result] = parse_page(b"<html><body><main><h1>About Us</h1><p>We write about sleep.</p></main></body></html>",
                          "about/index.html")
    assert result.skipped and result.problems[0].message.startswith("not a dream article")


def test_a_folder_saved_by_wget_mirror_builds_its_articles_only(cli, tmp_path):
    site = tmp_path / "dreamatlas.example"
    for path, source in [("index.html", None), ("dream-about-not-being-able-to-run-meaning/index.html", "wordpress-theme.html"),
                         ("dream-about-falling-meaning/index.html", "faq-jsonld.html")]:
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        if source:
            shutil.copy(PAGES / source, site / path)
    (site / "index.html").write_text('<html><body class="home blog"><h1>Dream Atlas</h1></body></html>', encoding="utf-8")
    (site / "category" / "chase").mkdir(parents=True)
    (site / "category" / "chase" / "index.html").write_text(
        '<html><body class="archive category"><h1>Category: Chase</h1></body></html>', encoding="utf-8")
    (site / "feed").mkdir()
    (site / "feed" / "index.xml").write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
                                             "</channel></rss>", encoding="utf-8")
    (site / "wp-content").mkdir()
    (site / "wp-content" / "style.css").write_text("body {}", encoding="utf-8")
    result = cli("build", site, "-g", tmp_path / "graph")
    assert "2 articles" in result.stdout, result.stdout + result.stderr
    assert "index.html:1: warning: not a dream article (the home page); skipped" in result.stderr
    assert "category/chase/index.html:1: warning: not a dream article (a category page); skipped" in result.stderr
    shown = cli("show", "falling", "-g", tmp_path / "graph")
    assert "https://dreams.example/dream-about-falling-meaning/" in shown.stdout


@pytest.mark.parametrize("data, expected", [
    ('<html><head><meta charset="windows-1252"></head><body><h1>Dream About Caf\xe9s</h1>'
     "<h2>Quick Answer</h2><ul><li>\x93Quoted\x94 text.</li></ul></body></html>".encode("latin-1"), "“Quoted” text."),
    ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"></head><body>'
     "<h1>Dream About Caf\xe9s</h1><h2>Quick Answer</h2><ul><li>Ni\xf1o.</li></ul></body></html>".encode("latin-1"), "Niño."),
    ("\ufeff<html><body><h1>Dream About Cafés</h1><h2>Quick Answer</h2><ul><li>Ünïcode.</li></ul></body></html>"
     .encode("utf-16"), "Ünïcode."),
])
def test_the_character_set_comes_from_the_byte_order_mark_or_the_meta_tag(data, expected):
    [result] = parse_page(data, "cafe.html")
    assert result.article.slug == "cafes" and result.article.quick_answer[0].text == expected


def test_bytes_that_are_not_the_declared_character_set_are_replaced_and_said():
    [result] = parse_page(b"<html><body><h1>Dream About Rain</h1>\n<h2>Quick Answer</h2><ul><li>Wet \xff.</li></ul>"
                          b"</body></html>", "rain.html")
    assert result.article.quick_answer[0].text == "Wet \ufffd."
    assert result.problems[0].message.startswith("line 2: bytes that are not utf-8 (0xff at byte")


def test_an_empty_or_unreadable_page_is_an_error_that_names_the_file(cli, write_corpus, graph_dir):
    folder = write_corpus({"empty.html": "", "blank.htm": "   \n", "ok.txt": (FIXTURES / "progression" / "teeth.txt").read_text(
        encoding="utf-8"), "export.xml": '<?xml version="1.0"?><rss xmlns:wp="http://wordpress.org/export/1.2/"><channel>'})
    result = cli("build", folder, "-g", graph_dir)
    assert "empty.html: error: empty page" in result.stderr and "blank.htm: error: empty page" in result.stderr
    assert "export.xml:1: error: not a readable WordPress export" in result.stderr
    assert "1 articles" in result.stdout or "1 article" in result.stdout


class Recorder(BaseHTTPRequestHandler):
    asked: list[str] = []

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        Recorder.asked.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"<!ENTITY leak 'FETCHED'>FETCHED")

    def log_message(self, *args):
        pass


def test_reading_pages_and_exports_fetches_nothing_and_expands_no_entity(cli, tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-FILE-TEXT", encoding="utf-8")
    try:
        folder = tmp_path / "in"
        folder.mkdir()
        (folder / "export.xml").write_text(f"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY remote SYSTEM "{url}/entity">
  <!ENTITY local SYSTEM "{secret.as_uri()}">
  <!ENTITY % dtd SYSTEM "{url}/dtd"> %dtd;
  <!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<rss xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/"
     xmlns:xi="http://www.w3.org/2001/XInclude"><channel><item>
<title>Dream About Doors &remote; &local; &c;</title><link>https://d.example/doors/</link>
<content:encoded><![CDATA[<h2>Quick Answer</h2><ul><li>A door &amp; a key.</li></ul>
<img src="{url}/img.png"><iframe src="{url}/frame"></iframe><link rel="stylesheet" href="{url}/css">]]></content:encoded>
<xi:include href="{url}/xinclude"/>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type><wp:post_name>doors</wp:post_name></item></channel></rss>
""", encoding="utf-8")
        (folder / "page.html").write_text(f"""<!DOCTYPE html SYSTEM "{url}/doctype.dtd">
<html><head><link rel="stylesheet" href="{url}/style.css"><script src="{url}/app.js"></script>
<meta http-equiv="refresh" content="0; url={url}/refresh"><base href="{url}/"></head>
<body><article><h1>Dream About Keys</h1><object data="{url}/object"></object>
<h2>Quick Answer</h2><ul><li>A key <img src="{url}/pixel.gif" srcset="{url}/2x.gif 2x">opens.</li></ul></article></body></html>
""", encoding="utf-8")
        result = cli("build", folder, "-g", tmp_path / "graph")
        assert Recorder.asked == [], Recorder.asked
        everything = (tmp_path / "graph" / "dreamgraph.ttl").read_text(encoding="utf-8")
        assert "FETCHED" not in everything and "SECRET-FILE-TEXT" not in everything and "lollollol" not in everything
        assert "Traceback" not in result.stderr
    finally:
        server.shutdown()
        server.server_close()


def test_a_page_library_builds_byte_identical_twice_and_from_the_cache(tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    for name in ("wordpress-theme.html", "export.xml", "hostile.html"):
        shutil.copy(PAGES / name, folder / name)
    first = build([folder], tmp_path / "a")
    again = build([folder], tmp_path / "a")
    other = build([folder], tmp_path / "b")
    turtle = (tmp_path / "a" / "dreamgraph.ttl").read_bytes()
    assert turtle == (tmp_path / "b" / "dreamgraph.ttl").read_bytes()
    assert first.articles == again.articles == other.articles == 4
    assert first.problems == again.problems and first.ok and again.ok
    assert b"dg:url \"https://dreamatlas.example/dream-about-not-being-able-to-run-meaning/\"^^xsd:anyURI" in turtle


def test_the_url_of_a_page_is_on_the_card(cli, tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    shutil.copy(PAGES / "wordpress-theme.html", folder / "run.html")
    cli("build", folder, "-g", tmp_path / "graph")
    shown = cli("show", "not-being-able-to-run", "-g", tmp_path / "graph")
    assert "https://dreamatlas.example/dream-about-not-being-able-to-run-meaning/" in shown.stdout
    import json

    card = json.loads(cli("show", "not-being-able-to-run", "-g", tmp_path / "graph", "-f", "json").stdout)
    assert card["url"] == "https://dreamatlas.example/dream-about-not-being-able-to-run-meaning/"


def test_front_matter_can_give_a_markdown_article_its_url(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("---\nurl: https://d.example/falling/\n---\n# Dream About Falling\n## Quick Answer\n- Down.\n",
                    encoding="utf-8")
    assert parse_file(path).article.url == "https://d.example/falling/"
    path.write_text('---\nurl: "javascript:alert(1)"\n---\n# Dream About Falling\n## Quick Answer\n- Down.\n',
                    encoding="utf-8")
    result = parse_file(path)
    assert result.article.url == "" and "front matter 'url' must be an http(s) address" in result.problems[0].message


def test_every_page_fixture_parses_without_a_traceback():
    for path in sorted(Path(PAGES).iterdir()):
        results = read_source(path)
        assert results and all(r.article is not None or r.problems for r in results), path


def test_gap_evidence_in_a_page_carries_the_page_address(cli, tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    shutil.copy(PAGES / "title-twice.html", folder / "chased.html")  # no Next Stages: a dead end
    text = (PAGES / "title-twice.html").read_text(encoding="utf-8").replace(
        "<head>", '<head><link rel="canonical" href="https://nightnotes.example/being-chased/">')
    (folder / "chased.html").write_text(text, encoding="utf-8")
    cli("build", folder, "-g", tmp_path / "graph")
    import json

    found = json.loads(cli("gaps", "-g", tmp_path / "graph", "-f", "json").stdout)
    dead = next(g for g in found if g["kind"] == "dead-end")
    assert dead["evidence"][0]["url"] == "https://nightnotes.example/being-chased/"
    assert dead["evidence"][0]["path"] == "site/chased.html"
    shown = cli("gaps", "-g", tmp_path / "graph", "-f", "markdown").stdout
    assert "[site/chased.html:13](https://nightnotes.example/being-chased/)" in shown


def test_a_binary_file_or_utf16_without_its_mark_named_as_a_page_is_said_to_be_so():
    import os

    [result] = parse_page(os.urandom(4000).replace(b"\x00", b"") + b"\x00" * 3, "image.html")
    assert [p.message for p in result.problems] == ["binary file (NUL bytes), not an article"]
    [result] = parse_page("<html><body><h1>Dream About Sixteen</h1></body></html>".encode("utf-16-le"), "s.html")
    assert [p.message for p in result.problems] == ["UTF-16 without a byte-order mark: save the file as UTF-8"]
    [result] = parse_page("<html><body><h1>Dream About Sixteen</h1><h2>Quick Answer</h2><ul><li>It works.</li></ul>"
                          "</body></html>".encode("utf-16"), "s.html")  # with its mark: read
    assert result.article.quick_answer[0].text == "It works."
