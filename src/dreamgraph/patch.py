"""A rebuild after a few articles edited or added: their parts put in place of their old ones (or in their
places) in the last build's graph file, store and tables, with no other article read.

Most edits to a library change an article's texts and nothing it links to: a Quick Answer reworded, a FAQ
added, a scenario fixed. Such an edit changes that article's own triples, its card, its completeness row,
its search texts, its shingles and the mentions in its prose; it changes no dream's identity, no link, no
cluster and no stub, so the projection, the names, the rankings and the look-alikes stand. Many others
change its Next Stages too (a link added, removed, pointed elsewhere or reworded), each link leading to a
written dream, to a stub other links made already, or to a dream no link led to before (a new stub): the
projection's arrays then change in that article's links alone
(:func:`dreamgraph.snapshot.projection.links_relinked`) and the new stubs' nodes, the projection itself
gets them as changes kept beside it (:func:`dreamgraph.snapshot.projection.with_changes`), and the
rankings and the gap report are made again over the arrays; the old stubs' own triples stand, and the
new ones' are put into the graph file, the store, the names, the look-alikes and the search texts (see
:func:`new_stubs`). A new file is most often a new article: a dream no link led to, or one a stub stood
for until now (the gap a strategist fills), naming clusters other articles name: its parts, its node and
links, its names and its cluster's sources are added the same way, the stub's block and entries taken out
or given the article's (see :func:`_new_dreams`). A file taken out takes the same way back: its dream leaves the
tables, or becomes the stub of the links still leading to it (see :func:`_removable` and
:func:`_unwritten`), and a stub no link leads to any more goes (see :func:`new_stubs`). A file renamed is
an edit of its article whose path moved (see :func:`_renamed`).
:func:`patched_build` checks that this is so for every changed file (the same single article, the same
dream, the same title line and clusters: see :func:`same_dream`; for a new file, see :func:`_addable`) and
then does the work of those files alone (and of the articles that may name a new dream, for their
mentions, or link to a dream no longer written, for its label); anything else (a name another dream
answers to too, an alias, a new cluster or the last article naming one, other settings) it
leaves to the whole rebuild (:func:`dreamgraph.build.build`), which gives the same graph, store and tables
(tests/test_patch.py builds both and compares them).

>>> import pathlib, tempfile
>>> from dreamgraph.build import build
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> article = "Dream About Falling: The Drop\\nQuick Answer\\n- {}\\nNext Stages\\n- If you land → dream about landing meaning — when it ends\\n"
>>> _ = (folder / "a.txt").write_text(article.format("Down."))
>>> build([folder], folder / "graph").store
'reloaded'
>>> _ = (folder / "a.txt").write_text(article.format("Down and down."))
>>> build([folder], folder / "graph").store
'patched'
>>> _ = (folder / "a.txt").write_text(article.format("Down and down.").replace("If you land", "If you touch down"))
>>> build([folder], folder / "graph").store
'patched'
>>> _ = (folder / "b.txt").write_text("Dream About Landing: The Ground\\nQuick Answer\\n- Still.\\n")
>>> build([folder], folder / "graph").store  # the stub's article
'patched'
>>> (folder / "b.txt").unlink()
>>> build([folder], folder / "graph").store  # taken out: a stub again
'patched'
"""

from __future__ import annotations

import os
import time
from bisect import bisect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Container, Sequence

from .article import Article
from .cache import Cache
from .centrality import rankings_aside
from .compile import (Compiled, FileIndex, article_unit, compile_article, compile_file, keep_in_cache, put_together,
                      shared_unit)
from .files import PATCHED_PAST_CACHE, in_background, leave_for_exit
from .gaps import (find_gaps, lookalike_targets, near_pairs, near_pairs_patched, not_in_format, patched_gaps,
                   relinked_gaps, reused_gaps, typo_table, written_digest, written_lookalikes)
from .graphfolder import (GRAPH_FILE, BuildReport, Inputs, Spool, graph_pieces, graph_turtle, keep_report,
                          last_graph_file, last_report, last_tail, no_stage, read_manifest, read_shared,
                          refresh_store)
from .errors import Problem
from .library import Library, alias_suggestion, link_problems, stub_label
from .parse import Limits
from .keptreport import text_table
from .settings import GapSettings
from .slugs import dream_name, match_among
from .snapshot import TABLES, Snapshot, link_digest, link_inputs_patched
from .snapshot.articles import (article_versions, cards_patched, completeness_from_library, name_key,
                                counts_patched, stub_links_patched)
from .snapshot.projection import (LinkedView, Links, changes_since, links_relinked, same_structure, stub_node,
                                  transitions_of, written_node)
from .snapshot.texts import (SPILLED, MentionFinder, finder_with, finder_without, mentions_from_library,
                             mentions_patched, new_names, search_patched, shingles_from_library, shingles_patched)
from .store import STORE_DIR, Carried, Spliced, TablesInMemory, kept_in_folder, kept_is_current
from .triples import cluster_triples, iri, own_triples, stub_triples, turtle_blocks, turtle_term
from .validate import Violation, check_units, verdict_key
from .vocabulary import PREFIXES, dream_iri, source_iri

PER_FILE = ("article", "turtle", "body")  # the cache's kinds of entries kept per file
# the large tables of rows (or keys) a patch makes from the last build's by changing a few (the rankings change
# whole when the links do), written as runs over them, or their changes (see dreamgraph.store.Spliced)
SPLICED_TABLES = ("gaps", "completeness", "mentions", "names", "article-versions", "mention-sources")
MOST_FILES = 50  # more changed files than this are left to the whole rebuild, which shares them among the cores

# the tables an edit that leaves every link as it was cannot change (see the module's docstring); one that
# changes links changes the projection's changes (never the projection), the links, the link digest and
# the rankings (see _relink), and one that makes new stubs (or takes some away) the names and the
# look-alikes too (see _names_patched)
UNCHANGED = ("projection", "projection-changes", "links", "names", "name-rivals", "clusters", "link-inputs", "typos",
             "rankings")


@dataclass
class Edit:
    """One changed article file: its place in the build's list of files, the last build's per-file work
    for it (from the cache) and this build's."""

    index: int
    before: Compiled | None  # None for an article file added
    after: Compiled

    @property
    def added(self) -> bool:
        """Whether the file is new: its article a dream no article was written for (see :func:`_addable`)."""
        return self.before is None

    @property
    def old(self) -> Article | None:
        return None if self.before is None else self.before.result.article

    @property
    def new(self) -> Article:
        return self.after.result.article

    @property
    def moved(self) -> bool:
        """Whether the article's file was renamed (its dream's article now at another path: see
        :func:`_renamed`)."""
        return self.before is not None and self.old.path != self.new.path

    @property
    def relinked(self) -> bool:
        """Whether the article's Next Stages changed (where they lead, or their words), or it is new or
        moved (its links' file is another)."""
        return self.before is None or not same_links(self.before, self.after)


def same_dream(before: Compiled, after: Compiled, moved: bool = False) -> bool:
    """Return True when an article file's new parse is the same dream as before, whatever its Next Stages:
    one article, its slug, file (another when ``moved``: a file renamed), name, title, subtitle, aliases,
    clusters and whether it is cut off unchanged, its title on the same line (another article's duplicate
    error names it), and no link read from a web page (whose address may point it elsewhere once the
    library is known)."""
    old, new = before.result.article, after.result.article
    if old is None or new is None:
        return False
    return (_identity(old, not moved) == _identity(new, not moved) and old.title_line == new.title_line
            and not any(link.href_slug for link in [*old.next_stages, *new.next_stages]))


def _identity(article: Article, path: bool = True) -> tuple:
    """What :func:`dreamgraph.snapshot.link_digest` reads of an article but its Next Stages (but its path,
    unless ``path``)."""
    return (article.slug, article.path if path else None, article.name, article.title, article.subtitle,
            article.partial, article.aliases, [(mention.slug, mention.name) for mention in article.clusters])


def _addable(compiled: Compiled, renamed: bool = False) -> bool:
    """Return True when a new file's parse is one article a patch can add (see :func:`_new_dreams` for what
    the library must say of it), or take away: no aliases of its own (which may point other links at it;
    but a file renamed, ``renamed``, keeps them: see :func:`_renamed`) and no link read from a web page."""
    article = compiled.result.article
    return (article is not None and (renamed or not article.aliases)
            and not any(link.href_slug for link in article.next_stages))


def same_links(before: Compiled, after: Compiled) -> bool:
    """Return True when an article file's new parse is the same dream linking to the same dreams in the same
    words (see :func:`same_dream` and :func:`dreamgraph.snapshot.link_digest`), each link naming its dream
    as before (the first link to an unwritten dream gives it its label)."""
    return (bool(after.link_digest) and before.link_digest == after.link_digest and same_dream(before, after)
            and [stage.target for stage in before.result.article.next_stages]
            == [stage.target for stage in after.result.article.next_stages])


def patched_build(graph_dir: Path, paths: Sequence[str | os.PathLike], inputs: Inputs, files: FileIndex, cache: Cache,
                  limits: Limits, validate: bool, started: float,
                  stage: Callable[[str], None] = no_stage, memory: TablesInMemory | None = None,
                  kept: dict | None = None) -> BuildReport | None:
    """Bring the graph folder up to date with a few edited article files by putting their new parts in place
    of the old (see the module's docstring) and return the build's report, or return None, having changed
    nothing, when the edits are not all of that kind or the last build's folder cannot be patched (its
    report, manifest, graph file or a table is missing or stale, or it was built with other settings).

    ``paths`` and ``inputs`` are the build's files and inputs (:func:`dreamgraph.graphfolder.build_inputs`),
    ``files`` the index of their stats (:func:`dreamgraph.compile.file_keys`); ``memory`` the tables a process
    that builds again and again keeps (see :class:`dreamgraph.store.TablesInMemory`); ``kept``, what
    :func:`dreamgraph.graphfolder.last_report` answers, when the caller has it."""
    kept = last_report(graph_dir) if kept is None else kept
    if kept is None or kept.get("settings") != inputs.settings or kept.get("validated") != validate:
        return None
    before = dict(kept["sources"])
    gone = sorted(before.keys() - {name for name, _ in inputs.files})  # files taken out (see _removed)
    changed = [i for i, (name, key) in enumerate(inputs.files) if before.get(name) != key]
    if not (changed or gone) or len(changed) + len(gone) > MOST_FILES:
        return None
    folder = graph_dir / STORE_DIR
    manifest = read_manifest(folder, shared=False)  # its shared triples read only if a patch changes them
    if manifest is None or "about-dreams" not in manifest or manifest.get("limits") != repr(limits):
        return None
    if not all(kept_is_current(folder, name) for name in TABLES):
        return None
    stage("reading the articles")
    try:
        edits = _edits(changed, paths, inputs, before, cache, limits)
        removed = _removed([before[name] for name in gone], cache)
    finally:  # the changed files' old entries were read for this build, not kept for it (see Cache.prune)
        cache.forget([*(before[inputs.files[i][0]] for i in changed if inputs.files[i][0] in before),
                      *(before[name] for name in gone)])
    if edits is None or removed is None or (renamed := _renamed(edits, removed)) is None:
        return None
    edits, removed = renamed
    library = Library({edit.new.slug: edit.new for edit in edits}, manifest["aliases"], [])
    written = manifest["articles"]
    if len(library.articles) != len(edits) or any(  # an edited file's dream is written, an added one's not yet
            (edit.new.slug in written) == edit.added or library.resolve(edit.new.slug) != edit.new.slug
            for edit in edits):
        return None
    if removed and (any(edit.added for edit in edits) or len({article.slug for article in removed}) != len(removed)
                    or any(article.slug not in written or article.slug in library.articles for article in removed)):
        return None  # a file taken out and another added, or its dream another file's: left to the whole rebuild
    if set(manifest["aliases"].values()) & {*(edit.new.slug for edit in edits if edit.added),
                                            *(article.slug for article in removed)}:
        return None  # an alias points to a dream written anew or no longer: its warning comes or goes
    tables = _Tables(folder, memory)
    try:
        completeness = tables.last("completeness")
        filled = _new_dreams(tables, [edit.new for edit in edits if edit.added])
        linked = _removable(tables, removed, edits, library.resolve, kept["report"].problems)
        if filled is None or linked is None:
            return None
    except Unpatchable:
        return None
    rows = {row["dream"]: row for row in completeness if row["dream"] in library.articles}
    rows.update((row["dream"], row) for row in completeness if row["dream"] in {article.slug for article in removed})
    if any(rows.get(article.slug, {}).get("path") != article.path
           for article in [*(edit.old for edit in edits if not edit.added), *removed]):
        return None  # not the dream's article
    renamed_from = {edit.old.path for edit in edits if edit.moved}
    if _named_elsewhere(kept["report"].problems, renamed_from):
        return None
    if renamed_from and not _problems_move(kept["report"].problems, [edit for edit in edits if edit.moved],
                                           library.resolve, written, tables):
        return None
    tables.made["completeness"] = completeness_from_library(library, completeness,
                                                            {*library.articles, *(article.slug for article in removed)})
    if any(not_in_format(rows[row["dream"]]) != not_in_format(row) for row in tables.made["completeness"]
           if row["dream"] in rows):  # into or out of the article format: the look-alikes change
        return None
    relinked = [edit for edit in edits if edit.relinked]
    added = [edit.new for edit in edits if edit.added]
    try:
        stubbed = {article.slug: article for article in removed if article.slug in linked}
        unwritten = _unwritten(tables, stubbed, edits, library.resolve, lambda slugs: _articles_from_cache(
            slugs, completeness, inputs, cache)) if stubbed else ({}, {}, [])
        if unwritten is None:
            return None
        unwritten, lookalikes, warnings = unwritten
        found = new_stubs(tables.last("stub-links"), relinked, library.resolve,
                          written.keys() | set(library.articles), removed,
                          lambda path, line: _link_words(path, line, completeness, inputs, cache)
                          ) if relinked or removed else ({}, set(), set())
        if found is None or ((found[0] or added) and not _named_anew(tables.last("names"), found[0], added, filled)):
            return None
    except Unpatchable:
        return None
    stubs, moved, dropped = found
    try:
        if dropped and not _own_names(tables, {slug: _stub_names(slug, tables.last("stub-links")[slug]["label"])
                                               for slug in dropped}):
            return None
    except Unpatchable:
        return None
    targets = [article.slug for article in added if not not_in_format(article.section_counts())]
    if targets and written_lookalikes([stub for stub in [*tables.last("stub-links"), *stubs] if stub not in filled],
                                      targets, GapSettings().typo_similarity):
        return None  # an added dream may be a stub's look-alike: the warnings about links to it change
    last = last_graph_file(graph_dir, manifest)
    tail = None if last is None else last_tail(*last, manifest)
    if tail is None:
        if last is not None:
            os.close(last[0])
        return None
    try:
        return _patch(graph_dir, edits, library, manifest, last, tail, tables, kept, inputs, files, cache, validate,
                      started, stage, _Changes(stubs, moved, filled, removed, dropped, unwritten, lookalikes, warnings))
    except (Unpatchable, OSError, EOFError):  # a kept file gone or damaged: nothing replaced, the whole rebuild runs
        return None


def _edits(changed: list[int], paths: Sequence[str | os.PathLike], inputs: Inputs, before: dict[str, str], cache: Cache,
           limits: Limits) -> list[Edit] | None:
    """Return the changed files' edits when each leaves the links as they were (see :func:`same_links`),
    else None: the last build's per-file work from the cache (with the article's texts fetched when read),
    this build's made here."""
    old_keys = {i: before[inputs.files[i][0]] for i in changed if inputs.files[i][0] in before}
    heads = dict(cache.get_many("article", old_keys.values()))
    edits = []
    for i in changed:
        if i not in old_keys:  # a file added
            new = compile_file((paths[i], inputs.files[i][0], limits))
            if len(new) != 1 or not _addable(new[0], renamed=True):  # (aliases: a file renamed, see _renamed)
                return None
            edits.append(Edit(i, None, new[0]))
            continue
        old = heads.get(old_keys[i])
        if not isinstance(old, list) or len(old) != 1:
            return None
        put_together(old, [lambda key=old_keys[i]: cache.body(key, 0)])
        new = compile_file((paths[i], inputs.files[i][0], limits))
        if len(new) != 1 or not same_dream(old[0], new[0]):
            return None
        edits.append(Edit(i, old[0], new[0]))
    return edits


def _problems_move(problems: list, moved: list[Edit], resolve: Callable[[str], str], written: Container[str],
                   tables: "_Tables") -> bool:
    """Return True when every problem the last build found in the renamed files (``moved``) is one the patch
    makes again at their new paths: their own parse's, or their links' (see
    :func:`dreamgraph.library.link_problems`); not one the library gave them (an alias of theirs another
    dream's already)."""
    try:
        matches = tables.last("typos")["matches"]
    except Unpatchable:
        return False
    for edit in moved:
        known = {*edit.before.result.problems, *link_problems(edit.old, resolve, written, matches)}
        if any(problem.path == edit.old.path and problem not in known for problem in problems):
            return False
    return True


def _removed(keys: list[str], cache: Cache) -> list[Compiled] | None:
    """Return the last build's work for the files taken out (``keys``: their last cache keys), their articles
    as it read them (their heads: what a patch takes away needs no texts), when each was one article a patch
    can take away (see :func:`_addable`), else None."""
    heads = dict(cache.get_many("article", keys))
    found = []
    for key in keys:
        old = heads.get(key)
        if not isinstance(old, list) or len(old) != 1 or not _addable(old[0], renamed=True):  # (see _renamed)
            return None
        found.append(old[0])
    return found


def _renamed(edits: list[Edit], removed: list[Compiled]) -> tuple[list[Edit], list[Article]] | None:
    """Return the edits with each file added whose dream is a file taken out's (a file renamed, its
    article perhaps edited too) made an edit of that article (its ``before`` the old file's, see
    :attr:`Edit.moved`), and the articles of the other files taken out; None when a renamed article is
    not the same dream (see :func:`same_dream`: its aliases among what stays), or a file added or taken out
    has aliases of its own (see :func:`_addable`)."""
    taken = {compiled.result.article.slug: compiled for compiled in removed}
    renamed = []
    for edit in edits:
        old = taken.pop(edit.new.slug, None) if edit.added else None
        if old is not None and not same_dream(old, edit.after, moved=True):
            return None
        if old is None and edit.added and edit.new.aliases:
            return None
        renamed.append(edit if old is None else Edit(edit.index, old, edit.after))
    if any(compiled.result.article.aliases for compiled in taken.values()):
        return None
    return renamed, [compiled.result.article for compiled in taken.values()]


def _removable(tables: "_Tables", removed: list[Article], edits: list[Edit], resolve: Callable[[str], str],
               problems: list) -> set[str] | None:
    """Return the dreams of the ``removed`` articles that links still lead to (from articles that stay, or
    the edited ones, ``edits``: they become stubs, see :func:`_unwritten`) when all can be taken out of the
    last build's tables: none is a cluster's hub, and each cluster one names is named by another article
    in the same words (its label stands); none of their names is another dream's too (see
    :func:`dreamgraph.snapshot.articles.names_table`: the name would pass to it); no stub is their
    look-alike (its links' warnings would go); no other file's problem names their files. Else None.
    Their links to stubs are checked with :func:`new_stubs`."""
    if not removed:
        return set()
    gone, paths = {article.slug for article in removed}, {article.path for article in removed}
    links = tables.last_links()
    staying = gone | {edit.new.slug for edit in edits if edit.relinked}  # (the edited articles' links: below)
    linked = {article.slug for article in removed
              if any(links.slugs[n] not in staying for n in links.predecessors(links.index[article.slug]))}
    linked.update(gone.intersection(resolve(stage.target_slug) for edit in edits for stage in edit.new.next_stages))
    clusters = tables.last("clusters")
    if any(article.slug in clusters or any(
            not _named_alike(clusters, mention) or not set(clusters[mention.slug]["sources"]) - paths
            for mention in article.clusters) for article in removed):
        return None
    if not _own_names(tables, {article.slug: _article_names(article) for article in removed}):
        return None
    if any(match and match[0] in gone for match in tables.last("typos")["matches"].values()):
        return None
    return None if _named_elsewhere(problems, paths) else linked


def _named_alike(clusters: dict[str, dict], mention) -> bool:
    """Return True when a cluster an article names is named already, by every article, in its words."""
    return mention.slug in clusters and clusters[mention.slug]["labels"] == [mention.name]


def _own_names(tables: "_Tables", keys: dict[str, set[str]]) -> bool:
    """Return True when the names (slug -> its keys in the names table) of dreams a patch takes away are
    theirs alone (no other dream answers to one: see :func:`dreamgraph.snapshot.articles.names_table`), so
    they leave the names table with them."""
    names, rivals = tables.last("names"), tables.last("name-rivals")
    return not any(key in rivals or names.get(key) != str(dream_iri(slug)) for slug, own in keys.items() for key in own)


def _named_elsewhere(problems: list, paths: set[str]) -> bool:
    """Return True when a problem of another file names one of ``paths`` (a duplicate's, which a change to
    that file would end or move)."""
    return any(problem.path not in paths and any(path in problem.message for path in paths) for problem in problems)


def _unwritten(tables: "_Tables", removed: dict[str, Article], edits: list[Edit], resolve: Callable[[str], str],
               articles_of: Callable[[set[str]], dict[str, Article]]
               ) -> tuple[dict[str, dict], dict[str, tuple | None], list[Problem]] | None:
    """Return the stub-links entries (slug -> ``label``, ``links``) of the ``removed`` dreams that links still
    lead to (slug -> the removed article), read from the articles linking them (those that stay from the
    cache, ``articles_of``; the edited ones as they are now), their look-alikes among the written dreams
    (see :func:`dreamgraph.gaps.typo_table`) and the warnings those links then get (see
    :func:`dreamgraph.library.link_problems`), when each stub's names are the dream's or no dream's yet;
    else None."""
    links = tables.last_links()
    gone = {article.slug for article in removed.values()}
    edited = {edit.new.slug: edit.new for edit in edits}
    linking = {links.slugs[n] for slug in removed for n in links.predecessors(links.index[slug])} - gone - edited.keys()
    found: dict[str, list] = {slug: [] for slug in removed}
    for article in [*articles_of(linking).values(), *edited.values()]:
        for stage in article.next_stages:
            target = resolve(stage.target_slug)
            if target in found:
                found[target].append((article.path, stage.line, stage.target, stage.condition))
    entries = {slug: {"label": stub_label(link[:3] for link in found[slug]),
                      "links": sorted((path, line, condition) for path, line, _, condition in found[slug])}
               for slug in sorted(removed)}
    names = tables.last("names")
    if any(key in names for slug, entry in entries.items()
           for key in _stub_names(slug, entry["label"]) - _article_names(removed[slug])):
        return None
    targets = [row["dream"] for row in tables.made["completeness"] if not not_in_format(row)]
    matches = {slug: match_among(slug, targets, GapSettings().typo_similarity) for slug in entries}
    return entries, matches, [alias_suggestion(slug, matches[slug][0], path, line, words)
                              for slug in entries if matches[slug] for path, line, words, _ in found[slug]]


def new_stubs(last: dict[str, dict], edits: list[Edit], resolve: Callable[[str], str],
              written: Container[str], removed: list[Article] = (),
              words_of: Callable[[str, int], str | None] | None = None
              ) -> tuple[dict[str, dict], set[str], set[str]] | None:
    """Return the stubs that articles whose Next Stages changed (``edits``) link to and no link did before
    (slug -> its ``label`` and its ``links`` as (path, line, condition), as the stub-links table has them),
    with the old stubs the edited files link to from other files now (one more, or one fewer: their blocks
    name their files) and those no link leads to now (their last link gone), when each other stub keeps
    its label (the name in the first link to it, by file and line; ``last``: the last build's stub-links
    table); else None. The other old stubs' own triples are then the last build's; the new
    and moved ones' are made from their links (see :func:`_tail_patched` and :func:`_names_patched`). The
    articles ``removed`` (their files taken out) link from nowhere now. A stub whose first link is another
    file's now is labelled by that link's words, which ``words_of(path, line)`` reads (None: unknown)."""
    paths = {edit.new.path for edit in edits} | {edit.old.path for edit in edits if edit.old} | {
        article.path for article in removed}
    touched: dict[str, list[list, list]] = {}
    for old, new in [*((edit.old, edit.new) for edit in edits), *((article, None) for article in removed)]:
        for side, article in enumerate((old, new)):
            for stage in article.next_stages if article is not None else ():
                target = resolve(stage.target_slug)
                if target not in written:  # (a removed dream among the written: no link leads to it)
                    touched.setdefault(target, [[], []])[side].append(
                        (article.path, stage.line, stage.target, stage.condition))
    made, moved, dropped = {}, set(), set()
    for stub, (before, after) in touched.items():
        if stub not in last:  # a new stub: every link to it is in the edited files
            made[stub] = {"label": stub_label(link[:3] for link in after),
                          "links": sorted((path, line, condition) for path, line, _, condition in after)}
            continue
        others = [link for link in last[stub]["links"] if link[0] not in paths]  # sorted by file and line
        if not others and not after:  # its last link gone: the stub goes (see _own_names)
            dropped.add(stub)
            continue
        if {link[0] for link in before} != {link[0] for link in after}:  # linked from other files now
            moved.add(stub)
        first = [bool(others) and (not links or others[0][:2] < min(links)[:2]) for links in (before, after)]
        if first[1]:  # the label comes from another file's link now: known if it did before, or read
            if not first[0] and (words_of is None or dream_name(words_of(*others[0][:2]) or "") != last[stub]["label"]):
                return None
        elif dream_name(min(after)[2]) != last[stub]["label"]:  # from an edited file's: its words are known
            return None
    return made, moved, dropped


def _named_anew(names: dict[str, str], stubs: dict[str, dict], articles: list[Article] = (),
                filled: dict[str, str] | None = None) -> bool:
    """Return True when no dream answers yet to a name of the new ``stubs`` (their labels and slugs) or the
    added ``articles`` (see :func:`_article_names`; an article written for a stub, its slug in ``filled``
    with the stub's label, answers to the stub's names as the stub did), nor two of them to one: the names
    table then gains theirs (which dream wins a shared name is not known here)."""
    filled = filled or {}
    keys = [key for slug, entry in stubs.items() for key in _stub_names(slug, entry["label"])]
    keys += [key for article in articles for key in _article_names(article)
             - (_stub_names(article.slug, filled[article.slug]) if article.slug in filled else set())]
    return len(keys) == len(set(keys)) and not any(key in names for key in keys)


def _article_names(article: Article) -> set[str]:
    """Return the names a written dream with no aliases answers to, as the names table keys them: its
    label, its title and its slug."""
    return {key for key in map(name_key, (article.name, article.title, article.slug)) if key}


def _new_dreams(tables: "_Tables", articles: list[Article]) -> dict[str, str] | None:
    """Return the stubs the added ``articles`` are written for (slug -> the stub's label), when they are
    dreams a patch can add, else None: none of them a cluster's hub, each cluster it names named by other
    articles already, in the same words (the cluster's label and count stand), and each written for a stub
    named as its article names it (to the names table, the same words). (Were the stub a written dream's
    look-alike, the warnings of the links to it go: see :func:`_patch`.)"""
    if not articles:
        return {}
    stubs, clusters = tables.last("stub-links"), tables.last("clusters")
    if any(article.slug in clusters or not all(_named_alike(clusters, mention) for mention in article.clusters)
           for article in articles):
        return None
    filled = {article.slug: stubs[article.slug]["label"] for article in articles if article.slug in stubs}
    if any(article.slug in filled and name_key(filled[article.slug]) != name_key(article.name) for article in articles):
        return None
    return filled


def _stub_names(slug: str, label: str) -> set[str]:
    """Return the names a stub answers to, as the names table keys them (see
    :func:`dreamgraph.snapshot.articles.names_table`): its label and its slug."""
    return {name_key(label), slug}


@dataclass
class _Changes:
    """What a patch changes among the dreams but the edited and added articles' own parts (see
    :func:`new_stubs`, :func:`_new_dreams` and :func:`_removable`)."""

    new: dict[str, dict]  # stubs no link led to before: slug -> their stub-links entry
    moved: set[str]  # old stubs linked from other files now
    filled: dict[str, str]  # old stubs an added article is written for: slug -> the stub's label
    removed: list[Article] = field(default_factory=list)  # the articles of the files taken out
    dropped: set[str] = field(default_factory=set)  # old stubs no link leads to now
    unwritten: dict[str, dict] = field(default_factory=dict)  # removed dreams links lead to: stubs now (their entries)
    lookalikes: dict[str, tuple | None] = field(default_factory=dict)  # their look-alikes among the written dreams
    warnings: list[Problem] = field(default_factory=list)  # other files' links to those that look like written dreams

    @property
    def gone(self) -> set[str]:
        """The slugs of the written dreams taken out (some of them stubs now)."""
        return {article.slug for article in self.removed}

    @property
    def nodes_gone(self) -> set[str]:
        """The slugs of the dreams that leave the projection: those taken out no link leads to, the stubs
        no link leads to now."""
        return (self.gone - self.unwritten.keys()) | self.dropped


class Unpatchable(Exception):
    """A table of the last build turned out unreadable (a file of it gone or damaged) while patching: the
    patch stops, leaving the graph folder as it was, and the whole rebuild makes the table again."""


class _Tables:
    """The last build's tables, each read once, and this build's, made as the patch goes."""

    def __init__(self, folder: Path, memory: TablesInMemory | None = None):
        self.folder, self.memory = folder, memory
        self.read: dict[str, object] = {}
        self.made: dict[str, object] = {}

    def last(self, name: str):
        if name not in self.read:
            self.read[name] = kept_in_folder(self.folder, name, self.memory)
            if self.read[name] is None:
                raise Unpatchable(name)
        return self.read[name]

    def last_links(self) -> Links:
        """The last build's link arrays, indexed once (0.02 s at 100,000 dreams)."""
        if "links-indexed" not in self.read:
            self.read["links-indexed"] = Links(self.last("links"))
        return self.read["links-indexed"]


def _patch(graph_dir: Path, edits: list[Edit], library: Library, manifest: dict, last: tuple, tail: tuple,
           tables: _Tables, kept: dict, inputs: Inputs, files: FileIndex, cache: Cache, validate: bool, started: float,
           stage: Callable[[str], None], changes: _Changes) -> BuildReport:
    """Do the work of :func:`patched_build` once it knows the edits can be patched (``changes``: what they
    change among the dreams)."""
    spool = Spool(graph_dir, last[0], bool(manifest.get("graph-cached")))
    saved = _save_cache(edits, kept, inputs, files, cache)  # waited for before the cache is used again
    try:
        stage("putting the library together")
        written = (set(manifest["articles"]) | set(library.articles)) - changes.gone
        resolve = library.resolve
        parts = {slug: ((*place, 1), "") for slug, place in last[1].items()}
        for edit in edits:  # made with its links as written, unless an alias points one elsewhere
            if any(resolve(link.target_slug) != link.target_slug for link in edit.new.next_stages):
                turtle, _ = compile_article(edit.new, resolve)
                parts[edit.new.slug] = (spool.add(turtle), "")
            else:
                parts[edit.new.slug] = (spool.add(edit.after.turtle, edit.after.turtle_sha256), "")
        violations: list = list(kept["report"].violations)
        matches = tables.last("typos")["matches"]  # the look-alikes of linked stubs, for the links' problems
        now_matches = {} if changes.new or changes.unwritten else matches  # the look-alikes after the edits
        added = [edit.new for edit in edits if edit.added]
        joined, left = _cluster_members(edits, changes)
        shared, units = None, {}  # the shared triples (None for the last build's) and the blocks of them changed
        if (changes.new or changes.moved or changes.filled or changes.dropped or changes.unwritten
                or any(article.clusters for article in [*joined, *left])):
            tables.made["stub-links"] = stub_links_patched(
                tables.last("stub-links"), [*(edit.old for edit in edits if edit.old), *changes.removed],
                [edit.new for edit in edits], resolve, written, {**changes.new, **changes.unwritten},
                {*changes.filled, *changes.dropped})
            manifest = {**manifest, "shared": read_shared(graph_dir / STORE_DIR)}
            if manifest["shared"] is None:
                raise Unpatchable("shared triples")
            shared, units = _shared_patched(manifest["shared"], tables.last("stub-links"), tables.made["stub-links"],
                                            changes, joined, left)
            tail = _tail_patched(bytes(spool.read(tail)), tables.made["stub-links"].keys(), units)

        def while_the_store_loads() -> dict[str, object]:
            saved()
            if validate:
                stage("checking the shapes")
                violations[:] = _violations(violations, edits, resolve, cache, units,
                                            [*changes.removed, *(edit.old for edit in edits if edit.moved)])
            stage("making the read model")
            made = _patched_tables(graph_dir, tables, edits, library, written, stage, changes, articles_of)
            if changes.new or changes.unwritten:  # with new stubs' look-alikes (the tables are let go once written)
                now_matches.update(made["typos"]["matches"])
            return made

        def articles_of(slugs: set[str]) -> dict[str, Article]:
            """The written dreams' articles, read back from the cache (for the new names looked for in them)."""
            return _articles_from_cache(slugs, tables.made["completeness"], inputs, cache)

        slugs = sorted(written)
        triple_count, _ = refresh_store(
            graph_dir / GRAPH_FILE, graph_turtle(slugs, parts, tail, spool), graph_pieces(slugs, parts, tail),
            graph_dir / STORE_DIR, {slug: parts[slug][0][2] for slug in slugs}, shared,  # (in order: it sorts them)
            lambda slug: own_triples(library.articles[slug], library.articles[slug].path, resolve),
            while_the_store_loads, manifest, manifest["limits"], stage, manifest["aliases"],
            cached_below=PATCHED_PAST_CACHE)
    finally:
        saved()  # (once only: see in_background) before a whole rebuild, say, uses the cache
        spool.close()
        for spilled in graph_dir.glob(f".{SPILLED}.*.tmp"):  # linked into the store folder, or not needed
            spilled.unlink(missing_ok=True)
    old_report = kept["report"]
    gone_paths = {article.path for article in changes.removed}  # every problem of a file taken out goes with it
    dropped, found = {problem for problem in old_report.problems if problem.path in gone_paths}, set(changes.warnings)
    # a stub written for that looked like a written dream: the warnings of the links to it go
    warned = {(path, line): f'"{stub}" = "{matches[stub][0]}"' for stub in changes.filled if matches.get(stub)
              for path, line, _ in tables.last("stub-links")[stub]["links"]}
    dropped.update(problem for problem in old_report.problems
                   if (problem.path, problem.line) in warned and warned[problem.path, problem.line] in problem.message)
    for edit in edits:
        if edit.before is not None:
            dropped.update(edit.before.result.problems, link_problems(edit.old, resolve, written, matches))
        found.update(edit.after.result.problems, link_problems(edit.new, resolve, written, now_matches))
    report = BuildReport(
        articles=old_report.articles + len(added) - len(changes.removed),
        dreams=old_report.dreams + len(changes.new) + len(added) - len(changes.filled) - len(changes.nodes_gone),
        stubs=old_report.stubs + len(changes.new) - len(changes.filled) - len(changes.dropped) + len(changes.unwritten),
        clusters=old_report.clusters,
        triples=triple_count, store="patched", graph_file=graph_dir / GRAPH_FILE,
        problems=sorted((set(old_report.problems) - dropped) | found,
                        key=lambda p: (p.path, p.line or 0, p.severity, p.message)),
        violations=violations)
    stage("tidying the cache")
    # the SHACL verdicts of structures checked anew, if any, saved before the report tells of the build
    keep_report(graph_dir, inputs, report, validate, before_writing=in_background(cache.close))
    leave_for_exit(tables, parts, manifest, kept, last)  # (each holds a dict an article)
    report.seconds = time.perf_counter() - started
    return report


def _save_cache(edits: list[Edit], kept: dict, inputs: Inputs, files: FileIndex, cache: Cache) -> Callable[[], None]:
    """Start saving the cache in a thread of its own, and return what waits for that once (see
    :func:`dreamgraph.files.in_background`): the edited files' per-file work, the index of the files' stats,
    and the edited and removed files' old entries dropped (the other files' stand; the SHACL verdicts of the
    structures not checked too). Each entry is keyed by the bytes it was made from, so the entries and the
    index are right whatever becomes of the build; saved at its start, the commit waits for a disk with
    little to write, while this thread puts the library together (at the end, the report waited for it:
    0.2 s at 100,000 articles)."""
    before = dict(kept["sources"])
    now = {key for _, key in inputs.files}
    gone = {*(before[inputs.files[edit.index][0]] for edit in edits if inputs.files[edit.index][0] in before),
            *(before[name] for name in before.keys() - {name for name, _ in inputs.files})} - now

    def save() -> None:
        for edit in edits:
            keep_in_cache(cache, inputs.files[edit.index][1], [edit.after], None)
        files.keep()
        cache.drop(PER_FILE, gone, now)

    wait = in_background(save)
    waited: list[bool] = []

    def once() -> None:
        if not waited:
            waited.append(True)
            wait()

    return once


def _cluster_members(edits: list[Edit], changes: _Changes) -> tuple[list[Article], list[Article]]:
    """Return the articles that join their clusters (added, or renamed: as their new files) and those that
    leave them (taken out, or renamed: as their old files)."""
    moved = [edit for edit in edits if edit.moved]
    return ([*(edit.new for edit in edits if edit.added), *(edit.new for edit in moved)],
            [*changes.removed, *(edit.old for edit in moved)])


def _shared_patched(last: set[tuple], last_stub_links: dict[str, dict], stub_links: dict[str, dict],
                    changes: _Changes, added: list[Article],
                    removed: list[Article]) -> tuple[set[tuple], dict[str, list[tuple]]]:
    """Return the shared triples (see :func:`dreamgraph.library.shared_triples`) after the stubs changed
    (``changes``: the new ones and those linked from other files now, with their entries in the patched
    ``stub_links`` table; those written for, gone), the ``added`` articles named their clusters and the
    ``removed`` ones no longer do (see :func:`_cluster_members`), from the ``last`` build's (a set, with the
    ``last_stub_links`` table its stubs' triples were made from), and the triples of each subject whose block
    changed (cluster or stub IRI -> its triples, in the order a whole build gives them; none for a stub
    written for). A changed stub's old triples are made again from the last table, not looked for among all
    (339,000 at 100,000 articles: 0.2 s)."""
    def triples_of(slug: str, table: dict[str, dict]) -> list[tuple]:  # a stub's, as its table entry makes them
        return stub_triples(slug, table[slug]["label"], sorted({link[0] for link in table[slug]["links"]}))

    changed = sorted(changes.new.keys() | changes.moved | changes.unwritten.keys())
    made = {iri(dream_iri(slug)): triples_of(slug, stub_links) for slug in changed}
    made.update((iri(dream_iri(slug)), []) for slug in [*changes.filled, *changes.dropped])
    was = [triple for slug in [*changed, *changes.filled, *changes.dropped] if slug in last_stub_links
           for triple in triples_of(slug, last_stub_links)]
    clusters = [triple for article in added for triple in cluster_triples(article, article.path)]
    # a removed article's cluster loses its membership and the article's file (its label, type stand)
    taken = {triple for article in removed for triple in cluster_triples(article, article.path)
             if triple[2] in (iri(dream_iri(article.slug)), iri(source_iri(article.path)))}
    subjects = {triple[0] for triple in [*clusters, *taken]}
    shared = set(last)
    shared.difference_update(was, taken)
    shared.update(clusters, *made.values())
    if subjects:  # sorted as shared_triples sorts the clusters' triples
        blocks: dict[str, list[tuple]] = {subject: [] for subject in subjects}
        for triple in shared:
            if triple[0] in blocks:
                blocks[triple[0]].append(triple)
        made.update((subject, sorted(block, key="\0".join)) for subject, block in blocks.items())
    return shared, made


def _tail_patched(tail: bytes, stubs: Container[str], blocks: dict[str, list[tuple]]) -> bytes:
    """Return the graph file's tail (the clusters' blocks, then the stubs', each part sorted by subject as
    :func:`dreamgraph.triples.turtle_blocks` sorts them: see :func:`dreamgraph.graphfolder.shared_turtle`)
    with the blocks of the subjects of ``blocks`` (IRI -> its triples) put in place of their old ones, or
    among the others where they had none (with no triples, the old block taken out); ``stubs`` are the
    stubs' slugs after the change (a stub's block goes among the stubs', any other among the clusters')."""
    parts = tail[1:-3].split(b" .\n\n") if tail else []  # see turtle_blocks: "\n" block (" .\n\n" block)* " .\n"
    if tail and (tail[:1] != b"\n" or tail[-3:] != b" .\n"):
        raise Unpatchable("graph file")
    heads = [part[:part.index(b"\n")].decode("utf-8") for part in parts]
    stub_heads = {turtle_term(iri(dream_iri(slug))) for slug in stubs}
    stub_heads.update(turtle_term(subject) for subject, triples in blocks.items() if not triples)  # the last build's
    split = next((n for n in range(len(heads), 0, -1) if heads[n - 1] not in stub_heads), 0)
    sections = [list(zip(map(_subject_key, heads[:split]), parts[:split])),
                list(zip(map(_subject_key, heads[split:]), parts[split:]))]
    for subject, triples in sorted(blocks.items()):
        section = sections[turtle_term(subject) in stub_heads]
        key = subject[:-1]
        at = bisect([entry[0] for entry in section], key)
        block = turtle_blocks(triples).encode("utf-8")[1:-3]
        if at and section[at - 1][0] == key:
            section[at - 1:at] = [(key, block)] if triples else []
        elif triples:
            section.insert(at, (key, block))
    joined = [block for section in sections for _, block in section]
    return b"\n" + b" .\n\n".join(joined) + b" .\n" if joined else b""


def _subject_key(head: str) -> str:
    """Return the key :func:`dreamgraph.triples.turtle_blocks` sorts a block by (its subject's IRI without the
    closing ">") from the block's first line (the subject as Turtle writes it, prefixed where it can)."""
    if head.startswith("<"):
        return head[:-1]
    prefix, local = head.split(":", 1)
    return "<" + PREFIXES[prefix] + local


def _link_words(path: str, line: int, completeness: list[dict], inputs: Inputs, cache: Cache) -> str | None:
    """Return the words naming the dream a link leads to (its Next Stages line ``line`` of the article file
    ``path``, as the last build read it: see :func:`_articles_from_cache`), or None."""
    slug = next((row["dream"] for row in completeness if row["path"] == path), None)
    if slug is None:
        return None
    article = _articles_from_cache({slug}, completeness, inputs, cache)[slug]
    return next((stage.target for stage in article.next_stages if stage.line == line), None)


def _articles_from_cache(slugs: set[str], completeness: list[dict], inputs: Inputs, cache: Cache) -> dict[str, Article]:
    """Return the articles of written dreams (``slugs``) as the last build read them, from the cache's entries
    of their files (a dream's file is in the completeness table; its key, in the build's inputs)."""
    keys = dict(inputs.files)
    wanted = {row["dream"]: keys.get(row["path"]) for row in completeness if row["dream"] in slugs}
    if None in wanted.values() or len(wanted) != len(slugs):
        raise Unpatchable("article-versions")
    heads = dict(cache.get_many("article", set(wanted.values())))
    found = {}
    for slug, key in wanted.items():
        compiled, bodies = heads.get(key), cache.get("body", key)
        if not isinstance(compiled, list) or not isinstance(bodies, list):
            raise Unpatchable("article-versions")
        put_together(compiled, bodies)
        found.update((item.result.article.slug, item.result.article) for item in compiled
                     if item.result.article is not None and item.result.article.slug == slug)
    if found.keys() != slugs:
        raise Unpatchable("article-versions")
    return found


def _violations(last: list[Violation], edits: list[Edit], resolve: Callable[[str], str], cache: Cache,
                shared: dict[str, list[tuple]] | None = None, removed: list[Article] = ()) -> list:
    """Return the last build's SHACL violations with those about the edited articles' nodes (their dreams, the
    dreams' parts and their files: a unit's violations are about its own nodes alone, see
    :func:`dreamgraph.validate.check_units`) and the ``shared`` subjects (stubs and clusters whose triples
    changed: IRI -> their triples) replaced by those of their new triples (each structure's verdict kept in
    the cache, as the whole build keeps them, with the same units: see :func:`dreamgraph.build.validation_units`),
    and those about the ``removed`` articles' nodes taken out."""
    shared = shared or {}
    units = [shared_unit(triples) for _, triples in sorted(shared.items()) if triples]  # (none: a stub written for)
    found = check_units([article_unit(edit.new, resolve) for edit in edits] + units,
                        lambda key: cache.get("shacl", verdict_key(key)),
                        lambda key, violations: cache.put("shacl", verdict_key(key), violations))
    dreams = tuple(str(dream_iri(article.slug)) for article in [*(edit.new for edit in edits), *removed])
    nodes = {str(source_iri(article.path)) for article in [*(edit.new for edit in edits), *removed]}
    nodes.update(subject.strip("<>") for subject in shared)

    def about_an_edit(violation: Violation) -> bool:
        node = violation.focus.strip("<>")
        return node in nodes or node in dreams or node.startswith(tuple(dream + "/" for dream in dreams))

    return sorted({v for v in last if not about_an_edit(v)} | {v for unit in found for v in unit})


def _patched_tables(graph_dir: Path, tables: _Tables, edits: list[Edit], library: Library,
                    written: set[str], stage: Callable[[str], None], changes: _Changes | None = None,
                    articles_of: Callable[[set[str]], dict[str, Article]] | None = None) -> dict[str, object]:
    """Return every table of the read model for the patched library: those an edit that keeps the links
    cannot change carried from the last build, the others made from the last build's with the edited
    articles' parts replaced (each the value the whole build makes: see :func:`dreamgraph.build.kept_tables`).
    ``written`` are the written dreams' slugs after the edits, ``changes`` what they change among the dreams,
    ``articles_of`` reads back other articles from the cache (those that may name a new stub or dream)."""
    last, made = tables.last, tables.made
    changes = changes or _Changes({}, set(), {})
    # first, so the old texts are copied while the rest is made
    made["search"], texts_copied = search_patched(last("search"), library, graph_dir, tables.folder / "search.lower",
                                                  {slug: entry["label"] for slug, entry in
                                                   {**changes.new, **changes.unwritten}.items()},
                                                  changes.nodes_gone)
    copying = [texts_copied]  # each waits until a table's file, written in the background, is complete
    try:
        _patch_the_rest(graph_dir, tables, edits, library, written, stage, copying, changes, articles_of)
    finally:
        for wait in copying:
            wait()
    return made


def _patch_the_rest(graph_dir: Path, tables: _Tables, edits: list[Edit], library: Library, written: set[str],
                    stage: Callable[[str], None], copying: list[Callable[[], None]], changes: _Changes,
                    articles_of: Callable[[set[str]], dict[str, Article]] | None) -> None:
    """Make every table of :func:`_patched_tables` but the search table (adding to ``copying`` what waits
    for a table's file written in the background); ``changes`` and ``articles_of`` as there."""
    last, made = tables.last, tables.made
    changed, gone = set(library.articles), changes.gone
    made["card-parts"], cards_copied = cards_patched(last("card-parts"), library, graph_dir,
                                                     tables.folder / "card-parts.packed", gone)
    copying.append(cards_copied)
    shingled = {edit.new.slug: edit.after.shingles for edit in edits}
    patched = shingles_patched(last("shingles"), shingled, graph_dir, tables.folder / "shingles.hashes", gone)
    if patched is not None:  # first, so the old hashes are copied while the rest is made
        made["shingles"], shingles_copied = patched
        copying.append(shingles_copied)
    relinked = [edit for edit in edits if edit.relinked]
    links_change = bool(relinked or gone)  # the projection's links, the rankings and the gaps with them
    links = _relink(tables, relinked, library, stage, changes, copying) if links_change else tables.last_links()
    versions = {**last("article-versions"), **article_versions(library)}  # (in no order that matters)
    for slug in gone:
        del versions[slug]
    made["article-versions"] = versions
    made["counts"] = counts_patched(last("counts"), [*(edit.old for edit in edits if edit.old), *changes.removed],
                                    [edit.new for edit in edits])
    if "stub-links" not in made:  # with new stubs, made before the graph file was written
        made["stub-links"] = stub_links_patched(last("stub-links"),
                                                [*(edit.old for edit in edits if edit.old), *changes.removed],
                                                [edit.new for edit in edits], library.resolve, written)
    added = [edit.new for edit in edits if edit.added]
    joined, left = _cluster_members(edits, changes)
    if any(article.clusters for article in [*joined, *left]):  # named by others too (_new_dreams, _removable)
        clusters = {slug: dict(entry) for slug, entry in last("clusters").items()}
        for article in left:
            for mention in article.clusters:
                clusters[mention.slug]["sources"] = sorted(set(clusters[mention.slug]["sources"]) - {article.path})
        for article in joined:
            for mention in article.clusters:
                clusters[mention.slug]["sources"] = sorted({*clusters[mention.slug]["sources"], article.path})
        made["clusters"] = clusters
    if patched is None:  # an article's shingles gone or come: the table's dreams change
        made["shingles"] = shingles_from_library(library, shingled, last("shingles"), changed | gone)
    sources = last("mention-sources")
    if not isinstance(sources, dict) or "versions" not in sources:
        raise Unpatchable("mention-sources")
    searched = library  # whose mentions are found again: the edited articles, and those that may name a new dream
    named = bool(changes.new or added or gone or changes.dropped)  # names added or taken away
    if named:
        names, unnamed = _names_patched(tables, changes, added, links)
        kept = finder_without(sources["finder"], made["names"], unnamed).kept() if unnamed else sources["finder"]
        finder, naming = finder_with(kept, names) or MentionFinder(made["names"]), None
        if finder.digest != sources["finder"]["digest"]:  # new names: looked for where the texts may hold them
            naming = new_names(finder, sources, last("search"), last("mentions"))
            if naming is None or articles_of is None:
                raise Unpatchable("search")
            naming = {slug for slug in naming if slug in written}  # a stub's label may hold the name too
            searched = Library({**articles_of(naming - changed), **library.articles}, library.aliases, [])
    linked = {slug: {links.slugs[n] for n in links.successors(links.index[slug])} for slug in searched.articles}
    # with no new name, the last build's finder looks for the same names: the names table is not read
    found, found_sources = mentions_from_library(searched, linked, made.get("names"), *(
        (last("mentions"), sources, False, last("search")) if named else (None, sources, True)),
        **({"finder": finder, "naming": naming} if named else {}))
    made["mentions"], made["mention-sources"] = mentions_patched(last("mentions"), sources, found, found_sources,
                                                                 set(searched.articles), gone)
    made["near-pairs"] = (near_pairs_patched(last, shingled, gone) if patched is not None else
                          near_pairs(made["shingles"], last, versions))
    stage("finding the gaps")
    last_gaps = last("gaps")
    last_text = last("gaps-text")  # with the report it is the text of (mapped: its lines copied if it changes)
    unchanged = [name for name in UNCHANGED if name not in made]
    made["gaps"] = None if links_change else patched_gaps(last_gaps, changed, links, last, made)
    if made["gaps"] is None:  # found again over the links (the possible overlaps, or every kind)
        made.update((name, last(name)) for name in unchanged if not name.startswith("projection"))
        graph = LinkedView(links, None)  # the projection as the gaps read it, without its texts
        ready = (relinked_gaps(last_gaps, {edit.new.slug for edit in relinked} | changes.unwritten.keys(),
                               tables.last_links(), graph, last, made, removed=changes.nodes_gone)
                 if links_change else reused_gaps(last_gaps, last, made))
        around = None
        if links_change:  # a dream's own gaps change with its row and the links into it
            old = tables.last_links()
            reached = {at.slugs[m] for x in {edit.new.slug for edit in relinked} | gone for at in (old, links)
                       if x in at.index for m in at.successors(at.index[x])}
            around = (last_gaps, changed | gone | reached)
        made["gaps"] = find_gaps(Snapshot(tables={**made, "projection": graph}), ready=ready, around=around)
    carried = set(unchanged)
    if made["gaps"] is last_gaps or made["gaps"] == last_gaps:
        carried.update(("gaps", "gaps-text"))
    else:
        made["gaps-text"] = text_table(made["gaps"], last_gaps, last_text)
    for name in ("near-pairs", "counts", "stub-links"):
        if made[name] == last(name):
            carried.add(name)
    made.update((name, Carried(tables.folder)) for name in carried)
    for name in SPLICED_TABLES:  # few rows changed: written as runs over the last build's (see Spliced)
        if name not in carried and name in tables.read and isinstance(made.get(name), (list, dict)):
            made[name] = Spliced(tables.folder, tables.read[name], made[name])


def _relink(tables: _Tables, edits: list[Edit], library: Library, stage: Callable[[str], None],
            changes: _Changes, copying: list[Callable[[], None]]) -> Links:
    """Make the tables the links' changes change (the projection's arrays and changes, the digest of their
    inputs and the rankings, whose betweenness a function added to ``copying`` puts in), each from the last
    build's: the new stubs and the added articles' dreams added (those written for a stub put in its place),
    the changed articles' links put in place of their old ones, the removed articles' dreams taken out with
    their links; return the new arrays, indexed. The projection itself is neither read nor written: its
    changes are kept beside it (see :func:`dreamgraph.snapshot.projection.with_changes`)."""
    last, made = tables.last, tables.made
    new = {slug: stub_node(slug, entry["label"]) for slug, entry in changes.new.items()}
    new.update((edit.new.slug, written_node(edit.new)) for edit in edits if edit.added)  # (no hub: see _new_dreams)
    filled = {slug: new.pop(slug) for slug in changes.filled}
    filled.update((slug, stub_node(slug, entry["label"])) for slug, entry in changes.unwritten.items())  # the other way
    gone = changes.nodes_gone
    relinked = {**{edit.new.slug: transitions_of(edit.new, library.resolve) for edit in edits},
                **dict.fromkeys(changes.gone, [])}
    try:
        made["links"] = links_relinked(last("links"), {slug: [transition[1] for transition in made_]
                                                       for slug, made_ in relinked.items()}, new, filled, gone)
    except KeyError as missing:  # a link to no dream of the last links: the whole rebuild remakes both
        raise Unpatchable("projection") from missing
    except ValueError as linked:  # a link leads to a dream taken out: not the stubs' table's links
        raise Unpatchable("projection") from linked
    made["projection-changes"] = changes_since(last("projection-changes"),
                                               {**new, **filled, **dict.fromkeys(gone)}, relinked)
    made["link-inputs"] = link_inputs_patched(last("link-inputs"), [
        *((edit.new.slug, edit.before and (edit.before.link_digest or link_digest(edit.old)),
           edit.after.link_digest or link_digest(edit.new)) for edit in edits),
        *((article.slug, link_digest(article), None) for article in changes.removed)], *(
        (library.aliases, [(slug, entry["label"]) for slug, entry in made["stub-links"].items()])
        if changes.new or changes.filled or changes.dropped or changes.unwritten else ()))
    links = Links(made["links"])
    if not same_structure(last("links"), made["links"]):  # else the same links in other words: the rankings stand
        stage("ranking the dreams")
        made["rankings"], finish = rankings_aside(links, tables.folder.parent)
        copying.append(finish)  # the betweenness, in the rows before they are written
    return links


def _names_patched(tables: _Tables, changes: _Changes, added: list[Article],
                   links: Links) -> tuple[dict[str, str], dict[str, str]]:
    """Make the tables new stubs and added articles add to and removed ones take away from (their names,
    the dreams' counts, the look-alikes), the links (``links``: indexed), the stub-links and the search table
    having them already; return the names added and those taken away (name -> IRI)."""
    last, made = tables.last, tables.made
    graph = LinkedView(links, None)
    added_names = {}  # no other dream answered to them (see _named_anew)
    for slug, entry in changes.new.items():
        added_names.update(dict.fromkeys(_stub_names(slug, entry["label"]), str(dream_iri(slug))))
    for article in added:
        added_names.update(dict.fromkeys(_article_names(article), str(dream_iri(article.slug))))
    names = last("names")
    added_names = {name: iri for name, iri in added_names.items() if name not in names}  # (a stub's, written for)
    # no other dream answers to a removed dream's names (see _removable)
    for slug, entry in changes.unwritten.items():  # (its names the article's, or no dream's: see _unwritten)
        added_names.update(dict.fromkeys(_stub_names(slug, entry["label"]), str(dream_iri(slug))))
    unnamed = {key: str(dream_iri(article.slug)) for article in changes.removed for key in _article_names(article)
               - (_stub_names(article.slug, changes.unwritten[article.slug]["label"])
                  if article.slug in changes.unwritten else set())}
    unnamed.update((key, str(dream_iri(slug))) for slug in changes.dropped  # (see _own_names)
                   for key in _stub_names(slug, last("stub-links")[slug]["label"]))
    names = dict(names)  # in no order that matters (a full build's is sorted): 336,000 at 100,000 articles
    for name in unnamed:
        names.pop(name, None)
    names.update(added_names)
    made["names"] = names
    counts, removed = made["counts"], changes.removed
    made["counts"] = {**counts, "Dream": counts["Dream"] + len(changes.new) + len(added) - len(changes.filled)
                      - len(changes.nodes_gone),
                      "SourceArticle": counts["SourceArticle"] + len(added) - len(removed),
                      "written dreams": counts["written dreams"] + len(added) - len(removed),
                      "stub dreams": counts["stub dreams"] + len(changes.new) - len(changes.filled)
                      - len(changes.dropped) + len(changes.unwritten),
                      "partial dreams": counts["partial dreams"] + sum(article.partial for article in added)
                      - sum(article.partial for article in removed)}
    foreign = {row["dream"] for row in made["completeness"] if not_in_format(row)}
    targets = lookalike_targets(graph, foreign)
    new = {article.slug for article in added} - foreign
    gone = changes.gone  # (a set made at each call)
    was = {row["dream"] for row in last("completeness") if row["dream"] in gone and not not_in_format(row)}
    # matched with the last build's written dreams (none of the added ones is a stub's look-alike: see patched_build;
    # none of the removed ones a stub's match: see _removable), new stubs with those written now
    cutoff = GapSettings().typo_similarity
    typos = typo_table(sorted({*targets, *was} - new),
                       [stub for stub in made["stub-links"] if stub not in changes.unwritten], cutoff, last("typos"))
    if was and changes.new:
        fresh = typo_table(targets, changes.new, cutoff)["matches"]
        typos["matches"] = {stub: fresh.get(stub, match) for stub, match in typos["matches"].items()}
    if changes.unwritten:  # (matched with the dreams written now: see _unwritten)
        typos["matches"] = dict(sorted({**typos["matches"], **changes.lookalikes}.items()))
    made["typos"] = {**typos, "written": written_digest(targets)}
    return added_names, unnamed
