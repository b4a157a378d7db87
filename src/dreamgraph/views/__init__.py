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

from ..dreams import find_dream
from ..errors import DreamgraphError, MissingOptionError
from ..gaps import find_gaps
from ..settings import VIEW_NEEDS, VIEWS
from ..slugs import slugify
from ..snapshot import Snapshot
from ..store import Store
from ..vocabulary import slug_of
from .data import ViewData, cluster_view, dream_view, gaps_view, path_view, taxonomy_view
from .html import Page, render


__all__ = ["VIEWS", "VIEW_NEEDS", "Page", "ViewData", "cluster_view", "dream_view", "gaps_view", "make_view", "path_view",
           "render", "standard_views", "taxonomy_view", "write_view", "write_gap_report"]


def make_view(store: Store, name: str, *, dream: str | None = None, hops: int = 1, cluster: str | None = None,
              source: str | None = None, target: str | None = None) -> tuple[ViewData, str]:
    """Return a view by name (see :data:`dreamgraph.settings.VIEWS`) and the file stem it is saved under by
    default. Dreams are given by name, title, alias or slug; each view takes the options
    :data:`dreamgraph.settings.VIEW_NEEDS` lists (MissingOptionError names the first one missing)."""
    given = {"dream": dream, "cluster": cluster, "source": source, "target": target}
    if name not in VIEWS:
        raise DreamgraphError(f"no view {name!r}; views are: {', '.join(VIEWS)}")
    missing = [option for option in VIEW_NEEDS.get(name, ()) if not given[option]]
    if missing:
        raise MissingOptionError(missing[0], f"the {name} view needs a {missing[0]}")
    if name == "dream":
        slug = slug_of(find_dream(store, dream))
        return dream_view(store, slug, hops), f"dream-{slug}"
    if name == "cluster":
        slug, known = slugify(cluster), sorted(Snapshot.of(store).clusters)
        if slug not in known:
            raise DreamgraphError(f"unknown cluster {cluster!r}; clusters are: {', '.join(known) or 'none'}")
        return cluster_view(store, slug), f"cluster-{slug}"
    if name == "path":
        a, b = slug_of(find_dream(store, source)), slug_of(find_dream(store, target))
        return path_view(store, a, b), f"path-{a}-to-{b}"
    if name == "gaps":
        return gaps_view(store, find_gaps(store)), "gaps"
    return taxonomy_view(store), "taxonomy"


def standard_views(store: Store) -> list[tuple[ViewData, str]]:
    """Return the taxonomy and gap report views (what ``dreamgraph export --all`` writes) with their file
    stems, the second made from the first (see :func:`gaps_view`), so each dream's card is packed once."""
    taxonomy = taxonomy_view(store)
    return [(taxonomy, "taxonomy"), (gaps_view(store, find_gaps(store), taxonomy), "gaps")]


def write_view(view: ViewData, path: str | Path) -> Path:
    """Render a view and write it as UTF-8 HTML, atomically; return the path written."""
    return Page(view).save(path)


def write_gap_report(store: Store, gaps, path: str | Path) -> Path:
    """Write the gap report page: the ranked list beside the graph with every gap highlighted."""
    return write_view(gaps_view(store, gaps), path)
