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
        _refuse_other_files(trace_path)  # before -o is created
        if output is None:
            out = result_stdout()  # a terminal gets escape sequences as visible text
            _write(trace_path, out, expand, warn)
            out.flush()
            return
        try:
            handle = output.open("wb")
        except OSError as exc:
            raise AgentdbgError(f"cannot write {output}: {exc.strerror or exc}") from exc
        with handle:
            _write(trace_path, handle, expand, warn)
        typer.echo(f"wrote {output}{' (requests expanded)' if expand else ''}", err=True)


def _refuse_other_files(trace_path: str) -> None:
    """An empty, foreign or unrecognised regular file is exit 2, as for every other command."""
    from agentdbg.errors import ImportFormatError, TraceReadError
    from agentdbg.importers import detect_format

    path = Path(trace_path)
    if not path.is_file():  # missing and directories are named by the copy; a pipe is read only once
        return
    if path.stat().st_size == 0:
        raise TraceReadError(f"{path}: empty file (0 bytes); nothing to read")
    name = detect_format(path)
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
