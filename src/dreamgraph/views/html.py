"""Render a view as one self-contained, offline HTML page (pyvis's vis-network, inlined).

pyvis assembles the network data and options; the page itself comes from
dreamgraph's own Jinja2 template with autoescaping on, because pyvis's
template inserts the heading, ids and options raw and loads Bootstrap from a
CDN. All JavaScript and CSS are inlined, the page makes no network request,
and a Content-Security-Policy lists the hashes of its own scripts, so even a
script that slipped into the page could not run. The file is written as
UTF-8 whatever the locale, atomically.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .data import KIND_STYLE, ViewData
from .layout import place

LARGE_VIEW = 2000  # nodes; above this, edges are hidden while dragging and zooming to stay responsive


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    return resources.files("dreamgraph").joinpath("views", name).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def _vis_asset(name: str) -> str:
    import pyvis

    return (Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2" / name).read_text(encoding="utf-8")


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


def vis_options(view: ViewData) -> dict:
    """Return the vis-network options of a view: fixed positions, no physics, tooltips on hover."""
    large = len(view.nodes) > LARGE_VIEW
    return {
        "autoResize": True,
        "physics": {"enabled": False},
        "layout": {"improvedLayout": False},
        "interaction": {"hover": not large, "tooltipDelay": 120, "hideEdgesOnDrag": large, "hideEdgesOnZoom": large,
                        "multiselect": False, "navigationButtons": False},
        "nodes": {"font": {"size": 14, "face": "system-ui, sans-serif", "color": "#1d2733"}},
        # Slightly curved edges keep A → B and B → A apart; straight ones are cheaper on large views.
        "edges": {"smooth": False if large else {"enabled": True, "type": "curvedCW", "roundness": 0.12},
                  "arrows": {"to": {"scaleFactor": 0.6}}, "selectionWidth": 2},
    }


def render(view: ViewData) -> str:
    """Return the HTML page of a view."""
    from jinja2 import Environment
    from pyvis.network import Network

    from .. import __version__

    place(view)
    if len(view.nodes) > LARGE_VIEW:  # thousands of crossing links: fade them so the dreams stay readable
        for edge in view.edges:
            edge["color"] = {**edge["color"], "opacity": min(edge["color"].get("opacity", 1.0), 0.25)}
    network = Network(directed=True, cdn_resources="in_line", height="100%", width="100%")
    # Bulk assignment: pyvis's add_node/add_edge are slow on large graphs and drop a duplicate node silently.
    network.nodes = sorted(view.nodes, key=lambda n: n["id"])
    network.edges = sorted(view.edges, key=lambda e: e["id"])
    network.options = vis_options(view)
    nodes, edges, _, _, _, options = network.get_network_data()
    payload = {"nodes": nodes, "edges": edges, "options": json.loads(options), "cards": view.cards,
               "clusters": view.clusters, "gaps": view.gaps, "satellitesOnDemand": view.satellites_on_demand,
               "styles": {k: {"shape": v["shape"], "color": v["color"], "fill": v["fill"]} for k, v in KIND_STYLE.items()}}
    vis_js, app_js = _vis_asset("vis-network.min.js"), _asset("app.js")
    csp = ("default-src 'none'; script-src " + " ".join(_sha256(s) for s in (vis_js, app_js))
           + "; style-src 'unsafe-inline'; img-src data:; font-src data:; connect-src 'none'; base-uri 'none'; "
           "form-action 'none'")
    environment = Environment(autoescape=True, keep_trailing_newline=True)
    template = environment.from_string(_asset("template.html"))
    return template.render(
        title=view.title, csp=csp, version=__version__, vis_css=_vis_asset("vis-network.css"), app_css=_asset("app.css"),
        vis_js=vis_js, app_js=app_js, data_json=json_for_script(payload),
        legend=[dict(style, key=key) for key, style in KIND_STYLE.items()])
