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
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from filelock import FileLock, Timeout

from .article import Article
from .errors import DreamgraphError, Problem
from .parse import Limits, ParseResult, parse_file
from .slugs import dream_name, dream_slug, slugify
from .store import GRAPH_FILE, LOCK_FILE, STORE_DIR, atomic_write, load_store_folder
from .triples import article_triples, scheme_triples, stub_triples, to_turtle
from .validate import Violation, ontology_text, shapes_text

ARTICLE_SUFFIXES = {".txt", ".md", ".markdown"}
ALIAS_FILE = "aliases.toml"
PARALLEL_THRESHOLD = 400  # below this many files, starting worker processes costs more than it saves


@dataclass
class BuildReport:
    """What a build did: counts, the problems found per article, and SHACL violations."""

    articles: int = 0
    dreams: int = 0
    stubs: int = 0
    clusters: int = 0
    triples: int = 0
    seconds: float = 0.0
    graph_file: Path | None = None
    problems: list[Problem] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return True when nothing was dropped and the graph conforms to the shapes."""
        return not self.violations and not any(p.severity == "error" for p in self.problems)


def find_articles(sources: Iterable[str | os.PathLike]) -> tuple[list[Path], list[Problem]]:
    """Return the article files under the given files and folders, sorted, and problems for bad sources.

    Folders are searched recursively for .txt, .md and .markdown files; hidden files and folders
    (such as a temporary file left by an editor) are skipped, and symbolic links to folders are not followed.
    """
    found: set[Path] = set()
    problems: list[Problem] = []
    for source in sources:
        path = Path(source)
        if path.is_file():
            found.add(path)
        elif path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.update(Path(root) / f for f in files
                             if not f.startswith(".") and Path(f).suffix.lower() in ARTICLE_SUFFIXES)
        else:
            problems.append(Problem("error", str(path), None, "no such file or folder"))
    return sorted(found), problems


def display_path(path: Path, graph_dir: Path) -> str:
    """Return the path recorded as provenance: relative to the graph folder when inside it, else to the cwd."""
    absolute = path.resolve()
    for base in (graph_dir.resolve(), Path.cwd().resolve()):
        try:
            return absolute.relative_to(base).as_posix()
        except ValueError:
            continue
    return absolute.as_posix()


def read_alias_table(graph_dir: Path) -> tuple[dict[str, str], list[Problem]]:
    """Return the alias table of a graph folder (alias slug -> dream slug) from ``aliases.toml``.

    Each entry maps a link text, title or slug to the slug of the article it means::

        "dream about losing control meaning" = "losing-control-in-a-dream"
    """
    path = graph_dir / ALIAS_FILE
    if not path.is_file():
        return {}, []
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        return {}, [Problem("error", str(path), None, f"alias table not read: {exc}")]
    table = table.get("aliases", table)
    aliases, problems = {}, []
    for alias, slug in sorted(table.items()):
        if not isinstance(slug, str) or not slug.strip():
            problems.append(Problem("error", str(path), None, f"alias {alias!r} must map to a dream slug (text)"))
            continue
        aliases[dream_slug(alias)] = slugify(slug)
    return aliases, problems


def parse_all(paths: Sequence[Path], graph_dir: Path, limits: Limits,
              progress: Callable[[int, int], None] | None = None) -> list[ParseResult]:
    """Return the parse of every file, in parallel across the machine's cores when there are many."""
    shown = [display_path(p, graph_dir) for p in paths]
    results: list[ParseResult] = []
    workers = min(os.cpu_count() or 1, 8)
    if len(paths) >= PARALLEL_THRESHOLD and workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            for result in pool.map(parse_file, paths, shown, [limits] * len(paths), chunksize=64):
                results.append(result)
                if progress:
                    progress(len(results), len(paths))
    else:
        for path, display in zip(paths, shown):
            results.append(parse_file(path, display, limits))
            if progress:
                progress(len(results), len(paths))
    return results


@dataclass
class Library:
    """The written articles of a build, with the identity rules applied."""

    articles: dict[str, Article]          # slug -> article
    aliases: dict[str, str]               # alias slug -> dream slug
    problems: list[Problem]

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
    for slug, target in sorted(aliases.items()):
        if target not in articles:
            problems.append(Problem("warning", ALIAS_FILE, None,
                                    f"alias {slug!r} points to {target!r}, which has no article"))
    return library


def library_triples(library: Library) -> tuple[list[tuple], dict[str, list[tuple[str, int, str]]]]:
    """Return all triples of the library and, per stub slug, the (path, line, link text) linking to it."""
    triples = scheme_triples()
    links: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    for slug in sorted(library.articles):
        article = library.articles[slug]
        triples.extend(article_triples(article, article.path, library.resolve))
        for stage in article.next_stages:
            target = library.resolve(stage.target_slug)
            if target == slug:
                library.problems.append(Problem("warning", article.path, stage.line,
                                                "next stage points at its own dream (a loop of one)"))
            if target not in library.articles:
                links[target].append((article.path, stage.line, stage.target))
    for stub in sorted(links):
        references = sorted(links[stub])
        triples.extend(stub_triples(stub, dream_name(references[0][2]), sorted({p for p, _, _ in references})))
    return triples, links


def suggest_aliases(library: Library, links: dict[str, list[tuple[str, int, str]]]) -> None:
    """Add a warning for every link to an unwritten dream whose slug closely resembles a written one."""
    from rapidfuzz import fuzz, process

    written = sorted(library.articles)
    for stub in sorted(links):
        match = process.extractOne(stub, written, scorer=fuzz.ratio, score_cutoff=85)
        if match is None:
            match = process.extractOne(stub.replace("-", " "), written, scorer=fuzz.token_set_ratio,
                                       processor=lambda s: s.replace("-", " "), score_cutoff=100)
        if match:
            for path, line, text in sorted(links[stub]):
                library.problems.append(Problem(
                    "warning", path, line,
                    f"{dream_name(text)!r} looks like {match[0]!r}: add an alias? "
                    f"(in {ALIAS_FILE}: \"{stub}\" = \"{match[0]}\")"))


def build(sources: Sequence[str | os.PathLike], graph_dir: str | os.PathLike, *, limits: Limits = Limits(),
          validate: bool = True, progress: Callable[[int, int], None] | None = None,
          lock_timeout: float = 0) -> BuildReport:
    """Build the graph folder from article files and folders; return what was built and what went wrong.

    Writes ``dreamgraph.ttl`` (atomically), the ontology and shapes beside it, and the embedded store.
    Only one build runs per graph folder: a second one waits ``lock_timeout`` seconds, then refuses.
    """
    started = time.perf_counter()
    graph_dir = Path(graph_dir)
    graph_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(graph_dir / LOCK_FILE))
    try:
        lock.acquire(timeout=lock_timeout)
    except Timeout:
        raise DreamgraphError(
            f"{graph_dir} is locked by another dreamgraph build; wait for it to finish (or pass --wait SECONDS)"
        ) from None
    try:
        return _build_locked(sources, graph_dir, limits, validate, progress, started)
    finally:
        lock.release()


def _build_locked(sources, graph_dir: Path, limits: Limits, validate: bool, progress, started: float) -> BuildReport:
    paths, problems = find_articles(sources)
    if not paths:
        where = ", ".join(str(s) for s in sources) or "(nothing)"
        raise DreamgraphError(f"no articles (.txt, .md) found in {where}")
    aliases, alias_problems = read_alias_table(graph_dir)
    results = parse_all(paths, graph_dir, limits, progress)
    library = assemble(results, aliases)
    library.problems[:0] = problems + alias_problems
    if not library.articles:
        raise DreamgraphError("no article could be built:\n" + "\n".join(str(p) for p in sorted(
            set(library.problems), key=lambda p: (p.path, p.line or 0))))
    triples, links = library_triples(library)
    suggest_aliases(library, links)

    graph_file = graph_dir / GRAPH_FILE
    atomic_write(graph_file, to_turtle(triples))
    for name, text in (("ontology.ttl", ontology_text()), ("shapes.ttl", shapes_text())):
        target = graph_dir / name
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            atomic_write(target, text.encode("utf-8"))
    load_store_folder(graph_file, graph_dir / STORE_DIR)

    report = BuildReport(
        articles=len(library.articles), stubs=len(links), graph_file=graph_file,
        dreams=len(library.articles) + len(links),
        clusters=len({c.slug for a in library.articles.values() for c in a.clusters}),
        triples=len(set(triples)),
        problems=sorted(set(library.problems), key=lambda p: (p.path, p.line or 0, p.severity, p.message)),
    )
    if validate:
        from rdflib import Graph

        from .validate import check

        graph = Graph()
        graph.addN((s, p, o, graph) for s, p, o in triples)
        report.violations = check(graph)
    report.seconds = time.perf_counter() - started
    return report
