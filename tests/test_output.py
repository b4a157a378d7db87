"""Terminal output: tables aligned in terminal cells, whatever the script of the text."""

import json

from hypothesis import example, given, settings
from hypothesis import strategies as st
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


@given(st.text(st.characters(codec="utf-8"), max_size=40), st.integers(1, 30))
@example("a\tb" * 10, 5)  # a tab takes no cell: not measured by length
@example("x" * 12, 12)
@settings(max_examples=400)
def test_a_cell_is_measured_and_cut_as_rich_measures_and_cuts_it(text, width):
    """The length of printable ASCII stands for its width in cells; any other text is measured by rich."""
    from rich.cells import set_cell_size

    assert output._width(text) == cell_len(text)
    one_line = " ".join(text.split()) if "\n" in text else text
    assert output._clip(text, width) == (one_line if cell_len(one_line) <= width
                                          else set_cell_size(one_line, width - 1) + "…")


def test_a_table_with_a_control_character_anywhere_has_that_cell_escaped_and_the_others_as_they_are(capsys):
    echo_table(["a", "b"], [("plain", "red \x1b[31m"), ("tab\there", "夢")])
    lines = capsys.readouterr().out.splitlines()
    assert "red \\x1b[31m" in lines[2] and "\x1b" not in "".join(lines)
    assert lines[3].startswith("tab\there")


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


def test_csv_made_a_column_at_a_time_is_the_csv_modules_text():
    """csv_text against the csv module itself (with true and false for booleans when a cell holds one), on
    random tables: text holding the delimiters, quotes, line breaks, a return, NUL, non-ASCII and lone
    surrogates; None, numbers (numpy's too), tables of one column;
    rows shorter or longer than the headers."""
    import csv
    import io
    import random

    import numpy as np

    def plain(headers, rows, delimiter):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
        writer.writerow(headers)
        if any(type(value) is bool for row in rows for value in row):
            rows = [[output._cell(value) for value in row] for row in rows]
        writer.writerows(rows)
        return buffer.getvalue()

    rng = random.Random(4)
    pieces = ["a", ",", "\t", '"', "\n", "\r", " ", "\x00", "é", "→", "\udcff", ""]
    values = [None, 0, -3, 2.5, 0.1 + 0.2, float("nan"), 10**20, np.float64(0.25), np.int64(7), True, False]
    for _ in range(1500):
        width = rng.choice([1, 1, 2, 4])
        headers = [f"h{n}" for n in range(width)]
        rows = [[rng.choice(values) if rng.random() < 0.3 and rng.random() < 0.5 else
                 "".join(rng.choice(pieces) for _ in range(rng.randrange(4))) for _ in range(width)]
                for _ in range(rng.randrange(6))]
        if not any(type(value) is bool for row in rows for value in row) and rng.random() < 0.5:
            rows = [[value for value in row if type(value) is not bool] or [""] for row in rows]
        if rows and rng.random() < 0.1:
            rows[0] = rows[0] + ["extra"]  # a row longer than the headers
        for delimiter in (",", "\t"):
            assert output.csv_text(headers, rows, delimiter) == plain(headers, rows, delimiter), (headers, rows)
