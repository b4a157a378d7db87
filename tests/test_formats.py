"""The export formats for other tools: JSON-LD and N-Triples hold exactly the graph."""

import io
import json

import pyoxigraph as ox


def test_the_jsonld_export_is_compact_and_holds_exactly_the_graph(cli, sample_graph, tmp_path):
    out = tmp_path / "g.jsonld"
    assert cli("-g", sample_graph, "export", "-f", "jsonld", "-o", out).exit_code == 0
    data = out.read_bytes()
    document = json.loads(data)
    node = next(n for n in document["@graph"] if n["@id"] == "dream:not-being-able-to-run")
    assert node["@type"] == ["dg:Dream", "skos:Concept"] and node["dg:isStub"] is False and node["rdfs:label"] == "Not Being Able to Run"
    assert {"@id": "dream:being-chased-by-a-killer"} in node["dg:nextStage"]
    parsed = {(t.subject, t.predicate, t.object) for t in ox.parse(io.BytesIO(data), format=ox.RdfFormat.JSON_LD)}
    store = ox.Store()
    store.bulk_load(path=str(sample_graph / "dreamgraph.ttl"), format=ox.RdfFormat.TURTLE)
    assert parsed == {(q.subject, q.predicate, q.object) for q in store}


def test_the_ntriples_export_is_the_graph_sorted(cli, sample_graph, tmp_path):
    out = tmp_path / "g.nt"
    assert cli("-g", sample_graph, "export", "-f", "ntriples", "-o", out).exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines) and len(lines) == len(set(lines))
    store = ox.Store()
    store.bulk_load(path=str(sample_graph / "dreamgraph.ttl"), format=ox.RdfFormat.TURTLE)
    parsed = {(t.subject, t.predicate, t.object) for t in ox.parse(out.read_bytes(), format=ox.RdfFormat.N_TRIPLES)}
    assert parsed == {(q.subject, q.predicate, q.object) for q in store}
