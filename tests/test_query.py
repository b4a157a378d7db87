"""`dreamgraph sparql` and `queries`: formats, named queries, bound parameters, and what is refused."""

import csv
import io
import json
from functools import partial

import pytest

from dreamgraph.dreams import find_dream
from dreamgraph.query import (bind_parameters, cell_text, check_query, format_result, named_queries, named_query,
                              parse_named_query, run_query)
from dreamgraph.terms import QueryResult
from dreamgraph.errors import QueryError

DREAMS = "SELECT ?d ?label WHERE { ?d a dg:Dream ; rdfs:label ?label } ORDER BY ?d"


def test_table_is_the_default_format(cli, seed_graph):
    result = cli("-g", seed_graph, "sparql", "-e", DREAMS)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["d", "label"]
    assert lines[2].split()[0] == "dream:being-chased-by-a-killer"
    assert len(lines) == 6 and "4 rows" in result.stderr


def test_json_is_w3c_sparql_results(cli, seed_graph):
    data = json.loads(cli("-g", seed_graph, "sparql", "-e", DREAMS, "-f", "json").stdout)
    assert data["head"] == {"vars": ["d", "label"]}
    assert data["results"]["bindings"][0] == {
        "d": {"type": "uri", "value": "https://w3id.org/dreamgraph/id/dream/being-chased-by-a-killer"},
        "label": {"type": "literal", "value": "being chased by a killer"}}
    count = json.loads(cli("-g", seed_graph, "sparql", "-f", "json", "-e",
                           "SELECT (COUNT(*) AS ?n) WHERE { ?s a dg:Scenario }").stdout)
    assert count["results"]["bindings"][0]["n"] == {
        "type": "literal", "value": "5", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}


def test_csv_and_tsv(cli, seed_graph):
    rows = list(csv.reader(io.StringIO(cli("-g", seed_graph, "sparql", "-e", DREAMS, "-f", "csv").stdout)))
    assert rows[0] == ["d", "label"] and len(rows) == 5
    assert rows[4] == ["https://w3id.org/dreamgraph/id/dream/not-being-able-to-run", "Not Being Able to Run"]
    tsv = cli("-g", seed_graph, "sparql", "-e", DREAMS, "-f", "tsv").stdout.splitlines()
    assert tsv[0] == "?d\t?label"
    assert tsv[1] == '<https://w3id.org/dreamgraph/id/dream/being-chased-by-a-killer>\t"being chased by a killer"'


def test_csv_cells_are_the_full_text_of_each_cell_whatever_the_column_holds():
    # written a column at a time: a column of plain cells at C speed, one with a blank node or an empty cell
    # cell by cell; either way the rows are those csv writes of each cell's text
    xsd = "http://www.w3.org/2001/XMLSchema#integer"
    rows = [(("uri", "https://w3id.org/dreamgraph/id/dream/a"), ("literal", 'a "quoted", text\nover lines', None, None),
             ("bnode", "b0"), ("literal", "3", xsd, None)),
            (("uri", "https://w3id.org/dreamgraph/id/dream/b"), ("literal", "plain", None, "en"), None,
             ("literal", "12", xsd, None))]
    result = QueryResult("select", variables=["d", "text", "node", "n"], rows=rows)
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\r\n")
    writer.writerows([["d", "text", "node", "n"], *([cell_text(c, compact=False) for c in row] for row in rows)])
    assert format_result(result, "csv") == expected.getvalue().rstrip("\n")
    assert list(csv.reader(io.StringIO(format_result(result, "csv"))))[1:] == [
        ["https://w3id.org/dreamgraph/id/dream/a", 'a "quoted", text\nover lines', "_:b0", "3"],
        ["https://w3id.org/dreamgraph/id/dream/b", "plain", "", "12"]]
    # no rows: the header alone (its line's \n is the echo's)
    assert format_result(QueryResult("select", variables=["d"], rows=[]), "csv") == "d\r"


def test_construct_as_turtle_and_ntriples(cli, seed_graph):
    query = "CONSTRUCT { ?d dg:nextStage ?t } WHERE { ?d dg:nextStage ?t }"
    nt = cli("-g", seed_graph, "sparql", "-e", query, "-f", "ntriples").stdout.splitlines()
    assert len(nt) == 3 and all(line.endswith(" .") for line in nt)
    turtle = cli("-g", seed_graph, "sparql", "-e", query, "-f", "turtle").stdout
    assert "dream:not-being-able-to-run dg:nextStage" in turtle


def test_ask_prints_and_sets_the_exit_status(cli, seed_graph):
    yes = cli("-g", seed_graph, "sparql", "-e", "ASK { dream:not-being-able-to-run dg:nextStage dream:losing-control }")
    assert (yes.exit_code, yes.stdout) == (0, "true\n")
    no = cli("-g", seed_graph, "sparql", "-e", "ASK { dream:losing-control dg:nextStage ?x }")
    assert (no.exit_code, no.stdout) == (1, "false\n")


def test_query_from_a_file_and_from_stdin(cli, seed_graph, tmp_path):
    path = tmp_path / "q.rq"
    path.write_bytes(b"\xef\xbb\xbf# a comment\r\n" + DREAMS.encode() + b"\r\n")
    assert "4 rows" in cli("-g", seed_graph, "sparql", path).stderr
    assert "4 rows" in cli("-g", seed_graph, "sparql", "-", input=DREAMS).stderr


def test_named_queries_are_listed_with_their_parameters(cli):
    names = set(named_queries())
    assert {"dreams-in-cluster", "dream-scenarios", "reachable-from", "leads-to", "stubs-by-demand"} <= names
    listed = json.loads(cli("queries", "-f", "json").stdout)
    assert {q["name"] for q in listed} == names
    assert all(q["title"] and q["description"] for q in listed)
    assert any(line.split()[:2] == ["dream-scenarios", "dream=<dream>"] for line in cli("queries").stdout.splitlines())


def test_every_shipped_query_is_safe_and_valid():
    for query in named_queries().values():
        assert check_query(query.text) == "select", query.name


def test_named_query_with_a_parameter(cli, seed_graph):
    rows = json.loads(cli("-g", seed_graph, "sparql", "--named", "dream-scenarios", "--param",
                          "dream=Not Being Able to Run", "-f", "json").stdout)["results"]["bindings"]
    assert [r["scenario"]["value"] for r in rows][0] == "Legs pumping, ground not moving"
    assert len(rows) == 5
    stubs = json.loads(cli("-g", seed_graph, "sparql", "-n", "stubs-by-demand", "-f", "json").stdout)
    assert [b["stub"]["value"].rsplit("/", 1)[1] for b in stubs["results"]["bindings"]] == [
        "being-chased-by-a-killer", "losing-control", "not-being-able-to-move"]
    cluster = json.loads(cli("-g", seed_graph, "sparql", "-n", "dreams-in-cluster", "-p", "cluster=losing control",
                             "-f", "json").stdout)["results"]["bindings"]
    assert [b["label"]["value"] for b in cluster] == ["Not Being Able to Run"]


@pytest.mark.parametrize("name", ["not-being-able-to-run", "Dream About Not Being Able to Run",
                                  "https://w3id.org/dreamgraph/id/dream/not-being-able-to-run"])
def test_a_dream_parameter_is_a_slug_a_title_or_an_iri(seed_store, name, caplog):
    query = named_query("reachable-from")
    rows = run_query(seed_store, query.text, bind_parameters(query, {"dream": name}, partial(find_dream, seed_store, suggest=False))).rows
    assert "not look like a valid URI" not in caplog.text  # no IRI is made of a title on the way
    assert sorted(row[1][1].rsplit("/", 1)[1] for row in rows) == [
        "being-chased-by-a-killer", "losing-control", "not-being-able-to-move"]


def test_a_path_query_with_a_bound_dream(seed_store):
    query = named_query("leads-to")
    rows = run_query(seed_store, query.text, bind_parameters(query, {"dream": "losing-control"}, partial(find_dream, seed_store, suggest=False))).rows
    assert [row[1][1].rsplit("/", 1)[1] for row in rows] == ["not-being-able-to-run"]


@pytest.mark.parametrize("value", ['"} DROP ALL', '> . ?s ?p ?o', "x') || true || CONTAINS(?match, '",
                                   'x" . } UNION { ?s ?p ?o } #', "\\u0000"])
@pytest.mark.parametrize("query, name", [("dream-scenarios", "dream"), ("search", "text"),
                                         ("dreams-in-cluster", "cluster")])
def test_hostile_parameter_values_change_nothing_and_return_no_rows(cli, seed_graph, value, query, name):
    result = cli("-g", seed_graph, "sparql", "-n", query, "-p", f"{name}={value}", "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"]["bindings"] == []


def test_named_query_parameter_mistakes(cli, seed_graph):
    result = cli("-g", seed_graph, "sparql", "-n", "dream-scenarios")
    assert result.exit_code == 1 and "needs --param dream=VALUE" in result.stderr
    result = cli("-g", seed_graph, "sparql", "-n", "dream-scenarios", "-p", "dream=x", "-p", "other=y")
    assert result.exit_code == 1 and "has no parameter other" in result.stderr
    result = cli("-g", seed_graph, "sparql", "-n", "no-such-query")
    assert result.exit_code == 1 and "no named query 'no-such-query'; there are:" in result.stderr


@pytest.mark.parametrize("query, message", [
    ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "SERVICE is refused"),
    ("SELECT * WHERE { { ?s ?p ?o } UNION { SERVICE SILENT <http://127.0.0.1:9/> { ?s ?p ?o } } }", "SERVICE is refused"),
    ("ASK { OPTIONAL { SERVICE ?svc { ?s ?p ?o } } }", "SERVICE is refused"),
    ("SELECT * FROM <http://127.0.0.1:9/x.ttl> WHERE { ?s ?p ?o }", "FROM and FROM NAMED are refused"),
    ("SELECT * FROM NAMED <http://127.0.0.1:9/x.ttl> WHERE { GRAPH ?g { ?s ?p ?o } }", "FROM and FROM NAMED are refused"),
    ("LOAD <http://127.0.0.1:9/x.ttl>", "updates (INSERT, DELETE, LOAD, CLEAR, DROP ...) are refused"),
    ("DELETE WHERE { ?s ?p ?o }", "updates"),
    ("DROP ALL", "updates"),
    ("", "the query is empty"),
    ("# only a comment\n", "the query is empty"),
    ("{" * 60 + "}" * 60, ""),
])
def test_refused_queries(cli, seed_graph, query, message):
    result = cli("-g", seed_graph, "sparql", "-e", query) if query else cli("-g", seed_graph, "sparql", "-", input=query)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert "Traceback" not in result.output


def test_syntax_error_shows_line_column_and_text(cli, seed_graph):
    result = cli("-g", seed_graph, "sparql", "-e", "SELECT ?d\nWHERE { ?d a dg:Dream \n  FILTERR(?d) }")
    assert result.exit_code == 1
    assert "SPARQL syntax error at line 3, column" in result.stderr and "FILTERR(?d)" in result.stderr


def test_a_runaway_query_is_stopped_by_the_timeout(cli, seed_graph):
    runaway = ("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l } "
               "ORDER BY ?a ?b ?c ?d ?e ?f ?g ?h ?i ?j ?k ?l")
    result = cli("-g", seed_graph, "sparql", "-e", runaway, "--timeout", "1")
    assert result.exit_code == 1 and "query stopped after 1 s" in result.stderr


def test_the_program_stops_a_runaway_query_in_its_own_process(seed_graph):
    # the `dreamgraph` program runs a query in a thread and ends the process when it is late (in-process
    # callers, as above, get a child process that is killed instead)
    import subprocess
    import sys

    runaway = ("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l } "
               "ORDER BY ?a ?b ?c ?d ?e ?f ?g ?h ?i ?j ?k ?l")
    result = subprocess.run([sys.executable, "-m", "dreamgraph.cli", "-g", str(seed_graph), "sparql", "-e", runaway,
                             "--timeout", "1"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "query stopped after 1 s" in result.stderr
    assert "Traceback" not in result.stderr
    answered = subprocess.run([sys.executable, "-m", "dreamgraph.cli", "-g", str(seed_graph), "sparql", "-e",
                               "SELECT (COUNT(*) AS ?n) WHERE { ?d a dg:Dream }", "-f", "csv", "--timeout", "30"],
                              capture_output=True, text=True, timeout=120)
    assert answered.returncode == 0 and int(answered.stdout.splitlines()[1]) > 1


def test_a_named_query_is_trusted_only_as_shipped(seed_store):
    shipped = named_query("stubs-by-demand")
    assert run_query(seed_store, shipped).kind == "select"
    forged = parse_named_query("stubs-by-demand", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/s> { ?s ?p ?o } }")
    with pytest.raises(QueryError, match="SERVICE is refused"):
        run_query(seed_store, forged)


def test_the_row_cap_protects_the_terminal(cli, seed_graph):
    result = cli("-g", seed_graph, "sparql", "-e", "SELECT * WHERE { ?s ?p ?o }", "--max-rows", "7", "-f", "csv")
    assert len(result.stdout.splitlines()) == 8
    assert "stopped at 7 rows" in result.stderr
    every = cli("-g", seed_graph, "sparql", "-e", "SELECT * WHERE { ?s ?p ?o }", "--max-rows", "0", "-f", "csv")
    rows = list(csv.reader(io.StringIO(every.stdout)))
    assert len(rows) == 224 and "stopped" not in every.stderr  # a header and the sample's 223 triples
    assert cli("-g", seed_graph, "sparql", "-e", "ASK {}", "--max-rows", "-1").exit_code == 2


def test_allow_network_lets_service_through_the_check():
    assert check_query("SELECT * WHERE { SERVICE <http://127.0.0.1:9/s> { ?s ?p ?o } }", allow_network=True) == "select"
    with pytest.raises(QueryError):
        check_query("SELECT * WHERE { SERVICE <http://127.0.0.1:9/s> { ?s ?p ?o } }")


def test_named_query_header_must_be_well_formed():
    with pytest.raises(ValueError):
        parse_named_query("x", "# param: nonsense\nSELECT * {}")


def every_query_of_the_package() -> dict[str, str]:
    """The queries dreamgraph asks: the module constants named ``*_QUERY`` and the shipped named queries."""
    import importlib
    import pkgutil
    from importlib import resources

    import dreamgraph

    found = {}
    for info in pkgutil.walk_packages(dreamgraph.__path__, "dreamgraph."):
        if not info.name.endswith("__main__"):
            module = importlib.import_module(info.name)
            found.update((f"{info.name}.{name}", value) for name, value in vars(module).items()
                         if name.endswith("_QUERY") and isinstance(value, str))
    found.update((entry.name, entry.read_text(encoding="utf-8"))
                 for entry in resources.files("dreamgraph").joinpath("queries").iterdir() if entry.name.endswith(".rq"))
    return found


def test_no_query_matches_triples_after_an_optional_in_the_same_group():
    """Oxigraph evaluates the triple patterns that follow an OPTIONAL on their own, for every node they
    match: the links into a hub dream of 100,000 articles took ten minutes so (`dreamgraph brief`), 0.03 s
    with the OPTIONAL last, which means the same when the two share no variable but those before."""
    from rdflib import Namespace
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    from dreamgraph.vocabulary import PREFIXES

    def after_optional(node, found: list) -> list:
        if isinstance(node, CompValue):
            left, right = node.get("p1"), node.get("p2")
            if (node.name == "Join" and isinstance(left, CompValue) and left.name == "LeftJoin"
                    and isinstance(right, CompValue) and right.name == "BGP" and right.triples):
                found.append(right.triples)
            for value in node.values():
                after_optional(value, found)
        elif isinstance(node, (list, tuple)):
            for value in node:
                after_optional(value, found)
        return found

    namespaces = {prefix: Namespace(iri) for prefix, iri in PREFIXES.items()}
    queries = every_query_of_the_package()
    assert len(queries) >= 25 and "dreamgraph.snapshot.lookups.INCOMING_QUERY" in queries
    late = {name: after_optional(prepareQuery(text, initNs=namespaces).algebra, [])
            for name, text in sorted(queries.items())}
    assert {name: triples for name, triples in late.items() if triples} == {}
    assert after_optional(prepareQuery("SELECT * WHERE { ?a ?b ?c OPTIONAL { ?a ?d ?e } ?c ?f ?g }").algebra, [])
