"""The ``dreamgraph`` command: parse options, call the library, format the output.

The only module that imports click. Errors of the user's making arrive as
:class:`~dreamgraph.errors.DreamgraphError` and leave as one line on stderr
with an exit status: 0 success, 1 error, 2 usage, 3 ran fine and found problems.
"""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from pathlib import Path

import click

from . import __version__
from .errors import DreamgraphError
from .output import console, echo_table, safe_text

EXIT_FOUND_PROBLEMS = 3
GRAPH_DIR_ENV = "DREAMGRAPH_GRAPH_DIR"
ENDPOINT_ENV = "DREAMGRAPH_ENDPOINT"


class Context:
    """What every subcommand shares: the graph folder and, when given, a remote endpoint."""

    def __init__(self, graph_dir: Path, endpoint: str | None):
        self.graph_dir, self.endpoint = graph_dir, endpoint
        self._store = None

    @property
    def store(self):
        """Return the store read commands use, opened on first use."""
        if self._store is None:
            from .store import open_store

            self._store = open_store(self.graph_dir, self.endpoint)
        return self._store


class DreamgraphGroup(click.Group):
    """A click group that turns library errors into one line and an exit status."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DreamgraphError as exc:
            click.echo(f"error: {safe_text(str(exc), multiline=True)}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            sys.exit(1)


graph_dir_option = click.option(
    "--graph-dir", "-g", type=click.Path(file_okay=False, path_type=Path), envvar=GRAPH_DIR_ENV,
    default="graph", show_default=True, help=f"The graph folder (or ${GRAPH_DIR_ENV}).")


@click.group(cls=DreamgraphGroup, context_settings={"help_option_names": ["-h", "--help"]})
@graph_dir_option
@click.option("--endpoint", envvar=ENDPOINT_ENV, metavar="URL",
              help=f"Read from this SPARQL 1.1 endpoint instead of the embedded store (or ${ENDPOINT_ENV}).")
@click.version_option(__version__, prog_name="dreamgraph")
@click.pass_context
def main(ctx, graph_dir: Path, endpoint: str | None):
    """Map dream-meaning articles as a knowledge graph: build it, query it, find its gaps, draw it."""
    ctx.obj = Context(graph_dir, endpoint)


def _subcommand_graph_dir(ctx, graph_dir: Path | None) -> Context:
    """Let ``--graph-dir`` be given after the subcommand too."""
    if graph_dir is not None:
        ctx.obj.graph_dir = graph_dir
        ctx.obj._store = None
    return ctx.obj


local_graph_dir = click.option(
    "--graph-dir", "-g", "sub_graph_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="The graph folder (same as the option before the subcommand).")


# --- build and check -------------------------------------------------------------------------------

@main.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@local_graph_dir
@click.option("--max-bytes", type=int, default=None, help="Largest article file read, in bytes [5000000].")
@click.option("--max-line-chars", type=int, default=None, help="Longest line read, in characters [100000].")
@click.option("--max-items", type=int, default=None, help="Most items read per section [1000].")
@click.option("--wait", type=float, default=0, help="Seconds to wait for another build of the same folder.")
@click.option("--no-validate", is_flag=True, help="Skip the SHACL check after building.")
@click.option("--quiet", "-q", is_flag=True, help="Print only problems and the summary.")
@click.pass_context
def build(ctx, sources, sub_graph_dir, max_bytes, max_line_chars, max_items, wait, no_validate, quiet):
    """Build the graph from article files and folders (default: GRAPH_DIR/articles).

    Writes GRAPH_DIR/dreamgraph.ttl, the ontology and shapes beside it, and the embedded store.
    Exits 1 when an article or part of one had to be dropped, 3 when the graph breaks a SHACL rule.
    """
    from .build import build as run_build
    from .parse import Limits

    obj = _subcommand_graph_dir(ctx, sub_graph_dir)
    defaults = Limits()
    limits = Limits(max_bytes=max_bytes or defaults.max_bytes,
                    max_line_chars=max_line_chars or defaults.max_line_chars,
                    max_items=max_items or defaults.max_items)
    sources = list(sources) or [obj.graph_dir / "articles"]
    with nullcontext() if quiet else _progress() as bar:
        report = run_build(sources, obj.graph_dir, limits=limits, validate=not no_validate,
                           progress=None if quiet else bar, lock_timeout=wait)
    for problem in report.problems:
        if not quiet or problem.severity == "error":
            click.echo(safe_text(str(problem)), err=True)
    for violation in report.violations:
        click.echo(f"shape violation: {safe_text(str(violation))}", err=True)
    errors = sum(p.severity == "error" for p in report.problems)
    warnings = len(report.problems) - errors
    click.echo(
        f"built {report.graph_file}: {report.articles} articles, {report.dreams} dreams "
        f"({report.stubs} stubs), {report.clusters} clusters, {report.triples} triples "
        f"in {report.seconds:.2f} s; {errors} errors, {warnings} warnings"
        + (f", {len(report.violations)} shape violations" if report.violations else ""))
    if errors:
        sys.exit(1)
    if report.violations:
        sys.exit(EXIT_FOUND_PROBLEMS)


class _progress:
    """A rich progress bar on stderr, shown only for builds of many files."""

    def __enter__(self):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self.bar = Progress("parsing", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            console=console(stderr=True), transient=True)
        self.task = None
        return self

    def __call__(self, done: int, total: int):
        if total < 20:
            return
        if self.task is None:
            self.bar.start()
            self.task = self.bar.add_task("parse", total=total)
        self.bar.update(self.task, completed=done)

    def __exit__(self, *exc):
        if self.task is not None:
            self.bar.stop()


@main.command()
@local_graph_dir
@click.pass_context
def validate(ctx, sub_graph_dir):
    """Check the built graph against the SHACL shapes; exit 3 on a violation."""
    from .store import GRAPH_FILE
    from .validate import check, read_turtle

    obj = _subcommand_graph_dir(ctx, sub_graph_dir)
    path = obj.graph_dir / GRAPH_FILE
    if not path.is_file():
        raise DreamgraphError(f"no graph in {obj.graph_dir}/: run `dreamgraph build` first")
    violations = check(read_turtle(path))
    for violation in violations:
        click.echo(safe_text(f"{violation.focus}: {violation.message}"
                             + (f" (value {violation.value})" if violation.value else "")))
    if violations:
        click.echo(f"{len(violations)} violations in {path}", err=True)
        sys.exit(EXIT_FOUND_PROBLEMS)
    click.echo(f"{path} conforms to the shapes")


# --- reading ---------------------------------------------------------------------------------------

format_option = click.option("--format", "-f", "fmt", type=click.Choice(["table", "json", "csv"]),
                             default="table", show_default=True, help="Output format.")


@main.command()
@click.argument("dream")
@local_graph_dir
@format_option
@click.pass_context
def show(ctx, dream, sub_graph_dir, fmt):
    """Print a dream's card: subtitle, quick answer, scenarios, sensations, clusters, next stages."""
    from .dreams import dream_card, find_dream

    store = _subcommand_graph_dir(ctx, sub_graph_dir).store
    card = dream_card(store, find_dream(store, dream))
    if fmt == "json":
        click.echo(json.dumps(card.as_dict(), ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        rows = ([("quick answer", item, "") for item in card.quick_answer]
                + [("scenario", s["label"], s["meaning"]) for s in card.scenarios]
                + [("sensation", s["label"], s["meaning"]) for s in card.sensations]
                + [("next stage", n["slug"], n["condition"]) for n in card.next_stages])
        echo_table(["part", "text", "detail"], rows, "csv")
        return
    from .output import print_card

    print_card(card)


@main.command()
@local_graph_dir
@format_option
@click.pass_context
def stats(ctx, sub_graph_dir, fmt):
    """Count dreams (written, stubs, partial), parts by class, clusters and triples."""
    from .dreams import graph_stats

    counts = graph_stats(_subcommand_graph_dir(ctx, sub_graph_dir).store)
    if fmt == "json":
        click.echo(json.dumps(counts, indent=2))
    else:
        echo_table(["what", "count"], list(counts.items()), fmt)


if __name__ == "__main__":  # pragma: no cover
    main()
