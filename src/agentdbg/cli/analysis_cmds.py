"""``diagnose``, ``diff``, ``search`` and ``verify``: find the broken step, compare runs, scan many traces."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import typer

from agentdbg.cli import app
from agentdbg.cli.common import FormatOption, load, report_problems, resolve_source, user_errors
from agentdbg.cli.output import print_error, print_json, print_result, stderr_console
from agentdbg.errors import AgentdbgError, VerifyInputError, WindowOptionError


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
        typer.Argument(
            metavar="TRACE", help="Trace files (agentdbg JSONL or a supported foreign format)."
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

    Exit codes: 0 ok, 1 findings at or above --fail-on, 2 unreadable trace or bad option.
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
        a = load(trace_a, format, lazy=True)  # our own format through the index: steps parsed only if they differ
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


def _stderr(message: str) -> None:
    """A progress or summary line on stderr (stdout carries results only)."""
    from rich.text import Text

    from agentdbg.textsafe import safe_text

    stderr_console().print(Text(safe_text(message), style="dim"))


@app.command()
def search(
    roots: Annotated[
        list[str], typer.Argument(metavar="DIR", help="Directories (searched recursively) or trace files.")
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
    status: Annotated[
        str | None, typer.Option("--status", help="SOURCE-PREFIX only: runs that failed (error) or not (ok).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="SOURCE-PREFIX only: runs whose name contains this.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="SOURCE-PREFIX only: most runs listed.")] = 20,
) -> None:
    """Find traces and steps in a tree of trace files (any supported format). A trace matches when every
    filter holds somewhere in it. Results are cached by file size and mtime under $AGENTDBG_CACHE_DIR
    (default $XDG_CACHE_HOME/agentdbg), so a second search is near instant. Exit 0 matches, 1 none, 2 bad input.
    With a SOURCE-PREFIX (phoenix://HOST:PORT[/PROJECT], mlflow://HOST:PORT[/EXPERIMENT], langfuse://HOST)
    the backend's own query API lists its runs (--status, --since, --name, --limit)."""
    from agentdbg.analysis.search import SearchQuery, parse_since
    from agentdbg.analysis.search import search as run_search
    from agentdbg.sources import is_source

    if roots and is_source(roots[0]):
        from agentdbg.cli.source_cmds import backend_search

        with user_errors():
            found = backend_search(roots[0], status=status, since=since, name=name, limit=limit, as_json=as_json)
        raise typer.Exit(found)

    with user_errors():
        query = SearchQuery(
            tool=tool,
            error=error,
            finding=finding,
            text=text,
            model=model,
            since=parse_since(since) if since else None,
        )
        result = run_search(roots, query, jobs=jobs, use_cache=not no_cache, on_progress=_stderr)
    if as_json:
        print_json([match.to_json() for match in result.matches])
    elif result.matches:
        from agentdbg.render.search import search_table

        print_result(search_table(result))
    _report_skipped(result)
    if not result.scanned and not result.failed:
        shown = ", ".join(roots)
        ignored = f" ({len(result.not_traces)} other file(s) ignored)" if result.not_traces else ""
        _stderr(f"no trace file found in {shown}{ignored}: nothing was searched")
    raise typer.Exit(0 if result.matches else 1)


def _report_skipped(result: Any, shown: int = 10) -> None:
    """The search's closing line on stderr, naming each unreadable trace (the first ``shown``)."""
    for path, reason in result.failed[:shown]:
        _stderr(f"unreadable: {reason if reason.startswith(path) else f'{path}: {reason}'}")
    if len(result.failed) > shown:
        _stderr(f"… and {len(result.failed) - shown} more unreadable file(s)")
    extras = [f"{result.from_cache} from cache"]
    if result.failed:
        extras.append(f"{len(result.failed)} unreadable")
    if result.not_traces:
        extras.append(f"{len(result.not_traces)} non-trace file(s) ignored")
    _stderr(
        f"{len(result.matches)} of {result.scanned} trace(s) matched in {result.seconds:.2f}s ({', '.join(extras)})"
    )


@app.command()
def verify(
    roots: Annotated[
        list[str],
        typer.Argument(
            metavar="DIR", help="Directories (searched recursively) or trace files to try the fix on."
        ),
    ],
    patch_file: Annotated[
        str,
        typer.Option(
            "--patch",
            help="JSON file: RFC 6902 JSON Patch (list) or RFC 7396 merge patch (object) for the step's document.",
        ),
    ],
    start: Annotated[
        str,
        typer.Option(
            "--from",
            metavar="SELECTOR",
            help="Step to fork each trace at: step-N, N, first-llm, last-llm, first-error, tool:NAME, tool:NAME#k.",
        ),
    ],
    finding: Annotated[
        str | None,
        typer.Option(
            "--finding", metavar="PATTERN", help="Only traces where diagnose finds this pattern (e.g. loop)."
        ),
    ] = None,
    tool: Annotated[str | None, typer.Option("--tool", help="Only traces that call this tool.")] = None,
    error: Annotated[
        bool, typer.Option("--error", help="Only traces with a failed or unfinished step.")
    ] = False,
    text: Annotated[str | None, typer.Option("--text", help="Only traces containing this text.")] = None,
    output_dir: Annotated[
        str | None,
        typer.Option("--out", help="Folder for the forks (default: a new folder under the agentdbg cache)."),
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="API base URL (any server speaking the recorded API).")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Send to this model instead of the recorded one.")
    ] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", help="openai or anthropic; must match the recorded API.")
    ] = None,
    tools: Annotated[
        str | None, typer.Option("--tools", help="module:attr with tool functions for calls not recorded.")
    ] = None,
    max_steps: Annotated[int, typer.Option("--max-steps", min=1, help="Most LLM calls per fork.")] = 20,
    fail_on: Annotated[
        FailOn,
        typer.Option("--fail-on", help="Exit 1 if a fork still has findings at or above this severity."),
    ] = FailOn.warning,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False,
    status: Annotated[
        str | None, typer.Option("--status", help="SOURCE-PREFIX only: runs that failed (error) or not (ok).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="SOURCE-PREFIX only: most runs pulled.")] = 50,
) -> None:
    """Replay the same fix on every matching trace and show, per trace, the findings before and after and
    whether the final answer changed. Exit 0 when every replay finished clean, 1 otherwise, 2 bad input.
    A SOURCE-PREFIX (phoenix://…, mlflow://…, langfuse://…) pulls the backend's matching runs first."""
    import time

    from agentdbg.analysis.search import SearchQuery
    from agentdbg.analysis.search import search as run_search
    from agentdbg.analysis.search_cache import cache_dir
    from agentdbg.analysis.verify import VerifyRow
    from agentdbg.analysis.verify import verify as run_verify
    from agentdbg.replay import ReplayOptions, load_patch

    with user_errors():
        patch = load_patch(patch_file)
        from agentdbg.sources import is_source

        if roots and is_source(roots[0]):
            from agentdbg.cli.source_cmds import backend_paths

            roots = backend_paths(roots[0], status=status, since=None, name=None, limit=limit)
        found = run_search(roots, SearchQuery(finding=finding, tool=tool, error=error, text=text)) if roots else None
        paths = [m.path for m in found.matches if not m.path.endswith(".fork.jsonl")] if found else []
        if not paths:
            raise VerifyInputError(
                f"no trace under {', '.join(roots)} matches the filters",
                hint="drop --finding/--tool/--error/--text, or check the folder",
            )
        out = output_dir or str(cache_dir() / "verify" / time.strftime("%Y%m%d-%H%M%S"))
        _stderr(f"verifying the fix on {len(paths)} trace(s); forks go to {out}")

        def progress(row: VerifyRow) -> None:
            _stderr(f"  {row.trace}: {row.status}{f' ({row.error})' if row.status == 'skipped' and row.error else ''}")

        rows = run_verify(
            paths,
            patch,
            start,
            output_dir=out,
            severity=fail_on.value,
            on_trace=progress,
            replay_options=ReplayOptions(
                base_url=base_url, model=model, provider=provider, tools=tools, max_steps=max_steps
            ),
        )
    if as_json:
        print_json([row.model_dump() for row in rows])
    else:
        from agentdbg.render.search import verify_table

        print_result(verify_table([{**row.model_dump(), "from": row.from_step} for row in rows]))
    cured = sum(1 for row in rows if row.cured)
    _stderr(f"{cured} of {len(rows)} trace(s) replayed clean")
    raise typer.Exit(0 if cured == len(rows) else 1)
