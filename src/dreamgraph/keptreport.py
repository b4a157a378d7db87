"""The gap report a build keeps beside the store, and the report laid out from it: the terminal's text of
the default report (by kind) with each gap's place in it, kind, score, dream and its dream's heading, and
each gap's CSV row, JSON and Markdown row (:func:`text_table`; a patch copies them from the last report's
for the gaps that were there). A command lays the report out from it in any order, of any kinds and in any
format without reading the gaps (:func:`kept_report`, :func:`kept_csv`, :func:`kept_json`,
:func:`kept_markdown`): the same bytes :mod:`dreamgraph.report` lays out from the gaps (at 100,000
articles 0.3-0.7 s a command, where reading and laying out the gaps took 0.8-1.55 s).

>>> from dreamgraph.gaps import Gap
>>> found = [Gap("dead-end", "falling", "Falling", 2.0, "add Next Stages"), Gap("orphan", "sea", "Sea", 1.0, "link to it")]
>>> table = text_table(found)
>>> bytes(table["text"]) == terminal_text(found).encode("utf-8"), table["names"]
(True, ['falling', 'sea'])
"""

from __future__ import annotations

from itertools import count

from .gaps import Gap, own_label
from .output import csv_lines, json_bytes, json_row, safe_joined, safe_text
from .report import (CSV_HEADERS, ORDERS, csv_rows, dream_heading, gap_lines, grouped, heading_line, markdown_cell,
                     markdown_head, markdown_row, terminal_text)
from .snapshot import Snapshot
from .store import Store


def text_table(found: list[Gap], last: list[Gap] | None = None, last_table: dict | None = None) -> dict:
    """Return the report as a build keeps it for the terminal: the UTF-8 ``text`` of :func:`terminal_text`
    (by kind), where each gap's lines are in it (``starts`` and ``sizes``, in the report's order), and what
    :func:`kept_report` lays it out in other orders by (see :func:`_columns`). Given
    the ``last`` report and the table kept of it, the lines of a gap that is one of the last report's (the
    same object, as a patch's report keeps them: see :func:`dreamgraph.gaps.patched_gaps`, or one equal to
    it, as the gaps found again after a link edit mostly are) are copied from the last text rather than laid
    out again (0.45 s for the 111,000 gaps at 100,000 articles), those that follow one another there as one
    piece.

    >>> from dreamgraph.gaps import Gap
    >>> found = [Gap("orphan", "falling", "Falling", 0.6, "link to it", [{"path": "a.txt", "line": 1, "text": ""}])]
    >>> table = text_table(found)
    >>> bytes(table["text"]) == terminal_text(found).encode("utf-8"), bytes(table["text"])[table["starts"][0]:][:12]
    (True, b'      0.6  f')
    >>> again = text_table([Gap("dead-end", "sea", "Sea", 0.7, "add Next Stages"), *found], found, table)
    >>> bytes(again["text"]) == terminal_text([Gap("dead-end", "sea", "Sea", 0.7, "add Next Stages"), *found]).encode()
    True
    >>> moved = [Gap("orphan", "falling", "Falling", 0.6, "link to it", [{"path": "a.txt", "line": 2, "text": ""}])]
    >>> bytes(text_table(moved, found, table)["text"]) == terminal_text(moved).encode("utf-8")  # equal, or laid out
    True
    """
    import numpy as np

    groups = grouped(found, "kind")
    if not found:
        return {"text": terminal_text(found).encode("utf-8"), "starts": np.zeros(0, np.int64),
                "sizes": np.zeros(0, np.int64), **_kept_with(_Since(groups))}
    old: dict[int, int] = {}
    alike: dict[tuple, int] = {}  # a gap of the last report by what names it (compared whole before copying)
    if last is not None and last_table is not None and len(last_table.get("starts", ())) == len(last):
        old = {id(gap): i for i, gap in enumerate(last)}
        alike = {(gap.kind, gap.node, gap.action): i for i, gap in enumerate(last)}
        text, old_starts, old_sizes = (memoryview(last_table["text"]), last_table["starts"].tolist(),
                                       last_table["sizes"].tolist())
    pieces: list = [b"\n"]
    starts, sizes, at = [], [], 1
    olds: list[int] = []  # where each gap is in the last report, or -1
    run = [0, 0]  # the last text's bytes being copied: gaps one after another there are copied as one piece

    def copied() -> None:
        if run[1] > run[0]:
            pieces.append(text[run[0]:run[1]])
        run[:] = [0, 0]

    for number, (_, heading, items) in enumerate(groups):
        copied()
        head = ("\n" * (number > 0) + heading_line(heading, len(items)) + "\n").encode("utf-8")
        pieces.append(head)
        at += len(head)
        for gap in items:
            i = old.get(id(gap))
            if i is None and (i := alike.get((gap.kind, gap.node, gap.action))) is not None and last[i] != gap:
                i = None
            if i is None:
                copied()
                piece = "".join(line + "\n" for line in gap_lines(gap, "kind", 5)).encode("utf-8")
                pieces.append(piece)
                size = len(piece)
            else:
                start, size = old_starts[i], old_sizes[i]
                if start != run[1]:
                    copied()
                    run[0] = start
                run[1] = start + size
            starts.append(at)
            sizes.append(size)
            olds.append(-1 if i is None else i)
            at += size
    copied()
    return {"text": b"".join(pieces), "starts": np.array(starts, dtype=np.int64),
            "sizes": np.array(sizes, dtype=np.int64), **_kept_with(_Since(groups, olds, last_table if old else None))}


class _Since:
    """A report's gaps grouped by kind (``groups``; ``ordered``, one after another) and what the last
    report's table kept of them: ``olds`` says where each gap was in it (-1 for a gap new to it), ``last``
    is the table (both None for a report made whole)."""

    def __init__(self, groups: list[tuple[str, str, list[Gap]]], olds: list[int] | None = None,
                 last: dict | None = None):
        import numpy as np

        self.groups, self.last = groups, last if olds is not None else None
        self.ordered = [gap for _, _, items in groups for gap in items]
        self.olds = np.array(olds if self.last is not None else [-1] * len(self.ordered), dtype=np.int64)
        self._new = ([gap for gap, old in zip(self.ordered, self.olds.tolist()) if old < 0]
                     if self.last is not None else None)

    def kept(self, name: str) -> bool:
        """Return whether the last table has ``name``: the gaps that were there are then copied from it."""
        return self.last is not None and name in self.last

    def new(self, name: str) -> list[Gap]:
        """Return the gaps whose part ``name`` is made anew: those new to the last table, or all of them."""
        return self._new if self.kept(name) else self.ordered

    def column(self, name: str, made: list, dtype=None, width: int = 0):
        """Return the column ``name`` of the new table, a value a gap (``width`` of them when given): the
        last table's for the gaps it has, ``made`` (a value for each of :meth:`new`) for the rest."""
        import numpy as np

        shape = (len(self.ordered), width) if width else (len(self.ordered),)
        values = np.zeros(shape, dtype=dtype or np.int64)
        new = self.olds < 0 if self.kept(name) else slice(None)
        if self.kept(name):
            values[~new] = self.last[name][self.olds[~new]]
        values[new] = np.array(made, dtype=values.dtype).reshape((-1, *shape[1:]))
        return values


def _kept_with(since: _Since) -> dict:
    """Return what a build keeps with the report's text besides it (see :func:`text_table`)."""
    return {**_columns(since), **_csv_rows(since), **_json_rows(since), **_markdown_rows(since)}


def _kept_rows(name: str, made: list[bytes], since: _Since) -> dict:
    """Return rows of the report in one format as a build keeps them, a row a gap grouped by kind: their
    bytes one after another (``NAME``) and the size of each (``NAME-sizes``), from ``made``, the rows of
    ``since.new(name)``; the rows of the gaps the last table has are copied from it, those that follow one
    another there as one piece."""
    import numpy as np

    sizes = since.column(f"{name}-sizes", [len(row) for row in made])
    if not since.kept(name):
        return {name: b"".join(made), f"{name}-sizes": sizes}
    at, last = since.olds, since.last
    copied = at >= 0
    old_sizes = last[f"{name}-sizes"]
    old_starts = np.cumsum(old_sizes) - old_sizes
    # a piece begins at a new gap, after one, or where the last report's order breaks
    begins = np.flatnonzero(np.concatenate(([True], ~copied[1:] | ~copied[:-1] | (at[1:] != at[:-1] + 1))))
    ends = np.append(begins[1:], len(at))
    rows, text, pieces = iter(made), last[name], []
    for begin, end in zip(begins.tolist(), ends.tolist()):
        if copied[begin]:
            pieces.append(text[old_starts[at[begin]]:old_starts[at[end - 1]] + old_sizes[at[end - 1]]])
        else:
            pieces.append(next(rows))
    return {name: b"".join(pieces), f"{name}-sizes": sizes}


def _csv_rows(since: _Since) -> dict:
    """Return the report's CSV rows as a build keeps them (``csv``, ``csv-sizes``: see :func:`_kept_rows`)."""
    made = csv_lines(CSV_HEADERS, csv_rows(since.new("csv")))[1:]
    return _kept_rows("csv", [(line + "\n").encode("utf-8") for line in made], since)


def _json_rows(since: _Since) -> dict:
    """Return each gap as JSON as a build keeps them (``json``, ``json-sizes``: see :func:`_kept_rows`), or
    nothing when the json module wrote one where orjson refused it (see :func:`dreamgraph.output.json_row`:
    a dream's item by dream holding it would be written so whole, in ASCII): the report is laid out again."""
    made = [json_row(gap) for gap in since.new("json")]
    if any(by_module for _, by_module in made):
        return {}
    return _kept_rows("json", [row for row, _ in made], since)


def _markdown_rows(since: _Since) -> dict:
    """Return each gap's row of :func:`markdown` by kind, made safe, as a build keeps them (``markdown``,
    ``markdown-sizes``: see :func:`_kept_rows`), and where in each the cell naming the gap's dream begins
    and ends (``markdown-cells``, two numbers a gap: other orders name it otherwise there)."""
    made, cells = [], []
    for gap in since.new("markdown"):
        start = len(f"| {gap.score} | ".encode("utf-8"))
        cells.append((start, start + len(safe_text(markdown_cell(f"`{gap.node}`"), multiline=True).encode("utf-8"))))
        made.append(safe_text(markdown_row(gap, gap.node) + "\n", multiline=True).encode("utf-8"))
    return {**_kept_rows("markdown", made, since),
            "markdown-cells": since.column("markdown-cells", cells, width=2)}


def _columns(since: _Since) -> dict:
    """Return what :func:`kept_report` lays the report out in other orders by, besides the kept text, for the
    gaps grouped by kind: the kinds' names and how many gaps each has (``kind-names``, ``kind-sizes``), each
    gap's score (``scores``), dream (``nodes``: a number of ``names``, which has each dream's name, with
    how many bytes it takes made safe to print in ``node-sizes``) and what heads its dream's group when it
    is the first gap there (``head-of``: a number of ``heads``, see :func:`dream_heading`). The columns of
    the gaps the last table has are its (see :class:`_Since`): only a new gap is looked at (at 100,000
    articles the 111,000 gaps' columns took 0.17 s from the gaps, 0.02 s from the last table). Names and
    headings no gap has are left in up to a fifth of them."""
    import numpy as np

    groups, last, kept = since.groups, since.last, since.kept("nodes")
    names: list[str] = list(last["names"]) if kept else []
    heads: list[str] = list(last["heads"]) if kept else []
    sizes = last["node-sizes"].tolist() if kept else []
    fresh = since.new("nodes")
    number, head, known = _Numbering(names, len(fresh)), _Numbering(heads, len(fresh)), len(names)
    nodes = since.column("nodes", [number(gap.node) for gap in fresh])
    head_of = since.column("head-of", [head(dream_heading(gap.node, own_label(gap))) for gap in fresh])
    scores = since.column("scores", [gap.score for gap in fresh], np.float64)
    if len(names) > known:  # the bytes of each new name made safe (all at once: a build's are all new)
        sizes += map(len, safe_joined(names[known:]).encode("utf-8").split(b"\n"))
    node_sizes = np.array(sizes, dtype=np.int64)
    for numbered, column in ((names, nodes), (heads, head_of)):
        used = np.flatnonzero(np.bincount(column, minlength=len(numbered)))
        if len(used) < len(numbered) * 4 // 5:  # more than a fifth no gap has: left out, the rest numbered again
            renumbered = np.zeros(len(numbered), dtype=np.int64)
            renumbered[used] = np.arange(len(used))
            column[:] = renumbered[column]
            numbered[:] = [numbered[n] for n in used.tolist()]
            if numbered is names:
                node_sizes = node_sizes[used]
    return {"kind-names": [kind for kind, _, _ in groups],
            "kind-sizes": np.array([len(items) for _, _, items in groups], dtype=np.int64),
            "scores": scores, "nodes": nodes.astype(np.int32), "head-of": head_of.astype(np.int32),
            "names": names, "node-sizes": node_sizes, "heads": heads}


class _Numbering:
    """Numbers values by their places in a list, a value not there yet added at its end: for a few values
    numbered the list is searched (1 ms for 80,000 names), for more a dict of it made (15 ms)."""

    def __init__(self, values: list, numbered: int):
        self.values = values
        self.places = dict(zip(values, count())) if numbered > 16 else None

    def __call__(self, value) -> int:
        if self.places is not None:
            place = self.places.setdefault(value, len(self.values))
        else:
            try:
                place = self.values.index(value)
            except ValueError:
                place = len(self.values)
        if place == len(self.values):
            self.values.append(value)
        return place


def dream_order(nodes, scores) -> tuple:
    """Return the order :func:`grouped` lists gaps in by dream, from each gap's dream (a number, in any
    numbering) and score, as arrays: the gaps' places in that order, the dreams in it, how many gaps each
    has and the place of each one's first gap. The dream whose scores add up to the most comes first (added
    in the gaps' order, as :func:`_by_dream` adds them), ties in the order the dreams first come; each
    dream's gaps by score, ties in their order.

    >>> import numpy as np
    >>> order, dreams, numbers, firsts = dream_order(np.array([0, 1, 0, 2]), np.array([0.5, 2.0, 1.0, 1.5]))
    >>> order.tolist(), dreams.tolist(), numbers.tolist(), firsts.tolist()
    ([1, 2, 0, 3], [1, 0, 2], [1, 2, 1], [1, 0, 3])
    """
    import numpy as np

    totals = np.bincount(nodes, weights=scores)
    present, first = np.unique(nodes, return_index=True)
    listed = np.lexsort((first, -totals[present]))
    dreams = present[listed]
    rank = np.empty(len(totals), dtype=np.int64)
    rank[dreams] = np.arange(len(dreams))
    return np.lexsort((-scores, rank[nodes])), dreams, np.bincount(nodes)[dreams], first[listed]


def kept_report(source: Store | Snapshot, by: str = "kind", kinds: tuple[str, ...] = ()
                ) -> tuple[bytes, dict[str, int]] | None:
    """Return the report the build kept (with the default settings) as :func:`terminal_text` lays it out in
    the order ``by``, of the gaps of ``kinds`` (all when none), as UTF-8, and how many gaps of each kind it
    lists; None when the build kept no text with its columns (see :func:`text_table`). Nothing is unpickled
    or laid out again but the lines naming a group or a gap that the order changes: each gap's lines are
    copied from the kept text, the line naming it with its dream's name replaced by its kind (by dream) or
    led by its kind (by score). At 100,000 articles ``gaps --by dream`` takes 0.44 s this way, 1.5 s laid
    out from the gaps (most of it reading 111,000 gaps and grouping them by 79,000 dreams).

    >>> from dreamgraph.gaps import Gap
    >>> found = [Gap("dead-end", "sea", "Sea", 0.7, "add Next Stages"),
    ...          Gap("orphan", "falling", "Falling", 0.6, "link to it", [{"path": "a.txt", "line": 1, "text": ""}]),
    ...          Gap("orphan", "sea", "Sea", 0.2, "link to it")]
    >>> kept = Snapshot(tables={"gaps-text": text_table(found)})
    >>> text, counts = kept_report(kept, "dream")
    >>> text == terminal_text(found, "dream").encode("utf-8"), counts
    (True, {'dead-end': 1, 'orphan': 2})
    >>> kept_report(kept, "score", ("orphan",))[0] == terminal_text(found[1:], "score").encode("utf-8")
    True
    """
    kept = _kept_table(source, "text", by, kinds)
    if kept is None:
        return None
    import numpy as np

    table, counts = kept
    names, sizes = table["kind-names"], table["kind-sizes"]
    text, starts, ends = table["text"], table["starts"], table["starts"] + table["sizes"]
    if not kinds and by == "kind":
        return bytes(text), counts
    if not any(counts.values()):
        return b"no gaps found\n", counts
    kind_of, chosen = _chosen(table, counts)
    if by == "kind":  # each kind's gaps are one piece of the kept text
        firsts = (np.cumsum(sizes) - sizes).tolist()
        starts, ends = starts.tolist(), ends.tolist()
        return b"".join(f"\n{heading_line(kind, size)}\n".encode("utf-8") + text[starts[first]:ends[first + size - 1]]
                        for kind, size, first in zip(names, sizes.tolist(), firsts) if kind in counts and size), counts
    scores = table["scores"][chosen]
    named = _name_starts(scores, starts[chosen])  # where the dream's name is in the line naming each gap
    kind_names = [safe_text(kind).encode("utf-8") for kind in names]
    if by == "score":
        order = np.argsort(-scores, kind="stable")
        at = chosen[order]
        heading = heading_line("every gap, highest score first", len(at))
        between = [kind_names[k] + b" " for k in kind_of[at].tolist()]
        return _laid(text, heading, [starts[at], named[order], named[order], ends[at]], between, [len(at)]), counts
    nodes = table["nodes"][chosen]
    order, _, numbers, firsts = dream_order(nodes, scores)
    at = chosen[order]
    heads = table["heads"]
    headings = safe_joined([heading_line(heads[head], number, str) for head, number in zip(
        table["head-of"][chosen[firsts]].tolist(), numbers.tolist())]).encode("utf-8").split(b"\n")
    name_ends = named[order] + table["node-sizes"][nodes[order]]
    between = [kind_names[k] for k in kind_of[at].tolist()]
    return _laid(text, headings, [starts[at], named[order], name_ends, ends[at]], between, numbers.tolist()), counts


def kept_csv(source: Store | Snapshot, by: str = "kind", kinds: tuple[str, ...] = ()
             ) -> tuple[bytes, dict[str, int]] | None:
    """Return the report the build kept (with the default settings) as CSV in the order ``by``, of the gaps
    of ``kinds`` (all when none), as UTF-8, and how many gaps of each kind it lists: each gap's row copied
    from the rows the build kept (see :func:`text_table`); None when it kept none. The same text as
    :func:`dreamgraph.output.csv_text` of :func:`csv_rows` (at 100,000 articles 0.24 s where that took 1.06 s).

    >>> from dreamgraph.gaps import Gap
    >>> found = [Gap("dead-end", "sea", "Sea", 0.7, "add it, now"), Gap("orphan", "sky", "Sky", 0.9, "link to it")]
    >>> kept_csv(Snapshot(tables={"gaps-text": text_table(found)}), "score")[0].decode()
    'kind,node,label,score,action,evidence\\norphan,sky,Sky,0.9,link to it,\\ndead-end,sea,Sea,0.7,"add it, now",\\n'
    """
    kept = _kept_rows_in_order(source, "csv", by, kinds)
    if kept is None:
        return None
    rows, _, counts, _ = kept
    return ",".join(CSV_HEADERS).encode("utf-8") + b"\n" + b"".join(rows), counts


def kept_json(source: Store | Snapshot, by: str = "kind", kinds: tuple[str, ...] = (), lines: bool = False
              ) -> tuple[bytes, dict[str, int]] | None:
    """Return the report the build kept (with the default settings) as ``gaps -f json`` prints it (with
    ``lines``, ``-f jsonl``) in the order ``by``, of the gaps of ``kinds`` (all when none), as UTF-8, and
    how many gaps of each kind it lists: each gap's JSON copied from what the build kept (see
    :func:`text_table`); by dream, each dream's item made around its gaps' JSON. None when the build kept
    none (see :func:`_json_rows`).

    >>> from dreamgraph.gaps import Gap
    >>> found = [Gap("dead-end", "sea", "Sea", 0.7, "add it"), Gap("orphan", "sea", "Sea", 0.9, "link to it")]
    >>> print(kept_json(Snapshot(tables={"gaps-text": text_table(found)}), "dream")[0].decode(), end="")
    [
    {"node":"sea","gaps":[{"kind":"orphan","node":"sea","label":"Sea","score":0.9,"action":"link to it","evidence":[]},{"kind":"dead-end","node":"sea","label":"Sea","score":0.7,"action":"add it","evidence":[]}]}
    ]
    """
    kept = _kept_rows_in_order(source, "json", by, kinds)
    if kept is None:
        return None
    rows, table, counts, (_, _, dreams) = kept
    if by == "dream":
        import numpy as np

        numbers, firsts = dreams
        names = [table["names"][node] for node in table["nodes"][firsts].tolist()]
        ends = np.cumsum(numbers).tolist()
        rows = [b'{"node":%s,"gaps":[%s]}' % (json_bytes(name), b",".join(rows[end - number:end]))
                for name, number, end in zip(names, numbers.tolist(), ends)]
    if lines:
        return b"".join(row + b"\n" for row in rows), counts
    return (b"[\n" + b",\n".join(rows) + b"\n]\n" if rows else b"[]\n"), counts


def kept_markdown(source: Store | Snapshot, by: str = "kind", kinds: tuple[str, ...] = ()
                  ) -> tuple[bytes, dict[str, int]] | None:
    """Return the report the build kept (with the default settings) as :func:`markdown` writes it in the
    order ``by``, of the gaps of ``kinds`` (all when none), as UTF-8, and how many gaps of each kind it
    lists: each gap's row copied from the rows the build kept (see :func:`text_table`), the cell naming it
    made again for another order than by kind; None when the build kept none.

    >>> from dreamgraph.gaps import Gap
    >>> from dreamgraph.report import markdown
    >>> found = [Gap("dead-end", "sea", "Sea", 0.7, "add it"), Gap("orphan", "sea", "Sea", 0.9, "link | to it")]
    >>> kept_markdown(Snapshot(tables={"gaps-text": text_table(found)}), "score")[0] == markdown(found, "score").encode()
    True
    """
    kept = _kept_rows_in_order(source, "markdown", by, kinds)
    if kept is None:
        return None
    rows, table, counts, (kind_of, chosen, dreams) = kept
    if not rows:
        return b"# Content gaps\n\nNo gaps found.\n", counts
    names = table["kind-names"]
    if by == "kind":
        groups = [(kind, counts[kind]) for kind in names if counts.get(kind)]
    elif by == "score":
        groups = [("every gap, highest score first", len(rows))]
    else:
        numbers, firsts = dreams
        groups = list(zip([table["heads"][head] for head in table["head-of"][firsts].tolist()], numbers.tolist()))
    if by != "kind":  # the cell naming each gap: its kind (by dream), its kind and dream (by score)
        kinds_named = [safe_text(kind).encode("utf-8") for kind in names]
        cells = table["markdown-cells"][chosen].tolist()
        rows = [row[:start] + b"`" + kinds_named[kind] + (b" " + row[start + 1:end] if by == "score" else b"`")
                + row[end:] for row, (start, end), kind in zip(rows, cells, kind_of[chosen].tolist())]
    pieces, at = [b"# Content gaps\n"], 0
    for heading, number in groups:
        pieces.append(safe_text("\n" + markdown_head(heading, number, by) + "\n", multiline=True).encode("utf-8"))
        pieces += rows[at:at + number]
        at += number
    return b"".join(pieces), counts


def _kept_table(source: Store | Snapshot, name: str, by: str, kinds: tuple[str, ...]
                ) -> tuple[dict, dict[str, int]] | None:
    """Return the table the build kept with its report when it has ``name`` and the columns (see
    :func:`_columns`), and how many gaps of each of ``kinds`` (all when none) the report has; None when
    not kept. Raises for an unknown order ``by``."""
    if by not in ORDERS:
        raise ValueError(f"unknown order {by!r}; use one of {', '.join(ORDERS)}")
    table = Snapshot.of(source).kept("gaps-text")
    if table is None or name not in table or "nodes" not in table:
        return None
    return table, {kind: int(size) for kind, size in zip(table["kind-names"], table["kind-sizes"].tolist())
                   if not kinds or kind in kinds}


def _chosen(table: dict, kinds) -> tuple:
    """Return, for the kept report's columns (see :func:`_columns`), the number of each gap's kind in
    ``kind-names`` and the places of the gaps of ``kinds``, as arrays."""
    import numpy as np

    names = table["kind-names"]
    kind_of = np.repeat(np.arange(len(names)), table["kind-sizes"])
    wanted = np.array([kind in kinds for kind in names], dtype=bool)  # (np.isin loads numpy.ma)
    return kind_of, np.flatnonzero(wanted[kind_of])


def _kept_rows_in_order(source: Store | Snapshot, name: str, by: str, kinds: tuple[str, ...]
                        ) -> tuple[list[bytes], dict, dict[str, int], tuple] | None:
    """Return the rows in the format ``name`` the build kept (see :func:`_kept_rows`) of the gaps of
    ``kinds`` (all when none) in the order ``by`` (by dream, each dream's gaps one after another: see
    :func:`dream_order`), the kept table, how many gaps of each kind there are, and the order: the number
    of each gap's kind (see :func:`_chosen`), the chosen gaps' places in the table in that order, and by
    dream how many gaps each dream has and the place of its first gap (else None); None when not kept."""
    kept = _kept_table(source, name, by, kinds)
    if kept is None:
        return None
    import numpy as np

    table, counts = kept
    kind_of, chosen = _chosen(table, counts)
    dreams = None
    if by == "score":
        chosen = chosen[np.argsort(-table["scores"][chosen], kind="stable")]
    elif by == "dream":
        order, _, numbers, firsts = dream_order(table["nodes"][chosen], table["scores"][chosen])
        dreams = (numbers, chosen[firsts])
        chosen = chosen[order]
    ends = np.cumsum(table[f"{name}-sizes"])
    starts = ends - table[f"{name}-sizes"]
    text = table[name]
    rows = [text[start:end] for start, end in zip(starts[chosen].tolist(), ends[chosen].tolist())]
    return rows, table, counts, (kind_of, chosen, dreams)


def _name_starts(scores, starts):
    """Return where the name follows the score in each gap's first line, ``  {score:>7g}  {name}: ...``,
    starting at ``starts`` (the scores formatted once each: a report has few different ones)."""
    import numpy as np

    different, which = np.unique(scores, return_inverse=True)
    widths = np.array([4 + max(7, len(f"{score:g}")) for score in different.tolist()], dtype=np.int64)
    return starts + widths[which]


def _laid(text, headings, bounds, between: list[bytes], numbers: list[int]) -> bytes:
    """Return the report laid out from the kept ``text``: each group's heading (one for all when a str), then
    its gaps (``numbers`` of them, one after another), each as the kept bytes from ``bounds[0]`` to
    ``bounds[1]``, ``between``, and the kept bytes from ``bounds[2]`` to ``bounds[3]``."""
    if isinstance(headings, str):
        headings = [headings.encode("utf-8")]
    starts, cut, resumed, ends = (column.tolist() for column in bounds)
    firsts = [text[start:end] for start, end in zip(starts, cut)]
    at = 0
    for heading, number in zip(headings, numbers):  # a group's heading leads the line naming its first gap
        firsts[at] = b"\n" + heading + b"\n" + firsts[at]
        at += number
    pieces: list = [b""] * (3 * len(starts))
    pieces[0::3] = firsts
    pieces[1::3] = between
    pieces[2::3] = [text[start:end] for start, end in zip(resumed, ends)]
    return b"".join(pieces)
