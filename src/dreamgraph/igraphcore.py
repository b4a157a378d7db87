"""igraph's compiled core, loaded without the Python package around it.

The rankings and the loops need two things of igraph: a directed graph made from numbered links, and
Brandes' betweenness or the strongly connected groups computed in C. Both are methods of
``igraph._igraph.GraphBase``, the compiled core, which loads in 2-4 ms; ``import igraph`` loads the
package around it as well (its drawing back-ends, configuration, text tables and wide-character tables:
40-55 ms), which a rebuild after one edit at 10,000 articles (about a second) paid on every link change.

Python imports a package before any module in it, so the core is loaded here from its file as the
package's own import would load it, under the same name. A compiled module of igraph's kind is set up
once a process: a later ``import igraph`` finds it in ``sys.modules`` and uses it, and :func:`core` makes
sure that import also sets the package's ``_igraph`` attribute, as a plain import would have (one of
igraph's functions reaches the core by it).

>>> g = core().GraphBase(3, [(0, 1), (1, 2)], True)
>>> g.betweenness(directed=True), g.connected_components(mode="strong")
([0.0, 1.0, 0.0], [0, 1, 2])
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from types import ModuleType

NAME = "igraph._igraph"
_LOADING = threading.Lock()


def core() -> ModuleType:
    """Return igraph's compiled core (``GraphBase`` and the rest), loading it alone when the package is
    not loaded yet. Falls back to ``import igraph`` where the core is not a file beside the package."""
    if NAME in sys.modules:
        return sys.modules[NAME]
    with _LOADING:  # (a core loaded twice fails: it is set up once a process)
        return sys.modules[NAME] if NAME in sys.modules else _load()


def _load() -> ModuleType:
    package = importlib.util.find_spec("igraph")  # found, not run
    if package is None:
        raise ModuleNotFoundError("igraph is not installed: pip install igraph", name="igraph")
    found = importlib.machinery.PathFinder.find_spec(NAME, package.submodule_search_locations)
    if found is None or not isinstance(found.loader, importlib.machinery.ExtensionFileLoader):
        import igraph

        return igraph._igraph
    module = importlib.util.module_from_spec(found)
    sys.modules[NAME] = module
    try:
        found.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(NAME, None)
        raise
    sys.meta_path.insert(0, _PackageFinder(module))
    return module


class _PackageFinder(importlib.abc.MetaPathFinder):
    """Finds the package ``igraph`` the first time it is imported after the core was loaded alone, as the
    path finder would, and sets its ``_igraph`` attribute once the package has run (an import of the core
    as part of the package sets it; one that finds the core already loaded does not)."""

    def __init__(self, module: ModuleType):
        self._core = module

    def find_spec(self, name, path=None, target=None):
        if name != "igraph":
            return None
        with contextlib.suppress(ValueError):  # (once)
            sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        run, loaded = spec.loader.exec_module, self._core

        def exec_module(module: ModuleType) -> None:
            run(module)
            module._igraph = loaded

        spec.loader.exec_module = exec_module
        return spec
