"""The build pipeline: find articles, parse them, resolve identities, write the graph, validate it.

>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "a.txt").write_text("Dream About Falling: The Drop\\nNext Stages\\n- If you land → dream about landing meaning — when it ends\\n")
>>> report = build([folder], folder / "graph")
>>> (report.articles, report.dreams, report.stubs, report.ok)
(1, 2, 1, True)
"""

from __future__ import annotations

import hashlib
import os
import pickle
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Callable, Iterable, Sequence

from filelock import FileLock, Timeout

from .article import Article
from .errors import DreamgraphError, Problem
from .parse import Limits, ParseResult, parse_file
from .slugs import dream_name, dream_slug, slugify
from .store import GRAPH_FILE, LOCK_FILE, STORE_DIR, atomic_write, load_store_folder
from .triples import (TURTLE_PREFIXES, A, Triple, article_triples, scheme_triples, stub_triples,
                      turtle_blocks)
from .triples import T as TERMS
from .validate import Unit, Violation, check_units, ontology_text, shapes_text
from .vocabulary import cluster_iri

ARTICLE_SUFFIXES = {".txt", ".md", ".markdown"}
CACHE_DIR = ".cache"
DREAM, CLUSTER, NEXT_STAGE, IN_CLUSTER = TERMS["Dream"], TERMS["Cluster"], TERMS["nextStage"], TERMS["belongsToCluster"]
MEMBER = "<http://www.w3.org/2004/02/skos/core#member>"
CLUSTER_SUBJECT = "<" + str(cluster_iri(""))
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
    absolute = os.path.abspath(path)
    for base in (os.path.abspath(graph_dir), os.getcwd()):
        if absolute.startswith(base.rstrip(os.sep) + os.sep):
            return Path(os.path.relpath(absolute, base)).as_posix()
    return Path(absolute).as_posix()


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


def _code_version() -> str:
    """Return a fingerprint of the parser's code and the shapes, so caches from older code are not reused."""
    from importlib import resources

    digest = hashlib.sha256()
    for name in ("parse.py", "article.py", "slugs.py", "triples.py", "vocabulary.py", "data/shapes.ttl"):
        digest.update(resources.files("dreamgraph").joinpath(name).read_bytes())
    return digest.hexdigest()[:16]


class Cache:
    """Per-article results kept between builds in GRAPH_DIR/.cache, keyed by a hash of what they depend on.

    An entry that cannot be read (a crash while writing it, an older format) is simply a miss.
    """

    def __init__(self, folder: Path | None):
        self.folder, self.used = folder, set()
        self.version = _code_version()

    def key(self, *parts: str | bytes) -> str:
        digest = hashlib.sha256(self.version.encode())
        for part in parts:
            digest.update(part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        return digest.hexdigest()

    def get(self, kind: str, key: str):
        if self.folder is None:
            return None
        path = self.folder / kind / f"{key}.pickle"
        try:
            with open(path, "rb") as handle:
                value = pickle.load(handle)
        except Exception:
            return None
        self.used.add(path)
        return value

    def put(self, kind: str, key: str, value) -> None:
        if self.folder is None:
            return
        path = self.folder / kind / f"{key}.pickle"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        self.used.add(path)

    def prune(self) -> None:
        """Remove the entries this build did not use (articles removed or changed), in the kinds it used
        (a build with --no-validate keeps the SHACL results for the next one)."""
        if self.folder is None or not self.folder.is_dir():
            return
        kinds = {path.parent.name for path in self.used}
        for path in self.folder.glob("*/*"):
            if path.parent.name in kinds and path not in self.used:
                path.unlink(missing_ok=True)


def _parse_one(args) -> ParseResult:
    path, shown, limits = args
    return parse_file(path, shown, limits)


def parse_all(paths: Sequence[Path], graph_dir: Path, limits: Limits,
              progress: Callable[[int, int], None] | None = None, cache: Cache | None = None) -> list[ParseResult]:
    """Return the parse of every file: from the cache when its bytes did not change, else parsed again,
    in parallel across the machine's cores when there are many."""
    cache = cache or Cache(None)
    shown = [display_path(p, graph_dir) for p in paths]
    results: list[ParseResult | None] = [None] * len(paths)
    keys, todo = [], []
    for index, path in enumerate(paths):
        try:
            data = path.read_bytes() if path.stat().st_size <= limits.max_bytes else b"<too large>"
        except OSError:
            data = b"<unreadable>"
        key = cache.key(data, shown[index], repr(limits))
        keys.append(key)
        results[index] = cache.get("parse", key)
        if results[index] is None:
            todo.append(index)
    done = len(paths) - len(todo)
    workers = min(os.cpu_count() or 1, 8)
    jobs = [(paths[i], shown[i], limits) for i in todo]
    if len(todo) >= PARALLEL_THRESHOLD and workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            parsed = pool.map(_parse_one, jobs, chunksize=64)
            for index, result in zip(todo, parsed):
                results[index] = result
                done += 1
                if progress:
                    progress(done, len(paths))
    else:
        for index, job in zip(todo, jobs):
            results[index] = _parse_one(job)
            done += 1
            if progress:
                progress(done, len(paths))
    for index in todo:
        if not any(p.message.startswith("cannot read") for p in results[index].problems):
            cache.put("parse", keys[index], results[index])
    return results  # type: ignore[return-value]


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


@dataclass
class LibraryTriples:
    """The triples of a library: per written article, for the stubs, and the links to each stub."""

    articles: dict[str, list[Triple]]                      # slug -> that article's triples
    stubs: list[Triple]
    links: dict[str, list[tuple[str, int, str]]]           # stub slug -> (path, line, link text)

    def keys(self, cache: "Cache") -> dict[str, str]:
        """Return a cache key per article, from its triples: equal keys mean equal triples."""
        return {slug: cache.key(*("\t".join(t) for t in unit)) for slug, unit in self.articles.items()}

    def turtle(self, keys: dict[str, str], cache: "Cache") -> bytes:
        """Return the library as Turtle: the scheme, each article's blocks (sorted by slug, cached), then
        the clusters (named by several articles) and the stubs. The same triples always give the same bytes."""
        parts = [TURTLE_PREFIXES, turtle_blocks(scheme_triples())]
        shared: list[Triple] = []
        for slug in sorted(self.articles):
            unit = self.articles[slug]
            text = cache.get("turtle", keys[slug])
            if text is None:
                text = turtle_blocks(t for t in unit if not t[0].startswith(CLUSTER_SUBJECT))
                cache.put("turtle", keys[slug], text)
            parts.append(text)
            shared.extend(t for t in unit if t[0].startswith(CLUSTER_SUBJECT))
        parts += [turtle_blocks(shared), turtle_blocks(self.stubs)]
        return "".join(parts).encode("utf-8")


def library_triples(library: Library) -> LibraryTriples:
    """Return all triples of the library and, per stub slug, the (path, line, link text) linking to it."""
    per_article: dict[str, list[Triple]] = {}
    links: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    for slug in sorted(library.articles):
        article = library.articles[slug]
        per_article[slug] = article_triples(article, article.path, library.resolve)
        for stage in article.next_stages:
            target = library.resolve(stage.target_slug)
            if target == slug:
                library.problems.append(Problem("warning", article.path, stage.line,
                                                "next stage points at its own dream (a loop of one)"))
            if target not in library.articles:
                links[target].append((article.path, stage.line, stage.target))
    stubs: list[Triple] = []
    for stub in sorted(links):
        references = sorted(links[stub])
        stubs.extend(stub_triples(stub, dream_name(references[0][2]), sorted({p for p, _, _ in references})))
    return LibraryTriples(per_article, stubs, links)


def validation_units(triples: LibraryTriples) -> list[Unit]:
    """Return the units the SHACL check looks at one by one: each article (without the clusters it names),
    each cluster, each stub and the scheme, each with the types of the nodes it links to as context."""
    units: list[Unit] = []
    clusters: dict[str, set[Triple]] = defaultdict(set)
    for slug in sorted(triples.articles):
        own, context = [], []
        for triple in triples.articles[slug]:
            if triple[0].startswith(CLUSTER_SUBJECT):
                clusters[triple[0]].add(triple)
                continue
            own.append(triple)
            if triple[1] == NEXT_STAGE:
                context.append((triple[2], A, DREAM))
            elif triple[1] == IN_CLUSTER:
                context.append((triple[2], A, CLUSTER))
        units.append((own, context))
    for cluster in sorted(clusters):
        own = sorted(clusters[cluster])
        units.append((own, [(o, A, DREAM) for _, p, o in own if p == MEMBER]))
    for _, stub in groupby(triples.stubs, key=itemgetter(0)):
        units.append((list(stub), []))
    units.append((scheme_triples(), []))
    return units


def validate_triples(triples: LibraryTriples, cache: Cache) -> list[Violation]:
    """Return the SHACL violations of the library (see :func:`dreamgraph.validate.check_units`); the result
    of each structure is kept in the cache, so a rebuild only checks structures it has not seen."""
    found = check_units(validation_units(triples), lambda key: cache.get("shacl", key),
                        lambda key, violations: cache.put("shacl", key, violations))
    return sorted({v for unit in found for v in unit})


def suggest_aliases(library: Library, links: dict[str, list[tuple[str, int, str]]]) -> None:
    """Add a warning for every link to an unwritten dream whose slug closely resembles a written one: a
    near spelling (rapidfuzz ratio of 85 or more), or the same words with more or fewer ("losing-control"
    and "losing-control-in-a-dream").

    So that this stays fast in a large library, a stub is only compared with the written slugs that share
    one of its two longest words (a slip of the pen changes one word, not both), or, when it has fewer than
    two long words, its first four letters.
    """
    from rapidfuzz import fuzz, process

    by_word: dict[str, set[str]] = defaultdict(set)
    by_start: dict[str, set[str]] = defaultdict(set)
    for slug in library.articles:
        for word in slug.split("-"):
            by_word[word].add(slug)
        by_start[slug[:4]].add(slug)
    for stub in sorted(links):
        words = set(stub.split("-"))
        longest = sorted((w for w in words if len(w) >= 4), key=lambda w: (-len(w), w))[:2]
        near = set().union(*(by_word.get(w, ()) for w in longest))
        if len(longest) < 2:
            near |= by_start.get(stub[:4], set())
        match = process.extractOne(stub, sorted(near), scorer=fuzz.ratio, score_cutoff=85)
        if match is None:
            postings = sorted((by_word.get(w, set()) for w in words), key=len)
            wider = postings[0].intersection(*postings[1:]) - {stub}
            wider |= {slug for slug in near if set(slug.split("-")) <= words}
            match = (min(wider),) if wider else None
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


def remove_leftovers(graph_dir: Path) -> None:
    """Remove temporary files and store folders left by a build that was killed (we hold the lock, so no
    live process owns them)."""
    import shutil

    for path in list(graph_dir.glob(".*.tmp")) + list(graph_dir.glob(f"{STORE_DIR}.old")):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _build_locked(sources, graph_dir: Path, limits: Limits, validate: bool, progress, started: float) -> BuildReport:
    remove_leftovers(graph_dir)
    paths, problems = find_articles(sources)
    if not paths:
        where = ", ".join(str(s) for s in sources) or "(nothing)"
        raise DreamgraphError(f"no articles (.txt, .md) found in {where}")
    cache = Cache(graph_dir / CACHE_DIR)
    aliases, alias_problems = read_alias_table(graph_dir)
    results = parse_all(paths, graph_dir, limits, progress, cache)
    library = assemble(results, aliases)
    library.problems[:0] = problems + alias_problems
    if not library.articles:
        raise DreamgraphError("no article could be built:\n" + "\n".join(str(p) for p in sorted(
            set(library.problems), key=lambda p: (p.path, p.line or 0))))
    triples = library_triples(library)
    suggest_aliases(library, triples.links)

    graph_file = graph_dir / GRAPH_FILE
    keys = triples.keys(cache)
    atomic_write(graph_file, triples.turtle(keys, cache))
    for name, content in (("ontology.ttl", ontology_text()), ("shapes.ttl", shapes_text())):
        target = graph_dir / name
        if not target.is_file() or target.read_text(encoding="utf-8") != content:
            atomic_write(target, content.encode("utf-8"))
    triple_count = load_store_folder(graph_file, graph_dir / STORE_DIR)

    report = BuildReport(
        articles=len(library.articles), stubs=len(triples.links), graph_file=graph_file,
        dreams=len(library.articles) + len(triples.links),
        clusters=len({c.slug for a in library.articles.values() for c in a.clusters}),
        triples=triple_count,
        problems=sorted(set(library.problems), key=lambda p: (p.path, p.line or 0, p.severity, p.message)),
    )
    if validate:
        report.violations = validate_triples(triples, cache)
    cache.prune()
    report.seconds = time.perf_counter() - started
    return report
