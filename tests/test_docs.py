"""The README cannot drift: every command and option is documented, the examples run, and the test
command is the one CI runs."""

import re
import subprocess
import sys

import click
import pytest

from helpers import ROOT
from dreamgraph.cli import main

README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands():
    return sorted(main.commands.items())


@pytest.mark.parametrize("name, command", commands(), ids=[name for name, _ in commands()])
def test_every_command_and_option_is_in_the_readme(name, command):
    assert re.search(rf"dreamgraph[^\n`]*\b{re.escape(name)}\b", README), f"`dreamgraph {name}` is not in README.md"
    for param in command.params:
        if isinstance(param, click.Option):
            longest = max(param.opts, key=len)
            if longest.startswith("--") and longest != "--help":
                assert longest in README, f"{longest} of `dreamgraph {name}` is not in README.md"


def test_global_options_are_in_the_readme():
    for param in main.params:
        if isinstance(param, click.Option) and "--help" not in param.opts:
            assert max(param.opts, key=len) in README


def test_the_readme_test_command_is_what_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == "python3 -m pytest"
    assert "the test command, `python3 -m pytest`" in README


def test_the_python_example_runs_and_prints_what_it_says(tmp_path):
    block = re.search(r"```python\n(.*?)```", README, flags=re.S).group(1)
    (tmp_path / "graph").mkdir()
    import shutil

    shutil.copytree(ROOT / "graph" / "articles", tmp_path / "graph" / "articles")
    (tmp_path / "exports").mkdir()
    result = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    expected = [line.split("# ", 1)[1].strip() for line in block.splitlines()
                if line.startswith("print(") and "# " in line]
    printed = [line.strip() for line in result.stdout.splitlines()]
    for want in expected:
        assert any(want == got or got.startswith(want) for got in printed), (want, printed)
    assert (tmp_path / "exports" / "taxonomy.html").is_file()
