"""The ``dreamgraph`` command: parse options, call the library, format the output.

The only module that imports click. Errors of the user's making arrive as
:class:`~dreamgraph.errors.DreamgraphError` and leave as one line on stderr
with an exit status: 0 success, 1 error, 2 usage, 3 ran fine and found problems.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import time
from collections import Counter
from contextlib import nullcontext
from pathlib import Path

import click

from . import __version__, settings
from .errors import DreamgraphError
from .output import console, echo_data, echo_jsonl, echo_table, json_bytes, safe_text

EXIT_FOUND_PROBLEMS = 3
GAPS = settings.GapSettings()
GRAPH_DIR_ENV = "DREAMGRAPH_GRAPH_DIR"
ENDPOINT_ENV = "DREAMGRAPH_ENDPOINT"


class Context:
    """What every subcommand shares: the graph folder and, when given, a remote endpoint."""

    def __init__(self, graph_dir: Path, endpoint: str | None, endpoint_graph: str | None):
        self.graph_dir, self.endpoint, self.endpoint_graph = graph_dir, endpoint, endpoint_graph
        self._store = None

    @property
    def store(self):
        """Return the store read commands use, opened on first use."""
        if self._store is None:
            from .connect import open_store

            self._store = open_store(self.graph_dir, self.endpoint, self.endpoint_graph)
            if hasattr(self._store, "on_stale"):
                self._store.on_stale = lambda: click.echo(
                    "note: the data kept with this graph is out of date (made by another version of dreamgraph, "
                    "or before the graph changed): reading the graph itself, which is slow on a large library; "
                    "run `dreamgraph build` to make it again", err=True)
        return self._store


class Seconds(click.ParamType):
    """A number of seconds: finite, above zero (or zero when ``zero``), at most a million."""

    name = "seconds"

    def __init__(self, zero: bool = False):
        self.zero = zero

    def convert(self, value, param, ctx):
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not math.isfinite(number) or number < 0 or (number == 0 and not self.zero) or number > 1_000_000:
            self.fail(f"{value!r} is not a number of seconds from {0 if self.zero else 'above 0'} to 1,000,000",
                      param, ctx)
        return number


class Size(click.ParamType):
    """An amount of memory: bytes, or a number with a unit (500M, 2G)."""

    name = "size"

    def convert(self, value, param, ctx):
        from .limits import parse_size

        try:
            size = value if isinstance(value, int) else parse_size(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        if size < 1 << 20:
            self.fail(f"{value!r} is less than a megabyte", param, ctx)
        return size


COUNT = click.IntRange(min=1)


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
        except OSError as exc:  # a read-only folder, a full disk: what is written is written whole or not at all
            if isinstance(exc, BrokenPipeError):
                sys.exit(1)
            where = f" ({safe_text(os.fsdecode(exc.filename))})" if exc.filename else ""
            click.echo(f"error: {exc.strerror or exc}{where}; files are written whole or not at all, so what was "
                       "there is as it was", err=True)
            sys.exit(1)
        except BrokenPipeError:
            sys.exit(1)


graph_dir_option = click.option(
    "--graph-dir", "-g", type=click.Path(file_okay=False, path_type=Path), envvar=GRAPH_DIR_ENV,
    default="graph", show_default=True, help=f"The graph folder (or ${GRAPH_DIR_ENV}).")


@click.group(cls=DreamgraphGroup, context_settings={"help_option_names": ["-h", "--help"]})
@graph_dir_option
@click.option("--endpoint", envvar=ENDPOINT_ENV, metavar="URL",
              help=f"Read from this SPARQL 1.1 endpoint instead of the embedded store (or ${ENDPOINT_ENV}).")
@click.option("--endpoint-graph", envvar="DREAMGRAPH_ENDPOINT_GRAPH", metavar="IRI", default=None,
              help="Named graph read on the endpoint [the one `push` writes]; '' for the endpoint's default graph.")
@click.version_option(__version__, prog_name="dreamgraph")
@click.pass_context
def main(ctx, graph_dir: Path, endpoint: str | None, endpoint_graph: str | None):
    """Map dream-meaning articles as a knowledge graph: build it, query it, find its gaps, draw it."""
    ctx.obj = Context(graph_dir, endpoint, endpoint_graph)


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

SHOWN_WARNINGS = 50  # a build of a large library can have thousands: the first ones, then a count


def limit_options(command):
    """The options of `build` and `watch` that bound what is read of an article (see dreamgraph.parse.Limits)."""
    for option in reversed([
            click.option("--max-bytes", type=COUNT, default=None, help="Largest article file read, in bytes [5000000]."),
            click.option("--max-line-chars", type=COUNT, default=None,
                         help="Longest line read, in characters [100000]."),
            click.option("--max-items", type=COUNT, default=None, help="Most items read per section [1000].")]):
        command = option(command)
    return command


def _limits(max_bytes: int | None, max_line_chars: int | None, max_items: int | None):
    """Return the parse limits the options give, each left out as its default."""
    from .parse import Limits

    defaults = Limits()
    return Limits(max_bytes=max_bytes or defaults.max_bytes, max_line_chars=max_line_chars or defaults.max_line_chars,
                  max_items=max_items or defaults.max_items)


@main.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@local_graph_dir
@limit_options
@click.option("--wait", type=Seconds(zero=True), default=0, help="Seconds to wait for another build of the same folder.")
@click.option("--no-validate", is_flag=True, help="Skip the SHACL check after building.")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and the summary.")
@click.option("--all-warnings", is_flag=True,
              help=f"Print every warning (by default the first {SHOWN_WARNINGS}, then how many more).")
@click.option("--force", is_flag=True, help="Build again even when nothing changed since the last build.")
@click.pass_context
def build(ctx, sources, sub_graph_dir, max_bytes, max_line_chars, max_items, wait, no_validate, quiet, all_warnings,
          force):
    """Build the graph from article files and folders (default: GRAPH_DIR/articles).

    Writes GRAPH_DIR/dreamgraph.ttl, the ontology and shapes beside it, and the embedded store. When no
    article, alias, setting or dreamgraph itself changed since the last build, and the graph folder is as
    it left it, writes nothing and reports that build again ("up to date"); --force builds all the same.
    Exits 1 when an article or part of one had to be dropped, 3 when the graph breaks a SHACL rule.
    """
    from .build import build as run_build

    obj = _subcommand_graph_dir(ctx, sub_graph_dir)
    limits = _limits(max_bytes, max_line_chars, max_items)
    sources = list(sources) or [obj.graph_dir / "articles"]
    with nullcontext() if quiet else _progress() as bar:
        report = run_build(sources, obj.graph_dir, limits=limits, validate=not no_validate,
                           progress=None if quiet else bar, lock_timeout=wait, stage=None if quiet else bar.stage,
                           force=force)
    shown = 0
    for problem in report.problems:  # every error; warnings up to SHOWN_WARNINGS unless all are asked for
        if problem.severity == "error" or (not quiet and (all_warnings or shown < SHOWN_WARNINGS)):
            click.echo(safe_text(str(problem)), err=True)
            shown += problem.severity != "error"
    hidden = 0 if quiet else sum(p.severity != "error" for p in report.problems) - shown
    if hidden:
        click.echo(f"… and {hidden} more warnings (--all-warnings prints them; `dreamgraph gaps` ranks "
                   "what they point at)", err=True)
    for violation in report.violations:
        click.echo(f"shape violation: {safe_text(str(violation))}", err=True)
    click.echo(_summary(report))
    if any(p.severity == "error" for p in report.problems):
        sys.exit(1)
    if report.violations:
        sys.exit(EXIT_FOUND_PROBLEMS)


def _summary(report) -> str:
    """Return the line a build ends with: what was built, how fast, and how many problems."""
    errors = sum(p.severity == "error" for p in report.problems)
    warnings = len(report.problems) - errors
    return (("up to date" if report.store == "unchanged" else "built")
            + f" {report.graph_file}: {report.articles} articles, {report.dreams} dreams "
            f"({report.stubs} stubs), {report.clusters} clusters, {report.triples} triples "
            f"in {report.seconds:.2f} s; {errors} errors, {warnings} warnings"
            + (f", {len(report.violations)} shape violations" if report.violations else ""))


@main.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@local_graph_dir
@limit_options
@click.option("--no-validate", is_flag=True, help="Skip the SHACL check after building.")
@click.option("--export", "export_views", is_flag=True,
              help="Write the standard views again after each build, as `export --all` does.")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("exports"),
              show_default=True, help="Where --export writes the views.")
@click.option("--poll", is_flag=True, help="Look for changes every 0.3 s instead of waiting for the system's file "
              "events (for network and container-mounted folders, which send none).")
@click.pass_context
def watch(ctx, sources, sub_graph_dir, max_bytes, max_line_chars, max_items, no_validate, export_views, output_dir,
          poll):
    """Build the graph, then build it again each time an article changes, until interrupted (Ctrl-C).

    Watches the article files and folders (default: GRAPH_DIR/articles) and the graph folder's alias
    table. A process that stays up rebuilds faster than `dreamgraph build` run at each change (Python and
    the build's modules are loaded once). Prints each build's summary line, with the errors and warnings
    of the files that changed (the first build: as `build` does) and the gaps the change opened and
    closed; with --export, writes the views too.
    """
    from .watch import rebuilds

    obj = _subcommand_graph_dir(ctx, sub_graph_dir)
    limits = _limits(max_bytes, max_line_chars, max_items)
    sources = list(sources) or [obj.graph_dir / "articles"]
    click.echo(f"watching {', '.join(safe_text(str(s)) for s in sources)} (Ctrl-C stops)", err=True)
    signal.signal(signal.SIGTERM, _stop)  # as Ctrl-C: a service manager's stop, `kill`
    try:
        _watch(rebuilds(sources, obj.graph_dir, limits=limits, validate=not no_validate,
                        force_polling=True if poll else None, ignore=[output_dir] if export_views else []),
               obj.graph_dir, export_views, output_dir)
    except KeyboardInterrupt:  # the way to stop: a build cut short leaves the folder as it was
        click.echo("stopped", err=True)


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt


def _watch(rebuilt_builds, graph_dir: Path, export_views: bool, output_dir: Path) -> None:
    """Print each build of `dreamgraph watch` (and write the views, if asked). An error said already (the
    folder still held by another build, tried again) is not said again."""
    said = None
    for rebuilt in rebuilt_builds:
        if rebuilt.error is not None and rebuilt.error == said:
            continue
        said = rebuilt.error
        if rebuilt.changed:
            shown = ", ".join(safe_text(path) for path in rebuilt.changed[:3])
            more = len(rebuilt.changed) - 3
            click.echo(f"changed: {shown}" + (f" and {more} more" if more > 0 else ""), err=True)
        if rebuilt.error is not None:
            click.echo(f"error: {safe_text(rebuilt.error)}", err=True)
            continue
        report = rebuilt.report
        changed = set(rebuilt.changed)
        shown = 0
        for problem in report.problems:  # the changed files' (the first build's: as `build` shows them)
            if (problem.path in changed if changed else
                    problem.severity == "error" or shown < SHOWN_WARNINGS):
                click.echo(safe_text(str(problem)), err=True)
                shown += problem.severity != "error"
        hidden = 0 if changed else sum(p.severity != "error" for p in report.problems) - shown
        if hidden:
            click.echo(f"… and {hidden} more warnings (`dreamgraph gaps` ranks what they point at)", err=True)
        for violation in report.violations:
            click.echo(f"shape violation: {safe_text(str(violation))}", err=True)
        click.echo(_summary(report))
        opened, closed = rebuilt.gap_changes()
        for what, gaps in (("opened", opened), ("closed", closed)):
            for gap in gaps[:SHOWN_GAP_CHANGES]:
                click.echo(f"  gap {what}: {gap.kind}: {safe_text(gap.node)} — {safe_text(gap.action)}")
            if len(gaps) > SHOWN_GAP_CHANGES:
                click.echo(f"  … and {len(gaps) - SHOWN_GAP_CHANGES} more gaps {what} (`dreamgraph gaps` lists them)")
        if export_views and (not rebuilt.changed or report.store != "unchanged"):  # the first build's too
            _export_all(graph_dir, output_dir)


SHOWN_GAP_CHANGES = 5  # gaps opened (and closed) by one change that `watch` prints


def _export_all(graph_dir: Path, output_dir: Path) -> None:
    """Write the standard views of a graph folder (as `export --all`), saying how many were written."""
    from .connect import open_store
    from .views import standard_views, write_view
    from .views.formats import SUFFIX

    store = open_store(graph_dir)
    written = [write_view(view, output_dir / f"{stem}{SUFFIX['html']}") for view, stem in standard_views(store)]
    click.echo(f"wrote {len(written)} views to {safe_text(str(output_dir))}")


class _progress:
    """A rich progress line on stderr for builds of many files: a bar while the files are read, then the
    step the build is at (see :data:`dreamgraph.build.STAGES`), and the time since the build began."""

    def __enter__(self):
        self.started, self.task = time.monotonic(), None
        self.step = "reading the articles"
        return self

    def _shown(self):
        """Make the bar and show it (rich's progress is imported then: 0.03 s of a rebuild that shows none)."""
        from datetime import timedelta

        from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn
        from rich.text import Text

        started = self.started

        class Since(ProgressColumn):  # rich's elapsed column stops when the bar is full
            def render(self, task) -> Text:
                return Text(str(timedelta(seconds=int(time.monotonic() - started))), style="progress.elapsed")

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[count]}"),
                            Since(), console=console(stderr=True), transient=True)
        self.bar.start()

    def __call__(self, done: int, total: int):
        if total < 20:
            return
        if self.task is None:
            self._shown()
            self.task = self.bar.add_task(self.step, total=total, count="")
        self.bar.update(self.task, completed=done, count=f"{done}/{total}")

    def stage(self, what: str) -> None:
        """Show the step the build has begun (once the bar is shown: a small build shows nothing)."""
        self.step = what
        if self.task is not None and what != "reading the articles":
            self.bar.update(self.task, description=what, total=None, count="")
            self.bar.refresh()  # shown now, however soon the next step begins

    def __exit__(self, *exc):
        if self.task is not None:
            self.bar.stop()


@main.command()
@local_graph_dir
@click.option("--full", is_flag=True,
              help="Run pySHACL over the whole graph even when the build that wrote it checked these shapes.")
@click.pass_context
def validate(ctx, sub_graph_dir, full):
    """Check the built graph against the SHACL shapes of its folder (shapes.ttl); exit 3 on a violation.

    When the build that wrote the graph checked it against these shapes and nothing changed since, its
    verdict is the answer; otherwise (or with --full) pySHACL checks the whole graph in memory.
    """
    from .graphfolder import last_verdict
    from .store import GRAPH_FILE
    from .validate import check, read_turtle

    obj = _subcommand_graph_dir(ctx, sub_graph_dir)
    path = obj.graph_dir / GRAPH_FILE
    if not path.is_file():
        raise DreamgraphError(f"no graph in {obj.graph_dir}/: run `dreamgraph build` first")
    shapes = obj.graph_dir / "shapes.ttl"
    violations = None if full else last_verdict(obj.graph_dir)
    if violations is not None:
        click.echo("checked by the build that wrote the graph, an article, cluster and stub at a time "
                   "(--full checks the whole graph again with pySHACL)", err=True)
    else:
        violations = check(read_turtle(path), shapes if shapes.is_file() else None)
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
list_format_option = click.option("--format", "-f", "fmt", type=click.Choice(["table", "json", "jsonl", "csv"]),
                                  default="table", show_default=True,
                                  help="Output format (jsonl: one JSON object a line, for piping).")


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
        echo_data(json.dumps(card.as_dict(), ensure_ascii=False, indent=2))
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
        echo_data(json.dumps(counts, indent=2))
    else:
        echo_table(["what", "count"], list(counts.items()), fmt)


# --- SPARQL --------------------------------------------------------------------------------------

@main.command()
@click.argument("query_file", required=False, metavar="[QUERY]")
@click.option("--expression", "-e", "expression", metavar="SPARQL", help="The query text itself.")
@click.option("--named", "-n", metavar="NAME", help="Run a shipped query (see `dreamgraph queries`).")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="A named query's parameter.")
@click.option("--format", "-f", "fmt", default="table", show_default=True,
              type=click.Choice(["table", "csv", "tsv", "json", "jsonl", "turtle", "ntriples"]),
              help="Output format (json: W3C SPARQL results; jsonl: one row a line, each an object of plain values).")
@click.option("--timeout", type=Seconds(), default=settings.QUERY_TIMEOUT, show_default=True,
              help="Seconds before the query is stopped.")
@click.option("--max-rows", type=click.IntRange(min=0), default=settings.MAX_ROWS, show_default=True,
              help="Most rows printed; 0 for every row.")
@click.option("--max-memory", type=Size(), default=None, metavar="SIZE",
              help="Memory the query may take before it is stopped (500M, 2G) [default: 4G, or half the "
                   "machine's memory if less].")
@click.option("--allow-network", is_flag=True, help="Allow SERVICE and FROM, which fetch from other servers.")
@local_graph_dir
@click.pass_context
def sparql(ctx, query_file, expression, named, params, fmt, timeout, max_rows, max_memory, allow_network,
           sub_graph_dir):
    """Run a SPARQL query: a .rq file, '-' for standard input, -e TEXT, or --named NAME.

    Prefixes dg:, rdfs:, skos:, prov:, xsd:, dream: and cluster: are declared. Queries are read-only:
    updates are refused, and so are SERVICE and FROM unless --allow-network. ASK prints true or false and
    exits 0 or 1.
    """
    from .answers import run_query
    from .dreams import find_dream
    from .query import bind_parameters, format_result, named_query

    store = _subcommand_graph_dir(ctx, sub_graph_dir).store
    given = [x for x in (query_file, expression, named) if x]
    if len(given) != 1:
        raise click.UsageError("give exactly one of QUERY (a file or -), -e TEXT or --named NAME")
    graph_formats = ("turtle", "ntriples")
    bindings = None
    if named:
        query = text = named_query(named)
        bindings = bind_parameters(query, _parse_params(params), lambda name: find_dream(store, name, suggest=False))
    elif params:
        raise click.UsageError("--param goes with --named")
    elif expression:
        text = expression
    else:
        text = _read_query_file(query_file)
    result = run_query(store, text, bindings, allow_network=allow_network, timeout=timeout, max_rows=max_rows or None,
                       **({"max_memory": max_memory} if max_memory else {}))
    if result.kind == "select" and fmt in graph_formats:
        raise click.UsageError(f"--format {fmt} is for CONSTRUCT and DESCRIBE; a SELECT gives table, csv, tsv or json")
    if result.kind == "ask":
        echo_data(format_result(result, "json" if fmt in ("json", "jsonl") else "table"))
        sys.exit(0 if result.boolean else 1)
    if fmt == "table" and result.kind == "select":
        from .query import cell_text

        echo_table(result.variables, [[cell_text(c) for c in row] for row in result.rows])
        click.echo(f"{len(result.rows)} rows", err=True)
    else:
        echo_data(format_result(result, fmt))
    if result.truncated:
        click.echo(f"stopped at {max_rows} rows (raise the cap with --max-rows, or 0 for every row)", err=True)


def _parse_params(params) -> dict[str, str]:
    values = {}
    for param in params:
        name, sep, value = param.partition("=")
        if not sep or not name.strip():
            raise click.UsageError(f"--param {param!r}: expected NAME=VALUE")
        values[name.strip()] = value
    return values


def _read_query_file(name: str) -> str:
    if name == "-":
        with click.open_file("-", "r", encoding="utf-8-sig") as handle:
            return handle.read()
    try:
        with open(name, encoding="utf-8-sig") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise DreamgraphError(f"cannot read the query file {name}: {getattr(exc, 'strerror', None) or exc}") from None


@main.command()
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def queries(fmt):
    """List the named queries shipped with dreamgraph."""
    from .query import named_queries

    shipped = named_queries()
    if fmt == "json":
        echo_data(json.dumps([{"name": q.name, "title": q.title, "description": q.description,
                                "parameters": [vars(p) for p in q.parameters]} for q in shipped.values()], indent=2))
        return
    echo_table(["name", "parameters", "title"],
               [(q.name, " ".join(f"{p.name}=<{p.kind}>" for p in q.parameters), q.title) for q in shipped.values()])


# --- progression paths -----------------------------------------------------------------------------

def _projection(ctx, sub_graph_dir, *names, whole: bool = True):
    """Return the progression graph and the slugs of the dreams named on the command line (``whole``: the
    projection itself; else what reads only the links a question about a few dreams reaches)."""
    from .dreams import find_dream
    from .progression import progression_graph
    from .snapshot import Snapshot
    from .vocabulary import slug_of

    store = _subcommand_graph_dir(ctx, sub_graph_dir).store
    slugs = [slug_of(find_dream(store, name)) for name in names]
    return (progression_graph(store) if whole else Snapshot.of(store).reader()), slugs


@main.command()
@click.argument("source", metavar="FROM")
@click.argument("target", metavar="TO")
@click.option("--all", "all_paths", is_flag=True, help="Every simple path up to --max-hops, shortest first.")
@click.option("--max-hops", type=COUNT, default=4, show_default=True, help="Longest path listed with --all.")
@click.option("--limit", type=COUNT, default=100, show_default=True, help="Most paths listed with --all.")
@local_graph_dir
@format_option
@click.pass_context
def path(ctx, source, target, all_paths, max_hops, limit, sub_graph_dir, fmt):
    """The shortest progression from one dream to another, each step with its condition."""
    from .progression import all_progressions, shortest_progression, steps

    graph, (a, b) = _projection(ctx, sub_graph_dir, source, target, whole=all_paths)
    if all_paths:
        found = all_progressions(graph, a, b, max_hops=max_hops, limit=limit)
    else:
        shortest = shortest_progression(graph, a, b)
        found = [shortest] if shortest else []
    if fmt == "json":
        echo_data(json.dumps({"from": a, "to": b, "paths": [
            {"dreams": p, "hops": len(p) - 1, "steps": steps(graph, p)} for p in found]}, ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        echo_table(["path", "step", "from", "to", "condition", "gloss"],
                   [(i, j, s["from"], s["to"], s["condition"], s["gloss"])
                    for i, p in enumerate(found, 1) for j, s in enumerate(steps(graph, p), 1)], "csv")
        return
    if not found:
        from .progression import why_no_progression

        reason = (f"none within {max_hops} hops" if all_paths and shortest_progression(graph, a, b)
                  else why_no_progression(graph, a, b))
        click.echo(f"no progression from {a} to {b}: {reason}")
        return
    for number, p in enumerate(found, 1):
        hops = len(p) - 1
        click.echo(safe_text(f"{'' if not all_paths else f'{number}. '}{' → '.join(p)} ({hops} step{'s' * (hops != 1)})"))
        for step in steps(graph, p):
            click.echo(safe_text(f"   {step['from_label']} → {step['to_label']}"))
            click.echo(safe_text(f"      if: {step['condition']}"))


def _print_tree(tree: dict, fmt: str, conditions: bool = True) -> None:
    if fmt == "json":
        echo_data(json.dumps(tree, ensure_ascii=False, indent=2))
        return
    rows = []

    def walk(node, depth, parent):
        rows.append((depth, node["slug"], node["label"], node["stub"], parent or "", node["condition"] or "",
                     node["repeat"]))
        for child in node["children"]:
            walk(child, depth + 1, node["slug"])
    walk(tree, 0, None)
    if fmt == "csv":
        echo_table(["depth", "slug", "label", "stub", "parent", "condition", "repeat"], rows, "csv")
        return

    def show(node, prefix, last, root):
        mark = "" if root else ("└─ " if last else "├─ ")
        notes = ", ".join(x for x in (node["slug"], "stub" if node["stub"] else "",
                                      "shown above" if node["repeat"] else "") if x)
        click.echo(safe_text(f"{prefix}{mark}{node['label']} ({notes})"))
        inner = prefix + ("" if root else ("   " if last else "│  "))
        if conditions and node["condition"]:
            click.echo(safe_text(f"{inner}{'│  ' if node['children'] else '   '}if: {node['condition']}"))
        for i, child in enumerate(node["children"]):
            show(child, inner, i == len(node["children"]) - 1, False)
    show(tree, "", True, True)


def _tree_command(name: str, reverse: bool, summary: str):
    """Define `next` (forward) or `leads-to` (backward): the progression tree of a dream to a depth."""

    @main.command(name, help=summary)
    @click.argument("dream")
    @click.option("--depth", "-d", type=click.IntRange(min=0), default=3, show_default=True,
                  help="How many links to follow.")
    @click.option("--conditions/--no-conditions", default=True, show_default=True,
                  help="Print under each dream the condition of the link that leads to it.")
    @local_graph_dir
    @format_option
    @click.pass_context
    def command(ctx, dream, depth, conditions, sub_graph_dir, fmt):
        from .progression import progression_tree

        graph, (slug,) = _projection(ctx, sub_graph_dir, dream, whole=False)
        _print_tree(progression_tree(graph, slug, depth, reverse=reverse), fmt, conditions)

    return command


next_ = _tree_command("next", False, "The progression tree forward from a dream: where it can lead within DEPTH links.")
leads_to = _tree_command("leads-to", True,
                         "The progression tree backwards: which dreams lead to this one within DEPTH links.")


@main.command()
@click.option("--max-length", type=COUNT, default=None, help="Longest loop listed, in dreams.")
@local_graph_dir
@format_option
@click.pass_context
def loops(ctx, max_length, sub_graph_dir, fmt):
    """The loops of next-stage links, each as a chain that returns to its start: shortest first, then by
    name; every loop up to the length searched (a note on stderr says what was left out)."""
    from .progression import loop_search, progression_graph
    from .snapshot import Snapshot

    store = _subcommand_graph_dir(ctx, sub_graph_dir).store
    links = Snapshot.of(store).kept_links()  # the links alone (the whole projection took 1 s at 100,000 dreams)
    found, note = loop_search(links if links is not None else progression_graph(store), max_length=max_length)
    if note:
        click.echo(note, err=True)
    if fmt == "json":
        echo_data(json.dumps({"loops": found, **({"note": note} if note else {})}, indent=2))
    elif fmt == "csv":
        echo_table(["loop", "length", "dreams"], [(i, len(c), " ".join(c)) for i, c in enumerate(found, 1)], "csv")
    elif not found:
        click.echo("no loops")
    else:
        for cycle in found:
            click.echo(" → ".join(cycle + [cycle[0]]))


RANKED_IN_A_TABLE = 50  # a table is read by a person: the first ones, then how many more


@main.command()
@click.option("--limit", type=COUNT, default=None,
              help=f"Show only the first N dreams [a table: {RANKED_IN_A_TABLE}; json, jsonl, csv: all].")
@local_graph_dir
@list_format_option
@click.pass_context
def rank(ctx, limit, sub_graph_dir, fmt):
    """Dreams ranked by PageRank, with in-degree and betweenness; stubs marked."""
    from .progression import store_rankings

    rows = store_rankings(_subcommand_graph_dir(ctx, sub_graph_dir).store)
    hidden = len(rows) - RANKED_IN_A_TABLE if limit is None and fmt == "table" else 0
    rows = rows[:RANKED_IN_A_TABLE if hidden > 0 else limit]
    if fmt == "jsonl":
        echo_jsonl(rows)
        return
    if fmt == "json":
        echo_data(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    keys = ["slug", "label", "stub", "in_degree", "out_degree", "pagerank", "betweenness"]
    echo_table(keys, [[r[k] for k in keys] for r in rows], fmt)
    if hidden > 0:
        click.echo(f"… and {hidden:,} more dreams (--limit N shows more; --format csv gives every one)", err=True)


@main.command()
@click.argument("text")
@click.option("--limit", type=COUNT, default=200, show_default=True, help="Most matches shown.")
@local_graph_dir
@list_format_option
@click.pass_context
def search(ctx, text, limit, sub_graph_dir, fmt):
    """Dreams, scenarios, sensations, answers and sections whose text contains TEXT (any case)."""
    from .answers import search_text

    rows = search_text(_subcommand_graph_dir(ctx, sub_graph_dir).store, text, limit=limit)
    if fmt == "jsonl":
        echo_jsonl(rows)
        return
    if fmt == "json":
        echo_data(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if fmt == "table":
        rows_out = [(r["dream"], r["kind"], _snippet(r["match"], text)) for r in rows]
    else:
        rows_out = [(r["dream"], r["kind"], r["match"]) for r in rows]
    if not rows and fmt == "table":
        click.echo(f"nothing matches {text!r}")
        return
    echo_table(["dream", "kind", "match"], rows_out, fmt)


def _snippet(value: str, text: str, width: int = 90) -> str:
    flat = " ".join(value.split())
    at = flat.lower().find(text.lower())
    start = max(0, at - 30) if at >= 0 else 0
    piece = flat[start:start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(flat) else "")


# --- brief ---------------------------------------------------------------------------------------

@main.command()
@click.argument("dream")
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the brief to this file instead of printing it (- prints it).")
@local_graph_dir
@click.pass_context
def brief(ctx, dream, output, sub_graph_dir):
    """A writer's brief for DREAM (a name or slug), in Markdown: who sends readers there and when, its
    likely cluster and siblings, next stages and questions to consider, and the sections to write."""
    from .brief import make_brief, markdown
    from .dreams import find_dream
    from .files import atomic_write
    from .vocabulary import slug_of

    store = _subcommand_graph_dir(ctx, sub_graph_dir).store
    text = markdown(make_brief(store, slug_of(find_dream(store, dream))))
    if output and output != STDOUT:
        atomic_write(output, text.encode("utf-8"))
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(safe_text(text, multiline=True), nl=False)


# --- diff ----------------------------------------------------------------------------------------

@main.command()
@click.argument("old", required=False, type=click.Path(path_type=Path))
@click.argument("new", required=False, type=click.Path(path_type=Path))
@click.option("--rev", metavar="REV", help="Compare the graph file as committed at this git revision (main, HEAD~1, "
                                         "a tag) with the graph folder as it is now (or NEW).")
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table",
              show_default=True, help="Output format (markdown pastes into a pull request).")
@click.option("--fail-on-new", "fail_on_new", multiple=True, metavar="KIND",
              help="Exit 3 when the change opens a gap of this kind ('any' for every kind); repeatable.")
@local_graph_dir
@click.pass_context
def diff(ctx, old, new, rev, fmt, fail_on_new, sub_graph_dir):
    """What changed between two builds: OLD and NEW, each a graph folder or a Turtle file, or --rev REV.

    Lists dreams written and removed, stubs that became articles, links and clusters added and removed,
    gaps opened and closed, and the written dreams per cluster before and after.
    """
    from . import diff as differ
    from .gaps import KINDS

    for kind in fail_on_new:
        if kind not in KINDS and kind != "any":
            raise click.BadParameter(f"unknown gap kind {kind!r}; kinds are: {', '.join(KINDS)}",
                                     param_hint="--fail-on-new")
    context = _subcommand_graph_dir(ctx, sub_graph_dir)
    if rev:
        if new is not None:
            raise click.UsageError("with --rev give at most one build, the new one (OLD is the revision)")
        folder = old if old is not None and old.is_dir() else context.graph_dir
        before = differ.at_revision(rev, folder)
        after = differ.open_build(old) if old is not None else context.store
    elif old is None or new is None:
        raise click.UsageError("give two builds (OLD NEW: graph folders or Turtle files), or --rev REV")
    else:
        before, after = differ.open_build(old), differ.open_build(new)
    changes = differ.compare(before, after)
    if fmt == "json":
        echo_data(json.dumps(changes.as_dict(), ensure_ascii=False, indent=1))
    elif fmt == "markdown":
        click.echo(safe_text(differ.markdown(changes), multiline=True), nl=False)
    else:
        click.echo("\n".join(safe_text(line) for line in differ.text_lines(changes)))
    opened = [gap for kind in fail_on_new for gap in changes.opened(kind)]
    if opened:
        click.echo(f"{len(opened)} new gaps of the kinds given to --fail-on-new", err=True)
        sys.exit(EXIT_FOUND_PROBLEMS)


# --- gaps ----------------------------------------------------------------------------------------

@main.command()
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json", "jsonl", "csv", "markdown"]), default="table",
              show_default=True, help="Output format.")
@click.option("--kind", "kinds", multiple=True, metavar="KIND", help="Only gaps of this kind (repeatable).")
@click.option("--by", "by", type=click.Choice(["kind", "dream", "score"]), default="kind", show_default=True,
              help="List the gaps by kind (most valuable first), by dream (each dream once, with all its gaps, "
                   "most at stake first) or by score (one list across kinds).")
@click.option("--fail-on", "fail_on", multiple=True, metavar="KIND",
              help="Exit 3 when gaps of this kind exist ('any' for every kind); repeatable.")
@click.option("--min-cluster-size", type=click.IntRange(min=1), default=GAPS.min_cluster_size, show_default=True,
              help="Clusters with fewer written dreams are thin.")
@click.option("--min-items", type=click.IntRange(min=1), default=GAPS.min_items, show_default=True,
              help="List sections with fewer items are thin.")
@click.option("--typo-similarity", type=click.IntRange(0, 100), default=GAPS.typo_similarity, show_default=True,
              help="How alike (0-100) a stub's slug and a written dream's must be for a link to look like a typo.")
@click.option("--duplicate-similarity", type=click.FloatRange(0, 1), default=GAPS.duplicate_similarity,
              show_default=True,
              help="Share (0-1) of a shorter article's Quick Answer and scenario phrases another must have "
                   "for the two to be near-duplicates.")
@click.option("--matrix", is_flag=True, help="Print the article × standard section completeness matrix instead.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a standalone HTML page of the report with the gaps highlighted on the graph "
                   "(- writes only the page, to standard output).")
@click.option("--briefs", "briefs_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write a brief (see `dreamgraph brief`) for every missing article into this folder.")
@local_graph_dir
@click.pass_context
def gaps(ctx, fmt, kinds, by, fail_on, min_cluster_size, min_items, typo_similarity, duplicate_similarity, matrix,
         html_file, briefs_dir, sub_graph_dir):
    """The content gap report: what to write or fix next, ranked, with evidence.

    Kinds, most valuable first: missing-article, broken-link, partial-article, incomplete-article, dead-end,
    orphan, unreachable, near-duplicate, possible-overlap, thin-cluster, cluster-without-hub, no-cluster,
    link-suggestion, one-way.
    """
    from .gaps import KINDS, GapSettings, completeness_matrix, find_gaps

    for kind in (*kinds, *fail_on):
        if kind not in KINDS and kind != "any":
            raise click.BadParameter(f"unknown gap kind {kind!r}; kinds are: {', '.join(KINDS)}")
    store = _subcommand_graph_dir(ctx, sub_graph_dir).store
    if matrix:
        _print_matrix(completeness_matrix(store), fmt)
        return
    settings = GapSettings(min_cluster_size=min_cluster_size, min_items=min_items, typo_similarity=typo_similarity,
                           duplicate_similarity=duplicate_similarity)
    if (html_file, briefs_dir, settings) == (None, None, GapSettings()):  # the report as the build kept it
        from .keptreport import kept_csv, kept_json, kept_markdown, kept_report

        kept = (kept_report(store, by, kinds) if fmt == "table" else kept_csv(store, by, kinds) if fmt == "csv"
                else kept_markdown(store, by, kinds) if fmt == "markdown"
                else kept_json(store, by, kinds, lines=fmt == "jsonl"))
        if kept is not None:
            if fmt in ("table", "markdown"):
                click.echo(kept[0], nl=False)  # made safe to print when kept
            else:
                echo_data(kept[0], nl=False)  # made safe when it goes to a terminal
            _fail_on(fail_on, kept[1])
            return
    found = find_gaps(store, settings)
    if kinds:
        found = [g for g in found if g.kind in kinds]
    if html_file == STDOUT:  # the page is the output: no report beside it
        from .views import gaps_view
        from .views.formats import format_bytes

        _to_stdout(format_bytes(store, gaps_view(store, found), "html"))
    elif html_file:
        from .views import write_gap_report

        write_gap_report(store, found, html_file)
        click.echo(f"wrote {html_file}", err=True)
    if briefs_dir:
        from .brief import make_brief, markdown
        from .files import atomic_write

        missing = [g.node for g in found if g.kind == "missing-article"]
        briefs_dir.mkdir(parents=True, exist_ok=True)
        for slug in missing:
            atomic_write(briefs_dir / f"{slug}.md", markdown(make_brief(store, slug)).encode("utf-8"))
        click.echo(f"wrote {len(missing)} briefs to {briefs_dir}", err=True)
    if html_file != STDOUT:
        _print_gaps(found, fmt, by)
    _fail_on(fail_on, Counter(gap.kind for gap in found))


def _fail_on(fail_on: tuple[str, ...], counts: dict[str, int]) -> None:
    """Exit with :data:`EXIT_FOUND_PROBLEMS` when gaps of a kind given to ``--fail-on`` (or any, for ``any``)
    were found, ``counts`` gaps of each kind."""
    failing = sum(number for kind, number in counts.items() if kind in fail_on or "any" in fail_on)
    if failing:
        click.echo(f"{failing} gaps of the kinds given to --fail-on", err=True)
        sys.exit(EXIT_FOUND_PROBLEMS)


def _print_gaps(found, fmt: str, by: str = "kind") -> None:
    """Print the gaps found in a format."""
    from . import report

    if fmt == "jsonl":  # a gap a line (by dream: a dream and its gaps a line)
        echo_jsonl(report.json_items(found, by))
        return
    if fmt == "json":  # one gap (by dream: a dream and its gaps) a line: greppable, and quick to write
        lines = b",\n".join(map(json_bytes, report.json_items(found, by)))
        echo_data(b"[\n" + lines + b"\n]" if found else "[]")
        return
    if fmt == "csv":
        echo_table(report.CSV_HEADERS, report.csv_rows(report.in_order(found, by)), "csv")
        return
    if fmt == "markdown":
        click.echo(report.markdown(found, by), nl=False)
        return
    click.echo(report.terminal_text(found, by), nl=False)  # at once: 270,000 lines at 100,000 articles


def _print_matrix(rows, fmt: str) -> None:
    from .article import STANDARD_SECTIONS

    keys = list(STANDARD_SECTIONS)
    if fmt == "json":
        echo_data(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    headers = ["dream", *[STANDARD_SECTIONS[k] for k in keys]]
    table = [[r["dream"], *[r[k] for k in keys]] for r in rows]
    if fmt == "markdown":
        click.echo("| " + " | ".join(headers) + " |\n|" + "---|" * len(headers))
        for row in table:
            click.echo(safe_text("| " + " | ".join(str(c) for c in row) + " |"))
        return
    echo_table(headers, table, fmt)


# --- views and exports ----------------------------------------------------------------------------

@main.command()
@click.option("--view", "-v", "view_name", type=click.Choice(settings.VIEWS),
              default="taxonomy", show_default=True, help="What to draw.")
@click.option("--dream", "-d", help="The dream of --view dream.")
@click.option("--hops", type=click.IntRange(min=0), default=1, show_default=True, help="Neighbourhood size of --view dream.")
@click.option("--cluster", "-c", help="The cluster of --view cluster (slug or name).")
@click.option("--from", "source", metavar="DREAM", help="Start of --view path.")
@click.option("--to", "target", metavar="DREAM", help="End of --view path.")
@click.option("--format", "-f", "fmt", type=click.Choice(settings.FORMATS),
              default="html", show_default=True, help="html: an interactive page; graphml, csv: the view's nodes "
              "and edges; jsonld, ntriples: the whole graph.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write [OUTPUT-DIR/VIEW.html, or the format's suffix]; - for standard output.")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("exports"),
              show_default=True, help="The folder for files named by their view (relative to the working folder).")
@click.option("--all", "all_views", is_flag=True, help="Write the taxonomy and gaps views to OUTPUT-DIR.")
@click.option("--raw-cells", is_flag=True, help="CSV: keep text starting with = + - @ as it is (by default it gets "
              "a leading apostrophe, so a spreadsheet does not run it as a formula).")
@local_graph_dir
@click.pass_context
def export(ctx, view_name, dream, hops, cluster, source, target, fmt, output, output_dir, all_views, raw_cells,
           sub_graph_dir):
    """Write an interactive HTML view (or another format) into exports/ of the working folder.

    Files go to --output, or to --output-dir (exports/ by default, relative to the working folder, whatever
    --graph-dir says: give each graph folder its own --output-dir). Pages are self-contained and work
    offline in any browser: click a dream for its card and its neighbourhood, shift-click a second for the
    progression, search, filter by cluster and kind; the address keeps the state. A path view of two
    unconnected dreams is an error (exit 1).
    """
    from .views import write_view
    from .views.formats import ONE_FILE, SUFFIX, format_bytes, write_format

    if all_views and output:
        raise click.UsageError("--output names one file; with --all the views go to --output-dir (default exports/)")
    if output == STDOUT and fmt not in ONE_FILE:
        raise click.UsageError(f"--format {fmt} writes two files (nodes and edges): give --output a file name")
    store = _subcommand_graph_dir(ctx, sub_graph_dir).store
    if output == STDOUT:
        view, _ = _make_view(store, view_name, dream, hops, cluster, source, target)
        _to_stdout(format_bytes(store, view, fmt))
        return
    if all_views:
        from .views import standard_views

        jobs = standard_views(store)
    else:
        jobs = [_make_view(store, view_name, dream, hops, cluster, source, target)]
    for view, stem in jobs:
        path = output or output_dir / f"{stem}{SUFFIX[fmt]}"
        written = [write_view(view, path)] if fmt == "html" else write_format(store, view, fmt, path, raw_cells)
        what = "the whole graph" if fmt in ("jsonld", "ntriples") else f"{len(view.nodes)} nodes, {len(view.edges)} edges"
        for file in written:
            click.echo(f"wrote {file} ({what})")


STDOUT = Path("-")  # as an --output: standard output


def _to_stdout(data: bytes) -> None:
    """Write bytes to standard output as they are (an HTML page, a graph file)."""
    stream = click.get_binary_stream("stdout")
    stream.write(data)
    stream.flush()


def _make_view(store, name, dream, hops, cluster, source, target):
    """Return the view asked for on the command line and the file stem it is saved under by default."""
    from .errors import MissingOptionError
    from .views import make_view

    options = {"dream": "--dream", "cluster": "--cluster", "source": "--from", "target": "--to"}
    try:
        return make_view(store, name, dream=dream, hops=hops, cluster=cluster, source=source, target=target)
    except MissingOptionError as exc:
        raise click.UsageError(f"--view {name} needs {options[exc.option]}") from None


# --- sharing ---------------------------------------------------------------------------------------

@main.command()
@click.option("--store-url", envvar="DREAMGRAPH_STORE_URL", required=True, metavar="URL",
              help="The server's Graph Store protocol address (Oxigraph: http://HOST:7878/store; "
                   "Fuseki: http://HOST:3030/DATASET/data), or $DREAMGRAPH_STORE_URL.")
@click.option("--graph-iri", default=None, metavar="IRI", help="The named graph to replace [https://w3id.org/dreamgraph/graph].")
@click.option("--timeout", type=Seconds(), default=settings.PUSH_TIMEOUT, show_default=True,
              help="Seconds to wait for the server.")
@local_graph_dir
@click.pass_context
def push(ctx, store_url, graph_iri, timeout, sub_graph_dir):
    """Upload the built graph to a SPARQL server, replacing its named graph in one request.

    Credentials come from DREAMGRAPH_ENDPOINT_TOKEN, or DREAMGRAPH_ENDPOINT_USER and _PASSWORD.
    """
    from .remote import DEFAULT_GRAPH
    from .remote import push as push_graph
    from .store import GRAPH_FILE

    obj = _subcommand_graph_dir(ctx, sub_graph_dir)
    path = obj.graph_dir / GRAPH_FILE
    if not path.is_file():
        raise DreamgraphError(f"no graph in {obj.graph_dir}/: run `dreamgraph build` first")
    data = path.read_bytes()
    push_graph(data, store_url, graph_iri or DEFAULT_GRAPH, timeout)
    click.echo(f"pushed {path} ({len(data):,} bytes) to {store_url} as <{graph_iri or DEFAULT_GRAPH}>")


def run() -> None:
    """The ``dreamgraph`` program: :func:`main` in a process of its own, which ends soon after, so the cyclic
    garbage collector is left off (it would walk the hundreds of thousands of objects a large graph
    loads, for nothing: they are freed by reference counting or when the process ends).

    The process ends without tearing the interpreter down: every file is written, renamed and closed by
    the time a command returns, and freeing what a large build leaves behind one object at a time took
    1.2 s at 10,000 articles and 9 s at 100,000. For the same reason a query past its ``--timeout`` is left
    running in a thread to end with the process, instead of being run in a child process to be killed.

    numpy's linear algebra library (OpenBLAS) is told to start no threads of its own, unless the user set
    how many: dreamgraph multiplies no dense matrices, and the threads OpenBLAS starts when numpy loads spin
    for a while on the other cores (0.13 s of processor time, which a rebuild on two cores waited for)."""
    import gc

    from . import files, store

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads (no command has loaded it yet)
    gc.disable()
    store.ABANDON_LATE_QUERIES = True  # a late query's thread ends with this process, just below
    files.end_without_teardown()  # and so do the large structures a build leaves behind
    try:
        main()
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            click.echo(exc.code, err=True)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            status = status or 1
    os._exit(status)


if __name__ == "__main__":  # pragma: no cover
    run()
