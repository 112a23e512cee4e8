"""``diagnose``: find the broken step. ``diff`` is in ``analysis_diff_cmds``, ``search`` and ``verify`` in
``analysis_search_cmds`` (module names keep the commands in this order in ``--help``)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import typer

from agentdbg.cli import app
from agentdbg.cli.common import FormatOption, load, nothing_read, user_errors
from agentdbg.cli.output import print_error, print_json, print_result
from agentdbg.errors import AgentdbgError, WindowOptionError


class FailOn(str, Enum):
    warning = "warning"
    error = "error"


class Severity(str, Enum):
    info = "info"
    warning = "warning"
    error = "error"


def parse_windows(values: list[str] | None) -> dict[str, int]:
    """``["gpt-4o=128000"]`` → ``{"gpt-4o": 128000}``, with a clear error for bad values."""
    windows: dict[str, int] = {}
    for value in values or []:
        model, sep, tokens = value.partition("=")
        cleaned = tokens.strip().replace("_", "").replace(",", "").lower()
        multiplier = 1000 if cleaned.endswith("k") else 1
        cleaned = cleaned.removesuffix("k")
        if not sep or not model.strip() or not cleaned.isdigit() or int(cleaned) <= 0:
            raise WindowOptionError(
                f"bad --window {value!r}",
                hint="use MODEL=TOKENS, e.g. --window my-model=32768 or --window my-model=32k",
            )
        windows[model.strip()] = int(cleaned) * multiplier
    return windows


LoopThreshold = Annotated[
    int,
    typer.Option(
        "--loop-threshold",
        min=2,
        help="Calls in a row (same tool, near-equal arguments) that count as a loop.",
    ),
]
WindowOption = Annotated[
    list[str] | None,
    typer.Option(
        "--window",
        metavar="MODEL=N",
        help="Context window of a model in tokens (repeatable); overrides the built-in table.",
    ),
]


@app.command()
def diagnose(
    traces: Annotated[
        list[str],
        typer.Argument(metavar="TRACE", help="Trace files (agentdbg JSONL or a supported foreign format)."),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print findings as JSON for scripts.")] = False,
    fail_on: Annotated[
        FailOn | None,
        typer.Option("--fail-on", help="Exit 1 when a finding at or above this severity exists (for CI)."),
    ] = None,
    loop_threshold: LoopThreshold = 3,
    window: WindowOption = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            metavar="PATTERN",
            help="Run only these detectors (repeatable): loop, schema, unknown-tool, wrong-tool, context, truncation, retrieval, error.",
        ),
    ] = None,
    min_severity: Annotated[
        Severity,
        typer.Option("--min-severity", help="Show only findings at or above this severity (info shows all)."),
    ] = Severity.info,
    final_tool: Annotated[
        list[str] | None,
        typer.Option(
            "--final-tool",
            help="A tool whose call is the run's final answer (structured output), besides final_result*, final_answer and a tool forced by tool_choice (repeatable).",
        ),
    ] = None,
    format: FormatOption = None,
) -> None:
    """Find common failure patterns (loops, bad arguments, unknown or wrong tools, context overflow, truncated
    history, irrelevant retrieval, errors) and point at the step where each starts, with evidence and a fix.

    Exit codes: 0 ok, 1 findings at or above --fail-on, 2 unreadable trace (also one whose import read no
    step and reported an error) or bad option.
    """
    from agentdbg.analysis import DiagnoseOptions, at_least, check_patterns
    from agentdbg.analysis import diagnose as run_diagnose

    with user_errors():
        check_patterns(only)
        options = DiagnoseOptions(
            loop_threshold=loop_threshold,
            windows=parse_windows(window),
            patterns=only or None,
            final_tools=list(final_tool or []),
        )
    results: list[dict[str, Any]] = []
    failing = False
    unreadable = False
    for path in traces:
        try:
            trace = load(path, format, lazy=True)  # our format streams through the index: one pass
            empty = nothing_read(trace, path, "nothing to diagnose")
            if empty is not None:
                raise empty
            every = run_diagnose(trace, options)
        except AgentdbgError as exc:
            print_error(exc)
            unreadable = True
            continue
        if fail_on is not None and at_least(every, fail_on.value):
            failing = True
        findings = at_least(every, min_severity.value)
        if as_json:
            results.append(
                {
                    "trace": path,
                    "trace_id": trace.header.trace_id,
                    "findings": [f.to_json() for f in findings],
                }
            )
        else:
            from agentdbg.render.findings import render_findings

            print_result(render_findings(findings, title=path))
    if as_json:
        print_json(results)
    raise typer.Exit(2 if unreadable else 1 if failing else 0)
