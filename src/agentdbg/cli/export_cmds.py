"""``export``: write a trace as OTLP JSON (for OpenTelemetry backends) or as one HTML page."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from agentdbg.cli import app
from agentdbg.cli.common import load, user_errors

_FORMATS = ("otlp-json", "html")


@app.command()
def export(
    trace_path: Annotated[
        str,
        typer.Argument(metavar="TRACE", help="Trace file (agentdbg JSONL or a supported foreign format)."),
    ],
    to: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="otlp-json: OTLP JSON resourceSpans with OpenTelemetry GenAI attributes; "
            "html: one self-contained page with the tree and prompt/response panes.",
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", metavar="OUT", help="File to write; '-' or omitted writes to stdout."),
    ] = None,
    input_format: Annotated[
        str | None,
        typer.Option(
            "--input-format", help="Force the format of TRACE instead of detecting it from content."
        ),
    ] = None,
) -> None:
    """Export a trace: OTLP JSON for any OpenTelemetry backend, or one HTML file to attach to a bug report."""
    from agentdbg.exporters import ExportError, export_trace, render_trace

    with user_errors():
        if not to:
            raise ExportError(
                "no export format given", hint=f"add --format with one of: {', '.join(_FORMATS)}"
            )
        if to not in _FORMATS:
            raise ExportError(f"unknown export format {to!r}", hint=f"choose one of: {', '.join(_FORMATS)}")
        trace = load(trace_path, input_format)
        if output is None or output == "-":
            sys.stdout.write(render_trace(trace, to))
            sys.stdout.flush()
            return
        path = export_trace(trace, to, output)
        typer.echo(f"wrote {path} ({to}, {len(trace.spans)} steps)", err=True)
