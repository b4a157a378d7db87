"""Saved web pages and WordPress exports -> the same :class:`~dreamgraph.article.Article` the text parser
makes, with provenance pointing into the page.

A page's main content is found (the one ``<article>``, ``<main>``, a WordPress content block, else the
body), its boilerplate dropped (navigation, sidebars, share buttons, related posts, comments, cookie
banners, forms, anything hidden), and what is left is written as the Markdown the text parser reads: a
heading is a heading, a list item a bullet, a paragraph a paragraph, bold text bold. Each line written
remembers the source line of its element, and the article's lines and problems are mapped back to it.
A next stage's link resolves by its ``href`` (``/dream-about-losing-control-meaning/`` ->
``losing-control``) before its text (see :func:`dreamgraph.library.assemble`). The canonical URL is kept.
Schema.org JSON-LD (``Article``, ``FAQPage``) is checked against the visible title and FAQ.

Page text is data: scripts, styles and templates are never read, nothing is fetched (lxml with network
access and entity loading off), and no markup survives into the article.

>>> page = b'''<html><head><link rel="canonical" href="https://example.org/dream-about-falling-meaning/"></head>
... <body><nav>Home | About</nav><article><h1>Dream About Falling: The Drop</h1>
... <h2>Next Stages</h2><ul><li>If you land &rarr; <a href="/dream-about-landing-safely-meaning/">dream
... about landing meaning</a> &mdash; when the fall ends</li></ul></article></body></html>'''
>>> [result] = parse_page(page, "falling.html")
>>> a = result.article
>>> (a.slug, a.url, a.next_stages[0].target_slug, a.next_stages[0].href_slug, a.next_stages[0].line)
('falling', 'https://example.org/dream-about-falling-meaning/', 'landing', 'landing-safely', 3)
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .article import Article
from .errors import Problem
from .parse import Limits, ParseResult, is_address, not_text, parse_bytes, parse_text, read_limited, section_key
from .slugs import dream_slug

PAGE_SUFFIXES = {".html", ".htm", ".xhtml"}
WXR_MARK = b"wordpress.org/export/"  # in the namespace of every WordPress export (WXR 1.0 to 1.2)
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"  # of a post's HTML, <content:encoded>

# Elements whose content is never article text.
_NEVER = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math", "canvas",
          "form", "button", "select", "textarea", "input", "nav", "aside", "footer", "dialog", "video", "audio",
          "picture", "img", "head", "title", "meta", "link", "base"}
# class and id words of boilerplate blocks (WordPress themes and plugins, and what most sites call them)
_BOILERPLATE = re.compile(
    r"(?:^|[\s_-])(?:share|sharing|sharedaddy|social|related|relatedposts|yarpp|comments?|respond|cookies?|consent|"
    r"gdpr|newsletter|subscribe|subscription|advert|advertisement|ads?|sponsored|breadcrumbs?|author-bio|"
    r"post-navigation|nav-links|navigation|menu|widget|widgets|sidebar|popup|modal|masthead|colophon|"
    r"site-header|site-footer|skip-link|screen-reader-text|toc|table-of-contents|entry-meta|entry-footer|"
    r"post-meta|meta|feedback|byline|tags|categories|cat-links|tags-links)(?:$|[\s_-])", re.IGNORECASE)
_BLOCKS = {"p", "div", "section", "article", "main", "header", "blockquote", "ul", "ol", "li", "dl", "dt", "dd",
           "table", "tr", "pre", "figure", "figcaption", "details", "summary", "h1", "h2", "h3", "h4", "h5", "h6",
           "hr", "address", "center"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_ARROW_KEYS = {"common-scenarios", "what-the-body-registered", "next-stages"}
# WordPress <body> classes (and the same words on other sites) of pages that list or describe, not articles
_NOT_ARTICLE_CLASSES = {"category": "a category page", "tag": "a tag page", "search": "a search page",
                        "search-results": "a search page", "author": "an author page", "date": "a date archive",
                        "error404": "a not-found page", "home": "the home page", "blog": "the blog's front page",
                        "archive": "an archive page"}  # the most specific first
_SPACE = re.compile(r"\s+")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.IGNORECASE)


@dataclass
class _Line:
    """One line of the Markdown written for the text parser: its text, the page line it came from, and the
    links in it (text, href)."""

    text: str
    line: int
    links: list[tuple[str, str]] = field(default_factory=list)


def looks_like_html(data: bytes) -> bool:
    """Return True when the bytes start like an HTML page (whatever the file's name)."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html")) or (head.startswith(b"<") and b"<body" in data[:4096].lower())


def is_wxr(data: bytes) -> bool:
    """Return True when the bytes start like a WordPress export (WXR)."""
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and WXR_MARK in data[:4096]


def read_source(path, shown: str | None = None, limits: Limits = Limits()) -> list[ParseResult]:
    """Return the parse of one source file: an article in text or Markdown (one result), a web page (one),
    or a WordPress export (one a published post). Never raises for bad content."""
    shown = shown or str(path)
    try:
        data = read_limited(path, limits.max_bytes)
    except OSError as exc:
        return [ParseResult(None, [Problem("error", shown, None, f"cannot read: {exc.strerror or exc}")])]
    if len(data) > limits.max_bytes:
        return [ParseResult(None, [Problem("error", shown, None,
                                           f"file larger than {limits.max_bytes:,} bytes; raise the limit with --max-bytes")])]
    return parse_source(data, shown, limits)


def parse_source(data: bytes, path: str, limits: Limits = Limits()) -> list[ParseResult]:
    """Return the parse of a source file's bytes, by what they are (see :func:`read_source`)."""
    if is_wxr(data):
        return parse_wxr(data, path, limits)
    if looks_like_html(data) or Path(path).suffix.lower() in PAGE_SUFFIXES:
        return parse_page(data, path, limits)
    return [parse_bytes(data, path, limits)]


def page_text(data: bytes) -> tuple[str, str | None]:
    """Return a page's text in the character set its byte-order mark or its ``<meta charset>`` names
    (UTF-8 otherwise), and a warning when bytes had to be replaced.

    >>> page_text('<meta charset="windows-1252"><p>caf\\xe9'.encode("cp1252"))
    ('<meta charset="windows-1252"><p>café', None)
    """
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(name, "replace"), None
    declared = _CHARSET.search(data[:4096])
    name = "utf-8"
    if declared:
        try:
            name = codecs.lookup(declared.group(1).decode("ascii")).name
        except LookupError:
            pass
    try:
        return data.decode(name), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return data.decode(name, "replace"), (f"line {line}: bytes that are not {name} (0x{data[exc.start]:02x} at byte "
                                              f"{exc.start}) were replaced; declare the page's character set")


def _parser():
    from lxml import html

    # no network, no DTD, comments and processing instructions dropped: the page's text only
    return html.HTMLParser(encoding="utf-8", no_network=True, remove_comments=True, remove_pis=True,
                           default_doctype=False)


def parse_page(data: bytes, path: str, limits: Limits = Limits(), *, title: str | None = None,
               url: str | None = None, offset: int = 0, title_line: int | None = None) -> list[ParseResult]:
    """Return the parse of one web page (a list of one result, like :func:`parse_source`).

    ``title``, ``url``, ``offset`` and ``title_line`` are for a post of a WordPress export: its content is
    a fragment whose lines start at ``offset`` + 1 of the export, with the title and link given apart.
    """
    from lxml import etree, html

    binary = None if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else not_text(data)
    if binary:
        return [ParseResult(None, [Problem("error", path, None, binary)])]
    text, charset_warning = page_text(data)
    problems = [Problem("warning", path, None, charset_warning)] if charset_warning else []
    if not text.strip():
        return [ParseResult(None, problems + [Problem("error", path, None, "empty page: no title and no content")])]
    try:
        root = html.document_fromstring(text.encode("utf-8"), parser=_parser())
    except (etree.ParserError, ValueError) as exc:
        return [ParseResult(None, problems + [Problem("error", path, None, f"not a readable HTML page: {exc}")])]
    page = _Page(root, offset)
    kind = page.not_an_article()
    if kind and title is None:
        return [ParseResult(None, problems + [Problem("warning", path, 1 + offset,
                                                      f"not a dream article ({kind}); skipped")], skipped=True)]
    lines = page.markdown(title, title_line)
    if not lines:
        return [ParseResult(None, problems + [Problem("error", path, None, "no title and no content in the page")])]
    cut = not re.search(r"</(?:body|html)\s*>\s*$", text.rstrip()[-200:], re.IGNORECASE) and title is None
    markdown = "\n".join(line.text for line in lines) + ("" if cut else "\n")  # a page cut off is like a file cut
    result = parse_text(markdown, path, limits)
    if result.article is not None:  # by the Markdown's line numbers, before they become the page's
        host = urlsplit(url if url is not None else page.canonical()).netloc.lower()
        for stage in result.article.next_stages:
            stage.href_slug = _stage_href(stage, lines[stage.line - 1].links, host)
    result = _mapped(result, [line.line for line in lines])
    result.problems[:0] = problems
    article = result.article
    if article is not None:
        article.content_hash = hashlib.sha256(data).hexdigest()
        article.url = url if url is not None else page.canonical()
        result.problems.extend(page.check_structured_data(article, path))
    return [result]


def _mapped(result: ParseResult, source: list[int]) -> ParseResult:
    """Return the result with every line number of the Markdown replaced by its page line."""
    def to(line: int | None) -> int | None:
        return source[line - 1] if line and 0 < line <= len(source) else line

    problems = [replace(p, line=to(p.line)) for p in result.problems]
    article = result.article
    if article is not None:
        article.title_line = to(article.title_line)
        for part in (*article.quick_answer, *article.scenarios, *article.sensations, *article.questions,
                     *article.sections, *article.next_stages, *article.clusters):
            part.line = to(part.line)
        article.standard_sections = {key: to(line) for key, line in article.standard_sections.items()}
    return ParseResult(article, problems, result.skipped)


def _stage_href(stage, links: list[tuple[str, str]], host: str) -> str:
    """Return the slug a next stage's link names by its address (the link whose text is the target, else
    the line's last link), or '' (no link, or a link to another site than the page's own)."""
    target = _SPACE.sub(" ", stage.target).strip().lower()
    chosen = [href for text, href in links if text and text.lower() in target] or [href for _, href in links[-1:]]
    if not chosen:
        return ""
    try:
        other = urlsplit(chosen[0].strip()).netloc.lower()
    except ValueError:
        return ""
    return slug_from_href(chosen[0]) if not other or not host or other == host else ""


def slug_from_href(href: str) -> str:
    """Return the dream slug an article's address names by its last path segment, or '' for an address
    that names none (another scheme, a fragment, a query-only or numeric address).

    >>> slug_from_href("https://example.org/dream-about-losing-control-meaning/")
    'losing-control'
    >>> slug_from_href("/dreams/falling.html"), slug_from_href("?p=12"), slug_from_href("mailto:a@b.c")
    ('falling', '', '')
    """
    try:
        parts = urlsplit(href.strip())
    except ValueError:
        return ""
    if parts.scheme not in ("", "http", "https"):
        return ""
    segments = [unquote(s) for s in parts.path.split("/") if s]
    while segments and re.fullmatch(r"index\.\w+|amp|\d+", segments[-1], re.IGNORECASE):
        segments.pop()
    if not segments:
        return ""
    last = re.sub(r"\.(?:html?|php|aspx?)$", "", segments[-1], flags=re.IGNORECASE)
    return dream_slug(re.sub(r"[-_+]+", " ", last)) if re.search(r"[^\W\d]", last) else ""


def _classes(element) -> str:
    return f"{element.get('class') or ''} {element.get('id') or ''}"


def _hidden(element) -> bool:
    style = (element.get("style") or "").replace(" ", "").lower()
    return (element.get("hidden") is not None or element.get("aria-hidden") == "true"
            or "display:none" in style or "visibility:hidden" in style)


class _Page:
    """One parsed page: where its article is, and the article written as Markdown lines."""

    def __init__(self, root, offset: int):
        self.root, self.offset = root, offset
        self.body = root.find("body") if root.find("body") is not None else root
        self.jsonld = self._jsonld()
        self.removed = set()
        for element in list(self.body.iter()):
            if not isinstance(element.tag, str):
                continue
            if element.tag in _NEVER or _hidden(element) or (
                    element.tag not in ("body", "html") and _BOILERPLATE.search(_classes(element))
                    and not self._holds_main(element)):
                self.removed.add(element)
        self.main = self._main()
        self.key: str | None = None  # the standard section being written (see markdown)

    @staticmethod
    def _holds_main(element) -> bool:
        """A theme may give the wrapper of everything a word like "site-header": a block that holds the
        main landmark or a top-level heading is never dropped as boilerplate."""
        return element.tag == "main" or any(True for _ in element.iterdescendants("main", "h1"))

    def _kept(self, element) -> bool:
        return not any(e in self.removed for e in element.iterancestors()) and element not in self.removed

    def _main(self):
        articles = [e for e in self.body.iter("article") if self._kept(e)
                    and not any(a.tag == "article" for a in e.iterancestors())]
        self.articles = len(articles)
        if len(articles) == 1:
            return articles[0]
        for path in (".//main", ".//*[@role='main']", ".//*[@itemprop='articleBody']"):
            found = [e for e in self.body.iterfind(path) if self._kept(e)]
            if found:
                return found[0]
        for name in ("entry-content", "post-content", "article-content", "post-body", "content"):
            for element in self.body.iter():
                if isinstance(element.tag, str) and self._kept(element) and (
                        name in (element.get("class") or "").split() or element.get("id") == name):
                    return element
        return self.body

    def not_an_article(self) -> str:
        """Return what kind of page this is when it is not one article (a listing, the home page), or ''."""
        classes = set((self.body.get("class") or "").split())
        for name, kind in _NOT_ARTICLE_CLASSES.items():
            if name in classes:
                return kind
        if self.articles > 1:
            return f"a listing of {self.articles} articles"
        og = self.root.find(".//meta[@property='og:type']")
        if og is not None and (og.get("content") or "").strip().lower() == "website":
            return "a website's front page (og:type website)"
        return ""

    def canonical(self) -> str:
        for element in self.root.iterfind(".//link[@rel]"):
            if "canonical" in (element.get("rel") or "").lower().split():
                href = (element.get("href") or "").strip()
                if is_address(href):
                    return href
        og = self.root.find(".//meta[@property='og:url']")
        href = (og.get("content") or "").strip() if og is not None else ""
        return href if is_address(href) else ""

    def _title_element(self):
        for scope in (self.main, self.body):
            for element in scope.iter("h1"):
                if self._kept(element) and _text(element):
                    return element
        if self.main is not self.body:
            for element in self.main.iter("h2", "h3"):
                if self._kept(element) and _text(element) and not section_key(_text(element)):
                    return element
        return None

    def _page_title(self) -> str:
        for path in (".//meta[@property='og:title']", ".//title"):
            element = self.root.find(path)
            value = (element.get("content") if element.tag == "meta" else element.text_content()) if element is not None else ""
            value = _SPACE.sub(" ", value or "").strip()
            if value:  # "Dream About X: Y | Site Name" -> without the site
                return re.split(r"\s+[|·•»]\s+|\s+[-–—]\s+(?=[^-–—]*$)", value)[0].strip() if re.search(
                    r"\s[|·•»]\s", value) else value
        return ""

    def markdown(self, title: str | None, title_line: int | None) -> list[_Line]:
        """Return the article as Markdown lines, the title first."""
        heading = None if title is not None else self._title_element()
        if heading is not None:  # what comes before the title (categories, breadcrumbs, dates) is chrome
            for element in (heading, *heading.iterancestors()):
                if element is self.main:
                    break
                self.removed.update(element.itersiblings(preceding=True))
        if title is None:
            title = _text(heading) if heading is not None else self._page_title()
            title_line = self._line(heading) if heading is not None else self._line(self.root.find(".//title"))
        out: list[_Line] = [_Line("# " + title, title_line or 1 + self.offset)] if title else []
        self.key = None
        self._walk(self.main, out, skip=heading)
        return out

    def _line(self, element) -> int:
        return (element.sourceline or 1) + self.offset if element is not None else 1 + self.offset

    def _walk(self, element, out: list[_Line], skip=None, heading: bool = False) -> None:
        """Write an element's content: its block children each in their way, the inline content between
        them as paragraphs (or, for a heading that swallowed what follows it, the first as the heading)."""
        pending: list = []

        def flush() -> None:
            nonlocal heading
            if pending and heading:
                self._heading_line(_inline_parts(pending, self.removed), element, out)
                heading = False
            elif pending:
                self._paragraph(pending, out, element)
            pending.clear()

        if element.text and element.text.strip():
            pending.append(element.text)
        for child in element:
            if not isinstance(child.tag, str) or child in self.removed or child is skip:
                if isinstance(child.tag, str) and child.tail and child.tail.strip():
                    pending.append(child.tail)
                continue
            if child.tag in _BLOCKS or child.tag == "br" and pending:
                flush()
                self._block(child, out, skip)
            elif child.tag != "br":
                pending.append(child)
            if child.tail and child.tail.strip():
                pending.append(child.tail)
        flush()

    def _block(self, child, out: list[_Line], skip=None) -> None:
        if child.tag in _HEADINGS:
            if any(isinstance(c.tag, str) and c.tag in _BLOCKS for c in child):
                self._walk(child, out, skip, heading=True)  # an unclosed heading swallows what follows it
            else:
                self._heading_line(_text(child), child, out)
        elif child.tag in ("ul", "ol"):
            self._list(child, out)
        elif child.tag == "table":
            self._table(child, out)
        elif child.tag in ("dt", "summary"):
            self._emit(out, _inline(child, self.removed, bold=self.key == "faq"), child)
        elif child.tag in ("p", "dd", "pre", "figcaption", "address"):
            self._paragraph([child], out, child)
        elif child.tag not in ("hr", "br"):
            self._walk(child, out, skip)

    def _heading_line(self, text: str, element, out: list[_Line]) -> None:
        if not text:
            return
        key = section_key(text)
        if key is None and self.key == "faq" and _HEADINGS[element.tag] >= 3:
            self._emit(out, text, element)  # a question under the FAQ is a question, not a section
            return
        self.key = key
        self._emit(out, "#" * max(2, _HEADINGS[element.tag]) + " " + text, element)

    def _list(self, element, out: list[_Line]) -> None:
        for item in element:
            if not isinstance(item.tag, str) or item in self.removed:
                continue
            if item.tag != "li":
                self._walk(item, out)
                continue
            links: list[tuple[str, str]] = []
            text = _inline(item, self.removed, links=links, skip_lists=True)
            if text:
                self._emit(out, "- " + text, item, links)
            for sub in item.iterchildren("ul", "ol"):
                if sub not in self.removed:
                    self._list(sub, out)

    def _table(self, element, out: list[_Line]) -> None:
        for row in element.iter("tr"):
            if not self._kept(row):
                continue
            cells = [_inline(c, self.removed) for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")]
            cells = [c for c in cells if c]
            if not cells or all(c.tag == "th" for c in row if isinstance(c.tag, str)):
                continue  # a header row names the columns
            joiner = " → " if self.key in _ARROW_KEYS and len(cells) == 2 else " | "
            self._emit(out, ("- " if self.key in _ARROW_KEYS else "") + joiner.join(cells), row)

    def _paragraph(self, parts: list, out: list[_Line], where) -> None:
        links: list[tuple[str, str]] = []
        first = next((p for p in parts if not isinstance(p, str)), where)
        breaks: list[int] = []
        text = _inline_parts(parts, self.removed, links=links, breaks=breaks)
        lines = [self._line(first), *(line + self.offset for line in breaks)]
        for number, piece in enumerate(text.split("\n")):
            self._emit(out, _SPACE.sub(" ", piece).strip(), None, links, lines[min(number, len(lines) - 1)])

    def _emit(self, out: list[_Line], text: str, element, links=(), line: int | None = None) -> None:
        if text.strip():
            out.append(_Line(text, line if line is not None else self._line(element), list(links)))

    def _jsonld(self) -> list[tuple[dict, int]]:
        """Return the schema.org objects of the page's JSON-LD blocks with the line of each block."""
        found: list[tuple[dict, int]] = []
        for script in self.root.iter("script"):
            if (script.get("type") or "").strip().lower() != "application/ld+json":
                continue
            try:
                value = json.loads(script.text or "")
            except (ValueError, RecursionError):
                found.append(({"@type": "?"}, self._line(script)))
                continue
            stack = [value]
            while stack:
                item = stack.pop()
                if isinstance(item, list):
                    stack.extend(reversed(item))
                elif isinstance(item, dict):
                    found.append((item, self._line(script)))
                    stack.extend(reversed(item.get("@graph", []) if isinstance(item.get("@graph"), list) else []))
        return found

    def check_structured_data(self, article: Article, path: str) -> list[Problem]:
        """Return a warning for each place the page's JSON-LD and its visible article disagree."""
        problems = []
        for item, line in self.jsonld:
            types = item.get("@type")
            types = {types} if isinstance(types, str) else set(t for t in types or [] if isinstance(t, str))
            if types == {"?"}:
                problems.append(Problem("warning", path, line, "a JSON-LD block is not valid JSON; ignored"))
            if types & {"Article", "BlogPosting", "NewsArticle"} and isinstance(item.get("headline"), str):
                headline = _SPACE.sub(" ", item["headline"]).strip()
                if _norm(headline) not in (_norm(article.title), _norm(article.name)):
                    problems.append(Problem("warning", path, line, f"the JSON-LD headline {headline[:80]!r} is not "
                                                                   f"the page's title {article.title[:80]!r}"))
            if "FAQPage" in types:
                entities = item.get("mainEntity")
                entities = entities if isinstance(entities, list) else [entities]
                marked = {_norm(e["name"]): _SPACE.sub(" ", e["name"]).strip() for e in entities
                          if isinstance(e, dict) and isinstance(e.get("name"), str)}
                visible = {_norm(q.question): q for q in article.questions}
                for key in sorted(set(marked) - set(visible)):
                    problems.append(Problem("warning", path, line, f"the FAQPage JSON-LD asks {marked[key][:80]!r}, "
                                                                   "which the page's FAQ does not show"))
                for key in sorted(set(visible) - set(marked)):
                    question = visible[key]
                    problems.append(Problem("warning", path, question.line, f"FAQ question "
                                            f"{question.question[:80]!r} is missing from the page's FAQPage JSON-LD"))
        return problems


def _norm(value: str) -> str:
    return re.sub(r"[^\w?]+", " ", value.lower()).strip()


def _text(element) -> str:
    return _SPACE.sub(" ", element.text_content()).strip() if element is not None else ""


_SKIP_INLINE = _NEVER | {"sup"}


def _inline(element, removed, links=None, bold: bool = False, skip_lists: bool = False) -> str:
    parts = ([element.text] if element.text else []) + [
        part for child in element
        if not (skip_lists and isinstance(child.tag, str) and child.tag in ("ul", "ol"))
        for part in (child, child.tail) if part is not None]
    text = _inline_parts(parts, removed, links)
    return f"**{text}**" if bold and text and not text.startswith("**") else text


def _inline_parts(parts: list, removed, links=None, breaks: list[int] | None = None) -> str:
    """Return the text of inline content (strings and elements), bold as ``**…**``, links recorded. With
    ``breaks``, a line break (``<br>``, the end of a block) is kept as a newline and its page line added."""
    out: list[str] = []

    def newline(node) -> None:
        out.append(" " if breaks is None else "\n")
        if breaks is not None:
            breaks.append(node.sourceline or (breaks[-1] if breaks else 1))

    def visit(node) -> None:
        if isinstance(node, str):
            out.append(node)
            return
        if not isinstance(node.tag, str) or node in removed or node.tag in _SKIP_INLINE or _hidden(node):
            return
        if node.tag == "br":
            newline(node)
            return
        start = len(out)
        if node.text:
            out.append(node.text)
        for child in node:
            visit(child)
            if child.tail:
                out.append(child.tail)
        text = "".join(out[start:])
        if node.tag in ("strong", "b") and text.strip() and "\n" not in text:
            out[start:] = [f"**{text.strip()}**"]
        if node.tag == "a" and links is not None and node.get("href"):
            links.append((_SPACE.sub(" ", text).strip(), node.get("href")))
        if node.tag in _BLOCKS:
            newline(node)

    for part in parts:
        visit(part)
    text = "".join(out)
    if breaks is None:
        return _SPACE.sub(" ", text).strip()
    return "\n".join(_SPACE.sub(" ", line).strip() for line in text.split("\n"))


def parse_wxr(data: bytes, path: str, limits: Limits = Limits()) -> list[ParseResult]:
    """Return one result a published post of a WordPress export (WXR); drafts, pages and attachments are
    counted in one warning. Each post's provenance is ``export.xml#post-name`` and its lines are the
    export's."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if getattr(exc, "lineno", None) else None
        return [ParseResult(None, [Problem("error", path, line, f"not a readable WordPress export: {exc.msg}")])]
    results: list[ParseResult] = []
    skipped: dict[str, int] = {}
    names: set[str] = set()
    for item in root.iterfind("./channel/item"):
        kind = _child_text(item, "post_type") or "post"
        status = _child_text(item, "status") or "publish"
        if kind != "post" or status != "publish":
            label = f"{status} {kind}" if kind == "post" else kind
            skipped[label] = skipped.get(label, 0) + 1
            continue
        title_el, content_el = item.find("title"), item.find(f"{{{CONTENT_NS}}}encoded")
        title = _SPACE.sub(" ", (title_el.text or "") if title_el is not None else "").strip()
        name = _child_text(item, "post_name") or _child_text(item, "post_id") or str(len(results) + 1)
        name = re.sub(r"[^\w.-]+", "-", name)[:80]
        while name in names:
            name += "-2"
        names.add(name)
        shown = f"{path}#{name}"
        content = (content_el.text or "") if content_el is not None else ""
        if not title or not content.strip():
            results.append(ParseResult(None, [Problem("error", shown, item.sourceline,
                                                      "post without a title or without content; skipped")]))
            continue
        link = _child_text(item, "link") or ""
        fragment = ("<html><body>" + content + "</body></html>").encode("utf-8")
        results.extend(parse_page(fragment, shown, limits, title=title,
                                  url=link if is_address(link) else "",
                                  offset=(content_el.sourceline or 1) - 1,
                                  title_line=title_el.sourceline if title_el is not None else item.sourceline))
        if results[-1].article is not None:  # the post's version: its title and link as well as its content
            results[-1].article.content_hash = hashlib.sha256("\0".join((title, link, content)).encode(
                "utf-8", "surrogatepass")).hexdigest()
    if skipped:
        counts = ", ".join(f"{n} {label}{'s' if n > 1 else ''}" for label, n in sorted(skipped.items()))
        results.append(ParseResult(None, [Problem("warning", path, None, f"WordPress export: {counts} skipped "
                                                                          "(only published posts are read)")],
                                   skipped=True))
    if not results:
        results.append(ParseResult(None, [Problem("warning", path, None, "WordPress export with no posts")],
                                   skipped=True))
    return results


def _child(item, local: str):
    """Return the first child of a post with this local name in WordPress's own namespace (or none)."""
    for child in item:
        if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == local and (
                local == "link" or "wordpress.org/export" in child.tag):
            return child
    return None


def _child_text(item, local: str) -> str:
    child = _child(item, local)
    return (child.text or "").strip() if child is not None else ""


__all__ = ["PAGE_SUFFIXES", "looks_like_html", "is_wxr", "read_source", "parse_source", "parse_page",
           "parse_wxr", "page_text", "slug_from_href"]
