"""The ``dg:`` namespace and the IRIs built from slugs, as plain strings (no RDF library is loaded to
name a dream: every command starts without one).

Terms are declared once here (a misspelt term raises AttributeError) and documented in
``data/ontology.ttl``; a test keeps the two lists equal.

>>> dream_iri("not-being-able-to-run")
'https://w3id.org/dreamgraph/id/dream/not-being-able-to-run'
>>> DG.nextStage
'https://w3id.org/dreamgraph/ontology#nextStage'
>>> slug_of(dream_iri("falling"))
'falling'
"""

from __future__ import annotations

import re
from urllib.parse import quote

ONTOLOGY = "https://w3id.org/dreamgraph/ontology#"
ID = "https://w3id.org/dreamgraph/id/"


class Namespace(str):
    """An IRI namespace: ``NS.term`` and ``NS["term"]`` are the term's IRI. With ``terms``, only those
    terms exist and any other name raises AttributeError (or KeyError)."""

    def __new__(cls, base: str, terms: tuple[str, ...] = ()):
        namespace = super().__new__(cls, base)
        namespace.terms = terms
        return namespace

    def __getattr__(self, name: str) -> str:
        if name.startswith("__") or name == "terms" or (self.terms and name not in self.terms):
            raise AttributeError(f"{name!r} is not a term of {str(self)}")
        return str(self) + name

    def __getitem__(self, name):  # a term by name, for those Python cannot spell as an attribute ("from")
        if not isinstance(name, str):
            return str.__getitem__(self, name)
        if self.terms and name not in self.terms:
            raise KeyError(f"{name!r} is not a term of {str(self)}")
        return str(self) + name


PROV = Namespace("http://www.w3.org/ns/prov#")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
#: The dreamgraph ontology (``dg:``): its classes, the edges between dreams and clusters, and the parts of
#: an article.
DG = Namespace(ONTOLOGY, (
    "Dream", "Scenario", "Sensation", "Cluster", "Transition", "Question", "Section", "QuickAnswerItem",
    "SourceArticle",
    "nextStage", "belongsToCluster",
    "hasScenario", "hasSensation", "meaning", "transition", "to", "from", "condition", "gloss", "linkText", "title",
    "subtitle", "intro", "quickAnswer", "coreSentence", "hasQuestion", "answer", "hasSection", "text", "position",
    "sourceLine", "contentHash", "isStub", "isPartial", "url",
))

DG_FROM = DG["from"]
SCHEME = ID + "scheme"

PREFIXES = {
    "dg": ONTOLOGY,
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "skos": str(SKOS),
    "prov": str(PROV),
    "xsd": str(XSD),
    "owl": str(OWL),
    "dream": ID + "dream/",
    "cluster": ID + "cluster/",
}


def dream_iri(slug: str) -> str:
    """Return the IRI of the dream with this slug."""
    return f"{ID}dream/{slug}"


def cluster_iri(slug: str) -> str:
    """Return the IRI of the cluster with this slug."""
    return f"{ID}cluster/{slug}"


def part_iri(dream: str, kind: str, position: int) -> str:
    """Return the IRI of the n-th part of a kind (scenario, question, ...) of a dream's article."""
    return f"{dream}/{kind}/{position}"


def source_iri(relative_path: str) -> str:
    """Return the IRI of an article file, from its path relative to the graph folder."""
    return ID + "source/" + quote(relative_path, safe="/-._~")


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
