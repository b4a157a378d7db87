"""Tables of the articles' texts: the shingles near-duplicates are judged on, and the search index.

>>> len(shingles("The ground holds. The ground holds."))   # the ground holds, ground holds the, holds the ground
3
"""

from __future__ import annotations

import hashlib
import re
import zlib
from bisect import bisect, bisect_left
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Container, Iterable

from ..article import Article
from ..files import PastCache, splice, spliced, temporary_file
from ..library import Library
from ..query import named_query
from ..store import Store
from ..vocabulary import dream_iri, slug_of

if TYPE_CHECKING:  # networkx is loaded by the first graph made, not by every command
    import networkx as nx

# --- shingles of the texts near-duplicates are judged on ----------------------------------------------

_WORD = re.compile(r"[a-z0-9']+")
_MIX = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F)  # two large odd constants: word order matters


def similarity_text(article: Article) -> str | None:
    """Return one article's text its near-duplicates are judged on: its Quick Answer items and its scenarios
    with their meanings, sorted and joined; None when it has none of those parts."""
    parts = ([item.text for item in article.quick_answer] + [s.label for s in article.scenarios]
             + [s.meaning for s in article.scenarios])
    return " ".join(sorted(parts)) if parts else None


def similarity_texts_from_library(library: Library) -> dict[str, str]:
    """Return :func:`similarity_text` of every written dream that has one."""
    texts = {slug: similarity_text(article) for slug, article in library.articles.items()}
    return {slug: text for slug, text in texts.items() if text is not None}


def similarity_texts_from_store(store: Store) -> dict[str, str]:
    """Return the same texts asked of the graph (``article-texts.rq``)."""
    texts: dict[str, list[str]] = defaultdict(list)
    for row in store.select(named_query("article-texts").text):
        texts[slug_of(row["dream"])].append(row["text"])
    return {slug: " ".join(sorted(parts)) for slug, parts in texts.items()}


def shingles(text: str):
    """Return the distinct three-word shingles of a text as sorted 64-bit hashes, the same in every process
    (so the build's workers can make them): each word's CRC-32, combined three at a time."""
    import numpy as np

    words = _WORD.findall(text.lower().replace("’", "'"))
    if len(words) < 3:
        return np.empty(0, dtype=np.uint64)
    hashed = np.fromiter(map(zlib.crc32, map(str.encode, words)), dtype=np.uint64, count=len(words))
    found = np.sort(hashed[:-2] * _MIX[0] + hashed[1:-1] * _MIX[1] + hashed[2:])  # arithmetic modulo 2**64
    # projection.distinct's work, written here: the per-file work runs only modules the cache's version holds
    return found[np.concatenate(([True], found[1:] != found[:-1]))]  # (np.unique loads numpy.ma: 5 ms a build)


def shingle_table(texts: dict[str, str], known: dict | None = None) -> dict[str, object]:
    """Return the shingle table of ``texts`` (see :func:`shingle_arrays`); ``known`` shingles (slug -> array)
    are used rather than made again."""
    import numpy as np

    slugs = sorted(texts)
    arrays = [known[slug] if known and slug in known else shingles(texts[slug]) for slug in slugs]
    hashes = np.concatenate(arrays) if arrays else np.empty(0, dtype=np.uint64)
    return _shingle_table(slugs, hashes, np.array([len(a) for a in arrays], dtype=np.int64))


def _shingle_table(slugs: list[str], hashes, sizes) -> dict[str, object]:
    return {"slugs": slugs, "hashes": memoryview(hashes.astype("<u8", copy=False)).cast("B"), "sizes": sizes}


def shingle_arrays(table: dict) -> tuple[list[str], object, object]:
    """Return (slugs, hashes, sizes) of a shingle table: its dreams (sorted), all their shingles one dream
    after another (64-bit hashes) and how many each has. The table holds the hashes' bytes, which a build
    keeps in a file of their own and a reader maps (at 100,000 articles 144 MB: see
    :func:`dreamgraph.store.derived_files`): the array is read where they are.

    >>> import numpy as np
    >>> slugs, hashes, sizes = shingle_arrays(shingle_table({"b": "one two three four", "a": "x y"}))
    >>> slugs, hashes.dtype.name, sizes.tolist()
    (['a', 'b'], 'uint64', [0, 2])
    """
    import numpy as np

    hashes = table["hashes"]
    return table["slugs"], np.frombuffer(hashes.read_bytes() if isinstance(hashes, Path) else hashes, dtype="<u8"), \
        np.asarray(table["sizes"], dtype=np.int64)


def shingles_from_library(library: Library, known: dict | None = None, last: dict | None = None,
                          changed: set[str] | None = None) -> dict[str, object]:
    """Return the shingle table of the library (``known``: the shingles the build's workers made, None for
    an article without the parts compared; the texts of only the others are made). Given the ``last``
    build's table and the dreams whose articles ``changed`` since (added and removed ones included), the
    other dreams' shingles are copied from it a run at a time (at 100,000 articles, 18 million shingles:
    joined from 100,000 arrays, the table took 1.2 s).

    >>> from dreamgraph.library import assemble
    >>> from dreamgraph.parse import parse_text
    >>> text = "Dream About Falling: The Drop\\nQuick Answer\\n- The floor gives way under you at night.\\n"
    >>> library = assemble([parse_text(text, "a.txt")], {})
    >>> table = shingles_from_library(library)
    >>> slugs, hashes, sizes = shingle_arrays(table)
    >>> slugs, int(sizes[0]), bool((shingle_arrays(shingles_from_library(library, None, table, set()))[1] == hashes).all())
    (['falling'], 6, True)
    """
    if last is not None and changed is not None:
        return _patched_shingles(library, known, last, changed)
    if known is None:
        return shingle_table(similarity_texts_from_library(library))
    texts: dict[str, str] = {}
    for slug, article in library.articles.items():
        if slug not in known:
            text = similarity_text(article)
            article.let_go()
            if text is not None:
                texts[slug] = text
        elif known[slug] is not None:
            texts[slug] = ""  # its shingles are known: its text is not needed
    return shingle_table(texts, known)


def _patched_shingles(library: Library, known: dict | None, last: dict, changed: set[str]) -> dict[str, object]:
    """The shingle table of :func:`shingles_from_library` made from the ``last`` one: the unchanged dreams'
    shingles copied in runs between the changed ones (a few slices, whatever the library's size), the
    changed ones' made and put in their places by slug."""
    import numpy as np

    old_slugs, old_hashes, old_sizes = shingle_arrays(last)
    old_starts = np.concatenate([[0], np.cumsum(old_sizes)])
    old_index = {slug: n for n, slug in enumerate(old_slugs)}
    # (place in the old table, 0: a dream's new shingles go before it, or 1: the old dream there is left out)
    events = sorted([(old_index[slug], 1, slug) for slug in changed if slug in old_index]
                    + [(bisect_left(old_slugs, slug), 0, slug) for slug in changed if slug in library.articles])
    slugs: list[str] = []
    arrays, sizes = [], []
    at = 0  # the next dream of the old table to copy

    def copy_to(end: int) -> None:
        if end > at:
            slugs.extend(old_slugs[at:end])
            arrays.append(old_hashes[old_starts[at]:old_starts[end]])
            sizes.append(old_sizes[at:end])

    for place, left_out, slug in events:
        copy_to(place)
        at = max(at, place + left_out)
        if left_out:
            continue
        found = known.get(slug, False) if known is not None else False
        if found is False:  # not made by a worker: made from its text
            text = similarity_text(library.articles[slug])
            library.articles[slug].let_go()
            found = None if text is None else shingles(text)
        if found is not None:
            slugs.append(slug)
            arrays.append(found)
            sizes.append(np.array([len(found)], dtype=np.int64))
    copy_to(len(old_slugs))
    hashes = np.concatenate(arrays) if arrays else np.empty(0, dtype=np.uint64)
    return _shingle_table(slugs, hashes, np.concatenate(sizes).astype(np.int64) if sizes else np.empty(0, dtype=np.int64))


def shingles_patched(last: dict, made: dict[str, object], spill: Path, hashes_file: Path,
                     removed: Iterable[str] = ()) -> tuple[dict[str, object], Callable[[], None]] | None:
    """Return the ``last`` build's shingle table with the shingles of a few of its dreams replaced by those
    ``made`` (slug -> array, or None for an article without the parts compared; a patch's edited or added
    articles, see :mod:`dreamgraph.patch`), new dreams' put in their places, those of the dreams
    ``removed`` (no longer written) taken out, and what waits until the
    table's hashes are all in place: they go to a new file in ``spill``, the unchanged dreams' copied from
    the last table's file, ``hashes_file``, in a thread of their own (see :func:`search_patched`; made in
    memory, the 144 MB of 100,000 articles took 1.2-1.6 s). None when a dream of the last table has no
    shingles now (the table's dreams would lose one)."""
    import numpy as np

    slugs, _, old_sizes = shingle_arrays(last)
    index = {slug: n for n, slug in enumerate(slugs)}
    if any(array is None and slug in index for slug, array in made.items()):
        return None
    made = {slug: array for slug, array in made.items() if array is not None}
    starts = np.concatenate([[0], np.cumsum(old_sizes)]) * 8  # in bytes
    # (place in the old table, 0: a new dream's shingles go before the old one there, or 1: they replace it,
    # or it is left out)
    events = sorted([(index[slug], 1, slug) for slug in made if slug in index]
                    + [(bisect_left(slugs, slug), 0, slug) for slug in made if slug not in index]
                    + [(index[slug], 1, slug) for slug in removed if slug in index])
    now: list[str] = []
    sizes: list = []
    runs, texts, at = [], [], 0
    for place, replaced, slug in events:
        runs.append((int(starts[at]), int(starts[place])))
        now.extend(slugs[at:place])
        sizes.append(old_sizes[at:place])
        if slug in made:
            sizes.append(np.array([len(made[slug])], dtype=np.int64))
            now.append(slug)
            texts.append(np.asarray(made[slug]).astype("<u8", copy=False).tobytes())
        else:
            texts.append(b"")
        at = place + replaced
    runs.append((int(starts[at]), int(starts[-1])))
    now.extend(slugs[at:])
    sizes.append(old_sizes[at:])
    path, wait = spliced(runs, texts, spill, SPILLED, hashes_file)
    return {"slugs": now, "hashes": path, "sizes": np.concatenate(sizes).astype(np.int64)}, wait


def shingles_from_store(store: Store) -> dict[str, object]:
    """Return the shingle table of the texts asked of the graph."""
    return shingle_table(similarity_texts_from_store(store))


# --- the search index ------------------------------------------------------------------------------

# What the shipped search query scans: the texts of these predicates, on dreams and on the parts linked
# to them, by kind (queries/search.rq). A part's IRI is its dream's, then its kind and its position.
SEARCHED = ("http://www.w3.org/2000/01/rdf-schema#label",
            *(f"https://w3id.org/dreamgraph/ontology#{name}"
              for name in ("title", "subtitle", "intro", "coreSentence", "meaning", "answer", "text", "condition",
                           "gloss")))
SEARCH_KINDS = ("dream", "quick answer", "scenario", "sensation", "question", "section", "next stage", "answer")
SEARCH_BATCH = 50_000
PART_KINDS = (None, "quick-answer", "scenario", "sensation", "question", "section", "next-stage", "question")
COLUMN_TYPES = ("int32", "int8", "int32", "int8")  # of the entries' dream, kind, position and predicate
SPILLED = "kept-part"  # a table's part written to a file as made (the search texts, the shingles): .kept-part.*.tmp


def search_from_library(library: Library, graph: nx.DiGraph, last: dict | None = None,
                        article_versions: dict[str, str] | None = None, spill: Path | None = None) -> dict[str, object]:
    """Return every text the shipped ``search`` query scans, lower-cased and laid end to end in one
    ``lower`` byte string (a bytearray as made; entry i is ``lower[starts[i]:starts[i + 1]]``), with each
    entry's ``dream`` (an index into ``dreams``, which are in the order of their IRIs), ``kind`` (into
    SEARCH_KINDS), ``position`` (of the part; 0 for the dream itself) and ``predicate`` (into SEARCHED).
    :func:`dreamgraph.answers.search` finds the words in it and reads the matching texts from the store.
    A graph with nothing kept has no index: the query itself answers.

    ``versions`` says which version of each dream's article (or stub label) the entries come from, a line
    each (bytes: a file of its own, which readers do not unpickle). Given the ``last`` build's table, the
    entries of the dreams that did not change are copied from it (4.4 million entries at 100,000 articles
    take 8 s to make again); ``article_versions`` are the written dreams' versions when made already (see
    :func:`dreamgraph.snapshot.articles.article_versions`, which gives the same).

    With ``spill`` (a folder), ``lower`` is written to a new file there as it is made, and the table holds
    that file's Path (a build links it into the store folder; the caller removes it): at 100,000 articles the
    texts are 490 MB that a bytearray held until the build's end, at its peak of memory."""
    import numpy as np

    dreams = sorted(graph.nodes, key=lambda slug: graph.nodes[slug]["iri"])  # the query's order
    made = article_versions or {}
    versions = [made.get(slug) or _version(library.articles.get(slug), graph.nodes[slug]["label"]) for slug in dreams]
    old = last if last is not None and "versions" in last else None
    if old is not None:
        old = {**old, "versions": bytes(old["versions"]).decode("utf-8", "surrogatepass").split("\n")}
        old_index = {slug: n for n, slug in enumerate(old["dreams"])}
        bounds = np.searchsorted(old["dream"], np.arange(len(old["dreams"]) + 1))  # each dream's entries
        old_lengths = np.diff(old["starts"])
    put, finish = _texts_out(spill)  # laid out as made: a list joined at the end held the texts twice (490 MB at 100,000)
    lengths: list = []
    columns: list[list] = [[], [], [], []]  # dream, kind, position, predicate: arrays, or lists of numbers
    values: list[str] = []
    places: tuple[list[int], ...] = ([], [], [], [])  # the dream, kind, position and predicate of each new value

    def flush() -> None:
        lowered, sizes = lowered_texts(values)
        put(lowered)
        lengths.append(sizes)
        for column, made, dtype in zip(columns, places, COLUMN_TYPES):  # held in their final types: 4.4 million
            column.append(np.array(made, dtype=dtype))                  # entries at 100,000 articles
            made.clear()
        values.clear()

    def copy(run: list[int]) -> None:
        """Copy the entries of a run of old dreams that follow one another (new indices from ``run[0]``)."""
        flush()
        first_old, count = old_index[dreams[run[0]]], len(run)
        first, end = int(bounds[first_old]), int(bounds[first_old + count])
        put(memoryview(old["lower"])[int(old["starts"][first]):int(old["starts"][end])])
        lengths.append(old_lengths[first:end])
        shift = run[0] - first_old  # the run's dreams moved by as many places as dreams came or went before it
        columns[0].append((old["dream"][first:end].astype(np.int64) + shift).astype(COLUMN_TYPES[0]))
        for column, name in zip(columns[1:], ("kind", "position", "predicate")):
            column.append(old[name][first:end])

    run: list[int] = []
    for index, slug in enumerate(dreams):
        n = old_index.get(slug) if old is not None else None
        if n is not None and old["versions"][n] == versions[index]:
            if run and n != old_index[dreams[run[-1]]] + 1:
                copy(run)
                run = []
            run.append(index)
            continue
        if run:
            copy(run)
            run = []
        article = library.articles.get(slug)
        if article is None:  # a stub: its label only
            values.append(graph.nodes[slug]["label"])
            for column, value in zip(places, (index, 0, 0, 0)):
                column.append(value)
            continue
        entries = _entries(article)
        if entries:
            kinds, positions, predicates, texts = zip(*entries)
            for column, made in zip(places, ([index] * len(entries), kinds, positions, predicates)):
                column.extend(made)
            values.extend(texts)
        article.let_go()
        if len(values) >= SEARCH_BATCH:  # laid out a batch at a time: 4.4 million texts at once took 1.5 GB
            flush()
    if run:
        copy(run)
    flush()
    lower = finish()
    starts = np.zeros(sum(len(part) for part in lengths) + 1, dtype=np.int64)
    np.cumsum(np.concatenate(lengths), out=starts[1:])
    dream, kind, position, predicate = (np.concatenate(column).astype(dtype, copy=False)
                                        for column, dtype in zip(columns, COLUMN_TYPES))
    return {"dreams": dreams, "labels": [graph.nodes[slug]["label"] for slug in dreams], "lower": lower,
            "starts": starts, "dream": dream, "kind": kind, "position": position, "predicate": predicate,
            "versions": "\n".join(versions).encode("utf-8", "surrogatepass")}


def lowered_texts(texts: list[str]) -> tuple[bytes, object]:
    """Return ``texts`` lower-cased and encoded (UTF-8), laid end to end, and the length of each in bytes: all
    lower-cased and encoded at once, joined by NUL characters, which lower-casing leaves as they are and
    which end a word as the ends of a text do (a final sigma stays final), and found again to measure each
    (done one by one, with their places as tuples, the search table of 10,000 articles took 1.15-1.35 s,
    against 1.0 s). Texts holding a NUL are done one by one.

    >>> lowered, lengths = lowered_texts(["ΟΔΟΣ", "Ünder", "İ"])
    >>> lowered.decode(), lengths.tolist()
    ('οδοςünderi̇', [8, 6, 3])
    """
    import numpy as np

    joined = "\0".join(texts)
    if joined.count("\0") != max(len(texts) - 1, 0):
        lowered = [text.lower().encode("utf-8", "surrogatepass") for text in texts]
        return b"".join(lowered), np.fromiter(map(len, lowered), dtype=np.int64, count=len(lowered))
    encoded = joined.lower().encode("utf-8", "surrogatepass")
    ends = np.flatnonzero(np.frombuffer(encoded, dtype=np.uint8) == 0)  # the NULs between the texts
    bounds = np.concatenate([[-1], ends, [len(encoded)]]) if texts else np.zeros(1, dtype=np.int64)
    return encoded.replace(b"\0", b""), np.diff(bounds) - 1


def _texts_out(spill: Path | None) -> tuple[Callable[[bytes | memoryview], None], Callable[[], bytearray | Path]]:
    """Return (put, finish) for a search table's texts laid out as made: in a bytearray, or with ``spill`` (a
    folder) in a new file there, written past the page cache (see :class:`dreamgraph.files.PastCache`);
    ``finish`` returns the bytearray or the file's Path."""
    if spill is None:
        lower = bytearray()
        return lower.extend, lambda: lower
    handle, path = temporary_file(spill, SPILLED)
    writer = PastCache(handle.fileno())

    def finish() -> Path:
        writer.finish()
        handle.close()
        return path

    return writer.write, finish


def search_patched(last: dict, library: Library, spill: Path | None = None,
                   texts_file: Path | None = None, stubs: dict[str, str] | None = None,
                   removed: Iterable[str] = ()) -> tuple[dict[str, object], Callable[[], None]]:
    """Return the ``last`` build's search table (see :func:`search_from_library`) with the entries of the
    dreams of ``library`` made again from their articles, each still the dream it was, with the same
    label (see :mod:`dreamgraph.patch`), or a dream written anew (for a stub, in its place), those of new
    ``stubs`` (slug -> label) put in their places (the new dreams' in theirs; a dream no longer written
    has its stub's), and those of the dreams ``removed`` (no dream now) taken out: the
    other entries' texts and columns are copied a run at a time between them, and their places shifted,
    without going through every dream (at 100,000 articles, made through every dream, the table took
    2.1-2.7 s). ``spill`` as there.

    Returns the table and what waits until its texts are all in place: with both ``spill`` and
    ``texts_file`` (the file of the last table's texts), the old texts are copied from that file in a
    thread of their own, inside the kernel where it can (see :func:`dreamgraph.files.copy_ranges`), while the
    caller does other work (at 100,000 articles they are 490 MB: copied in this thread, past the page
    cache, 1.6-1.9 s of a patch); the table's file must not be read or linked before it returns."""
    import numpy as np

    stubs = stubs or {}
    old_dreams, versions = last["dreams"], bytes(last["versions"]).decode("utf-8", "surrogatepass").split("\n")
    dreams, labels = list(old_dreams), list(last["labels"])
    # (place among the old dreams, slug, whether a new dream): an edited dream replaces its entries, a new
    # stub's or dream's go before those of the old dream it precedes in IRI order
    places = {slug: n for n, slug in enumerate(old_dreams)}
    edited = [slug for slug in [*library.articles, *stubs] if slug in places]  # (a stub in a dream's place: unwritten)
    gone = set(removed)
    changed = sorted([(places[slug], slug, False) for slug in [*edited, *gone]]
                     + [(bisect(old_dreams, str(dream_iri(slug)), key=lambda old: str(dream_iri(old))), slug, True)
                        for slug in [*(stubs.keys() - places.keys()), *(library.articles.keys() - set(edited))]],
                     key=lambda item: (item[0], not item[2], str(dream_iri(item[1]))))
    bounds = np.searchsorted(last["dream"], [i for index, _, new in changed for i in (index, index + (not new))])
    starts, columns = last["starts"], ("dream", "kind", "position", "predicate")
    pieces: dict[str, list] = {name: [] for name in (*columns, "lengths")}
    runs: list[tuple[int, int]] = []  # the old texts kept, in order: (start, end) in the last table's texts
    made: list[bytes] = []  # the texts of each changed dream, after the run before it
    at, shift = 0, 0  # the next old entry to copy; how many new stubs are numbered before it

    def copied(name: str, first: int, end: int):
        part = last[name][first:end]
        return (part.astype(np.int64) + shift).astype(COLUMN_TYPES[0]) if name == "dream" and shift else part

    for (index, slug, new), first, end in zip(changed, bounds[0::2], bounds[1::2]):
        runs.append((int(starts[at]), int(starts[first])))
        pieces["lengths"].append(np.diff(starts[at:first + 1]))
        for name in columns:
            pieces[name].append(copied(name, at, first))
        article = library.articles.get(slug)
        if slug in gone:  # its entries and its place taken out: those after it numbered one less
            del dreams[index + shift], labels[index + shift], versions[index + shift]
            made.append(b"")
            shift -= 1
            at = int(end)
            continue
        if article is None:  # a new stub: its label alone
            entries = [(0, 0, 0, stubs[slug])]
        else:
            entries = _entries(article)
            article.let_go()
        version = _version(article, stubs.get(slug, ""))
        label = stubs[slug] if article is None else article.name
        if new:
            dreams.insert(index + shift, slug)
            labels.insert(index + shift, label)
            versions.insert(index + shift, version)
        else:  # (a stub written for has its article's name now)
            labels[index + shift], versions[index + shift] = label, version
        lowered, lengths = lowered_texts([value for *_, value in entries])
        made.append(lowered)
        pieces["lengths"].append(lengths)
        numbers = np.array([(index + shift, *entry[:3]) for entry in entries], dtype=np.int64).reshape(-1, 4).T
        for name, column, dtype in zip(columns, numbers, COLUMN_TYPES):
            pieces[name].append(column.astype(dtype))
        shift += new
        at = int(end)
    runs.append((int(starts[at]), int(starts[-1])))
    pieces["lengths"].append(np.diff(starts[at:]))
    for name in columns:
        pieces[name].append(copied(name, at, len(starts) - 1))
    if spill is not None and texts_file is not None:
        lower, wait = spliced(runs, made, spill, SPILLED, texts_file)
    else:
        put, finish = _texts_out(spill)
        splice(last["lower"], runs, made, put)
        lower, wait = finish(), lambda: None
    new_starts = np.zeros(sum(len(part) for part in pieces["lengths"]) + 1, dtype=np.int64)
    np.cumsum(np.concatenate(pieces["lengths"]), out=new_starts[1:])
    return {"dreams": dreams, "labels": labels, "lower": lower, "starts": new_starts,
            **{name: np.concatenate(pieces[name]).astype(dtype, copy=False) for name, dtype in zip(columns, COLUMN_TYPES)},
            "versions": "\n".join(versions).encode("utf-8", "surrogatepass")}, wait


def _version(article: Article | None, label: str) -> str:
    """Which version of an article a dream's entries come from (for a stub, its label): one line of
    ``versions`` whatever a path or a label holds."""
    return version_digest("stub", label) if article is None else version_digest(article.content_hash, article.path)


def version_digest(*parts: str) -> str:
    """Return a short digest of what a part of a kept table was made from (the version the next build
    compares to know whether to make it again)."""
    return hashlib.blake2b("\0".join(parts).encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def _entries(article: Article) -> list[tuple[int, int, int, str]]:
    """Return the (kind, position, predicate, text) of every searched text of an article, in the query's order."""
    entries = [(0, 0, predicate, value) for predicate, value in enumerate(
        (article.name, article.title, article.subtitle, article.intro, article.core_sentence))]
    entries += [(1, n, 0, item.text) for n, item in enumerate(article.quick_answer, 1)]
    for kind, parts in ((2, article.scenarios), (3, article.sensations)):
        for n, part in enumerate(parts, 1):
            entries += [(kind, n, 0, part.label), (kind, n, 5, part.meaning)]
    for n, question in enumerate(article.questions, 1):  # a match in the answer is an "answer"
        entries += [(4, n, 0, question.question), (7, n, 6, question.answer)]
    for n, section in enumerate(article.sections, 1):
        entries += [(5, n, 0, section.title), (5, n, 7, section.text)]
    for n, stage in enumerate(article.next_stages, 1):
        entries += [(6, n, 8, stage.condition), (6, n, 9, stage.gloss)]
    return [entry for entry in entries if entry[3]]


# --- dreams named in prose without a link ------------------------------------------------------------

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_NAME_WORDS = re.compile(r"[a-z0-9]+")
_WORDS_AND_ENDS = re.compile(r"[a-z0-9]+|(?<=[.!?])\s+")  # the words, and the space that ends a sentence
MAX_NAME_WORDS = 8


def prose_names(names: dict[str, str]) -> dict[str, str]:
    """Return the names a dream is looked for by in prose (its label, title or aliases, as words) -> its
    slug: names of two words or more only, since a one-word name ("water", "falling") is in every other
    sentence without meaning the dream."""
    found: dict[str, str] = {}
    for name, iri in sorted(names.items()):
        words = _NAME_WORDS.findall(name.lower())
        if 2 <= len(words) <= MAX_NAME_WORDS and "/" not in name:
            found.setdefault(" ".join(words), slug_of(iri))
    return found


# Words with which an article says how it differs from another dream it names.
_CONTRAST = re.compile(r"\b(differ\w*|distinct\w*|distinguish\w*|unlike|rather than|instead of|whereas|"
                       r"not the same|as opposed|contrast\w*|compared)\b", re.IGNORECASE)


def mentions(texts: list[tuple[str, str, int, str]], linked: dict[str, set[str]],
             names: dict[str, str]) -> list[dict]:
    """Return, for each (dream slug, path, line, text) of prose, the other dreams it names by a name of
    :func:`prose_names` (as whole words): ``source``, ``target``, ``path``, ``line``, the ``sentence``,
    whether the source's Next Stages ``linked`` to the target, and whether the sentence says how the two
    ``differ`` ("unlike", "distinguishes it from"). One mention per pair: the first that says how they
    differ, else the first; sorted.

    >>> mentions([("a", "a.txt", 3, "It is not simply not being able to move. It differs.")],
    ...          {"a": set()}, {"not being able to move": "https://w3id.org/dreamgraph/id/dream/nbam"})
    [{'source': 'a', 'target': 'nbam', 'path': 'a.txt', 'line': 3, 'sentence': 'It is not simply not being able to move.', 'linked': False, 'differ': False}]
    """
    finder = MentionFinder(names)
    by_source: dict[str, list] = defaultdict(list)
    for text in texts:
        by_source[text[0]].append(text)
    return sorted((m for source in sorted(by_source) for m in finder.find(by_source[source], linked.get(source, set()))),
                  key=lambda m: (m["source"], m["target"]))


class MentionFinder:
    """The names prose is searched for (see :func:`prose_names`), ready to find them in one article's prose
    at a time; ``digest`` identifies the names, so a build can keep an article's mentions until they change."""

    def __init__(self, names: dict[str, str] | None = None, wanted: dict[str, str] | None = None,
                 digest: str | None = None):
        """Look for the prose names of ``names`` (name -> IRI), or for ``wanted`` (prose name -> slug) with
        their ``digest`` when a finder made them already (see :meth:`kept`)."""
        self.wanted = prose_names(names or {}) if wanted is None else wanted
        self.digest = digest or hashlib.sha256(repr(sorted(self.wanted.items())).encode("utf-8", "surrogatepass")).hexdigest()
        self.openings: set[tuple[str, ...]] = set()  # the first two words of every name
        self.longer: set[str] = set()  # the first words of names, two or more, that have more words
        self.searched = 0  # articles searched without the index (see find)

    def kept(self) -> dict[str, object]:
        """Return what makes this finder again (``MentionFinder(**finder.kept())``) without the names."""
        return {"wanted": self.wanted, "digest": self.digest}

    def _index(self) -> None:
        """Index the names by their first words (when the first article is searched: a rebuild whose
        articles kept their mentions searches none)."""
        for key in self.wanted:
            words = key.split(" ")
            self.longer.update(" ".join(words[:n]) for n in range(2, len(words)))
        self.openings = {tuple(key.split(" ", 2)[:2]) for key in self.wanted}

    def find(self, texts: list[tuple[str, str, int, str]], linked: set[str]) -> list[dict]:
        """Return the mentions in the prose of one article ((slug, path, line, text) each), by target.

        The first ``UNINDEXED`` articles are searched without the names' index, every run of words looked
        up as a name (a rebuild after one edit searches one article: the index of 100,000 articles' names
        took it 0.4 s to make); then the index is made and used."""
        if self.wanted and not self.openings:
            if self.searched < self.UNINDEXED:
                self.searched += 1
                return self._find(texts, linked, None)
            self._index()
        return self._find(texts, linked, self.openings)

    UNINDEXED = 32

    def _find(self, texts: list[tuple[str, str, int, str]], linked: set[str],
              openings: set[tuple[str, ...]] | None) -> list[dict]:
        """:meth:`find`, with the names' ``openings`` and longer names indexed, or without (None)."""
        found: dict[str, dict] = {}
        wanted, longer = self.wanted, self.longer
        for source, path, line, text in sorted(texts):
            # the words, with the space after each sentence's end as a token of its own (so no name runs on
            # into the next sentence): one pass over the text (a text naming a dream was read again
            # sentence by sentence)
            words = _WORDS_AND_ENDS.findall(text.lower())
            # a name begins only where its first two words do: look only there (a common first word such as
            # "a" begins names of up to eight words)
            starts = ([i for i, pair in enumerate(zip(words, words[1:])) if pair in openings] if openings is not None
                      else range(len(words) - 1))
            free = 0  # the first word not inside a name found already
            sentences = ends = None
            for i in starts:
                if i < free:
                    continue
                key, n, target = f"{words[i]} {words[i + 1]}", 2, None
                while True:  # the longest name wins: "a baby at night", not "a baby"
                    if key in wanted:
                        target, free = wanted[key], i + n
                    if n == MAX_NAME_WORDS or i + n == len(words) or (openings is not None and key not in longer):
                        break
                    key, n = f"{key} {words[i + n]}", n + 1
                if target:
                    if sentences is None:  # the text's sentences, and where in its words each one ends
                        sentences = _SENTENCE.split(text)
                        ends = [k for k, word in enumerate(words) if word[0].isspace()]
                    sentence = sentences[bisect_left(ends, i)]
                    note_mention(found, source, target, path, line, sentence, linked)
        return [found[target] for target in sorted(found)]


def finder_with(kept: dict[str, object], names: dict[str, str]) -> MentionFinder | None:
    """Return the finder ``kept`` (see :meth:`MentionFinder.kept`) looking for the prose names of ``names``
    too (name -> IRI: names no dream answered to before), the finder :class:`MentionFinder` makes of all the
    names at once; or None when one of them has the words of a name looked for already as another dream's
    (which of the two is looked for follows from every name: see :func:`prose_names`; a removed article's
    dream, a stub now, is looked for by its label as before). At 100,000 articles the finder took 0.9 s to
    make from all the names.

    >>> red, blue = ("https://w3id.org/dreamgraph/id/dream/" + slug for slug in ("red", "blue"))
    >>> finder = MentionFinder({"a red door": red})
    >>> finder_with(finder.kept(), {"a blue door": blue}).digest == MentionFinder({"a red door": red, "a blue door": blue}).digest
    True
    >>> finder_with(finder.kept(), {"a-red-door": blue}) is None  # the same words, another dream's
    True
    >>> finder_with(finder.kept(), {"a-red-door": red}).digest == finder.digest  # the same words, the same dream's
    True
    """
    wanted = dict(kept["wanted"])
    for words, slug in prose_names(names).items():
        if wanted.get(words, slug) != slug:
            return None
        wanted[words] = slug
    return MentionFinder(wanted=wanted)


def finder_without(kept: dict[str, object], names: dict[str, str], removed: dict[str, str]) -> MentionFinder:
    """Return the finder ``kept`` (see :meth:`MentionFinder.kept`) no longer looking for the prose names of
    ``removed`` (name -> IRI: names no dream answers to now), where no other name of ``names`` (the names
    table now) has their words (else looking for that one instead): the finder :class:`MentionFinder` makes
    of ``names`` (0.9 s at 100,000 articles).

    >>> red, blue = ("https://w3id.org/dreamgraph/id/dream/" + slug for slug in ("red", "blue"))
    >>> finder = MentionFinder({"a red door": red, "a blue door": blue, "a-blue-door": red})
    >>> without = finder_without(finder.kept(), {"a red door": red, "a-blue-door": red}, {"a blue door": blue})
    >>> without.wanted == MentionFinder({"a red door": red, "a-blue-door": red}).wanted
    True
    >>> sorted(without.wanted.items())  # "a blue door" is looked for as red's now
    [('a blue door', 'red'), ('a red door', 'red')]
    """
    wanted = dict(kept["wanted"])
    for words, slug in prose_names(removed).items():
        if wanted.get(words) != slug:  # another dream's name of the same words was looked for
            continue
        # every name of these words holds each of them (names are lower-cased): in a family of titles the
        # longest alone is in thousands of names ("childhood"), each read as words in turn
        longest, parts = max(words.split(" "), key=len), set(words.split(" "))
        others = prose_names({name: iri for name, iri in names.items()
                              if longest in name and all(part in name for part in parts)})
        if words in others:
            wanted[words] = others[words]
        else:
            del wanted[words]
    return MentionFinder(wanted=wanted)


def note_mention(found: dict[str, dict], source: str, target: str, path: str, line: int, sentence: str,
                 linked: set[str]) -> None:
    """Keep a mention of ``target`` in ``found`` (by target), one per target: the first that says how the
    two dreams differ, else the first; an article naming its own dream is no mention."""
    if target != source and not found.get(target, {}).get("differ"):
        contrast = bool(_CONTRAST.search(sentence))
        if target not in found or contrast:
            found[target] = {"source": source, "target": target, "path": path, "line": line,
                             "sentence": " ".join(sentence.split())[:300], "linked": target in linked,
                             "differ": contrast}


def differences(found: list[dict]) -> dict[frozenset, list[dict]]:
    """Return the mentions that say how two dreams differ, by the pair of dreams (either way round).

    >>> differences([{"source": "a", "target": "b", "sentence": "Unlike b, it stops.", "differ": True}])[frozenset("ab")][0]["sentence"]
    'Unlike b, it stops.'
    """
    pairs: dict[frozenset, list[dict]] = defaultdict(list)
    for mention in found:
        if mention["differ"]:
            pairs[frozenset((mention["source"], mention["target"]))].append(mention)
    return pairs


def mentions_from_library(library: Library, linked: dict[str, set[str]], names: dict[str, str] | None,
                          last: list[dict] | None = None, last_sources: dict | None = None,
                          same_names: bool = False, last_search: dict | None = None, *,
                          finder: MentionFinder | None = None, naming: set[str] | None = None
                          ) -> tuple[list[dict], dict]:
    """Return :func:`mentions` of the library's prose, and its sources: per written dream the version of
    what its mentions were found from (its file, text and links), and the finder's names (see
    :meth:`MentionFinder.kept`). Given the ``last`` build's mentions and sources, an article's mentions are
    copied from them while its version is the same and the names looked for are the same; with
    ``same_names`` (the names table is the last build's) the last finder's names are used, not made again
    from the names (1 s at 100,000 articles), and ``names`` may be None (not read: 0.14 s at 100,000).

    When names were added, removed or point elsewhere (a new article, a new stub), only the articles whose
    texts may hold one of them are searched again: those whose texts in the ``last_search`` table (the last
    build's search index, which holds every text of the prose) contain the name's longest word (see
    :func:`dreams_naming`); an article whose prose holds none of the changed names finds what it found
    before. Searched again whole, the prose of 10,000 articles took 1.45 s (every body fetched). A caller
    that made the ``finder`` of the names, or found the articles ``naming`` the changed ones, already (see
    :func:`new_names`) passes them."""
    last_sources = last_sources if isinstance(last_sources, dict) and "versions" in last_sources else None
    if finder is None and same_names and last_sources is not None:
        finder = MentionFinder(**last_sources["finder"])
    elif finder is None and names is None:
        raise ValueError("the names looked for are needed: the last build's finder cannot be used")
    elif finder is None:
        finder = MentionFinder(names)
    versions = {slug: version_digest(slug, article.path, article.content_hash, repr(sorted(linked.get(slug, ()))))
                for slug, article in library.articles.items()}
    kept: dict[str, list[dict]] = {}
    if last is not None and last_sources is not None:
        unchanged = {slug for slug, version in last_sources["versions"].items() if versions.get(slug) == version}
        if last_sources["finder"]["digest"] != finder.digest:
            if naming is None:
                naming = new_names(finder, last_sources, last_search, last)
            unchanged = set() if naming is None else unchanged - naming
        kept = {slug: [] for slug in unchanged}
        for mention in last:
            if mention["source"] in unchanged:
                kept[mention["source"]].append(mention)
    found = []
    for slug in sorted(versions):
        if slug in kept:
            found.extend(kept[slug])
            continue
        article = library.articles[slug]
        prose = prose_of(article, slug)
        article.let_go()
        found.extend(finder.find(prose, linked.get(slug, set())))
    return found, {"versions": versions, "finder": finder.kept()}


def new_names(finder: MentionFinder, last_sources: dict, last_search: dict | None,
              last_mentions: list[dict] | None = None) -> set[str] | None:
    """Return the dreams whose texts may name one of the names ``finder`` looks for and the last build's
    finder (in ``last_sources``, see :func:`mentions_from_library`) did not, or the other way round (names
    added, removed or pointing elsewhere), found in the ``last_search`` table (see :func:`dreams_naming`);
    None when there is no such table to look in.

    Given the last build's mentions, a name that named a dream before (taken away now, or naming another) is
    looked for where that dream was named: wherever the name was found, the longest name there, a mention of
    that dream was kept; where it was not found (a longer name began there, or one before it ran over it),
    what is found stays. So an article taken out needs no search of the texts (at 100,000 articles, two words
    looked for in the 490 MB of them took 0.5-1.7 s)."""
    before = last_sources["finder"]["wanted"]
    moved = {name for name in before.keys() | finder.wanted.keys() if before.get(name) != finder.wanted.get(name)}
    if last_mentions is None:
        return dreams_naming(moved, last_search) if last_search is not None else None
    named = {before[name] for name in moved if name in before}  # the dreams those names named
    found = {mention["source"] for mention in last_mentions if mention["target"] in named} if named else set()
    fresh = {name for name in moved if name not in before}
    if not fresh:
        return found
    more = dreams_naming(fresh, last_search) if last_search is not None else None
    return None if more is None else found | more


def mentions_patched(last: list[dict], last_sources: dict, found: list[dict], sources: dict,
                     changed: set[str], removed: Container[str] = ()) -> tuple[list[dict], dict]:
    """Return the ``last`` build's mentions and their sources (see :func:`mentions_from_library`) with those
    of the ``changed`` articles replaced by the ones ``found`` in them (with their ``sources``: the last
    build's names looked for, or the new ones, which the unchanged articles' mentions were found with too),
    and those of the articles ``removed`` taken out."""
    kept = [mention for mention in last if mention["source"] not in changed and mention["source"] not in removed]
    merged = sorted(kept + found, key=lambda mention: (mention["source"], mention["target"]))
    versions = {slug: version for slug, version in {**last_sources["versions"], **sources["versions"]}.items()
                if slug not in removed}
    return merged, {"versions": versions, "finder": sources["finder"]}


def dreams_naming(names: Iterable[str], search: dict) -> set[str] | None:
    """Return the dreams whose texts in a search table (see :func:`search_from_library`) may name one of
    ``names`` (prose names: lower-case words joined by single spaces, see :func:`prose_names`): those whose
    texts contain the name's longest word, as every text naming it does. None when the table cannot say
    (it has no texts).

    >>> import numpy as np
    >>> texts = [b"a dog at sea", b"by the sea", b"a cat"]  # dream "a" has the first two, "b" the third
    >>> table = {"lower": b"".join(texts), "starts": np.cumsum([0, *map(len, texts)]), "dream": np.array([0, 0, 1]),
    ...          "dreams": ["a", "b"]}
    >>> sorted(dreams_naming(["dog at sea", "a cat"], table)), sorted(dreams_naming(["the sea"], table))
    (['a', 'b'], ['a'])
    """
    import numpy as np

    from ..bytesearch import Haystack  # (here: the per-file work imports this module; see cache.VERSIONED)

    if "lower" not in search:
        return None
    lower, starts, dream, dreams = Haystack(search["lower"]), search["starts"], search["dream"], search["dreams"]
    found: set[int] = set()
    for word in {max(name.split(" "), key=len).encode("ascii", "ignore") for name in names}:
        at = lower.find(word) if word else -1
        while at >= 0:  # each dream holding the word once: then on past the end of its texts
            index = int(dream[int(np.searchsorted(starts, at, side="right")) - 1])
            found.add(index)
            end = int(np.searchsorted(dream, index, side="right"))
            at = lower.find(word, int(starts[end])) if end < len(dream) else -1
    return {dreams[index] for index in found}


def prose_of(article: Article, slug: str) -> list[tuple[str, str, int, str]]:
    """Return the prose of one article: (slug, path, line, text) of its intro, free-form sections and FAQ answers."""
    texts = [(slug, article.path, article.title_line, article.intro)] if article.intro else []
    texts.extend((slug, article.path, section.line, section.text) for section in article.sections if section.text)
    texts.extend((slug, article.path, q.line, q.answer) for q in article.questions if q.answer)
    return texts


PROSE_QUERY = """
SELECT ?dream ?path ?line ?text WHERE {
  { ?dream dg:intro ?text ; dg:sourceLine ?line }
  UNION { ?dream dg:hasSection ?part . ?part dg:text ?text ; dg:sourceLine ?line }
  UNION { ?dream dg:hasQuestion ?part . ?part dg:answer ?text ; dg:sourceLine ?line }
  ?dream dg:isStub false ; prov:wasDerivedFrom ?source . ?source a dg:SourceArticle ; rdfs:label ?path .
}"""


def prose_from_store(store: Store) -> list[tuple[str, str, int, str]]:
    """Return the same prose asked of the graph."""
    return [(slug_of(row["dream"]), row["path"], row["line"], row["text"]) for row in store.select(PROSE_QUERY)]
