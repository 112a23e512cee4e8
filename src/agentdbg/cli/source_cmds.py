"""``pull``: fetch a run from a tracing backend (Phoenix, MLflow, Langfuse) as an agentdbg trace file."""

from __future__ import annotations

from typing import Annotated

import typer

from agentdbg.cli import app
from agentdbg.cli.common import user_errors


@app.command()
def pull(
    source: Annotated[
        str,
        typer.Argument(
            metavar="SOURCE",
            help="phoenix://HOST:PORT/[PROJECT/]TRACE_ID, mlflow://HOST:PORT/TRACE_ID, langfuse://HOST/TRACE_ID "
            "(LANGFUSE_PUBLIC_KEY/LANGFUSE_SECRET_KEY), otlp+file://PATH or an http(s) URL of OTLP JSON.",
        ),
    ],
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write the trace here (default: the local cache)."),
    ] = None,
) -> None:
    """Fetch a run from the tracing backend into an agentdbg trace file and print its path. Every command
    that takes a trace also takes SOURCE directly (fetched once, then read from the cache)."""
    from agentdbg.sources import pull as pull_run
    from agentdbg.store.reader import read_trace

    with user_errors():
        path = pull_run(source, output)
        trace = read_trace(path)
    totals = trace.totals()
    typer.echo(str(path))
    typer.echo(
        f"pulled {source}: {totals['steps']} steps, {totals['input_tokens']} in / {totals['output_tokens']} out "
        f"tokens, {totals['errors']} error(s)",
        err=True,
    )


def _filter(status: str | None, since: str | None, name: str | None, limit: int) -> object:
    from agentdbg.analysis.search import parse_since
    from agentdbg.errors import SourceError
    from agentdbg.sources import RunFilter

    if status not in (None, "error", "ok"):
        raise SourceError(f"--status {status!r}: use error or ok")
    return RunFilter(status=status, since=parse_since(since) if since else None, name=name, limit=limit)


def backend_search(
    prefix: str, *, status: str | None, since: str | None, name: str | None, limit: int, as_json: bool
) -> int:
    """``agentdbg search SOURCE-PREFIX``: list the backend's matching runs; the exit code (0 found, 1 none)."""
    from rich.table import Table
    from rich.text import Text

    from agentdbg.cli.output import print_json, stdout_console
    from agentdbg.sources import search
    from agentdbg.textsafe import safe_text

    runs = search(prefix, _filter(status, since, name, limit))  # type: ignore[arg-type]
    if as_json:
        print_json([run.to_json() for run in runs])
    elif runs:
        import time

        table = Table("name", "started", "status", "steps", "tokens in/out", "source", box=None)
        table.columns[-1].overflow = "fold"  # the source is what `agentdbg pull` takes: never cut it
        for run in runs:
            started = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(run.started_at)) if run.started_at else "?"
            table.add_row(
                Text(safe_text(run.name)),
                started,
                Text(run.status, style="red" if run.status == "error" else "green"),
                str(run.steps) if run.steps is not None else "?",
                f"{run.input_tokens if run.input_tokens is not None else '?'}/"
                f"{run.output_tokens if run.output_tokens is not None else '?'}",
                Text(safe_text(run.source)),
            )
        stdout_console().print(table)
    typer.echo(f"{len(runs)} run(s) in {prefix}", err=True)
    return 0 if runs else 1


def backend_paths(prefix: str, *, status: str | None, since: str | None, name: str | None, limit: int) -> list[str]:
    """The local files of the runs ``search`` finds under ``prefix`` (each pulled once into the cache)."""
    from agentdbg.sources import resolve, search

    runs = search(prefix, _filter(status, since, name, limit))  # type: ignore[arg-type]
    return [resolve(run.source) for run in runs]
