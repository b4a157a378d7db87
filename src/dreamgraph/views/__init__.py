"""HTML views of the graph (pyvis / vis-network) and the other export formats.

>>> from dreamgraph.store import MemoryStore
>>> store = MemoryStore.from_turtle(b'''@prefix dg: <https://w3id.org/dreamgraph/ontology#> .
... @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
... <https://w3id.org/dreamgraph/id/dream/a> a dg:Dream ; rdfs:label "A" ; dg:isStub false .''')
>>> page = render(taxonomy_view(store))
>>> page.startswith("<!DOCTYPE html>") and 'src="http' not in page and 'href="http' not in page
True
"""

from __future__ import annotations

from pathlib import Path

from ..store import Store, atomic_write
from .data import ViewData, cluster_view, dream_view, gaps_view, path_view, taxonomy_view
from .html import render

VIEWS = ("taxonomy", "dream", "cluster", "path", "gaps")

__all__ = ["VIEWS", "ViewData", "cluster_view", "dream_view", "gaps_view", "path_view", "render", "taxonomy_view",
           "write_view", "write_gap_report"]


def write_view(view: ViewData, path: str | Path) -> Path:
    """Render a view and write it as UTF-8 HTML, atomically; return the path written."""
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        from ..errors import DreamgraphError

        raise DreamgraphError(f"{path}: an HTML view must be written to a .html file")
    atomic_write(path, render(view).encode("utf-8"))
    return path


def write_gap_report(store: Store, gaps, path: str | Path) -> Path:
    """Write the gap report page: the ranked list beside the graph with every gap highlighted."""
    return write_view(gaps_view(store, gaps), path)
