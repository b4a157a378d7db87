"""The gap report written out (dreamgraph.report): the text a build keeps for the terminal, laid out whole
or with the lines of the last report's gaps copied from its text."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest

from helpers import FIXTURES, SEED
from dreamgraph.build import build
from dreamgraph.connect import open_store
from dreamgraph.gaps import Gap
from dreamgraph.output import csv_text, json_bytes
from dreamgraph.keptreport import kept_csv, kept_json, kept_markdown, kept_report, text_table
from dreamgraph.report import CSV_HEADERS, ORDERS, csv_rows, grouped, in_order, json_items, markdown, terminal_text
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
    the most at stake first, ties in the ranked order, a group named by its first gap in that order (by the
    dream's own label where that gap's label joins a pair's or a group's, its name alone for a near-duplicate
    pair, whose label joins names)."""
    import random

    from dreamgraph.gaps import Gap
    from dreamgraph.output import json_bytes
    from dreamgraph.report import as_data, grouped, json_items

    rng = random.Random(5)
    kinds = ["orphan", "dead-end", "missing-article", "one-way", "near-duplicate", "unreachable"]
    joined = {"one-way": " → ", "near-duplicate": " ~ ", "unreachable": " ↔ "}
    found = [Gap(kind, f"d{rng.randrange(60)}", f"Label {n}" if kind not in joined else f"A{n}{joined[kind]}B",
                 rng.choice([0.5, 1.0, 1.5, 0.25, 0.1 + 0.2]), "act",
                 [{"path": "a.txt", "line": n, "text": "x\udcff" if n == 3 else ""}])
             for n, kind in enumerate(rng.choice(kinds) for _ in range(400))]
    groups: dict[str, list] = {}
    for gap in found:
        groups.setdefault(gap.node, []).append(gap)

    def heading(node: str, first: Gap) -> str:  # a pair's or a group's label begins with the dream's own
        own = first.label.split(joined.get(first.kind, "|"))[0]
        return node if first.kind == "near-duplicate" else f"{node}: {own}"

    plain = [(node, heading(node, items[0]), sorted(items, key=lambda g: -g.score))
             for node, items in sorted(groups.items(), key=lambda item: -sum(g.score for g in item[1]))]
    assert grouped(found, "dream") == plain
    assert any(len(items) == 1 for *_, items in plain) and any(len(items) > 3 for *_, items in plain)
    for by in ("kind", "dream", "score"):
        assert [json_bytes(item) for item in json_items(found, by)] == [json_bytes(item) for item in as_data(found, by)]
    assert as_data(found, "dream")[0] == {"node": plain[0][0], "gaps": [g.as_dict() for g in plain[0][2]]}


def _random_report(seed: int, size: int = 300) -> list[Gap]:
    """Return a ranked report of random gaps: text that must be escaped (in labels, actions, evidence and
    dreams' names), non-ASCII text, long lines, scores of every width, more than five pieces of evidence and
    none, dreams with one gap and with many, of several kinds."""
    import random

    rng = random.Random(seed)
    words = ["sea", "→ bridge", "\x1b[31mred", "caf\u00e9", "a\u202eb", "line\nbreak", "x" * 170, "\t", "[a]", "\"said\", twice"]
    nodes = [f"d{n}" for n in range(40)] + ["caf\u00e9", "n\x1bode", "two\nlines", "a ~ b"]
    found = [Gap(rng.choice(["orphan", "dead-end", "missing-article", "near-duplicate", "one-way"]), rng.choice(nodes),
                 rng.choice(["Label", "a ~ b", "Caf\u00e9 \x07", "new\nline"]),
                 rng.choice([0.5, 1.0, 1.5, 0.1 + 0.2, 1234567.0, 12.345678, 3, 1e-7, 0.0]),
                 " ".join(rng.sample(words, 2)),
                 [{"path": rng.choice(["a.txt", "", "b c.md"]), "line": rng.choice([None, 3]), "text": rng.choice(words)}
                  for _ in range(rng.choice([0, 1, 2, 5, 6, 9]))]) for _ in range(size)]
    return in_order(found, "kind")  # grouped by kind, as a ranked report is


def test_the_kept_report_in_any_order_and_of_any_kinds_is_the_report_laid_out():
    """`kept_report` (each gap's lines copied from the text kept by kind, the lines naming a group or a gap
    made again) gives the bytes `terminal_text` lays out, in every order, for every kind or some, and counts
    the gaps of each kind, and `kept_csv`, `kept_json` and `kept_markdown` the report in those formats; the
    same from a table made with the last report's lines and rows copied; nothing from a build that kept no
    text."""
    for seed in range(6):
        ranked, other = _random_report(seed), _random_report(seed + 1)
        few = [gap for gap in ranked if gap.node in ("d1", "d2", "caf\u00e9", "n\x1bode")]  # most dreams gone
        plus = in_order(ranked + [Gap("orphan", "new\tone", "New", 0.5, "link it"), Gap("orphan", "d1", "D", 9, "x")])
        made = [(plus, text_table(plus, ranked, text_table(ranked))),  # two new gaps: the names searched
                (ranked, text_table(ranked)), (ranked, text_table(ranked, other, text_table(other))),
                (ranked, text_table(ranked, ranked[:50], text_table(ranked[:50]))),
                (few, text_table(few, ranked, text_table(ranked))),
                (ranked, text_table(ranked, few, text_table(few, ranked, text_table(ranked))))]
        assert len(made[4][1]["names"]) == 4 < len(text_table(ranked)["names"])  # the names no gap has left out
        for report, table in made:
            snapshot = Snapshot(tables={"gaps-text": table})
            for kinds in ((), ("orphan", "near-duplicate"), ("dead-end",), ("one-way",), ("orphan", "one-way")):
                chosen = [gap for gap in report if not kinds or gap.kind in kinds]
                for by in ORDERS:
                    text, counts = kept_report(snapshot, by, kinds)
                    assert text == terminal_text(chosen, by).encode("utf-8"), (seed, by, kinds)
                    assert counts == {kind: n for kind, n in Counter(g.kind for g in chosen).items()}, counts
                    rows = csv_text(CSV_HEADERS, csv_rows(in_order(chosen, by))).encode("utf-8")
                    assert kept_csv(snapshot, by, kinds) == (rows, counts), (seed, by, kinds)
                    items = [json_bytes(item) for item in json_items(chosen, by)]
                    kept = kept_json(snapshot, by, kinds), kept_json(snapshot, by, kinds, lines=True)
                    assert kept[0] == ((b"[\n" + b",\n".join(items) + b"\n]\n" if items else b"[]\n"), counts)
                    assert kept[1] == (b"".join(item + b"\n" for item in items), counts)
                    assert kept_markdown(snapshot, by, kinds) == (markdown(chosen, by).encode("utf-8"), counts), by
    assert kept_report(Snapshot(tables={"gaps-text": text_table([])}), "dream") == (b"no gaps found\n", {})
    assert kept_report(Snapshot(tables={"gaps": ranked}), "dream") is None
    assert kept_markdown(Snapshot(tables={"gaps-text": text_table([])}), "score")[0] == markdown([], "score").encode()
    odd = in_order(ranked + [Gap("orphan", "d1", "D", 1.0, "x", [{"path": "a", "line": 2**70, "text": ""}])])
    fewer = [gap for gap in odd if gap is not ranked[0]]
    for table in (text_table(odd), text_table(fewer, odd, text_table(odd))):  # JSON orjson refuses: none kept
        assert "json" not in table and all(kept_json(Snapshot(tables={"gaps-text": table}), by) is None for by in ORDERS)
    assert kept_csv(Snapshot(tables={"gaps-text": text_table([])}), "dream") == (b"kind,node,label,score,action,evidence\n", {})
    with pytest.raises(ValueError, match="unknown order"):
        kept_report(snapshot, "size")


def test_the_order_by_dream_in_arrays_is_the_grouping_of_the_gaps():
    """`dream_order` over each gap's dream number and score lists the gaps as `grouped` by dream does, also
    for gaps picked from a longer list (whose dreams were numbered in it): ties of totals and of scores
    included."""
    import numpy as np

    from dreamgraph.keptreport import dream_order
    from dreamgraph.report import _by_dream

    for seed in range(5):
        ranked = _random_report(seed, 500)
        numbers: dict[str, int] = {}
        every = np.array([numbers.setdefault(gap.node, len(numbers)) for gap in ranked])
        scores = np.array([gap.score for gap in ranked])
        for picked in (np.arange(len(ranked)), np.flatnonzero(every % 3 != 1), np.arange(len(ranked))[::-3]):
            gaps = [ranked[i] for i in picked]
            order, dreams, sizes, firsts = dream_order(every[picked], scores[picked])
            groups = _by_dream(gaps)
            assert [gaps[i] for i in order] == [gap for *_, items in groups for gap in items]
            assert [gaps[i].node for i in firsts.tolist()] == [node for node, *_ in groups]
            assert all(gaps[i] is first for i, (_, first, _) in zip(firsts.tolist(), groups, strict=True))
            assert [list(numbers)[d] for d in dreams.tolist()] == [node for node, *_ in groups]
            assert sizes.tolist() == [len(items) for *_, items in groups]


def test_gaps_in_another_order_print_what_the_report_laid_out_whole_prints(tmp_path, cli):
    """`dreamgraph gaps --by dream / --by score / --kind` on a build prints the report as laid out from the
    gaps found (the evidence lines copied from the kept text), and so does it with settings of its own."""
    from dreamgraph.gaps import GapSettings, find_gaps

    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "gaps", folder)
    shutil.copy(SEED, folder)
    build([folder], tmp_path / "graph")
    found = find_gaps(open_store(tmp_path / "graph"))
    for by in ORDERS:
        out = cli("-g", tmp_path / "graph", "gaps", "--by", by)
        assert out.exit_code == 0 and out.stdout == terminal_text(found, by)
    orphans = [gap for gap in found if gap.kind == "orphan"]
    assert orphans and cli("-g", tmp_path / "graph", "gaps", "--by", "score", "--kind", "orphan").stdout == \
        terminal_text(orphans, "score")
    other = find_gaps(open_store(tmp_path / "graph"), GapSettings(min_items=9))
    by_dream = cli("-g", tmp_path / "graph", "gaps", "--by", "dream", "--min-items", "9").stdout
    assert by_dream == terminal_text(other, "dream")


def test_the_markdown_report_keeps_each_gap_in_one_row_of_four_cells():
    """Bars in an action or in evidence are escaped, line breaks made spaces, control characters shown
    escaped; a gap is one table row of four cells (score, what it is about, action, evidence joined by
    <br>, a page's place a link to it), in every order."""
    import re

    from dreamgraph.report import markdown

    found = [Gap("orphan", "sea", "Sea", 0.5, "link | it\nnow \x1b[31m", [
                 {"path": "a.txt", "line": 3, "text": "a | b"},
                 {"path": "p.html", "line": 9, "text": "x", "url": "https://example.org/p"}]),
             Gap("dead-end", "sky", "Sky", 1.25, "add Next Stages", []),
             Gap("no-cluster", "nul", "Nul", 0.25, "a\0b | c\nd", [])]  # NUL: the cells escaped one by one
    for by, first in (("kind", "sea"), ("dream", "orphan"), ("score", "orphan sea")):
        text = markdown(found, by)
        rows = [line for line in text.splitlines() if line.startswith("| 0.5 ")]
        assert len(rows) == 1, (by, text)
        assert len(re.findall(r"(?<!\\)\|", rows[0])) == 5, rows[0]
        assert rows[0] == (f"| 0.5 | `{first}` | link \\| it now \\x1b[31m | a.txt:3 a \\| b<br>"
                           "[p.html:9](https://example.org/p) x |"), rows[0]
        assert "| 1.25 | " in text and "\x1b" not in text
        assert "| a\\x00b \\| c d |" in text, text
