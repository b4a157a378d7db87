"""Terminal output: tables aligned in terminal cells, whatever the script of the text."""

import json

from rich.cells import cell_len

from dreamgraph import output
from dreamgraph.output import echo_data, echo_table, json_bytes


def test_columns_line_up_for_wide_characters(capsys):
    echo_table(["slug", "label", "kind"], [("yume", "夢の中で走れない", "article"), ("wave", "Falling 🌊🌊", "stub"),
                                           ("plain", "Plain", "article")])
    lines = capsys.readouterr().out.splitlines()
    # the third column starts at the same terminal cell on every line
    starts = {cell_len(line[:line.rindex(kind)]) for line, kind in zip(lines[2:], ("article", "stub", "article"))}
    assert starts == {cell_len(lines[0][:lines[0].index("kind")])}


def test_a_long_cell_is_cut_to_its_width_in_cells(capsys):
    echo_table(["x"], [("夢" * 50,)], max_width=10)
    row = capsys.readouterr().out.splitlines()[2]
    assert cell_len(row) <= 10 and row.endswith("…")


def test_json_lines_read_back_as_what_was_written_even_what_orjson_refuses():
    items = [{"dream": "夢 café", "line": 3, "score": 0.1, "evidence": [{"text": "a\u2028b\x1b[2J"}, None, True]},
             {"text": "half a pair: \udcff"},  # a lone surrogate: orjson refuses it
             {"n": 2 ** 70}, {1: "a key that is no string"}]
    lines = [json_bytes(item) for item in items]
    assert all(b"\n" not in line for line in lines)
    assert [json.loads(line) for line in lines] == [*items[:3], {"1": "a key that is no string"}]
    assert lines[0] == json.dumps(items[0], ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def test_machine_output_as_bytes_is_written_as_is_to_a_pipe_and_made_safe_on_a_terminal(capsys, monkeypatch):
    data = "夢,title\x1b]0;owned\x07".encode("utf-8")  # (JSON escapes these itself)
    echo_data(data)
    assert capsys.readouterr().out == data.decode("utf-8") + "\n"
    monkeypatch.setattr(output.sys.stdout, "isatty", lambda: True)
    echo_data(data)
    shown = capsys.readouterr().out
    assert "\x1b" not in shown and "\x07" not in shown and "夢" in shown and "\\x1b" in shown


def test_lines_joined_safe_at_once_are_the_lines_made_safe_one_by_one():
    """safe_joined escapes a whole report in one pass when nothing in it needs escaping, else line by line:
    the same text either way, whatever a line holds (a newline of its own, a control character, a bidi
    override, a tab that stays, a line separator)."""
    import random

    from dreamgraph.output import safe_joined, safe_text

    rng = random.Random(3)
    alphabet = ["a", "é", "…", " ", "\t", "z", "梦"]
    hostile = ["\n", "\x1b", "\x00", "\x7f", "\x85", "\u202e", "\u2028", "\r", "\u2066"]
    for trial in range(300):
        lines = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(12))) for _ in range(rng.randrange(6))]
        if trial % 2 and lines:
            at = rng.randrange(len(lines))
            lines[at] += rng.choice(hostile)
        assert safe_joined(lines) == "\n".join(safe_text(line) for line in lines), lines
    assert safe_joined([]) == "" and safe_joined(["a\nb"]) == "a\\x0ab"


def test_csv_cells_are_written_as_cell_makes_them_whatever_their_type(capsys):
    """The csv module writes the cells itself but for true and false (as JSON writes them): the same text as
    each cell made by _cell first, for None, numbers, text, a bool, an object, in rows of one cell too."""
    import csv
    import io

    from decimal import Decimal

    rows = [[None], [""], ["a", 1, 2.5, 0.1 + 0.2, None, True, False, 10**20, float("nan")], ["x,y", 'say "hi"', "\n"],
            [Decimal("1.10"), -0.0]]
    for fmt, delimiter in (("csv", ","), ("tsv", "\t")):
        for given in (rows, rows[:2], iter(rows[2:])):
            given = list(given)
            echo_table(["h"], iter(given) if len(given) > 2 else given, fmt)
            expected = io.StringIO()
            writer = csv.writer(expected, delimiter=delimiter, lineterminator="\n")
            writer.writerow(["h"])
            writer.writerows([[output._cell(v) for v in row] for row in given])
            assert capsys.readouterr().out == expected.getvalue()
