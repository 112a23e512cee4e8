"""``export``: write a trace as OTLP JSON (for OpenTelemetry backends), one HTML page, or Markdown for a prompt."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import typer

from agentdbg.cli import app
from agentdbg.cli.common import load, nothing_read, refuse_overwriting_input, user_errors
from agentdbg.cli.output import result_stdout

_FORMATS = ("otlp-json", "html", "md")


def _step_range(step: str | None, first: str | None, last: str | None, steps: int) -> range | None:
    """The step numbers ``--step`` or ``--from``/``--to`` select (Markdown only), checked against the trace."""
    from agentdbg.exporters import ExportError

    def number(value: str, option: str) -> int:
        text = value.strip().lower().removeprefix("step-")
        if not text.isdigit() or not 1 <= int(text) <= steps:
            raise ExportError(f"{option} {value!r} is not a step of this trace", hint=f"use step-1 … step-{steps}")
        return int(text)

    if step is not None:
        if first is not None or last is not None:
            raise ExportError("give --step or --from/--to, not both")
        only = number(step, "--step")
        return range(only, only + 1)
    if first is None and last is None:
        return None
    start = number(first, "--from") if first is not None else 1
    stop = number(last, "--to") if last is not None else steps
    if stop < start:
        raise ExportError(f"--to {last} comes before --from {first}")
    return range(start, stop + 1)


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
            "html: one self-contained page with the tree and prompt/response panes; "
            "md: compact Markdown (tree, messages by role, tool calls, findings) to paste into a prompt.",
        ),
    ] = None,
    step: Annotated[
        str | None, typer.Option("--step", metavar="N", help="md: only this step (step-N or N).")
    ] = None,
    first: Annotated[
        str | None, typer.Option("--from", metavar="N", help="md: steps from this one on.")
    ] = None,
    last: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="M|URL",
            help="md: steps up to this one. A URL (http://collector:4318) instead sends the trace there as "
            "GenAI spans with the OTLP/HTTP exporter (headers from OTEL_EXPORTER_OTLP_HEADERS).",
        ),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="md: keep long texts whole (by default they are cut with a marker).")
    ] = False,
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
    """Export a trace: OTLP JSON for any OpenTelemetry backend, one HTML file to attach to a bug report, or
    Markdown to paste into a coding agent's prompt (--step / --from / --to pick steps, --full keeps long texts)."""
    from agentdbg.exporters import ExportError, export_trace, iter_trace_bytes

    with user_errors():
        if last is not None and last.lower().startswith(("http://", "https://")):
            from agentdbg.capture.otlp_push import send_trace

            sent = send_trace(load(trace_path, input_format), last)
            typer.echo(f"sent {sent} span(s) to {last}", err=True)
            return
        if not to:
            raise ExportError(
                "no export format given", hint=f"add --format with one of: {', '.join(_FORMATS)}"
            )
        if to not in _FORMATS:
            raise ExportError(f"unknown export format {to!r}", hint=f"choose one of: {', '.join(_FORMATS)}")
        if to != "md" and (step or first or last or full):
            raise ExportError("--step, --from, --to and --full go with --format md")
        refuse_overwriting_input(trace_path, output)
        trace = load(trace_path, input_format, lazy=True)  # every format streams the steps
        empty = nothing_read(trace, trace_path, "nothing to export")
        if empty is not None:
            raise empty
        render = None
        if to == "md":
            render = _markdown_render(_step_range(step, first, last, len(trace.spans)), full)
        if output is None or output == "-":
            out = result_stdout()  # a terminal gets escape sequences as visible text
            for chunk in iter_trace_bytes(trace, to, render):
                out.write(chunk)
            out.flush()
            return
        path = export_trace(trace, to, output, render)
        typer.echo(f"wrote {path} ({to}, {len(trace.spans)} steps)", err=True)


def _markdown_render(selected: range | None, full: bool) -> Any:
    """The Markdown renderer with the run's findings and the chosen steps."""
    from agentdbg.analysis import diagnose
    from agentdbg.exporters.markdown import markdown_chunks
    from agentdbg.model.trace import Trace

    def render(trace: Trace) -> Iterator[str]:  # the document step by step: a big run streams
        findings = [f for f in diagnose(trace) if selected is None or f.step in selected]
        yield from markdown_chunks(trace, selected=selected, findings=findings, full=full)

    return render
