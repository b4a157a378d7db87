"""The one rule that turns a title or a link text into a dream's slug.

Article titles and the link texts in Next Stages lines name the same dream in
different framings: "Dream About Not Being Able to Move: The Frozen Body",
"dream about not being able to move meaning" and "Not Being Able to Move in a
Dream — When the Body Refuses" are one dream, ``not-being-able-to-move``.
:func:`dream_name` strips the framings, :func:`slugify` makes the identifier.

Standard library only, so the parser stays fast to import and easy to fuzz.

>>> dream_slug("Dream About Not Being Able to Run: The Kinetic Lock")
'not-being-able-to-run'
>>> dream_slug("dream about not being able to move meaning")
'not-being-able-to-move'
>>> dream_slug("Losing Control in a Dream — When the Wheel Stops Answering")
'losing-control'
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from typing import Callable, Iterable

MAX_SLUG_LENGTH = 80
# Words that frame a dream's name without changing which dream it is ("losing control in a dream").
FRAMING_WORDS = frozenset({"a", "an", "the", "in", "of", "my", "your", "dream", "dreams", "dreaming", "about",
                           "meaning", "being", "during", "on", "at", "to"})

# Subtitles follow a colon or a dash with spaces round it ("X: Subtitle",
# "X — When ...", "X - When ..."); a hyphen inside a word is not a separator.
_SUBTITLE_SEPARATOR = re.compile(r"\s*(?::\s+|:$|\s[—–]\s|\s--?\s)")
_LEADING_FRAMES = re.compile(
    r"^(?:(?:what\s+does\s+it\s+mean\s+to\s+)?(?:dreams?|dreaming|dreamt|dreamed)\s+(?:about|of|that)\s+|"
    r"(?:the\s+)?meaning\s+of\s+(?:a\s+)?(?:dreams?\s+(?:about|of)\s+)?)",
    re.IGNORECASE,
)
_TRAILING_FRAMES = re.compile(
    r"(?:\s+(?:in|during)\s+(?:a|your|the)\s+dreams?|\s+dreams?\s+meaning|\s+dreams?|\s+meanings?"
    r"|\s+(?:in|during)\s+(?:a|your|the)\s+dreams?\s+meanings?)+\s*$",
    re.IGNORECASE,
)
_MARKUP = re.compile(r"[*_`#\[\]]+")


def split_title(title: str) -> tuple[str, str | None]:
    """Return (name part, subtitle or None) of an article title.

    >>> split_title("Dream About Not Being Able to Run: The Kinetic Lock")
    ('Dream About Not Being Able to Run', 'The Kinetic Lock')
    >>> split_title("Falling in a Dream — When the Floor Gives Way")
    ('Falling in a Dream', 'When the Floor Gives Way')
    >>> split_title("Dream About Teeth Falling Out Meaning")
    ('Dream About Teeth Falling Out Meaning', None)
    """
    title = " ".join(title.split())
    match = _SUBTITLE_SEPARATOR.search(title)
    if not match or match.start() == 0:
        return title, None
    subtitle = title[match.end():].strip() or None
    return title[: match.start()].strip(), subtitle


@lru_cache(maxsize=1 << 16)  # link texts repeat: a popular dream is named by every article that links to it
def dream_name(text: str) -> str:
    """Return the bare dream name of a title or link text, framings removed.

    Removes a subtitle after a colon or a spaced dash, a leading "dream
    about" / "dream of" / "dreaming of" / "the meaning of", and a trailing
    "meaning" / "in a dream" / "dream". The case is kept, but for a leading "a", "an" or "the" before a
    capitalised word, which a title-cased name starts with a capital too.

    >>> dream_name("Dream About Teeth Falling Out Meaning")
    'Teeth Falling Out'
    >>> dream_name("dream of flying meaning")
    'flying'
    >>> dream_name("Falling in a Dream — When the Floor Gives Way")
    'Falling'
    >>> dream_name("Being Chased: What the Pursuer Wants")
    'Being Chased'
    >>> dream_name("Dream About a Locked Door"), dream_name("dream about a locked door meaning")
    ('A Locked Door', 'a locked door')
    """
    text = unicodedata.normalize("NFC", _MARKUP.sub("", text))
    name, _ = split_title(text)
    name = name.strip(" \t\"'“”‘’.,;")
    stripped = _TRAILING_FRAMES.sub("", _LEADING_FRAMES.sub("", name)).strip() or name
    first, _, rest = stripped.partition(" ")
    if first in ("a", "an", "the") and rest[:1].isupper():
        stripped = first.capitalize() + " " + rest
    return stripped


@lru_cache(maxsize=1 << 16)
def slugify(text: str) -> str:
    """Return ``text`` as a slug: lowercase ASCII letters, digits and single hyphens.

    Accents are folded ("café" and "cafe" agree, in NFC or NFD). Text with no
    Latin letters or digits at all gets a stable hash slug, and a slug longer
    than 80 characters is cut and given a hash suffix, so two different long
    names never collide.

    >>> slugify("Not Being Able to Run")
    'not-being-able-to-run'
    >>> slugify("Café") == slugify("Cafe\u0301")
    True
    >>> slugify("🌊🌊")
    'x-8600706a74'
    """
    normal = unicodedata.normalize("NFC", text)
    folded = unicodedata.normalize("NFKD", normal).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower().replace("'", "").replace("’", "")).strip("-")
    digest = hashlib.sha256(normal.strip().lower().encode("utf-8")).hexdigest()[:10]
    if not slug:
        return f"x-{digest}"
    if len(slug) > MAX_SLUG_LENGTH:
        slug = slug[: MAX_SLUG_LENGTH - 11].rstrip("-") + "-" + digest
    return slug


def dream_slug(text: str) -> str:
    """Return the slug of the dream a title or link text names.

    >>> dream_slug("Dream About Being Chased by a Killer Meaning")
    'being-chased-by-a-killer'
    >>> dream_slug("Not Being Able to Run")
    'not-being-able-to-run'
    """
    return slugify(dream_name(text))


def slip_of_the_pen(link: str, written: str, cutoff: float = 85) -> bool:
    """Return True when the words in which two slugs differ are slips: framing words only ("the" for "a"),
    or, word for word in order, a plural of each other or near spellings (rapidfuzz ratio at or above
    ``cutoff``, and never below 90: a word is short, and "rain" is 89 from "train").

    >>> slip_of_the_pen("falling-from-a-bedrooms", "falling-from-the-bedroom")
    True
    >>> slip_of_the_pen("a-house-with-a-clock", "a-house-with-a-crow"), slip_of_the_pen("by-two-lions", "by-a-lions")
    (False, False)
    >>> slip_of_the_pen("a-car-with-rain", "a-car-with-a-train"), slip_of_the_pen("mothr", "mother")
    (False, True)
    """
    from rapidfuzz import fuzz

    ours, theirs = link.split("-"), written.split("-")
    our_words, their_words = set(ours), set(theirs)
    left = [w for w in ours if w not in their_words]  # in slug order
    right = [w for w in theirs if w not in our_words]
    if all(w in FRAMING_WORDS for w in left + right):
        return True
    if len(left) != len(right):
        left = [w for w in left if w not in FRAMING_WORDS]
        right = [w for w in right if w not in FRAMING_WORDS]
    word_cutoff = max(cutoff, 90)
    return len(left) == len(right) and all(
        (a in FRAMING_WORDS and b in FRAMING_WORDS) or _plural_pair(a, b) or fuzz.ratio(a, b) >= word_cutoff
        for a, b in zip(left, right))


def _plural_pair(a: str, b: str) -> bool:
    """Return True when one word is the other with -s or -es (or -y made -ies)."""
    short, long = sorted((a, b), key=len)
    return long in (short + "s", short + "es") or (short.endswith("y") and long == short[:-1] + "ies")


class Lookalikes:
    """The written slugs, indexed to find the one an unwritten link's slug most likely means: a near
    spelling (rapidfuzz ratio at or above a cutoff, where each word that differs is itself a near spelling
    of the word in its place: "tidal-waves" for "a-tidal-wave", not "fire-in-a-wave" for "fire-in-a-cave"),
    or the same words with more or fewer framing words ("losing-control" and "losing-control-in-a-dream").
    Words that carry meaning make another dream: "being-chased-by-a-killer" is not "being-chased".

    A slug is only compared with the written slugs that have all its words that carry meaning but one, and
    in its place a word that begins or ends with the same two letters (a slip of the pen changes one word,
    and rarely both its ends): an index, so the candidates are a handful however large the library and its
    families ("being chased by a dog", "… by a bear", "… by a killer") grow.

    >>> Lookalikes(["flying", "losing-control-in-a-dream"]).match("flyng")
    ('flying', 90.91)
    >>> Lookalikes(["flying", "losing-control-in-a-dream"]).match("losing-control")
    ('losing-control-in-a-dream', 100.0)
    >>> Lookalikes(["being-chased"]).match("being-chased-by-a-killer") is None
    True
    >>> Lookalikes(["fire-in-a-cave"]).match("fire-in-a-wave") is None
    True
    """

    def __init__(self, written) -> None:
        self.index: dict[tuple, set[str]] = {}
        self.cores: dict[frozenset, set[str]] = {}  # the words that carry meaning -> the slugs that have them
        for slug in written:
            words = slug.split("-")
            self.cores.setdefault(frozenset(words) - FRAMING_WORDS, set()).add(slug)
            for key in self._keys(words):
                self.index.setdefault(key, set()).add(slug)

    @staticmethod
    def _keys(words: list[str]) -> set[tuple]:
        """Return the index keys of a slug's words: for each word that carries meaning, the others (sorted)
        with the word's first two letters, and with its last two."""
        meaning = sorted(w for w in words if w not in FRAMING_WORDS)
        keys = set()
        for i, word in enumerate(meaning):
            rest = tuple(meaning[:i] + meaning[i + 1:])
            keys.update(((rest, "<" + word[:2]), (rest, ">" + word[-2:])))
        return keys

    def _near(self, slug: str) -> set[str]:
        """Return the written slugs that share the index keys of ``slug``."""
        return set().union(*(self.index.get(key, ()) for key in self._keys(slug.split("-"))))

    def match(self, slug: str, cutoff: float = 85) -> tuple[str, float] | None:
        """Return (written slug, similarity 0-100) for the written dream ``slug`` most likely means, or None."""
        from rapidfuzz import fuzz, process

        words = set(slug.split("-"))
        near = self._near(slug)
        # every candidate at or above the cutoff (rapidfuzz skips the rest in C), then the best, the first
        # slug among equals: the same answer in any order, without sorting a family of thousands per link
        hits = process.extract(slug, list(near), scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
        for written, score, _ in sorted(hits, key=lambda hit: (-hit[1], hit[0])):  # the best that is a slip
            if slip_of_the_pen(slug, written, cutoff):
                return written, round(score, 2)
        # the same words that carry meaning, with more or fewer framing words
        core = frozenset(words) - FRAMING_WORDS
        wider = self.cores.get(core, set()) - {slug} if core else set()
        return (min(wider), 100.0) if wider else None


def may_match(written: Iterable[str]) -> Callable[[str], bool]:
    """Return a test of a slug that is False only when the slug can match none of the ``written`` slugs
    (see :class:`Lookalikes`): a match shares all the words that carry meaning of a written slug but one
    (so one of them at least, when it has two or more), or has one such word beginning or ending as its
    only one does; a written slug of framing words alone is no slug's match.

    >>> may = may_match(["flying", "losing-control-in-a-dream"])
    >>> [slug for slug in ("flyng", "losing-control", "being-chased", "teeth") if may(slug)]
    ['flyng', 'losing-control']
    """
    whole, starts, finishes = set(), set(), set()
    for slug in written:
        words = [word for word in slug.split("-") if word not in FRAMING_WORDS]
        if len(words) >= 2:
            whole.update(f"-{word}-" for word in words)
        elif words:
            starts.add(words[0][:2])
            finishes.add(words[0][-2:])

    ends = starts | finishes

    def may(slug: str) -> bool:
        framed = f"-{slug}-"
        if any(word in framed for word in whole):
            return True
        if not any(end in slug for end in ends):  # (a scan of the text first: most slugs fail it)
            return False
        words = [word for word in slug.split("-") if word not in FRAMING_WORDS]
        return len(words) == 1 and (words[0][:2] in starts or words[0][-2:] in finishes)

    return may


def match_among(slug: str, written: Iterable[str], cutoff: float = 85) -> tuple[str, float] | None:
    """Return :meth:`Lookalikes.match` of ``slug`` among the ``written`` slugs, indexing only those that can be
    its candidates (see :func:`may_match`): for one slug, a scan of the slugs' text rather than an index of
    them all (0.1 s at 10,000).

    >>> match_among("flyng", ["flying", "falling", "losing-control"])
    ('flying', 90.91)
    >>> match_among("losing-control", ["losing-control-in-a-dream"])
    ('losing-control-in-a-dream', 100.0)
    """
    may = may_match([slug])  # the same test either way round: a candidate shares the slug's index keys or words
    near = [other for other in written if may(other)]
    return Lookalikes(near).match(slug, cutoff)

