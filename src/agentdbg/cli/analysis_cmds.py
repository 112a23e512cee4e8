"""``diagnose``, ``diff``, ``search`` and ``verify``: find the broken step, compare runs, scan many traces."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import typer

from agentdbg.cli import app
from agentdbg.cli.common import FormatOption, load, user_errors
from agentdbg.cli.output import print_error, print_json, stderr_console, stdout_console
from agentdbg.errors import AgentdbgError


class FailOn(str, Enum):
    warning = "warning"
    error = "error"


class WindowOptionError(AgentdbgError):
    """A ``--window`` value is not ``MODEL=TOKENS``."""


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
        typer.Argument(
            metavar="TRACE...", help="Trace files (agentdbg JSONL or a supported foreign format)."
        ),
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
    format: FormatOption = None,
) -> None:
    """Find common failure patterns (loops, bad arguments, unknown or wrong tools, context overflow, truncated
    history, irrelevant retrieval, errors) and point at the step where each starts, with evidence and a fix.

    Exit codes: 0 ok, 1 findings at or above --fail-on, 2 unreadable trace or bad option.
    """
    from agentdbg.analysis import DiagnoseOptions, at_least, check_patterns
    from agentdbg.analysis import diagnose as run_diagnose

    with user_errors():
        check_patterns(only)
        options = DiagnoseOptions(
            loop_threshold=loop_threshold, windows=parse_windows(window), patterns=only or None
        )
    results: list[dict[str, Any]] = []
    failing = False
    unreadable = False
    console = stdout_console()
    for path in traces:
        try:
            trace = load(path, format)
            findings = run_diagnose(trace, options)
        except AgentdbgError as exc:
            print_error(exc)
            unreadable = True
            continue
        if fail_on is not None and at_least(findings, fail_on.value):
            failing = True
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

            console.print(render_findings(findings, title=path))
    if as_json:
        print_json(results)
    raise typer.Exit(2 if unreadable else 1 if failing else 0)


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
        a = load(trace_a, format)
        b = load(trace_b, format)
        result = diff_traces(a, b)
    if as_json:
        print_json(result.to_json())
        return
    from agentdbg.render.diff import render_diff

    stdout_console().print(render_diff(result))


def _stderr(message: str) -> None:
    stderr_console().print(message, style="dim")


@app.command()
def search(
    roots: Annotated[
        list[str], typer.Argument(metavar="DIR...", help="Directories (searched recursively) or trace files.")
    ],
    tool: Annotated[
        str | None,
        typer.Option("--tool", help="Steps that call or run this tool (glob patterns like 'search_*' work)."),
    ] = None,
    error: Annotated[bool, typer.Option("--error", help="Steps that failed or never ended.")] = False,
    finding: Annotated[
        str | None,
        typer.Option(
            "--finding",
            metavar="PATTERN",
            help="Steps where diagnose finds this pattern (loop, schema, error, ...).",
        ),
    ] = None,
    text: Annotated[
        str | None,
        typer.Option(
            "--text", help="Steps whose messages, arguments or results contain this text (case-insensitive)."
        ),
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="LLM steps whose model name contains this.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="DATE",
            help="Traces started at or after DATE (YYYY-MM-DD[THH:MM], or 7d / 12h / 30m ago).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print matches as JSON for scripts.")] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", min=1, help="Processes for reading uncached files (default: CPU count)."
        ),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Read every file again and leave the cache alone.")
    ] = False,
) -> None:
    """Find traces and steps in a tree of trace files (any supported format). A trace matches when every
    filter holds somewhere in it. Results are cached by file size and mtime under $AGENTDBG_CACHE_DIR
    (default $XDG_CACHE_HOME/agentdbg), so a second search is near instant. Exit 0 matches, 1 none, 2 bad input."""
    from agentdbg.analysis.search import SearchQuery, parse_since
    from agentdbg.analysis.search import search as run_search

    with user_errors():
        query = SearchQuery(
            tool=tool,
            error=error,
            finding=finding,
            text=text,
            model=model,
            since=parse_since(since) if since else None,
        )
        result = run_search(roots, query, jobs=jobs, use_cache=not no_cache)
    if as_json:
        print_json([match.to_json() for match in result.matches])
    elif result.matches:
        from agentdbg.render.search import search_table

        stdout_console().print(search_table(result))
    _stderr(
        f"{len(result.matches)} of {result.scanned} trace(s) matched in {result.seconds:.2f}s "
        f"({result.from_cache} from cache{f', {len(result.failed)} unreadable file(s) skipped' if result.failed else ''})"
    )
    raise typer.Exit(0 if result.matches else 1)
