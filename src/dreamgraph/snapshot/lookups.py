"""What is asked of the graph about one dream or a few: whether it exists, its names, its card, the links
into it, the questions of some articles, and texts by node. These are small lookups the store answers by
its indexes at any size, so no table is kept for them; they live here so that the analyses never write
SPARQL.

Each query's OPTIONAL blocks come after its triple patterns: Oxigraph evaluates patterns that follow an
OPTIONAL on their own, for every node they match (the links into a hub dream of 100,000 articles took ten
minutes so, 0.03 s with the OPTIONAL last; tests/test_query.py checks every query of the package).
"""

from __future__ import annotations

from ..store import Store
from ..terms import IRI, sparql_term
from ..vocabulary import dream_iri, slug_of


def dream_exists(store: Store, slug: str) -> bool:
    """Return True when a dream (written or stub) has this slug."""
    return store.ask("ASK { ?dream a dg:Dream }", {"dream": IRI(dream_iri(slug))})


def names_of(store: Store, iri: str) -> set[str]:
    """Return the lowercased names (label, title, aliases) of one dream."""
    rows = store.select("SELECT ?dream ?name WHERE { ?dream rdfs:label|dg:title|skos:altLabel ?name }",
                        {"dream": IRI(iri)})
    return {str(r["name"]).strip().lower() for r in rows}


CARD_QUERY = """
SELECT ?dream ?label ?stub ?title ?subtitle ?partial ?sentence ?intro ?url WHERE {
  ?dream rdfs:label ?label ; dg:isStub ?stub .
  OPTIONAL { ?dream dg:title ?title } OPTIONAL { ?dream dg:subtitle ?subtitle } OPTIONAL { ?dream dg:url ?url }
  OPTIONAL { ?dream dg:isPartial ?partial } OPTIONAL { ?dream dg:coreSentence ?sentence }
  OPTIONAL { ?dream dg:intro ?intro }
}"""
CARD_PARTS_QUERY = """
SELECT ?dream ?kind ?position ?label ?detail WHERE {
  VALUES (?link ?kind) { (dg:quickAnswer "quick-answer") (dg:hasScenario "scenario")
                         (dg:hasSensation "sensation") (dg:hasQuestion "question") (dg:hasSection "section") }
  ?dream ?link ?part . ?part rdfs:label ?label ; dg:position ?position .
  OPTIONAL { ?part dg:meaning|dg:answer|dg:text ?detail }
} ORDER BY ?kind ?position"""
STAGES_QUERY = """
SELECT ?dream ?target ?targetLabel ?stub ?condition ?gloss ?position WHERE {
  ?dream dg:transition ?t . ?t dg:to ?target ; dg:condition ?condition ; dg:position ?position .
  ?target rdfs:label ?targetLabel ; dg:isStub ?stub .
  OPTIONAL { ?t dg:gloss ?gloss }
} ORDER BY ?position"""
LED_FROM_QUERY = """
SELECT DISTINCT ?dream ?source ?sourceLabel WHERE { ?source dg:nextStage ?dream ; rdfs:label ?sourceLabel }
ORDER BY ?source"""
CLUSTERS_QUERY = ("SELECT ?dream ?cluster ?label WHERE { ?dream dg:belongsToCluster ?cluster . "
                  "?cluster rdfs:label ?label } ORDER BY ?cluster")
SOURCES_QUERY = ("SELECT DISTINCT ?dream ?path WHERE { ?dream prov:wasDerivedFrom ?s . ?s rdfs:label ?path } "
                 "ORDER BY ?path")


def card_rows(store: Store, iri: str) -> dict[str, list[dict]] | None:
    """Return the rows a dream's card is made of (``head``, ``parts``, ``stages``, ``led_from``, ``clusters``,
    ``sources``), or None when no dream has this IRI."""
    bindings = {"dream": IRI(iri)}
    head = store.select(CARD_QUERY, bindings)
    if not head:
        return None
    return {"head": head, "parts": store.select(CARD_PARTS_QUERY, bindings),
            "stages": store.select(STAGES_QUERY, bindings), "led_from": store.select(LED_FROM_QUERY, bindings),
            "clusters": store.select(CLUSTERS_QUERY, bindings), "sources": store.select(SOURCES_QUERY, bindings)}


INCOMING_QUERY = """
SELECT ?from ?condition ?gloss ?line ?path WHERE {
  ?transition dg:to ?dream ; dg:from ?from ; dg:condition ?condition ; dg:sourceLine ?line .
  ?from prov:wasDerivedFrom ?source . ?source a dg:SourceArticle ; rdfs:label ?path .
  OPTIONAL { ?transition dg:gloss ?gloss }
} ORDER BY ?path ?line"""


def incoming_links(store: Store, slug: str) -> list[dict]:
    """Return every next stage that leads to a dream: ``from`` (IRI), ``condition``, ``gloss`` (if any),
    ``line`` and ``path`` of the linking article, sorted by path and line."""
    return store.select(INCOMING_QUERY, {"dream": IRI(dream_iri(slug))})


QUESTIONS_QUERY = """
SELECT ?dream ?question ?position WHERE {
  ?dream dg:hasQuestion ?node . ?node rdfs:label ?question ; dg:position ?position .
} ORDER BY ?dream ?position"""


def questions_of(store: Store, slugs: list[str]) -> list[dict]:
    """Return the FAQ questions of some dreams: ``dream`` (IRI), ``question``, ``position``, sorted."""
    if not slugs:
        return []
    values = " ".join(sparql_term(IRI(dream_iri(slug))) for slug in sorted(slugs))
    return store.select(QUESTIONS_QUERY.replace("WHERE {", f"WHERE {{ VALUES ?dream {{ {values} }}", 1))


def texts_of(store: Store, pairs: list[tuple[str, str]], batch: int = 5_000) -> dict[tuple[str, str], str]:
    """Return the text of each (node IRI, predicate IRI) pair: ``batch`` pairs a query, two queries at a time
    (the engine looks each pair up apart and lets go of Python's lock meanwhile: the 10,000 texts of a
    search at 100,000 articles took 0.39 s one query after the other, 0.25 s two at a time)."""
    from concurrent.futures import ThreadPoolExecutor

    def ask(first: int) -> list[tuple]:
        values = " ".join(f"({sparql_term(IRI(node))} {sparql_term(IRI(predicate))})"
                          for node, predicate in pairs[first:first + batch])
        return store.execute(f"SELECT ?node ?predicate ?text WHERE {{ VALUES (?node ?predicate) {{ {values} }} "
                             "?node ?predicate ?text }").rows

    starts = range(0, len(pairs), batch)
    if len(starts) > 1:
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(ask, starts))
    else:
        answers = [ask(first) for first in starts]
    return {(node[1], predicate[1]): text[1] for rows in answers for node, predicate, text in rows}


TRANSITIONS_QUERY = """
SELECT ?t ?from ?to ?condition ?gloss WHERE {
  ?t dg:from ?from ; dg:to ?to .
  OPTIONAL { ?t dg:condition ?condition } OPTIONAL { ?t dg:gloss ?gloss }
}"""


def transitions(store: Store, iri: str, outgoing: bool) -> list[tuple[str, str, int, str, str]]:
    """Return the next stages from (``outgoing``) or to one dream as (source slug, target slug, position,
    condition, gloss), the position read from the transition's IRI as the projection does."""
    rows = store.select(TRANSITIONS_QUERY, {"from" if outgoing else "to": IRI(iri)})
    return sorted((slug_of(str(r["from"])), slug_of(str(r["to"])), int(slug_of(str(r["t"]))),
                   str(r.get("condition") or ""), str(r.get("gloss") or "")) for r in rows)
