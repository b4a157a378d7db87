"""The article files of a build: finding them in folders, naming each the same from any working folder,
and the alias table of a graph folder.

>>> printable_path("bad-\\udcff-name.txt")
'bad-\\\\xff-name.txt'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

from .errors import Problem
from .library import ALIAS_FILE
from .pages import is_wxr
from .parse import read_limited
from .slugs import dream_slug, slugify

ARTICLE_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".xhtml"}
EXPORT_SUFFIXES = {".xml"}  # read when the file is a WordPress export (see dreamgraph.pages.is_wxr)


def find_articles(sources: Iterable[str | os.PathLike]) -> tuple[list[Path], list[Problem]]:
    """Return the article files under the given files and folders, sorted, and problems for bad sources.

    Folders are searched recursively for .txt, .md and .markdown files, saved web pages (.html, .htm,
    .xhtml) and WordPress exports (.xml files that are one; a sitemap or feed is passed over); hidden files
    and folders (such as a temporary file left by an editor) are skipped, and symbolic links to folders are
    not followed.
    A symbolic link to a file outside the folder searched is skipped with a warning and never read (a
    committed link must not pull a file from elsewhere on the machine into the graph); a file named on the
    command line is read wherever it points. A folder that cannot be read is an error.
    """
    files, problems = find_article_files(sources)
    return [Path(file) for file in files], problems


def find_article_files(sources: Iterable[str | os.PathLike],
                       folders: list | None = None) -> tuple[list[str], list[Problem]]:
    """Return :func:`find_articles`'s files as text, each as ``str(Path(file))`` would write it, in the
    same order: what a build works with (at 100,000 articles, making, hashing and sorting a Path a file
    took 1.1 s of the 1.3 s the search took). With ``folders`` (a list), each folder searched is added to
    it with its stat (see :func:`folder_stat`) taken before its entries were read, and None when what was
    found depends on more than the folders' entries (a source that is a file, a symbolic link, a possible
    export, a folder that could not be read): see :class:`Listing`.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in ("b.md", "a.txt", ".hidden.txt", "notes.csv"):
    ...     _ = (folder / name).write_text("x")
    >>> [os.path.basename(file) for file in find_article_files([str(folder) + "/"])[0]]
    ['a.txt', 'b.md']
    """
    found: set[str] = set()
    problems: list[Problem] = []

    def unreadable(error: OSError) -> None:
        problems.append(Problem("error", printable_path(error.filename or str(path)), None,
                                f"cannot read the folder: {error.strerror or error}; its articles are left out"))
        if folders is not None:
            folders.append(None)

    wanted = ARTICLE_SUFFIXES | EXPORT_SUFFIXES
    searched: set[str] = set()  # the folders files were found in, and the files named
    for source in sources:
        path = Path(source)
        if path.is_dir():
            top = path.resolve()
            for folder, entry in _files_under(path, unreadable, folders):
                name = entry.name
                dot = name.rfind(".")
                if name.startswith(".") or dot < 0 or name[dot:].lower() not in wanted:
                    continue
                suffix = name[dot:].lower()
                file = folder + name
                if entry.is_symlink() or suffix in EXPORT_SUFFIXES:
                    if folders is not None:
                        folders.append(None)
                    if entry.is_symlink() and not Path(file).resolve().is_relative_to(top):
                        problems.append(Problem("warning", printable_path(file), None,
                                                "a symbolic link to a file outside the folder; skipped, not read"))
                        continue
                    if suffix in EXPORT_SUFFIXES and not _is_export(Path(file)):
                        continue
                found.add(file)
                searched.add(folder)
        elif path.exists() or path.is_symlink():
            found.add(str(path))
            searched.add(str(path))
            if folders is not None:
                folders.append(None)
        else:
            problems.append(Problem("error", printable_path(str(path)), None, "no such file or folder"))
    if len(searched) == 1 and len(found) > 1:  # one folder alone: the names' order is the parts' (0.06 s at 100,000)
        return sorted(found), problems
    return sorted(found, key=_in_parts_order), problems


def _in_parts_order(file: str) -> str | tuple[str, ...]:
    """The sort key of a file found (written as Path writes it) that orders files as their Path's ``parts``
    do: the separators made the lowest character, the root kept a part of its own (at 100,000 files,
    comparing the parts as lists took 0.36 s).

    >>> files = ["b/a.txt", "b.txt", "a b/c.txt", "ab.txt", "/srv/a.txt", "-x.txt"]
    >>> sorted(files, key=_in_parts_order) == sorted(files, key=lambda f: Path(f).parts)
    True
    """
    if os.sep != "/" or os.altsep:  # drives, two separators: Path knows them
        return Path(file).parts
    return "/\0" + file[1:].replace("/", "\0") if file.startswith("/") else file.replace("/", "\0")


def _files_under(folder: Path, onerror, folders: list | None = None) -> Iterable[tuple[str, os.DirEntry]]:
    """Yield (the folder's path as Path writes it, with a separator after it; the entry) for everything but
    folders under ``folder``, not looking into hidden folders or following symbolic links to folders (as
    ``os.walk`` does, but each entry says whether it is a link without another system call: 10,000 calls
    at 10,000 articles); each folder with its :func:`folder_stat` added to ``folders``, when given."""
    stack = [str(folder)]
    while stack:
        here = stack.pop()
        prefix = "" if here == "." else os.path.join(here, "")
        try:
            if folders is not None:
                folders.append((here, folder_stat(here)))
            with os.scandir(here) as entries:
                for entry in entries:
                    try:
                        is_folder = entry.is_dir()
                    except OSError:
                        is_folder = False
                    if not is_folder:
                        yield prefix, entry
                    elif not entry.name.startswith(".") and not entry.is_symlink():
                        stack.append(prefix + entry.name)
        except OSError as error:
            onerror(error)


def folder_stat(folder: str) -> tuple[int, int, int, int]:
    """Return what changes when an entry of a folder is added, removed or renamed: its modification and
    change times, its inode and device."""
    st = os.stat(folder)
    return st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev


class Listing:
    """The article files a build found and their provenance paths (:func:`find_article_files`, then
    :func:`unique_provenance`), kept in the build's cache with the stats of the folders searched: a later
    build finds the same files when no folder changed since, and no file is listed again (at 100,000
    articles in one folder, the search and the provenance paths took 0.5 s of every build; the files'
    own stats are still compared, see :class:`dreamgraph.compile.FileIndex`).

    Only a listing of folders alone is kept (no source named as a file, no symbolic link, no possible
    export, every folder readable), and not when a folder changed within two seconds before the search
    (a change in the same clock tick could keep its times: as the file index does).

    >>> import tempfile
    >>> from dreamgraph.cache import Cache
    >>> top = Path(tempfile.mkdtemp()); (top / "articles").mkdir(); _ = (top / "articles" / "a.txt").write_text("x")
    >>> cache, sources = Cache(top / "cache"), [str(top / "articles")]
    >>> listing = Listing.found(sources, top / "graph", racy_ns=0)
    >>> listing.paths == [str(top / "articles" / "a.txt")], listing.shown
    (True, ['articles/a.txt'])
    >>> listing.keep(cache); kept = Listing.kept(sources, top / "graph", cache); kept.current(), kept.shown
    (True, ['articles/a.txt'])
    >>> _ = (top / "articles" / "b.txt").write_text("y"); kept.current()
    False
    >>> Listing.found(sources, top / "graph", last=kept).shown
    ['articles/a.txt', 'articles/b.txt']
    """

    RACY_NS = 2_000_000_000

    def __init__(self, key: tuple, folders: list | None, paths: list[str], shown: list[str],
                 problems: list[Problem], absolute: list[str]):
        self.key, self.folders = key, folders
        self.paths, self.shown, self.problems, self.absolute = paths, shown, problems, absolute

    @staticmethod
    def _key(sources: Sequence, graph_dir: Path) -> tuple:
        return [os.fspath(source) for source in sources], provenance_context(graph_dir, sources)

    @classmethod
    def found(cls, sources: Sequence, graph_dir: Path, files=None, racy_ns: int | None = None,
              last: Listing | None = None) -> Listing:
        """Return the files under ``sources`` and their provenance paths, found now; ``files`` is the file
        index that knows the last build's provenance paths (see :func:`display_paths`), when there is one,
        and ``last`` the listing the cache keeps for these sources, when a folder changed since: for one
        folder with few files added, the provenance paths of the others are taken from it (at 100,000
        articles, made again they took 0.18 s)."""
        import time

        made = time.time_ns()
        folders: list = []
        paths, problems = find_article_files(sources, folders)
        found = cls._from_last(paths, graph_dir, sources, last) if last is not None else None
        paths, shown, clashes, absolute = found or unique_provenance(
            paths, graph_dir, sources, files.provenance() if files is not None and paths else None)
        racy = made - (cls.RACY_NS if racy_ns is None else racy_ns)
        keepable = (bool(paths) and not problems and None not in folders
                    and all(max(stat[0], stat[1]) < racy for _, stat in folders))
        return cls(cls._key(sources, graph_dir), folders if keepable else None, paths, shown,
                   problems + clashes, absolute)

    @staticmethod
    def _from_last(paths: list[str], graph_dir: Path, sources: Sequence, last: Listing) -> tuple | None:
        """Return :func:`unique_provenance` of ``paths`` with the provenance paths of the files the ``last``
        listing holds taken from it, when it is that of one source folder, without clashes, and few files are
        new; else None. (The last build gave the new files no provenance path: made here.)"""
        if len(sources) != 1 or not os.path.isdir(sources[0]) or last.problems:
            return None
        place = dict(zip(last.paths, range(len(last.paths))))
        at = [place.get(path) for path in paths]
        new = [path for path, n in zip(paths, at) if n is None]
        if len(new) > max(100, len(paths) // 20):
            return None
        made_absolute = absolute_paths(new)
        made = dict(zip(new, zip(display_paths(new, graph_dir, sources, made_absolute), made_absolute)))
        was_shown, was_absolute = last.shown, last.absolute
        shown = [made[path][0] if n is None else was_shown[n] for path, n in zip(paths, at)]
        absolute = [made[path][1] if n is None else was_absolute[n] for path, n in zip(paths, at)]
        if len(set(shown)) != len(shown):  # two files with one provenance path: said as unique_provenance says
            return None
        return paths, shown, [], absolute

    def keep(self, cache) -> None:
        """Keep this listing in ``cache`` for the next build, when it is one that can be kept."""
        if self.folders is not None:
            cache.put("files", "listing", {"key": self.key, "folders": self.folders, "paths": self.paths,
                                           "shown": self.shown, "problems": self.problems,
                                           "absolute": self.absolute})

    @classmethod
    def kept(cls, sources: Sequence, graph_dir: Path, cache) -> Listing | None:
        """Return the listing the cache keeps for these sources and graph folder (see :meth:`current`)."""
        kept = cache.get("files", "listing")
        if not isinstance(kept, dict) or kept.get("key") != cls._key(sources, graph_dir):
            return None
        return cls(kept["key"], kept["folders"], kept["paths"], kept["shown"], kept["problems"], kept["absolute"])

    def current(self) -> bool:
        """Whether no folder this listing searched changed since (each folder's stat the same)."""
        try:
            return self.folders is not None and all(folder_stat(folder) == tuple(stat)
                                                    for folder, stat in self.folders)
        except OSError:
            return False


def _is_export(path: Path) -> bool:
    try:  # never more than the head, and only of a regular file (a named pipe must not block the search)
        return is_wxr(read_limited(path, 4096))
    except OSError:
        return True  # named so that the build says why it cannot be read


def printable_path(path: str) -> str:
    """Return a path as text that can be printed and written to Turtle: bytes of a file name that are not
    UTF-8 are shown as ``\\xff`` escapes.

    >>> printable_path(os.fsdecode(b"bad-\\xff.txt"))
    'bad-\\\\xff.txt'
    """
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def unique_provenance(paths: Sequence[str | os.PathLike], graph_dir: Path, sources: Sequence = (),
                      known: dict[str, str] | None = None) -> tuple[list, list[str], list[Problem], list[str]]:
    """Return the paths whose provenance path is their own, with those provenance paths (see
    :func:`display_paths`; ``known`` as there), an error for each later file that would share one with an
    earlier file (``graph/articles/a.txt`` and ``./articles/a.txt`` built together: two files must never
    become one source node), and the paths kept made absolute."""
    first: dict[str, str | os.PathLike] = {}
    kept, shown_kept, problems, absolute_kept = [], [], [], []
    absolute = absolute_paths(paths)
    for path, shown, whole in zip(paths, display_paths(paths, graph_dir, sources, absolute, known), absolute):
        if shown in first and os.path.abspath(first[shown]) != os.path.abspath(path):
            problems.append(Problem("error", printable_path(str(path)), None,
                                    f"has the same provenance path {shown!r} as {printable_path(str(first[shown]))}; "
                                    "left out (build them from one folder, or rename one)"))
            continue
        first.setdefault(shown, path)
        if first[shown] is path:
            kept.append(path)
            shown_kept.append(shown)
            absolute_kept.append(whole)
    return kept, shown_kept, problems, absolute_kept


def provenance_context(graph_dir: Path, sources: Sequence = ()) -> str:
    """Return what a file's provenance path depends on besides the file (see :func:`display_path`): the
    graph folder, the sources (and whether each is a folder) and the working folder, made absolute. Two
    builds of the same context give a file the same provenance path; "" when the working folder is gone
    (no context: the paths are made again)."""
    try:
        here = os.getcwd()
    except OSError:
        return ""
    return repr((os.path.abspath(graph_dir), [(os.path.abspath(s), os.path.isdir(s)) for s in sources], here))


def display_path(path: Path, graph_dir: Path, sources: Sequence = ()) -> str:
    """Return the path recorded as provenance, the same from any working folder and on any machine:
    relative to the graph folder when the file is inside it, else to the folder that holds the source it
    was found under (``/srv/lib/articles/a.txt`` built from ``/srv/lib/articles`` is ``articles/a.txt``);
    without sources, relative to the working folder."""
    return display_paths([path], graph_dir, sources)[0]


def display_paths(paths: Sequence[str | os.PathLike], graph_dir: Path, sources: Sequence = (),
                  absolute: Sequence[str] | None = None, known: dict[str, str] | None = None) -> list[str]:
    """Return :func:`display_path` of each path (the folders compared with are looked up once); ``absolute``
    are the paths made absolute, when the caller has them, and ``known`` the provenance paths the last build
    gave files in the same :func:`provenance_context` (absolute path -> its provenance path), which stand
    (at 100,000 files, made again they took 0.15 s of every build)."""
    def folder(path) -> str:
        return path.rstrip(os.sep) + os.sep

    graph = folder(os.path.abspath(graph_dir))
    # the folder holding each source folder, the most specific first, so a file's path does not depend on
    # whether a folder above its own is also given; a file given by name is its own name
    bases = sorted({folder(os.path.dirname(os.path.abspath(s))) for s in sources if os.path.isdir(s)},
                   key=lambda b: (-len(b), b))
    named = {os.path.abspath(s): folder(os.path.dirname(os.path.abspath(s))) for s in sources if not os.path.isdir(s)}
    bases = [graph, *bases] if sources else [graph, folder(os.getcwd())]
    shown = []
    known = known or {}
    for path, absolute in zip(paths, absolute_paths(paths) if absolute is None else absolute):
        if absolute in known:
            shown.append(known[absolute])
            continue
        base = next((base for base in bases if absolute.startswith(base)), None)
        if base is None and absolute in named:
            base = named[absolute]
        relative = absolute[len(base):] if base else absolute
        shown.append(printable_path(relative if os.sep == "/" else Path(relative).as_posix()))
    return shown


def absolute_paths(paths: Iterable[str | os.PathLike]) -> list[str]:
    """Return ``os.path.abspath`` of each path, each folder's made absolute once (at 100,000 files, one
    ``abspath`` a file took 0.5 s, and ``os.path.split`` and ``join`` a file 0.3 s).

    >>> absolute_paths(["a/b.txt", "a/c.txt", "/d/../e.txt", "f.txt"]) == [os.path.abspath(p) for p in ("a/b.txt", "a/c.txt", "/e.txt", "f.txt")]
    True
    """
    if os.altsep:  # two separators: os.path knows them
        return [os.path.abspath(path) for path in paths]
    sep = os.sep
    folders: dict[str, str] = {}  # a folder as written -> made absolute, with a separator after it
    found = []
    for path in paths:
        text = os.fspath(path)
        head, found_sep, name = text.rpartition(sep)
        if name in ("", ".", "..") or text.startswith(sep * 2):  # "//" may mean something else
            found.append(os.path.abspath(text))
            continue
        head = head or found_sep  # "": the working folder; "/": the root
        if head not in folders:
            folders[head] = os.path.join(os.path.abspath(head), "")
        found.append(folders[head] + name)
    return found


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
