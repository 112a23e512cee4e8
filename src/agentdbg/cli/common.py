"""Shared CLI plumbing: loading a trace with its problems reported, mapping errors to exit codes."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated

import typer

from agentdbg.cli.output import print_error, print_problem, print_warning
from agentdbg.errors import AgentdbgError, TraceReadError
from agentdbg.model.trace import Trace

FormatOption = Annotated[
    str | None,
    typer.Option("--format", help="Force the input format instead of detecting it from content (see `agentdbg formats`)."),
]


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn ``AgentdbgError`` into a message on stderr and its exit code; never a traceback."""
    try:
        yield
    except AgentdbgError as exc:
        print_error(exc)
        raise typer.Exit(exc.exit_code) from None


def load(
    path: str, format: str | None = None, *, report: bool = True, limit: int = 5, lazy: bool = False
) -> Trace:
    """Open a trace (any supported format) and report its read problems on stderr.

    ``lazy=True``: our own format is read through the offset index (steps parsed on demand, a
    pass streams); otherwise every span is built in memory.
    """
    from agentdbg.importers import open_trace

    path = resolve_source(path)
    trace = open_trace(path, format=format, lazy=lazy)
    if report:
        report_problems(trace, path, limit)
    return trace


def report_problems(trace: Trace, path: str, limit: int = 5) -> None:
    """The first ``limit`` read problems of ``trace`` on stderr, and how many more there are."""
    if trace.problems:
        for problem in sorted(trace.problems, key=lambda p: p.line)[:limit]:
            print_problem(problem)
        if len(trace.problems) > limit:
            print_warning(f"… and {len(trace.problems) - limit} more problem(s); run `agentdbg validate {path}` for all")


def refuse_overwriting_input(source: str, output: object) -> None:
    """An ``-o`` that is the input file itself would destroy it (``export -f html run.jsonl -o run.jsonl``)."""
    from pathlib import Path

    if output is None or str(output) == "-":
        return
    if Path(str(output)).resolve() == Path(source).resolve():
        raise AgentdbgError("--output is the input file; choose another path", hint="e.g. -o run.html")


def resolve_source(path: str) -> str:
    """``path`` itself, or for a backend source (``phoenix://…``, ``mlflow://…``, ``langfuse://…``) the
    local file it was pulled into (fetched once, then cached); the one hook where commands open a trace."""
    from agentdbg.sources import resolve
    from agentdbg.textsafe import safe_text

    return resolve(path, on_fetch=lambda message: typer.echo(safe_text(message), err=True))


def nothing_read(trace: Trace, path: str, outcome: str) -> TraceReadError | None:
    """The error for a file whose import read no step and reported a problem (an error, or a warning about
    what it skipped): a tree, an export or "no findings" would be about nothing. Else ``None``. An agent step
    the importer made for the file itself is not a step read. ``outcome``: "nothing to show", ..."""
    errors = [p for p in trace.problems if p.severity != "info"]
    if not errors or any(trace.spans_of_kind(kind) for kind in ("llm", "tool", "retrieval", "custom")):
        return None
    first = min(errors, key=lambda p: p.line)
    return TraceReadError(
        f"{path}: no step could be read, {outcome} ({len(errors)} problem(s); first: {first})",
        hint=f"run `agentdbg validate {path}` to list every problem",
    )
