"""The HTML views in a real browser: Debian's Chromium, headless, driven by Playwright.

Each page is loaded from file://, must draw exactly the view's nodes and edges, log no console error,
make no network request, show a dream's card on click and move the focus when a name is searched.
Screenshots go to test-artifacts/ for a person to look at.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import FIXTURES, ROOT
from dreamgraph.build import build
from dreamgraph.store import open_store
from dreamgraph.views import cluster_view, dream_view, gaps_view, path_view, render, taxonomy_view, write_view

CHROMIUM = os.environ.get("DREAMGRAPH_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium) "
                    "or set DREAMGRAPH_CHROMIUM")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is missing: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync", "--disable-quic"])
        yield browser
        browser.close()


class Page:
    """A loaded view with what it logged and requested."""

    def __init__(self, browser, path: Path):
        self.page = browser.new_page(viewport={"width": 1280, "height": 800})
        self.errors, self.requests, self.dialogs = [], [], []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

        def route(request_route):
            if not request_route.request.url.startswith("file://"):
                self.requests.append(request_route.request.url)
                return request_route.abort()
            return request_route.continue_()
        self.page.route("**/*", route)
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("body[data-drawn=true]", timeout=20_000)
        self.page.wait_for_load_state("networkidle")

    def js(self, expression, arg=None):
        return self.page.evaluate(expression, arg)

    def drawn(self):
        return self.js("() => [network.body.nodeIndices.length, network.body.edgeIndices.length]")

    def click_node(self, node_id):
        point = self.js("""id => { const p = network.getPositions([id])[id]; const d = network.canvasToDOM(p);
                             const r = document.querySelector('#graph canvas').getBoundingClientRect();
                             return [r.left + d.x, r.top + d.y]; }""", node_id)
        self.page.mouse.click(*point)

    def shot(self, name):
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("views") / "graph"
    build([FIXTURES / "progression"], folder)
    return open_store(folder)


def views(store):
    from dreamgraph.gaps import find_gaps

    return {
        "taxonomy": taxonomy_view(store),
        "dream": dream_view(store, "falling", hops=1),
        "cluster": cluster_view(store, "falling"),
        "path": path_view(store, "being-chased", "waking-up"),
        "gaps": gaps_view(store, find_gaps(store)),
    }


@pytest.mark.parametrize("name", ["taxonomy", "dream", "cluster", "path", "gaps"])
def test_each_view_draws_its_graph_offline_and_answers_clicks_and_search(browser, corpus, tmp_path, name):
    view = views(corpus)[name]
    path = write_view(view, tmp_path / f"{name}.html")
    page = Page(browser, path)
    assert page.drawn() == [len(view.nodes), len(view.edges)]
    assert page.js("() => typeof network.getSelectedNodes") == "function"

    target = "dream:falling" if "dream:falling" in view.cards else sorted(view.cards)[0]
    page.click_node(target)
    page.page.wait_for_selector(f"#panel-card[data-dream='{target}']")
    card = page.page.inner_text("#panel-card")
    for scenario, meaning in view.cards[target]["scenarios"]:
        assert scenario in card and meaning in card
    if name == "taxonomy":  # scenarios and sensations appear on demand as satellites
        card_data = view.cards[target]
        extra = len(card_data["scenarios"]) + len(card_data["sensations"])
        assert page.drawn() == [len(view.nodes) + extra, len(view.edges) + extra]

    other = next(c for c in sorted(view.cards) if c != target)
    before = page.js("() => network.getViewPosition()")
    page.page.fill("#search", view.cards[other]["label"])
    page.page.press("#search", "Enter")
    assert page.js("() => network.getSelectedNodes()") == [other]
    assert page.js("() => network.getViewPosition()") != before
    assert page.page.get_attribute("#panel-card", "data-dream") == other

    page.shot(f"view-{name}")
    assert page.errors == [] and page.requests == [] and page.dialogs == []


def test_next_stage_links_in_the_card_select_the_target(browser, corpus, tmp_path):
    path = write_view(taxonomy_view(corpus), tmp_path / "t.html")
    page = Page(browser, path)
    page.js("() => window.dreamgraph.select('dream:falling')")
    page.page.click("#panel-card button[data-target='dream:drowning']")
    assert page.js("() => network.getSelectedNodes()") == ["dream:drowning"]


def test_cluster_filter_hides_dreams_outside_the_cluster(browser, corpus, tmp_path):
    view = taxonomy_view(corpus)
    page = Page(browser, write_view(view, tmp_path / "t.html"))
    page.page.select_option("#cluster-filter", "cluster:fear")
    hidden = page.js("() => window.dreamgraph.nodes.get({filter: n => n.hidden}).map(n => n.id).sort()")
    assert hidden == sorted(n["id"] for n in view.nodes if "cluster:fear" not in n["clusters"])


def test_gap_view_lists_the_ranked_gaps(browser, corpus, tmp_path):
    page = Page(browser, write_view(views(corpus)["gaps"], tmp_path / "g.html"))
    items = page.page.locator("#gap-list li").all_inner_texts()
    assert items[0].startswith("missing-article") and "waking up" in items[0]


def test_legend_names_every_kind(browser, corpus, tmp_path):
    page = Page(browser, write_view(taxonomy_view(corpus), tmp_path / "t.html"))
    legend = page.page.inner_text("#legend")
    for kind in ("written dream", "stub (no article yet)", "cluster", "scenario", "sensation", "next stage"):
        assert kind in legend


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile") / "graph"
    report = build([FIXTURES / "hostile"], folder)
    assert report.articles == 1
    return open_store(folder)


@pytest.mark.parametrize("name", ["taxonomy", "dream"])
def test_article_text_with_html_and_script_shows_as_text_and_never_runs(browser, hostile, tmp_path, name):
    view = taxonomy_view(hostile) if name == "taxonomy" else dream_view(hostile, sorted(
        c["slug"] for c in taxonomy_view(hostile).cards.values() if not c["stub"])[0])
    html = render(view)
    assert "<script>window.pwned" not in html and "<img src=x" not in html
    path = tmp_path / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    page = Page(browser, path)
    written = next(c for c in view.cards if not view.cards[c]["stub"])
    page.js("id => window.dreamgraph.select(id)", written)
    # hover every node so each tooltip is rendered, then look for any sign of execution
    for node_id in page.js("() => window.dreamgraph.nodes.getIds()"):
        page.js("id => network.emit('showPopup', id)", node_id)
    card = page.page.inner_text("#panel-card")
    assert "<script>window.pwned='title'</script>" in card
    assert "<img src=x onerror=\"window.pwned='quick'; alert('quick')\">" in card
    assert "<img src=x onerror=\"alert('meaning')\"> meaning" in card
    assert page.js("() => window.pwned") is None
    assert page.dialogs == []
    assert page.page.title() == "Dream taxonomy · dreamgraph" if name == "taxonomy" else page.page.title().endswith(" · dreamgraph")
    assert page.js("() => document.querySelectorAll('#panel img, #panel script, #panel svg, #panel iframe').length") == 0
    page.shot(f"hostile-{name}")
    assert page.requests == []


def test_content_security_policy_hashes_every_script_and_allows_no_network(corpus):
    import base64
    import hashlib
    import re

    html = render(taxonomy_view(corpus))
    from html import unescape

    csp = unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1))
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp and "unsafe-eval" not in csp
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    assert len(scripts) == 2
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert not re.search(r"""(src|href)=["']?https?:""", html)


def test_the_policy_blocks_a_script_that_slipped_into_the_page(browser, corpus, tmp_path):
    html = render(taxonomy_view(corpus)).replace(
        "<main>", "<main><img src=x onerror=\"window.pwned='img'\"><script>window.pwned='inline'</script>", 1)
    path = tmp_path / "injected.html"
    path.write_text(html, encoding="utf-8")
    page = Page(browser, path)
    assert page.js("() => window.pwned") is None
    assert page.drawn()[0] == len(taxonomy_view(corpus).nodes)  # the page's own scripts still run


def test_rendering_is_deterministic(corpus):
    assert render(taxonomy_view(corpus)) == render(taxonomy_view(corpus))


def test_committed_sample_views_are_what_export_writes(tmp_path, cli, seed_graph, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("-g", seed_graph, "export", "--all")
    assert result.exit_code == 0, result.output
    for name in ("taxonomy.html", "gaps.html"):
        committed = ROOT / "exports" / name
        assert committed.is_file(), f"exports/{name} is missing: run `dreamgraph export --all` and commit it"
        assert (tmp_path / "exports" / name).read_bytes() == committed.read_bytes(), name


def test_views_are_written_as_utf8_whatever_the_locale(tmp_path, seed_graph):
    env = dict(os.environ, LC_ALL="C", LANG="C", PYTHONUTF8="0", PYTHONCOERCECLOCALE="0", PYTHONIOENCODING="ascii")
    out = tmp_path / "t.html"
    subprocess.run([sys.executable, "-m", "dreamgraph.cli", "-g", str(seed_graph), "export", "-o", str(out)],
                   check=True, env=env, capture_output=True)
    text = out.read_bytes().decode("utf-8")
    assert "©" in text and "Not Being Able to Run" in text


def test_export_refuses_a_non_html_output_for_a_view(cli, seed_graph, tmp_path):
    result = cli("-g", seed_graph, "export", "-o", tmp_path / "x.txt")
    assert result.exit_code == 1 and "must be written to a .html file" in result.stderr


def test_other_formats(cli, seed_graph, tmp_path):
    import csv
    import json

    import networkx as nx

    out = tmp_path / "t.graphml"
    assert cli("-g", seed_graph, "export", "-f", "graphml", "-o", out).exit_code == 0
    graph = nx.read_graphml(out)
    assert sorted(graph.nodes) == ["cluster:losing-control", "dream:being-chased-by-a-killer",
                                   "dream:losing-control", "dream:not-being-able-to-move", "dream:not-being-able-to-run"]
    assert graph.nodes["dream:not-being-able-to-run"]["kind"] == "dream"
    cli("-g", seed_graph, "export", "-f", "csv", "-o", tmp_path / "t.csv")
    nodes = list(csv.DictReader((tmp_path / "t-nodes.csv").open(encoding="utf-8")))
    edges = list(csv.DictReader((tmp_path / "t-edges.csv").open(encoding="utf-8")))
    assert len(nodes) == 5 and len(edges) == 4
    assert {e["kind"] for e in edges} == {"next", "member"}
    cli("-g", seed_graph, "export", "-f", "jsonld", "-o", tmp_path / "g.jsonld")
    document = json.loads((tmp_path / "g.jsonld").read_text(encoding="utf-8"))
    assert len(document["@graph"]) > 30 and document["@context"]["dg"].endswith("ontology#")
    cli("-g", seed_graph, "export", "-f", "ntriples", "-o", tmp_path / "g.nt")
    assert len((tmp_path / "g.nt").read_text(encoding="utf-8").splitlines()) == 240

