"""A writer's brief for a dream to write next, in the article format, made only of facts from the graph.

For a dream the library links to but has not written: who sends readers there and in which state (each
linking article, its line, the condition and the gloss of its link), the cluster it most likely belongs
to and its written siblings, next stages to consider (where the articles that link to it send readers
next, back to them, the cluster's hub), questions related articles answer in their FAQ, and the standard
sections with what each must hold. Every fact names its source; nothing is invented.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .article import STANDARD_SECTIONS
from .errors import DreamgraphError
from .snapshot import Snapshot, lookups
from .store import Store
from .vocabulary import slug_of

#: What each standard section holds, as the article format has it.
SECTION_GUIDE = {
    "quick-answer": "3-5 bullets: what the dream is about, in one line each.",
    "common-scenarios": "3-5 bullets, `scenario → meaning`: the versions readers have, and what each means.",
    "what-the-body-registered": "3-5 bullets, `sensation → meaning`: what the body felt in the dream.",
    "the-sentence": "One sentence in quotes: what the dream was trying to say.",
    "faq": "3 or more `Question? Answer` lines.",
    "next-stages": "`If … → dream about X meaning — when …` lines: where a reader goes next, and when.",
}


@dataclass
class Brief:
    """What the graph knows about a dream to write (see the module's text)."""

    slug: str
    name: str
    written: bool
    incoming: list[dict] = field(default_factory=list)    # from, from_label, path, line, condition, gloss
    cluster: str | None = None
    cluster_votes: int = 0
    siblings: list[dict] = field(default_factory=list)    # slug, label: written dreams of the cluster
    next_stages: list[dict] = field(default_factory=list)  # slug, label, stub, why
    questions: list[dict] = field(default_factory=list)   # question, dream, label

    @property
    def title(self) -> str:
        """The suggested title line: the dream's name in title case, a subtitle to find."""
        return f"Dream About {title_case(self.name)}: …"


_SMALL_WORDS = {"a", "an", "the", "and", "or", "but", "of", "in", "on", "at", "to", "by", "for", "with", "from",
                "into", "over", "as"}


def title_case(name: str) -> str:
    """Return a dream's name as a title writes it.

    >>> title_case("being chased by a killer"), title_case("a false awakening")
    ('Being Chased by a Killer', 'A False Awakening')
    """
    words = name.split(" ")
    return " ".join(w if w[:1].isupper() else (w if i and w.lower() in _SMALL_WORDS else w[:1].upper() + w[1:])
                    for i, w in enumerate(words))


def make_brief(store: Store, dream: str, siblings: int = 10, stages: int = 8, questions: int = 8) -> Brief:
    """Return the brief for a dream, by slug (see :func:`dreamgraph.dreams.find_dream` for names).

    The dreams and their links are read from the kept links when the build kept them (the projection itself,
    with every link's texts, takes 0.7 s to load at 100,000 dreams); nothing here depends on the order of a
    dream's successors.
    """
    graph = Snapshot.of(store).reader()
    if dream not in graph:
        raise DreamgraphError(f"no dream {dream!r} in the graph")
    node = graph.nodes[dream]
    brief = Brief(slug=dream, name=node["label"], written=not node["stub"])
    for row in lookups.incoming_links(store, dream):
        source = slug_of(row["from"])
        brief.incoming.append({"from": source, "from_label": graph.nodes[source]["label"] if source in graph else source,
                               "path": row["path"], "line": row["line"], "condition": row["condition"],
                               "gloss": row.get("gloss", "")})
    senders = sorted({entry["from"] for entry in brief.incoming})
    votes = Counter(c for s in senders for c in graph.nodes[s]["clusters"]) if senders else Counter()
    votes.update(node["clusters"])  # its own, when written
    if votes:
        brief.cluster, brief.cluster_votes = min(votes.items(), key=lambda kv: (-kv[1], kv[0]))
        members = [n for n, data in graph.nodes(data=True)
                   if not data["stub"] and brief.cluster in data["clusters"] and n != dream]
        members.sort(key=lambda n: (-graph.in_degree(n), n))
        brief.siblings = [{"slug": n, "label": graph.nodes[n]["label"]} for n in members[:siblings]]
    onward = Counter(t for s in senders for t in graph.successors(s) if t != dream and t not in senders)
    suggested: dict[str, str] = {}
    for target, count in sorted(onward.items(), key=lambda kv: (-kv[1], kv[0])):
        suggested.setdefault(target, f"where {count} of the {len(senders)} dreams that send readers here also lead")
    for source in senders:
        suggested.setdefault(source, "it sends readers here: a way back")
    if brief.cluster and brief.cluster in graph and not graph.nodes[brief.cluster]["stub"] and brief.cluster != dream:
        suggested.setdefault(brief.cluster, "the hub of its cluster")
    for target in list(graph.successors(dream)):  # what it links to already, when written
        suggested.pop(target, None)
    brief.next_stages = [{"slug": t, "label": graph.nodes[t]["label"], "stub": graph.nodes[t]["stub"], "why": why}
                         for t, why in list(suggested.items())[:stages]]
    related = set(senders) | {s["slug"] for s in brief.siblings}
    for row in lookups.questions_of(store, sorted(related)):
        if len(brief.questions) >= questions:
            break
        source = slug_of(row["dream"])
        brief.questions.append({"question": row["question"], "dream": source, "label": graph.nodes[source]["label"]})
    return brief


def markdown(brief: Brief) -> str:
    """Return the brief as Markdown: the facts first, then the article's sections as headings to fill."""
    lines = [f"# Brief: {brief.name}", "",
             f"Suggested title: **{brief.title}** (slug `{brief.slug}`, "
             + ("already written: this brief is for a rewrite)" if brief.written else "not written yet)"), ""]
    lines += ["## Who sends readers here", ""]
    if brief.incoming:
        lines += ["The states readers arrive in, from each linking article:", ""]
        for entry in brief.incoming:
            gloss = f" — {entry['gloss']}" if entry["gloss"] else ""
            lines.append(f"- from **{entry['from_label']}** (`{entry['path']}:{entry['line']}`): "
                         f"{entry['condition']}{gloss}")
    else:
        lines.append("No article links here yet.")
    lines += ["", "## Cluster", ""]
    if brief.cluster:
        lines.append(f"Most likely `{brief.cluster}` (named by {brief.cluster_votes} of the dreams that link here"
                     " or by the article itself). Written dreams in it:")
        lines += ["", *[f"- {s['label']} (`{s['slug']}`)" for s in brief.siblings]]
    else:
        lines.append("None of the dreams that link here names a cluster.")
    lines += ["", "## Next stages to consider", ""]
    lines += [f"- {s['label']} (`{s['slug']}`{', not written' if s['stub'] else ''}): {s['why']}"
              for s in brief.next_stages] or ["No candidates in the graph."]
    lines += ["", "## Questions related articles answer", ""]
    lines += [f"- {q['question']} (in {q['label']}, `{q['dream']}`)" for q in brief.questions] or ["None."]
    lines += ["", "## The article", "", brief.title, ""]
    for key, heading in STANDARD_SECTIONS.items():
        lines += [f"### {heading}", "", SECTION_GUIDE[key], ""]
    return "\n".join(lines).rstrip() + "\n"
