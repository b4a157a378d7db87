"""The read model: every table the read side uses, made once by the build and read back lazily.

A build makes each table from the parsed library (:func:`make_tables`) and keeps it beside the embedded
store, stamped with the digest of the Turtle it was made with and a fingerprint of the package's code (see
:meth:`dreamgraph.store.Store.derived`). A :class:`Snapshot` reads a table the first time it is wanted:
the kept one, or, for a remote endpoint, a graph loaded by hand or data a different version of the code
kept, the same table asked of the graph with SPARQL (each table's ``from_store``). The analyses (gaps,
progression, dreams, answers, views) take a Snapshot and never ask which tables are kept; tests keep the
two ways to a table equal (tests/test_snapshot.py).

Two tables are the results of analyses, kept so that reading them is instant: the gap report with the
default settings and the rankings. The build makes them with the analyses themselves; with nothing kept,
the analysis computes them.

>>> from dreamgraph.library import assemble, shared_triples
>>> from dreamgraph.parse import parse_text
>>> library = assemble([parse_text("Dream About Falling: The Drop\\nNext Stages\\n"
...                                "- If you land → dream about landing meaning — when it ends\\n", "a.txt")], {})
>>> snapshot = Snapshot(tables=make_tables(library, shared_triples(library)))
>>> [(a, b, e["condition"]) for a, b, e in snapshot.projection.edges(data=True)]
[('falling', 'landing', 'If you land')]
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..article import Article
from ..library import Library, Shared, stub_label
from ..store import Store
from . import articles, projection, texts

if TYPE_CHECKING:  # networkx is loaded by the first graph made, not by every command
    import networkx as nx


@dataclass(frozen=True)
class Table:
    """One table of the read model: its name (the file kept beside the store), what it holds, and how it
    is asked of a graph with nothing kept (None: the result of an analysis, which then computes it)."""

    name: str
    holds: str
    from_store: Callable[[Store], object] | None
    from_snapshot: Callable[[Snapshot], object] | None = None  # when it is made from other tables too


TABLES = {table.name: table for table in (
    Table("projection", "the dream-to-dream projection, a networkx DiGraph (read with the changes below)",
          projection.from_store),
    Table("projection-changes", "the dreams and links the rebuilds since the projection was kept changed, read "
          "with it (see projection.with_changes)", None),
    Table("completeness", "per written dream, the items of each standard section", articles.completeness_from_store),
    Table("card-parts", "per written dream, the parts its card shows", articles.card_parts_from_store),
    Table("counts", "nodes of each class; written, stub and partial dreams", articles.counts_from_store),
    Table("names", "every name a dream answers to -> its IRI (in no order that means anything: a rebuild "
          "adds at the end)", articles.names_from_store),
    Table("name-rivals", "each name more than one dream answers to -> the IRIs of those it does not go to "
          "(for the next build)", None),
    Table("stub-links", "per linked stub, its label and the links to it", articles.stub_links_from_store),
    Table("clusters", "per cluster, its labels and the articles naming it", articles.clusters_from_store),
    Table("links", "the projection's structure as arrays, for the queries that need no text", None,
          lambda snapshot: projection.links_of(snapshot.projection)),
    Table("shingles", "the shingles near-duplicates are judged on", texts.shingles_from_store),
    Table("search", "the lower-cased texts the search query scans", None),
    Table("mentions", "dreams named in another article's prose, and whether it links to them", None,
          lambda snapshot: texts.mentions(texts.prose_from_store(snapshot.store), _linked(snapshot.projection),
                                          snapshot.names)),
    Table("typos", "per linked stub, the written dream its slug is a slip for, with the default cutoff "
          "(an analysis result)", None),
    Table("mention-sources", "per written dream, the version of its text and links its mentions were found in, "
          "and the names they were looked for by "
          "(for the next build)", None),
    Table("article-versions", "per written dream, the version of its article the card parts were made from "
          "(for the next build)", None),
    Table("link-inputs", "a digest of what the link tables were made from (for the next build)", None),
    Table("near-pairs", "the pairs of articles near-duplicates are reported for, with the default threshold "
          "(an analysis result)", None),
    Table("gaps", "the gap report with the default settings (an analysis result)", None),
    Table("gaps-text", "that report as the terminal shows it, its text in a file of its own, where each "
          "gap's lines are in it, and each gap's kind, score and dream, to lay it out in other orders "
          "(an analysis result)", None),
    Table("rankings", "PageRank, degrees and betweenness of every dream (an analysis result)", None),
)}


# made from link_inputs alone
LINK_TABLES = ("projection", "projection-changes", "links", "names", "name-rivals", "clusters")


def make_tables(library: Library, shared: Shared, shingled: dict | None = None,
                last: Callable[[str], object] | None = None, carried: set[str] | None = None,
                linked: dict[str, bytes] | None = None, spill: Path | None = None) -> dict[str, object]:
    """Return every table made from the library, by name, but the analyses' results (which the build adds).

    ``shingled`` has the articles' shingles (slug -> array) when the build's workers made them already;
    ``last`` returns a table the last build kept (or None), for the tables brought up to date from it: the
    :data:`LINK_TABLES` are the last build's when what they are made of is unchanged (an edit to an
    article's texts but its Next Stages, title and clusters, lines added or removed included: see
    :func:`link_inputs`), and their names are then added to ``carried``. ``linked`` has the articles'
    :func:`link_digest` (slug -> digest) when the build's workers made them already. With ``spill`` (a
    folder), the search texts are written to a file there as made (see :func:`texts.search_from_library`).
    """
    tables, mention_tables = make_tables_apart(library, shared, shingled, last, carried, linked, spill)
    return {**tables, **mention_tables()}


def make_tables_apart(library: Library, shared: Shared, shingled: dict | None = None,
                      last: Callable[[str], object] | None = None, carried: set[str] | None = None,
                      linked: dict[str, bytes] | None = None, spill: Path | None = None,
                      start: Callable[[Callable[[], dict]], Callable[[], dict]] | None = None
                      ) -> tuple[dict[str, object], Callable[[], dict[str, object]]]:
    """Return :func:`make_tables` in two parts: every table but the mentions, their sources and the cards,
    and what returns those three (the mentions the longest table to make, searching every article's prose
    for every dream's name: at 100,000 articles, 27-34 s of the 55-60 s the tables took; the cards, 4-10 s,
    even the two parts' times out). ``start(work)``, when given, is handed the work that makes them as soon
    as the tables it reads are made, and returns what waits for its result: a build makes them in a process
    of its own while it makes the rest (see :func:`dreamgraph.build.kept_tables`)."""
    inputs = link_inputs(library, shared, linked)
    tables = carried_link_tables(inputs, last) if last else None
    same_names = tables is not None  # the last build's names: its mention finder's names stand
    if tables is None:
        graph = projection.from_library(library, shared)
        rivals: dict[str, list[str]] = {}
        tables = {"projection": graph, "projection-changes": projection.no_changes(),
                  "links": projection.links_of(graph), "names": articles.names_from_library(library, graph, rivals),
                  "name-rivals": rivals, "clusters": articles.clusters_from_library(library)}
    elif carried is not None:
        carried.update(tables)
    graph, names = tables["projection"], tables["names"]
    versions = articles.article_versions(library)
    changed = articles.changed_articles(versions, last("article-versions")) if last else None
    last_search = last("search") if last else None  # the texts the mentions' and the search's patches read

    def mention_tables() -> dict[str, object]:
        mentions, sources = texts.mentions_from_library(library, _linked(graph), names, *(
            (last("mentions"), last("mention-sources"), same_names, last_search) if last else ()))
        return {"mentions": mentions, "mention-sources": sources,
                "card-parts": articles.card_parts_from_library(library, *(
                    (last("card-parts"), last("article-versions"), versions) if last else ()))}

    mentioned = start(mention_tables) if start else mention_tables
    return {**tables, "link-inputs": inputs, "stub-links": articles.stub_links_from_library(library, shared),
            "shingles": texts.shingles_from_library(library, shingled, *(
                (last("shingles"), changed) if changed is not None else ())),
            "article-versions": versions,
            "completeness": articles.completeness_from_library(library, *(
                (last("completeness"), changed) if changed is not None else ())),
            "counts": articles.counts_from_library(library, shared, tables["clusters"]),
            "search": texts.search_from_library(library, graph, last_search, versions, spill)}, mentioned


def link_inputs(library: Library, shared: Shared, linked: dict[str, bytes] | None = None) -> dict[str, str]:
    """Return a digest of everything the :data:`LINK_TABLES` are made of, in two parts: ``articles``, from
    per written dream its :func:`link_digest` (``linked`` has those made already, by slug), and ``rest``,
    from the aliases and the label of every stub. Equal digests, equal tables: which article wins a slug and
    where a link's address points it follow from the articles as parsed, the slugs written and the aliases.

    The ``articles`` part is a sum of one number per article (see :func:`link_term`), so a rebuild that
    changed a few articles' links brings it up to date from theirs alone (:func:`link_inputs_patched`).

    >>> from dreamgraph.library import assemble, shared_triples
    >>> from dreamgraph.parse import parse_text
    >>> def digest(text):
    ...     library = assemble([parse_text(text, "a.txt")], {})
    ...     return link_inputs(library, shared_triples(library))
    >>> head = "Dream About Falling: The Drop\\nNext Stages\\n- If you land → dream about landing meaning — when it ends\\n"
    >>> longer = head.replace("Next Stages", "Quick Answer\\n- A new answer.\\nNext Stages")  # lines moved down
    >>> digest(head) == digest(longer), digest(head) == digest(head.replace("land", "fly"))
    (True, False)
    """
    linked = linked or {}
    total = sum(link_term(slug, linked.get(slug) or link_digest(article)) for slug, article in library.articles.items())
    return {"articles": f"{total % _TERMS:064x}", "rest": _rest_digest(library.aliases, (
        (slug, stub_label(links)) for slug, links in shared.links.items()))}


_TERMS = 1 << 256  # the articles' terms are summed modulo this


def link_term(slug: str, digest: bytes) -> int:
    """Return one written dream's term of the ``articles`` part of :func:`link_inputs`: a 256-bit hash of its
    slug and :func:`link_digest`. A sum of such terms is a digest of the set of articles whatever their
    order, which a changed article's old and new terms bring up to date; at 256 bits no set of articles
    found on purpose sums to another set's digest."""
    return int.from_bytes(hashlib.blake2b(slug.encode("utf-8", "surrogatepass") + b"\0" + digest,
                                          digest_size=32).digest(), "big")


def link_inputs_patched(last: dict[str, str], changed: Iterable[tuple[str, bytes | None, bytes | None]],
                        aliases: dict[str, str] | None = None,
                        labels: Iterable[tuple[str, str]] | None = None) -> dict[str, str]:
    """Return the last build's :func:`link_inputs` after written dreams' link digests changed, each given as
    (slug, old digest or None for a dream written anew, new digest or None for a dream no longer written),
    with the aliases and stubs' labels as they were, or as given (``aliases`` and every stub's (slug, label)).

    >>> from dreamgraph.library import assemble, shared_triples
    >>> from dreamgraph.parse import parse_text
    >>> def library(text):
    ...     return assemble([parse_text(text, "a.txt")], {})
    >>> before, after = (library("Dream About Falling: The Drop\\nNext Stages\\n"
    ...                          f"- If you land → dream about {where} meaning — when it ends\\n")
    ...                  for where in ("landing", "falling"))
    >>> last = link_inputs(before, shared_triples(before))
    >>> patched = link_inputs_patched(last, [("falling", link_digest(before.articles["falling"]),
    ...                                       link_digest(after.articles["falling"]))])
    >>> patched["articles"] == link_inputs(after, shared_triples(after))["articles"], patched == last
    (True, False)
    """
    total = int(last["articles"], 16)
    for slug, old, new in changed:
        total += (0 if new is None else link_term(slug, new)) - (0 if old is None else link_term(slug, old))
    rest = last["rest"] if labels is None else _rest_digest(aliases or {}, labels)
    return {"articles": f"{total % _TERMS:064x}", "rest": rest}


def _rest_digest(aliases: dict[str, str], labels: Iterable[tuple[str, str]]) -> str:
    digest = hashlib.sha256(repr(sorted(aliases.items())).encode("utf-8", "surrogatepass"))
    digest.update(repr(sorted(labels)).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def link_digest(article: Article) -> bytes:
    """Return a digest of what the link tables read of one article as it was parsed (a build's workers
    make it, before aliases and links' addresses point its Next Stages elsewhere): its file, slug, name,
    title, subtitle, aliases, whether it is partial, its clusters and its Next Stages, with their texts
    but not their lines."""
    return hashlib.blake2b(repr((
        article.slug, article.path, article.name, article.title, article.subtitle, article.partial, article.aliases,
        [(mention.slug, mention.name) for mention in article.clusters],
        [(stage.target_slug, stage.href_slug, stage.condition, stage.gloss) for stage in article.next_stages],
    )).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def carried_link_tables(inputs: dict[str, str], last: Callable[[str], object]) -> dict[str, object] | None:
    """Return the last build's :data:`LINK_TABLES` when they were made of the same inputs, else None."""
    if last("link-inputs") != inputs:
        return None
    tables = {name: last(name) for name in LINK_TABLES}
    if any(table is None for table in tables.values()):
        return None
    tables["projection"] = projection.with_changes(tables["projection"], tables["projection-changes"])
    return tables


def _linked(graph) -> dict[str, set[str]]:
    """Return, per dream, the dreams its Next Stages lead to."""
    return {node: set(graph.successors(node)) for node in graph}


class Snapshot:
    """The tables of one graph, each read once, when first wanted: kept by the build, else asked of the
    store. ``tables`` given directly (a build's, before they are kept) are used as they are."""

    def __init__(self, store: Store | None = None, tables: dict[str, object] | None = None):
        self.store = store
        self._given = tables is not None
        if tables is not None:
            self._tables: dict[str, object] = dict(tables)
        else:  # the tables read so far live on the store object (not a cycle: the store never points back)
            self._tables = getattr(store, "_read_model", None) if store is not None else None
            if self._tables is None:
                self._tables = {}
                try:
                    store._read_model = self._tables
                except AttributeError:
                    pass

    @classmethod
    def of(cls, source: Store | Snapshot) -> Snapshot:
        """Return ``source`` when it is a snapshot, else the snapshot of a store (each table of a store
        object is read once, whichever snapshot of it asks first)."""
        return source if isinstance(source, Snapshot) else cls(source)

    def kept(self, name: str):
        """Return the table the build kept (or that was given), or None."""
        if name not in TABLES:
            raise KeyError(f"no table {name!r}; there are: {', '.join(TABLES)}")
        if name not in self._tables and not self._given and self.store is not None:
            kept = self.store.derived(name)
            if kept is not None and name == "projection":  # with the rebuilds' changes since (or not kept)
                changes = self.store.derived("projection-changes")
                kept = None if changes is None else projection.with_changes(kept, changes)
            if kept is not None:
                self._tables[name] = kept
        return self._tables.get(name)

    def table(self, name: str):
        """Return a table: kept, else asked of the store (None for an analysis result not kept)."""
        found, table = self.kept(name), TABLES[name]
        if found is None and self.store is not None and (table.from_store or table.from_snapshot):
            found = self._tables[name] = table.from_store(self.store) if table.from_store else table.from_snapshot(self)
        return found

    def remember(self, name: str, value) -> None:
        """Keep an analysis result for the rest of this snapshot's life (the build's report, say)."""
        self._tables[name] = value

    @property
    def projection(self) -> nx.DiGraph:
        return self.table("projection")

    @property
    def links(self) -> projection.Links:
        """The projection's structure as arrays (see :class:`dreamgraph.snapshot.projection.Links`)."""
        if "links-object" not in self._tables:
            self._tables["links-object"] = projection.Links(self.table("links"))
        return self._tables["links-object"]

    def kept_links(self) -> projection.Links | None:
        """The links when the build kept them (or they were made already), else None."""
        return self.links if self.kept("links") is not None else None

    def reader(self):
        """The projection for a question about a few dreams: a :class:`~dreamgraph.snapshot.projection.LinkedView`
        when the build kept the links (it reads the texts of only the links it reaches), else the projection."""
        links = self.kept_links()
        if links is None or self.store is None:
            return self.projection
        return projection.LinkedView(links, self.store)

    @property
    def urls(self) -> dict[str, str]:
        """Each written dream's page address, for the articles read from web pages: from the kept card parts,
        else asked of the graph alone (not the whole of the card parts)."""
        parts = self.kept("card-parts")
        if parts is None and self.store is not None:
            return articles.urls_from_store(self.store)
        return parts["urls"] if parts is not None else {}

    @property
    def completeness(self) -> list[dict]:
        return self.table("completeness")

    @property
    def card_parts(self) -> Mapping[str, dict[str, list]]:
        """Per written dream, the parts its card shows (see :class:`~dreamgraph.snapshot.articles.Cards`,
        which unpickles a dream's parts when they are read)."""
        return articles.Cards(self.table("card-parts"))

    @property
    def counts(self) -> dict[str, int]:
        return self.table("counts")

    @property
    def names(self) -> dict[str, str]:
        return self.table("names")

    @property
    def stub_links(self) -> dict[str, dict]:
        return self.table("stub-links")

    @property
    def clusters(self) -> dict[str, dict]:
        return self.table("clusters")

    @property
    def mentions(self) -> list[dict]:
        return self.table("mentions")

    @property
    def shingles(self) -> dict[str, object]:
        """The shingle table (see :func:`texts.shingle_arrays`)."""
        return self.table("shingles")
