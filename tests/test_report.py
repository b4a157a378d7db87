"""The gap report written out (dreamgraph.report): the text a build keeps for the terminal, laid out whole
or with the lines of the last report's gaps copied from its text."""

from __future__ import annotations

import shutil

from helpers import FIXTURES, SEED
from dreamgraph.build import build
from dreamgraph.connect import open_store
from dreamgraph.gaps import Gap
from dreamgraph.report import terminal_text, text_table
from dreamgraph.snapshot import Snapshot


def test_the_kept_text_with_the_last_reports_lines_copied_is_the_text_laid_out_whole(tmp_path):
    """A report whose gaps are partly the last one's (the same objects), partly new, some of the last gone and
    a kind emptied or added: the text, and where each gap's lines are, as laid out from nothing."""
    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "gaps", folder)
    shutil.copy(SEED, folder)
    build([folder], tmp_path / "graph")
    last = Snapshot(open_store(tmp_path / "graph")).kept("gaps")
    table = text_table(last)
    assert bytes(table["text"]) == terminal_text(last).encode("utf-8") and len(table["starts"]) == len(last) > 5
    text = bytes(table["text"])
    for gap, start, size in zip(last, table["starts"], table["sizes"]):  # each gap's lines where it says
        assert text[start:start + size].decode("utf-8").startswith(f"  {gap.score:>7g}  {gap.node}: {gap.action}")
    kinds = [gap.kind for gap in last]
    changed = Gap(last[0].kind, last[0].node, last[0].label, last[0].score, last[0].action + " (again)",
                  last[0].evidence[:1])
    new = ([changed] + [gap for gap in last[1:] if gap.kind != kinds[-1]]
           + [Gap("one-way", "zzz", "Z → A", 0.05, "bridge it", [{"path": "", "line": None, "text": "zzz → a"}])])
    spliced = text_table(new, last, table)
    whole = text_table(new)
    assert bytes(spliced["text"]) == bytes(whole["text"]) == terminal_text(new).encode("utf-8")
    assert spliced["starts"].tolist() == whole["starts"].tolist() and spliced["sizes"].tolist() == whole["sizes"].tolist()
    assert text_table([], last, table)["text"] == b"no gaps found\n"


def test_the_report_by_dream_is_the_plain_grouping_and_its_json_the_gaps_dicts():
    """`grouped` by dream (totals added while grouping, one-gap groups left unsorted) and `json_items` (the
    gaps themselves, for orjson) give what the plain way gives: every dream's gaps by score, the dream with
    the most at stake first, ties in the ranked order, a group named by its first gap in that order."""
    import random

    from dreamgraph.gaps import Gap
    from dreamgraph.output import json_bytes
    from dreamgraph.report import as_data, grouped, json_items

    rng = random.Random(5)
    found = [Gap(rng.choice(["orphan", "dead-end", "missing-article"]), f"d{rng.randrange(60)}",
                 f"Label {n}" if n % 7 else f"a ~ b {n}", rng.choice([0.5, 1.0, 1.5, 0.25, 0.1 + 0.2]), "act",
                 [{"path": "a.txt", "line": n, "text": "x\udcff" if n == 3 else ""}]) for n in range(400)]
    groups: dict[str, list] = {}
    for gap in found:
        groups.setdefault(gap.node, []).append(gap)
    plain = [(node, f"{node}: {items[0].label if ' ~ ' not in items[0].label else node}",
              sorted(items, key=lambda g: -g.score))
             for node, items in sorted(groups.items(), key=lambda item: -sum(g.score for g in item[1]))]
    assert grouped(found, "dream") == plain
    assert any(len(items) == 1 for *_, items in plain) and any(len(items) > 3 for *_, items in plain)
    for by in ("kind", "dream", "score"):
        assert [json_bytes(item) for item in json_items(found, by)] == [json_bytes(item) for item in as_data(found, by)]
    assert as_data(found, "dream")[0] == {"node": plain[0][0], "gaps": [g.as_dict() for g in plain[0][2]]}
