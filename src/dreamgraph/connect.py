"""The store a command reads: the embedded store of a graph folder, or a remote SPARQL endpoint.

>>> open_store("graph", endpoint="http://127.0.0.1:7878/query").url
'http://127.0.0.1:7878/query'
"""

from __future__ import annotations

import os

from .remote import DEFAULT_GRAPH, RemoteStore
from .store import Store, open_embedded


def open_store(graph_dir: str | os.PathLike, endpoint: str | None = None, endpoint_graph: str | None = None) -> Store:
    """Return the store every read command uses: a remote endpoint if given, else the embedded store of
    the graph folder (reloaded from ``dreamgraph.ttl`` first when it is missing or out of date).
    ``endpoint_graph`` is the named graph read on the endpoint ("" for the endpoint's default graph).
    """
    if endpoint:
        return RemoteStore(endpoint, DEFAULT_GRAPH if endpoint_graph is None else endpoint_graph)
    return open_embedded(graph_dir)
