"""What a build keeps beside the embedded store for the read commands, made from the articles it has in hand.

On disk, Oxigraph reads each distinct text with a lookup of its own, so a command that reads most of
the graph (the gap report, a taxonomy view, the path commands) would spend its time decoding strings.
Each function here makes, from the library, exactly what the read side would otherwise ask of the graph
with SPARQL (the function named in its docstring); tests keep the two answers equal. The store folder
keeps them stamped with the Turtle they come from (see :meth:`dreamgraph.store.Store.derived`), and a
remote endpoint simply answers the queries.

>>> from dreamgraph.build import assemble, shared_triples
>>> from dreamgraph.parse import parse_text
>>> library = assemble([parse_text("Dream About Falling: The Drop\\nNext Stages\\n"
...                                "- If you land → dream about landing meaning — when it ends\\n", "a.txt")], {})
>>> data = derive(library, shared_triples(library))
>>> [(a, b, e["condition"]) for a, b, e in data["projection"].edges(data=True)]
[('falling', 'landing', 'If you land')]
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from .gaps import GapSettings, find_gaps, shingle_table
from .progression import graph_of, projection_edges
from .slugs import dream_name
from .store import Store
from .vocabulary import dream_iri

if TYPE_CHECKING:
    from .article import Article
    from .build import Library, Shared


def derive(library: Library, shared: Shared, shingled: dict | None = None) -> dict[str, object]:
    """Return everything kept beside the store, by name (the name :meth:`Store.derived` is asked for).

    ``shingled`` has the articles' shingles (slug -> array) when the build's workers made them already.
    """
    data = {"projection": graph_of(projection(library, shared)),
            "shingles": shingle_table(similarity_texts(library), shingled),
            "card-parts": card_parts(library), "completeness": completeness(library),
            "stub-links": stub_links(library, shared), "clusters": cluster_table(library)}
    data["gaps"] = gap_report(data)
    return data


class _Kept(Store):
    """The data above as a store that has nothing but it: asked for a query, it fails."""

    def __init__(self, data: dict[str, object]):
        self._data = data

    def derived(self, name: str):
        return self._data.get(name)


def gap_report(data: dict[str, object]) -> list:
    """Return the gap report with the default settings, made from the other data kept, the same as
    :func:`dreamgraph.gaps.find_gaps` makes it (which returns this one when the settings are the default).
    It takes 1.1 s at 10,000 articles and 11 s at 100,000, which a build spends while the store loads."""
    return find_gaps(_Kept(data), GapSettings())


def projection(library: Library, shared: Shared) -> dict:
    """Return the dream-to-dream projection of the library, the same data
    :func:`dreamgraph.progression.projection_data` asks of the graph; the build keeps its DiGraph."""
    nodes = {}
    for slug, article in library.articles.items():
        nodes[slug] = {"iri": str(dream_iri(slug)), "label": article.name, "stub": False,
                       "subtitle": article.subtitle or None, "partial": article.partial,
                       "clusters": sorted({mention.slug for mention in article.clusters})}
    for slug, references in shared.links.items():
        nodes[slug] = {"iri": str(dream_iri(slug)), "label": dream_name(sorted(references)[0][2]), "stub": True,
                       "subtitle": None, "partial": False, "clusters": []}
    transitions = ((slug, library.resolve(stage.target_slug), position, stage.condition, stage.gloss or "")
                   for slug in sorted(library.articles)
                   for position, stage in enumerate(library.articles[slug].next_stages, 1))
    return {"nodes": sorted(nodes.items(), key=lambda item: item[1]["iri"]), "edges": projection_edges(transitions)}


def similarity_texts(library: Library) -> dict[str, str]:
    """Return the text each written dream's near-duplicates are judged on, the same as
    :func:`dreamgraph.gaps.similarity_texts` asks of the graph."""
    texts = {slug: similarity_text(article) for slug, article in library.articles.items()}
    return {slug: text for slug, text in texts.items() if text is not None}


def similarity_text(article: Article) -> str | None:
    """Return one article's text for :func:`similarity_texts`, or None when it has none of those parts."""
    parts = ([item.text for item in article.quick_answer] + [s.label for s in article.scenarios]
             + [s.meaning for s in article.scenarios])
    return " ".join(sorted(parts)) if parts else None


def stub_links(library: Library, shared: Shared) -> dict[str, dict]:
    """Return, per stub, its label and every link to it as (path, line, condition) sorted by path and line,
    the same as :func:`dreamgraph.gaps.stub_links` asks of the graph."""
    links: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    for slug, article in library.articles.items():
        for stage in article.next_stages:
            target = library.resolve(stage.target_slug)
            if target in shared.links:
                links[target].append((article.path, stage.line, stage.condition))
    return {stub: {"label": dream_name(sorted(shared.links[stub])[0][2]), "links": sorted(links[stub])}
            for stub in sorted(links)}


def cluster_table(library: Library) -> dict[str, dict]:
    """Return, per cluster, its labels and the paths of the articles naming it, the same as
    :func:`dreamgraph.gaps.cluster_table` asks of the graph."""
    table: dict[str, dict[str, set]] = defaultdict(lambda: {"labels": set(), "sources": set()})
    for article in library.articles.values():
        for mention in article.clusters:
            table[mention.slug]["labels"].add(mention.name)
            table[mention.slug]["sources"].add(article.path)
    return {slug: {key: sorted(values) for key, values in table[slug].items()} for slug in sorted(table)}


def completeness(library: Library) -> list[dict]:
    """Return the completeness matrix of the written dreams, the same as
    :func:`dreamgraph.gaps.completeness_matrix` asks of the graph."""
    return [{"dream": slug, "label": article.name, "path": article.path, "line": article.title_line,
             "quick-answer": len(article.quick_answer), "common-scenarios": len(article.scenarios),
             "what-the-body-registered": len(article.sensations), "the-sentence": int(bool(article.core_sentence)),
             "faq": len(article.questions), "next-stages": len(article.next_stages)}
            for slug, article in sorted(library.articles.items())]


def card_parts(library: Library) -> dict[str, dict[str, list]]:
    """Return the parts each written dream's card shows, the same as
    :func:`dreamgraph.views.data.card_parts` asks of the graph."""
    parts = {}
    for slug, article in library.articles.items():
        quick = [item.text for item in article.quick_answer]
        scenarios = [[s.label, s.meaning] for s in article.scenarios]
        sensations = [[s.label, s.meaning] for s in article.sensations]
        if quick or scenarios or sensations:
            parts[slug] = {"quick": quick, "scenarios": scenarios, "sensations": sensations}
    return parts
