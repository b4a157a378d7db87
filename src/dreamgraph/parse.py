"""Article text (plain or Markdown) -> :class:`~dreamgraph.article.Article`, with file:line problems.

The format is the one every article of the library follows: a title line
("Dream About X: Subtitle"), an intro, then sections under plain heading
lines (plain text) or ``#`` headings (Markdown): Quick Answer, Common
Scenarios ("scenario → meaning"), What the Body Registered, free-form
sections, The Sentence, FAQ and Next Stages ("If … → dream about X meaning —
when …"). No rdflib here: the parser imports fast and can be fuzzed alone.

>>> result = parse_text('''Dream About Falling: The Drop
... Quick Answer
... - Falling means the floor you trusted has gone.
... Common Scenarios
... - Falling off a cliff → a sudden loss of footing
... Next Stages
... - If you land → dream about landing meaning — when the fall ends
... ''', "falling.txt")
>>> a = result.article
>>> (a.slug, a.subtitle, len(a.scenarios), a.next_stages[0].target_slug)
('falling', 'The Drop', 1, 'landing')
>>> result.problems
[]
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field

from .article import (
    STANDARD_SECTIONS,
    Article,
    ClusterMention,
    Item,
    Question,
    Scenario,
    Section,
    Sensation,
    Transition,
)
from .errors import Problem
from .slugs import dream_name, dream_slug, slugify, split_title


@dataclass(frozen=True)
class Limits:
    """Input limits; each can be raised from the command line."""

    max_bytes: int = 5_000_000
    max_line_chars: int = 100_000
    max_items: int = 1_000


@dataclass
class ParseResult:
    """The article (None when nothing could be built) and the problems found."""

    article: Article | None
    problems: list[Problem] = field(default_factory=list)
    skipped: bool = False  # a page that is not a dream article, skipped on purpose

    @property
    def dropped(self) -> bool:
        """Return True when content was lost (any error)."""
        return any(p.severity == "error" for p in self.problems)


ARROW = re.compile(r"\s*(?:→|->|=>|⟶|⇒)\s*")
ALT_SEPARATOR = re.compile(r"\s+[-–—]\s+|:\s+")  # what some pages use instead of the arrow
BULLET = re.compile(r"^\s*(?:[-*+•◦▪‣]|\d+[.)])\s+")
GLOSS_SEPARATOR = re.compile(r"(?:^|\s+)(?:—|–|--|-)(?:\s+|$)")
MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
CLUSTER = re.compile(r"\b[Tt]he\s+((?:[A-Za-z][\w’'-]*\s+){0,4}?[A-Za-z][\w’'-]*)\s+cluster\b")
# A title that names a dream even when the page has none of the article sections.
DREAM_TITLE = re.compile(r"^(?:dreams?|dreaming|dreamt|dreamed)\s+(?:about|of)\b|\b(?:in|during)\s+(?:a|your)\s+dreams?\b"
                         r"|\bdreams?\s+meaning\b", re.IGNORECASE)
NOT_CLUSTER_NAMES = {"same", "whole", "entire", "this", "that", "other", "dream", "wider", "broader", "larger"}
_SURROGATE = re.compile("[\ud800-\udfff]")
TERMINAL = tuple(".!?…\"”’')]»")

# Heading text (lowercased, punctuation dropped) -> standard section key.
_HEADING_KEYS = {
    "quick answer": "quick-answer",
    "common scenarios": "common-scenarios",
    "what the body registered": "what-the-body-registered",
    "faq": "faq",
    "faqs": "faq",
    "frequently asked questions": "faq",
    "next stages": "next-stages",
}
_ARROW_SECTIONS = {"common-scenarios", "what-the-body-registered", "next-stages"}


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def _with_continuations(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Return a bulleted list's lines with each line that continues an item (no bullet of its own, and set
    in further than the item's bullet, as Markdown writes a wrapped item) joined to that item, which keeps
    its line number: a wrapped next stage lost its gloss to a paragraph of its own.

    >>> _with_continuations([(1, "- If you land → dream about landing meaning —"), (2, "  when it ends"),
    ...                      (3, "A note.")])
    [(1, '- If you land → dream about landing meaning — when it ends'), (3, 'A note.')]
    """
    joined: list[tuple[int, str]] = []
    for number, text in lines:
        if (joined and not BULLET.match(text) and BULLET.match(joined[-1][1])
                and _indent(text) > _indent(joined[-1][1])):
            joined[-1] = (joined[-1][0], joined[-1][1] + " " + text.strip())
        else:
            joined.append((number, text))
    return joined


ADDRESS = re.compile(r"https?://[^\s<>\"{}|\\^`\x00-\x1f]+")


def is_address(value: str) -> bool:
    """Return True for an http(s) address that can be kept as a page's URL (no spaces, quotes or brackets).

    >>> is_address("https://example.org/dream-about-falling/"), is_address("javascript:alert(1)")
    (True, False)
    """
    return len(value) <= 2000 and ADDRESS.fullmatch(value) is not None


def section_key(heading: str) -> str | None:
    """Return the standard section key of a heading, or None for a free-form section.

    >>> section_key("## Common Scenarios")
    'common-scenarios'
    >>> section_key("The Sentence This Dream Was Trying to Say")
    'the-sentence'
    >>> section_key("The Morning After") is None
    True
    """
    text = re.sub(r"[^a-z ]+", "", heading.lower().lstrip("# ")).strip()
    text = " ".join(text.split())
    if text.startswith("the sentence"):
        return "the-sentence"
    return _HEADING_KEYS.get(text)


def _plain_text(line: str) -> str:
    """Return a line with Markdown emphasis and links reduced to their text."""
    if "[" not in line and "**" not in line and "__" not in line:  # most lines: no pattern can match
        return line.strip()
    line = MD_LINK.sub(r"\1", line)
    return BOLD.sub(lambda m: m.group(1) or m.group(2), line).strip()


def _looks_like_heading(line: str) -> bool:
    """Return True for a short title-case line with no closing punctuation (plain-text headings)."""
    if len(line) > 80:  # prose; only "The Sentence …" headings run this long
        return line.lstrip("#* ").lower().startswith("the sentence") and section_key(line) is not None
    if section_key(line):
        return True
    if line.endswith(TERMINAL + (",", ";", ":")) or BULLET.match(line) or ARROW.search(line):
        return False
    words = line.split()
    if not 1 <= len(words) <= 12 or not (words[0][0].isupper() or words[0][0].isdigit()):
        return False
    long_words = [w for w in words if len(w) > 3]
    capitalised = [w for w in long_words if w[0].isupper()]
    return len(capitalised) >= max(1, 0.6 * len(long_words))


def decode(data: bytes, path: str) -> str:
    """Return the text of an article file: UTF-8 (BOM allowed) or UTF-16 with a BOM.

    Raises ValueError with the line and byte of the first invalid byte.

    >>> decode(b"\\xef\\xbb\\xbfDream\\r\\nAbout", "a.txt")
    'Dream\\nAbout'
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ValueError(f"invalid UTF-16 at byte {exc.start}") from None
    else:
        binary = not_text(data)
        if binary:
            raise ValueError(binary)
        head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if head.startswith((b"<!doctype html", b"<html", b"<?xml")) or (head.startswith(b"<") and b"<body" in data[:4096].lower()):
            raise ValueError("an HTML page: dreamgraph reads plain text and Markdown, not HTML; convert it, for "
                             "example with `pandoc -f html -t gfm page.html -o page.md`")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise ValueError(
                f"not UTF-8: invalid byte 0x{data[exc.start]:02x} at byte {exc.start} (line {line}); "
                "save the file as UTF-8"
            ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def not_text(data: bytes) -> str | None:
    """Return why bytes without a UTF-16 byte-order mark are not text (NUL bytes: UTF-16 without its mark,
    or a binary file), or None.

    >>> not_text("Dream".encode("utf-16-le")), not_text(b"Dream")
    ('UTF-16 without a byte-order mark: save the file as UTF-8', None)
    """
    sample = data[:8192]
    if b"\x00" not in sample:
        return None
    even, odd = sample[0::2], sample[1::2]
    if max(even.count(0), odd.count(0)) > 0.3 * len(odd) and min(even.count(0), odd.count(0)) < 0.05 * len(odd):
        return "UTF-16 without a byte-order mark: save the file as UTF-8"
    return "binary file (NUL bytes), not an article"


def read_limited(path, max_bytes: int) -> bytes:
    """Return at most ``max_bytes + 1`` bytes of a regular file (a symbolic link is followed).

    Raises OSError for anything else: a device such as /dev/zero (whose size reads as 0 and whose bytes
    never end), a named pipe (opened without waiting for a writer) or a socket.
    """
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a device, pipe or socket); skipped")
        chunks, left = [], max_bytes + 1
        while left > 0:
            chunk = os.read(handle, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(handle)


def parse_file(path, display_path: str | None = None, limits: Limits = Limits()) -> ParseResult:
    """Return the parse of one article file on disk; never raises for bad content."""
    shown = display_path or str(path)
    try:
        data = read_limited(path, limits.max_bytes)
    except OSError as exc:
        return ParseResult(None, [Problem("error", shown, None, f"cannot read: {exc.strerror or exc}")])
    if len(data) > limits.max_bytes:
        return ParseResult(None, [Problem(
            "error", shown, None,
            f"file larger than {limits.max_bytes:,} bytes; raise the limit with --max-bytes")])
    return parse_bytes(data, shown, limits)


def parse_bytes(data: bytes, path: str, limits: Limits = Limits()) -> ParseResult:
    """Return the parse of an article's raw bytes."""
    try:
        text = decode(data, path)
    except ValueError as exc:
        return ParseResult(None, [Problem("error", path, None, str(exc))])
    result = parse_text(text, path, limits)
    if result.article:
        result.article.content_hash = hashlib.sha256(data).hexdigest()
    return result


class _Parser:
    """One pass over the lines of one article."""

    def __init__(self, text: str, path: str, limits: Limits):
        self.path, self.limits = path, limits
        self.problems: list[Problem] = []
        # Lone surrogates (only possible from Python callers) cannot be saved as UTF-8.
        text = _SURROGATE.sub("\ufffd", text)
        self.lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.front: dict = {}
        self.start = 0

    def problem(self, severity: str, line: int | None, message: str) -> None:
        self.problems.append(Problem(severity, self.path, line, message))

    def read_front_matter(self) -> None:
        if not self.lines or self.lines[0].strip() != "---":
            return
        for end in range(1, len(self.lines)):
            if self.lines[end].strip() in ("---", "..."):
                break
        else:
            self.problem("warning", 1, "front matter opened with '---' is never closed; read as text")
            return
        text = "\n".join(self.lines[1:end])
        import yaml  # loaded by the first article with front matter (8 ms a command otherwise)

        try:
            # Anchors and aliases (& and *) are refused before anything is built from them: a few hundred
            # bytes of nested aliases expand into gigabytes, which no size limit on the file would see.
            if any(isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None)
                   for event in yaml.parse(text, Loader=yaml.SafeLoader)):
                self.problem("error", 2, "front matter uses YAML anchors or aliases (& or *), which are not "
                                         "allowed in an article; the front matter is ignored")
                front = {}
            else:
                front = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 2 if mark else 1
            self.problem("error", line, f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}")
            front = {}
        except (ValueError, TypeError, RecursionError) as exc:  # a 5,000-digit number, nesting too deep
            self.problem("error", 2, f"front matter cannot be read: {str(exc)[:100]}; it is ignored")
            front = {}
        if front is None:  # empty front matter ("---" then "---") is an empty mapping
            front = {}
        if not isinstance(front, dict):
            self.problem("error", 2, "front matter must be a mapping of keys to values")
            front = {}
        self.front = front
        self.start = end + 1

    def numbered_lines(self):
        """Yield (line number, text) of non-empty lines after the front matter, within limits."""
        for index in range(self.start, len(self.lines)):
            raw = self.lines[index]
            if not raw.strip():
                continue
            if len(raw) > self.limits.max_line_chars:
                self.problem("error", index + 1,
                             f"line of {len(raw):,} characters is longer than {self.limits.max_line_chars:,}; "
                             "dropped (raise the limit with --max-line-chars)")
                continue
            yield index + 1, raw.rstrip()

    def run(self) -> ParseResult:
        self.read_front_matter()
        content = list(self.numbered_lines())
        if not content:
            self.problem("error", None, "empty file: no dream title and no sections")
            return ParseResult(None, self.problems)
        markdown = any(MD_HEADING.match(text) for _, text in content)

        # The title: the first line (a '#' heading in Markdown).
        title_line, first = content[0]
        heading = MD_HEADING.match(first)
        title = _plain_text(heading.group(2) if heading else first)
        if section_key(title):
            self.problem("error", title_line, f"no dream title: the file starts with the section {title!r}")
            return ParseResult(None, self.problems)
        body = content[1:]
        name, subtitle = split_title(title)
        # Some pages print the title twice, the second time without its subtitle.
        if body and _plain_text(body[0][1].lstrip("# ")).rstrip(":") in (name, title):
            body = body[1:]

        # Sections: (heading text, heading line, key, [(line, text)]).
        sections: list[tuple[str, int, str | None, list[tuple[int, str]]]] = []
        intro: list[tuple[int, str]] = []
        for number, text in body:
            md = MD_HEADING.match(text)
            if md or (not markdown and _looks_like_heading(text)):
                heading_text = _plain_text(md.group(2) if md else text)
                sections.append((heading_text, number, section_key(heading_text), []))
            elif sections:
                sections[-1][3].append((number, text))
            else:
                intro.append((number, text))

        found = {key for _, _, key, _ in sections if key}
        if not found and not DREAM_TITLE.search(title) and not self.front.get("slug"):
            self.problem("warning", title_line,
                         f"not a dream article (no dream title and none of the article sections): {title!r}; skipped")
            return ParseResult(None, self.problems, skipped=True)

        slug = self.front.get("slug") or ""
        if not isinstance(slug, (str, int)) or isinstance(slug, bool):
            self.problem("warning", 2, "front matter 'slug' must be a name; ignored")
            slug = ""
        slug = str(slug).strip()
        slug = slugify(slug) if slug else dream_slug(title)
        aliases = self.front.get("aliases") or []
        if isinstance(aliases, str):
            aliases = [aliases]
        if not isinstance(aliases, list) or any(isinstance(a, (dict, list, bool)) or a is None for a in aliases):
            self.problem("warning", 2, "front matter 'aliases' must be a name or a list of names; ignored")
            aliases = []
        url = self.front.get("url") or ""
        if not isinstance(url, str) or not is_address(url.strip()):
            if url:
                self.problem("warning", 2, "front matter 'url' must be an http(s) address; ignored")
            url = ""
        article = Article(
            path=self.path, title=title, name=dream_name(title), slug=slug, subtitle=subtitle, url=url.strip(),
            title_line=title_line, aliases=[str(a) for a in aliases if str(a).strip()],
            intro="\n\n".join(_plain_text(t) for _, t in intro),
        )
        for heading_text, number, key, lines in sections:
            self.read_section(article, heading_text, number, key, lines)
        for number, text in [*intro, *(pair for *_, lines in sections for pair in lines)]:
            self.find_clusters(article, number, text)
        self.check_partial(article, content, sections)
        if len(content) > 1 and not article.partial and not article.in_format:
            self.problem("warning", title_line, "not in the article format: none of the standard sections ("
                         + ", ".join(STANDARD_SECTIONS.values()) + "); built from the title and the prose")
        return ParseResult(article, self.problems)

    def read_section(self, article: Article, heading: str, number: int, key: str | None,
                     lines: list[tuple[int, str]]) -> None:
        if not lines:
            self.problem("warning", number, f"section {heading!r} has nothing under it")
        if key in article.standard_sections:
            self.problem("warning", number, f"section {heading!r} appears twice; its items are merged")
        if key:
            article.standard_sections.setdefault(key, number)
        if len(lines) > self.limits.max_items:
            self.problem("error", lines[self.limits.max_items][0],
                         f"section {heading!r} has {len(lines):,} items, more than {self.limits.max_items:,}; "
                         "the rest are dropped (raise the limit with --max-items)")
            lines = lines[: self.limits.max_items]
        if key in _ARROW_SECTIONS | {"quick-answer"} and any(BULLET.match(t) for _, t in lines):
            lines = _with_continuations(lines)
            # In a bulleted list, a line without a bullet is a paragraph about the list, not an item: kept as
            # text; but a line with an arrow is an item whether or not it has a bullet (one stray bullet in an
            # unbulleted Next Stages made every next stage of the article text, unsaid).
            def is_item(text: str) -> bool:
                return bool(BULLET.match(text)) or (key in _ARROW_SECTIONS and bool(ARROW.search(text)))

            notes = [(n, t) for n, t in lines if not is_item(t)]
            if notes:
                article.sections.append(Section(heading, "\n\n".join(_plain_text(t) for _, t in notes), notes[0][0]))
                lines = [(n, t) for n, t in lines if is_item(t)]
        if key is None:
            article.sections.append(Section(heading, "\n\n".join(_plain_text(t) for _, t in lines), number))
        elif key == "quick-answer":
            article.quick_answer += [Item(_plain_text(BULLET.sub("", t)), n) for n, t in lines]
        elif key == "the-sentence":
            sentence = " ".join(_plain_text(t) for _, t in lines).strip().strip("\"“”")
            article.core_sentence = sentence or None
        elif key == "faq":
            self.read_faq(article, lines)
        else:
            for n, text in lines:
                self.read_arrow_line(article, key, n, _plain_text(BULLET.sub("", text)))

    def read_arrow_line(self, article: Article, key: str, number: int, text: str) -> None:
        parts = ARROW.split(text, maxsplit=1)
        kind = {"common-scenarios": "scenario", "what-the-body-registered": "sensation"}.get(key, "next stage")
        if len(parts) < 2 and key != "next-stages":
            # written with a dash or a colon instead of the arrow: kept, split at the first one, and said
            parts = ALT_SEPARATOR.split(text, maxsplit=1)
            if len(parts) == 2 and parts[0].strip() and parts[1].strip():
                separator = ALT_SEPARATOR.search(text).group(0).strip()
                self.problem("warning", number, f"{kind} written with {separator!r} instead of '→'; read as "
                                                f"{parts[0].strip()[:40]!r} → {parts[1].strip()[:40]!r}")
        if len(parts) < 2:
            accepted = "'→', '->', '=>', or for scenarios and sensations ' - ', ' – ', ' — ' or ': '"
            self.problem("error", number, f"{kind} without '→' (expected 'text → meaning'; {accepted} are read "
                                          f"too); dropped: {text[:60]!r}")
            return
        left, right = parts[0].strip(), parts[1].strip()
        if key != "next-stages":
            if not left or not right:
                self.problem("error", number, f"{kind} with an empty side of '→'; dropped")
                return
            cls = Scenario if key == "common-scenarios" else Sensation
            (article.scenarios if cls is Scenario else article.sensations).append(cls(left, right, number))
            return
        target, *gloss = GLOSS_SEPARATOR.split(right, maxsplit=1)
        target = target.strip()
        if not target or not dream_name(target).strip():
            self.problem("error", number, "next stage without a target dream after '→'; dropped")
            return
        article.next_stages.append(Transition(
            condition=left, target=target, target_slug=dream_slug(target),
            gloss=gloss[0].strip() if gloss else "", line=number))

    def read_faq(self, article: Article, lines: list[tuple[int, str]]) -> None:
        current: Question | None = None
        for number, raw in lines:
            bold = BOLD.match(raw.strip().lstrip("#").strip())
            text = _plain_text(BULLET.sub("", raw.lstrip("#").strip()))
            question_text, answer = None, ""
            if bold and bold.end() < len(raw.strip().lstrip("#").strip()) + 1 and "?" in (bold.group(1) or bold.group(2)):
                question_text = _plain_text(bold.group(0))
                answer = text[len(question_text):].strip()
            elif "?" in text:
                mark = re.search(r"\?(?:\s|$)", text)
                if mark and (current is None or current.answer or mark.start() < 200):
                    question_text, answer = text[: mark.start() + 1].strip(), text[mark.end():].strip()
            if question_text and (current is None or current.answer):
                current = Question(question_text, answer, number)
                article.questions.append(current)
            elif current is not None:
                current.answer = f"{current.answer}\n\n{text}".strip()
            else:
                self.problem("error", number, f"FAQ line is not a question and follows none; dropped: {text[:60]!r}")

    def find_clusters(self, article: Article, number: int, text: str) -> None:
        if "cluster" not in text:  # most lines: CLUSTER cannot match
            return
        for match in CLUSTER.finditer(text):
            words = match.group(1).split()
            while words and words[0].lower() in NOT_CLUSTER_NAMES:
                words = words[1:]
            if not words:
                continue
            name = " ".join(words).lower()
            slug = slugify(name)
            if all(c.slug != slug for c in article.clusters):
                article.clusters.append(ClusterMention(name, slug, number))

    def check_partial(self, article: Article, content, sections) -> None:
        """Mark the article partial when its text stops mid-sentence or mid-item.

        Prose (the intro, a free-form section, The Sentence) is cut when it ends without closing punctuation.
        A list item or an FAQ answer often ends without a full stop, so it counts as cut only when the file
        also ends without a newline, as a page saved half-loaded does. A file holding only its title is not
        cut: it has a message of its own.
        """
        number, last = content[-1]
        if len(content) == 1:
            self.problem("warning", number, "the file holds a title and nothing else: write the article's sections")
            return
        last_key = sections[-1][2] if sections and sections[-1][3] else "intro"
        if sections and not sections[-1][3]:
            return  # ends on a heading: an empty section, reported already
        clean = _plain_text(BULLET.sub("", last))
        cut_off = self.lines[-1] != "" and not clean.endswith(TERMINAL)  # no newline at the end of the file
        if last_key in _ARROW_SECTIONS:
            stage = article.next_stages[-1] if article.next_stages and article.next_stages[-1].line == number else None
            # A link cut short has no gloss and has lost the "meaning" that ends every link text.
            cut_link = stage is not None and not stage.gloss and not stage.target.lower().endswith("meaning")
            complete = not cut_off or (bool(ARROW.search(clean)) and not cut_link)
            if not complete:
                self.problems = [p for p in self.problems if p.line != number]
                if stage is not None:
                    article.next_stages.pop()
        elif last_key in ("quick-answer", "faq"):
            complete = not cut_off
            if not complete:  # an FAQ line cut before its question mark is the cut, not a broken question
                self.problems = [p for p in self.problems if p.line != number]
        else:
            complete = clean.endswith(TERMINAL)
        if not complete:
            article.partial = True
            self.problem("warning", number, "page ends mid-sentence: built what is there and marked the dream partial")


def parse_text(text: str, path: str = "<text>", limits: Limits = Limits()) -> ParseResult:
    """Return the parse of an article's text; bad lines become problems, never exceptions."""
    return _Parser(text, path, limits).run()
