"""The package as others get it: a source distribution whose tests run, a wheel with its data and licence,
and a command-line export that does not import IPython."""

import subprocess
import sys
import tarfile
import zipfile

import pytest

from helpers import ROOT

pytestmark = pytest.mark.slow


def build_distribution(kind: str, out) -> str:
    """Build the sdist or the wheel of the working tree with setuptools (no network, no isolation)."""
    code = f"from setuptools import build_meta; print(build_meta.build_{kind}({str(out)!r}))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_the_sdist_holds_what_its_tests_need(tmp_path):
    name = build_distribution("sdist", tmp_path)
    with tarfile.open(tmp_path / name) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    root = tmp_path / "unpacked" / name.removesuffix(".tar.gz")
    for needed in ("LICENSE", "tests/conftest.py", "tests/helpers.py", "tests/fixtures/gaps",
                   "graph/articles/000_92aebca6ef1c887d.txt", "bench/generate.py", ".ci/run"):
        assert (root / needed).exists(), f"the sdist lacks {needed}"
    collected = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                               cwd=root, capture_output=True, text=True)
    assert collected.returncode == 0 and " error" not in collected.stdout.splitlines()[-1], collected.stdout[-3000:]
    ran = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_parse.py",
                          "tests/test_gaps.py", "tests/test_docs.py"], cwd=root, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout[-3000:]


def test_the_wheel_ships_its_data_and_licence_and_no_tests(tmp_path):
    name = build_distribution("wheel", tmp_path)
    files = zipfile.ZipFile(tmp_path / name).namelist()
    for needed in ("dreamgraph/data/ontology.ttl", "dreamgraph/data/shapes.ttl", "dreamgraph/queries/gap-orphans.rq",
                   "dreamgraph/views/template.html", "dreamgraph/__main__.py",
                   "dreamgraph/views/vendor/vis-network-9.1.2/vis-network.min.js"):
        assert needed in files, f"the wheel lacks {needed}"
    assert any(f.endswith(".dist-info/LICENSE") or "/licenses/LICENSE" in f for f in files)
    assert not [f for f in files if f.startswith("tests/")]


def test_a_command_line_export_does_not_import_ipython(sample_graph, tmp_path):
    code = ("import sys; from click.testing import CliRunner; from dreamgraph.cli import main; "
            f"result = CliRunner().invoke(main, ['-g', {str(sample_graph)!r}, 'export', '-o', {str(tmp_path / 't.html')!r}]); "
            "assert result.exit_code == 0, result.output; print(sorted(m for m in ('IPython', 'pyvis') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert (tmp_path / "t.html").read_text(encoding="utf-8").count("vis-network") > 0


def test_the_vendored_vis_network_is_the_copy_pyvis_ships_byte_for_byte():
    """vis-network 9.1.2 ships with dreamgraph (views/vendor/); pyvis, its upstream here, has the same bytes,
    and the digests the views check are theirs."""
    import hashlib
    import importlib.util
    from pathlib import Path

    from dreamgraph.views.html import VIS_NETWORK, VIS_NETWORK_FILES, _vis_asset

    upstream = Path(importlib.util.find_spec("pyvis").origin).parent / "templates" / "lib" / "vis-9.1.2"
    vendored = ROOT / "src" / "dreamgraph" / "views" / "vendor" / VIS_NETWORK
    for name, digest in VIS_NETWORK_FILES.items():
        data = (vendored / name).read_bytes()
        assert data == (upstream / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest
        assert _vis_asset(name) == data.decode("utf-8").replace("\r\n", "\n")  # as the HTML parser sees it
    assert "@version 9.1.2" in _vis_asset("vis-network.min.js")[:400]


def test_a_damaged_vis_network_is_a_clear_error(monkeypatch):
    from dreamgraph.errors import DreamgraphError
    from dreamgraph.views import html

    monkeypatch.setitem(html.VIS_NETWORK_FILES, "vis-network.css", "0" * 64)
    html._vis_asset.cache_clear()
    try:
        with pytest.raises(DreamgraphError, match="is not the file the views are made for"):
            html._vis_asset("vis-network.css")
    finally:
        html._vis_asset.cache_clear()
