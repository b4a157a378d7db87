"""The HTML views in a real browser: Debian's Chromium, headless, driven by Playwright.

Every page is loaded from file:// and must draw, log no console error, make no network request and
answer a reader: a click shows a card and lights the dream's neighbourhood (fitted on screen), search
lists matches as one types, two dreams give the progression between them with its conditions, filters
dim what they leave out, the address holds the state and the back button steps back. The libraries:
the progression fixtures, the sample library, and a generated one of 1,000 articles shaped like a real
site. Screenshots go to test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from helpers import FIXTURES, ROOT
from dreamgraph.build import build
from dreamgraph.progression import progression_graph, shortest_progression, steps
from dreamgraph.connect import open_store
from dreamgraph.views import cluster_view, dream_view, gaps_view, path_view, render, taxonomy_view, write_view

CHROMIUM = os.environ.get("DREAMGRAPH_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
sys.path.insert(0, str(ROOT / "bench"))


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

    def __init__(self, browser, path: Path, width: int = 1280, height: int = 800, scheme: str = "light",
                 hash: str = ""):
        self.context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme,
                                           accept_downloads=True)
        self.page = self.context.new_page()
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
        self.page.goto(path.as_uri() + hash)
        self.page.wait_for_selector("body[data-drawn=true]", timeout=30_000)

    def js(self, expression, arg=None):
        return self.page.evaluate(expression, arg)

    def state(self):
        return self.js("() => dreamgraph.state()")

    def card(self, slug: str) -> str:
        self.page.wait_for_selector(f"#panel-card[data-dream='{slug}']", timeout=10_000)
        return self.page.inner_text("#panel-card")

    def point(self, slug: str):
        spot = self.js("slug => dreamgraph.screen(slug)", slug)
        return spot["x"], spot["y"]

    def click(self, slug: str, shift: bool = False):
        """Bring a dream into view, then click it as a reader would."""
        if not self.js("slug => dreamgraph.screen(slug).inside", slug):
            self.js("slug => { const n = dreamgraph.data.dreams.slug.indexOf(slug); network.moveTo({position: "
                    "{x: dreamgraph.data.dreams.x[n], y: dreamgraph.data.dreams.y[n]}, animation: false}); }", slug)
        x, y = self.point(slug)
        if shift:
            self.page.keyboard.down("Shift")
        self.page.mouse.click(x, y)
        if shift:
            self.page.keyboard.up("Shift")

    def pixel(self, x: float, y: float):
        """The colour drawn at a point of the page (from a screenshot, so it is what a reader sees)."""
        return self.pixels(x, y, 0)[0]

    def pixels(self, x: float, y: float, half: int):
        """The colours drawn in a square of ``2 * half + 1`` pixels round a point of the page."""
        side = 2 * half + 1
        return _png_pixels(self.page.screenshot(clip={"x": x - half, "y": y - half, "width": side, "height": side}))

    def shot(self, name):
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))

    def clean(self):
        return self.errors == [] and self.requests == [] and self.dialogs == []


def _png_pixels(data: bytes) -> list[tuple[int, int, int]]:
    """Return the RGB pixels of a small PNG as Chromium writes it (8-bit RGB or RGBA, filter 0 or 1 per row
    is enough for the flat colours of a canvas; other filters are undone too)."""
    import struct
    import zlib

    position, chunks, width, height, colour_type = 8, b"", 0, 0, 2
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, height, colour_type = struct.unpack(">II", body[:8]) + (body[9],)
        if kind == b"IDAT":
            chunks += body
        position += 12 + length
    raw, step = zlib.decompress(chunks), 4 if colour_type == 6 else 3
    stride, rows, previous = width * step, [], bytearray(width * step)
    for row in range(height):
        kind, line = raw[row * (stride + 1)], bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up, corner = previous[i], previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                guess = left + up - corner
                near = min((abs(guess - left), 0, left), (abs(guess - up), 1, up), (abs(guess - corner), 2, corner))
                line[i] = (line[i] + near[2]) & 255
        rows.append(line)
        previous = line
    return [tuple(line[i:i + 3]) for line in rows for i in range(0, stride, step)]


def _lit_expected(graph: nx.DiGraph, slug: str, depth: int) -> list[str]:
    return sorted(nx.ego_graph(graph.to_undirected(as_view=True), slug, radius=depth))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("views") / "graph"
    build([FIXTURES / "progression"], folder)
    return open_store(folder)


@pytest.fixture(scope="module")
def sample(sample_graph):
    return open_store(sample_graph)


@pytest.fixture(scope="module")
def sample_pages(sample, tmp_path_factory):
    from dreamgraph.gaps import find_gaps

    folder = tmp_path_factory.mktemp("sample-pages")
    return {"taxonomy": write_view(taxonomy_view(sample), folder / "taxonomy.html"),
            "gaps": write_view(gaps_view(sample, find_gaps(sample)), folder / "gaps.html")}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A 1,000-article library shaped like a real site (bench/realistic.py), built and exported."""
    from generate import generate

    from dreamgraph.gaps import find_gaps

    folder = tmp_path_factory.mktemp("generated")
    generate(1000, folder / "articles", seed=3)
    build([folder / "articles"], folder / "graph")
    store = open_store(folder / "graph")
    return {"store": store, "graph": progression_graph(store),
            "taxonomy": write_view(taxonomy_view(store), folder / "taxonomy.html"),
            "gaps": write_view(gaps_view(store, find_gaps(store)), folder / "gaps.html")}


def views(store):
    from dreamgraph.gaps import find_gaps

    return {
        "taxonomy": taxonomy_view(store),
        "dream": dream_view(store, "falling", hops=1),
        "cluster": cluster_view(store, "falling"),
        "path": path_view(store, "being-chased", "waking-up"),
        "gaps": gaps_view(store, find_gaps(store)),
    }


# --- every view: draws, answers a click and a search, offline and without errors --------------------------------

@pytest.mark.parametrize("name", ["taxonomy", "dream", "cluster", "path", "gaps"])
def test_each_view_draws_offline_and_answers_clicks_and_search(browser, corpus, tmp_path, name):
    view = views(corpus)[name]
    page = Page(browser, write_view(view, tmp_path / f"{name}.html"))
    dreams = sorted(n["slug"] for n in view.nodes if n["kind"] in ("dream", "stub"))
    satellites = [n for n in view.nodes if n["kind"] in ("scenario", "sensation")]
    assert page.js("() => dreamgraph.data.dreams.slug.slice().sort()") == dreams
    assert page.js("() => dreamgraph.data.satellites.length") == len(satellites)
    assert page.js("() => dreamgraph.data.edges.length / 2") == sum(e["kind"] == "next" for e in view.edges)
    background = page.pixel(5, 795)
    for slug in dreams:  # every dream is drawn where it is said to be
        if page.js("slug => dreamgraph.screen(slug).inside", slug):
            spot = page.js("slug => dreamgraph.screen(slug)", slug)
            assert set(page.pixels(spot["x"], spot["y"], int(spot["r"]) + 2)) - {background}, slug

    page.js("() => dreamgraph.clear()")
    target = "falling" if "falling" in dreams else dreams[0]
    page.click(target)
    card = page.card(target)
    for scenario, meaning in view.cards[f"dream:{target}"]["scenarios"]:
        assert scenario in card and meaning in card
    assert page.state()["dream"] == target

    other = next(d for d in dreams if d != target and not d.startswith("waking"))
    before = page.js("() => network.getViewPosition()")
    page.page.fill("#search", view.cards[f"dream:{other}"]["label"])
    page.page.press("#search", "Enter")
    page.card(other)
    assert page.state()["dream"] == other
    assert page.js("() => network.getViewPosition()") != before
    page.shot(f"view-{name}")
    assert page.clean(), (page.errors, page.requests, page.dialogs)


def test_a_dream_view_opens_on_its_dream_with_scenarios_round_it(browser, corpus, tmp_path):
    view = dream_view(corpus, "falling", hops=2)
    page = Page(browser, write_view(view, tmp_path / "dream.html"))
    assert page.state()["dream"] == "falling" and page.state()["depth"] == 2
    assert "Falling" in page.card("falling")
    assert page.js("() => dreamgraph.data.satellites.length") == len(view.cards["dream:falling"]["scenarios"]) + len(
        view.cards["dream:falling"]["sensations"])


# --- focus and context ------------------------------------------------------------------------------------------------

def test_a_selection_lights_its_neighbourhood_and_dims_the_rest(browser, sample, sample_pages):
    graph = progression_graph(sample)
    page = Page(browser, sample_pages["taxonomy"])
    far = "losing-your-phone"  # not next to being-chased
    assert far not in _lit_expected(graph, "being-chased", 1)
    x, y = page.point(far)
    before = page.pixel(x, y)
    where = page.js("() => [network.getViewPosition(), network.getScale()]")
    page.click("being-chased")
    page.card("being-chased")
    assert page.js("() => dreamgraph.lit()") == _lit_expected(graph, "being-chased", 1)
    page.js("w => network.moveTo({position: w[0], scale: w[1], animation: false})", where)  # the same picture as before
    page.js("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    after = page.pixel(x, y)
    assert sum(after) > sum(before) + 60, (before, after)  # the veil pales what is not lit
    page.shot("focus-being-chased")
    assert page.clean()


def test_the_depth_slider_lights_one_to_three_links(browser, sample, sample_pages):
    graph = progression_graph(sample)
    page = Page(browser, sample_pages["taxonomy"])
    page.js("() => dreamgraph.select('falling')")
    page.card("falling")
    for depth in (2, 3, 1):
        page.page.fill("#depth", str(depth))
        page.page.dispatch_event("#depth", "input")
        assert page.state()["depth"] == depth
        assert page.js("() => dreamgraph.lit()") == _lit_expected(graph, "falling", depth)
    assert page.clean()


def test_the_view_fits_every_neighbour_on_screen(browser, generated):
    page = Page(browser, generated["taxonomy"])
    graph = generated["graph"]
    hub = max((n for n in graph if not graph.nodes[n]["stub"]), key=lambda n: (graph.degree(n), n))
    page.click(hub)
    page.card(hub)
    lit = page.js("() => dreamgraph.lit()")
    assert set(lit) == set(_lit_expected(graph, hub, 1))
    assert graph.successors(hub) and graph.predecessors(hub)
    outside = [slug for slug in lit if not page.js("slug => dreamgraph.screen(slug).inside", slug)]
    assert outside == []
    page.shot("generated-focus")
    assert page.clean()


def test_escape_and_a_click_on_empty_canvas_clear_the_selection(browser, sample_pages):
    page = Page(browser, sample_pages["taxonomy"])
    page.js("() => dreamgraph.select('water')")
    page.card("water")
    page.page.keyboard.press("Escape")
    assert page.state()["dream"] is None and page.js("() => dreamgraph.lit()") is None
    page.js("() => dreamgraph.select('water')")
    page.card("water")
    page.page.mouse.click(5, 300)  # the left edge of the canvas: outside every region
    assert page.state()["dream"] is None
    assert page.clean()


def test_the_card_shows_next_stages_with_conditions_and_its_links_select_them(browser, sample, sample_pages):
    page = Page(browser, sample_pages["taxonomy"])
    page.js("() => dreamgraph.select('falling')")
    card = page.card("falling")
    graph = progression_graph(sample)
    for target in graph.successors("falling"):
        assert graph.edges["falling", target]["condition"] in card
        if graph.edges["falling", target]["gloss"]:
            assert graph.edges["falling", target]["gloss"] in card
    page.page.click("#panel-card button[data-target='flying']")
    assert "Flying" in page.card("flying")
    assert page.clean()


# --- progressions in the page ------------------------------------------------------------------------------------------

def test_two_shift_clicked_dreams_give_the_progression_with_every_condition(browser, sample, sample_pages):
    graph = progression_graph(sample)
    page = Page(browser, sample_pages["taxonomy"])
    page.click("losing-control")
    page.card("losing-control")
    page.click("drowning", shift=True)
    page.page.wait_for_selector("#panel-card[data-path='losing-control>drowning']")
    expected = shortest_progression(graph, "losing-control", "drowning")
    assert page.js("() => dreamgraph.path()") == expected
    text = page.page.inner_text("#panel-card")
    for step in steps(graph, expected):
        assert step["condition"] in text
    assert f"({len(expected) - 1} steps)" in text
    assert page.state()["from"] == "losing-control" and page.state()["to"] == "drowning"
    page.shot("path-in-page")
    assert page.clean()


def test_the_card_buttons_pick_the_two_ends(browser, sample, sample_pages):
    page = Page(browser, sample_pages["taxonomy"])
    page.js("() => dreamgraph.select('falling')")
    page.card("falling")
    page.page.click("#panel-card button[data-action=from]")
    page.page.wait_for_selector("#panel-card[data-path=pending]")
    page.js("() => dreamgraph.select('drowning')")
    page.card("drowning")
    page.page.click("#panel-card button[data-action=to]")
    page.page.wait_for_selector("#panel-card[data-path='falling>drowning']")
    assert page.js("() => dreamgraph.path()") == shortest_progression(progression_graph(sample), "falling", "drowning")


def test_no_progression_is_said_plainly_with_the_reason(browser, sample_pages):
    page = Page(browser, sample_pages["taxonomy"])
    page.js("() => dreamgraph.progression('trying-to-scream', 'falling')")
    page.page.wait_for_selector("#panel-card[data-path=none]")
    text = page.page.inner_text("#panel-card")
    assert "No progression from trying-to-scream to falling" in text and "dead end" in text
    page.js("() => dreamgraph.progression('losing-control', 'losing-your-phone')")
    page.page.wait_for_selector("#panel-card[data-path=none]")
    assert "cannot be reached" in page.page.inner_text("#panel-card")


def test_the_path_view_lists_its_steps_and_conditions(browser, sample, tmp_path):
    graph = progression_graph(sample)
    page = Page(browser, write_view(path_view(sample, "falling", "drowning"), tmp_path / "path.html"))
    page.page.wait_for_selector("#panel-card[data-path='falling>drowning']")
    text = page.page.inner_text("#panel-card")
    for step in steps(graph, shortest_progression(graph, "falling", "drowning")):
        assert step["condition"] in text and step["to_label"] in text
    assert page.clean()


def test_export_of_a_path_that_does_not_exist_fails_like_the_path_command(cli, sample_graph, tmp_path):
    said = cli("-g", sample_graph, "path", "trying-to-scream", "falling")
    assert said.exit_code == 0 and "no progression from trying-to-scream to falling" in said.output
    result = cli("-g", sample_graph, "export", "--view", "path", "--from", "trying-to-scream", "--to", "falling",
                 "-o", tmp_path / "p.html")
    assert result.exit_code == 1 and "no progression from trying-to-scream to falling" in result.stderr
    assert not (tmp_path / "p.html").exists()


# --- search ------------------------------------------------------------------------------------------------------------

def test_search_lists_matches_as_one_types_and_the_keyboard_chooses(browser, sample_pages):
    page = Page(browser, sample_pages["taxonomy"])
    page.page.click("#search")
    page.page.keyboard.type("chas")
    options = page.page.locator("#search-list li").all_inner_texts()
    assert options and all("chas" in o.lower() for o in options[:3])
    assert any(o.startswith("being chased") and "cluster" in o for o in options)  # clusters are found too
    second = page.page.locator("#search-list li").nth(1).get_attribute("data-slug")
    page.page.keyboard.press("ArrowDown")
    assert page.page.locator("#search-list li").nth(1).get_attribute("aria-selected") == "true"
    page.page.keyboard.press("Enter")
    state = page.state()
    assert second in (state["dream"], state["cluster"])
    assert page.page.locator("#search-list").is_hidden()
    assert page.clean()


@pytest.mark.parametrize("typed, found", [("teeth crumblng", "teeth-crumbling"), ("sleep paralysis", "not-being-able-to-move"),
                                         ("a tidal", "a-tidal-wave"), ("being-late", "being-late")])
def test_search_forgives_slips_and_knows_aliases_and_slugs(browser, sample_pages, typed, found):
    page = Page(browser, sample_pages["taxonomy"])
    page.page.fill("#search", typed)
    assert page.page.locator("#search-list li").first.get_attribute("data-slug") == found


def test_search_says_when_nothing_matches(browser, sample_pages):
    page = Page(browser, sample_pages["taxonomy"])
    page.page.fill("#search", "xylophone quartz")
    assert page.page.locator("#search-list").is_hidden()
    assert "No dream or cluster matches “xylophone quartz”" in page.page.inner_text("#search-status")
    page.page.press("#search", "Enter")
    assert page.state()["dream"] is None


# --- clusters and filters ------------------------------------------------------------------------------------------------

def test_a_click_on_a_cluster_region_opens_its_card_and_zooms_to_it(browser, sample, sample_pages):
    page = Page(browser, sample_pages["taxonomy"])
    region = page.js("() => dreamgraph.region('water')")
    scale = page.js("() => network.getScale()")
    page.page.mouse.click(region["x"] + region["r"] * 0.55, region["y"] + region["r"] * 0.55)  # inside, off the dots
    page.page.wait_for_selector("#panel-card[data-cluster=water]")
    text = page.page.inner_text("#panel-card")
    assert "water" in text.lower() and "Hub article" in text and "Drowning" in text
    assert page.js("() => network.getScale()") > scale
    assert page.state()["cluster"] == "water"


def test_the_cluster_filter_dims_the_rest_keeps_linked_stubs_and_refits(browser, sample, sample_pages):
    graph = progression_graph(sample)
    page = Page(browser, sample_pages["taxonomy"])
    page.page.select_option("#cluster-filter", "being-chased")
    members = {n for n in graph if "being-chased" in graph.nodes[n]["clusters"]}
    stubs = {t for m in members for t in graph.successors(m) if graph.nodes[t]["stub"]}
    assert "being-chased-by-a-killer" in stubs
    assert page.js("() => dreamgraph.lit()") == sorted(members | stubs)
    assert all(page.js("slug => dreamgraph.screen(slug).inside", s) for s in members | stubs)
    page.page.select_option("#cluster-filter", "")
    assert page.js("() => dreamgraph.lit()") is None


def test_filters_by_kind_combine_with_the_cluster(browser, sample, sample_pages):
    graph = progression_graph(sample)
    page = Page(browser, sample_pages["taxonomy"])
    page.page.click("#kind-filter summary")
    page.page.check("#kind-options input[data-kind=stub]")
    stubs = sorted(n for n in graph if graph.nodes[n]["stub"])
    assert page.js("() => dreamgraph.lit()") == stubs
    page.page.check("#kind-options input[data-kind=partial]")
    assert page.js("() => dreamgraph.lit()") == sorted(stubs + ["stairs-that-lead-nowhere"])
    page.page.select_option("#cluster-filter", "being-chased")
    members = {n for n in graph if "being-chased" in graph.nodes[n]["clusters"]}
    linked = sorted({t for m in members for t in graph.successors(m) if graph.nodes[t]["stub"]})
    assert "being-chased-by-a-killer" in linked
    assert page.js("() => dreamgraph.lit()") == linked
    assert page.state()["filter"] == ["stub", "partial"]


# --- the gap view -----------------------------------------------------------------------------------------------------

def test_gap_marks_are_one_per_kind_and_never_the_selection_or_path_colour(browser, sample_pages):
    page = Page(browser, sample_pages["gaps"])
    marks = page.js("() => dreamgraph.data.gapMarks")
    colours = [m[0].lower() for m in marks.values()]
    letters = [m[1] for m in marks.values()]
    assert len(set(colours)) == len(colours) and len(set(letters)) == len(letters)
    select, path = page.js("""() => { const s = getComputedStyle(document.documentElement);
        return [s.getPropertyValue('--select').trim().toLowerCase(), s.getPropertyValue('--path').trim().toLowerCase()]; }""")
    assert select not in colours and path not in colours
    legend = page.page.inner_text("#legend")
    for kind in page.js("() => dreamgraph.data.gapKinds"):
        assert kind in legend


def test_the_gap_list_is_grouped_by_kind_sorted_by_score_and_a_gap_focuses_its_dream(browser, sample, sample_pages):
    from dreamgraph.gaps import KINDS, find_gaps

    gaps = find_gaps(sample)
    page = Page(browser, sample_pages["gaps"])
    groups = page.page.locator("#gap-list details")
    kinds = [groups.nth(i).get_attribute("data-kind") for i in range(groups.count())]
    assert kinds == [k for k in KINDS if any(g.kind == k for g in gaps)]
    first = page.page.locator("#gap-list details[data-kind=missing-article] li")
    scores = [float(t.split()[0]) for t in first.all_inner_texts()]
    assert scores == sorted(scores, reverse=True) and len(scores) == sum(g.kind == "missing-article" for g in gaps)
    page.page.click("#gap-list details[data-kind=missing-article] button[data-gap]")
    card = page.card("being-chased-by-a-killer")
    assert "missing-article" in card and "000_92aebca6ef1c887d.txt:67" in card  # the evidence, file and line
    page.shot("gaps-focus")
    assert page.clean()


def test_the_kind_filter_of_the_gap_view_lights_the_dreams_with_that_gap(browser, sample, sample_pages):
    from dreamgraph.gaps import find_gaps

    page = Page(browser, sample_pages["gaps"])
    page.page.click("#kind-filter summary")
    page.page.check("#kind-options input[data-kind=dead-end]")
    assert page.js("() => dreamgraph.lit()") == sorted(g.node for g in find_gaps(sample) if g.kind == "dead-end")


# --- the address, history, keyboard, picture -------------------------------------------------------------------------

def test_the_address_holds_the_state_and_the_back_button_steps_back(browser, sample_pages):
    page = Page(browser, sample_pages["taxonomy"])
    page.js("() => dreamgraph.select('falling')")
    page.card("falling")
    page.js("() => dreamgraph.select('flying')")
    page.card("flying")
    assert page.page.url.endswith("#dream=flying")
    page.page.go_back()
    page.card("falling")
    assert page.state()["dream"] == "falling"
    page.page.go_back()
    page.page.wait_for_selector("#panel-card .hint")
    assert page.state()["dream"] is None

    again = Page(browser, sample_pages["taxonomy"], hash="#dream=being-chased&depth=2&filter=stub")
    again.card("being-chased")
    assert again.state() == {"dream": "being-chased", "depth": 2, "cluster": None, "from": None, "to": None,
                             "filter": ["stub"], "hash": "#dream=being-chased&depth=2&filter=stub"}
    path = Page(browser, sample_pages["taxonomy"], hash="#from=falling&to=drowning")
    path.page.wait_for_selector("#panel-card[data-path='falling>drowning']")
    assert page.clean() and again.clean() and path.clean()


def test_keyboard_pans_zooms_and_fits_and_the_buttons_do_too(browser, sample_pages):
    page = Page(browser, sample_pages["taxonomy"])
    page.page.focus("#graph")
    start, scale = page.js("() => network.getViewPosition()"), page.js("() => network.getScale()")
    page.page.keyboard.press("ArrowRight")
    assert page.js("() => network.getViewPosition()")["x"] > start["x"]
    page.page.keyboard.press("+")
    assert page.js("() => network.getScale()") > scale
    page.page.click("#zoom-out")
    page.page.click("#zoom-out")
    assert page.js("() => network.getScale()") < scale * 1.3
    page.page.click("#fit")
    assert abs(page.js("() => network.getScale()") - scale) < 0.01


def test_png_export_saves_what_is_on_screen(browser, sample_pages, tmp_path):
    page = Page(browser, sample_pages["taxonomy"])
    with page.page.expect_download() as download:
        page.page.click("#png")
    target = tmp_path / "view.png"
    download.value.save_as(target)
    data = target.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 5000
    assert page.requests == []


def test_the_legend_explains_every_mark_with_counts(browser, sample, sample_pages):
    graph = progression_graph(sample)
    page = Page(browser, sample_pages["taxonomy"])
    legend = page.page.inner_text("#legend")
    written = sum(not d["stub"] for _, d in graph.nodes(data=True))
    for text in (f"written dream ({written})", f"stub, no article yet ({len(graph) - written})", "partial article",
                 "cluster (7)", f"next stage ({graph.number_of_edges()})", "size: PageRank", "selected", "progression step"):
        assert text in legend, text
    assert page.page.get_attribute("#panel-card", "aria-live") == "polite"


def test_a_narrow_screen_gets_a_drawer_and_a_usable_graph(browser, sample_pages):
    page = Page(browser, sample_pages["taxonomy"], width=390, height=844)
    width = page.js("() => document.querySelector('#graph canvas').getBoundingClientRect().width")
    assert width >= 380
    panel = page.js("() => { const r = document.querySelector('#panel').getBoundingClientRect(); return [r.width, r.top]; }")
    assert panel[0] >= 380 and panel[1] > 600  # a drawer along the bottom, closed
    page.click("falling")
    page.card("falling")
    assert page.js("() => document.querySelector('#panel').classList.contains('open')")
    page.shot("narrow-390")
    assert page.clean()


def test_a_dark_colour_scheme_follows_the_system(browser, sample_pages):
    page = Page(browser, sample_pages["taxonomy"], scheme="dark")
    background = page.js("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(17, 22, 29)"
    page.js("() => dreamgraph.select('falling')")
    page.card("falling")
    page.shot("dark-focus")
    assert page.clean()


# --- at size ------------------------------------------------------------------------------------------------------------

def test_a_generated_library_of_1000_articles_reads_at_the_overview(browser, generated):
    page = Page(browser, generated["gaps"])
    clusters = page.js("() => dreamgraph.data.clusters.length")
    assert clusters >= 15
    assert page.js("() => dreamgraph.data.dreams.slug.length") == len(generated["graph"])
    page.page.fill("#search", "falling from")
    first = page.page.locator("#search-list li").first.get_attribute("data-slug")
    page.page.press("#search", "Enter")
    page.card(first)
    page.shot("generated-gaps-search")
    assert page.clean()


# --- text is data ---------------------------------------------------------------------------------------------------------

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
    written = next(c["slug"] for c in view.cards.values() if not c["stub"])
    page.js("slug => dreamgraph.select(slug)", written)
    card = page.card(written)
    for slug in page.js("() => dreamgraph.data.dreams.slug"):  # every tooltip rendered
        page.js("() => dreamgraph.clear()")
        page.page.mouse.move(*page.point(slug))
        page.page.wait_for_function("() => !document.querySelector('#tip').hidden")
    page.page.fill("#search", "script")  # every match in the list rendered
    assert "<script>window.pwned='title'</script>" in card
    assert "<img src=x onerror=\"window.pwned='quick'; alert('quick')\">" in card
    assert "<img src=x onerror=\"alert('meaning')\"> meaning" in card
    assert page.js("() => window.pwned") is None
    assert page.dialogs == []
    assert page.js("() => document.querySelectorAll('#panel img, #panel script, #panel svg, #panel iframe, "
                   "#search-list img, #search-list script, #tip *').length") == 0
    page.shot(f"hostile-{name}")
    assert page.requests == []


def test_a_hostile_web_page_shows_as_text_and_its_card_links_to_the_page(browser, tmp_path):
    import shutil

    folder = tmp_path / "site"
    folder.mkdir()
    for name in ("hostile.html", "wordpress-theme.html"):
        shutil.copy(FIXTURES / "html" / name, folder / name)
    report = build([folder], tmp_path / "graph")
    assert report.articles == 2
    store = open_store(tmp_path / "graph")
    path = tmp_path / "doors.html"
    path.write_text(render(taxonomy_view(store)), encoding="utf-8")
    page = Page(browser, path)
    page.js("() => dreamgraph.select('doors')")
    card = page.card("doors")
    assert "<img src=x onerror=alert(2)>" in card  # the subtitle, as text
    assert "A door is a choice." in card and "{{constructor.constructor('alert(5)')()}} is text" in card
    assert '"}]}); alert(8); //' in card
    assert page.js("() => document.querySelectorAll('#panel img, #panel script, #panel svg, #panel iframe').length") == 0
    assert page.dialogs == [] and page.requests == []
    page.js("() => dreamgraph.select('not-being-able-to-run')")
    card = page.card("not-being-able-to-run")
    link = page.page.query_selector("#panel-card a.page-url")
    assert link is not None and "Page: https://dreamatlas.example/dream-about-not-being-able-to-run-meaning/" in card
    assert link.get_attribute("href") == "https://dreamatlas.example/dream-about-not-being-able-to-run-meaning/"
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert page.clean(), (page.errors, page.requests, page.dialogs)
    page.shot("web-page-card")


def test_content_security_policy_hashes_every_script_and_allows_no_network(corpus):
    import base64
    import hashlib
    import re
    from html import unescape

    html = render(taxonomy_view(corpus))
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
    assert page.js("() => dreamgraph.data.dreams.slug.length") == len(progression_graph(corpus))


# --- the files ---------------------------------------------------------------------------------------------------------

def test_rendering_is_deterministic(corpus):
    assert render(taxonomy_view(corpus)) == render(taxonomy_view(corpus))


def test_the_gap_report_made_from_the_taxonomy_is_the_page_made_alone(generated):
    """`export --all` makes the gap report from the taxonomy view (its layout and packed cards shared):
    both pages are those the two views give made one at a time, byte for byte."""
    from dreamgraph.gaps import find_gaps
    from dreamgraph.views import standard_views

    store = generated["store"]
    (taxonomy, _), (gaps, _) = standard_views(store)
    assert gaps.cards is taxonomy.cards and gaps.prepared is taxonomy.prepared
    assert render(taxonomy) == generated["taxonomy"].read_text(encoding="utf-8")
    assert "cards" in taxonomy.prepared and render(gaps) == generated["gaps"].read_text(encoding="utf-8")
    alone = gaps_view(store, find_gaps(store))
    assert render(alone) == render(gaps) and alone.prepared is not taxonomy.prepared


def test_a_view_drawn_again_after_nodes_are_added_places_them(corpus):
    """What drawing a view worked out is reused only for the same nodes: satellites added after a first
    drawing are placed in the second."""
    from dreamgraph.views.data import add_satellites
    from dreamgraph.views.html import payload

    view = dream_view(corpus, "falling", hops=1)
    view.nodes = [n for n in view.nodes if n["kind"] not in ("scenario", "sensation")]
    view.edges = [e for e in view.edges if e["kind"] not in ("scenario", "sensation")]
    render(view)
    add_satellites(view, "dream:falling")
    drawn = payload(view)["satellites"]
    assert [s["label"] for s in drawn][:2] == ["Falling off a cliff", "Falling through a floor"]
    assert all({"x", "y"} <= n.keys() for n in view.nodes) and len({(s["x"], s["y"]) for s in drawn}) == len(drawn)


def test_exports_do_not_depend_on_the_hash_seed(tmp_path, sample_graph):
    pages = []
    for seed in ("1", "2"):
        out = tmp_path / f"taxonomy-{seed}.html"
        subprocess.run([sys.executable, "-m", "dreamgraph.cli", "-g", str(sample_graph), "export", "-o", str(out)],
                       check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed})
        gaps = tmp_path / f"gaps-{seed}.html"
        subprocess.run([sys.executable, "-m", "dreamgraph.cli", "-g", str(sample_graph), "export", "-v", "gaps", "-o",
                        str(gaps)], check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed})
        pages.append((out.read_bytes(), gaps.read_bytes()))
    assert pages[0] == pages[1]


def test_committed_sample_views_are_what_export_writes(tmp_path, cli, sample_graph, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("-g", sample_graph, "export", "--all")
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


def test_a_large_view_stays_small_enough_to_open(generated):
    size = generated["taxonomy"].stat().st_size
    assert size < 3_000_000, size  # 1,000 articles; the cards are packed (10,000: about 10 MB, bench/views.py)


def test_other_formats(cli, seed_graph, tmp_path):
    import csv
    import json

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
    assert len((tmp_path / "g.nt").read_text(encoding="utf-8").splitlines()) == 223


def test_a_view_shows_itself_inline_in_a_notebook(browser, sample, tmp_path):
    """What Jupyter does with ``Page(view)``: its ``_repr_html_`` put into the notebook's page. The view draws
    inside its sandboxed iframe, offline, without errors, with every dream."""
    from dreamgraph.views import Page as NotebookPage

    cell = NotebookPage(taxonomy_view(sample), height=600)._repr_html_()
    notebook = tmp_path / "notebook.html"
    notebook.write_text(f"<!DOCTYPE html><html><body><h1>A notebook</h1>{cell}</body></html>", encoding="utf-8")
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://")
               else (requests.append(r.request.url), r.abort()))
    page.goto(notebook.as_uri())
    frame = page.frame_locator("iframe")
    frame.locator("body[data-drawn=true]").wait_for(timeout=30_000)
    assert page.locator("iframe").bounding_box()["height"] == 600
    inner = page.frames[1]
    assert inner.evaluate("() => dreamgraph.data.dreams.slug.length") == 44
    assert (errors, requests) == ([], [])
    context.close()



def test_the_regions_free_spot_is_the_first_of_the_spiral_that_fits():
    """views.layout._free_spot tries the sunflower spiral's spots a batch at a time: the spot it returns is
    the one a search trying them one by one finds, on random regions."""
    import numpy as np

    from dreamgraph.views.layout import _free_spot, sunflower

    def one_by_one(wish, step, others, room):
        for k in range(100000):
            spot = wish + (sunflower(k, step) if k else (0, 0))
            if not len(others) or np.all(np.hypot(*(others - spot).T) >= room):
                return spot
        return spot

    rng = np.random.default_rng(5)
    far = 0
    for _ in range(200):
        count = int(rng.integers(0, 60))
        others, room = rng.normal(0, 300, size=(count, 2)), rng.uniform(20, 250, size=count)
        wish, step = rng.normal(0, 300, size=2), float(rng.uniform(3, 40))
        expected = one_by_one(wish, step, others, room)
        far += bool(np.hypot(*(expected - wish)) > 40 * step)  # found past the first batch of 256 spots
        assert np.array_equal(_free_spot(wish, step, others, room), expected)
    assert far > 0


def test_a_region_is_put_at_the_first_free_spot_of_its_spiral_whatever_lies_far_away():
    import numpy as np

    from dreamgraph.views.layout import _free_spot, sunflower

    def first_free(wish, step, others, room, tries):  # every spot against every other, one at a time
        for k in range(tries):
            spot = wish + (np.array(sunflower(k, step), dtype=float) if k else np.zeros(2))
            if all(np.hypot(*(other - spot)) >= r for other, r in zip(others, room)):
                return spot
        return spot

    rng = np.random.default_rng(11)
    for _ in range(150):
        count = int(rng.integers(1, 40))
        others, room = rng.uniform(-400, 400, (count, 2)), rng.uniform(1, 150, count)
        wish, step, batch = rng.uniform(-100, 100, 2), float(rng.uniform(2, 20)), int(rng.integers(1, 300))
        assert _free_spot(wish, step, others, room, tries=2000, batch=batch).tolist() == \
            first_free(wish, step, others, room, 2000).tolist()
