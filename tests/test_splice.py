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
