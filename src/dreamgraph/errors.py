"""The library's exception and problem types.

Everything a user can get wrong surfaces as a :class:`DreamgraphError` (one
clear line, no traceback) or, while building, as a :class:`Problem` attached
to the file and line it is about, so one broken article never stops the rest.

>>> str(Problem("error", "graph/articles/a.txt", 12, "scenario without '→'"))
"graph/articles/a.txt:12: error: scenario without '→'"
"""

from __future__ import annotations

from dataclasses import dataclass


class DreamgraphError(Exception):
    """A mistake or a fault the user can act on; the CLI prints it as one line."""

    exit_code = 1


class MissingOptionError(DreamgraphError):
    """A call that lacks a value it needs (a view without its dream, say); ``option`` names it."""

    exit_code = 2

    def __init__(self, option: str, message: str):
        self.option = option
        super().__init__(message)


class UnknownDreamError(DreamgraphError):
    """A dream name that matches no dream in the graph."""

    def __init__(self, name: str, suggestions: list[str]):
        self.name, self.suggestions = name, suggestions
        hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(f"unknown dream {name!r}{hint}")


class GraphNotBuiltError(DreamgraphError):
    """The graph folder holds no built graph yet."""


class FolderLockedError(DreamgraphError):
    """Another build holds the graph folder (one build at a time), past the time allowed to wait for it."""


class QueryError(DreamgraphError):
    """A SPARQL query that is refused, malformed, too slow or fails remotely."""


class EndpointError(DreamgraphError):
    """A remote SPARQL endpoint that cannot be reached or answers with an error."""


@dataclass(frozen=True, order=True)
class Problem:
    """Something wrong in one article; ``severity`` is "error" when content was dropped."""

    severity: str  # "error" (content dropped) or "warning" (built, but worth a look)
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message}"
