"""The dreams of a built graph: finding one by name, its card, and counts.

>>> from dreamgraph.store import MemoryStore
>>> store = MemoryStore.from_turtle(b'''@prefix dg: <https://w3id.org/dreamgraph/ontology#> .
... @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
... <https://w3id.org/dreamgraph/id/dream/falling> a dg:Dream ; rdfs:label "Falling" ; dg:isStub false ;
...     dg:title "Dream About Falling: The Drop" .''')
>>> find_dream(store, "FALLING")
'https://w3id.org/dreamgraph/id/dream/falling'
>>> find_dream(store, "Dream About Falling: The Drop")
'https://w3id.org/dreamgraph/id/dream/falling'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .errors import UnknownDreamError
from .slugs import dream_slug, slugify
from .store import IRI, Store
from .vocabulary import dream_iri, slug_of

NAMES_QUERY = """
SELECT ?dream ?label ?title ?alias WHERE {
  ?dream a dg:Dream ; rdfs:label ?label .
  OPTIONAL { ?dream dg:title ?title }
  OPTIONAL { ?dream skos:altLabel ?alias }
}"""


def dream_names(store: Store) -> dict[str, str]:
    """Return every name a dream answers to (slug, label, title, aliases; lowercased) -> its IRI. A name
    two dreams answer to goes to the one whose label it is, else title, else alias, else slug; then to the
    first IRI. An embedded store has them from the build (:func:`dreamgraph.derived.dream_name_table`)."""
    kept = store.derived("names")
    if kept is not None:
        return kept
    found: dict[str, dict] = {}
    for row in store.select(NAMES_QUERY):
        entry = found.setdefault(str(row["dream"]), {"labels": set(), "titles": set(), "aliases": set()})
        for key, column in (("labels", "label"), ("titles", "title"), ("aliases", "alias")):
            if row.get(column):
                entry[key].add(str(row[column]))
    return names_table(found)


def names_table(dreams: dict[str, dict]) -> dict[str, str]:
    """Return :func:`dream_names` from each dream's IRI -> its ``labels``, ``titles`` and ``aliases``."""
    ranked: dict[str, tuple[int, str]] = {}
    for iri, entry in dreams.items():
        for rank, texts in enumerate((entry["labels"], entry["titles"], entry["aliases"], [slug_of(iri)])):
            for text in texts:
                key = str(text).strip().lower()
                if key and (key not in ranked or (rank, iri) < ranked[key]):
                    ranked[key] = (rank, iri)
    return {key: iri for key, (_, iri) in sorted(ranked.items())}


def dream_names_for(store: Store, iri: str) -> set[str]:
    """Return the lowercased names (label, title, aliases) of one dream."""
    rows = store.select("SELECT ?dream ?name WHERE { ?dream rdfs:label|dg:title|skos:altLabel ?name }",
                        {"dream": IRI(iri)})
    return {str(r["name"]).strip().lower() for r in rows}


def find_dream(store: Store, name: str, suggest: bool = True) -> str:
    """Return the IRI of the dream a name means: a slug, a title, a label or an alias, in any case.

    Raises UnknownDreamError, with close matches unless not ``suggest``, when no dream answers to the name.
    """
    text = name.strip()

    def exists(slug: str) -> bool:
        return store.ask("ASK { ?dream a dg:Dream }", {"dream": IRI(dream_iri(slug))})

    # The common cases need no scan of every dream's names: the text is a slug, or it is the exact name
    # of the dream its framing-free slug names (a title whose article chose another slug falls through).
    if exists(slugify(text)):
        return str(dream_iri(slugify(text)))
    given = text.removeprefix(str(dream_iri(""))) if text.startswith(str(dream_iri(""))) else ""
    if given and given == slugify(given) and exists(given):  # the dream's IRI
        return text
    framed = dream_slug(text)
    if exists(framed) and text.lower() in dream_names_for(store, dream_iri(framed)):
        return str(dream_iri(framed))
    names = dream_names(store)
    for key in (text.lower(), slugify(text), dream_slug(text)):
        if key in names:
            return names[key]
    if not suggest:
        raise UnknownDreamError(name, [])
    from rapidfuzz import fuzz, process

    slugs = sorted({slug_of(iri) for iri in names.values()})
    matches = process.extract(dream_slug(text), slugs, scorer=fuzz.WRatio, limit=3, score_cutoff=60)
    raise UnknownDreamError(name, [m[0] for m in matches])


@dataclass
class DreamCard:
    """What a reader sees of one dream, in the article's order."""

    slug: str
    iri: str
    label: str
    stub: bool
    title: str | None = None
    subtitle: str | None = None
    partial: bool = False
    core_sentence: str | None = None
    intro: str | None = None
    source: list[str] = field(default_factory=list)
    quick_answer: list[str] = field(default_factory=list)
    scenarios: list[dict] = field(default_factory=list)
    sensations: list[dict] = field(default_factory=list)
    sections: list[dict] = field(default_factory=list)       # the free-form sections: heading and text
    questions: list[dict] = field(default_factory=list)
    clusters: list[dict] = field(default_factory=list)
    next_stages: list[dict] = field(default_factory=list)
    led_from: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        """Return the card as plain JSON-ready data."""
        return asdict(self)


CARD_QUERY = """
SELECT ?dream ?label ?stub ?title ?subtitle ?partial ?sentence ?intro WHERE {
  ?dream rdfs:label ?label ; dg:isStub ?stub .
  OPTIONAL { ?dream dg:title ?title } OPTIONAL { ?dream dg:subtitle ?subtitle }
  OPTIONAL { ?dream dg:isPartial ?partial } OPTIONAL { ?dream dg:coreSentence ?sentence }
  OPTIONAL { ?dream dg:intro ?intro }
}"""
PARTS_QUERY = """
SELECT ?dream ?kind ?position ?label ?detail WHERE {
  VALUES (?link ?kind) { (dg:quickAnswer "quick-answer") (dg:hasScenario "scenario")
                         (dg:hasSensation "sensation") (dg:hasQuestion "question") (dg:hasSection "section") }
  ?dream ?link ?part . ?part rdfs:label ?label ; dg:position ?position .
  OPTIONAL { ?part dg:meaning|dg:answer|dg:text ?detail }
} ORDER BY ?kind ?position"""
STAGES_QUERY = """
SELECT ?dream ?target ?targetLabel ?stub ?condition ?gloss ?position WHERE {
  ?dream dg:transition ?t . ?t dg:to ?target ; dg:condition ?condition ; dg:position ?position .
  OPTIONAL { ?t dg:gloss ?gloss }
  ?target rdfs:label ?targetLabel ; dg:isStub ?stub .
} ORDER BY ?position"""
LED_FROM_QUERY = """
SELECT DISTINCT ?dream ?source ?sourceLabel WHERE { ?source dg:nextStage ?dream ; rdfs:label ?sourceLabel }
ORDER BY ?source"""
CLUSTERS_QUERY = "SELECT ?dream ?cluster ?label WHERE { ?dream dg:belongsToCluster ?cluster . ?cluster rdfs:label ?label } ORDER BY ?cluster"
SOURCES_QUERY = "SELECT DISTINCT ?dream ?path WHERE { ?dream prov:wasDerivedFrom ?s . ?s rdfs:label ?path } ORDER BY ?path"


def dream_card(store: Store, iri: str) -> DreamCard:
    """Return the card of the dream with this IRI."""
    bindings = {"dream": IRI(iri)}
    head = store.select(CARD_QUERY, bindings)[0]
    card = DreamCard(slug=slug_of(iri), iri=iri, label=head["label"], stub=head["stub"], title=head.get("title"),
                     subtitle=head.get("subtitle"), partial=bool(head.get("partial")),
                     core_sentence=head.get("sentence"), intro=head.get("intro"))
    for row in store.select(PARTS_QUERY, bindings):
        kind, label, detail = row["kind"], row["label"], row.get("detail", "")
        if kind == "quick-answer":
            card.quick_answer.append(label)
        elif kind == "question":
            card.questions.append({"question": label, "answer": detail})
        elif kind == "section":
            card.sections.append({"heading": label, "text": detail})
        else:
            (card.scenarios if kind == "scenario" else card.sensations).append({"label": label, "meaning": detail})
    card.next_stages = [
        {"slug": slug_of(r["target"]), "label": r["targetLabel"], "stub": r["stub"],
         "condition": r["condition"], "gloss": r.get("gloss", "")}
        for r in store.select(STAGES_QUERY, bindings)]
    card.led_from = [{"slug": slug_of(r["source"]), "label": r["sourceLabel"]}
                     for r in store.select(LED_FROM_QUERY, bindings)]
    card.clusters = [{"slug": slug_of(r["cluster"]), "label": r["label"]}
                     for r in store.select(CLUSTERS_QUERY, bindings)]
    card.source = [r["path"] for r in store.select(SOURCES_QUERY, bindings)]
    return card


STATS_QUERY = """
SELECT ?class (COUNT(DISTINCT ?node) AS ?count) WHERE {
  VALUES ?class { dg:Dream dg:Scenario dg:Sensation dg:Cluster dg:Transition dg:Question dg:Section
                  dg:QuickAnswerItem dg:SourceArticle }
  ?node a ?class .
} GROUP BY ?class"""


def graph_stats(store: Store) -> dict[str, int]:
    """Return counts by class, written and stub dreams, and triples, as a name -> number dict (from the
    counts the build kept, when it did)."""
    stats = store.derived("counts")
    stats = dict(stats) if stats is not None else class_counts(store)
    stats["triples"] = store.triple_count()
    return stats


def class_counts(store: Store) -> dict[str, int]:
    """Return the number of nodes of each class and of written, stub and partial dreams, asked of the graph."""
    counts = {slug_of(str(r["class"]).replace("#", "/")): r["count"] for r in store.select(STATS_QUERY)}
    stats = {name: counts.get(name, 0) for name in
             ("Dream", "Scenario", "Sensation", "Cluster", "Transition", "Question", "Section",
              "QuickAnswerItem", "SourceArticle")}
    kinds = store.select("SELECT ?stub (COUNT(?d) AS ?n) WHERE { ?d a dg:Dream ; dg:isStub ?stub } GROUP BY ?stub")
    by_kind = {r["stub"]: r["n"] for r in kinds}
    stats["written dreams"] = by_kind.get(False, 0)
    stats["stub dreams"] = by_kind.get(True, 0)
    stats["partial dreams"] = store.select(
        "SELECT (COUNT(?d) AS ?n) WHERE { ?d dg:isPartial true }")[0]["n"]
    return stats


def search_text(store: Store, text: str, limit: int = 200) -> list[dict]:
    """Return the dreams and parts whose text contains ``text`` (any case), with the dream each belongs to.

    Runs the shipped ``search`` query with ``text`` bound as a literal (answered from the texts the build
    kept when it can: :func:`dreamgraph.answers.search`).
    """
    from .query import named_query, run_query
    from .store import python_value

    result = run_query(store, named_query("search"), {"text": text}, timeout=None, max_rows=limit)
    rows = [{name: python_value(cell) for name, cell in zip(result.variables, row)} for row in result.rows]
    return [{"dream": slug_of(r["dream"]), "dream_label": r["dreamLabel"], "kind": r["kind"],
             "node": str(r["node"]), "match": r["match"]} for r in rows]
