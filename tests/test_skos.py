"""The graph as a SKOS vocabulary: the checks SKOS tools (qSKOS, Skosmos, skosify) make of a concept scheme,
asked of the sample library's graph."""

import pytest

from dreamgraph.connect import open_store


@pytest.fixture(scope="module")
def store(sample_graph):
    return open_store(sample_graph)


def none(store, query):
    rows = store.select(query)
    assert rows == [], rows[:5]


def test_the_scheme_has_a_label_and_every_concept_is_one_of_its_top_concepts(store):
    schemes = store.select("SELECT ?s ?l WHERE { ?s a skos:ConceptScheme ; skos:prefLabel ?l }")
    assert len(schemes) == 1 and schemes[0]["l"] == "Dream taxonomy"
    # omitted top concepts, and concepts outside every scheme (qSKOS: OTC, orphan in-scheme)
    none(store, "SELECT ?c WHERE { ?c a skos:Concept FILTER NOT EXISTS { ?c skos:topConceptOf ?s . ?s a skos:ConceptScheme } }")
    none(store, "SELECT ?c WHERE { ?c a skos:Concept FILTER NOT EXISTS { ?c skos:inScheme ?s } }")
    assert store.select("SELECT (COUNT(?c) AS ?n) WHERE { ?c a skos:Concept }")[0]["n"] == 44


def test_every_concept_and_collection_has_exactly_one_preferred_label_a_language(store):
    # missing labels, and more than one prefLabel in a language (SKOS S14; qSKOS: inconsistent labels)
    none(store, "SELECT ?c WHERE { { ?c a skos:Concept } UNION { ?c a skos:Collection } "
                "FILTER NOT EXISTS { ?c skos:prefLabel ?l FILTER(LANG(?l) = 'en') } }")
    none(store, "SELECT ?c ?lang WHERE { ?c skos:prefLabel ?l BIND(LANG(?l) AS ?lang) } GROUP BY ?c ?lang "
                "HAVING (COUNT(?l) > 1)")
    none(store, "SELECT ?c ?l WHERE { ?c skos:prefLabel ?l FILTER(LANG(?l) = '') }")
    # prefLabel and altLabel disjoint (SKOS S13), compared as text
    none(store, "SELECT ?c WHERE { ?c skos:prefLabel ?p ; skos:altLabel ?a FILTER(LCASE(STR(?p)) = LCASE(STR(?a))) }")


def test_collections_hold_concepts_and_no_concept_is_a_collection(store):
    # SKOS S37 (Concept and Collection disjoint); members are concepts
    none(store, "SELECT ?c WHERE { ?c a skos:Concept , skos:Collection }")
    none(store, "SELECT ?m WHERE { ?k a skos:Collection ; skos:member ?m FILTER NOT EXISTS { ?m a skos:Concept } }")
    labels = {row["l"] for row in store.select("SELECT ?l WHERE { ?k a skos:Collection ; skos:prefLabel ?l }")}
    assert "losing control" in {label.lower() for label in labels}
