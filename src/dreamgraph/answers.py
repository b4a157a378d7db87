"""Shipped queries answered from what the build kept beside the embedded store, with the rows SPARQL gives.

On disk, Oxigraph looks up every pattern and reads every string on its own, so a shipped query that lists
most of a large library takes seconds (the completeness of 100,000 articles: 18 s), while the build
already made the data it asks for (see :mod:`dreamgraph.snapshot`). Each function here answers one shipped
query (its name) from that data, with exactly the rows, terms and order the query gives; tests run every
one against the query itself, on libraries made to hold the corner cases. A query with no function here,
a store with nothing kept (a remote endpoint, a graph loaded by hand) and any query not shipped go to the
engine as they are; but for ``leads-to`` and ``reachable-from``, answered from the projection whatever the
store (kept, or asked of the graph with plain patterns): their ``dg:nextStage+`` is the one form engines
disagree on (Virtuoso 7.2 runs out of memory on a library with loops).

>>> from dreamgraph.library import assemble, shared_triples
>>> from dreamgraph.parse import parse_text
>>> from dreamgraph.snapshot import Snapshot, make_tables
>>> library = assemble([parse_text("Dream About Falling: The Drop\\nNext Stages\\n"
...                                "- If you land → dream about landing meaning — when it ends\\n", "a.txt")], {})
>>> snapshot = Snapshot(tables=make_tables(library, shared_triples(library)))
>>> answer = kept_answer(snapshot, "stubs-by-demand", {})
>>> answer.variables, answer.rows[0][1:]
(['stub', 'label', 'linkedFrom'], (('literal', 'landing', None, None), ('literal', '1', 'http://www.w3.org/2001/XMLSchema#integer', None)))
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Callable

from . import query
from .bytesearch import Haystack
from .limits import DEFAULT_QUERY_MEMORY
from .query import DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT, NamedQuery, named_queries, named_query
from .snapshot import Snapshot, lookups
from .snapshot.articles import SECTION_COUNTS, Cards
from .snapshot.texts import PART_KINDS, SEARCH_KINDS, SEARCHED
from .store import Store
from .terms import QueryResult, python_value
from .vocabulary import cluster_iri, dream_iri, slug_of

_XSD = "http://www.w3.org/2001/XMLSchema#"
Rows = tuple[list[str], list[tuple]]


def _iri(value: str) -> tuple:
    return ("uri", value)


def _text(value: str) -> tuple:
    return ("literal", value, None, None)


@lru_cache(maxsize=4096)  # one cell for each count: the completeness of 100,000 articles makes 700,000 of them
def _integer(value: int) -> tuple:
    return ("literal", str(value), _XSD + "integer", None)


@lru_cache(maxsize=2)
def _boolean(value: bool) -> tuple:
    return ("literal", "true" if value else "false", _XSD + "boolean", None)


def _article(entry: dict) -> tuple:
    """The dream, label, path and line of a completeness entry (see :func:`dreamgraph.gaps.completeness_matrix`)."""
    return ("uri", dream_iri(entry["dream"])), _text(entry["label"]), _text(entry["path"]), _integer(entry["line"])


# --- one function per shipped query: (snapshot, bindings) -> (variables, rows), or None when not kept ----

def gap_completeness(snapshot: Snapshot, bindings: dict) -> Rows | None:
    matrix = snapshot.kept("completeness")
    if matrix is None:
        return None
    counts = itemgetter(*SECTION_COUNTS.values())
    return (["dream", "label", "path", "line", *SECTION_COUNTS],
            [(*_article(e), *map(_integer, counts(e))) for e in matrix])


def gap_orphans(snapshot: Snapshot, bindings: dict) -> Rows | None:
    matrix, links = snapshot.kept("completeness"), snapshot.kept_links()
    if matrix is None or links is None:
        return None

    def orphan(slug: str) -> bool:  # no dream but itself links to it (see dreamgraph.gaps.is_orphan)
        n = links.index[slug]
        return all(m == n for m in links.predecessors(n))

    return ["dream", "label", "path", "line"], [_article(e) for e in matrix if orphan(e["dream"])]


def gap_dead_ends(snapshot: Snapshot, bindings: dict) -> Rows | None:
    matrix, links = snapshot.kept("completeness"), snapshot.kept_links()
    if matrix is None or links is None:
        return None
    ends = sorted((e for e in matrix if not links.out_degree(links.index[e["dream"]])),
                  key=lambda e: (-links.in_degree(links.index[e["dream"]]), e["dream"]))
    return (["dream", "label", "path", "line", "linkedFrom"],
            [(*_article(e), _integer(links.in_degree(links.index[e["dream"]]))) for e in ends])


def gap_no_cluster(snapshot: Snapshot, bindings: dict) -> Rows | None:
    matrix, links = snapshot.kept("completeness"), snapshot.kept_links()
    if matrix is None or links is None:
        return None
    return (["dream", "label", "path", "line"],
            [_article(e) for e in matrix if not links.clusters[links.index[e["dream"]]]])


def stubs_by_demand(snapshot: Snapshot, bindings: dict) -> Rows | None:
    links = snapshot.kept_links()
    if links is None:
        return None
    stubs = sorted((n for n in range(len(links.slugs)) if links.stub[n] and links.in_degree(n)),
                   key=lambda n: (-links.in_degree(n), links.slugs[n]))
    return (["stub", "label", "linkedFrom"],
            [(_iri(str(dream_iri(links.slugs[n]))), _text(links.labels[n]), _integer(links.in_degree(n))) for n in stubs])


def gap_missing_articles(snapshot: Snapshot, bindings: dict) -> Rows | None:
    links, matrix = snapshot.kept("stub-links"), snapshot.kept("completeness")
    if links is None or matrix is None:
        return None
    source = {e["path"]: e["dream"] for e in matrix}
    if any(path not in source for entry in links.values() for path, _, _ in entry["links"]):
        return None  # a link from a file that made no written dream: let the query say what it finds
    rows = []
    for slug in sorted(links):
        dream, label = _iri(str(dream_iri(slug))), _text(links[slug]["label"])
        rows.extend((dream, label, _iri(str(dream_iri(source[path]))), _text(path), _integer(line), _text(condition))
                    for path, line, condition in links[slug]["links"])
    return ["dream", "label", "source", "path", "line", "condition"], rows


def gap_clusters(snapshot: Snapshot, bindings: dict) -> Rows | None:
    table, links = snapshot.kept("clusters"), snapshot.kept_links()
    if table is None or links is None:
        return None
    written = Counter(c for n, clusters in enumerate(links.clusters) if not links.stub[n] for c in clusters)
    rows = []
    for slug in sorted(table, key=lambda slug: (written[slug], slug)):
        hub = slug in links.index and not links.stub[links.index[slug]]  # see dreamgraph.gaps.has_hub
        rows.extend((_iri(str(cluster_iri(slug))), _text(label), _integer(written[slug]),
                     _iri(str(dream_iri(slug))) if hub else None) for label in table[slug]["labels"])
    return ["cluster", "label", "writtenDreams", "hub"], rows


def article_texts(snapshot: Snapshot, bindings: dict, max_rows: int | None = None) -> Rows | None:
    """The texts near-duplicates are judged on, from the kept cards (the same texts: Quick Answer items,
    scenarios and their meanings), a dream at a time until past the cap."""
    table = snapshot.kept("card-parts")
    if table is None:
        return None
    rows: list[tuple] = []
    for slug, part in Cards(table).in_order():
        dream = ("uri", dream_iri(slug))
        rows.extend((dream, _text(text)) for text in sorted([*part["quick"], *chain.from_iterable(part["scenarios"])]))
        if max_rows is not None and len(rows) > max_rows:
            break
    return ["dream", "text"], rows


def _progression(snapshot: Snapshot, bindings: dict, column: str, forward: bool) -> Rows | None:
    if "dream" not in bindings:
        return None
    links = snapshot.links  # kept, or made from the projection asked of any engine without a property path
    start = str(bindings["dream"])
    n = links.index.get(slug_of(start))
    found = [] if n is None else links.reached(n, forward).tolist()
    asked, slugs, labels, stub = _iri(start), links.slugs, links.labels, links.stub
    return (["dream", column, "label", "stub"],
            [(asked, ("uri", dream_iri(slugs[m])), _text(labels[m]), _boolean(bool(stub[m]))) for m in found])


def leads_to(snapshot: Snapshot, bindings: dict) -> Rows | None:
    return _progression(snapshot, bindings, "source", forward=False)


def reachable_from(snapshot: Snapshot, bindings: dict) -> Rows | None:
    return _progression(snapshot, bindings, "reached", forward=True)


def search(snapshot: Snapshot, bindings: dict, max_rows: int | None = None) -> Rows | None:
    """The texts that contain the words (any case), found in the kept lower-cased texts (see
    :func:`dreamgraph.snapshot.texts.search_from_library`); the texts themselves are the kept ones where the
    build kept them as they are (:func:`_kept_texts`), else read from the store, for the rows kept only.
    Empty words (every text) go to the engine."""
    import numpy as np

    index = snapshot.kept("search")
    words = bindings.get("text")
    if index is None or not words:
        return None
    needle, starts = str(words).lower().encode("utf-8", "surrogatepass"), index["starts"]
    lower = Haystack(index["lower"])
    # The texts are laid out dream by dream in the order of their IRIs, the query's first sort key: with a
    # cap, the scan ends after the dream of the first row past it.
    found: list[int] = []
    last_dream = None
    at = lower.find(needle)
    while at >= 0:
        entry = int(np.searchsorted(starts, at, side="right")) - 1
        if at + len(needle) > starts[entry + 1]:  # across two texts: not a match
            at = lower.find(needle, at + 1)
            continue
        if last_dream is not None and index["dream"][entry] != last_dream:
            break
        found.append(entry)
        if max_rows is not None and last_dream is None and len(found) > max_rows:
            last_dream = index["dream"][entry]
        at = lower.find(needle, int(starts[entry + 1]))
    iris: dict[int, str] = {}
    places = []  # (dream IRI, kind, node IRI, predicate, dream): the query's order but for the texts
    for entry in found:
        dream, kind, position = int(index["dream"][entry]), int(index["kind"][entry]), int(index["position"][entry])
        if dream not in iris:
            iris[dream] = str(dream_iri(index["dreams"][dream]))
        node = iris[dream] if kind == 0 else f"{iris[dream]}/{PART_KINDS[kind]}/{position}"
        places.append((iris[dream], SEARCH_KINDS[kind], node, SEARCHED[index["predicate"][entry]], dream, kind,
                       position))
    places.sort()
    if max_rows is not None and len(places) > max_rows:
        # the rows within the cap, the rest of the last one's node (its texts order it), and one more to
        # show there are more
        end = max_rows
        while max_rows and end < len(places) and places[end][2] == places[max_rows - 1][2]:
            end += 1
        places = places[:max(end, max_rows + 1)]
    texts = _kept_texts(snapshot, index, places)
    texts.update(lookups.texts_of(snapshot.store, [(node, predicate) for _, _, node, predicate, *_ in places
                                                   if (node, predicate) not in texts]))
    rows = sorted((iri, kind, node, texts[node, predicate], dream) for iri, kind, node, predicate, dream, *_ in places)
    return (["text", "dream", "dreamLabel", "kind", "node", "match"],
            [(_text(str(words)), _iri(iri), _text(index["labels"][dream]), _text(kind), _iri(node), _text(match))
             for iri, kind, node, match, dream in rows])


_LABEL, _MEANING = SEARCHED[0], next(p for p in SEARCHED if p.endswith("#meaning"))
_QUICK = PART_KINDS.index("quick-answer")  # a text of its own; a scenario's or sensation's is a pair
_CARD_PARTS = {_QUICK: "quick", PART_KINDS.index("scenario"): "scenarios", PART_KINDS.index("sensation"): "sensations"}


def _kept_texts(snapshot: Snapshot, index: dict, places: list[tuple]) -> dict[tuple[str, str], str]:
    """The texts of the search's rows that the build kept as they are (each row: its dream IRI, kind, node,
    predicate, dream number, kind number and position): a dream's label (the search table has it), and
    the Quick Answer items, scenarios and sensations with their meanings (its card parts), keyed by (node,
    predicate). The store is asked for the others: its look-ups are a tenth of a millisecond each, and a
    common word's first 10,000 rows at 100,000 articles are mostly these parts."""
    table = snapshot.kept("card-parts")
    cards = Cards(table) if table is not None else {}
    opened: dict[int, dict] = {}
    texts = {}
    for _, _, node, predicate, dream, kind, position in places:
        if kind == 0 and predicate == _LABEL:
            texts[node, predicate] = index["labels"][dream]
        elif kind in _CARD_PARTS and (predicate == _LABEL or (predicate == _MEANING and kind != _QUICK)):
            if dream not in opened:
                opened[dream] = cards.get(index["dreams"][dream], {})
            parts = opened[dream].get(_CARD_PARTS[kind], [])
            if 0 < position <= len(parts):
                part = parts[position - 1]
                texts[node, predicate] = part if kind == _QUICK else part[predicate == _MEANING]
    return texts


ANSWERS: dict[str, Callable[..., Rows | None]] = {
    "gap-completeness": gap_completeness, "gap-orphans": gap_orphans, "gap-dead-ends": gap_dead_ends,
    "gap-no-cluster": gap_no_cluster,
    "gap-missing-articles": gap_missing_articles, "gap-clusters": gap_clusters, "stubs-by-demand": stubs_by_demand,
    "leads-to": leads_to, "reachable-from": reachable_from, "search": search, "article-texts": article_texts,
}


def kept_answer(store: Store | Snapshot, name: str, bindings: dict | None,
                max_rows: int | None = None) -> QueryResult | None:
    """Return the answer of the shipped query ``name`` made from the data kept with the store, at most
    ``max_rows`` rows, or None when the engine must answer it."""
    answer = ANSWERS.get(name)
    if answer is None:
        return None
    snapshot = Snapshot.of(store)
    capped = answer in (search, article_texts)  # these stop once past the cap
    made = answer(snapshot, bindings or {}, max_rows) if capped else answer(snapshot, bindings or {})
    if made is None:
        return None
    variables, rows = made
    limit = len(rows) if max_rows is None else max_rows
    return QueryResult("select", variables=variables, rows=rows[:limit], truncated=len(rows) > limit)


def run_query(store: Store, text: str | NamedQuery, bindings: dict | None = None, *, allow_network: bool = False,
              timeout: float | None = DEFAULT_TIMEOUT, max_rows: int | None = DEFAULT_MAX_ROWS,
              max_memory: int | None = DEFAULT_QUERY_MEMORY) -> QueryResult:
    """Return the result of a user's query (see :func:`dreamgraph.query.run_query`), a shipped query
    answered from the kept data when the build kept what it asks for.

    A query shipped with dreamgraph passes the safety checks (the tests see to it), so it is not parsed
    twice: the check's parser costs 0.2 s of a command.
    """
    if isinstance(text, NamedQuery) and named_queries().get(text.name) == text:
        kept = kept_answer(store, text.name, bindings, max_rows)
        if kept is not None:
            return kept
    return query.run_query(store, text, bindings, allow_network=allow_network, timeout=timeout, max_rows=max_rows,
                           max_memory=max_memory)


def search_text(store: Store, text: str, limit: int = 200) -> list[dict]:
    """Return the dreams and parts whose text contains ``text`` (any case), with the dream each belongs to.

    Runs the shipped ``search`` query with ``text`` bound as a literal (answered from the texts the build
    kept when it can: :func:`search`).
    """
    result = run_query(store, named_query("search"), {"text": text}, timeout=None, max_rows=limit)
    rows = [{name: python_value(cell) for name, cell in zip(result.variables, row)} for row in result.rows]
    return [{"dream": slug_of(r["dream"]), "dream_label": r["dreamLabel"], "kind": r["kind"],
             "node": str(r["node"]), "match": r["match"]} for r in rows]
