"""The SHACL check: the fast per-structure check a build runs gives what pySHACL gives on the whole graph."""

from __future__ import annotations


from helpers import FIXTURES, SEED, article
from dreamgraph.build import assemble, shared_triples, validation_units
from dreamgraph.compile import parse_all
from dreamgraph.triples import LABEL, A, T, integer, ntriples, text
from dreamgraph.validate import (_shapes, check, check_units, graph_from_ntriples, shapes_allow_structures,
                                 shapes_text, structure)


def library_units(paths, tmp_path):
    library = assemble(parse_all(paths, tmp_path), {})
    return [unit() if callable(unit) else unit for unit in validation_units(library, shared_triples(library))]


def whole_graph_check(units):
    return sorted(set(check(graph_from_ntriples(ntriples(t for own, _ in units for t in own)))))


def test_shipped_shapes_are_safe_for_the_structure_check_and_a_text_rule_is_not():
    assert shapes_allow_structures(shapes_text())
    assert not shapes_allow_structures(shapes_text() + "\n[] <http://www.w3.org/ns/shacl#pattern> '^a' .\n")
    assert not shapes_allow_structures(shapes_text() + "\n[] <http://www.w3.org/ns/shacl#minLength> 3 .\n")
    from rdflib import Graph, URIRef
    from rdflib.namespace import SH

    shapes = Graph().parse(data=shapes_text(), format="turtle")  # the predicates allowed once, as rdflib reads them
    single = {f"<{path}>" for prop in shapes.subjects(SH.maxCount, None) for path in shapes.objects(prop, SH.path)
              if isinstance(path, URIRef)}
    assert single and _shapes()[2] == single
    inverse = {f"<{shapes.value(path, SH.inversePath)}>" for prop in {*shapes.subjects(SH.maxCount, None),
                                                                      *shapes.subjects(SH.minCount, None)}
               for path in shapes.objects(prop, SH.path) if shapes.value(path, SH.inversePath) is not None}
    assert T["hasScenario"] in inverse and _shapes()[3] == inverse  # the subjects counted from their objects
    # two or more of a value: alike nodes, taken as one, would hide that a unit has too few
    assert not shapes_allow_structures(shapes_text() + "\n[] <http://www.w3.org/ns/shacl#minCount> 2 .\n")


def test_a_clean_library_has_no_violations_either_way(tmp_path):
    paths = [SEED, *sorted((FIXTURES / "gaps").iterdir()), *sorted((FIXTURES / "variants").iterdir()),
             FIXTURES / "hostile" / "hostile.md"]
    units = library_units(paths, tmp_path)
    assert whole_graph_check(units) == []
    assert check_units(units) == [[]] * len(units)


def test_broken_units_give_exactly_the_violations_pyshacl_finds_in_the_whole_graph(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(article("Dream About Falling: The Drop", scenarios=[("Off a cliff", "lost footing"),
                                                                                      ("Off a roof", "exposed")],
                                          prose="Part of the Losing Control cluster.",
                                          next_stages=[("you land", "landing", "it ends")]), encoding="utf-8")
    (folder / "b.txt").write_text(article("Dream About Flying: Up", scenarios=[("Over a city", "freedom")],
                                          prose="Part of the losing-control cluster.",
                                          next_stages=[("you fall", "falling", "it turns")]), encoding="utf-8")
    (folder / "c.txt").write_text(article("Dream About Swimming: Deep", scenarios=[("In a lake", "calm")]),
                                  encoding="utf-8")
    units = library_units(sorted(folder.iterdir()), tmp_path)
    falling, flying, swimming = units[0][0], units[1][0], units[2][0]
    scenario = next(o for _, p, o in falling if p == T["hasScenario"])
    falling[:] = [t for t in falling if not (t[0] == scenario and t[1] == LABEL)]      # a scenario without label
    falling.append((scenario, T["meaning"], text("a second meaning")))                 # and with two meanings
    transition = next(o for _, p, o in flying if p == T["transition"])
    flying[:] = [t for t in flying if not (t[0] == transition and t[1] == T["condition"])]
    dream = next(s for s, p, _ in swimming if p == T["isStub"])
    swimming[:] = [(s, p, text("") if (s, p) == (dream, LABEL) else o) for s, p, o in swimming]
    swimming[:] = [(s, p, integer(0) if (s, p) == (dream, T["isStub"]) else o) for s, p, o in swimming]

    expected = whole_graph_check(units)
    # the two spellings of the cluster name give the cluster two labels: only seen when both articles are
    assert {v.message for v in expected} >= {
        "every node has exactly one label", "a scenario has exactly one meaning",
        "a transition has exactly one condition", "every dream has exactly one non-empty label",
        "every dream says once whether it is a stub"}
    assert any(v.focus.endswith("/cluster/losing-control") for v in expected)
    found = check_units(units)
    assert sorted({v for unit in found for v in unit}) == expected

    remembered = {}
    again = check_units(units, remembered.get, remembered.__setitem__)
    assert again == found and remembered
    replayed = check_units(units, remembered.get, lambda key, value: (_ for _ in ()).throw(AssertionError(key)))
    assert replayed == found  # every structure came from what was remembered: no new check


def test_context_nodes_described_alike_are_checked_once_and_each_is_still_reported(tmp_path):
    """A unit's linked dreams that look alike are one node in its structure (so a cluster of 900 has the
    structure of a cluster of two); a violation about them still names every one, and a second value of a
    single-valued link is still seen."""
    DREAM, CLUSTER = T["Dream"], T["Cluster"]

    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(article("Dream About Falling: The Drop", next_stages=[
        ("you land", "landing", "it ends"), ("you fly", "flying", "it lifts"), ("you sink", "sinking", "it drowns"),
        ("you run", "running", "it chases")]), encoding="utf-8")
    own, context = library_units([folder / "a.txt"], tmp_path)[0]
    context = [(s, p, CLUSTER if o == DREAM else o) for s, p, o in context]  # the targets are not dreams
    targets = sorted({o for _, p, o in own if p == T["nextStage"]})
    text_of = structure(own, context, _shapes()[2])[0]
    assert sum(f"<{target[1:-1]}>" in " ".join(map(" ".join, own)) for target in targets) == 4
    assert text_of.count(f"{CLUSTER} .") == 1  # the four targets are one node in the structure

    def pyshacl_on(own, context):
        subjects = {s[1:-1] for s, _, _ in own}
        return sorted({v for v in check(graph_from_ntriples(ntriples([*own, *context]))) if v.focus in subjects})

    found = check_units([(own, context)])[0]
    assert found == pyshacl_on(own, context)
    assert {v.value for v in found if v.message == "a next stage must point to a dream"} == {t[1:-1] for t in targets}

    transitions = [o for _, p, o in own if p == T["transition"]]
    twice = own + [(transitions[0], T["to"], targets[1])]  # one transition with two 'to' dreams
    found = check_units([(twice, context)])[0]
    assert found == pyshacl_on(twice, context)
    assert any(v.message == "a transition has exactly one 'to' dream" for v in found)


def test_a_cluster_of_one_more_member_keeps_its_key_and_is_not_checked_again(monkeypatch):
    """A cluster named by one more article has one more member and one more file, described as the others
    are: its key (and so its kept verdict) stands, and pySHACL is not run for it (a new article patched
    into a cluster then loads no pySHACL)."""
    import dreamgraph.validate as validate
    from dreamgraph.compile import shared_unit
    from dreamgraph.triples import DERIVED, MEMBER

    cluster = "<https://w3id.org/dreamgraph/id/cluster/water>"

    def unit(count: int):
        own = [(cluster, A, T["Cluster"]), (cluster, LABEL, '"water"')]
        for n in range(count):
            own += [(cluster, MEMBER, f"<https://w3id.org/dreamgraph/id/dream/d{n}>"),
                    (cluster, DERIVED, f"<https://w3id.org/dreamgraph/id/source/d{n}.txt>")]
        return shared_unit(own)

    checked = []
    real = validate._check_structures
    monkeypatch.setattr(validate, "_check_structures", lambda todo: checked.append(len(todo)) or real(todo))
    kept: dict = {}
    first = validate.check_units([unit(2)], kept.get, kept.__setitem__)
    assert validate.unit_key(unit(2)) == validate.unit_key(unit(3))
    assert validate.check_units([unit(3)], kept.get, kept.__setitem__) == first
    assert checked == [1, 0]  # checked once, for two members; with three, its verdict was known: none to check


def test_units_whose_structures_are_known_are_not_made_into_structures(monkeypatch):
    """check_units keys every unit without making its structure's text: a structure is made once when new
    (then checked), and a library whose structures were all checked before (the clusters and stubs of a
    rebuild) makes none."""
    import dreamgraph.validate as validate

    units = [([(f"<https://w3id.org/dreamgraph/id/dream/{name}>", "<https://example.org/says>", f'"{name}"')], [])
             for name in ("a", "b", "c")]
    made = []
    real = validate._structure_of
    monkeypatch.setattr(validate, "_structure_of", lambda unit, *exact: made.append(unit) or real(unit, *exact))
    kept: dict = {}
    assert validate.check_units(units, kept.get, kept.__setitem__) == [[], [], []]
    assert len(kept) == 1 and len(made) == 1  # three units, one structure, made once to be checked
    made.clear()
    assert validate.check_units(units, kept.get, kept.__setitem__) == [[], [], []]
    assert made == []


def test_an_article_given_one_more_item_keeps_its_structure_and_is_not_checked_again(tmp_path, monkeypatch):
    """An article's own parts described alike (its Quick Answer items, scenarios, questions, next stages)
    are one node in its structure: an edit that adds one keeps the article's key and its kept verdict, so a
    patch runs no pySHACL (nor loads rdflib) for it; a part that says less (a scenario without its meaning)
    is a structure of its own."""
    import dreamgraph.validate as validate

    def unit(scenarios, quick, stages):
        folder = tmp_path / f"a{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        (folder / "a.txt").write_text(article(
            "Dream About Falling: The Drop", scenarios=scenarios, quick=quick, faq=[("Why? ", "Because.")] * 2,
            next_stages=stages), encoding="utf-8")
        return library_units([folder / "a.txt"], tmp_path)[0]

    two = unit([("Off a cliff", "lost footing"), ("Off a roof", "exposed")], ["One.", "Two."],
               [("you land", "landing", "it ends")])
    more = unit([("Off a cliff", "lost footing"), ("Off a roof", "exposed"), ("Off a bed", "small")],
                ["One.", "Two.", "Three.", "Four."], [("you land", "landing", "it ends"), ("you fly", "flying", "up")])
    assert validate.unit_key(two) == validate.unit_key(more)
    assert validate.unit_key(two, exact=True) != validate.unit_key(more, exact=True)
    own, context = two
    scenario = next(o for _, p, o in own if p == T["hasScenario"])
    bare = ([t for t in own if not (t[0] == scenario and t[1] == T["meaning"])], context)
    assert validate.unit_key(bare) != validate.unit_key(two)

    checked = []
    real = validate._check_structures
    monkeypatch.setattr(validate, "_check_structures", lambda todo: checked.append(len(todo)) or real(todo))
    kept: dict = {}
    assert validate.check_units([two], kept.get, kept.__setitem__) == [[]]
    assert validate.check_units([more], kept.get, kept.__setitem__) == [[]]
    assert checked == [1, 0]  # the article with more parts: its verdict was known, none to check


def test_alike_parts_that_break_a_rule_are_each_reported_as_pyshacl_reports_them(tmp_path):
    """Parts taken as one to key a structure are checked apart once it breaks a rule: every scenario without
    a meaning, every question without its link to the dream, is named, as pySHACL names them in the unit."""
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(article(
        "Dream About Falling: The Drop", quick=["One.", "Two.", "Three."],
        scenarios=[("Off a cliff", "lost footing"), ("Off a roof", "exposed"), ("Off a bed", "small")],
        faq=[("Why? ", "Because."), ("When? ", "Now."), ("How? ", "So.")],
        next_stages=[("you land", "landing", "it ends"), ("you fly", "flying", "up")]), encoding="utf-8")
    own, context = library_units([folder / "a.txt"], tmp_path)[0]
    scenarios = {o for _, p, o in own if p == T["hasScenario"]}
    questions = [o for _, p, o in own if p == T["hasQuestion"]]
    broken = [t for t in own if not (t[0] in scenarios and t[1] == T["meaning"])  # no scenario has its meaning
              and not (t[1] == T["hasQuestion"] and t[2] != questions[0])]       # two questions of no dream
    subjects = {s[1:-1] for s, _, _ in broken}
    expected = sorted({v for v in check(graph_from_ntriples(ntriples([*broken, *context]))) if v.focus in subjects})
    found = check_units([(broken, context)])[0]
    assert found == expected
    assert {v.focus for v in found if v.message == "a scenario has exactly one meaning"} == {s[1:-1] for s in scenarios}
    assert len({v.focus for v in found if "question" in v.message}) == 2


def test_parts_broken_at_random_give_what_pyshacl_gives(tmp_path):
    """Any mix of alike and broken parts (a label, meaning, position or link to the dream dropped, a second
    label given, a part's triple said of another node too, a linked dream's type gone) is judged as pySHACL
    judges the unit: taking alike parts as one hides nothing."""
    from hypothesis import HealthCheck, example, given, settings, strategies as st

    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(article(
        "Dream About Falling: The Drop", quick=["One.", "Two.", "Three."],
        scenarios=[("Off a cliff", "lost footing"), ("Off a roof", "exposed"), ("Off a bed", "small")],
        sensations=[("Cold", "fear"), ("Heavy", "weight")], faq=[("Why? ", "Because."), ("When? ", "Now.")],
        next_stages=[("you land", "landing", "it ends"), ("you fly", "flying", "up"),
                     ("you land again", "landing", "again")]), encoding="utf-8")
    own, context = library_units([folder / "a.txt"], tmp_path)[0]
    dream = next(s for s, p, _ in own if p == T["isStub"])
    parts = [i for i, (s, p, _) in enumerate(own) if s != dream or p in
             (T["quickAnswer"], T["hasScenario"], T["hasSensation"], T["hasQuestion"])]
    nodes = sorted({s for s, _, _ in own})
    last = [next(i for i in range(len(own) - 1, -1, -1) if own[i][0] == o)  # a triple of each section's last part
            for o in [[o for _, p, o in own if p == T[link]][-1] for link in ("hasScenario", "quickAnswer", "hasQuestion")]]

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sets(st.sampled_from(parts), max_size=6), st.sets(st.sampled_from(parts), max_size=2),
           st.sets(st.sampled_from(parts), max_size=2), st.booleans())
    @example(set(), {last[0]}, set(), False)  # the last scenario given a second label: alike but for that
    @example(set(), {last[1]}, {last[2]}, True)
    def judged_alike(dropped, relabelled, said_again, untyped):
        broken = [t for i, t in enumerate(own) if i not in dropped]
        broken += [(own[i][0], LABEL, text(f"another label {i}")) for i in relabelled]
        broken += [(nodes[(nodes.index(own[i][0]) + 1) % len(nodes)], own[i][1], own[i][2]) for i in said_again]
        linked = context[:-1] if untyped else context
        subjects = {s[1:-1] for s, _, _ in broken}
        expected = sorted({v for v in check(graph_from_ntriples(ntriples([*broken, *linked])))
                           if v.focus in subjects})
        assert check_units([(broken, linked)])[0] == expected

    judged_alike()
