"""Tables about the written articles and what they name: the completeness matrix, the parts a card shows,
the counts, every name a dream answers to, the links to stubs, and the clusters.

Each table is made from the library by a build (``*_from_library``) and asked of a graph with SPARQL
when nothing is kept (``*_from_store``); the two give the same value (tests/test_snapshot.py).
"""

from __future__ import annotations

import heapq
import pickle
from collections import defaultdict
from collections.abc import Mapping
from operator import itemgetter
from typing import TYPE_CHECKING, Callable, Container, Iterable, Iterator

from ..article import PART_COUNTS, Article
from ..library import Library, Shared, stub_label
from ..query import named_query
from ..store import Store
from ..vocabulary import slug_of
from .texts import version_digest

if TYPE_CHECKING:  # networkx is loaded by the first graph made, not by every command
    import networkx as nx


def _rows(store: Store, name: str) -> list[dict]:
    return store.select(named_query(name).text)


# --- completeness ----------------------------------------------------------------------------------

SECTION_COUNTS = {  # completeness query column -> standard section key
    "quickAnswer": "quick-answer", "scenarios": "common-scenarios", "sensations": "what-the-body-registered",
    "sentence": "the-sentence", "faq": "faq", "nextStages": "next-stages",
}


def completeness_from_library(library: Library, last: list[dict] | None = None,
                              changed: set[str] | None = None) -> list[dict]:
    """Return, for every written dream (sorted by slug), its slug, label, path, line and the number of
    items of each standard section. Given the ``last`` build's matrix and the dreams whose articles
    ``changed`` since (added and removed ones included: see :func:`changed_articles`), the other dreams'
    entries are copied from it.

    >>> from dreamgraph.library import assemble
    >>> from dreamgraph.parse import parse_text
    >>> library = assemble([parse_text("Dream About Falling: The Drop\\nQuick Answer\\n- Down.\\n", "a.txt")], {})
    >>> matrix = completeness_from_library(library)
    >>> matrix[0]["dream"], matrix[0]["quick-answer"], completeness_from_library(library, matrix, set()) == matrix
    ('falling', 1, True)
    """
    def entry(slug: str) -> dict:
        article = library.articles[slug]
        return {"dream": slug, "label": article.name, "path": article.path, "line": article.title_line,
                **article.section_counts()}

    if last is None or changed is None:
        return [entry(slug) for slug in sorted(library.articles)]
    kept = [row for row in last if row["dream"] not in changed]
    made = sorted(changed & library.articles.keys())
    if not made:
        return kept
    return list(heapq.merge(kept, map(entry, made), key=itemgetter("dream")))


def completeness_from_store(store: Store) -> list[dict]:
    """Return the completeness matrix asked of the graph (``gap-completeness.rq``)."""
    matrix = []
    for row in _rows(store, "gap-completeness"):
        entry = {"dream": slug_of(row["dream"]), "label": row["label"], "path": row["path"], "line": row["line"]}
        entry.update({key: row[column] for column, key in SECTION_COUNTS.items()})
        matrix.append(entry)
    return matrix


# --- card parts ------------------------------------------------------------------------------------

PARTS_QUERY = """
SELECT ?dream ?kind ?position ?label ?detail WHERE {
  VALUES (?link ?kind) { (dg:quickAnswer "quick") (dg:hasScenario "scenario") (dg:hasSensation "sensation") }
  ?dream ?link ?part . ?part rdfs:label ?label ; dg:position ?position .
  OPTIONAL { ?part dg:meaning ?detail }
}"""


URL_QUERY = "SELECT ?dream ?url WHERE { ?dream dg:url ?url }"


class Cards(Mapping):
    """Per written dream, the parts its card shows (a mapping slug -> parts), each dream's parts kept
    pickled on its own and unpickled when read: a view reads the cards it shows, not 100,000 of them, and a
    rebuild copies an unchanged dream's bytes from the last build's table without reading them (pickled
    whole, the table took 1.6 s to write at 100,000 articles). ``urls`` has the page address of each dream
    read from a web page, readable without the cards.

    >>> cards = Cards.of({"flying": {"quick": ["Lift."], "scenarios": [], "sensations": []}})
    >>> cards["flying"]["quick"], len(cards), cards.get("falling", {}), cards.urls
    (['Lift.'], 1, {}, {})
    """

    def __init__(self, packed: dict[str, bytes], urls: dict[str, str]):
        self.packed, self.urls = packed, urls

    @classmethod
    def of(cls, parts: dict[str, dict[str, list]]) -> Cards:
        """Return the cards of plain parts (slug -> parts)."""
        return cls({slug: cls.pack(part) for slug, part in parts.items()},
                   {slug: part["url"] for slug, part in parts.items() if part.get("url")})

    @staticmethod
    def pack(part: dict[str, list]) -> bytes:
        return pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL)

    def __getitem__(self, slug: str) -> dict[str, list]:
        return pickle.loads(self.packed[slug])

    def __contains__(self, slug: object) -> bool:
        return slug in self.packed

    def __iter__(self) -> Iterator[str]:
        return iter(self.packed)

    def __len__(self) -> int:
        return len(self.packed)

    def __repr__(self) -> str:
        return f"<Cards of {len(self)} dreams>"


def card_parts_from_library(library: Library, last: Cards | None = None, last_versions: dict[str, str] | None = None,
                            versions: dict[str, str] | None = None) -> Cards:
    """Return, per written dream, the parts its card shows (see :class:`Cards`): ``quick`` (texts) and
    ``scenarios`` and ``sensations`` ([text, meaning] pairs), in article order, and ``url``, the page's
    address, when the article was read from a web page. Given the ``last`` build's card parts and
    :func:`article_versions`, a dream's parts are copied from them while its article's version is the same
    (neither its texts nor its last parts are then unpickled: see :class:`dreamgraph.article.Article`);
    ``versions`` are this build's, when made."""
    if not isinstance(last, Cards) or last_versions is None:
        versions = {}
    elif versions is None:
        versions = article_versions(library)
    packed, urls = {}, {}
    for slug in library.articles:
        if versions and last_versions.get(slug) == versions[slug]:
            if slug in last.packed:
                packed[slug] = last.packed[slug]
                if slug in last.urls:
                    urls[slug] = last.urls[slug]
            continue
        article = library.articles[slug]
        quick = [item.text for item in article.quick_answer]
        scenarios = [[s.label, s.meaning] for s in article.scenarios]
        sensations = [[s.label, s.meaning] for s in article.sensations]
        url = article.url
        article.let_go()
        if quick or scenarios or sensations or url:
            part = {"quick": quick, "scenarios": scenarios, "sensations": sensations}
            if url:
                part["url"] = urls[slug] = url
            packed[slug] = Cards.pack(part)
    return Cards(packed, urls)


def cards_patched(last: Cards, made: Cards, changed: set[str]) -> Cards:
    """Return the ``last`` build's cards with those of the ``changed`` dreams replaced by the ones ``made``
    for them (a dream without parts to show has no card)."""
    packed, urls = dict(last.packed), dict(last.urls)
    for slug in changed:
        for kept, new in ((packed, made.packed), (urls, made.urls)):
            if slug in new:
                kept[slug] = new[slug]
            else:
                kept.pop(slug, None)
    return Cards(packed, urls)


def article_versions(library: Library) -> dict[str, str]:
    """Return, per written dream, the version of its article (a digest of its file's path and content),
    which the tables made from each article's texts alone keep to be copied by the next build."""
    return {slug: version_digest(article.content_hash, article.path) for slug, article in library.articles.items()}


def changed_articles(versions: dict[str, str], last: dict[str, str] | None) -> set[str] | None:
    """Return the written dreams whose article's version differs from the ``last`` build's (see
    :func:`article_versions`), those added and removed included; None when the last build's are not known.

    >>> sorted(changed_articles({"a": "1", "b": "2", "c": "3"}, {"a": "1", "b": "9", "d": "4"}))
    ['b', 'c', 'd']
    """
    if last is None:
        return None
    return {slug for slug, version in versions.items() if last.get(slug) != version} | (last.keys() - versions.keys())


def urls_from_store(store: Store) -> dict[str, str]:
    """Return the page address of each dream read from a web page, asked of the graph."""
    return {slug_of(row["dream"]): row["url"] for row in store.select(URL_QUERY)}


def card_parts_from_store(store: Store) -> dict[str, dict[str, list]]:
    """Return the card parts asked of the graph."""
    found: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in store.select(PARTS_QUERY):
        found[slug_of(row["dream"])][row["kind"]].append((row["position"], row["label"], row.get("detail", "")))
    urls = urls_from_store(store)
    parts = {slug: {"quick": [text for _, text, _ in sorted(kinds.get("quick", []))],
                    "scenarios": [[text, meaning] for _, text, meaning in sorted(kinds.get("scenario", []))],
                    "sensations": [[text, meaning] for _, text, meaning in sorted(kinds.get("sensation", []))]}
             for slug, kinds in [*found.items(), *((slug, {}) for slug in urls if slug not in found)]}
    for slug, url in urls.items():
        parts[slug]["url"] = url
    return parts


# --- counts ----------------------------------------------------------------------------------------

STATS_QUERY = """
SELECT ?class (COUNT(DISTINCT ?node) AS ?count) WHERE {
  VALUES ?class { dg:Dream dg:Scenario dg:Sensation dg:Cluster dg:Transition dg:Question dg:Section
                  dg:QuickAnswerItem dg:SourceArticle }
  ?node a ?class .
} GROUP BY ?class"""
CLASSES = ("Dream", "Scenario", "Sensation", "Cluster", "Transition", "Question", "Section", "QuickAnswerItem",
           "SourceArticle")


def counts_from_library(library: Library, shared: Shared, clusters: Mapping | None = None) -> dict[str, int]:
    """Return the number of nodes of each class and of written, stub and partial dreams (the triples are
    counted by the store folder, see :meth:`dreamgraph.store.Store.triple_count`); ``clusters`` is the
    library's :func:`clusters_from_library` when made already."""
    articles = library.articles.values()
    if clusters is None:
        clusters = {mention.slug for article in articles for mention in article.clusters}
    # summed column by column from each article's counts, which do not need its texts (see Article)
    parts = dict(zip(PART_COUNTS, map(sum, zip(*(article.part_tally() for article in articles))))) \
        if articles else dict.fromkeys(PART_COUNTS, 0)
    counted = {"Dream": len(library.articles) + len(shared.links), "Cluster": len(clusters),
               "SourceArticle": len(library.articles), **{name: parts[part] for part, name in PART_CLASSES.items()}}
    return {**{name: counted[name] for name in CLASSES}, "written dreams": len(library.articles),
            "stub dreams": len(shared.links), "partial dreams": sum(1 for a in articles if a.partial)}


PART_CLASSES = {"common-scenarios": "Scenario", "what-the-body-registered": "Sensation", "next-stages": "Transition",
                "faq": "Question", "sections": "Section", "quick-answer": "QuickAnswerItem"}  # part -> class counted


def counts_patched(last: dict[str, int], before: Iterable[Article], after: Iterable[Article]) -> dict[str, int]:
    """Return the ``last`` build's counts after articles changed from ``before`` to ``after``, each still the
    same dream with the same links and clusters (see :mod:`dreamgraph.patch`): their parts counted again."""
    counts = dict(last)
    for articles, sign in ((before, -1), (after, 1)):
        for article in articles:
            for part, number in zip(PART_COUNTS, article.part_tally()):
                if part in PART_CLASSES:
                    counts[PART_CLASSES[part]] += sign * number
    return counts


def counts_from_store(store: Store) -> dict[str, int]:
    """Return the counts asked of the graph."""
    counts = {slug_of(str(r["class"]).replace("#", "/")): r["count"] for r in store.select(STATS_QUERY)}
    stats = {name: counts.get(name, 0) for name in CLASSES}
    kinds = store.select("SELECT ?stub (COUNT(?d) AS ?n) WHERE { ?d a dg:Dream ; dg:isStub ?stub } GROUP BY ?stub")
    by_kind = {r["stub"]: r["n"] for r in kinds}
    stats["written dreams"] = by_kind.get(False, 0)
    stats["stub dreams"] = by_kind.get(True, 0)
    stats["partial dreams"] = store.select("SELECT (COUNT(?d) AS ?n) WHERE { ?d dg:isPartial true }")[0]["n"]
    return stats


# --- names -----------------------------------------------------------------------------------------

NAMES_QUERY = """
SELECT ?dream ?label ?title ?alias WHERE {
  ?dream a dg:Dream ; rdfs:label ?label .
  OPTIONAL { ?dream dg:title ?title }
  OPTIONAL { ?dream skos:altLabel ?alias }
}"""


def names_from_library(library: Library, projection: nx.DiGraph) -> dict[str, str]:
    """Return every name a dream answers to (slug, label, title, aliases; lowercased) -> its IRI (finding
    a dream by a misspelt name at 100,000 articles took 18 s when asked of the graph)."""
    dreams = {}
    for slug, data in projection.nodes(data=True):
        article = library.articles.get(slug)
        dreams[data["iri"]] = {"labels": {data["label"]}, "titles": {article.title} if article else set(),
                               "aliases": set(article.aliases) if article else set()}
    return names_table(dreams)


def names_from_store(store: Store) -> dict[str, str]:
    """Return the names table asked of the graph."""
    found: dict[str, dict] = {}
    for row in store.select(NAMES_QUERY):
        entry = found.setdefault(str(row["dream"]), {"labels": set(), "titles": set(), "aliases": set()})
        for key, column in (("labels", "label"), ("titles", "title"), ("aliases", "alias")):
            if row.get(column):
                entry[key].add(str(row[column]))
    return names_table(found)


def names_table(dreams: dict[str, dict]) -> dict[str, str]:
    """Return the names table from each dream's IRI -> its ``labels``, ``titles`` and ``aliases``. A name
    two dreams answer to goes to the one whose label it is, else title, else alias, else slug; then to the
    first IRI."""
    ranked: dict[str, tuple[int, str]] = {}
    for iri, entry in dreams.items():
        for rank, texts in enumerate((entry["labels"], entry["titles"], entry["aliases"], [slug_of(iri)])):
            for text in texts:
                key = str(text).strip().lower()
                if key and (key not in ranked or (rank, iri) < ranked[key]):
                    ranked[key] = (rank, iri)
    return {key: iri for key, (_, iri) in sorted(ranked.items())}


# --- links to stubs --------------------------------------------------------------------------------

def stub_links_from_library(library: Library, shared: Shared) -> dict[str, dict]:
    """Return, per linked stub, its ``label`` and every link to it as (path, line, condition) sorted by
    path and line: read from the links :func:`dreamgraph.library.shared_triples` found, with their
    conditions (not from every Next Stages line of the library again)."""
    return {stub: {"label": stub_label(shared.links[stub]),
                   "links": sorted((path, line, condition) for (path, line, _), condition
                                   in zip(shared.links[stub], shared.conditions[stub]))}
            for stub in sorted(shared.links)}


def stub_links_patched(last: dict[str, dict], before: Iterable[Article], after: Iterable[Article],
                       resolve: Callable[[str], str], written: Container[str]) -> dict[str, dict]:
    """Return the ``last`` build's links to stubs after articles changed from ``before`` to ``after``, each
    the same dream linking to the same dreams in the same words (see :mod:`dreamgraph.patch`): their links'
    lines and conditions read again."""
    paths = {article.path for article in before}
    table = dict(last)
    links: dict[str, list] = defaultdict(list)
    for article in after:
        for stage in article.next_stages:
            target = resolve(stage.target_slug)
            if target not in written:
                links[target].append((article.path, stage.line, stage.condition))
    for article in before:
        for stage in article.next_stages:
            links.setdefault(resolve(stage.target_slug), [])
    for stub, new in links.items():
        if stub in table:
            table[stub] = {"label": table[stub]["label"],
                           "links": sorted([link for link in table[stub]["links"] if link[0] not in paths] + new)}
    return table


def stub_links_from_store(store: Store) -> dict[str, dict]:
    """Return the links to stubs asked of the graph (``gap-missing-articles.rq``)."""
    table: dict[str, dict] = {}
    for row in _rows(store, "gap-missing-articles"):
        entry = table.setdefault(slug_of(row["dream"]), {"label": row["label"], "links": []})
        entry["links"].append((row["path"], row["line"], row["condition"]))
    return {slug: {"label": entry["label"], "links": sorted(entry["links"])} for slug, entry in sorted(table.items())}


# --- clusters --------------------------------------------------------------------------------------

CLUSTER_LABELS = "SELECT ?cluster ?label WHERE { ?cluster a dg:Cluster ; rdfs:label ?label }"
CLUSTER_SOURCES = """SELECT ?cluster ?path WHERE { ?cluster a dg:Cluster ; prov:wasDerivedFrom ?f .
                     ?f rdfs:label ?path }"""


def clusters_from_library(library: Library) -> dict[str, dict]:
    """Return, per cluster slug, its ``labels`` (one unless articles spell it differently) and the
    ``sources`` (paths) of the articles naming it, both sorted."""
    table: dict[str, dict[str, set]] = defaultdict(lambda: {"labels": set(), "sources": set()})
    for article in library.articles.values():
        for mention in article.clusters:
            table[mention.slug]["labels"].add(mention.name)
            table[mention.slug]["sources"].add(article.path)
    return {slug: {key: sorted(values) for key, values in table[slug].items()} for slug in sorted(table)}


def clusters_from_store(store: Store) -> dict[str, dict]:
    """Return the cluster table asked of the graph."""
    table: dict[str, dict[str, set]] = defaultdict(lambda: {"labels": set(), "sources": set()})
    for row in store.select(CLUSTER_LABELS):
        table[slug_of(row["cluster"])]["labels"].add(row["label"])
    for row in store.select(CLUSTER_SOURCES):
        table[slug_of(row["cluster"])]["sources"].add(row["path"])
    return {slug: {key: sorted(values) for key, values in table[slug].items()} for slug in sorted(table)}
