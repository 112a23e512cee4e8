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
