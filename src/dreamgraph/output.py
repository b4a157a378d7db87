"""Terminal output: tables, cards and text made safe to print.

Article text is data: control characters (ANSI escapes, NUL, bidi overrides)
are shown escaped, so a dream's label can never recolour or rewrite the terminal.

>>> safe_text("red \\x1b[31mtext\\u202e")
'red \\\\x1b[31mtext\\\\u202e'
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import sys
from functools import lru_cache
from itertools import chain

import click
import orjson

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_WITH_NEWLINES = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def safe_text(text: str, multiline: bool = False) -> str:
    """Return text with control and bidi-override characters escaped (newlines kept when multiline)."""
    pattern = _CONTROL if multiline else _CONTROL_WITH_NEWLINES

    def escape(match: re.Match) -> str:
        code = ord(match.group(0))
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return pattern.sub(escape, str(text))


def safe_joined(lines: list[str]) -> str:
    """Return the lines joined by newlines, each made safe to print as :func:`safe_text` makes it: all at
    once when nothing in them needs escaping (no line holds a newline, no control or bidi-override
    character anywhere: one search of the whole text), else line by line. For the 400,000 lines of a gap
    report by dream at 100,000 articles, 0.2 s where a line at a time took 0.5 s.

    >>> safe_joined(["a", "b\\tc"]), safe_joined(["a\\nb", "c\\x1b"])
    ('a\\nb\\tc', 'a\\\\x0ab\\nc\\\\x1b')
    """
    joined = "\n".join(lines)
    if joined.count("\n") == max(len(lines) - 1, 0) and not _CONTROL.search(joined):
        return joined
    return "\n".join(safe_text(line) for line in lines)


def json_row(item) -> tuple[bytes, bool]:
    """Return :func:`json_bytes` of ``item`` and whether the json module wrote it (in ASCII: orjson refused
    it), not orjson.

    >>> json_row({"a": "b"}), json_row("\\udcff")
    ((b'{"a":"b"}', False), (b'"\\\\udcff"', True))
    """
    try:
        return orjson.dumps(item, option=orjson.OPT_NON_STR_KEYS), False
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(item, separators=(",", ":"), default=_fields).encode("ascii"), True


def echo_data(text: str | bytes, nl: bool = True) -> None:
    """Print machine-readable output (CSV, TSV, JSON, Turtle; bytes are UTF-8): byte-true into a file or a
    pipe, but with control and bidi-override characters escaped when it goes to a terminal, where an
    article's escape sequence could retitle the window or clear the screen."""
    if sys.stdout.isatty():
        text = safe_text(text.decode("utf-8") if isinstance(text, bytes) else text, multiline=True)
    click.echo(text, nl=nl)


def console(stderr: bool = False):
    """Return a rich console on stdout or stderr."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _clip(text: str, width: int) -> str:
    """Return ``text`` on one line, cut to ``width`` terminal cells (a CJK character or an emoji takes two)."""
    text = " ".join(text.split()) if "\n" in text else text
    if text.isascii() and text.isprintable():  # a cell each character (most cells: no table to look in)
        return text if len(text) <= width else text[:width - 1] + "…"
    from rich.cells import cell_len, set_cell_size

    return text if cell_len(text) <= width else set_cell_size(text, width - 1) + "…"


def _width(text: str) -> int:
    """Return how many terminal cells ``text`` takes: its length when it is printable ASCII.

    >>> _width("dream"), _width("夢"), _width("a\\tb")
    (5, 2, 2)
    """
    if text.isascii() and text.isprintable():
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


def _pad(text: str, width: int) -> str:
    """Return ``text`` padded with spaces to ``width`` terminal cells."""
    return text + " " * (width - _width(text))


def json_bytes(item) -> bytes:
    """Return ``item`` as JSON on one line, compact, in UTF-8, by orjson: the 110,000 gaps of a report at
    100,000 articles, written a line each, in 0.12 s against 0.82 s by the json module. What orjson
    refuses (a lone surrogate, an integer past 64 bits) the json module writes, in ASCII.

    >>> json_bytes({"dream": "café", 3: [1.5, None]}).decode()
    '{"dream":"café","3":[1.5,null]}'
    >>> json_bytes({"text": "\\udcff", "n": 2**70})
    b'{"text":"\\\\udcff","n":1180591620717411303424}'
    >>> from dreamgraph.gaps import Gap  # a dataclass: the dict of its fields, in order, either way
    >>> json_bytes(Gap("orphan", "sea", "Sea", 0.5, "link to it"))
    b'{"kind":"orphan","node":"sea","label":"Sea","score":0.5,"action":"link to it","evidence":[]}'
    >>> json_bytes(Gap("orphan", "s\\udcff", "", 1, ""))
    b'{"kind":"orphan","node":"s\\\\udcff","label":"","score":1,"action":"","evidence":[]}'
    """
    return json_row(item)[0]


def _fields(value) -> dict:
    """A dataclass instance as orjson writes it: its fields in order (for the json module's ``default``)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_line(item) -> str:
    """Return ``item`` as JSON on one line (:func:`json_bytes`) as text.

    >>> json_line({"dream": "falling", "line": 3})
    '{"dream":"falling","line":3}'
    """
    return json_bytes(item).decode("utf-8")


def echo_jsonl(items) -> None:
    """Print each item as one line of JSON (JSON Lines: for jq, grep and line-by-line readers)."""
    echo_data(b"".join(json_bytes(item) + b"\n" for item in items), nl=False)


def echo_table(headers: list[str], rows: list, fmt: str = "table", max_width: int = 70) -> None:
    """Print rows as an aligned table (cells cut at ``max_width`` terminal cells, columns aligned for wide
    characters), CSV or TSV; cells are made safe to print."""
    if fmt in ("csv", "tsv"):
        echo_data(csv_text(headers, rows if isinstance(rows, list) else list(rows), "," if fmt == "csv" else "\t"),
                  nl=False)
        return
    cells = [[_cell(v) for v in row] for row in rows]
    if _CONTROL_WITH_NEWLINES.search("".join(chain.from_iterable(cells))):  # (one search: most tables have none)
        cells = [[safe_text(text) for text in row] for row in cells]
    cells = [[_clip(text, max_width) for text in row] for row in cells]
    widths = [max([_width(h)] + [_width(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(_pad(h, w) for h, w in zip(headers, widths)).rstrip(), "  ".join("-" * w for w in widths)]
    lines.extend("  ".join(_pad(c, w) for c, w in zip(row, widths)).rstrip() for row in cells)
    click.echo("\n".join(lines))  # at once: one write, not one per row


def csv_text(headers: list[str], rows: list, delimiter: str = ",") -> str:
    """Return a table as the csv module writes it (fields quoted where they hold the delimiter, a quote or a
    line break; "\\n" ending each row), with true and false for booleans, as JSON writes them, when a cell
    holds one (then every cell as :func:`_cell` makes it). Made a column at a time, each column's fields
    searched for what needs quoting at once: the 111,000 rows of a gap report at 100,000 articles in 0.5 s
    against 0.69 s by the csv module, the same text. Rows of other lengths than the headers go to the csv
    module.

    >>> print(csv_text(["dream", "score", "note"], [["sea", 0.5, 'says "hi", twice'], ["sky", None, ""]]), end="")
    dream,score,note
    sea,0.5,"says ""hi"", twice"
    sky,,
    """
    lines = csv_lines(headers, rows, delimiter)
    if lines is None:
        table = [headers, *rows]
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
        writer.writerows([[_cell(value) for value in row] for row in table]
                         if any(type(value) is bool for row in table for value in row) else table)
        return buffer.getvalue()
    return "\n".join(lines) + "\n"


def csv_lines(headers: list[str], rows: list, delimiter: str = ",") -> list[str] | None:
    """Return the rows of :func:`csv_text`, the headers' first, each without its line end (a quoted field
    may hold a line break), made a column at a time; None for what is left to the csv module (rows of other
    lengths than the headers, no headers, a delimiter it refuses).

    >>> csv_lines(["a", "b"], [["x,y", 2], ["z", None]])
    ['a,b', '"x,y",2', 'z,']
    """
    special = _csv_special(delimiter)
    if special is None or not headers or any(len(row) != len(headers) for row in rows):
        return None
    columns = list(zip(*rows)) if rows else [()] * len(headers)
    texts = [_csv_fields(column, False) for column in columns]
    if any(fields is None for fields in texts):  # a boolean: every cell as _cell makes it
        texts = [_csv_fields(column, True) for column in columns]
    texts = [[_cell(header), *fields] for header, fields in zip(headers, texts)]
    for fields in texts:
        for number in _quoting(fields, special):
            fields[number] = _quoted(fields[number])
    lines = list(map(delimiter.join, zip(*texts)))
    if len(columns) == 1:  # a row of one empty field is written as a quoted empty field
        lines = [line or '""' for line in lines]
    return lines


def _quoted(text: str) -> str:
    """Return a CSV field in quotes, its quotes doubled."""
    return '"' + text.replace('"', '""') + '"'


def _quoting(fields: list[str], special: str) -> list[int]:
    """Return the numbers of the fields that hold one of the ``special`` characters, in order: the column
    searched whole for each (``str.find``, which a regular expression's search is ten times slower than:
    0.27 s for the gap report's six columns at 100,000 articles), then each place found placed in its field.

    >>> _quoting(["a", "b,c", "d", 'e"', "f,g,"], ',"')
    [1, 3, 4]
    """
    joined = "".join(fields)
    places = []
    for char in special:
        at = joined.find(char)
        while at >= 0:
            places.append(at)
            at = joined.find(char, at + 1)
    if not places:
        return []
    import numpy as np

    ends = np.cumsum(np.fromiter(map(len, fields), np.int64, len(fields)))
    which = np.sort(np.searchsorted(ends, places, side="right"))
    return which[np.concatenate(([True], which[1:] != which[:-1]))].tolist()  # (np.unique loads numpy.ma)


def _csv_fields(column: tuple, booleans: bool) -> list[str] | None:
    """Return a column's cells as the csv module writes them, or as :func:`_cell` makes them when
    ``booleans``; None, not ``booleans``, when a cell is a boolean."""
    if booleans:
        return [_cell(value) for value in column]
    types = set(map(type, column))
    if types <= {str}:
        return list(column)
    if not types & {str, bool, type(None)}:  # numbers: as the csv module writes them, by str()
        return list(map(str, column))
    fields = []
    for value in column:
        if type(value) is str:
            fields.append(value)
        elif value is None:
            fields.append("")
        elif type(value) is bool:
            return None
        else:
            fields.append(str(value))
    return fields


@lru_cache(maxsize=4)
def _csv_special(delimiter: str) -> str | None:
    """Return the characters the csv module quotes a field for, with this delimiter (asked of the module
    itself: the delimiter, the quote and the line break in this Python), or None when one of the first 256
    characters makes it refuse a field (the module is then left to say so)."""
    quoted = []
    for code in range(256):
        buffer = io.StringIO()
        try:
            csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerow([f"a{chr(code)}b"])
        except csv.Error:
            return None
        if buffer.getvalue().startswith('"'):
            quoted.append(chr(code))
    return "".join(quoted)


def print_card(card) -> None:
    """Print a dream card for a reader in the terminal."""
    from rich.markup import escape

    out = console()
    s = lambda text: escape(safe_text(text))  # noqa: E731
    kind = "stub (no article yet)" if card.stub else ("partial article" if card.partial else "article")
    out.print(f"[bold]{s(card.label)}[/bold]" + (f" — {s(card.subtitle)}" if card.subtitle else "")
              + f"  [dim]{card.slug}, {kind}[/dim]")
    if card.source:
        out.print(f"[dim]from {s(', '.join(card.source))}[/dim]")
    if card.url:  # a line of its own: an address is long, and wrapped beside the path it broke mid-line
        out.print(f"[dim]page {s(card.url)}[/dim]")
    if card.clusters:
        out.print("cluster: " + ", ".join(s(c["label"]) for c in card.clusters))
    paragraphs = lambda text: [s(p) for p in (text or "").split("\n\n") if p.strip()]  # noqa: E731
    sections = [
        ("", paragraphs(card.intro)),
        ("Quick Answer", [f"• {s(item)}" for item in card.quick_answer]),
        ("Common Scenarios", [f"• {s(x['label'])} → {s(x['meaning'])}" for x in card.scenarios]),
        ("What the Body Registered", [f"• {s(x['label'])} → {s(x['meaning'])}" for x in card.sensations]),
        *[(s(section["heading"]), paragraphs(section["text"])) for section in card.sections],
        ("The Sentence", [f"“{s(card.core_sentence)}”"] if card.core_sentence else []),
        ("FAQ", [f"• [bold]{s(q['question'])}[/bold]" + (f"\n  {s(q['answer'])}" if q["answer"] else "")
                 for q in card.questions]),
        ("Next Stages", [f"• {s(n['label'])} ({n['slug']}{', stub' if n['stub'] else ''})\n    if: {s(n['condition'])}"
                         + (f"\n    — {s(n['gloss'])}" if n["gloss"] else "") for n in card.next_stages]),
        ("Led to from", [f"• {s(d['label'])} ({d['slug']})" for d in card.led_from]),
    ]
    for heading, lines in sections:
        if lines:
            if heading:
                out.print(f"\n[bold]{heading}[/bold]")
            else:
                out.print()
            for line in lines:
                out.print(line)
    sys.stdout.flush()
