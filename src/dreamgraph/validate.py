"""SHACL check of a built graph against ``data/shapes.ttl`` (pySHACL).

>>> from rdflib import Graph
>>> bad = Graph().parse(data='''@prefix dg: <https://w3id.org/dreamgraph/ontology#> .
... <https://w3id.org/dreamgraph/id/dream/a> a dg:Dream ; dg:nextStage <https://w3id.org/dreamgraph/id/dream/b> .''',
...                     format="turtle")
>>> sorted({v.message for v in check(bad)})[:2]
['a next stage must point to a dream', 'every dream has exactly one non-empty label']
"""

from __future__ import annotations

import hashlib
import os
from array import array
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import pyoxigraph as ox

from .errors import DreamgraphError
from .triples import ntriples

if TYPE_CHECKING:  # rdflib is loaded when pySHACL checks a structure not seen before, not by every build
    from rdflib import Graph


@dataclass(frozen=True, order=True)
class Violation:
    """One broken rule: the node it is about, the rule in words, and the offending value if any."""

    focus: str
    message: str
    path: str = ""
    value: str = ""

    def __str__(self) -> str:
        extra = f" (value {self.value})" if self.value else ""
        return f"{self.focus}: {self.message}{extra}"


def shapes_text() -> str:
    """Return the shipped SHACL shapes as Turtle text."""
    return resources.files("dreamgraph").joinpath("data/shapes.ttl").read_text(encoding="utf-8")


def ontology_text() -> str:
    """Return the shipped ontology as Turtle text."""
    return resources.files("dreamgraph").joinpath("data/ontology.ttl").read_text(encoding="utf-8")


def _rdflib_term(term):
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    return Literal(term.value, lang=term.language, datatype=None if term.language else URIRef(term.datatype.value))


def _graph(data: bytes, fmt) -> Graph:
    """Return an rdflib Graph of RDF bytes parsed by Oxigraph (strict, fast, never fetches)."""
    from rdflib import Graph

    graph = Graph()
    graph.addN((_rdflib_term(t.subject), _rdflib_term(t.predicate), _rdflib_term(t.object), graph)
               for t in ox.parse(data, format=fmt))
    return graph


def graph_from_ntriples(data: str) -> Graph:
    """Return an rdflib Graph of N-Triples text (Oxigraph's parser is faster than rdflib's own)."""
    return _graph(data.encode("utf-8"), ox.RdfFormat.N_TRIPLES)


def read_turtle(path: Path) -> Graph:
    """Return an rdflib Graph of a Turtle file; a syntax error is reported with the file, line and column."""
    try:
        return _graph(Path(path).read_bytes().removeprefix(b"\xef\xbb\xbf"), ox.RdfFormat.TURTLE)
    except SyntaxError as exc:
        raise DreamgraphError(f"{path}: {exc}") from None
    except OSError as exc:
        raise DreamgraphError(f"cannot read {path}: {exc.strerror or exc}") from None


def _text(term) -> str:
    """Return a term's text; "" when there is none (a literal such as 0 or "" is falsy, so test for None)."""
    return "" if term is None else str(term)


def _path_text(results: Graph, path) -> str:
    """Return a result path as text: the property, or ^property for an inverse path (never a blank node id)."""
    from rdflib import BNode
    from rdflib.namespace import SH

    if isinstance(path, BNode):
        inverse = results.value(path, SH.inversePath)
        return f"^{inverse}" if inverse is not None else "(complex path)"
    return str(path or "")


def check(graph: Graph, shapes_file: Path | None = None) -> list[Violation]:
    """Return the SHACL violations of a graph, sorted (empty when it conforms), against the shapes in
    ``shapes_file`` (a graph folder's shapes.ttl) or the shipped ones."""
    import pyshacl
    from rdflib import Graph
    from rdflib.namespace import SH

    shapes = read_turtle(shapes_file) if shapes_file is not None else Graph().parse(data=shapes_text(), format="turtle")
    conforms, results, _ = pyshacl.validate(graph, shacl_graph=shapes, inference="none", advanced=False)
    if conforms:
        return []
    violations = set()
    for result in results.subjects(SH.resultSeverity, SH.Violation):
        violations.add(Violation(
            focus=str(results.value(result, SH.focusNode)),
            message=str(results.value(result, SH.resultMessage) or "violates a shape"),
            path=_path_text(results, results.value(result, SH.resultPath)),
            value=_text(results.value(result, SH.value)),
        ))
    return sorted(violations)


# --- checking many small units fast ---------------------------------------------------------------
#
# A build checks each article's triples on their own (with the types of what they link to as context),
# then each cluster and each stub. Thousands of articles share a handful of *structures*: the same
# triples once node names and texts are replaced by numbered placeholders. SHACL validation with our
# shapes depends only on that structure (they never test a particular IRI or the content of a text beyond
# "empty or not"), so each structure is checked by pySHACL once and its result is mapped back to the
# real nodes of every article that has it. SHAPES_SAFE_FOR_STRUCTURES lists the SHACL terms that keep
# this true; shapes using anything else are checked unit by unit instead.

_SH = "http://www.w3.org/ns/shacl#"
SHAPES_SAFE_FOR_STRUCTURES = {_SH + name for name in (
    "NodeShape", "PropertyShape", "property", "path", "inversePath", "targetClass", "targetObjectsOf",
    "targetSubjectsOf", "class", "datatype", "minCount", "maxCount", "minLength", "nodeKind", "message",
    "name", "description", "severity", "Violation", "IRI", "Literal", "BlankNodeOrIRI")}
_NODE = "urn:x-dreamgraph:node:"
_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_INTEGER = "^^<http://www.w3.org/2001/XMLSchema#integer>"


def shapes_allow_structures(shapes: str) -> bool:
    """Return True when the shapes (Turtle text) only use terms whose verdict survives renaming nodes and texts."""
    for triple in ox.parse(shapes.encode("utf-8"), format=ox.RdfFormat.TURTLE):
        for term in (triple.predicate, triple.object):
            if isinstance(term, ox.NamedNode) and term.value.startswith(_SH) and term.value not in SHAPES_SAFE_FOR_STRUCTURES:
                return False
        if triple.predicate.value == _SH + "minLength" and int(triple.object.value) > 1:  # placeholders: 2+ characters
            return False
        if triple.predicate.value == _SH + "minCount" and int(triple.object.value) > 1:  # alike nodes: taken as one
            return False
    return True


def structure(own: list[tuple[str, str, str]], context: list[tuple[str, str, str]],
              single: frozenset[str] = frozenset(),
              counted_back: frozenset[str] | None = None) -> tuple[str, dict[str, str | tuple[str, ...]], set[str]]:
    """Return a unit's structure as N-Triples text, the map from placeholders back to the real terms, and
    the placeholders of the unit's own subjects.

    Nodes become ``<urn:x-dreamgraph:node:N>`` and texts ``"vN"`` (integers stay integers), numbered in
    order of first appearance, so equal terms stay equal; predicates, classes and booleans are kept.
    Context nodes the unit links to that are described alike (the same types, reached by the same
    predicates) become one node, which maps back to all of them: a cluster of 900 dreams then has the
    structure of a cluster of two. Nodes one subject reaches by a predicate in ``single`` (one that a
    shape allows once) stay apart, so a second value is still seen. With ``counted_back`` (the predicates
    whose subjects a shape counts from their objects: see :func:`_alike_own_nodes`), the unit's own nodes
    described alike become one too, with the triples of the first: an article of six scenarios then has
    the structure of one of five. Such a structure tells whether the unit breaks a rule, not which of its
    nodes do (see :func:`check_units`).

    >>> text, back, own = structure([("<a>", "<p>", '"x"')], [("<b>", _RDF_TYPE, "<C>")])
    >>> text
    '<urn:x-dreamgraph:node:1> <p> "v2" .\\n<urn:x-dreamgraph:node:3> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <C> .\\n'
    >>> back["urn:x-dreamgraph:node:1"], back["v2"], own
    ('a', 'x', {'urn:x-dreamgraph:node:1'})
    >>> members = [("<k>", "<member>", f"<d{i}>") for i in range(900)]
    >>> text, back, _ = structure(members, [(f"<d{i}>", _RDF_TYPE, "<Dream>") for i in range(900)])
    >>> text.count("\\n"), len(back["urn:x-dreamgraph:node:2"])
    (2, 900)
    """
    names: dict[str, str] = {}
    back: dict[str, str | tuple[str, ...]] = {}
    same = _alike_context_nodes(own, context, single)
    if counted_back is not None:
        own = _own_merged(own, same, single, counted_back)

    def node(term: str) -> str:
        term = same.get(term, term)
        name = names.get(term)
        if name is None:
            if term[0] == "<":
                name = f"<{_NODE}{len(names) + 1}>"
                back[name[1:-1]] = term[1:-1]
            else:
                close = term.rfind('"')
                lexical, suffix = term[1:close], term[close + 1:]
                if suffix == _INTEGER:
                    value = str(1_000_000 + len(names))
                elif suffix and suffix[0] == "^":  # booleans and other datatypes: kept as they are
                    names[term] = term
                    return term
                else:
                    value = f"v{len(names) + 1}" if lexical else ""
                name = f'"{value}"{suffix}'
                back[value] = lexical
            names[term] = name
        return name

    lines = [f"{node(s)} {p} {o if p == _RDF_TYPE else node(o)} .\n" for s, p, o in (*own, *context)]
    for term, kept in same.items():
        if term == kept:
            back[names[kept][1:-1]] = tuple(sorted(t[1:-1] for t, k in same.items() if k == kept))
    return "".join(dict.fromkeys(lines)), back, {names[s][1:-1] for s, _, _ in own}


def _alike_context_nodes(own, context, single: frozenset[str]) -> dict[str, str]:
    """Return context node -> the one node that stands for it and every context node described alike."""
    subjects = {s for s, _, _ in own}
    types: dict[str, set[str]] = defaultdict(set)
    for s, p, o in context:
        if p != _RDF_TYPE:
            return {}  # only nodes known by their types alone are merged
        types[s].add(o)
    reached: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for s, p, o in own:
        if o in types and o not in subjects:
            reached[o].append((s, p))
    groups: dict[tuple, list[str]] = defaultdict(list)
    for term, links in reached.items():
        groups[(tuple(sorted(types[term])), tuple(sorted({p for _, p in links})))].append(term)
    same: dict[str, str] = {}
    for terms in groups.values():
        once = [(s, p) for term in terms for s, p in reached[term] if p in single]
        if len(terms) > 1 and len(once) == len(set(once)):
            kept = min(terms)
            same.update((term, kept) for term in terms)
    return same


def _alike_own_nodes(own, same: dict[str, str], single: frozenset[str], counted_back: frozenset[str]) -> dict[str, str]:
    """Return each of the unit's own nodes described alike but the first -> the first (the Quick Answer items,
    scenarios or FAQ entries of an article, say): reached from the same subjects by the same predicates, none
    of which a shape allows once (``single``), and saying the same: the same kinds of values (see
    :func:`_kind`) and the same nodes (context nodes described alike taken as one: ``same``), by the same
    predicates, as often, none of them one whose subjects a shape counts from their objects
    (``counted_back``: ``sh:inversePath`` with a count). Every rule of shapes that allow structures (see
    :data:`SHAPES_SAFE_FOR_STRUCTURES`) then judges each of them as it judges the first, and the others'
    subjects see a value by the same predicate all the same, so the unit breaks a rule exactly when the
    unit with the others left out does (a minimum count above one is not allowed: see
    :func:`shapes_allow_structures`)."""
    says: dict[str, list[tuple[str, str]]] = {}
    links: list[tuple[str, str, str]] = []
    for s, p, o in own:
        if o[0] == "<":
            value = same.get(o, o)
            links.append((o, s, p))
        else:  # a text's kind at once (most values), or as _kind has it
            value = ("t" if len(o) > 2 else "e") if o[-1] == '"' else repr(_kind(o))
        said = says.get(s)
        if said is None:
            says[s] = [(p, value)]
        else:
            said.append((p, value))
    reached: dict[str, list[tuple[str, str]]] = {}
    for o, s, p in links:
        if o in says:
            if o in reached:
                reached[o].append((s, p))
            else:
                reached[o] = [(s, p)]
    groups: dict[tuple, list[str]] = {}
    for node, by in reached.items():
        if any(p in single for _, p in by) or any(p in counted_back and o[0] == "<" for p, o in says[node]):
            continue
        key = (tuple(sorted(by)) if len(by) > 1 else by[0], tuple(sorted(says[node])))
        if key in groups:
            groups[key].append(node)
        else:
            groups[key] = [node]
    return {node: nodes[0] for nodes in groups.values() if len(nodes) > 1 for node in nodes[1:]}


def _own_merged(own, same: dict[str, str], single: frozenset[str], counted_back: frozenset[str]) -> list:
    """Return the unit's own triples with its own nodes described alike taken as one (see
    :func:`_alike_own_nodes`): the others' triples left out, the links to them made to the first."""
    merged = _alike_own_nodes(own, same, single, counted_back)
    if not merged:
        return own
    return [(s, p, merged.get(o, o)) for s, p, o in own if s not in merged]


Unit = tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]  # (own triples, context triples)
STRUCTURES_PER_RUN = 200


@lru_cache(maxsize=1)
def _shapes() -> tuple[str, bool, frozenset[str], frozenset[str]]:
    """Return the shapes (Turtle text), whether they allow checking by structure, the predicates they
    allow once, and those whose subjects they count from their objects (an inverse path with a count),
    read by Oxigraph: a build that checks no new structure never loads rdflib."""
    text = shapes_text()
    triples = list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.TURTLE))
    limited = {t.subject for t in triples if t.predicate.value == _SH + "maxCount"}
    counted = limited | {t.subject for t in triples if t.predicate.value == _SH + "minCount"}
    single = frozenset(f"<{t.object.value}>" for t in triples
                       if t.subject in limited and t.predicate.value == _SH + "path" and isinstance(t.object, ox.NamedNode))
    inverse = {t.subject: t.object for t in triples if t.predicate.value == _SH + "inversePath"}
    counted_back = frozenset(f"<{inverse[t.object].value}>" for t in triples
                             if t.subject in counted and t.predicate.value == _SH + "path" and t.object in inverse
                             and isinstance(inverse[t.object], ox.NamedNode))
    return text, shapes_allow_structures(text), single, counted_back


def verdict_key(key: str) -> str:
    """Return the key a structure's verdict is kept under (see :func:`unit_key`): the structure's, with the
    shapes it was checked against (verdicts are carried from one version of dreamgraph to the next, whose
    shapes may differ)."""
    return f"{_key(_shapes()[0])[:16]}:{key}"


def _structure_of(unit: Unit, exact: bool = False) -> tuple[str, dict[str, str], set[str]]:
    """Return the structure of a unit (see :func:`structure`): with its own nodes described alike taken as
    one, or ``exact``, each apart (to say which of them break a rule)."""
    if _shapes()[1]:
        return structure(*unit, _shapes()[2], None if exact else _shapes()[3])
    # checked as it is, one unit per pySHACL run
    return "raw\n" + ntriples([*unit[0], *unit[1]]), {}, {s[1:-1] for s, _, _ in unit[0]}


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def unit_key(unit: Unit, exact: bool = False) -> str:
    """Return the key of a unit's structure: units with equal keys get the same verdict.

    The key is a digest of the unit with every node and text numbered in order of first appearance, each
    with its kind (a node, an empty or non-empty text and its language, an integer; booleans and other
    typed values as they are), predicates and classes numbered too (their IRIs in the key, in that order),
    and context nodes described alike taken as one: what :func:`structure` is made from, so equal keys mean
    equal structures (without making the structure's text: 0.11 ms an article, not 0.17-0.23), and a
    cluster of one more member, or a stub linked from one more file, keeps its key and its verdict.

    >>> dream = "<https://w3id.org/dreamgraph/id/dream/a>"
    >>> unit_key(([(dream, "<p>", '"x"')], [])) == unit_key(([(dream, "<p>", '"y"')], []))
    True
    >>> unit_key(([(dream, "<p>", '"x"')], [])) == unit_key(([(dream, "<p>", '""')], []))
    False
    >>> def linking(n):
    ...     return [(dream, "<p>", f"<d{i}>") for i in range(n)], [(f"<d{i}>", _RDF_TYPE, "<C>") for i in range(n)]
    >>> unit_key(linking(1)) == unit_key(linking(2)) == unit_key(linking(900))  # one structure, as structure() has
    True
    """
    if not _shapes()[1]:
        return _key(_structure_of(unit)[0])
    same = _alike_context_nodes(*unit, _shapes()[2])
    if not exact:
        unit = (_own_merged(unit[0], same, _shapes()[2], _shapes()[3]), unit[1])
    ids: dict[str, int] = {}
    kinds: list[object] = []
    names: dict[str, int] = {}  # the predicates and classes, numbered in order of first appearance too
    rows: list[tuple[int, int, int]] = []
    for triples in unit:
        for s, p, o in triples:
            if same:
                s, o = same.get(s, s), same.get(o, o)
            subject = ids.get(s)
            if subject is None:
                subject = ids[s] = len(ids)
                kinds.append(_kind(s))
            predicate = names.get(p)
            if predicate is None:
                predicate = names[p] = len(names)
            if p == _RDF_TYPE:
                value = names.get(o)
                if value is None:
                    value = names[o] = len(names)
            else:
                value = ids.get(o)
                if value is None:
                    value = ids[o] = len(ids)
                    kinds.append(_kind(o))
            rows.append((subject, predicate, value))
    rows = list(dict.fromkeys(rows))
    # the names and kinds as text, then the rows as fixed-width numbers (the text of every row, predicate
    # IRIs and all, took as long to make as the rest of the key)
    digest = hashlib.sha256(repr((list(names), kinds, len(rows))).encode("utf-8", "surrogatepass"))
    digest.update(array("q", chain.from_iterable(rows)).tobytes())
    return digest.hexdigest()


def _kind(term: str) -> object:
    """Return what :func:`structure` keeps of a term besides its identity."""
    if term[0] == "<":
        return 0
    if term[-1] == '"':
        return 1 if len(term) > 2 else 2
    close = term.rfind('"')
    suffix = term[close + 1:]
    if suffix == _INTEGER:
        return 3
    if suffix[0] == "^":  # a boolean or another typed value: kept as it is
        return term
    return (1 if close > 1 else 2, suffix)


def check_units(units: Sequence[Unit | Callable[[], Unit]], lookup=lambda key: None, remember=lambda key, found: None,
                keys: Sequence[str | None] | None = None) -> list[list[Violation]]:
    """Return the SHACL violations of each unit: its own triples checked with its context triples.

    Violations about context nodes are left out (they are checked in their own unit). Each distinct
    structure is checked once, with the unit's own nodes described alike taken as one (so an article
    given one more scenario keeps its structure: see :func:`structure`); a unit whose structure breaks a
    rule is checked again with each of them apart, to say which break it. ``lookup(key)`` and
    ``remember(key, violations)`` keep the results of structures between builds. A unit may be given as
    a function that makes it, with its key in ``keys`` (see :func:`unit_key`): it is then only made when
    its structure is new or has violations.

    >>> dream = "<https://w3id.org/dreamgraph/id/dream/a>"
    >>> typed = (dream, _RDF_TYPE, "<https://w3id.org/dreamgraph/ontology#Dream>")
    >>> [[v.message for v in found] for found in check_units([([typed], [])])]
    [['every dream has exactly one non-empty label', 'every dream names the article file(s) it comes from', \
'every dream says once whether it is a stub']]
    """
    built: dict[int, Unit] = {}  # the units that break a rule, made once (the others are let go once keyed)
    made: dict[tuple[int, bool], tuple[str, dict[str, str], set[str]]] = {}

    def unit_of(i: int) -> Unit:
        if i in built:
            return built[i]
        return units[i]() if callable(units[i]) else units[i]

    def make(i: int, exact: bool) -> tuple[str, dict[str, str], set[str]]:
        """The unit's structure: made only for a structure not seen before or with violations."""
        if (i, exact) not in made:
            made[i, exact] = _structure_of(unit_of(i), exact)
        return made[i, exact]

    known: dict[str, list[Violation]] = {}  # structure key -> its violations (the same key either way: the same structure)

    def judge(keyed: dict[int, str], exact: bool) -> None:
        todo: dict[str, str] = {}
        owners: dict[str, set[str]] = {}
        for i, key in keyed.items():
            if key not in known and key not in todo:
                found = lookup(key)
                if found is None:
                    todo[key], _, owners[key] = make(i, exact)
                else:
                    known[key] = found
        for key, found in _check_structures(list(todo.items())):
            known[key] = [v for v in found if v.focus in owners[key]]  # context nodes are checked in their own unit
            remember(key, known[key])

    keys = list(keys) if keys is not None else [None] * len(units)
    keys = [key if key is not None else unit_key(unit_of(i)) for i, key in enumerate(keys)]
    judge(dict(enumerate(keys)), exact=False)
    built.update((i, unit_of(i)) for i, key in enumerate(keys) if known[key])
    exact = {i: unit_key(built[i], exact=True) for i in built}
    if exact:
        judge(exact, exact=True)
    results: list[list[Violation]] = []
    for i in range(len(units)):
        if i not in exact or not known[exact[i]]:
            results.append([])
            continue
        unit, (_, back, _) = unit_of(i), make(i, True)
        results.append(sorted({Violation(_one(back.get(v.focus, v.focus)), v.message, v.path, value)
                               for v in known[exact[i]] for value in _values(v, unit, back)}))
    return results


def _one(term: str | tuple[str, ...]) -> str:
    return term[0] if isinstance(term, tuple) else term


def _values(violation: Violation, unit: Unit, back: dict) -> tuple[str, ...]:
    """Return the real value(s) of a violation found on a structure: a node that stands for several alike
    context nodes (see :func:`structure`) means those of them the focus node reaches by the path."""
    term = back.get(violation.value, violation.value)
    if not isinstance(term, tuple):
        return (term,)
    focus = f"<{_one(back.get(violation.focus, violation.focus))}>"
    path = f"<{violation.path}>"
    reached = {o[1:-1] for s, p, o in unit[0] if s == focus and p == path}
    return tuple(t for t in term if t in reached) or term


def _check_structures(structures: list[tuple[str, str]]) -> list[tuple[str, list[Violation]]]:
    """Return (key, violations) for each structure, checked by pySHACL many at a time (in parallel when
    there are many)."""
    batches = [structures[i:i + STRUCTURES_PER_RUN] for i in range(0, len(structures), STRUCTURES_PER_RUN)]
    if len(batches) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(min(len(batches), os.cpu_count() or 1)) as pool:
            return [pair for done in pool.map(_check_batch, batches) for pair in done]
    return [pair for batch in batches for pair in _check_batch(batch)]


def _check_batch(batch: list[tuple[str, str]]) -> list[tuple[str, list[Violation]]]:
    if batch[0][1].startswith("raw\n"):
        return [(key, check(graph_from_ntriples(text[4:]))) for key, text in batch]
    # Each structure gets its own node names in the shared graph: node:N becomes node:B.N.
    text = "".join(structure_text.replace(_NODE, f"{_NODE}{b}.") for b, (_, structure_text) in enumerate(batch))
    found: list[list[Violation]] = [[] for _ in batch]

    def local(term: str) -> str:
        if term.startswith(_NODE):
            return _NODE + term[len(_NODE):].split(".", 1)[1]
        return term

    for violation in check(graph_from_ntriples(text)):
        if violation.focus.startswith(_NODE):
            b = int(violation.focus[len(_NODE):].split(".", 1)[0])
            found[b].append(Violation(local(violation.focus), violation.message, violation.path, local(violation.value)))
    return [(key, sorted(set(violations))) for (key, _), violations in zip(batch, found)]
