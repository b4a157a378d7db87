"""dreamgraph: a knowledge graph of dream symbols and their progressions.

Articles -> parser -> RDF graph -> queries, paths and gaps -> views and CLI.
The command line is a thin layer over this package; everything it does is one
call away from Python (names are imported on first use, so ``import dreamgraph``
stays light):

>>> import dreamgraph
>>> dreamgraph.dream_slug("Dream About Not Being Able to Run: The Kinetic Lock")
'not-being-able-to-run'
>>> callable(dreamgraph.open_store) and callable(dreamgraph.progression_graph)
True
"""

from importlib import import_module

__version__ = "0.1.0"

# public name -> module that holds it
_EXPORTS = {
    "DreamgraphError": "errors", "Problem": "errors",
    "dream_slug": "slugs", "dream_name": "slugs",
    "parse_text": "parse", "parse_file": "parse",
    "open_store": "connect", "MemoryStore": "store",
    "check": "validate",
    "find_dream": "dreams", "dream_card": "dreams", "graph_stats": "dreams", "search_text": "answers",
    "run_query": "answers", "named_queries": "query",
    "progression_graph": "progression", "shortest_progression": "progression", "all_progressions": "progression",
    "progression_tree": "progression", "loops": "progression", "rankings": "progression",
    "find_gaps": "gaps", "completeness_matrix": "gaps",
    "taxonomy_view": "views", "dream_view": "views", "cluster_view": "views", "path_view": "views",
    "gaps_view": "views", "write_view": "views",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'dreamgraph' has no attribute {name!r}")
