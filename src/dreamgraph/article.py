"""Plain data classes for one parsed article: what the parser gives, what triples reads.

>>> t = Transition(condition="If the running became stillness", target="dream about not being able to move meaning",
...                target_slug="not-being-able-to-move", gloss="when ...", line=61)
>>> t.target_slug
'not-being-able-to-move'
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from typing import Callable

# The sections every article is expected to have, by key, with the heading a reader sees.
STANDARD_SECTIONS = {
    "quick-answer": "Quick Answer",
    "common-scenarios": "Common Scenarios",
    "what-the-body-registered": "What the Body Registered",
    "the-sentence": "The Sentence",
    "faq": "FAQ",
    "next-stages": "Next Stages",
}


class Record:
    """A part of an article, pickled as its class and the values of its fields: unpickled by calling the
    class, a quarter faster than from a dict of its attributes (a build unpickles millions of them: the
    texts of every article, read once by each table made of them).

    >>> pickle.loads(pickle.dumps(Scenario("a fall", "a loss", 3))) == Scenario("a fall", "a loss", 3)
    True
    """

    __slots__ = ()

    def __reduce__(self):
        return type(self), tuple(self.__dict__[name] for name in self.__dataclass_fields__)


@dataclass
class Item(Record):
    """One Quick Answer bullet."""

    text: str
    line: int


@dataclass
class Scenario(Record):
    """A "scenario → meaning" line of Common Scenarios."""

    label: str
    meaning: str
    line: int


@dataclass
class Sensation(Scenario):
    """A "sensation → meaning" line of What the Body Registered."""


@dataclass
class Question(Record):
    """One FAQ question with its answer."""

    question: str
    answer: str
    line: int


@dataclass
class Section(Record):
    """A free-form section: its heading and its paragraphs joined by blank lines."""

    title: str
    text: str
    line: int


@dataclass
class Transition(Record):
    """One Next Stages line: "If <condition> → <target> — <gloss>"."""

    condition: str
    target: str
    target_slug: str
    gloss: str
    line: int
    href_slug: str = ""  # the dream a link's address names (a web page's next stage), resolved before the text


@dataclass
class ClusterMention(Record):
    """A cluster named in prose ("The losing control cluster maps ...")."""

    name: str
    slug: str
    line: int


@dataclass
class Article:
    """Everything the parser read from one article file.

    Pickled, an article keeps its body (the texts of its sections) as a pickle of its own, which is
    unpickled the first time one of its fields is read: a build reads back every unchanged article from
    its cache, and most of them only for their names, links and clusters (at 10,000 articles, making
    every body's objects took half of the read-back). The body fields have no class-level defaults
    (``default_factory``), so reading one that is not unpickled yet reaches :meth:`__getattr__`.

    >>> article = Article("a.txt", "Dream About Falling", "Falling", "falling", intro="The floor gives way.")
    >>> copy = pickle.loads(pickle.dumps(article))
    >>> "intro" in vars(copy), copy.section_counts()["faq"], "intro" in vars(copy)
    (False, 0, False)
    >>> copy.intro, copy == article
    ('The floor gives way.', True)
    >>> again = pickle.loads(pickle.dumps(copy)); again.scenarios = [Scenario("a fall", "a loss", 3)]
    >>> pickle.loads(pickle.dumps(again)).part_counts()["common-scenarios"], again.intro
    (1, 'The floor gives way.')

    The body can also be kept apart (:meth:`apart`): the build's cache keeps it as an entry of its own,
    which a rebuild fetches only for the few articles whose texts it reads (:meth:`attach`).

    >>> head, body = article.apart()
    >>> alone = pickle.loads(pickle.dumps(head))
    >>> alone.attach(lambda: body); alone.intro
    'The floor gives way.'
    """

    path: str
    title: str
    name: str
    slug: str
    subtitle: str | None = None
    title_line: int = 1
    aliases: list[str] = field(default_factory=list)
    intro: str = field(default_factory=str)
    quick_answer: list[Item] = field(default_factory=list)
    scenarios: list[Scenario] = field(default_factory=list)
    sensations: list[Sensation] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    clusters: list[ClusterMention] = field(default_factory=list)
    core_sentence: str | None = field(default_factory=lambda: None)
    questions: list[Question] = field(default_factory=list)
    next_stages: list[Transition] = field(default_factory=list)
    standard_sections: dict[str, int] = field(default_factory=dict)  # key -> heading line
    partial: bool = False
    content_hash: str = ""
    url: str = field(default_factory=str)  # the page's address, for an article read from a web page or a CMS export

    def section_counts(self) -> dict[str, int]:
        """Return the number of items of each standard section (by the keys of STANDARD_SECTIONS)."""
        counts = self.part_counts()
        del counts["sections"]
        return counts

    def part_counts(self) -> dict[str, int]:
        """Return :meth:`section_counts` and the number of free-form ``sections``."""
        return dict(zip(PART_COUNTS, self.part_tally()))

    def part_tally(self) -> tuple[int, ...]:
        """Return the counts of :meth:`part_counts` alone, in the order of :data:`PART_COUNTS`."""
        state = self.__dict__
        if "_body" in state and state.keys().isdisjoint(BODY):  # known without unpickling the body
            return state["_counts"]
        return (len(self.quick_answer), len(self.scenarios), len(self.sensations), int(bool(self.core_sentence)),
                len(self.questions), len(self.next_stages), len(self.sections))

    @property
    def in_format(self) -> bool:
        """True when the article has at least one of the standard sections (a title-only page, or a page
        from another site, has none)."""
        return any(self.section_counts().values())

    def __reduce__(self):
        state = self.__dict__
        body = state.get("_body")
        if "_body" not in state or not state.keys().isdisjoint(BODY):  # made here, or a field set since unpickled
            body = self.packed_body()
        elif callable(body):  # kept elsewhere: a pickle of the article carries it
            body = body()
        return _unpickled, (tuple(state[name] for name in HEAD), body, self.part_tally())

    def packed_body(self) -> bytes:
        """Return the body (the texts of the sections) as one pickle."""
        state = self.__dict__
        if isinstance(state.get("_body"), bytes) and state.keys().isdisjoint(BODY):
            return state["_body"]
        return pickle.dumps(tuple(getattr(self, name) for name in BODY), protocol=pickle.HIGHEST_PROTOCOL)

    def apart(self) -> tuple[Article, bytes]:
        """Return a copy of the article without its body, which a pickle of it leaves out, and the body
        packed (see :meth:`packed_body`); the copy's body is given back by :meth:`attach`."""
        return _unpickled(tuple(self.__dict__[name] for name in HEAD), None, self.part_tally()), \
            self.packed_body()

    def attach(self, body: bytes | Callable[[], bytes]) -> None:
        """Give an article read back without its body (see :meth:`apart`) the body packed, or a function
        that returns it when a field of the body is first read."""
        if self.__dict__.get("_body", b"") is None:
            self.__dict__["_body"] = body

    def unpack(self) -> None:
        """Unpickle the body now, if it is packed."""
        if "_body" in self.__dict__:
            self.__getattr__(BODY[0])

    def let_go(self) -> None:
        """Let go of the body's fields, unpickled from a packed body, keeping the body packed: they are
        unpickled again when next read. For code that only reads the texts: a field set since the body was
        unpickled would be lost. A build's tables read each article's texts in turn and let go of them (held
        unpickled, the texts of 100,000 articles took a gigabyte at the build's peak, twice their pickles).

        >>> article = pickle.loads(pickle.dumps(Article("a.txt", "Dream About Falling", "Falling", "falling",
        ...                                                 intro="The floor gives way.")))
        >>> article.intro, "intro" in vars(article), article.let_go(), "intro" in vars(article), article.intro
        ('The floor gives way.', True, None, False, 'The floor gives way.')
        """
        state = self.__dict__
        if "_packed" in state:
            for name in BODY:
                state.pop(name, None)
            state["_body"] = state.pop("_packed")

    def __getattr__(self, name: str):
        """Unpickle the body when one of its fields is first read (only called for a field not set)."""
        state = self.__dict__
        if name in BODY and "_body" in state:
            body = state["_body"]
            if body is None:
                raise AttributeError(f"the texts of {state.get('path')!r} were kept apart and not given back")
            packed = body() if callable(body) else body
            for key, value in zip(BODY, pickle.loads(packed)):
                state.setdefault(key, value)  # a field set since it was unpickled stays as set
            del state["_body"]
            state["_packed"] = packed  # for let_go
            return state[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


PART_COUNTS = (*STANDARD_SECTIONS, "sections")
BODY = ("intro", "quick_answer", "scenarios", "sensations", "sections", "core_sentence", "questions",
        "standard_sections", "url")
HEAD = tuple(name for name in Article.__dataclass_fields__ if name not in BODY)


def _unpickled(head: tuple, body: bytes | None, counts: tuple) -> Article:
    """Return an article read back from a pickle, its body left packed (None: kept apart, see
    :meth:`Article.apart`)."""
    article = Article.__new__(Article)
    article.__dict__.update(zip(HEAD, head), _body=body, _counts=counts)
    return article
