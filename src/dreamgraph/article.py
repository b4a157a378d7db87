"""Plain data classes for one parsed article: what the parser gives, what triples reads.

>>> t = Transition(condition="If the running became stillness", target="dream about not being able to move meaning",
...                target_slug="not-being-able-to-move", gloss="when ...", line=61)
>>> t.target_slug
'not-being-able-to-move'
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The sections every article is expected to have, by key, with the heading a reader sees.
STANDARD_SECTIONS = {
    "quick-answer": "Quick Answer",
    "common-scenarios": "Common Scenarios",
    "what-the-body-registered": "What the Body Registered",
    "the-sentence": "The Sentence",
    "faq": "FAQ",
    "next-stages": "Next Stages",
}


@dataclass
class Item:
    """One Quick Answer bullet."""

    text: str
    line: int


@dataclass
class Scenario:
    """A "scenario → meaning" line of Common Scenarios."""

    label: str
    meaning: str
    line: int


@dataclass
class Sensation(Scenario):
    """A "sensation → meaning" line of What the Body Registered."""


@dataclass
class Question:
    """One FAQ question with its answer."""

    question: str
    answer: str
    line: int


@dataclass
class Section:
    """A free-form section: its heading and its paragraphs joined by blank lines."""

    title: str
    text: str
    line: int


@dataclass
class Transition:
    """One Next Stages line: "If <condition> → <target> — <gloss>"."""

    condition: str
    target: str
    target_slug: str
    gloss: str
    line: int
    href_slug: str = ""  # the dream a link's address names (a web page's next stage), resolved before the text


@dataclass
class ClusterMention:
    """A cluster named in prose ("The losing control cluster maps ...")."""

    name: str
    slug: str
    line: int


@dataclass
class Article:
    """Everything the parser read from one article file."""

    path: str
    title: str
    name: str
    slug: str
    subtitle: str | None = None
    title_line: int = 1
    aliases: list[str] = field(default_factory=list)
    intro: str = ""
    quick_answer: list[Item] = field(default_factory=list)
    scenarios: list[Scenario] = field(default_factory=list)
    sensations: list[Sensation] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    clusters: list[ClusterMention] = field(default_factory=list)
    core_sentence: str | None = None
    questions: list[Question] = field(default_factory=list)
    next_stages: list[Transition] = field(default_factory=list)
    standard_sections: dict[str, int] = field(default_factory=dict)  # key -> heading line
    partial: bool = False
    content_hash: str = ""
    url: str = ""  # the page's canonical address, for an article read from a web page or a CMS export

    def section_counts(self) -> dict[str, int]:
        """Return the number of items of each standard section (by the keys of STANDARD_SECTIONS)."""
        return {"quick-answer": len(self.quick_answer), "common-scenarios": len(self.scenarios),
                "what-the-body-registered": len(self.sensations), "the-sentence": int(bool(self.core_sentence)),
                "faq": len(self.questions), "next-stages": len(self.next_stages)}

    @property
    def in_format(self) -> bool:
        """True when the article has at least one of the standard sections (a title-only page, or a page
        from another site, has none)."""
        return any(self.section_counts().values())
