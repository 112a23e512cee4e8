"""``diff``: compare two runs step by step (text on a pipe and ``--json`` streamed, a step at a time)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from agentdbg.cli import app
from agentdbg.cli.common import FormatOption, load, report_problems, resolve_source, user_errors
from agentdbg.cli.output import print_result
from agentdbg.errors import AgentdbgError


@app.command()
def diff(
    trace_a: Annotated[str, typer.Argument(metavar="A", help="The first run (e.g. the original).")],
    trace_b: Annotated[
        str, typer.Argument(metavar="B", help="The second run (e.g. its fork from `agentdbg replay`).")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the comparison as JSON for scripts.")
    ] = False,
    format: FormatOption = None,
) -> None:
    """Compare two runs step by step: identical / changed / only-in-A / only-in-B, the first divergent step,
    inline diffs of changed prompts and responses, both final answers, and token and latency deltas.
    A fork and its original share the steps before the fork point."""
    from agentdbg.analysis import diff_traces

    with user_errors():
        # our own format through the index: steps parsed only if they differ
        a = load(trace_a, format, lazy=True)
        same = _same_file(trace_a, trace_b)
        b = a if same else load(trace_b, format, lazy=True)
        if same:  # read once; its problems still reported for each argument
            report_problems(a, resolve_source(trace_b))
        result = diff_traces(a, b)
    if as_json:
        _print_diff_json(result)
        return
    _print_diff(result)


def _print_diff_json(result: Any) -> None:
    """``print_json(result.to_json())``, byte for byte, with the steps written one at a time (a 100k-step
    diff never holds the whole document): the rest is dumped around a placeholder that stands for them."""
    import json
    import sys
    import uuid

    data = result.to_json(steps=False)
    placeholder = f"steps-{uuid.uuid4().hex}"
    data["steps"] = placeholder
    head, tail = json.dumps(data, indent=2, ensure_ascii=True, default=str).split(json.dumps(placeholder), 1)
    write = sys.stdout.write
    write(head)
    if not result.steps:
        write("[]")
    else:
        write("[")
        separator = "\n"
        for step in result.steps:  # each element is indented as json.dumps nests it: two levels deep
            text = json.dumps(step.model_dump(), indent=2, ensure_ascii=True, default=str)
            write(separator + "    " + text.replace("\n", "\n    "))
            separator = ",\n"
        write("\n  ]")
    write(tail + "\n")
    sys.stdout.flush()


def _same_file(path_a: str, path_b: str) -> bool:
    """Both arguments name one file (``diff A A``), so it is read once."""
    import os

    try:
        return os.path.samefile(resolve_source(path_a), resolve_source(path_b))
    except (OSError, ValueError, AgentdbgError):
        return False


def _print_diff(result: Any) -> None:
    """``render_diff`` on a terminal; on a pipe the same text, the step table written without rich rows."""
    import sys

    from rich.console import Group

    from agentdbg.cli.output import pipe_lines, stdout_console
    from agentdbg.render.diff import diff_head, diff_tail, plain_steps_table, render_diff

    if stdout_console().is_terminal:
        print_result(render_diff(result))
        return
    write = sys.stdout.write
    write("".join(line + "\n" for line in pipe_lines(diff_head(result))))
    batch: list[str] = []
    for line in plain_steps_table(result):  # streamed: a 100k-step table is never held whole
        batch.append(line)
        if len(batch) >= 4096:
            write("\n".join(batch) + "\n")
            batch.clear()
    if batch:
        write("\n".join(batch) + "\n")
    write("".join(line + "\n" for line in pipe_lines(Group(*diff_tail(result)))))
    sys.stdout.flush()
