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
