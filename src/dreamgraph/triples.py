"""Article objects -> RDF triples with provenance, and the deterministic Turtle they are saved as.

Triples are tuples of three terms already written in N-Triples syntax
(``<iri>``, ``"text"``, ``"3"^^<…#integer>``): plain strings are cheap to make,
to cache and to sort, which is what keeps a build of tens of thousands of
articles fast. Every node is an IRI (no blank nodes), so the same articles
always give the same Turtle bytes. A dream (and a cluster) carries
``prov:wasDerivedFrom`` the article file(s) it came from; a part of an article (a
scenario, a question, a next stage...) belongs to exactly one dream, whose file is
its own, and carries the line it was read from (``dg:sourceLine``).

>>> from dreamgraph.parse import parse_text
>>> article = parse_text("Dream About Falling: The Drop\\nCommon Scenarios\\n- Off a cliff → lost footing\\n", "a.txt").article
>>> triples = article_triples(article, "articles/a.txt", resolve=lambda slug: slug)
>>> ('<https://w3id.org/dreamgraph/id/dream/falling>', iri(DG.hasScenario),
...  '<https://w3id.org/dreamgraph/id/dream/falling/scenario/1>') in triples
True
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Iterable


from .article import Article
from .slugs import dream_name
from .vocabulary import (DG, DG_FROM, PREFIXES, PROV, RDF, RDFS, SCHEME, SKOS, XSD, cluster_iri, compact_iri,
                         dream_iri, part_iri, source_iri)

Triple = tuple[str, str, str]

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')


def _escape(match: re.Match) -> str:
    char = match.group(0)
    return _ESCAPES.get(char) or f"\\u{ord(char):04X}"


def iri(value: str) -> str:
    """Return an IRI as an N-Triples term."""
    return f"<{value}>"


def text(value: str) -> str:
    """Return a string literal as an N-Triples term, escaped so no text can end it early.

    >>> text('say "hi"\\n')
    '"say \\\\"hi\\\\"\\\\n"'
    """
    return '"' + _NEEDS_ESCAPE.sub(_escape, value) + '"'


LANGUAGE = "en"  # the language of the articles' text: the tag of the SKOS labels


def english(value: str) -> str:
    """Return a string literal tagged with the articles' language, for SKOS labels.

    >>> english("Falling")
    '"Falling"@en'
    """
    return text(value) + "@" + LANGUAGE


def integer(value: int) -> str:
    return f'"{int(value)}{_INTEGER}'


_INTEGER = f'"^^<{XSD.integer}>'


_ANY_URI = f"^^<{XSD.anyURI}>"
TRUE, FALSE = f'"true"^^<{XSD.boolean}>', f'"false"^^<{XSD.boolean}>'
A = iri(RDF.type)
LABEL = iri(RDFS.label)
DERIVED, ENTITY = iri(PROV.wasDerivedFrom), iri(PROV.Entity)
T = {name: iri(DG[name]) for name in (
    "Dream", "Scenario", "Sensation", "Cluster", "Transition", "Question", "Section", "QuickAnswerItem",
    "SourceArticle", "nextStage", "belongsToCluster", "hasScenario", "hasSensation", "meaning", "transition", "to",
    "condition", "gloss", "linkText", "title", "subtitle", "intro", "quickAnswer", "coreSentence", "hasQuestion",
    "answer", "hasSection", "text", "position", "sourceLine", "contentHash", "isStub", "isPartial", "url")}
FROM = iri(DG_FROM)
CONCEPT, SCHEME_IRI, IN_SCHEME = iri(SKOS.Concept), iri(SCHEME), iri(SKOS.inScheme)
MEMBER, COLLECTION, ALT_LABEL = iri(SKOS.member), iri(SKOS.Collection), iri(SKOS.altLabel)
PREF_LABEL, TOP_CONCEPT_OF = iri(SKOS.prefLabel), iri(SKOS.topConceptOf)


def article_triples(article: Article, source_path: str, resolve: Callable[[str], str]) -> list[Triple]:
    """Return the triples of one written article; ``resolve`` maps a link's slug to its dream's slug."""
    return own_triples(article, source_path, resolve) + cluster_triples(article, source_path)


def own_triples(article: Article, source_path: str, resolve: Callable[[str], str]) -> list[Triple]:
    """Return the triples about the article's own nodes (its file, its dream and the dream's parts): all its
    triples but those about the clusters it names, which other articles name too."""
    source = iri(source_iri(source_path))
    dream_uri = str(dream_iri(article.slug))
    dream = iri(dream_uri)
    out: list[Triple] = [
        (source, A, T["SourceArticle"]), (source, A, ENTITY), (source, LABEL, text(source_path)),
        (source, T["contentHash"], text(f"sha256:{article.content_hash}")),
        (dream, A, T["Dream"]), (dream, A, CONCEPT), (dream, IN_SCHEME, SCHEME_IRI), (dream, TOP_CONCEPT_OF, SCHEME_IRI),
        (dream, LABEL, text(article.name)), (dream, PREF_LABEL, english(article.name)),
        (dream, T["title"], text(article.title)),
        (dream, T["isStub"], FALSE), (dream, T["sourceLine"], integer(article.title_line)), (dream, DERIVED, source),
    ]

    def part(kind: str, position: int, label: str, line: int, cls: str, link: str) -> str:
        node = iri(part_iri(dream_uri, kind, position))
        out.extend([(dream, link, node), (node, A, cls), (node, LABEL, text(label)),
                    (node, T["position"], integer(position)), (node, T["sourceLine"], integer(line))])
        return node

    if article.subtitle:
        out.append((dream, T["subtitle"], text(article.subtitle)))
    if article.url:
        out.append((dream, T["url"], text(article.url) + _ANY_URI))
    if article.intro:
        out.append((dream, T["intro"], text(article.intro)))
    if article.core_sentence:
        out.append((dream, T["coreSentence"], text(article.core_sentence)))
    if article.partial:
        out.append((dream, T["isPartial"], TRUE))
    out.extend((dream, ALT_LABEL, text(alias)) for alias in article.aliases)
    for n, item in enumerate(article.quick_answer, 1):
        part("quick-answer", n, item.text, item.line, T["QuickAnswerItem"], T["quickAnswer"])
    for n, scenario in enumerate(article.scenarios, 1):
        node = part("scenario", n, scenario.label, scenario.line, T["Scenario"], T["hasScenario"])
        out.append((node, T["meaning"], text(scenario.meaning)))
    for n, sensation in enumerate(article.sensations, 1):
        node = part("sensation", n, sensation.label, sensation.line, T["Sensation"], T["hasSensation"])
        out.append((node, T["meaning"], text(sensation.meaning)))
    for n, question in enumerate(article.questions, 1):
        node = part("question", n, question.question, question.line, T["Question"], T["hasQuestion"])
        if question.answer:
            out.append((node, T["answer"], text(question.answer)))
    for n, section in enumerate(article.sections, 1):
        node = part("section", n, section.title, section.line, T["Section"], T["hasSection"])
        if section.text:
            out.append((node, T["text"], text(section.text)))
    for n, stage in enumerate(article.next_stages, 1):
        target = iri(dream_iri(resolve(stage.target_slug)))
        node = part("next-stage", n, f"{article.name} → {dream_name(stage.target)}", stage.line,
                    T["Transition"], T["transition"])
        out.extend([(dream, T["nextStage"], target), (node, FROM, dream), (node, T["to"], target),
                    (node, T["condition"], text(stage.condition)), (node, T["linkText"], text(stage.target))])
        if stage.gloss:
            out.append((node, T["gloss"], text(stage.gloss)))
    out.extend((dream, T["belongsToCluster"], iri(cluster_iri(mention.slug))) for mention in article.clusters)
    return out


def cluster_triples(article: Article, source_path: str) -> list[Triple]:
    """Return the triples the article gives about the clusters it names (membership, label, provenance)."""
    source, dream = iri(source_iri(source_path)), iri(dream_iri(article.slug))
    out: list[Triple] = []
    for mention in article.clusters:
        cluster = iri(cluster_iri(mention.slug))
        out.extend([(cluster, MEMBER, dream), (cluster, A, T["Cluster"]), (cluster, A, COLLECTION),
                    (cluster, LABEL, text(mention.name)), (cluster, DERIVED, source)])
    return out


def stub_triples(slug: str, label: str, sources: Iterable[str]) -> list[Triple]:
    """Return the triples of a dream that is linked to but has no article yet."""
    dream = iri(dream_iri(slug))
    out: list[Triple] = [(dream, A, T["Dream"]), (dream, A, CONCEPT), (dream, IN_SCHEME, SCHEME_IRI),
                         (dream, TOP_CONCEPT_OF, SCHEME_IRI), (dream, LABEL, text(label)),
                         (dream, PREF_LABEL, english(label)), (dream, T["isStub"], TRUE)]
    out.extend((dream, DERIVED, iri(source_iri(path))) for path in sources)
    return out


def scheme_triples() -> list[Triple]:
    """Return the triples of the one concept scheme every dream is in (as one of its top concepts: the
    taxonomy is flat, its grouping is the clusters)."""
    return [(SCHEME_IRI, A, iri(SKOS.ConceptScheme)), (SCHEME_IRI, LABEL, text("Dream taxonomy")),
            (SCHEME_IRI, PREF_LABEL, english("Dream taxonomy"))]


def ntriples(triples: Iterable[Triple]) -> str:
    """Return triples as N-Triples text."""
    return "".join(f"{s} {p} {o} .\n" for s, p, o in triples)


# --- deterministic Turtle -------------------------------------------------------------------------

_SHORT_TYPES = {f'^^<{XSD.integer}>', f'^^<{XSD.boolean}>'}


@lru_cache(maxsize=200_000)
def _compact_iri(term: str) -> str:
    value = term[1:-1]
    if value == str(RDF.type):
        return "a"
    return compact_iri(value) or term


def turtle_term(term: str) -> str:
    """Return an N-Triples term in Turtle's shorter form where there is one.

    >>> turtle_term('<https://w3id.org/dreamgraph/id/dream/falling>')
    'dream:falling'
    >>> turtle_term(integer(3)), turtle_term(TRUE), turtle_term(english("Falling"))
    ('3', 'true', '"Falling"@en')
    """
    if term[-1] == '"':  # a plain string literal, the most common term: already valid Turtle
        return term
    if term[0] == "<":
        return _compact_iri(term)
    close = term.rfind('"')
    if term[close + 1:close + 2] == "@":  # a language-tagged literal: as it is
        return term
    if term[close + 1:] in _SHORT_TYPES:
        return term[1:close]
    return term[:close + 3] + _compact_iri(term[close + 3:])


def turtle_blocks(triples: Iterable[Triple]) -> str:
    """Return Turtle statements for the triples, one block per subject, sorted by subject, predicate and
    object; rdf:type and rdfs:label come first in each block, the order people read a node in.

    The triples are grouped by subject and each block sorted on its own, each predicate's sort key and
    Turtle form made once (0.165 ms an article, against 0.21 for one sort of every triple).

    >>> print(turtle_blocks([(LABEL, LABEL, '"b"'), (LABEL, LABEL, '"a"'), (LABEL, A, CONCEPT)]))
    <BLANKLINE>
    rdfs:label
        a skos:Concept ;
        rdfs:label "a",
            "b" .
    <BLANKLINE>
    """
    blocks: dict[str, list[Triple]] = {}
    for triple in set(triples):
        block = blocks.get(triple[0])
        if block is None:
            blocks[triple[0]] = [triple]
        else:
            block.append(triple)
    out: list[str] = []
    # the subject without its closing ">", so a dream sorts before its parts ("./x" < "./x/scenario/1")
    for subject in sorted(blocks, key=lambda s: s[:-1]):
        rows = []
        for _, p, o in blocks[subject]:
            key, written = _PREDICATES.get(p) or _predicate(p)
            rows.append((key, o, written))
        rows.sort()
        predicate = None
        for key, o, written in rows:
            term = o if o[-1] == '"' else turtle_term(o)
            if predicate is None:
                out.append(f" .\n\n{turtle_term(subject)}\n    {written} {term}" if out
                           else f"\n{turtle_term(subject)}\n    {written} {term}")
            elif key != predicate:
                out.append(f" ;\n    {written} {term}")
            else:
                out.append(f",\n        {term}")
            predicate = key
    if out:
        out.append(" .\n")
    return "".join(out)


_PREDICATES: dict[str, tuple[str, str]] = {}  # predicate -> (its sort key in a block, its Turtle form)


def _predicate(term: str) -> tuple[str, str]:
    found = _PREDICATES[term] = ("0" if term == A else "1" if term == LABEL else "2") + term, turtle_term(term)
    return found


TURTLE_PREFIXES = "".join(f"@prefix {prefix}: <{namespace}> .\n" for prefix, namespace in sorted(PREFIXES.items()))


def to_turtle(triples: Iterable[Triple]) -> bytes:
    """Return UTF-8 Turtle for the triples, sorted (see :func:`turtle_blocks`), so output is stable."""
    return (TURTLE_PREFIXES + turtle_blocks(triples)).encode("utf-8")
