"""How much memory a query may take, and how it is measured.

Oxigraph bounds neither the time nor the memory of a query: a cross product sorted by its values
(``SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f``) grows by hundreds of megabytes a second until
the machine runs out. A query is therefore watched while it runs, and stopped with a message once the
process that runs it has grown by more than its allowance.

>>> resident_bytes() > 0
True
>>> parse_size("1.5G") == 3 * 2**29
True
"""

from __future__ import annotations

import os
import re

from .errors import QueryError

#: How often a running query's memory is looked at, in seconds. Oxigraph was seen to grow by about
#: 450 MB a second on a cross product, so a query overshoots its allowance by some 10 MB at most.
POLL_SECONDS = 0.02


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


#: The default allowance: 4 GiB, or half the machine's memory when it has less than 8 GiB.
DEFAULT_QUERY_MEMORY = min(4 << 30, _physical_memory() // 2)


def resident_bytes(pid: int | None = None) -> int:
    """Return the memory a process holds now (its resident set), in bytes; 0 when it cannot be read.

    Linux gives it in ``/proc``; elsewhere, for this process only, the peak so far stands in for it.
    """
    try:
        with open(f"/proc/{pid or 'self'}/statm", "rb") as status:
            return int(status.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        if pid is not None and pid != os.getpid():
            return 0
        import resource
        import sys

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def parse_size(text: str) -> int:
    """Return a size written as bytes or with a unit (``500M``, ``2G``, ``1.5GB``, ``800MiB``) in bytes.

    >>> parse_size("500M"), parse_size("2048")
    (524288000, 2048)
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", text, re.IGNORECASE)
    if not match:
        raise ValueError(f"not a size: {text!r} (write it as 500M, 2G or a number of bytes)")
    number, unit = float(match.group(1)), match.group(2).lower()
    return int(number * 1024 ** " kmgt".index(unit or " "))


def size_text(size: int) -> str:
    """Return a size in bytes as people write it.

    >>> size_text(3 << 30), size_text(200 << 20)
    ('3 GB', '200 MB')
    """
    if size >= 1 << 30:
        return f"{size / (1 << 30):.3g} GB"
    return f"{size / (1 << 20):.3g} MB"


def over_allowance(allowance: int) -> QueryError:
    """Return the error for a query that needed more memory than it was allowed."""
    return QueryError(f"query stopped: it needed more than {size_text(allowance)} of memory (narrow it with a "
                      "LIMIT or fewer unbound patterns, or raise the limit with --max-memory)")
