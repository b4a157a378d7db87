"""The build pipeline: find articles, parse them, resolve identities, write the graph, validate it.

>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "a.txt").write_text("Dream About Falling: The Drop\\nNext Stages\\n- If you land → dream about landing meaning — when it ends\\n")
>>> report = build([folder], folder / "graph")
>>> (report.articles, report.dreams, report.stubs, report.ok)
(1, 2, 1, True)
"""

from __future__ import annotations

import os
import time
from functools import partial
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Callable, Sequence

from filelock import FileLock, Timeout

from .cache import CACHE_DIR, Cache
from .centrality import rankings
from .compile import FileIndex, article_parts, article_unit, compile_all, file_keys, shared_unit
from .errors import DreamgraphError, FolderLockedError
from .files import Child, atomic_write, in_background, leave_for_exit, paused_gc
from .gaps import GapSettings, find_gaps, lookalike_targets, near_pairs, not_in_format, reused_gaps, typo_table
from .graphfolder import (RETIRED, BuildReport, Inputs, Spool, build_inputs, graph_pieces, graph_turtle,
                          keep_report, last_graph_file, last_report, last_tail, no_stage, read_manifest, refresh_store,
                          shared_set, shared_turtle, streamed_fix, unchanged_report)
from .library import Library, Shared, alias_suggestion, assemble, shared_triples
from .parse import Limits
from .patch import patched_build
from .keptreport import text_table
from .snapshot import Snapshot, make_tables_apart
from .snapshot.projection import Links, same_structure
from .snapshot.texts import SPILLED
from .sources import Listing, provenance_context, read_alias_table
from .store import (GRAPH_FILE, LOCK_FILE, STORE_DIR, Carried, StreamedLoad, TablesInMemory, kept_in_folder,
                    kept_is_current, retired_folders)
from .triples import own_triples, scheme_triples
from .validate import Unit, Violation, check_units, ontology_text, shapes_text, verdict_key


def validation_units(library: Library, shared: Shared) -> list[Unit | Callable[[], Unit]]:
    """Return the units the SHACL check looks at one by one: each article (as a function that makes it),
    each cluster, each stub and the scheme, each with the types of the nodes it links to as context."""
    units: list[Unit | Callable[[], Unit]] = [partial(article_unit, library.articles[slug], library.resolve)
                                              for slug in sorted(library.articles)]
    units.extend(shared_unit(list(own)) for triples in (shared.clusters, shared.stubs)
                 for _, own in groupby(triples, key=itemgetter(0)))
    units.append((scheme_triples(), []))
    return units


def validate_library(library: Library, parts: dict[str, tuple[tuple, str]], shared: Shared,
                     cache: Cache) -> list[Violation]:
    """Return the SHACL violations of the library (see :func:`dreamgraph.validate.check_units`); the result
    of each structure is kept in the cache, so a build only checks structures it has not seen."""
    units = validation_units(library, shared)
    keys = [parts[slug][1] for slug in sorted(library.articles)]
    found = check_units(units, lambda key: cache.get("shacl", verdict_key(key)),
                        lambda key, violations: cache.put("shacl", verdict_key(key), violations),
                        keys=keys + [None] * (len(units) - len(keys)))
    return sorted({v for unit in found for v in unit})


ASIDE_THRESHOLD = 1000  # below this many articles, a child process for the mentions and cards costs more than it saves

STAGES = ("finding the articles", "reading the articles", "putting the library together",
          "writing the graph and loading the store", "writing the graph and updating the store",
          "checking the shapes", "making the read model", "comparing the articles' texts", "ranking the dreams",
          "finding the gaps", "writing the read model", "finishing the store", "tidying the cache")


def suggest_aliases(library: Library, links: dict[str, list[tuple[str, int, str]]], table: dict) -> None:
    """Add a warning for every link to an unwritten dream whose slug closely resembles a written one in
    the article format (``table``: see :func:`dreamgraph.gaps.typo_table`): a page from another site is not
    taken for the dream a link means on the strength of its title alone."""
    for stub in sorted(links):
        match = table["matches"].get(stub)
        if match:
            library.problems.extend(alias_suggestion(stub, match[0], path, line, text)
                                    for path, line, text in sorted(links[stub]))


def kept_tables(library: Library, shared: Shared, shingled: dict | None = None,
                previous: Path | None = None, linked: dict[str, bytes] | None = None,
                spill: Path | None = None, stage: Callable[[str], None] = no_stage,
                aside: bool = False) -> dict[str, object]:
    """Return every table of the read model (see :mod:`dreamgraph.snapshot`), with the results of the
    analyses a reader wants at once: the gap report with the default settings (1.1 s at 10,000 articles,
    11 s at 100,000; its kinds made from the projection alone taken from the last report when the projection
    is the last one's, and its files when it is the last report) and the rankings, both made while the
    store loads. ``previous`` is the store folder of the last build, from whose tables the search index,
    mentions, look-alikes, near-duplicate pairs and rankings are brought up to date rather than made again,
    and the link tables taken when their inputs did not change (``linked``: the articles' link digests the
    workers made, see :func:`make_tables`); the tables taken as they were are
    :class:`~dreamgraph.store.Carried` in the result, their files copied rather than pickled again. The
    search texts are written to a file in ``spill`` as made, when given (see :func:`make_tables`).
    ``shingled`` (the articles' shingles the workers made) is emptied once the shingle table is made.

    With ``aside`` (and ``spill``), the mentions are found and the cards made (see :func:`make_tables_apart`)
    in a child process while this one makes the other tables, compares the articles' texts and ranks the
    dreams: once the store was loaded, the build had the second core idle for most of its read model (at
    100,000 articles, a minute). Only for articles whose texts are in memory (a child must not read the
    cache through this process's connection to it)."""
    read_twice: dict[str, object] = {}  # small tables two of the makers below read: read once

    def last(name: str):
        if name in READ_TWICE:
            if name not in read_twice:
                read_twice[name] = kept_in_folder(previous, name) if previous else None
            return read_twice[name]
        return kept_in_folder(previous, name) if previous else None

    carried: set[str] = set()  # the tables taken from the last build as they were
    stage("making the read model")
    children: list[Child] = []

    def start(work: Callable[[], dict]) -> Callable[[], dict]:
        children.append(Child(work, spill))
        return children[-1].result

    try:
        tables, mentioned = make_tables_apart(library, shared, shingled, last, carried, linked, spill,
                                              start if aside and spill is not None else None)
        tables.update(_other_tables(tables, shingled, last, carried, stage))
        tables.update(mentioned())
    finally:
        for child in children:
            child.cancel()  # when this process failed first
    last_gaps = last("gaps") if "projection" in carried else None
    ready = reused_gaps(last_gaps, last, tables) if last_gaps is not None else {}
    read_twice.clear()  # nothing below reads the last build's small tables again
    stage("finding the gaps")
    tables["gaps"] = find_gaps(Snapshot(tables=tables), ready=ready)  # which reads the rankings' PageRank
    if last_gaps is not None and tables["gaps"] == last_gaps:  # the same report: its file and text stand
        carried.update(("gaps", "gaps-text"))
    else:
        tables["gaps-text"] = text_table(tables["gaps"])
    tables.update((name, Carried(previous)) for name in carried)
    return tables


def _other_tables(tables: dict[str, object], shingled: dict | None, last: Callable[[str], object],
                  carried: set[str], stage: Callable[[str], None]) -> dict[str, object]:
    """Return the look-alikes, the near-duplicate pairs and the rankings (see :func:`kept_tables`)."""
    if shingled:  # laid end to end in the shingle table now: the articles' own arrays (144 MB at 100,000) go
        shingled.clear()
    foreign = {e["dream"] for e in tables["completeness"] if not_in_format(e)}
    made: dict[str, object] = {"typos": typo_table(lookalike_targets(tables["projection"], foreign),
                                                   tables["stub-links"], GapSettings().typo_similarity, last("typos"))}
    stage("comparing the articles' texts")
    made["near-pairs"] = near_pairs(tables["shingles"], last, tables["article-versions"])
    # carried links are the last build's by their inputs: its rankings then stand without comparing them
    made["rankings"] = last("rankings") if "links" in carried else reused_rankings(tables["links"], last)
    if made["rankings"] is not None:
        carried.add("rankings")
    else:
        stage("ranking the dreams")
        made["rankings"] = rankings(Links(tables["links"]))
    return made


READ_TWICE = ("article-versions", "mentions", "near-pairs")  # small: the large ones are read again, not held


def reused_rankings(links: dict, last: Callable[[str], object]) -> list[dict] | None:
    """Return the last build's rankings (``last`` returns a table it kept, or None) when its dreams, their
    labels and kinds, and the links between them are this build's (the rankings are a function of these
    alone: an edit to an article's texts changes none of them), else None (0.2 s at 10,000 articles, 1.1 s
    at 100,000 made again)."""
    old = last("links")
    return last("rankings") if old is not None and same_structure(old, links) else None


def build(sources: Sequence[str | os.PathLike], graph_dir: str | os.PathLike, *, limits: Limits = Limits(),
          validate: bool = True, progress: Callable[[int, int], None] | None = None,
          lock_timeout: float = 0, stage: Callable[[str], None] | None = None, force: bool = False,
          memory: TablesInMemory | None = None) -> BuildReport:
    """Build the graph folder from article files and folders; return what was built and what went wrong.

    Writes ``dreamgraph.ttl`` (atomically), the ontology and shapes beside it, and the embedded store.
    Only one build runs per graph folder: a second one waits ``lock_timeout`` seconds, then refuses.
    ``progress(done, total)`` is told of the article files read; ``stage(what)`` of each step as it begins
    (see :data:`STAGES`): after the files are read, a large library's build has a minute or more to go.

    When nothing the graph depends on changed since the last build (the article files, by their bytes, the
    alias table, the limits, ``validate``, dreamgraph's code and the shapes and ontology it ships: see
    :func:`build_inputs`) and the graph folder is as that build left it,
    the build writes nothing and returns that build's report, with ``store`` "unchanged"; ``force`` builds
    again all the same (from the cache: see :func:`compile_all`). ``memory``, for a process that builds again
    and again (:mod:`dreamgraph.watch`), keeps the tables a rebuild read for the next one.
    """
    started = time.perf_counter()
    graph_dir = Path(graph_dir)
    graph_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(graph_dir / LOCK_FILE))
    try:
        lock.acquire(timeout=lock_timeout)
    except Timeout:
        raise FolderLockedError(
            f"{graph_dir} is locked by another dreamgraph build; wait for it to finish (or pass --wait SECONDS)"
        ) from None
    try:
        removing = remove_leftovers(graph_dir)
        try:
            with paused_gc():  # a build makes millions of small objects and frees them by reference counting
                return _build_locked(sources, graph_dir, limits, validate, progress, started, stage or no_stage,
                                     force, memory)
        finally:
            removing()
    finally:
        if memory is not None:
            memory.end_of_build()
        lock.release()


def remove_leftovers(graph_dir: Path) -> Callable[[], None]:
    """Remove temporary files and store folders left by a build that was killed, and the store folders the
    last builds replaced (see :func:`dreamgraph.store.retired_folders`): we hold the lock, so no live
    process writes them. The folders, and the graph files the last builds replaced, are removed in a thread
    of its own, while the build goes on: returns what waits until they are."""
    import shutil

    older = [p for p in (graph_dir / CACHE_DIR).glob("*") if not p.name.startswith(Cache.FILE)]  # older versions
    folders = {*retired_folders(graph_dir / STORE_DIR)}
    retired = []  # the graph files the last builds replaced, removed with the folders (see graphfolder._retire)
    for path in [*graph_dir.glob(".*.tmp"), *older]:
        if path.is_dir():
            folders.add(path)
        elif path.name.endswith(f".{RETIRED}.tmp"):
            retired.append(path)
        else:  # at once: the cache may make a file of the same name (its fresh start, say)
            path.unlink(missing_ok=True)

    def remove() -> None:
        for path in retired:
            path.unlink(missing_ok=True)
        for path in sorted(folders):
            shutil.rmtree(path, ignore_errors=True)

    return in_background(remove)


def _build_locked(sources, graph_dir: Path, limits: Limits, validate: bool, progress, started: float,
                  stage: Callable[[str], None], force: bool = False,
                  memory: TablesInMemory | None = None) -> BuildReport:
    stage("finding the articles")
    cache = Cache(graph_dir / CACHE_DIR)
    try:
        cached, context = (graph_dir / CACHE_DIR / Cache.FILE).is_file(), provenance_context(graph_dir, sources)
        # the index of the files the last build read, with the provenance path it gave each (see FileIndex)
        files = FileIndex(cache, repr(limits), context) if cached else None
        listing = last = Listing.kept(sources, graph_dir, cache) if cached else None
        if listing is None or not listing.current():  # a folder changed since: searched again
            listing = Listing.found(sources, graph_dir, files, last=last)
            listing.keep(cache)
        paths, shown, problems, absolute = listing.paths, listing.shown, list(listing.problems), listing.absolute
        if paths and files is None:
            files = FileIndex(cache, repr(limits), context)
        if not paths:
            cache.close()
            if problems:
                raise DreamgraphError("no articles to build:\n" + "\n".join(str(p) for p in problems))
            where = ", ".join(str(s) for s in sources) or "(nothing)"
            raise DreamgraphError(f"no articles (.txt, .md) found in {where}")
        aliases, alias_problems = read_alias_table(graph_dir)
        for name, content in (("ontology.ttl", ontology_text()), ("shapes.ttl", shapes_text())):
            target = graph_dir / name
            if not target.is_file() or target.read_text(encoding="utf-8") != content:
                atomic_write(target, content.encode("utf-8"))

        def inputs_of(keys: Sequence[str]) -> Inputs:  # this build's inputs with the files' keys (see build_inputs)
            return build_inputs(keys, shown, aliases, problems + alias_problems, limits, validate)

        # with nothing kept of any file (a first build, or the first after an upgrade), no file is read here: the
        # workers make each file's key from the bytes they parse, and nothing is there to compare or patch; but a
        # folder whose last build had these settings (its cache removed, say) may be up to date: keyed here first
        fresh = not cache.holds("article")
        kept = last_report(graph_dir)  # (read once: 0.1 s at 100,000 articles)
        if fresh and kept is not None:
            fresh = kept.get("settings") != inputs_of(()).settings
        keyed = file_keys(paths, shown, limits, cache, files, absolute, read=not fresh)
        if not fresh:
            inputs = inputs_of(keyed[0])
            unchanged = None if force else unchanged_report(graph_dir, inputs, kept)
            if unchanged is not None:
                if keyed[1].read:  # files whose stat alone could not answer: known by it next time
                    keyed[1].keep()
                cache.close()
                unchanged.seconds = time.perf_counter() - started
                return unchanged
            patched = None if force else patched_build(graph_dir, paths, inputs, keyed[1], cache, limits, validate,
                                                       started, stage, memory, kept)
            if patched is not None:  # a few articles' texts edited: their parts put in place of the old ones
                leave_for_exit(paths, shown, absolute, keyed, inputs)  # (a list or a dict an article each)
                return patched
        del kept  # (its problems: 100 MB at 100,000 articles, not held through a whole build)
        manifest = read_manifest(graph_dir / STORE_DIR)  # what the store holds: the build holds the lock
        last = last_graph_file(graph_dir, manifest)
        # the last build's tables are brought up to date, reading the texts of the changed articles alone, when
        # its articles were read with these limits (an article's version is its file's: read with other limits,
        # its parts may differ)
        previous = graph_dir / STORE_DIR if manifest is not None and manifest.get("limits") == repr(limits) else None
        texts_later = previous is not None and kept_is_current(previous, "article-versions")
        # with no store to change and nothing kept, the store is loaded from the Turtle as the workers make it
        # (see StreamedLoad), not once every article is read; with nothing kept but a store there, as soon as
        # the first articles show its Turtle changed (an upgrade that changed it: the store is loaded again)
        spool = None
        try:
            spool = Spool(graph_dir, last[0] if last else None, bool(manifest and manifest.get("graph-cached")))
            if fresh and manifest is None:
                spool.stream_to(StreamedLoad(graph_dir / STORE_DIR))
            elif fresh:
                spool.stream_unless_kept(set(manifest["articles"].values()), graph_dir / STORE_DIR)
            stage("reading the articles")
            compiled = compile_all(paths, graph_dir, limits, progress, cache, spool, sources, shown, texts_later,
                                   keyed)
            if fresh:  # the keys are all known now
                inputs = inputs_of(keyed[0])
            stage("putting the library together")
            library = assemble([item.result for item in compiled], aliases)
            library.problems[:0] = problems + alias_problems
            if not library.articles:
                raise DreamgraphError("no article could be built:\n" + "\n".join(str(p) for p in sorted(
                    set(library.problems), key=lambda p: (p.path, p.line or 0))))
            parts = article_parts(library, compiled, spool, cache, last[1] if last else None)
            as_parsed = [item for item in compiled  # the articles whose slug no alias changed
                         if item.slug in library.articles and library.articles[item.slug] is item.result.article]
            shingled = {item.slug: item.shingles for item in as_parsed}
            linked = {item.slug: item.link_digest for item in as_parsed if item.link_digest}
            del compiled, as_parsed
            shared = shared_triples(library)
            violations: list = []

            def while_the_store_loads() -> dict[str, object]:
                if validate:
                    stage("checking the shapes")
                    violations.extend(validate_library(library, parts, shared, cache))
                tables = kept_tables(library, shared, shingled, previous, linked, spill=graph_dir, stage=stage,
                                     aside=len(library.articles) >= ASIDE_THRESHOLD and not texts_later)
                suggest_aliases(library, shared.links, tables["typos"])  # only warnings
                return tables

            graph_file = graph_dir / GRAPH_FILE
            shared_now = shared_set(shared)
            # the clusters' and stubs' blocks are copied from the last graph file when they are the same
            tail = (last and shared_now == manifest["shared"] and last_tail(*last, manifest)) or shared_turtle(shared)
            slugs = sorted(library.articles)
            streamed = None
            stream = spool.stream
            if stream is not None:
                stream.feed(tail if isinstance(tail, bytes) else spool.read(tail))
                stream.end()
                streamed = (stream, streamed_fix(spool, {slug: parts[slug][0] for slug in slugs}, tail,
                                                 {slug: article.path for slug, article in library.articles.items()}))
            triple_count, store_refresh = refresh_store(
                graph_file, graph_turtle(slugs, parts, tail, spool), graph_pieces(slugs, parts, tail),
                graph_dir / STORE_DIR,
                {slug: parts[slug][0][2] for slug in library.articles}, shared_now,
                lambda slug: own_triples(library.articles[slug], library.articles[slug].path, library.resolve),
                while_the_store_loads, manifest, repr(limits), stage, library.aliases, streamed)
        finally:
            if spool is not None:
                if spool.stream is not None:  # a build that failed: its load ended, its folder removed (once in
                    spool.stream.abort()      # place, kept)
                spool.close()
            for spilled in graph_dir.glob(f".{SPILLED}.*.tmp"):  # linked into the store folder, or not needed
                spilled.unlink(missing_ok=True)
        report = BuildReport(
            articles=len(library.articles), stubs=len(shared.links), graph_file=graph_file,
            dreams=len(library.articles) + len(shared.links),
            clusters=len({c.slug for a in library.articles.values() for c in a.clusters}),
            triples=triple_count, store=store_refresh,
            problems=sorted(set(library.problems), key=lambda p: (p.path, p.line or 0, p.severity, p.message)),
        )
        report.violations = violations
        stage("tidying the cache")
        cache.prune()
        cache.close()
        keep_report(graph_dir, inputs, report, validate)
        leave_for_exit(library, parts, shared, shingled)
        report.seconds = time.perf_counter() - started
        return report
    except BaseException:
        cache.close()  # each entry kept is whole: the next build (in this process too) reads the cache
        raise
