"""igraph's compiled core loaded alone (dreamgraph.igraphcore): without the package, and the package still
whole when imported after it. Each test runs in a fresh interpreter, where igraph is not loaded yet."""

from __future__ import annotations

import subprocess
import sys


def _fresh(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_core_loads_without_the_package_and_computes():
    out = _fresh(
        "import sys\n"
        "from dreamgraph.igraphcore import core\n"
        "g = core().GraphBase(4, [(0, 1), (1, 2), (2, 1), (2, 3)], True)\n"
        "print(g.betweenness(directed=True), g.connected_components(mode='strong'))\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'igraph'))\n"
        "print(core() is core())\n")
    computed, loaded, same = out.splitlines()
    assert computed == "[0.0, 2.0, 2.0, 0.0] [0, 1, 1, 2]"
    assert loaded == "['igraph._igraph']", "the package's Python modules were loaded too"
    assert same == "True"


def test_the_package_imported_afterwards_is_whole_and_shares_the_core():
    out = _fresh(
        "import sys\n"
        "from dreamgraph.igraphcore import core\n"
        "loaded = core()\n"
        "import igraph\n"
        "from igraph.clustering import split_join_distance\n"
        "print(igraph._igraph is loaded, igraph.GraphBase is loaded.GraphBase)\n"
        "print(split_join_distance([0, 0, 1], [0, 1, 1]))\n"  # reaches the core as the package's attribute
        "print(igraph.Graph([(0, 1), (1, 2)], directed=True).betweenness())\n"
        "print(any(type(f).__name__ == '_PackageFinder' for f in sys.meta_path))\n")
    assert out.splitlines() == ["True True", "(1, 1)", "[0.0, 1.0, 0.0]", "False"]


def test_the_core_of_a_package_already_imported_is_its_own():
    out = _fresh("import igraph\nfrom dreamgraph.igraphcore import core\nimport sys\n"
                 "print(core() is igraph._igraph, len(sys.meta_path))\n"
                 "import importlib; print(len(sys.meta_path))")
    first, second = out.splitlines()
    assert first.split()[0] == "True" and first.split()[1] == second


def test_threads_asking_for_the_core_at_once_get_the_one_core():
    out = _fresh(
        "import threading\n"
        "from dreamgraph.igraphcore import core\n"
        "found, start = [], threading.Barrier(8)\n"
        "def ask():\n    start.wait(); found.append(core())\n"
        "threads = [threading.Thread(target=ask) for _ in range(8)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "print(len(found), len({id(m) for m in found}))\n")
    assert out == "8 1"
