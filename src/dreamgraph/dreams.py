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
from .snapshot import Snapshot, lookups
from .store import Store
from .vocabulary import dream_iri, slug_of

def dream_names(source: Store | Snapshot) -> dict[str, str]:
    """Return every name a dream answers to (slug, label, title, aliases; lowercased) -> its IRI (see
    :func:`dreamgraph.snapshot.articles.names_table`)."""
    return Snapshot.of(source).names


def find_dream(store: Store, name: str, suggest: bool = True) -> str:
    """Return the IRI of the dream a name means: a slug, a title, a label or an alias, in any case.

    Raises UnknownDreamError, with close matches unless not ``suggest``, when no dream answers to the name.
    """
    text = name.strip()

    def exists(slug: str) -> bool:
        return lookups.dream_exists(store, slug)

    # The common cases need no scan of every dream's names: the text is a slug, or it is the exact name
    # of the dream its framing-free slug names (a title whose article chose another slug falls through).
    if exists(slugify(text)):
        return str(dream_iri(slugify(text)))
    given = text.removeprefix(str(dream_iri(""))) if text.startswith(str(dream_iri(""))) else ""
    if given and given == slugify(given) and exists(given):  # the dream's IRI
        return text
    framed = dream_slug(text)
    if exists(framed) and text.lower() in lookups.names_of(store, dream_iri(framed)):
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
    url: str | None = None                                     # the page's address, when read from a web page
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


def dream_card(store: Store, iri: str) -> DreamCard:
    """Return the card of the dream with this IRI."""
    rows = lookups.card_rows(store, iri)
    if rows is None:
        raise UnknownDreamError(slug_of(iri), [])
    head = rows["head"][0]
    card = DreamCard(slug=slug_of(iri), iri=iri, label=head["label"], stub=head["stub"], title=head.get("title"),
                     subtitle=head.get("subtitle"), partial=bool(head.get("partial")),
                     core_sentence=head.get("sentence"), intro=head.get("intro"), url=head.get("url"))
    for row in rows["parts"]:
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
        for r in rows["stages"]]
    card.led_from = [{"slug": slug_of(r["source"]), "label": r["sourceLabel"]} for r in rows["led_from"]]
    card.clusters = [{"slug": slug_of(r["cluster"]), "label": r["label"]} for r in rows["clusters"]]
    card.source = [r["path"] for r in rows["sources"]]
    return card


def graph_stats(source: Store | Snapshot) -> dict[str, int]:
    """Return counts by class, written and stub dreams, and triples, as a name -> number dict."""
    snapshot = Snapshot.of(source)
    stats = dict(snapshot.counts)
    stats["triples"] = snapshot.store.triple_count()
    return stats
