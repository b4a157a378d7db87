"""HTML views of the graph and the other export formats."""

from __future__ import annotations

import html
from pathlib import Path

from ..store import Store, atomic_write


def write_gap_report(store: Store, gaps, path: str | Path) -> None:
    """Write a standalone HTML page listing the gaps (escaped; no script)."""
    rows = []
    for gap in gaps:
        evidence = "<br>".join(html.escape(f"{e['path']}:{e['line']} {e['text']}" if e["path"] else e["text"])
                               for e in gap.evidence)
        rows.append(f"<tr><td>{html.escape(gap.kind)}</td><td>{gap.score:g}</td><td>{html.escape(gap.node)}</td>"
                    f"<td>{html.escape(gap.action)}</td><td>{evidence}</td></tr>")
    page = ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>dreamgraph gaps</title>"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            "<style>body{font-family:sans-serif;margin:2em}td,th{border-bottom:1px solid #ddd;padding:4px 8px;"
            "vertical-align:top;text-align:left}</style></head><body><h1>Content gaps</h1><table><tr><th>kind</th>"
            "<th>score</th><th>node</th><th>action</th><th>evidence</th></tr>" + "".join(rows) + "</table></body></html>")
    atomic_write(path, page.encode("utf-8"))
