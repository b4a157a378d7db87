"""Render a view as one self-contained, offline HTML page drawn by vis-network (the library pyvis ships).

The page is dreamgraph's own Jinja2 template with autoescaping on. Its data is
compact: dreams as columns (slug, label, position, rank, clusters), next
stages as pairs of indices, and the dream cards as blocks of raw DEFLATE in
base64, which the page unpacks with the browser's own ``DecompressionStream``
when a dream is selected (a 10,000-dream library's cards shrink about four
times). All JavaScript and CSS are inlined, the page makes no network request,
and a Content-Security-Policy lists the hashes of its own scripts, so even a
script that slipped into the page could not run. The file is written as UTF-8
whatever the locale, atomically.

>>> blocks = card_blocks([{"quick": ["a"]}, {"quick": ["b"]}], size=1)
>>> len(blocks), blocks[0].isascii()
(2, True)
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import zlib
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .. import __version__
from ..errors import DreamgraphError
from ..files import atomic_write
from ..gaps import KINDS as GAP_KINDS
from .data import GAP_MARKS, NO_CLUSTER_COLOR, ViewData
from .layout import place, spacing_for

CARD_BLOCK = 32  # dreams per compressed block of cards: one block is unpacked per selection


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    return resources.files("dreamgraph").joinpath("views", name).read_text(encoding="utf-8")


VIS_NETWORK = "vis-network-9.1.2"  # the release every page embeds, shipped in views/vendor/ (see its README)
VIS_NETWORK_FILES = {  # its files, by SHA-256
    "vis-network.min.js": "1f20f0736f32cb9bedf8f6383b25cfea2f839e1abe80d6e8040b4d5bea378c69",
    "vis-network.css": "2e82d445ad5878ea881652470ce632601f8f55f1b99e6ebecdff8614600e6d0e",
}


@lru_cache(maxsize=None)
def _vis_asset(name: str) -> str:
    """Return a file of the vis-network release shipped with dreamgraph, checked against its SHA-256."""
    data = resources.files("dreamgraph").joinpath("views", "vendor", VIS_NETWORK, name).read_bytes()
    if hashlib.sha256(data).hexdigest() != VIS_NETWORK_FILES[name]:
        raise DreamgraphError(f"views/vendor/{VIS_NETWORK}/{name} is not the file the views are made for: "
                              "reinstall dreamgraph")
    # line ends as an HTML parser leaves them, so the script's CSP hash is the browser's (the file has CR LF)
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def json_for_script(value) -> str:
    """Return JSON safe to place inside a <script> element: no '<', '>' or '&' can end or open a tag.

    >>> json_for_script({"label": "</script><img src=x onerror=alert(1)>"})
    '{"label":"\\\\u003c/script\\\\u003e\\\\u003cimg src=x onerror=alert(1)\\\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                         ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


def _sha256(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def card_blocks(cards: list, size: int = CARD_BLOCK) -> list[str]:
    """Return the cards as blocks of ``size``, each JSON packed with raw DEFLATE in base64, the blocks
    packed on all cores (zlib lets go of Python's lock): at 10,000 dreams, level 9 took 2.4 s on one core
    for cards packed 1.4% smaller (the page 1.1%) than level 6's, which takes 1.3 s."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [json.dumps(cards[start:start + size], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
             for start in range(0, len(cards), size)]
    with ThreadPoolExecutor(min(os.cpu_count() or 1, 8)) as pool:
        return list(pool.map(_packed, texts))


def _packed(text: str) -> str:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return base64.b64encode(packer.compress(text.encode("utf-8")) + packer.flush()).decode("ascii")


def payload(view: ViewData) -> dict:
    """Return the page's data: dreams as columns, next stages as index pairs, clusters with their regions,
    satellites, gaps, and the cards in packed blocks. The layout and the packed cards are kept in
    ``view.prepared`` for a view made from this one (see :func:`dreamgraph.views.data.gaps_view`)."""
    layout = ("clustered" if view.kind in ("taxonomy", "gaps") else view.kind, tuple(n["id"] for n in view.nodes))
    if view.prepared.get("placed") != layout:  # the same layout of the same nodes: placed already
        place(view)
        view.prepared["placed"] = layout
    dreams = sorted((n for n in view.nodes if n["kind"] in ("dream", "stub")), key=lambda n: n["id"])
    index = {n["id"]: i for i, n in enumerate(dreams)}
    clusters = sorted(view.clusters, key=lambda c: c["id"])
    cluster_index = {c["id"]: i for i, c in enumerate(clusters)}
    edges = sorted((index[e["from"]], index[e["to"]]) for e in view.edges if e["kind"] == "next")

    def card(node: dict) -> list:
        data = view.cards[node["id"]]
        return [data["subtitle"], data["quick"], data["scenarios"], data["sensations"],
                [[index.get(s["id"], -1), s["label"], s["condition"], s["gloss"]] for s in data["next"]],
                [[index.get(s["id"], -1), s["label"], s["condition"]] for s in data["from"]], data.get("url", "")]

    gaps = []
    for gap in sorted(view.gaps, key=lambda g: (GAP_KINDS.index(g["kind"]), -g["score"], g["node"], g["label"])):
        on_cluster = gap["node"] in cluster_index
        gaps.append({"kind": gap["kind"], "on": "cluster" if on_cluster else "dream",
                     "node": cluster_index[gap["node"]] if on_cluster else index[gap["node"]],
                     "label": gap["label"], "score": gap["score"], "action": gap["action"],
                     "evidence": [[e.get("path") or "", e.get("line"), e.get("text") or ""] for e in gap["evidence"]]})
    return {
        "view": view.kind, "title": view.title, "initial": view.initial, "blockSize": CARD_BLOCK,
        "spacing": spacing_for(len(dreams)) if view.kind not in ("dream", "path") else spacing_for(0),
        "dreams": {
            "slug": [n["slug"] for n in dreams], "label": [n["label"] for n in dreams],
            "x": [n["x"] for n in dreams], "y": [n["y"] for n in dreams], "rank": [n["rank"] for n in dreams],
            "stub": [int(n["kind"] == "stub") for n in dreams], "partial": [int(n["partial"]) for n in dreams],
            "home": [cluster_index.get(n["home"] or "", -1) for n in dreams],
            "clusters": [[cluster_index[c] for c in n["clusters"] if c in cluster_index] for n in dreams],
            "names": [n["names"] for n in dreams],
        },
        "edges": [i for pair in edges for i in pair],
        "clusters": [{"slug": c["slug"], "label": c["label"], "color": c["color"], "x": c.get("x", 0),
                      "y": c.get("y", 0), "r": c.get("r", 0), "hub": index.get(c["hub"] or "", -1),
                      "members": sorted(index[m] for m in c["members"] if m in index)} for c in clusters],
        "satellites": [{"parent": index[n["parent"]], "kind": n["kind"], "label": n["label"], "meaning": n["meaning"],
                        "x": n["x"], "y": n["y"]} for n in view.nodes if n["kind"] in ("scenario", "sensation")],
        "gaps": gaps, "gapKinds": [k for k in GAP_KINDS if any(g["kind"] == k for g in gaps)],
        "gapMarks": {k: list(v) for k, v in GAP_MARKS.items()}, "noClusterColor": NO_CLUSTER_COLOR,
        "cards": _packed_cards(view, dreams, card),
    }


def _packed_cards(view: ViewData, dreams: list[dict], card) -> list[str]:
    """Return the view's cards in packed blocks, in the order of ``dreams``: those packed for the view it
    was made from when they are of the same dreams, else packed now (and kept for the next)."""
    order = tuple(n["id"] for n in dreams)
    packed = view.prepared.get("cards")
    if packed is None or packed[0] != order:
        packed = view.prepared["cards"] = (order, card_blocks([card(n) for n in dreams]))
    return packed[1]


def render(view: ViewData) -> str:
    """Return the HTML page of a view."""
    from jinja2 import Environment

    data = payload(view)
    vis_js, app_js = _vis_asset("vis-network.min.js"), _asset("app.js")
    csp = ("default-src 'none'; script-src " + " ".join(_sha256(s) for s in (vis_js, app_js))
           + "; style-src 'unsafe-inline'; img-src data:; font-src data:; connect-src 'none'; base-uri 'none'; "
           "form-action 'none'")
    environment = Environment(autoescape=True, keep_trailing_newline=True)
    template = environment.from_string(_asset("template.html"))
    return template.render(title=view.title, csp=csp, version=__version__, vis_css=_vis_asset("vis-network.css"),
                           app_css=_asset("app.css"), vis_js=vis_js, app_js=app_js, data_json=json_for_script(data))


class Page:
    """A rendered view. Jupyter and other notebooks show it inline: the whole page in an ``<iframe
    srcdoc>``, sandboxed to its own scripts (text from articles is data there too); ``save`` writes it.

    >>> from dreamgraph.views.data import ViewData
    >>> Page(ViewData("A library"))._repr_html_().startswith('<iframe title="A library" sandbox="allow-scripts"')
    True
    """

    def __init__(self, view: ViewData, height: int = 640) -> None:
        self.title, self.height, self.html = view.title, height, render(view)

    def _repr_html_(self) -> str:
        return (f'<iframe title="{html.escape(self.title)}" sandbox="allow-scripts" '
                f'style="width: 100%; height: {self.height}px; border: 0" srcdoc="{html.escape(self.html)}"></iframe>')

    def save(self, path: str | Path) -> Path:
        """Write the page to a ``.html`` file, whole or not at all; return the path."""
        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            raise DreamgraphError(f"{path}: an HTML view must be written to a .html file")
        atomic_write(path, self.html.encode("utf-8"))
        return path
