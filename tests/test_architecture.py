"""The layout of ARCHITECTURE.md holds: imports flow one way, and the vocabulary matches the ontology."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from rdflib import OWL, RDF, Graph

from helpers import FIXTURES, ROOT, SEED, article
from dreamgraph.vocabulary import DG, ONTOLOGY


def test_imports_flow_one_way():
    """The contracts in pyproject.toml: each module imports only the layers below its own."""
    try:
        import importlinter  # noqa: F401
    except ImportError:
        pytest.fail("import-linter is needed: pip install -e '.[test]' (or pip install import-linter)")
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(config_filename=sys.argv[1]))"
    result = subprocess.run([sys.executable, "-c", code, str(ROOT / "pyproject.toml")], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_the_architecture_names_every_module():
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    modules = sorted(p.stem for p in (ROOT / "src" / "dreamgraph").glob("*.py") if p.stem not in ("__init__",))
    folders = sorted(p.name for p in (ROOT / "src" / "dreamgraph").iterdir() if (p / "__init__.py").is_file())
    missing = [name for name in modules + [f"{f}/" for f in folders] if name not in text]
    assert missing == [], f"ARCHITECTURE.md does not place: {', '.join(missing)}"


def test_the_vocabulary_declares_the_ontology_s_terms_and_no_other():
    ontology = Graph().parse(ROOT / "src" / "dreamgraph" / "data" / "ontology.ttl")
    declared = {str(s)[len(ONTOLOGY):] for s in ontology.subjects(RDF.type, None)
                if str(s).startswith(ONTOLOGY) and str(s) != ONTOLOGY}
    in_code = set(DG.terms)
    assert declared == in_code, (sorted(declared - in_code), sorted(in_code - declared))
    assert (ontology.value(predicate=RDF.type, object=OWL.Ontology) is not None)


@pytest.mark.parametrize("modules, loaded", [
    ("dreamgraph.cli", []),                                   # what `dreamgraph --help` loads
    ("dreamgraph.cli, dreamgraph.dreams, dreamgraph.connect", ["pyoxigraph"]),  # `show`, `stats`
])
def test_a_command_loads_only_the_libraries_it_needs(modules, loaded):
    """rdflib (0.2 s) is loaded by the build, `validate` and a few formats; networkx by the graph commands."""
    code = (f"import sys, {modules}; print(sorted(m for m in ('rdflib', 'pyoxigraph', 'networkx', 'numpy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(loaded)


@pytest.mark.parametrize("command", [["leads-to", "losing-control"], ["next", "not-being-able-to-run"],
                                     ["path", "not-being-able-to-run", "losing-control"], ["loops"],
                                     ["brief", "losing-control"]])
def test_the_progression_questions_read_the_kept_links_without_networkx(sample_graph, command):
    """networkx (0.2 s to import) is loaded to read the projection itself: a graph built by this code has
    its links kept as arrays, which these commands walk."""
    code = ("import sys; from dreamgraph.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
            "print('networkx' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, "-g", str(sample_graph), *command], capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() and done.stderr.strip().splitlines()[-1] == "False", done.stderr


PATCHES = """
import sys
from pathlib import Path
from dreamgraph.build import build
folder, graph = Path(sys.argv[1]), Path(sys.argv[2])
added = folder / "lantern.txt"
for step in (lambda: added.write_text(sys.argv[3], encoding="utf-8"),  # a new dream, a new stub, a link
             lambda: added.write_text(sys.argv[3].replace("- Lit.", "- Lit again."), encoding="utf-8"),
             added.unlink):
    step()
    assert build([folder], graph).store == "patched"
print(sorted(m for m in ("networkx", "scipy", "numpy.ma") if m in sys.modules))
"""


def test_a_patch_loads_neither_networkx_scipy_nor_numpy_s_masked_arrays(tmp_path):
    """A rebuild after one change is a patch over the kept arrays: networkx (0.2 s to import), scipy (0.1 s)
    and numpy.ma (15 ms: ``np.unique`` and ``np.isin`` load it) would each be time a person waits on."""
    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "gaps", folder)
    shutil.copy(SEED, folder)
    from dreamgraph.build import build

    assert build([folder], tmp_path / "graph").ok
    lantern = article("Dream About A Lantern In The Fog: The Small Light", quick=["Lit."],
                      next_stages=[("it dims", "a lantern gone out", "it fades"), ("you rise", "flying", "it lifts")])
    done = subprocess.run([sys.executable, "-c", PATCHES, str(folder), str(tmp_path / "graph"), lantern],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout
