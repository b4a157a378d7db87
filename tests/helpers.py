"""Helpers shared by the tests: paths of the sample corpus, a writer of short articles, and starting a
server process on a free loopback port."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import textwrap
import time
from pathlib import Path
from typing import Callable

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "graph" / "articles" / "000_92aebca6ef1c887d.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def leftovers(graph_dir: Path) -> list[str]:
    """Return the names of the temporary files and folders a build left in a graph folder, but for the graph
    file the last build replaced, which it leaves for the next to remove (see ``graphfolder._retire``)."""
    return sorted(p.name for p in graph_dir.iterdir() if p.name.endswith(".tmp") and not p.name.endswith(".retired.tmp"))


def article(title: str, *, scenarios=(), sensations=(), quick=(), faq=(), next_stages=(), prose="", sentence=None,
            extra_sections: str = "") -> str:
    """Return the text of a short article in the seed's plain-text format."""
    lines = [title, prose or "An intro paragraph that ends properly."]
    if quick:
        lines += ["Quick Answer", *[f"- {q}" for q in quick]]
    if scenarios:
        lines += ["Common Scenarios", *[f"- {s} → {m}" for s, m in scenarios]]
    if sensations:
        lines += ["What the Body Registered", *[f"- {s} → {m}" for s, m in sensations]]
    if extra_sections:
        lines += [textwrap.dedent(extra_sections).strip()]
    if sentence:
        lines += ["The Sentence This Dream Was Trying to Say", f"“{sentence}”"]
    if faq:
        lines += ["FAQ", *[f"{q} {a}" for q, a in faq]]
    if next_stages:
        lines += ["Next Stages", *[f"If {c} → dream about {t} meaning — when {g}" for c, t, g in next_stages]]
    return "\n".join(lines) + "\n"


SUBTITLE_RULE = """
<https://w3id.org/dreamgraph/shapes#Subtitled> a <http://www.w3.org/ns/shacl#NodeShape> ;
    <http://www.w3.org/ns/shacl#targetClass> <https://w3id.org/dreamgraph/ontology#Dream> ;
    <http://www.w3.org/ns/shacl#property> [ <http://www.w3.org/ns/shacl#path> <https://w3id.org/dreamgraph/ontology#subtitle> ;
        <http://www.w3.org/ns/shacl#minCount> 1 ; <http://www.w3.org/ns/shacl#message> "every dream has a subtitle" ] .
"""


@contextlib.contextmanager
def stricter_shapes(rule: str = SUBTITLE_RULE):
    """Within it, dreamgraph ships shapes stricter than its own (by default, every dream has a subtitle:
    stubs have none), as a later version of it might: the build checks them and writes them to shapes.ttl."""
    import dreamgraph.build as build_module
    import dreamgraph.graphfolder as graphfolder_module
    import dreamgraph.validate as validate_module

    stricter = validate_module.shapes_text() + rule
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validate_module, "shapes_text", lambda: stricter)
        patch.setattr(build_module, "shapes_text", lambda: stricter)
        patch.setattr(graphfolder_module, "shapes_text", lambda: stricter)
        validate_module._shapes.cache_clear()
        try:
            yield
        finally:
            validate_module._shapes.cache_clear()


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running(command: list[str], ready: Callable[[], None], what: str, *, seconds: float = 20, cwd=None):
    """Start a server process, wait until ``ready()`` stops raising OSError, yield, then stop the process.
    A process that ends or is not ready within ``seconds`` fails the test with the end of its stderr."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + seconds
    while True:
        try:
            ready()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"{what} did not start: {process.stderr.read().decode()[-1000:]}")
            time.sleep(0.1)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()



def same_table(name: str, a, b) -> bool:
    """Return True when two values of a read-model table are the same (arrays and mapped bytes compared by
    their contents)."""
    import numpy as np

    if name == "projection-changes":  # read with the projection, compared as it: a patch's are not a clean build's
        return set(a) == set(b) == {"nodes", "links"}
    if name == "projection":
        return list(a.nodes(data=True)) == list(b.nodes(data=True)) and list(a.edges(data=True)) == list(b.edges(data=True))
    if name == "shingles":
        from dreamgraph.snapshot.texts import shingle_arrays

        a, b = shingle_arrays(a), shingle_arrays(b)
        return a[0] == b[0] and np.array_equal(a[1], b[1]) and np.array_equal(a[2], b[2])
    if name == "links":
        return a.keys() == b.keys() and all(a[k] == b[k] if isinstance(a[k], list) else np.array_equal(a[k], b[k]) for k in a)
    if name == "search":
        return a.keys() == b.keys() and all(bytes(a[k]) == bytes(b[k]) if k in ("lower", "versions") else
                                            (a[k] == b[k] if isinstance(a[k], list) else np.array_equal(a[k], b[k])) for k in a)
    if name == "card-parts":
        from dreamgraph.snapshot.articles import Cards

        a, b = Cards(a), Cards(b)
        return a.slugs == b.slugs and a.urls == b.urls and all(a[slug] == b[slug] for slug in a)
    if name == "gaps-text":  # the dreams and headings numbered as a patch or a build met them: compared by value
        return (bytes(a["text"]) == bytes(b["text"]) and np.array_equal(a["starts"], b["starts"])
                and np.array_equal(a["sizes"], b["sizes"]) and a["kind-names"] == b["kind-names"]
                and np.array_equal(a["kind-sizes"], b["kind-sizes"]) and np.array_equal(a["scores"], b["scores"])
                and [a["names"][n] for n in a["nodes"]] == [b["names"][n] for n in b["nodes"]]
                and [a["heads"][n] for n in a["head-of"]] == [b["heads"][n] for n in b["head-of"]]
                and a["node-sizes"][a["nodes"]].tolist() == b["node-sizes"][b["nodes"]].tolist()
                and bytes(a["csv"]) == bytes(b["csv"]) and np.array_equal(a["csv-sizes"], b["csv-sizes"])
                and bytes(a["json"]) == bytes(b["json"]) and np.array_equal(a["json-sizes"], b["json-sizes"])
                and bytes(a["markdown"]) == bytes(b["markdown"]) and np.array_equal(a["markdown-cells"], b["markdown-cells"]))
    return a == b
