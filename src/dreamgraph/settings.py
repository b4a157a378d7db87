"""The defaults and choices the library and the command line share, in one light module (the command line
reads them when it starts, before any heavy import).

>>> GapSettings().min_cluster_size, QUERY_TIMEOUT, "taxonomy" in VIEWS
(3, 30.0, True)
"""

from __future__ import annotations

from dataclasses import dataclass

#: Seconds before a user's query is stopped, and the most rows a query prints.
QUERY_TIMEOUT = 30.0
MAX_ROWS = 10_000
#: Seconds to wait for a server that receives a pushed graph.
PUSH_TIMEOUT = 300.0

#: The views `dreamgraph export` writes, and the options each one needs.
VIEWS = ("taxonomy", "dream", "cluster", "path", "gaps")
VIEW_NEEDS = {"dream": ("dream",), "cluster": ("cluster",), "path": ("source", "target")}
#: The other formats of an export.
FORMATS = ("html", "graphml", "csv", "jsonld", "ntriples")


@dataclass(frozen=True)
class GapSettings:
    """Thresholds of the gap report."""

    min_cluster_size: int = 3
    min_items: int = 3            # fewer items than this in a list section is "thin"
    typo_similarity: int = 85     # 0-100: how close a stub's slug must be to a written dream's to count as a typo
    duplicate_similarity: float = 0.4  # 0-1: share of shingles above which two articles are near-duplicates
