"""Measure the HTML views in headless Chromium, as a reader uses them, on generated libraries.

    python bench/views.py --sizes 1000,10000 [--work DIR] [--loads 3] [--shape realistic]

For each size a library is generated (bench/generate.py, seeded) and built, the taxonomy and gaps views
are exported, and each page is loaded fresh ``--loads`` times in Debian's Chromium. Measured per load,
inside the page from the input event's own time stamp to the next painted frame after the page answered:

- first draw: navigation start to the first drawn frame;
- click → card: a mouse click on a dream to its card filled and the neighbourhood lit and drawn;
- search → focus: Enter in the search box (the name typed) to the dream's card and focus drawn;
- filter: choosing a cluster in the menu to the dimmed, refitted picture drawn;
- path: a progression between two dreams asked for, to its steps listed and drawn;
- JS heap: the page's used JavaScript heap after the first draw.

The table gives medians, with the slowest load and the ratio to the baseline in brackets. The baseline, measured in the same run, is the
plain pyvis page of the same taxonomy: pyvis's own template with every dream, cluster and next stage as
vis-network nodes and edges, at the same fixed positions with physics off (pyvis's default physics takes
minutes to settle at this size). Its first draw and its click → selection drawn (vis-network's own
highlight; it has no card) are beside ours as ratios, plain / dreamgraph.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FRAME = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))"
ARM = """kind => {  // remember the time stamp of the next input event of this kind
  window.__t0 = null;
  document.addEventListener(kind, e => { if (window.__t0 === null) window.__t0 = e.timeStamp; }, {capture: true, once: true});
}"""
DONE = """async selector => {  // wait for the answer, then for the frame that shows it
  while (!document.querySelector(selector)) await new Promise(r => setTimeout(r, 2));
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  return performance.now() - window.__t0;
}"""


def build(size: int, work: Path, shape: str) -> Path:
    library, graph = work / f"library-{shape}-{size}", work / f"graph-{shape}-{size}"
    if not (library / "articles").is_dir():
        generate(size, library / "articles", shape=shape)
    if not (graph / "dreamgraph.ttl").is_file():
        subprocess.run(["dreamgraph", "build", str(library / "articles"), "-g", str(graph), "-q"], check=False,
                       capture_output=True)
    for view in ("taxonomy", "gaps"):
        subprocess.run(["dreamgraph", "-g", str(graph), "export", "-v", view, "-o", str(graph / f"{view}.html")],
                       check=True, capture_output=True)
    return graph


def plain_page(graph: Path) -> Path:
    """Write the plain pyvis page of the taxonomy: pyvis's template, the same positions, physics off."""
    from pyvis.network import Network

    from dreamgraph.connect import open_store
    from dreamgraph.views import taxonomy_view
    from dreamgraph.views.layout import place

    view = taxonomy_view(open_store(graph))
    place(view)
    network = Network(directed=True, cdn_resources="in_line", height="800px", width="100%")
    network.nodes = [{"id": n["id"], "label": n["label"], "title": n["label"], "x": n["x"], "y": n["y"],
                      "shape": "diamond" if n["kind"] == "cluster" else "dot", "size": 10} for n in view.nodes]
    network.edges = [{"from": e["from"], "to": e["to"], "arrows": "to"} for e in view.edges]
    network.toggle_physics(False)
    target = graph / "plain-pyvis.html"
    network.write_html(str(target))
    return target


def measure_plain(browser, page_path: Path) -> dict:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort())
    page.add_init_script("""(() => { let made; Object.defineProperty(window, 'network', { configurable: true,
        get() { return made; },
        set(value) { made = value; value.once('afterDrawing', () => { window.__firstDraw = performance.now(); }); } }); })()""")
    page.goto(page_path.as_uri())
    page.wait_for_function("() => window.__firstDraw", timeout=300_000)
    first = page.evaluate("() => window.__firstDraw") / 1000
    node = page.evaluate("() => network.body.nodeIndices.find(id => id.startsWith('dream:'))")
    page.evaluate("id => network.moveTo({position: network.getPositions([id])[id], scale: 1.5, animation: false})", node)
    page.evaluate(FRAME)
    point = page.evaluate("""id => { const p = network.canvasToDOM(network.getPositions([id])[id]);
        const r = document.querySelector('#mynetwork canvas').getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""", node)
    page.evaluate(ARM, "pointerdown")
    page.evaluate("() => { window.__drawn = null; network.once('select', () => network.once('afterDrawing', () => { window.__drawn = performance.now(); })); }")
    page.mouse.click(*point)
    page.wait_for_function("() => window.__drawn !== null", timeout=120_000)
    click = page.evaluate("() => window.__drawn - window.__t0")
    page.close()
    return {"first draw": first, "click → card": click}


def measure(browser, page_path: Path) -> dict:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    started = time.perf_counter()
    page.goto(page_path.as_uri())
    page.wait_for_selector("body[data-drawn=true]", timeout=120_000)
    first = page.evaluate("() => performance.getEntriesByName('dreamgraph-drawn')[0].startTime") / 1000
    result = {"first draw": first, "load wall": time.perf_counter() - started,
              "heap": page.evaluate("() => performance.memory ? performance.memory.usedJSHeapSize : 0") / 2 ** 20}
    result["redraw"] = page.evaluate("() => { const t = performance.now(); network.redraw(); return performance.now() - t; }")
    data = page.evaluate("""() => { const d = dreamgraph.data.dreams; let best = 0;
        for (let i = 1; i < d.rank.length; i++) if (d.rank[i] > d.rank[best] && !d.stub[i]) best = i;
        let other = d.slug.findIndex((s, i) => i !== best && !d.stub[i]);
        return {dream: d.slug[best], label: d.label[best], other: d.slug[other],
                cluster: dreamgraph.data.clusters.length ? dreamgraph.data.clusters[0].slug : null}; }""")
    # click → card: put the dream in the middle, then click it like a reader
    page.evaluate("slug => { const n = dreamgraph.data.dreams.slug.indexOf(slug); network.moveTo({position: "
                  "{x: dreamgraph.data.dreams.x[n], y: dreamgraph.data.dreams.y[n]}, scale: 1.5, animation: false}); }",
                  data["dream"])
    page.evaluate(FRAME)
    point = page.evaluate("slug => { const p = dreamgraph.screen(slug); return [p.x, p.y]; }", data["dream"])
    page.evaluate(ARM, "pointerdown")
    page.mouse.click(*point)
    result["click → card"] = page.evaluate(DONE, f"#panel-card[data-dream='{data['dream']}']")
    page.keyboard.press("Escape")
    page.evaluate(FRAME)
    # search → focus
    page.fill("#search", data["label"])
    page.evaluate(ARM, "keydown")
    page.press("#search", "Enter")
    result["search → focus"] = page.evaluate(DONE, f"#panel-card[data-dream='{data['dream']}']")
    page.keyboard.press("Escape")
    # filter by cluster
    if data["cluster"]:
        page.evaluate(ARM, "change")
        page.select_option("#cluster-filter", data["cluster"])
        result["filter"] = page.evaluate(DONE, f"#panel-card[data-cluster='{data['cluster']}']")
    # a progression between two dreams
    page.evaluate("() => { window.__t0 = performance.now(); }")
    page.evaluate("args => dreamgraph.progression(args[0], args[1])", [data["other"], data["dream"]])
    result["path"] = page.evaluate(DONE, "#panel-card[data-path]:not([data-path=pending])")
    page.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--work", type=Path, default=Path("bench/results/views"))
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--shape", choices=("realistic", "random"), default="realistic")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync", "--disable-quic", "--enable-precise-memory-info"])
        for size in [int(s) for s in args.sizes.split(",")]:
            graph = build(size, args.work, args.shape)
            plain = plain_page(graph)
            rows.append((size, "plain pyvis", plain.stat().st_size, [measure_plain(browser, plain) for _ in range(args.loads)]))
            print(f"measured the plain pyvis page at {size}", file=sys.stderr)
            for view in ("taxonomy", "gaps"):
                page_path = graph / f"{view}.html"
                runs = [measure(browser, page_path) for _ in range(args.loads)]
                rows.append((size, view, page_path.stat().st_size, runs))
                print(f"measured {view} at {size}", file=sys.stderr)
        browser.close()

    keys = ["first draw", "click → card", "search → focus", "filter", "path"]
    print(f"| articles | page | HTML | {' | '.join(keys)} | JS heap |")
    print("|" + "---|" * (len(keys) + 4))
    plain = {}
    for size, view, html, runs in rows:
        cells = []
        for key in keys:
            values = [r[key] for r in runs if key in r]
            if not values:
                cells.append("–")
                continue
            unit = (lambda v: f"{v:.2f} s") if key == "first draw" else (lambda v: f"{v:.0f} ms")
            median = statistics.median(values)
            if view == "plain pyvis":
                plain[size, key] = median
            ratio = f", {plain[size, key] / median:.1f}×" if view != "plain pyvis" and (size, key) in plain else ""
            cells.append(f"{unit(median)} ({unit(max(values))}{ratio})")
        heap = statistics.median(r.get("heap", 0) for r in runs)
        print(f"| {size:,} | {view} | {html / 2 ** 20:.1f} MB | {' | '.join(cells)} | {f'{heap:.0f} MB' if heap else '–'} |")


if __name__ == "__main__":
    main()
