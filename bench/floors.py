"""Measure, in the same run, dreamgraph's build and one-change rebuild against their floors on this machine:
what the same work costs with nothing of dreamgraph's own around it.

    python bench/floors.py --sizes 10000 [--work DIR] [--library DIR]

For each size a library is generated (bench/generate.py, realistic, seeded) unless ``--library`` names one,
and each step runs as a fresh process, as a user runs it:

- **full build** (a clean graph folder), against two floors that any build of this graph must pay: the
  per-article work (``dreamgraph.compile._compile_packed``: read, parse, triples, Turtle, SHACL key, cache
  entry; here in one process, reported as CPU seconds, which the build shares among its workers), and
  pyoxigraph's bulk load of the same Turtle file into an empty store, alone. On ``cores`` cores the build
  cannot take less than ``max(load wall, (work CPU + load CPU) / cores)``;
- **rebuild after one change** (a line added to one article, after a rebuild that warms the caches),
  against the least any rebuild that keeps one atomic graph file in this store pays: starting Python with
  pyoxigraph, a stat of every article file, and writing a copy of the graph file, flushed to disk (once
  what the build left to write back is on disk), each the least of three runs. (The table also shows the
  time to start Python with the modules a build imports, which is dreamgraph's own.)

The table gives each step's wall time, its floor, and the ratio (how far above the floor the step is).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402
from run import installed_command, measured  # noqa: E402

PARSE = """
import gc, sys, time
from pathlib import Path
from dreamgraph.compile import _compile_packed
from dreamgraph.parse import Limits
from dreamgraph.sources import find_articles
gc.disable()  # as in the build's workers
paths, _ = find_articles([sys.argv[1]])
limits = Limits()
started = time.process_time()
for path in paths:
    _compile_packed((path, path.name, limits))
print(time.process_time() - started)
"""

LOAD = """
import sys, tempfile, time
import pyoxigraph as ox
with tempfile.TemporaryDirectory(dir=sys.argv[2]) as folder:
    wall, cpu = time.perf_counter(), time.process_time()  # the loader's threads are this process's
    ox.Store(folder).bulk_load(path=sys.argv[1], format=ox.RdfFormat.TURTLE)
    print(time.perf_counter() - wall, time.process_time() - cpu)
"""

STAT = """
import os, sys, time
from dreamgraph.sources import find_articles
paths, _ = find_articles([sys.argv[1]])
started = time.perf_counter()
for path in paths:
    os.stat(path)
print(time.perf_counter() - started)
"""

REWRITE = """
import os, shutil, sys, time
os.sync()  # not paying for what the build left to write back
source = sys.argv[1]
copy = source + ".floor.tmp"
started = time.perf_counter()
with open(source, "rb") as old, open(copy, "wb") as new:
    shutil.copyfileobj(old, new, 8 << 20)
    new.flush()
    os.fsync(new.fileno())
os.replace(copy, source + ".floor")
print(time.perf_counter() - started)
os.unlink(source + ".floor")
"""


def timed(command: list[str]) -> tuple[float, float]:
    """Return (wall seconds, CPU seconds) of a command run as a child (see run.measured); raise when it fails."""
    wall, _, cpu, rc = measured(command, timeout=3600) or (0, 0, 0, "timed out")
    if rc not in (0, 1):  # 1: the build found errors in articles, as generated libraries have
        raise SystemExit(f"failed ({rc}): {' '.join(command)}")
    return wall, cpu


def reported(code: str, *args: str) -> list[float]:
    """Return the figures a measuring script prints on its last line."""
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return [float(value) for value in out.stdout.split()]


def least(measured, times: int = 3) -> float:
    """Return the least of a few runs of a floor's step (a floor is what the step takes at best)."""
    return min(measured() for _ in range(times))


def measure(size: int, articles: Path, graph: Path) -> list[tuple]:
    """Return the rows of one library: (size, step, seconds, floor, what the floor is made of)."""
    cores = os.cpu_count() or 1
    dreamgraph = installed_command()
    build = dreamgraph + ["build", str(articles), "-g", str(graph), "-q"]
    shutil.rmtree(graph, ignore_errors=True)
    full, full_cpu = timed(build)
    turtle = graph / "dreamgraph.ttl"
    (work_cpu,) = reported(PARSE, str(articles))
    load_wall, load_cpu = reported(LOAD, str(turtle), str(graph))
    full_floor = max(load_wall, (work_cpu + load_cpu) / cores)

    changed = sorted(path for path in articles.rglob("*") if path.suffix in (".md", ".txt"))[3]
    original = changed.read_bytes()
    try:
        changed.write_bytes(original + b"\nA line added for the floor.\n")
        timed(build)  # a rebuild that refreshes the caches this version of the code keeps
        changed.write_bytes(original + b"\nA line added for the floor, changed.\n")
        rebuild, _ = timed(build)
    finally:
        changed.write_bytes(original)
    start = least(lambda: timed([sys.executable, "-c", "import pyoxigraph"])[0])
    imports = least(lambda: timed([sys.executable, "-c", "import dreamgraph.cli, dreamgraph.build"])[0])
    stat = least(lambda: reported(STAT, str(articles))[0])
    rewrite = least(lambda: reported(REWRITE, str(turtle))[0])
    rebuild_floor = start + stat + rewrite
    return [
        (size, "full build", full, full_floor,
         f"work {work_cpu:.1f} s CPU + bulk load {load_cpu:.1f} s CPU ({load_wall:.1f} s wall) on {cores} cores; "
         f"the build used {full_cpu:.1f} s CPU"),
        (size, "rebuild after 1 change", rebuild, rebuild_floor,
         f"start {start:.2f} + stat {stat:.2f} + rewrite {turtle.stat().st_size / 1e6:.0f} MB {rewrite:.2f}; "
         f"dreamgraph's start {imports:.2f}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--work", type=Path, default=Path("/tmp/dreamgraph-bench"))
    parser.add_argument("--library", type=Path, help="Measure this folder of articles instead (one size).")
    args = parser.parse_args()
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        articles = args.library or args.work / f"library-{size}" / "articles"
        if args.library is None and not articles.is_dir():
            generate(size, articles)
        for row in measure(size, articles, args.work / f"floors-graph-{size}"):
            rows.append(row)
            print_row(row, flush=True)
        if args.library is not None:
            break
    print()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d')}")
    print(f"{'articles':>8} | {'step':<24} | {'dreamgraph':>10} | {'floor':>8} | {'ratio':>5} | the floor")
    print(f"{'-' * 8}-|-{'-' * 24}-|-{'-' * 10}-|-{'-' * 8}-|-{'-' * 5}-|-{'-' * 9}")
    for row in rows:
        print_row(row)


def print_row(row: tuple, flush: bool = False) -> None:
    size, step, seconds, floor, parts = row
    print(f"{size:>8} | {step:<24} | {seconds:>8.2f} s | {floor:>6.2f} s | {seconds / floor:>4.1f}x | {parts}",
          flush=flush)


if __name__ == "__main__":
    main()
