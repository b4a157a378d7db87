"""Measure dreamgraph on generated libraries against the plain way, in the same run.

    python bench/run.py --sizes 1000,10000 [--work DIR] [--skip-plain-above N]

For each size: a library is generated (bench/generate.py, seeded), then each step runs as a fresh
process, the way a user runs the CLI, and is timed by wall clock:

- full build (clean graph folder), the same build again with nothing changed, and incremental rebuild
  after one article's texts changed (a Quick Answer line added: a patch, see dreamgraph.patch; the
  first such rebuild after the full build, then the median of five more, each another line; and the
  same edit made five times under a running ``dreamgraph watch``, from the save to the build's summary
  line, the median, and a next stage led to a written dream five times so), a next
  stage added to it leading to a written dream (its links change, the stubs stand: a patch too) and one
  leading to a dream nobody wrote (a new stub: a patch too), one article added (a new dream: a patch) and
  the same one removed (a patch), an article other articles link to removed (its dream a stub now: a
  patch), and an article written for the stub most articles link to (a patch): each of these made and
  undone three times, the median of each (one run now and then meets the machine busy);
- a named query, a gap report, a path query, a taxonomy export, a text search and the writer's brief of the
  dream most articles link to, against the built graph; then, with no plain baseline, `show`, `next` and
  `leads-to` of that dream, `stats`, `loops`, `rank`, `validate` and `export --all`.

Beside each read step, the same library code runs on the plain way (bench/plain.py: an rdflib in-memory
graph parsed from dreamgraph.ttl, no store), and the table shows the ratio plain / dreamgraph. The plain
build is rdflib parsing and serialising the same Turtle (what a build without dreamgraph's writer and
store would at least cost). Peak memory is the largest resident size of the step's process.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402


def installed_command() -> list[str]:
    """Return the ``dreamgraph`` command as installed for this Python, its modules compiled to bytecode as a
    regular install leaves them.

    The console script beside ``sys.executable`` is preferred to the first one on PATH, which may be a
    version manager's shim (pyenv's adds 0.15-0.2 s of shell to every command); and the package is compiled
    once here, since an editable install under PYTHONDONTWRITEBYTECODE would otherwise compile every
    changed module at each step (0.1 s)."""
    import compileall
    import dreamgraph

    compileall.compile_dir(Path(dreamgraph.__file__).parent, quiet=1)
    beside = Path(sys.executable).with_name("dreamgraph")
    return [str(beside) if beside.exists() else shutil.which("dreamgraph") or "dreamgraph"]


def measured(command: list[str], timeout: float) -> tuple[float, int, float, int] | None:
    """Return (wall seconds, peak RSS in KB, CPU seconds, exit status) of a command run as a child, or None
    when it did not finish within ``timeout``."""
    wrapper = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
               "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode; "
               "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
               "print(time.perf_counter() - t, u.ru_maxrss, u.ru_utime + u.ru_stime, rc)")
    process = subprocess.Popen([sys.executable, "-c", wrapper, *command], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        out = process.communicate(timeout=timeout)[0].split()
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the step's own process too, not only the wrapper
        process.wait()
        return None
    return float(out[0]), int(out[1]), float(out[2]), int(out[3])


def run(command: list[str], timeout: float) -> tuple[float | None, int]:
    """Return (wall seconds or None on failure/timeout, peak RSS in MB) of a command run as a child."""
    found = measured(command, timeout)
    if found is None:
        return None, 0
    seconds, rss, _, rc = found
    return (seconds if rc in (0, 1, 3) else None), rss // 1024


def plain_build(graph_dir: Path) -> list[str]:
    code = ("import sys; from rdflib import Graph; g = Graph().parse(sys.argv[1], format='turtle'); "
            "g.serialize(sys.argv[2], format='turtle')")
    return [sys.executable, "-c", code, str(graph_dir / "dreamgraph.ttl"), str(graph_dir / "plain.ttl")]


def pick_path(graph_dir: Path) -> tuple[str, str]:
    """Return two dreams with a path between them (a deterministic choice)."""
    import networkx as nx

    from dreamgraph.progression import progression_graph
    from dreamgraph.connect import open_store

    graph = progression_graph(open_store(graph_dir))
    source = sorted(n for n in graph if graph.out_degree(n))[0]
    reachable = sorted(nx.descendants(graph, source))
    return source, reachable[len(reachable) // 2]


def pick_hub(graph_dir: Path) -> str:
    """Return the dream most articles link to (the first slug among equals)."""
    from dreamgraph.progression import progression_graph
    from dreamgraph.connect import open_store

    graph = progression_graph(open_store(graph_dir))
    return min(graph, key=lambda n: (-graph.in_degree(n), n))


def with_next_stage(text: str, name: str) -> str:
    """Return an article's text with a first Next Stages line leading to the dream called ``name``."""
    lines = text.splitlines(keepends=True)
    heading = next(i for i, line in enumerate(lines) if "Next Stages" in line)
    lines.insert(heading + 1, f"- If the light fades → dream about {name} meaning — when it dims\n")
    return "".join(lines)


def written_name(articles: Path, besides: Path, count: int = 1) -> str | list[str]:
    """Return the name of a written dream the article ``besides`` does not link to yet (the next file's),
    or the names of the first ``count`` such dreams when asked for more than one."""
    names = []
    from dreamgraph.parse import parse_text

    files = sorted(p for p in articles.iterdir() if p.suffix in (".txt", ".md"))
    text = besides.read_text(encoding="utf-8")
    mine = parse_text(text, besides.name).article
    linked = {stage.target_slug for stage in mine.next_stages}
    for path in files[files.index(besides) + 1:]:
        other = parse_text(path.read_text(encoding="utf-8"), path.name).article
        if other is None or other.slug in linked or other.slug == mine.slug:
            continue
        if parse_text(with_next_stage(text, other.name), besides.name).article.next_stages[0].target_slug == other.slug:
            names.append(other.name)
            if len(names) == count:
                return names[0] if count == 1 else names
    raise ValueError("no written dream to link to")


def stub_label(graph_dir: Path) -> str:
    """Return the label of the stub most links lead to among those a written dream's slug does not resemble
    (the first label among equals): the gap a strategist fills first."""
    from dreamgraph.connect import open_store
    from dreamgraph.snapshot import Snapshot

    snapshot = Snapshot(open_store(graph_dir))
    stubs, matches = snapshot.kept("stub-links"), snapshot.kept("typos")["matches"]
    return min((entry["label"] for slug, entry in stubs.items() if not matches.get(slug)),
               key=lambda label: (-len(next(e for e in stubs.values() if e["label"] == label)["links"]), label))


def linked_article(graph_dir: Path, articles: Path) -> Path:
    """Return the file of the first written dream (by slug) other articles link to that is no cluster's hub:
    taken out, its dream becomes a stub."""
    from dreamgraph.connect import open_store
    from dreamgraph.snapshot import Snapshot
    from dreamgraph.snapshot.projection import Links

    snapshot = Snapshot(open_store(graph_dir))
    links, clusters = Links(snapshot.kept("links")), snapshot.kept("clusters")
    row = next(row for row in snapshot.completeness if row["dream"] not in clusters
               and any(links.slugs[n] != row["dream"] for n in links.predecessors(links.index[row["dream"]])))
    return articles / Path(row["path"]).name


PLAIN_LIMIT = [300.0]
SEARCHED = "iron tunnel"  # two words of the generator's vocabulary, found in a few articles of each size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--work", type=Path, default=Path("/tmp/dreamgraph-bench"))
    parser.add_argument("--skip-plain-above", type=int, default=20_000, help="Skip the rdflib baseline above this size.")
    parser.add_argument("--timeout", type=float, default=1800, help="Seconds allowed to one dreamgraph step.")
    parser.add_argument("--plain-timeout", type=float, default=300, help="Seconds allowed to one plain-way step.")
    args = parser.parse_args()
    PLAIN_LIMIT[0] = args.plain_timeout
    dreamgraph = installed_command()
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        library = args.work / f"library-{size}"
        if not (library / "articles").is_dir():
            generate(size, library / "articles")
        graph = args.work / f"graph-{size}"
        shutil.rmtree(graph, ignore_errors=True)
        build_cmd = dreamgraph + ["build", str(library / "articles"), "-g", str(graph), "-q"]
        full, full_rss = run(build_cmd, args.timeout)
        unchanged, same_rss = run(build_cmd, args.timeout)  # nothing changed: "up to date"
        changed = sorted((library / "articles").glob("000003.*"))[0]
        original = changed.read_text(encoding="utf-8")
        changed.write_text(with_answer(original, "A new first answer."), encoding="utf-8")
        incremental, inc_rss = run(build_cmd, args.timeout)
        edited, edited_rss = cli_edits(build_cmd, changed, original, args.timeout)
        changed.write_text(original, encoding="utf-8")
        run(build_cmd, args.timeout)  # back to the generated library
        # each change below is made and undone three times (each time a fresh `dreamgraph build`), the
        # median of each kept: a single run here now and then met the machine busy (1 s more)
        # a next stage added to a dream no article is written for yet: a new stub (a patch)
        (relinked, relink_rss), _ = undone(
            build_cmd, lambda: changed.write_text(with_next_stage(original, "a lantern in the fog"), encoding="utf-8"),
            lambda: changed.write_text(original, encoding="utf-8"), args.timeout)
        # a next stage added to a written dream: the links change, the stubs stand (a patch)
        to_written = with_next_stage(original, written_name(library / "articles", changed))
        (linked, linked_rss), _ = undone(build_cmd, lambda: changed.write_text(to_written, encoding="utf-8"),
                                         lambda: changed.write_text(original, encoding="utf-8"), args.timeout)
        added = changed.with_name("zz-added" + changed.suffix)  # a new dream, named in no other article
        title = original.split("\n", 1)[0]
        new_title = ("# " if title.startswith("#") else "") + "Dream About A Lantern In The Fog: The Small Light"
        (adding, add_rss), (removing, remove_rss) = undone(  # added, and taken out again (patches)
            build_cmd, lambda: added.write_text(original.replace(title, new_title, 1), encoding="utf-8"),
            added.unlink, args.timeout)
        taken = linked_article(graph, library / "articles")  # an article others link to taken out: a stub now
        kept_text = taken.read_text(encoding="utf-8")
        (unwriting, unwrite_rss), _ = undone(build_cmd, taken.unlink,
                                             lambda: taken.write_text(kept_text, encoding="utf-8"), args.timeout)
        # an article written for the stub most articles link to, taken out again (patches)
        for_stub = original.replace(title, title[:title.index("Dream About")] + f"Dream About {stub_label(graph)}: "
                                    "The Answer", 1)
        (filling, fill_rss), _ = undone(build_cmd, lambda: added.write_text(for_stub, encoding="utf-8"),
                                        added.unlink, args.timeout)
        watched, watch_rss = watch_edits(dreamgraph, library / "articles", graph, changed, args.timeout)
        names = written_name(library / "articles", changed, 5)  # a next stage led to another written dream each time
        watch_linked, watch_linked_rss = watch_edits(dreamgraph, library / "articles", graph, changed, args.timeout,
                                                     edit=lambda text, number: with_next_stage(text, names[number]))
        watch_added, watch_added_rss = watch_additions(dreamgraph, library / "articles", graph, changed, args.timeout)
        plain_ok = size <= args.skip_plain_above
        source, target = pick_path(graph)
        hub = pick_hub(graph)
        steps = [
            ("full build", (full, full_rss), plain_build(graph)),
            ("build, nothing changed", (unchanged, same_rss), None),
            ("rebuild after 1 change", (incremental, inc_rss), None),
            ("1 change, median of 5 more", (edited, edited_rss), None),
            ("1 change, watch (median of 5)", (watched, watch_rss), None),
            ("1 link to a written dream (median of 3)", (linked, linked_rss), None),
            ("1 link, watch (median of 5)", (watch_linked, watch_linked_rss), None),
            ("1 link to a new stub (median of 3)", (relinked, relink_rss), None),
            ("1 added (median of 3)", (adding, add_rss), None),
            ("1 removed (median of 3)", (removing, remove_rss), None),
            ("1 removed, linked to (median of 3)", (unwriting, unwrite_rss), None),
            ("1 added for a stub (median of 3)", (filling, fill_rss), None),
            ("1 added, watch (median of 5)", (watch_added, watch_added_rss), None),
            ("named query (stubs-by-demand)", None, "query stubs-by-demand"),
            ("named query (gap-completeness)", None, "query gap-completeness"),
            ("named query (article-texts)", None, "query article-texts"),
            ("named query (leads-to the most linked dream)", None, None),
            ("gap report", None, "gaps"),
            ("gap report by dream", None, None),
            ("path query", None, f"path {source} {target}"),
            ("taxonomy export", None, "export"),
            ("text search", None, f"search {SEARCHED}"),
            ("brief (most linked dream)", None, None),
            ("show (most linked dream)", None, None),
            ("next (most linked dream)", None, None),
            ("leads-to (most linked dream)", None, None),
            ("stats", None, None),
            ("loops", None, None),
            ("rank", None, None),
            ("validate", None, None),
            ("export --all (taxonomy + gaps)", None, None),
        ]
        commands = {
            "named query (stubs-by-demand)": ["sparql", "-n", "stubs-by-demand", "-f", "csv", "--max-rows", "1000000"],
            "named query (gap-completeness)": ["sparql", "-n", "gap-completeness", "-f", "csv", "--max-rows", "1000000"],
            "named query (article-texts)": ["sparql", "-n", "article-texts", "-f", "csv", "--max-rows", "1000000"],
            "named query (leads-to the most linked dream)": ["sparql", "-n", "leads-to", "--param", f"dream={hub}",
                                                             "-f", "csv", "--max-rows", "1000000"],
            "gap report": ["gaps", "-f", "json"],
            "gap report by dream": ["gaps", "--by", "dream"],
            "path query": ["path", source, target],
            "taxonomy export": ["export", "-o", str(args.work / f"taxonomy-{size}.html")],
            "text search": ["search", SEARCHED, "-f", "json"],
            "brief (most linked dream)": ["brief", hub],
            "show (most linked dream)": ["show", hub],
            "next (most linked dream)": ["next", hub],
            "leads-to (most linked dream)": ["leads-to", hub],
            "stats": ["stats"],
            "loops": ["loops"],
            "rank": ["rank"],
            "validate": ["validate"],
            "export --all (taxonomy + gaps)": ["export", "--all", "--output-dir", str(args.work / f"exports-{size}")],
        }
        for name, measured, plain in steps:
            if measured is None:
                measured = run(dreamgraph + ["-g", str(graph)] + commands[name], args.timeout)
            if plain is None or not plain_ok:
                baseline = (None, 0)
            elif isinstance(plain, list):
                baseline = run(plain, args.plain_timeout)
            else:
                baseline = run([sys.executable, str(HERE / "plain.py"), str(graph), *plain.split()], args.plain_timeout)
            if baseline[0] is None and plain is not None and plain_ok:
                baseline = (float("inf"), 0)  # did not finish within --plain-timeout
            rows.append((size, name, measured, baseline))
            print_row(rows[-1], flush=True)
    print()
    print_table(rows)


def with_answer(article: str, answer: str) -> str:
    """Return an article's text with ``answer`` added as its first Quick Answer line: an edit to its texts
    alone, which a rebuild patches."""
    return article.replace("Quick Answer\n", f"Quick Answer\n- {answer}\n", 1)


def undone(build_cmd: list[str], do, undo, timeout: float, times: int = 3) -> tuple[tuple, tuple]:
    """Return (median wall seconds, largest peak RSS in MB) of ``times`` rebuilds after ``do()``, and of the
    rebuilds after ``undo()`` that follow each, each a fresh ``dreamgraph build`` as a user runs it after
    saving; (None, 0) for either when a rebuild failed."""
    did, undid = [], []
    for _ in range(times):
        do()
        did.append(run(build_cmd, timeout))
        undo()
        undid.append(run(build_cmd, timeout))
    return _median(did), _median(undid)


def _median(runs: list[tuple[float | None, int]]) -> tuple[float | None, int]:
    import statistics

    if any(seconds is None for seconds, _ in runs):
        return None, 0
    return statistics.median(seconds for seconds, _ in runs), max(rss for _, rss in runs)


def cli_edits(build_cmd: list[str], changed: Path, original: str, timeout: float,
              times: int = 5) -> tuple[float | None, int]:
    """Return the median wall time of ``times`` more rebuilds after one edit to an article's texts (a Quick
    Answer line, each time another), each a fresh ``dreamgraph build`` as a user runs it after saving,
    and the largest peak RSS in MB; (None, 0) when one failed. The first rebuild after the full build
    (the row before it) is a single run, on a machine still busy with what the full build left."""
    import statistics

    seconds, peak = [], 0
    for number in range(times):
        changed.write_text(with_answer(original, f"Edited answer {number}."), encoding="utf-8")
        took, rss = run(build_cmd, timeout)
        if took is None:
            return None, 0
        seconds.append(took)
        peak = max(peak, rss)
    return statistics.median(seconds), peak


def watch_edits(dreamgraph: list[str], articles: Path, graph: Path, changed: Path, timeout: float,
                times: int = 5, edit=None) -> tuple[float | None, int]:
    """Return the median wall time from saving an edit to one article's texts (a Quick Answer line, each
    time another; or ``edit(original, number)``) to the summary line of the build it starts in a running
    ``dreamgraph watch``, and the process's peak RSS in MB; (None, 0) when a build's line did not come
    within ``timeout``."""
    edit = edit or (lambda text, number: with_answer(text, f"Watched answer {number}."))
    original = changed.read_text(encoding="utf-8")

    def steps(number: int) -> list:
        return [lambda: changed.write_text(edit(original, number), encoding="utf-8")]

    def undo() -> bool:
        changed.write_text(original, encoding="utf-8")
        return True

    return _watched(dreamgraph, articles, graph, timeout, times, steps, undo)


def watch_additions(dreamgraph: list[str], articles: Path, graph: Path, changed: Path, timeout: float,
                    times: int = 5) -> tuple[float | None, int]:
    """Return the median wall time from saving a new article (``changed``'s text under a new title, another
    each time) to the summary line of the build it starts in a running ``dreamgraph watch``, each taken out
    again after (untimed), and the process's peak RSS in MB; (None, 0) as :func:`watch_edits`."""
    original = changed.read_text(encoding="utf-8")
    title = original.split("\n", 1)[0]
    added = changed.with_name("zz-watched" + changed.suffix)

    def steps(number: int) -> list:
        new_title = title[:title.index("Dream About")] + f"Dream About A Copper Kettle Number {number}: The Whistle"
        return [lambda: added.write_text(original.replace(title, new_title, 1), encoding="utf-8"), added.unlink]

    def undo() -> bool:
        if added.exists():
            added.unlink()
            return True
        return False

    return _watched(dreamgraph, articles, graph, timeout, times, steps, undo)


def _watched(dreamgraph: list[str], articles: Path, graph: Path, timeout: float, times: int, steps,
             undo) -> tuple[float | None, int]:
    """Run ``dreamgraph watch`` and time, ``times`` times, the build the first of ``steps(number)`` (changes
    to the library) starts, waiting untimed for the builds of the others; ``undo`` puts the library back
    (True when that changed it: a build to wait for)."""
    import queue
    import statistics
    import threading

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(dreamgraph + ["watch", "-g", str(graph), str(articles)], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, env=env, start_new_session=True)
    lines: queue.Queue = queue.Queue()  # the builds' summary lines (not the gaps opened and closed)
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout if not line.startswith(" ")],
                     daemon=True).start()
    seconds = []
    try:
        lines.get(timeout=timeout)  # the first build: up to date
        for number in range(times):
            for step, change in enumerate(steps(number)):
                time.sleep(0.5)
                change()
                started = time.perf_counter()
                if not lines.get(timeout=timeout).startswith("built"):
                    return None, 0
                if step == 0:
                    seconds.append(time.perf_counter() - started)
        if undo():
            lines.get(timeout=timeout)
        with open(f"/proc/{process.pid}/status") as status:
            peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) // 1024
    except queue.Empty:
        return None, 0
    finally:
        undo()
        os.killpg(process.pid, signal.SIGTERM)  # not SIGINT: a process started in the background ignores it
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return statistics.median(seconds), peak


def _fmt(seconds):
    if seconds is None:
        return "failed"
    return "> limit" if seconds == float("inf") else f"{seconds:.2f} s"


STEP = 38  # the width of the step column


def print_row(row, flush=False):
    size, name, (t, rss), (pt, prss) = row
    ratio = "—" if not (t and pt) else (f"> {PLAIN_LIMIT[0] / t:.0f}x" if pt == float("inf") else f"{pt / t:.1f}x")
    print(f"{size:>7} | {name:<{STEP}} | {_fmt(t):>10} | {rss:>6} MB | {_fmt(pt) if pt else '—':>10} | {ratio:>6}",
          flush=flush)


def print_table(rows):
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d')}")
    print(f"{'dreams':>7} | {'step':<{STEP}} | {'dreamgraph':>10} | {'peak':>9} | {'plain':>10} | {'ratio':>6}")
    print(f"{'-' * 7}-|-{'-' * STEP}-|-{'-' * 10}-|-{'-' * 9}-|-{'-' * 10}-|-{'-' * 6}")
    for row in rows:
        print_row(row)


if __name__ == "__main__":
    main()
