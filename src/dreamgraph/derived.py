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

import io
from array import array
from collections import defaultdict
from typing import TYPE_CHECKING

from .gaps import GapSettings, find_gaps, shingle_table
from .progression import graph_of, projection_edges, rankings
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
            "stub-links": stub_links(library, shared), "clusters": cluster_table(library),
            "counts": counts(library, shared)}
    data["gaps"] = gap_report(data)
    data["names"] = dream_name_table(library, data["projection"])
    data["search"] = search_index(library, data["projection"])
    data["rankings"] = rankings(data["projection"])
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
    named = {mention.slug for article in library.articles.values() for mention in article.clusters}
    for slug, article in library.articles.items():
        hub = {slug} & named  # a cluster's hub belongs to it (see build.shared_triples)
        nodes[slug] = {"iri": str(dream_iri(slug)), "label": article.name, "stub": False,
                       "subtitle": article.subtitle or None, "partial": article.partial,
                       "clusters": sorted({mention.slug for mention in article.clusters} | hub)}
    for slug, references in shared.links.items():
        nodes[slug] = {"iri": str(dream_iri(slug)), "label": dream_name(sorted(references)[0][2]), "stub": True,
                       "subtitle": None, "partial": False, "clusters": []}
    transitions = ((slug, library.resolve(stage.target_slug), position, stage.condition, stage.gloss or "")
                   for slug in sorted(library.articles)
                   for position, stage in enumerate(library.articles[slug].next_stages, 1))
    return {"nodes": sorted(nodes.items(), key=lambda item: item[1]["iri"]), "edges": projection_edges(transitions)}


def counts(library: Library, shared: Shared) -> dict[str, int]:
    """Return the number of nodes of each class and of written, stub and partial dreams, the same as
    :func:`dreamgraph.dreams.graph_stats` asks of the graph (without the triples, which the store records)."""
    articles = library.articles.values()
    clusters = {mention.slug for article in articles for mention in article.clusters}
    return {"Dream": len(library.articles) + len(shared.links), "Scenario": sum(len(a.scenarios) for a in articles),
            "Sensation": sum(len(a.sensations) for a in articles), "Cluster": len(clusters),
            "Transition": sum(len(a.next_stages) for a in articles),
            "Question": sum(len(a.questions) for a in articles), "Section": sum(len(a.sections) for a in articles),
            "QuickAnswerItem": sum(len(a.quick_answer) for a in articles), "SourceArticle": len(library.articles),
            "written dreams": len(library.articles), "stub dreams": len(shared.links),
            "partial dreams": sum(1 for a in articles if a.partial)}


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


# What the shipped search query scans: the texts of these predicates, on dreams and on the parts linked
# to them, by kind (queries/search.rq). A part's IRI is its dream's, then its kind and its position.
SEARCHED = ("http://www.w3.org/2000/01/rdf-schema#label",
            *(f"https://w3id.org/dreamgraph/ontology#{name}"
              for name in ("title", "subtitle", "intro", "coreSentence", "meaning", "answer", "text", "condition",
                           "gloss")))
SEARCH_KINDS = ("dream", "quick answer", "scenario", "sensation", "question", "section", "next stage", "answer")
PART_KINDS = (None, "quick-answer", "scenario", "sensation", "question", "section", "next-stage", "question")


def search_index(library: Library, graph) -> dict[str, object]:
    """Return every text the shipped ``search`` query scans, lower-cased and laid end to end in one
    ``lower`` byte string (entry i is ``lower[starts[i]:starts[i + 1]]``), with each entry's ``dream``
    (an index into ``dreams``, which are in the order of their IRIs), ``kind`` (into SEARCH_KINDS),
    ``position`` (of the part; 0 for the dream itself) and ``predicate`` (into SEARCHED).
    :func:`dreamgraph.answers.search` finds the words in it and reads the matching texts from the store."""
    import numpy as np

    dreams = sorted(graph.nodes, key=lambda slug: graph.nodes[slug]["iri"])  # the query's order
    lower, starts = io.BytesIO(), array("q", [0])
    dream_of, kind_of, position_of, predicate_of = array("i"), array("b"), array("i"), array("b")

    def add(dream: int, kind: int, position: int, predicate: int, value: str | None) -> None:
        if value:
            lower.write(value.lower().encode("utf-8", "surrogatepass"))
            starts.append(lower.tell())
            dream_of.append(dream), kind_of.append(kind), position_of.append(position), predicate_of.append(predicate)

    for index, slug in enumerate(dreams):
        article = library.articles.get(slug)
        if article is None:  # a stub: its label only
            add(index, 0, 0, 0, graph.nodes[slug]["label"])
            continue
        for predicate, value in enumerate((article.name, article.title, article.subtitle, article.intro,
                                           article.core_sentence)):
            add(index, 0, 0, predicate, value)
        for n, item in enumerate(article.quick_answer, 1):
            add(index, 1, n, 0, item.text)
        for kind, parts in ((2, article.scenarios), (3, article.sensations)):
            for n, part in enumerate(parts, 1):
                add(index, kind, n, 0, part.label)
                add(index, kind, n, 5, part.meaning)
        for n, question in enumerate(article.questions, 1):
            add(index, 4, n, 0, question.question)
            add(index, 7, n, 6, question.answer)  # a match in the answer is an "answer"
        for n, section in enumerate(article.sections, 1):
            add(index, 5, n, 0, section.title)
            add(index, 5, n, 7, section.text)
        for n, stage in enumerate(article.next_stages, 1):
            add(index, 6, n, 8, stage.condition)
            add(index, 6, n, 9, stage.gloss)
    return {"dreams": dreams, "labels": [graph.nodes[slug]["label"] for slug in dreams], "lower": lower.getvalue(),
            "starts": np.frombuffer(starts, dtype=np.int64), "dream": np.frombuffer(dream_of, dtype=np.int32),
            "kind": np.frombuffer(kind_of, dtype=np.int8), "position": np.frombuffer(position_of, dtype=np.int32),
            "predicate": np.frombuffer(predicate_of, dtype=np.int8)}


def dream_name_table(library: Library, graph) -> dict[str, str]:
    """Return every name a dream answers to -> its IRI, the same as :func:`dreamgraph.dreams.dream_names`
    asks of the graph (finding a dream by a misspelt name at 100,000 articles took 18 s that way)."""
    from .dreams import names_table

    dreams = {}
    for slug, data in graph.nodes(data=True):
        article = library.articles.get(slug)
        dreams[data["iri"]] = {"labels": {data["label"]}, "titles": {article.title} if article else set(),
                               "aliases": set(article.aliases) if article else set()}
    return names_table(dreams)
