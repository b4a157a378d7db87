"""Article objects -> RDF triples with provenance, and the deterministic Turtle they are saved as.

Every node is an IRI (no blank nodes), so the same articles always give the
same triples and the same Turtle bytes, and every node carries
``prov:wasDerivedFrom`` the article file it came from.

>>> from dreamgraph.parse import parse_text
>>> article = parse_text("Dream About Falling: The Drop\\nCommon Scenarios\\n- Off a cliff → lost footing\\n", "a.txt").article
>>> triples = article_triples(article, "articles/a.txt", resolve=lambda slug: slug)
>>> (dream_iri("falling"), DG.hasScenario, part_iri(dream_iri("falling"), "scenario", 1)) in triples
True
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Callable, Iterable

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from .article import Article
from .slugs import dream_name
from .vocabulary import DG, DG_FROM, PREFIXES, PROV, SCHEME, cluster_iri, dream_iri, part_iri, source_iri

Triple = tuple[URIRef, URIRef, object]
TRUE = Literal(True)
FALSE = Literal(False)


def _text(value: str) -> Literal:
    return Literal(value)


def _int(value: int) -> Literal:
    return Literal(value, datatype=XSD.integer)


def article_triples(article: Article, source_path: str, resolve: Callable[[str], str]) -> list[Triple]:
    """Return the triples of one written article; ``resolve`` maps a link's slug to its dream's slug."""
    source = source_iri(source_path)
    dream = dream_iri(article.slug)
    out: list[Triple] = [
        (source, RDF.type, DG.SourceArticle),
        (source, RDF.type, PROV.Entity),
        (source, RDFS.label, _text(source_path)),
        (source, DG.contentHash, _text(f"sha256:{article.content_hash}")),
        (dream, RDF.type, DG.Dream),
        (dream, RDF.type, SKOS.Concept),
        (dream, SKOS.inScheme, SCHEME),
        (dream, RDFS.label, _text(article.name)),
        (dream, DG.title, _text(article.title)),
        (dream, DG.isStub, FALSE),
        (dream, DG.sourceLine, _int(article.title_line)),
    ]

    def part(kind: str, position: int, label: str, line: int, cls: URIRef, link: URIRef) -> URIRef:
        node = part_iri(dream, kind, position)
        out.extend([(dream, link, node), (node, RDF.type, cls), (node, RDFS.label, _text(label)),
                    (node, DG.position, _int(position)), (node, DG.sourceLine, _int(line))])
        return node

    if article.subtitle:
        out.append((dream, DG.subtitle, _text(article.subtitle)))
    if article.intro:
        out.append((dream, DG.intro, _text(article.intro)))
    if article.core_sentence:
        out.append((dream, DG.coreSentence, _text(article.core_sentence)))
    if article.partial:
        out.append((dream, DG.isPartial, TRUE))
    for alias in article.aliases:
        out.append((dream, SKOS.altLabel, _text(alias)))
    for n, item in enumerate(article.quick_answer, 1):
        part("quick-answer", n, item.text, item.line, DG.QuickAnswerItem, DG.quickAnswer)
    for n, scenario in enumerate(article.scenarios, 1):
        node = part("scenario", n, scenario.label, scenario.line, DG.Scenario, DG.hasScenario)
        out.append((node, DG.meaning, _text(scenario.meaning)))
    for n, sensation in enumerate(article.sensations, 1):
        node = part("sensation", n, sensation.label, sensation.line, DG.Sensation, DG.hasSensation)
        out.append((node, DG.meaning, _text(sensation.meaning)))
    for n, question in enumerate(article.questions, 1):
        node = part("question", n, question.question, question.line, DG.Question, DG.hasQuestion)
        if question.answer:
            out.append((node, DG.answer, _text(question.answer)))
    for n, section in enumerate(article.sections, 1):
        node = part("section", n, section.title, section.line, DG.Section, DG.hasSection)
        if section.text:
            out.append((node, DG.text, _text(section.text)))
    for n, stage in enumerate(article.next_stages, 1):
        target = dream_iri(resolve(stage.target_slug))
        label = f"{article.name} → {dream_name(stage.target)}"
        node = part("next-stage", n, label, stage.line, DG.Transition, DG.transition)
        out.extend([(dream, DG.nextStage, target), (node, DG_FROM, dream), (node, DG.to, target),
                    (node, DG.condition, _text(stage.condition)), (node, DG.linkText, _text(stage.target))])
        if stage.gloss:
            out.append((node, DG.gloss, _text(stage.gloss)))
    for mention in article.clusters:
        cluster = cluster_iri(mention.slug)
        out.extend([(dream, DG.belongsToCluster, cluster), (cluster, SKOS.member, dream),
                    (cluster, RDF.type, DG.Cluster), (cluster, RDF.type, SKOS.Collection),
                    (cluster, RDFS.label, _text(mention.name)), (cluster, PROV.wasDerivedFrom, source)])
    subjects = {s for s, _, _ in out if s != source and not str(s).startswith(str(cluster_iri("")))}
    out.extend((s, PROV.wasDerivedFrom, source) for s in subjects)
    return out


def stub_triples(slug: str, label: str, sources: Iterable[str]) -> list[Triple]:
    """Return the triples of a dream that is linked to but has no article yet."""
    dream = dream_iri(slug)
    out: list[Triple] = [
        (dream, RDF.type, DG.Dream), (dream, RDF.type, SKOS.Concept), (dream, SKOS.inScheme, SCHEME),
        (dream, RDFS.label, _text(label)), (dream, DG.isStub, TRUE),
    ]
    out.extend((dream, PROV.wasDerivedFrom, source_iri(path)) for path in sources)
    return out


def scheme_triples() -> list[Triple]:
    """Return the triples of the one concept scheme every dream is in."""
    return [(SCHEME, RDF.type, SKOS.ConceptScheme), (SCHEME, RDFS.label, _text("Dream taxonomy"))]


# --- deterministic Turtle -------------------------------------------------------------------------

_LOCAL_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')
_PREFIX_ORDER = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


def _escape(match: re.Match) -> str:
    char = match.group(0)
    return _ESCAPES.get(char) or f"\\u{ord(char):04X}"


def term_n3(term) -> str:
    """Return a term as Turtle: a prefixed name where one fits, else a full IRI or an escaped literal.

    >>> term_n3(Literal('say "hi"\\n'))
    '"say \\\\"hi\\\\"\\\\n"'
    >>> term_n3(dream_iri("falling"))
    'dream:falling'
    """
    if isinstance(term, URIRef):
        value = str(term)
        if value == str(RDF.type):
            return "a"
        for prefix, namespace in _PREFIX_ORDER:
            if value.startswith(namespace) and _LOCAL_NAME.match(value[len(namespace):]):
                return f"{prefix}:{value[len(namespace):]}"
        return f"<{value}>"
    text = '"' + _NEEDS_ESCAPE.sub(_escape, str(term)) + '"'
    if term.datatype is None or term.datatype == XSD.string:
        return text + (f"@{term.language}" if term.language else "")
    if term.datatype in (XSD.integer, XSD.boolean):
        return str(term)
    return f"{text}^^{term_n3(term.datatype)}"


def _sort_key(term) -> tuple:
    return (0 if isinstance(term, URIRef) else 1, str(term), str(getattr(term, "datatype", "") or ""))


def _predicate_key(predicate: URIRef) -> tuple:
    # rdf:type first, then rdfs:label, then the rest by IRI: the reading order people expect.
    return ({str(RDF.type): 0, str(RDFS.label): 1}.get(str(predicate), 2), str(predicate))


def to_turtle(triples: Iterable[Triple]) -> bytes:
    """Return UTF-8 Turtle for the triples: sorted by subject, predicate and object, so output is stable."""
    by_subject: dict = defaultdict(lambda: defaultdict(set))
    for s, p, o in triples:
        by_subject[s][p].add(o)
    lines = [f"@prefix {prefix}: <{namespace}> ." for prefix, namespace in sorted(PREFIXES.items())]
    for subject in sorted(by_subject, key=str):
        predicates = by_subject[subject]
        parts = []
        for predicate in sorted(predicates, key=_predicate_key):
            objects = ",\n        ".join(term_n3(o) for o in sorted(predicates[predicate], key=_sort_key))
            parts.append(f"    {term_n3(predicate)} {objects}")
        lines.append(f"\n{term_n3(subject)}\n" + " ;\n".join(parts) + " .")
    return ("\n".join(lines) + "\n").encode("utf-8")
