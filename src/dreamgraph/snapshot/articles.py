"""Tables about the written articles and what they name: the completeness matrix, the parts a card shows,
the counts, every name a dream answers to, the links to stubs, and the clusters.

Each table is made from the library by a build (``*_from_library``) and asked of a graph with SPARQL
when nothing is kept (``*_from_store``); the two give the same value (tests/test_snapshot.py).
"""

from __future__ import annotations

import heapq
import pickle
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping
from operator import itemgetter
from pathlib import Path
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
    """Per written dream, the parts its card shows (a mapping slug -> parts), read from a card table: each
    dream's parts pickled on its own, the dreams' laid end to end in ``packed`` (bytes that a build keeps in
    a file of its own and a reader maps, see :func:`dreamgraph.store.derived_files`), with the dreams in
    order (``slugs``) and where each begins (``starts``). A view unpickles the cards it shows, not 100,000
    of them; a rebuild copies an unchanged dream's bytes without reading them, and a patch copies them
    from the last table's file in the background (see :func:`cards_patched`: at 100,000 articles the cards
    are 216 MB, unpickled in 0.5-1 s and written again after a copy when kept in one pickle). ``urls`` has
    the page address of each dream read from a web page, readable without the cards.

    >>> cards = Cards.of({"flying": {"quick": ["Lift."], "scenarios": [], "sensations": []}})
    >>> cards["flying"]["quick"], len(cards), cards.get("falling", {}), cards.urls, list(cards)
    (['Lift.'], 1, {}, {}, ['flying'])
    """

    def __init__(self, table: dict):
        self.table, self.slugs, self.urls = table, table["slugs"], table["urls"]

    @classmethod
    def of(cls, parts: dict[str, dict[str, list]]) -> Cards:
        """Return the cards of plain parts (slug -> parts)."""
        return cls(card_table(parts))

    @staticmethod
    def pack(part: dict[str, list]) -> bytes:
        return pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL)

    def packed(self, slug: str) -> bytes | memoryview:
        """The pickled parts of one dream's card."""
        n = self._place(slug)
        if n is None:
            raise KeyError(slug)
        return memoryview(self.table["packed"])[int(self.table["starts"][n]):int(self.table["starts"][n + 1])]

    def in_order(self) -> Iterator[tuple[str, dict[str, list]]]:
        """Yield every dream's slug and card in the order of the slugs, each unpickled when reached (all
        100,000 of a large library in 0.7 s).

        >>> list(Cards.of({"b": {"quick": ["B."]}, "a": {"quick": ["A."]}}).in_order())
        [('a', {'quick': ['A.']}), ('b', {'quick': ['B.']})]
        """
        view, starts = memoryview(self.table["packed"]), self.table["starts"].tolist()
        return ((slug, pickle.loads(view[a:b])) for slug, a, b in zip(self.slugs, starts, starts[1:]))

    def _place(self, slug: object) -> int | None:
        n = bisect_left(self.slugs, slug) if isinstance(slug, str) else len(self.slugs)
        return n if n < len(self.slugs) and self.slugs[n] == slug else None

    def __getitem__(self, slug: str) -> dict[str, list]:
        return pickle.loads(self.packed(slug))

    def __contains__(self, slug: object) -> bool:
        return self._place(slug) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.slugs)

    def __len__(self) -> int:
        return len(self.slugs)

    def __repr__(self) -> str:
        return f"<Cards of {len(self)} dreams>"


def card_table(parts: dict[str, dict[str, list]]) -> dict[str, object]:
    """Return the card table of plain parts (slug -> parts; see :class:`Cards`)."""
    return _card_table([(slug, Cards.pack(parts[slug])) for slug in sorted(parts)],
                       {slug: part["url"] for slug, part in parts.items() if part.get("url")})


def _card_table(packed: Iterable[tuple[str, bytes | memoryview]], urls: dict[str, str]) -> dict[str, object]:
    """Return a card table of each dream's packed parts, in the order of their slugs."""
    import numpy as np

    slugs, lengths, laid = [], [0], bytearray()
    for slug, data in packed:
        slugs.append(slug)
        lengths.append(len(data))
        laid += data
    return {"slugs": slugs, "starts": np.cumsum(lengths, dtype=np.int64), "packed": laid, "urls": urls}


def card_parts_from_library(library: Library, last: dict | None = None, last_versions: dict[str, str] | None = None,
                            versions: dict[str, str] | None = None) -> dict[str, object]:
    """Return the card table of the library (see :class:`Cards`): per written dream, ``quick`` (texts) and
    ``scenarios`` and ``sensations`` ([text, meaning] pairs), in article order, and ``url``, the page's
    address, when the article was read from a web page. Given the ``last`` build's card table and
    :func:`article_versions`, a dream's parts are copied from it while its article's version is the same
    (neither its texts nor its last parts are then unpickled: see :class:`dreamgraph.article.Article`);
    ``versions`` are this build's, when made."""
    old = Cards(last) if isinstance(last, dict) and "packed" in last and last_versions is not None else None
    if old is None:
        versions = {}
    elif versions is None:
        versions = article_versions(library)
    urls: dict[str, str] = {}

    def packed() -> Iterator[tuple[str, bytes | memoryview]]:
        for slug in sorted(library.articles):
            if versions and last_versions.get(slug) == versions[slug]:
                if slug in old:
                    yield slug, old.packed(slug)
                    if slug in old.urls:
                        urls[slug] = old.urls[slug]
                continue
            part = _card_part(library.articles[slug])
            if part is not None:
                if "url" in part:
                    urls[slug] = part["url"]
                yield slug, Cards.pack(part)

    return _card_table(packed(), urls)


def _card_part(article: Article) -> dict[str, list] | None:
    """The parts of one article's card, or None when it has none to show."""
    quick = [item.text for item in article.quick_answer]
    scenarios = [[s.label, s.meaning] for s in article.scenarios]
    sensations = [[s.label, s.meaning] for s in article.sensations]
    url = article.url
    article.let_go()
    if not (quick or scenarios or sensations or url):
        return None
    part = {"quick": quick, "scenarios": scenarios, "sensations": sensations}
    if url:
        part["url"] = url
    return part


def cards_patched(last: dict, library: Library, spill: Path | None = None,
                  packed_file: Path | None = None,
                  removed: Iterable[str] = ()) -> tuple[dict[str, object], Callable[[], None]]:
    """Return the ``last`` build's card table with the cards of the dreams of ``library`` (a patch's edited
    articles, see :mod:`dreamgraph.patch`) made again from their articles (a dream without parts to show has
    no card) and those of the dreams ``removed`` (no longer written) taken out, and what waits until the
    table's bytes are all in place: with ``spill`` and ``packed_file`` (the last table's file of them), the
    other dreams' bytes are copied from that file to a new one in ``spill`` in the background (see
    :func:`dreamgraph.files.spliced`), else laid out in memory."""
    import numpy as np

    from ..files import splice, spliced
    from .texts import SPILLED

    old_slugs, old_starts = last["slugs"], last["starts"]
    urls = dict(last["urls"])
    made = {}
    changed = sorted({*library.articles, *removed})
    for slug in changed:
        part = _card_part(library.articles[slug]) if slug in library.articles else None
        urls.pop(slug, None)
        if part is not None:
            made[slug] = Cards.pack(part)
            if "url" in part:
                urls[slug] = part["url"]
    slugs, lengths, runs, pieces = [], [], [], []
    at = 0  # the next old dream to copy
    for slug in changed:
        n = bisect_left(old_slugs, slug)
        slugs.extend(old_slugs[at:n])
        lengths.append(np.diff(old_starts[at:n + 1]))
        runs.append((int(old_starts[at]), int(old_starts[n])))
        at = n + 1 if n < len(old_slugs) and old_slugs[n] == slug else n
        piece = made.get(slug, b"")
        if slug in made:
            slugs.append(slug)
            lengths.append(np.array([len(piece)], dtype=np.int64))
        pieces.append(piece)
    slugs.extend(old_slugs[at:])
    lengths.append(np.diff(old_starts[at:]))
    runs.append((int(old_starts[at]), int(old_starts[-1])))
    starts = np.concatenate([[0], np.cumsum(np.concatenate(lengths))]).astype(np.int64)
    if spill is not None and packed_file is not None:
        laid, wait = spliced(runs, pieces, spill, SPILLED, packed_file)
    else:
        laid, wait = bytearray(), lambda: None
        splice(last["packed"], runs, pieces, laid.extend)
    return {"slugs": slugs, "starts": starts, "packed": laid, "urls": urls}, wait


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


def card_parts_from_store(store: Store) -> dict[str, object]:
    """Return the card table asked of the graph (see :class:`Cards`)."""
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
    return card_table(parts)


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


def names_from_library(library: Library, projection: nx.DiGraph,
                       rivals: dict[str, list[str]] | None = None) -> dict[str, str]:
    """Return every name a dream answers to (slug, label, title, aliases; lowercased) -> its IRI (finding
    a dream by a misspelt name at 100,000 articles took 18 s when asked of the graph); ``rivals`` as
    :func:`names_table` fills it."""
    dreams = {}
    for slug, data in projection.nodes(data=True):
        article = library.articles.get(slug)
        dreams[data["iri"]] = {"labels": {data["label"]}, "titles": {article.title} if article else set(),
                               "aliases": set(article.aliases) if article else set()}
    return names_table(dreams, rivals)


def names_from_store(store: Store) -> dict[str, str]:
    """Return the names table asked of the graph."""
    found: dict[str, dict] = {}
    for row in store.select(NAMES_QUERY):
        entry = found.setdefault(str(row["dream"]), {"labels": set(), "titles": set(), "aliases": set()})
        for key, column in (("labels", "label"), ("titles", "title"), ("aliases", "alias")):
            if row.get(column):
                entry[key].add(str(row[column]))
    return names_table(found)


def name_key(text: object) -> str:
    """Return the key the names table files a name under (lower case, no spaces around)."""
    return str(text).strip().lower()


def names_table(dreams: dict[str, dict], rivals: dict[str, list[str]] | None = None) -> dict[str, str]:
    """Return the names table from each dream's IRI -> its ``labels``, ``titles`` and ``aliases``. A name
    two dreams answer to goes to the one whose label it is, else title, else alias, else slug; then to the
    first IRI. ``rivals``, when given, is filled with each name more than one dream answers to -> the IRIs
    of the others, sorted (the table "name-rivals": a rebuild that takes a dream away knows from it that
    none of its names passes to another dream, see :mod:`dreamgraph.patch`).

    >>> rivals = {}
    >>> names_table({"x/a": {"labels": {"Fall"}, "titles": set(), "aliases": set()},
    ...              "x/b": {"labels": {"Drop"}, "titles": {"Fall"}, "aliases": set()}}, rivals)
    {'a': 'x/a', 'b': 'x/b', 'drop': 'x/b', 'fall': 'x/a'}
    >>> rivals
    {'fall': ['x/b']}
    """
    ranked: dict[str, tuple[int, str]] = {}
    answering: dict[str, set[str]] = defaultdict(set)
    for iri, entry in dreams.items():
        for rank, texts in enumerate((entry["labels"], entry["titles"], entry["aliases"], [slug_of(iri)])):
            for text in texts:
                key = name_key(text)
                if key and (key not in ranked or (rank, iri) < ranked[key]):
                    ranked[key] = (rank, iri)
                if key and rivals is not None:
                    answering[key].add(iri)
    if rivals is not None:
        rivals.update((key, sorted(iris - {ranked[key][1]}))
                      for key, iris in sorted(answering.items()) if len(iris) > 1)
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
                       resolve: Callable[[str], str], written: Container[str],
                       new: dict[str, dict] | None = None, gone: Container[str] = ()) -> dict[str, dict]:
    """Return the ``last`` build's links to stubs after articles changed from ``before`` to ``after``, each
    the same dream, its links to the same stubs with the same labels (see :mod:`dreamgraph.patch`): their
    links' lines and conditions read again; with the ``new`` stubs' entries, in their places, and without
    those of the stubs ``gone`` (written for now)."""
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
    for stub, made in links.items():
        if stub in table:
            table[stub] = {"label": table[stub]["label"],
                           "links": sorted([link for link in table[stub]["links"] if link[0] not in paths] + made)}
    if new:
        table = dict(sorted({**table, **new}.items()))
    return {stub: entry for stub, entry in table.items() if stub not in gone} if gone else table


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
