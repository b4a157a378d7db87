"""Finding the article files of a build: text paths that name, order and count the files as Path did."""

import os
from pathlib import Path

import pytest

from dreamgraph.sources import absolute_paths, find_article_files, find_articles


def _tree(root: Path) -> Path:
    """A library with nested folders, names that sort differently as text and as parts, hidden files and
    folders, a link to a folder and links to files inside and outside it."""
    library = root / "lib"
    for name in ("a.txt", "ab.txt", "-x.md", "a b.md", "b/a.txt", "a/b.txt", "a/z/deep.markdown", "B.TXT",
                 ".hidden.txt", ".git/c.txt", "notes.csv", "page.HTML", "sub/.editor.md.swp", "sub/n.md"):
        (library / name).parent.mkdir(parents=True, exist_ok=True)
        (library / name).write_text("Dream About Falling\n", encoding="utf-8")
    (root / "outside.txt").write_text("x", encoding="utf-8")
    (library / "out.txt").symlink_to(root / "outside.txt")
    (library / "in.txt").symlink_to(library / "a.txt")
    (library / "linked").symlink_to(library / "sub", target_is_directory=True)
    return library


def _as_path_did(sources) -> tuple[list[str], int]:
    """The files and the number of warnings, found with Path as the search once did."""
    found, warnings = set(), 0
    for source in sources:
        path = Path(source)
        if not path.is_dir():
            found.add(path)
            continue
        for folder, folders, names in os.walk(path):
            folders[:] = [f for f in folders if not f.startswith(".")]
            for name in names:
                file = Path(folder) / name
                if name.startswith(".") or file.suffix.lower() not in {".txt", ".md", ".markdown", ".html"}:
                    continue
                if file.is_symlink() and not file.resolve().is_relative_to(path.resolve()):
                    warnings += 1
                    continue
                found.add(file)
    return [str(file) for file in sorted(found, key=lambda file: file.parts)], warnings


@pytest.mark.parametrize("given", [["lib"], ["./lib/"], ["lib//"], ["ABS"], ["lib", "./lib"], ["lib/a", "lib/B.TXT", "lib/a/b.txt"],
                                   ["."], ["lib/a/../b"]])
def test_the_files_found_are_named_and_ordered_as_their_paths(tmp_path, monkeypatch, given):
    library = _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    sources = [str(library) if source == "ABS" else source for source in given]
    files, problems = find_article_files(sources)
    expected, warnings = _as_path_did(sources)
    assert files == expected
    assert [p.message for p in problems] == ["a symbolic link to a file outside the folder; skipped, not read"] * warnings
    assert find_articles(sources)[0] == [Path(file) for file in files]
    assert "lib/.git/c.txt" not in files and not any("linked" in file for file in files)


def test_absolute_paths_are_those_of_os_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    paths = ["a.txt", "./a.txt", "a//b.txt", "a/b/../c.txt", "../up.txt", "/srv/x.txt", "/x.txt", "//y.txt", ".",
             "..", "a/", "a/.", Path("p/q.md"), "a/b.txt", "a/c.txt"]
    assert absolute_paths(paths) == [os.path.abspath(path) for path in paths]


def test_the_provenance_paths_a_build_remembers_stand_only_where_they_would_be_made_the_same(tmp_path, monkeypatch):
    """A build keeps the provenance path it gave each file with the stats of the files (FileIndex), and the
    next build of the same graph folder, sources and working folder takes them from there; built from
    another working folder or other sources, the paths are made again: the graph file is a clean build's
    each time."""
    import shutil

    from helpers import SEED
    from dreamgraph.build import build
    from dreamgraph.cache import CACHE_DIR, Cache
    from dreamgraph.compile import FileIndex
    from dreamgraph.parse import Limits
    from dreamgraph.sources import provenance_context
    from dreamgraph.store import GRAPH_FILE

    library = tmp_path / "lib" / "articles"
    library.mkdir(parents=True)
    shutil.copy(SEED, library / "seed.txt")
    graph, clean = tmp_path / "graph", tmp_path / "clean"
    for sources, cwd in (([library], tmp_path), ([library], tmp_path), ([library.parent], tmp_path),
                         ([Path("articles")], library.parent), ([Path("seed.txt")], library),
                         ([library / "seed.txt"], tmp_path)):
        monkeypatch.chdir(cwd)
        build(sources, graph, force=True)
        shutil.rmtree(clean, ignore_errors=True)
        build(sources, clean)
        assert (graph / GRAPH_FILE).read_bytes() == (clean / GRAPH_FILE).read_bytes(), (sources, cwd)

    def remembered(sources) -> dict | None:
        return FileIndex(Cache(graph / CACHE_DIR), repr(Limits()), provenance_context(graph, sources)).provenance()

    monkeypatch.chdir(tmp_path)
    assert remembered([library]) is None  # the last build's was another context's
    build([library], graph, force=True)
    assert remembered([library]) == {str(library / "seed.txt"): "articles/seed.txt"}
    assert remembered([library.parent]) is None


def test_a_build_lists_the_folders_again_only_when_one_of_them_changed(tmp_path, monkeypatch):
    """The files found and their provenance paths are kept with the stats of the folders searched
    (Listing): a build after edits to the files' texts alone takes them from there, and one after a file
    was added, taken out or renamed, or a folder added, searches again; the graph is a clean build's each
    time."""
    import shutil

    import dreamgraph.sources as sources_module
    from helpers import FIXTURES
    from dreamgraph.build import build
    from dreamgraph.sources import Listing
    from dreamgraph.store import GRAPH_FILE

    monkeypatch.setattr(Listing, "RACY_NS", 0)  # the folders here all changed within the last seconds
    library, graph = tmp_path / "articles", tmp_path / "graph"
    shutil.copytree(FIXTURES / "gaps", library)
    searches, made = [], []
    real, real_provenance = sources_module.find_article_files, sources_module.unique_provenance
    monkeypatch.setattr(sources_module, "find_article_files",
                        lambda *args, **kwargs: searches.append(1) or real(*args, **kwargs))
    monkeypatch.setattr(sources_module, "unique_provenance",
                        lambda *args, **kwargs: made.append(1) or real_provenance(*args, **kwargs))

    def build_and_compare(searched: bool) -> None:
        searches.clear()
        made.clear()
        report = build([library], graph)
        assert bool(searches) == searched, report.store
        assert not made  # the provenance paths of the files listed before taken from the listing
        shutil.rmtree(tmp_path / "clean", ignore_errors=True)
        build([library], tmp_path / "clean")
        assert (graph / GRAPH_FILE).read_bytes() == (tmp_path / "clean" / GRAPH_FILE).read_bytes()

    build([library], graph)  # the first: every provenance path made
    build_and_compare(False)  # nothing changed
    flying = library / "flying.txt"
    flying.write_text(flying.read_text(encoding="utf-8").replace("\n", "\n\n", 1), encoding="utf-8")
    build_and_compare(False)  # a text edited in place: the same files
    shutil.copy(library / "flying.txt", library / "soaring.txt")
    (library / "soaring.txt").write_text((library / "soaring.txt").read_text(encoding="utf-8").replace(
        "Flying", "Soaring"), encoding="utf-8")
    build_and_compare(True)  # a file added
    build_and_compare(False)
    (library / "soaring.txt").rename(library / "gliding.txt")
    build_and_compare(True)  # renamed
    (library / "more").mkdir()
    (library / "gliding.txt").rename(library / "more" / "gliding.txt")
    build_and_compare(True)  # moved into a new folder
    build_and_compare(False)
    (library / "more" / "gliding.txt").unlink()
    build_and_compare(True)  # taken out of the folder below
    build([library / "flying.txt"], tmp_path / "one")
    searches.clear()
    assert build([library / "flying.txt"], tmp_path / "one").store == "unchanged" and searches  # a file named: searched


def test_files_found_in_a_folder_and_named_are_in_the_order_of_their_paths_parts(tmp_path, monkeypatch):
    """A folder's files alone are sorted by name; with a file named beside them, as Path's parts sort."""
    from dreamgraph.sources import find_article_files

    monkeypatch.chdir(tmp_path)
    (tmp_path / "a b").mkdir()
    (tmp_path / "a").mkdir()
    for path in ("a b/y.txt", "a b/x.txt", "a/x.txt"):
        (tmp_path / path).write_text("x", encoding="utf-8")
    for sources in (["a b"], ["a b", "a/x.txt"], ["a/x.txt", "a b"], ["a b", "a"]):
        found, _ = find_article_files(sources)
        assert found == sorted(found, key=lambda f: Path(f).parts), sources
