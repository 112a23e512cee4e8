"""``show``, ``validate`` and ``schema``: look at a trace."""

from __future__ import annotations

import itertools
import json
import sys
from typing import Annotated, Any

import typer

from agentdbg.cli import app
from agentdbg.cli.common import FormatOption, load, nothing_read, resolve_source, user_errors
from agentdbg.cli.output import print_error, print_json, stdout_console
from agentdbg.errors import AgentdbgError
from agentdbg.model.messages import Message
from agentdbg.model.span import Span, StepSummary
from agentdbg.model.trace import Trace


def _message_json(message: Message) -> dict[str, Any]:
    return message.model_dump(exclude_defaults=True)


def step_json(span: Span) -> dict[str, Any]:
    """One step for ``--json``: its record plus the neutral message view."""
    data: dict[str, Any] = {
        "step": span.address,
        "status": span.status,
        "duration": span.duration,
        "record": span.to_record(),
    }
    llm = span.llm
    if llm is not None:
        data["model"] = llm.model
        data["api"] = llm.api
        data["prompt"] = [_message_json(m) for m in llm.prompt]
        data["response"] = [_message_json(m) for m in llm.answer]
        data["tools"] = [t.model_dump() for t in llm.tools]
    tool = span.tool
    if tool is not None:
        data["tool"] = tool.model_dump()
    return data


def _error_json(trace: Trace, row: StepSummary) -> dict[str, Any] | None:
    if row.error_type is None:
        return None
    error = trace.spans[row.step - 1].error  # only failed steps are read whole
    return error.model_dump(exclude_none=True) if error else None


def tree_json(trace: Trace) -> dict[str, Any]:
    return {
        "trace_id": trace.header.trace_id,
        "name": trace.header.name,
        "source": trace.source,
        "format": trace.format,
        "fork_of": trace.header.fork_of.model_dump() if trace.header.fork_of else None,
        "totals": trace.totals(),
        "steps": [
            {
                "step": row.address,
                "id": row.id,
                "parent_id": row.parent_id,
                "depth": depth,
                "kind": row.kind,
                "name": row.name,
                "duration": row.duration,
                "input_tokens": row.input_tokens,
                "output_tokens": row.output_tokens,
                "status": row.status,
                "error": _error_json(trace, row),
            }
            for row, depth in trace.rows()
        ],
        "problems": [p.model_dump() for p in trace.problems],
    }


@app.command()
def show(
    trace_path: Annotated[str, typer.Argument(metavar="TRACE", help="Trace file (agentdbg JSONL or a supported foreign format).")],
    step: Annotated[str | None, typer.Option("--step", "-s", help="Show one step whole (step-N or N).")] = None,
    print_mode: Annotated[bool, typer.Option("--print", "-p", help="Print to stdout instead of opening the TUI.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="TUI: watch a trace that is still being written.")] = False,
    format: FormatOption = None,
) -> None:
    """Show a trace: the TUI on a terminal, the execution tree (or one step with --step) otherwise."""
    with user_errors():
        interactive = not print_mode and not as_json and sys.stdout.isatty() and sys.stdin.isatty()
        if interactive:
            from agentdbg.tui import run_tui

            path = resolve_source(trace_path)
            if not follow:  # a pipe (<(...), /dev/stdin) is read once into a copy the TUI can seek in
                from agentdbg.importers._input import input_file

                path = str(input_file(path))
            run_tui(path, step=step, follow=follow, format=format)
            return
        trace = load(trace_path, format, lazy=True)
        empty = nothing_read(trace, trace_path, "nothing to show")
        if empty is not None:
            raise empty
        if as_json:
            print_json(step_json(trace.step(step)) if step else tree_json(trace))
            return
        from agentdbg.render import render_step, render_tree

        console = stdout_console()
        if step is None and not console.is_terminal:  # a pipe gets plain lines: no styling to compute
            from agentdbg.render.tree import header_lines, plain_index_lines, plain_tree_lines

            console.print(header_lines(trace))
            console.print("")
            store = getattr(trace.spans, "store", None)  # an indexed trace: rows straight from its columns
            lines = plain_index_lines(store.tree_fields()) if store is not None else plain_tree_lines(trace)
            out = sys.stdout
            while chunk := list(itertools.islice(lines, 4096)):
                out.write("\n".join(chunk) + "\n")
            out.flush()
            return
        console.print(render_step(trace.step(step)) if step else render_tree(trace))


@app.command()
def validate(
    traces: Annotated[list[str], typer.Argument(metavar="TRACE", help="Trace files to check.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print problems as JSON.")] = False,
    format: FormatOption = None,
) -> None:
    """List every problem in trace files as file:line: reason. Exit 0 clean (info notes are listed but
    pass), 1 warnings or errors, 2 unreadable."""
    problems: list[Any] = []
    unreadable = False
    for path in traces:
        try:
            trace = load(path, format, report=False, lazy=True)
        except AgentdbgError as exc:
            print_error(exc)
            unreadable = True
            continue
        problems.extend(trace.problems)
    if as_json:
        print_json([p.model_dump() for p in problems])
    else:
        for problem in problems:
            typer.echo(str(problem).encode("unicode_escape").decode("ascii") if not str(problem).isprintable() else str(problem))
    failing = [p for p in problems if p.severity != "info"]
    if not as_json and not failing and not unreadable:
        notes = f" ({len(problems)} info note{'s' if len(problems) != 1 else ''})" if problems else ""
        typer.echo(f"ok: {len(traces)} file(s), no problems{notes}", err=True)
    raise typer.Exit(2 if unreadable else 1 if failing else 0)


@app.command()
def schema() -> None:
    """Print the JSON Schema of trace file lines (header, span_start, span_end, span), generated from the models."""
    from agentdbg.model.json_schema import trace_line_schema

    document = trace_line_schema()
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
