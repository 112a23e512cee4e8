"""``search`` (find traces and steps in a tree of trace files) and ``verify`` (replay one fix on every match)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from agentdbg.cli import app
from agentdbg.cli.analysis_cmds import FailOn
from agentdbg.cli.common import user_errors
from agentdbg.cli.output import print_json, print_result, stderr_console
from agentdbg.errors import VerifyInputError


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
    name: Annotated[
        str | None, typer.Option("--name", help="SOURCE-PREFIX only: runs whose name contains this.")
    ] = None,
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
            found = backend_search(
                roots[0], status=status, since=since, name=name, limit=limit, as_json=as_json
            )
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
        found = (
            run_search(roots, SearchQuery(finding=finding, tool=tool, error=error, text=text))
            if roots
            else None
        )
        paths = [m.path for m in found.matches if not m.path.endswith(".fork.jsonl")] if found else []
        if not paths:
            raise VerifyInputError(
                f"no trace under {', '.join(roots)} matches the filters",
                hint="drop --finding/--tool/--error/--text, or check the folder",
            )
        out = output_dir or str(cache_dir() / "verify" / time.strftime("%Y%m%d-%H%M%S"))
        _stderr(f"verifying the fix on {len(paths)} trace(s); forks go to {out}")

        def progress(row: VerifyRow) -> None:
            _stderr(
                f"  {row.trace}: {row.status}{f' ({row.error})' if row.status == 'skipped' and row.error else ''}"
            )

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
