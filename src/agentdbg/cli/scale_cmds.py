"""``cat``: a trace's lines as stored, or with every compact (schema 2) request written out whole."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from agentdbg.cli import app
from agentdbg.cli.common import user_errors
from agentdbg.cli.output import print_warning, result_stdout
from agentdbg.errors import AgentdbgError


@app.command()
def cat(
    trace_path: Annotated[
        str, typer.Argument(metavar="TRACE", help="An agentdbg JSONL trace (schema 1 or 2).")
    ],
    expand: Annotated[
        bool,
        typer.Option(
            "--expand",
            "-e",
            help="Rebuild every llm request whole (schema-1 JSONL, one full request per line) for jq and friends.",
        ),
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Print a trace's JSONL; with --expand, requests stored as references are written out whole."""

    def warn(line: int, message: str) -> None:
        print_warning(f"{trace_path}:{line}: {message}")

    with user_errors():
        if output is not None and output.resolve() == Path(trace_path).resolve():
            raise AgentdbgError(
                "--output is the input file; choose another path", hint="e.g. -o expanded.jsonl"
            )
        readable = _readable(trace_path)  # a pipe is read once, into a bounded private copy
        _refuse_other_files(trace_path, readable)  # before -o is created
        if output is None:
            out = result_stdout()  # a terminal gets escape sequences as visible text
            _write(readable, out, expand, warn)
            out.flush()
            return
        try:
            handle = output.open("wb")
        except OSError as exc:
            raise AgentdbgError(f"cannot write {output}: {exc.strerror or exc}") from exc
        with handle:
            _write(readable, handle, expand, warn)
        typer.echo(f"wrote {output}{' (requests expanded)' if expand else ''}", err=True)


def _readable(trace_path: str) -> str:
    """The file to read: ``trace_path`` itself, or for a pipe, FIFO or device its bounded private copy."""
    from agentdbg.importers._input import input_file

    return str(input_file(trace_path))


def _refuse_other_files(trace_path: str, readable: str) -> None:
    """An empty, foreign or unrecognised file (regular or a pipe's copy) is exit 2, as for every other command."""
    from agentdbg.errors import ImportFormatError, TraceReadError
    from agentdbg.importers import detect_format

    path = Path(trace_path)
    if not Path(readable).is_file():  # missing and directories are named by the copy
        return
    if Path(readable).stat().st_size == 0:
        raise TraceReadError(f"{path}: empty file (0 bytes); nothing to read")
    name = detect_format(path)  # the pipe's copy, found again by its name
    if name != "agentdbg":
        raise ImportFormatError(
            f"{path} is a {name} file, not an agentdbg trace",
            hint=f"`agentdbg import {path}` converts it to agentdbg JSONL",
        )


def _write(trace_path: str, out: BinaryIO, expand: bool, warn: Callable[[int, str], None]) -> None:
    from agentdbg.store.compact import expand_file, plain_copy

    if expand:
        expand_file(trace_path, out, warn)
    else:
        plain_copy(trace_path, out)
