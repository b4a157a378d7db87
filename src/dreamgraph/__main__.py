"""``python -m dreamgraph``: the same program as the ``dreamgraph`` command."""

from .cli import run

if __name__ == "__main__":
    run()
