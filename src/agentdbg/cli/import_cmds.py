"""``import`` and ``formats``: convert another tool's trace file to agentdbg JSONL; list the formats we read."""

from __future__ import annotations

from typing import Annotated

import typer

from agentdbg.cli import app
from agentdbg.cli.common import FormatOption, load, refuse_overwriting_input, user_errors
from agentdbg.cli.output import print_json, result_stdout, stdout_console
from agentdbg.errors import TraceReadError


@app.command("import")
def import_trace(
    source: Annotated[
        str,
        typer.Argument(
            metavar="FILE", help="A trace from another tool (run `agentdbg formats` for the list)."
        ),
    ],
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="OUT",
            help="agentdbg JSONL file to write; '-' or omitted writes to stdout.",
        ),
    ] = None,
    format: FormatOption = None,
) -> None:
    """Convert a foreign trace (Claude Code, Codex, SWE-agent, inspect, Langfuse, OTLP, VCR...) to agentdbg JSONL.

    The format is detected from the file's content; --format forces one. Anything the importer
    does not understand is kept in the steps and reported on stderr.
    """
    from agentdbg.store.writer import encode_record, write_trace

    with user_errors():
        refuse_overwriting_input(source, output)
        trace = load(source, format)
        if output is None or output == "-":
            out = result_stdout()  # a terminal gets escape sequences as visible text
            out.write(encode_record(trace.header.model_dump(mode="json", exclude_none=True)))
            for span in trace.spans:
                out.write(encode_record(span.to_record()))
            out.flush()
        else:
            try:
                path = write_trace(output, trace, overwrite=True)
            except OSError as exc:
                raise TraceReadError(f"cannot write {output}: {exc.strerror or exc}") from exc
            typer.echo(f"wrote {path} ({len(trace.spans)} steps from {trace.format})", err=True)
        if trace.problems:
            typer.echo(
                f"{len(trace.problems)} problem(s) while importing; run `agentdbg validate {source}` for all",
                err=True,
            )


@app.command()
def formats(
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """List the trace formats agentdbg opens (detected from content; force one with --format NAME)."""
    from agentdbg.importers import IMPORTERS, _load_builtin_importers

    _load_builtin_importers()
    rows = [(name, IMPORTERS[name].description) for name in sorted(IMPORTERS)]
    if as_json:
        print_json([{"name": name, "description": description} for name, description in rows])
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=True, box=None, pad_edge=False)
    table.add_column("format")
    table.add_column("what it reads")
    for name, description in rows:
        table.add_row(Text(name, style="bold"), Text(description))
    stdout_console().print(table)
