"""``explain``: ask a model why a run failed; get fixes as patches, optionally replayed and checked."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from agentdbg.cli import app
from agentdbg.cli.common import FormatOption, load, user_errors
from agentdbg.cli.output import print_error, print_json, stderr_console, stdout_console
from agentdbg.textsafe import safe_line


def _progress(message: str) -> None:
    from rich.text import Text

    stderr_console().print(Text(safe_line(message), style="dim"))


def _no_key(error: Any, as_json: bool) -> None:
    """The key message on stderr, the offline findings on stdout."""
    print_error(error)
    if as_json:
        print_json(
            {
                "error": error.message,
                "missing_variable": error.variable,
                "findings": [finding.to_json() for finding in error.findings],
            }
        )
        return
    from rich.text import Text

    from agentdbg.render.findings import render_findings

    stderr_console().print(Text("offline diagnose findings (no model needed):", style="bold"))
    stdout_console().print(render_findings(error.findings))


def _invalid(error: Any, as_json: bool) -> None:
    """Why the answer was refused: each validation error, and the start of each raw answer."""
    from rich.text import Text

    print_error(error)
    console = stderr_console()
    for line in error.errors[:20]:
        console.print(Text("  - " + safe_line(line)))
    for number, raw in enumerate(error.raw, start=1):
        console.print(Text(f"  answer {number}: " + safe_line(raw)[:300], style="dim"))
    if as_json:
        print_json({"error": error.message, "errors": error.errors, "raw_answers": error.raw})


@app.command()
def explain(
    trace_path: Annotated[
        str, typer.Argument(metavar="TRACE", help="The failed run (agentdbg JSONL or an importable format).")
    ],
    step: Annotated[
        str | None,
        typer.Option(
            "--step",
            help="The broken step (step-N or a --from selector); default: the first error/warning "
            "finding's step, else the first failed step.",
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Model to ask (default: $AGENTDBG_EXPLAIN_MODEL, else gpt-4.1 for openai, claude-sonnet-4-6 for anthropic).",
        ),
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            help="openai or anthropic (default: the trace's provider when its key is set, else the one with a key).",
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="API base URL of the model asked (an OpenAI- or Anthropic-compatible server, as --provider says).",
        ),
    ] = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Replay every candidate fix, diagnose each fork, and write the best verified one as fix-N.json "
            "beside the trace.",
        ),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing fix-N.json.")] = False,
    budget: Annotated[
        int,
        typer.Option(
            "--budget", min=500, help="Most tokens of evidence to send (~4 chars each); cuts are listed."
        ),
    ] = 12_000,
    replay_base_url: Annotated[
        str | None,
        typer.Option(
            "--replay-base-url",
            help="Base URL for the --verify replays (default: --base-url when the provider is the recorded one).",
        ),
    ] = None,
    replay_model: Annotated[
        str | None,
        typer.Option("--replay-model", help="Model for the --verify replays (default: the recorded one)."),
    ] = None,
    tools: Annotated[
        str | None,
        typer.Option("--tools", help="module:attr with tool functions for calls the --verify replays meet."),
    ] = None,
    max_steps: Annotated[
        int, typer.Option("--max-steps", min=1, help="Most LLM calls per --verify replay.")
    ] = 10,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the evidence that would be sent (JSON) and ask nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON for scripts.")] = False,
    format: FormatOption = None,
) -> None:
    """Ask a model why TRACE failed: where the failure starts, the root cause, the pattern, and one to three
    fixes, each an RFC 6902 patch against a step's replay document (see `agentdbg replay --show-document`).

    The evidence sent is the diagnose findings, the broken step and the steps before it, the tool schemas and
    the outcome, trimmed to --budget; key-shaped strings are masked. Keys come from OPENAI_API_KEY /
    ANTHROPIC_API_KEY. Exit codes: 0 answered (with --verify: a verified fix was written), 1 the model call
    failed, its answer did not validate after one retry, or no fix was verified; 2 bad input or no key (the
    offline findings are still printed).
    """
    from agentdbg.explain import InvalidAnswerError, NoApiKeyError
    from agentdbg.explain import explain as run_explain

    with user_errors():
        trace = load(trace_path, format, lazy=True)  # our format through the index: steps read on demand
        try:
            result = run_explain(
                trace,
                step=step,
                model=model,
                provider=provider,
                base_url=base_url,
                budget_tokens=budget,
                verify=verify,
                force=force,
                replay_base_url=replay_base_url,
                replay_model=replay_model,
                tools=tools,
                max_steps=max_steps,
                dry_run=dry_run,
                on_progress=None if as_json or dry_run else _progress,
            )
        except NoApiKeyError as exc:
            _no_key(exc, as_json)
            raise typer.Exit(exc.exit_code) from None
        except InvalidAnswerError as exc:
            _invalid(exc, as_json)
            raise typer.Exit(exc.exit_code) from None
    if dry_run:
        print_json(
            {"evidence": result.evidence.payload, "estimated_tokens": result.evidence.estimated_tokens}
        )
        return
    if as_json:
        print_json(result.to_json())
    else:
        from agentdbg.render.explain import render_explain

        stdout_console().print(render_explain(result))
    raise typer.Exit(result.exit_code)
