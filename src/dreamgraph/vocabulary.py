"""The ``dg:`` namespace and the IRIs built from slugs.

Terms are declared once here (a DefinedNamespace raises on a misspelled term)
and documented in ``data/ontology.ttl``.

>>> dream_iri("not-being-able-to-run")
rdflib.term.URIRef('https://w3id.org/dreamgraph/id/dream/not-being-able-to-run')
>>> DG.nextStage
rdflib.term.URIRef('https://w3id.org/dreamgraph/ontology#nextStage')
>>> slug_of(dream_iri("falling"))
'falling'
"""

from __future__ import annotations

import re
from urllib.parse import quote

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

ONTOLOGY = "https://w3id.org/dreamgraph/ontology#"
ID = "https://w3id.org/dreamgraph/id/"
PROV = Namespace("http://www.w3.org/ns/prov#")


class DG(DefinedNamespace):
    """The dreamgraph ontology (``dg:``)."""

    _NS = Namespace(ONTOLOGY)
    _fail = True
    _extras = ["from"]  # a Python keyword, reached as DG["from"]

    # Classes
    Dream: URIRef
    Scenario: URIRef
    Sensation: URIRef
    Cluster: URIRef
    Transition: URIRef
    Question: URIRef
    Section: URIRef
    QuickAnswerItem: URIRef
    SourceArticle: URIRef
    # Edges between dreams and clusters
    nextStage: URIRef
    belongsToCluster: URIRef
    # Parts of an article
    hasScenario: URIRef
    hasSensation: URIRef
    meaning: URIRef
    transition: URIRef
    to: URIRef
    condition: URIRef
    gloss: URIRef
    linkText: URIRef
    title: URIRef
    subtitle: URIRef
    intro: URIRef
    quickAnswer: URIRef
    coreSentence: URIRef
    hasQuestion: URIRef
    answer: URIRef
    hasSection: URIRef
    text: URIRef
    position: URIRef
    sourceLine: URIRef
    contentHash: URIRef
    isStub: URIRef
    isPartial: URIRef


DG_FROM = DG["from"]
SCHEME = URIRef(ID + "scheme")

PREFIXES = {
    "dg": ONTOLOGY,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": str(PROV),
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "dream": ID + "dream/",
    "cluster": ID + "cluster/",
}


def dream_iri(slug: str) -> URIRef:
    """Return the IRI of the dream with this slug."""
    return URIRef(f"{ID}dream/{slug}")


def cluster_iri(slug: str) -> URIRef:
    """Return the IRI of the cluster with this slug."""
    return URIRef(f"{ID}cluster/{slug}")


def part_iri(dream: str, kind: str, position: int) -> URIRef:
    """Return the IRI of the n-th part of a kind (scenario, question, ...) of a dream's article."""
    return URIRef(f"{dream}/{kind}/{position}")


def source_iri(relative_path: str) -> URIRef:
    """Return the IRI of an article file, from its path relative to the graph folder."""
    return URIRef(ID + "source/" + quote(relative_path, safe="/-._~"))


_LOCAL_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


def compact_iri(iri: str) -> str | None:
    """Return an IRI as ``prefix:local`` with the longest of :data:`PREFIXES` whose rest is a plain local
    name (letters, digits, ``_`` and ``-``: valid Turtle and SPARQL), or None. The one rule for writing
    Turtle and for showing IRIs to people.

    >>> compact_iri("https://w3id.org/dreamgraph/id/dream/falling"), compact_iri("https://example.org/x")
    ('dream:falling', None)
    """
    for prefix, namespace in _BY_LENGTH:
        if iri.startswith(namespace) and _LOCAL_NAME.match(iri[len(namespace):]):
            return f"{prefix}:{iri[len(namespace):]}"
    return None


def slug_of(iri: str) -> str:
    """Return the last path segment of a dream or cluster IRI."""
    return str(iri).rsplit("/", 1)[-1]
