"""The library of a build: the written articles with the identity rules applied (one article a dream,
aliases), and what no single article owns (the clusters several articles name, the stubs they link to).

>>> from dreamgraph.parse import parse_text
>>> library = assemble([parse_text("Dream About Falling: The Drop\\nNext Stages\\n"
...                                "- If you land → dream about landing meaning — when it ends\\n", "a.txt")], {})
>>> sorted(library.articles), sorted(shared_triples(library).links)
(['falling'], ['landing'])
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable, Container, Iterable

from .article import Article
from .errors import Problem
from .parse import ParseResult
from .slugs import dream_name, dream_slug
from .triples import MEMBER, PREF_LABEL, T, Triple, cluster_triples, english, iri, stub_triples
from .vocabulary import cluster_iri, dream_iri

ALIAS_FILE = "aliases.toml"


@dataclass
class Library:
    """The written articles of a build, with the identity rules applied."""

    articles: dict[str, Article]          # slug -> article
    aliases: dict[str, str]               # alias slug -> dream slug
    problems: list[Problem]
    repointed: frozenset[str] = frozenset()  # articles whose next stages follow a link's address, not its text

    def resolve(self, slug: str) -> str:
        """Return the dream slug a link's slug means, after aliases."""
        return self.aliases.get(slug, slug)


def assemble(results: Iterable[ParseResult], aliases: dict[str, str]) -> Library:
    """Return the library of written dreams: duplicates refused, aliases from front matter added."""
    articles: dict[str, Article] = {}
    problems: list[Problem] = []
    aliases = dict(aliases)
    for result in results:
        problems.extend(result.problems)
        article = result.article
        if article is None:
            continue
        slug = aliases.get(article.slug, article.slug)
        if slug in articles:
            first = articles[slug]
            problems.append(Problem(
                "error", article.path, article.title_line,
                f"dream {slug!r} is already written in {first.path} (line {first.title_line}); "
                "this article is skipped: give one of them another title or a 'slug:' in its front matter"))
            continue
        article.slug = slug
        articles[slug] = article
    for article in articles.values():
        for alias in article.aliases:
            key = dream_slug(alias)
            if key in aliases and aliases[key] != article.slug:
                problems.append(Problem("warning", article.path, None,
                                        f"alias {alias!r} already means {aliases[key]!r}; ignored"))
            elif key != article.slug:
                aliases[key] = article.slug
    library = Library(articles, aliases, problems)
    library.repointed = frozenset(follow_addresses(library))
    for slug, target in sorted(aliases.items()):
        if target not in articles:
            problems.append(Problem("warning", ALIAS_FILE, None,
                                    f"alias {slug!r} points to {target!r}, which has no article"))
    return library


def follow_addresses(library: Library) -> list[str]:
    """Point each next stage read from a web page at the dream its link's address names, when that dream is
    written (or an alias of one), or when the text names no written dream either; return the slugs of the
    articles changed. The address is the site's own identity for the page; the link text is prose."""
    changed = []
    for slug, article in library.articles.items():
        moved = False
        for stage in article.next_stages:
            href = stage.href_slug
            if href and href != stage.target_slug and (library.resolve(href) in library.articles
                                                       or library.resolve(stage.target_slug) not in library.articles):
                stage.target_slug, moved = href, True
        if moved:
            changed.append(slug)
    return changed


@dataclass
class Shared:
    """The triples no single article owns: about the clusters (named by several articles) and the stubs,
    with the links to each stub."""

    clusters: list[Triple]
    stubs: list[Triple]
    links: dict[str, list[tuple[str, int, str]]]           # stub slug -> (path, line, link text)
    conditions: dict[str, list[str]] = field(default_factory=dict)  # stub slug -> each link's condition


def shared_triples(library: Library) -> Shared:
    """Return the clusters' and stubs' triples of the library, and per stub slug the links to it.

    A written dream with a cluster's slug is that cluster's hub, and a member of it even when its article
    does not name its own cluster: the graph, the projection, the gaps and the views all agree on it."""
    clusters: set[Triple] = set()
    links: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    conditions: dict[str, list[str]] = defaultdict(list)
    for slug in sorted(library.articles):
        article = library.articles[slug]
        clusters.update(cluster_triples(article, article.path))
        for stage in article.next_stages:
            target = library.resolve(stage.target_slug)
            if target == slug:
                library.problems.append(loop_warning(article.path, stage.line))
            if target not in library.articles:
                links[target].append((article.path, stage.line, stage.target))
                conditions[target].append(stage.condition)
    names: dict[str, Counter] = defaultdict(Counter)
    for article in library.articles.values():
        for mention in article.clusters:
            names[mention.slug][mention.name] += 1
    for slug, counted in names.items():  # one SKOS label a cluster: the name most articles give it
        name = min(counted, key=lambda n: (-counted[n], n))
        clusters.add((iri(cluster_iri(slug)), PREF_LABEL, english(name)))
    named = set(names)
    for slug in sorted(named & set(library.articles)):  # a cluster's hub belongs to its cluster
        if slug not in {mention.slug for mention in library.articles[slug].clusters}:
            hub, cluster = iri(dream_iri(slug)), iri(cluster_iri(slug))
            clusters.update([(hub, T["belongsToCluster"], cluster), (cluster, MEMBER, hub)])
    stubs: list[Triple] = []
    for stub in sorted(links):
        references = sorted(links[stub])
        stubs.extend(stub_triples(stub, stub_label(references), sorted({p for p, _, _ in references})))
    # sorted as the triples sort, by their terms joined with a character no term holds (text() escapes it):
    # comparing one string each is twice as fast as comparing tuples (0.6 s for 209,000 triples)
    return Shared(sorted(clusters, key="\0".join), stubs, links, conditions)


def loop_warning(path: str, line: int) -> Problem:
    """Return the warning for a next stage that points at its own dream."""
    return Problem("warning", path, line, "next stage points at its own dream (a loop of one)")


def alias_suggestion(stub: str, match: str, path: str, line: int, text: str) -> Problem:
    """Return the warning for a link (``text`` at ``path``:``line``) to the unwritten dream ``stub`` whose
    slug closely resembles the written dream ``match``."""
    return Problem("warning", path, line, f"{dream_name(text)!r} looks like {match!r}: add an alias? "
                                          f"(in {ALIAS_FILE}: \"{stub}\" = \"{match}\")")


def link_problems(article: Article, resolve: Callable[[str], str], written: Container[str],
                  matches: dict[str, tuple]) -> list[Problem]:
    """Return the warnings the library gives about one article's links (a build finds them with the shared
    triples and the look-alike table, :func:`dreamgraph.gaps.typo_table`): a next stage pointing at its own
    dream, and a link to an unwritten dream whose slug looks like a written one's (``matches``: stub ->
    (written slug, ...))."""
    found = []
    for stage in article.next_stages:
        target = resolve(stage.target_slug)
        if target == article.slug:
            found.append(loop_warning(article.path, stage.line))
        if target not in written and matches.get(target):
            found.append(alias_suggestion(target, matches[target][0], article.path, stage.line, stage.target))
    return found


def stub_label(links: Iterable[tuple[str, int, str]]) -> str:
    """Return the label of a dream no article is written for: the name in the first link to it (by path,
    then line), framings removed.

    >>> stub_label([("b.txt", 3, "dream about flying meaning"), ("a.txt", 9, "Dream About Flying High Meaning")])
    'Flying High'
    """
    return dream_name(min(links)[2])
