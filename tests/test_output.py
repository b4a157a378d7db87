"""Terminal output: tables aligned in terminal cells, whatever the script of the text."""

from rich.cells import cell_len

from dreamgraph.output import echo_table


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
