"""dreamgraph: a knowledge graph of dream symbols and their progressions.

Articles -> parser -> RDF graph -> queries, paths and gaps -> views and CLI.
The command line is a thin layer over this package; everything it does is one
call away from Python:

>>> import dreamgraph
>>> dreamgraph.dream_slug("Dream About Not Being Able to Run: The Kinetic Lock")
'not-being-able-to-run'
"""

__version__ = "0.1.0"

from .errors import DreamgraphError, Problem  # noqa: E402
from .slugs import dream_slug  # noqa: E402

__all__ = ["DreamgraphError", "Problem", "dream_slug", "__version__"]
