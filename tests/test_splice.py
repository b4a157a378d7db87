"""dreamgraph.splice: a table told as runs over another, made again exactly (its rows in their order), and
runs over runs turned into runs over the first base."""

from __future__ import annotations

import random

from dreamgraph.splice import composed, own_rows, runs, spliced


def _edited(rng: random.Random, table: list) -> list:
    """Return a copy of a table with a few rows taken out, added or changed, the others equal copies or the
    same rows."""
    table = [row if rng.random() < 0.5 else list(row) for row in table]
    for _ in range(rng.randrange(5)):
        step = rng.random()
        if step < 0.3 and table:
            del table[rng.randrange(len(table))]
        elif step < 0.6:
            table.insert(rng.randrange(len(table) + 1), [rng.randrange(40)])
        elif table:
            table[rng.randrange(len(table))] = [rng.randrange(40)]
    return table


def test_runs_make_the_table_again_and_runs_over_runs_make_it_over_the_first_base():
    rng = random.Random(7)
    for _ in range(3000):
        base = [[rng.randrange(20)] for _ in range(rng.randrange(30))]
        tables, told = [base], None
        for _ in range(4):  # four rebuilds, each told over the one before, composed into runs over the base
            table = _edited(rng, tables[-1])
            then = runs(tables[-1], table)
            assert spliced(tables[-1], then) == table
            told = then if told is None else composed(told, then)
            assert spliced(base, told) == table, (base, tables, table, told)
            tables.append(table)


def test_the_rows_a_table_keeps_are_not_its_own_and_identical_rows_are_found_out_of_place():
    rows = [{"dream": f"d{n}"} for n in range(10)]
    moved = rows[5:] + [{"dream": "new"}] + rows[:5]  # the same objects in another order, and one new row
    told = runs(rows, moved)
    assert told == [(5, 10), [{"dream": "new"}], (0, 5)]
    assert own_rows(told) == 1
    equal = [dict(row) for row in rows]  # equal copies where the base's rows were: no row of its own
    assert runs(rows, equal) == [(0, 10)]


def test_equal_rows_after_a_changed_one_are_still_the_bases_and_too_many_runs_say_none():
    rows = [{"dream": f"d{n}", "score": n} for n in range(100)]
    table = [dict(row) for row in rows]  # equal copies, as a table made again is (no row is the same object)
    table[10] = {"dream": "d10", "score": -1}  # one row changed in place
    told = runs(rows, table)
    assert told == [(0, 10), [table[10]], (11, 100)] and own_rows(told) == 1
    table.insert(50, {"dream": "new"})  # and one inserted: the copies after it are the base's still
    assert runs(rows, table) == [(0, 10), [table[10]], (11, 50), [{"dream": "new"}], (50, 100)]
    shuffled = rows[::-1]  # every row out of place: a run each
    assert len(runs(rows, shuffled)) == 100 and runs(rows, shuffled, most=20) is None
    assert runs(rows, [{"new": n} for n in range(100)], most=20) is None


def _edited_dict(rng: random.Random, table: dict, depth: int = 0) -> dict:
    """Return a copy of a dict table with a few keys taken out, added or given new values, and the dicts
    within (as large as a mention table's versions, or small) changed the same way; the rest equal copies
    or the same values."""
    table = {key: value if rng.random() < 0.5 else (dict(value) if isinstance(value, dict) else value)
             for key, value in table.items()}
    for _ in range(rng.randrange(5)):
        step, key = rng.random(), f"k{rng.randrange(30)}"
        if step < 0.25 and table:
            del table[rng.choice(sorted(table))]
        elif step < 0.5:
            table[key] = rng.randrange(40)
        elif step < 0.75 and depth < 2:
            inner = table.get(key)
            table[key] = _edited_dict(rng, inner if isinstance(inner, dict) else {}, depth + 1)
        elif table:
            table[rng.choice(sorted(table))] = [rng.randrange(40)]
    return table


def test_a_dict_told_as_its_changes_is_made_again_and_changes_over_changes_over_the_first_base():
    """A dict table (names, versions, a dict of dicts) told as its changes to the last, the changes of four
    rebuilds composed into changes to the first base: made again equal to the table each time, with the base
    itself changed in place (a base is read anew for each), a value put in whole and changed after included."""
    import copy
    import pickle

    from dreamgraph.splice import Changes, told_size

    rng = random.Random(3)
    for _ in range(2000):
        base = _edited_dict(rng, {f"k{n}": rng.randrange(9) for n in range(rng.randrange(12))})
        tables, told = [base], None
        for _ in range(4):
            table = _edited_dict(rng, tables[-1])
            then = runs(tables[-1], table)
            assert isinstance(then, Changes) and spliced(copy.deepcopy(tables[-1]), then) == table
            told = then if told is None else composed(pickle.loads(pickle.dumps(told)), then)
            assert spliced(copy.deepcopy(base), told) == table, (base, tables, table, told)
            assert told_size(told) <= 4 * 5 * 3 * 2 + len(base)
            tables.append(table)


def test_changes_tell_only_what_changed_and_too_many_say_none():
    from dreamgraph.splice import Changes, told_size

    names = {f"name {n}": f"dream/{n % 70}" for n in range(300)}
    table = {key: str(value) for key, value in names.items()}  # equal copies: nothing told
    assert runs(names, table) == Changes()
    del table["name 5"]
    table["name 9"], table["new name"] = "dream/1", "dream/2"
    assert runs(names, table) == Changes(["name 5"], {"name 9": "dream/1", "new name": "dream/2"})
    sources = {"versions": dict.fromkeys(map(str, range(100)), "v1"), "finder": {"wanted": dict(names), "digest": "a"}}
    later = {"versions": {**sources["versions"], "7": "v2"},
             "finder": {"wanted": {**names, "one more": "dream/3"}, "digest": "b"}}
    told = runs(sources, later)
    assert told == Changes(within={"versions": Changes(put={"7": "v2"}), "finder": Changes(
        put={"digest": "b"}, within={"wanted": Changes(put={"one more": "dream/3"})})}) and told_size(told) == 3
    small = {"finder": {"digest": "a"}}  # a dict within whose every key changes: put in whole
    assert runs(small, {"finder": {"digest": "b"}}) == Changes(put={"finder": {"digest": "b"}})
    assert runs(names, {f"other {n}": "x" for n in range(300)}, most=50) is None
    assert runs(names, {}, most=50) is None
