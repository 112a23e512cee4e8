"""``replay``: fork a run at a step with an edited input, re-run it against the model, show what changed."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from agentdbg.cli import app
from agentdbg.cli.common import load, user_errors
from agentdbg.cli.output import print_json, print_warning, stderr_console, stdout_console
from agentdbg.errors import PatchError
from agentdbg.textsafe import safe_line, safe_text

_FROM_HELP = "Step to fork at: step-N, N, first-llm, last-llm, first-error, tool:NAME, tool:NAME#k."


def _edit_document(document: Any) -> Any:
    """Open ``document`` as JSON in ``$VISUAL``/``$EDITOR`` and return what was saved."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        raise PatchError("--edit needs $EDITOR (or $VISUAL) set to an editor command")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as handle:
        json.dump(document, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
        path = Path(handle.name)
    try:
        completed = subprocess.run([*shlex.split(editor), str(path)], check=False)
        if completed.returncode != 0:
            raise PatchError(
                f"the editor ({editor}) exited with status {completed.returncode}; nothing replayed"
            )
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise PatchError(f"the edited document is not valid JSON: {exc}") from exc
    finally:
        path.unlink(missing_ok=True)


def _line(label: str, value: str, style: str = "") -> Any:
    from rich.text import Text

    text = Text(f"  {label:<10}", style="bold")
    text.append(safe_line(value), style=style)
    return text


def _print_result(result: Any) -> None:
    """The human summary of one replay on stdout."""
    from rich.table import Table
    from rich.text import Text

    console = stdout_console()
    status_style = {"finished": "green", "needs-tool-result": "yellow", "max-steps": "yellow"}.get(
        result.status, "red"
    )
    title = Text("replay of ")
    title.append(safe_line(result.source or "trace"))
    title.append(f" from {result.fork_step}: ")
    title.append(result.status, style=f"bold {status_style}")
    console.print(title)
    console.print(_line("fork", result.fork_path or "-"))
    origins: dict[str, int] = {}
    for step in result.steps:
        origins[step.origin] = origins.get(step.origin, 0) + 1
    recorded = int(result.fork_step.split("-")[-1]) - 1
    parts = [f"{recorded} recorded"] + [f"{count} {origin}" for origin, count in origins.items()]
    if result.engine == "program":  # every step was run by the program: count them all by origin
        parts = [f"{count} {origin or 'other'}" for origin, count in origins.items()]
        parts.append(f"{result.served} answer(s) served from the record")
    console.print(_line("steps", f"{', '.join(parts)}; {result.llm_calls} LLM call(s)"))
    console.print(_line("tokens", f"in {result.input_tokens:,} · out {result.output_tokens:,}"))
    console.print(
        _line("time", f"{result.wall_seconds:.2f}s ({result.model_seconds:.2f}s waiting for the model)")
    )
    for note in result.notes:
        console.print(_line("note", note, "dim"))
    if result.error:
        console.print(_line("error", result.error, "red"))
    for step in result.steps:
        row = Text(f"    {step.step:<8} {step.kind:<5} {step.origin:<8} {step.status:<10} ")
        row.append(safe_line(step.detail)[:120], style="dim")
        console.print(row)
    if result.divergence_step:
        console.print(_line("diverged", f"at {result.divergence_step}", "bold"))
        for line in result.divergence.splitlines():
            console.print(Text("    " + safe_line(line)[:160]))
    else:
        console.print(_line("diverged", "nowhere: the fork did what the original did"))
    table = Table("original final answer", "fork final answer", show_lines=False, expand=True)
    table.add_row(
        Text(safe_text(result.old_answer or "(none)")), Text(safe_text(result.new_answer or "(none)"))
    )
    console.print(table)
    if result.needs is not None:
        needs = result.needs
        console.print(
            _line(
                "needs", f"{needs.step}: {needs.name}({json.dumps(needs.arguments, default=str)})", "yellow"
            )
        )
        console.print(_line("template", needs.template or "-"))
        console.print(_line("resume", needs.resume or "-"))


def _print_repeat(summary: Any) -> None:
    from rich.text import Text

    console = stdout_console()
    console.print(Text(f"{len(summary.runs)} runs", style="bold"))
    for outcome in ("finished", "looped", "errored", "needs-tool-result"):
        console.print(Text(f"  {outcome:<18}{summary.outcomes.get(outcome, 0)}"))
    console.print(Text("distinct final answers:", style="bold"))
    for answer, count in summary.answers:
        row = Text(f"  {count:>3}× ")
        row.append(safe_line(answer)[:150])
        console.print(row)
    if summary.split_step:
        console.print(
            _line("split", f"runs first part ways at {summary.split_step} ({summary.split_detail})")
        )
        for variant, count in summary.split_variants[:5]:
            row = Text(f"    {count:>3}× ")
            row.append(safe_line(variant)[:150], style="dim")
            console.print(row)
    else:
        console.print(_line("split", "nowhere: every run took the same steps"))
    for run in summary.runs:
        console.print(_line("run", f"{run.outcome}: {run.fork_path}", "dim"))


def _program_command(trace: Any, command: list[str] | None, same_command: bool) -> tuple[list[str], str | None]:
    """The program to run (-- CMD, or the one recorded in the trace's header) and its working directory."""
    from agentdbg.replay.codelevel import recorded_command
    from agentdbg.replay.errors import ReplayInputError

    if command:
        return list(command), None
    recorded = recorded_command(trace)
    if recorded is None:
        raise ReplayInputError(
            "the trace does not record the command that produced it", hint="give it after --: -- python agent.py"
        )
    return recorded


def _replay_program(trace: Any, start: str, program: tuple[list[str], str | None], *, repeat: int | None, as_json: bool, **options: Any) -> None:
    """``replay TRACE --from STEP -- CMD``: the code-level engine; exits with the program's code."""
    from agentdbg.replay.codelevel import replay_program, replay_program_repeat

    command, cwd = program
    options["stdout"] = 2 if as_json else None  # stdout carries the JSON only; the program's output goes to stderr
    if repeat is not None:
        stderr_console().print(f"running {repeat} times: {shlex.join(command)} …")
        summary = replay_program_repeat(trace, start, command, repeat, cwd=cwd, **options)
        print_json(summary.model_dump(mode="json")) if as_json else _print_repeat(summary)
        raise typer.Exit(summary.exit_code)
    result = replay_program(trace, start, command, cwd=cwd, **options)
    print_json(result.model_dump(mode="json")) if as_json else _print_result(result)
    raise typer.Exit(result.exit_code)


@app.command()
def replay(
    trace_path: Annotated[
        str,
        typer.Argument(metavar="TRACE", help="The recorded run (agentdbg JSONL or an importable format)."),
    ],
    start: Annotated[str, typer.Option("--from", help=_FROM_HELP)],
    patch_file: Annotated[
        Path | None,
        typer.Option(
            "--patch",
            help="JSON file: an RFC 6902 JSON Patch (list of ops) or an RFC 7396 merge patch (object).",
        ),
    ] = None,
    sets: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="One edit PATH=JSON on the document, e.g. --set /system='\"Be brief\"' (repeatable).",
        ),
    ] = None,
    edit: Annotated[
        bool, typer.Option("--edit", help="Open the step's document in $EDITOR and replay what you save.")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Fork trace path (default: TRACE.fork.jsonl).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output file.")] = False,
    model: Annotated[
        str | None, typer.Option("--model", help="Send to this model instead of the recorded one.")
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option("--provider", help="openai or anthropic: replay on the other provider (needs --model)."),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url", help="API base URL (any server speaking the recorded API); default: the SDK's."
        ),
    ] = None,
    tools: Annotated[
        str | None,
        typer.Option(
            "--tools",
            help="module:attr or path/to/file.py:attr with your tool functions (dict name→function or list) for calls not recorded.",
        ),
    ] = None,
    final_tool: Annotated[
        list[str] | None,
        typer.Option(
            "--final-tool",
            help="A tool whose call is the run's final answer (structured output); the replay ends there (repeatable). final_result*, final_answer and a tool forced by tool_choice are known already.",
        ),
    ] = None,
    max_steps: Annotated[
        int, typer.Option("--max-steps", help="Stop after this many LLM calls (exit 4).")
    ] = 20,
    repeat: Annotated[
        int | None,
        typer.Option(
            "--repeat",
            min=2,
            help="Run the fork K times and show the distribution of outcomes (exit 0 only if every run finished).",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Send nothing; print the exact request that would go out.")
    ] = False,
    show_document: Annotated[
        bool,
        typer.Option(
            "--show-document", help="Print the step's editable document (the paths a patch can touch)."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    max_retries: Annotated[
        int, typer.Option("--max-retries", min=0, help="SDK retries on 408/409/429/5xx.")
    ] = 2,
    keep_recorded_headers: Annotated[
        bool,
        typer.Option(
            "--keep-recorded-headers",
            help="Also send the extra_headers / extra_query a recorded request carries (dropped by default; the result names them either way).",
        ),
    ] = False,
    on_divergence: Annotated[
        str,
        typer.Option(
            "--on-divergence",
            help="With -- CMD: a request before the fork that differs from the record: stop (exit 5), live (send it, live from there) or serve (answer from the record anyway).",
        ),
    ] = "stop",
    same_command: Annotated[
        bool,
        typer.Option("--same-command", help="Run the command recorded in TRACE's header (instead of -- CMD)."),
    ] = False,
    command: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="-- CMD",
            help="Your own program (e.g. -- python agent.py ARGS): run it with recorded answers up to the fork, live after.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Fork TRACE at a step with an edited input and re-run it against the model.

    Steps before the fork are copied, never re-sent. Tool calls are answered by the recorded result of the
    same call (cached), else by --tools (live), else the replay stops (exit 3) and writes a patch template to
    resume with. Keys come from OPENAI_API_KEY / ANTHROPIC_API_KEY. Exit codes: 0 finished, 3 needs a tool
    result, 4 --max-steps reached, 1 error, 2 bad input.

    With -- CMD your own program runs instead of the built-in loop: every wrapped client's requests before
    the fork are answered from the record (a request that differs is a divergence), @agentdbg.tool functions
    return their recorded results (--tools recorded, the default; --tools live runs them), the fork step is
    patched, everything after it is live, and the program's trace() writes to the fork file. The exit code is
    the program's own (5 when stopped at a divergence).
    """
    from agentdbg.replay import (
        apply_any,
        combine_patch,
        load_patch,
        make_patch,
        replay_repeat,
        select_step,
        step_document,
    )
    from agentdbg.replay import replay as run_replay

    with user_errors():
        # through the index: the fork step, the requests it refers to and the steps replay reads are
        # parsed on demand, so a 1 GB trace is never held whole
        trace = load(trace_path, lazy=True)
        span = select_step(trace, start)
        patch = load_patch(patch_file) if patch_file is not None else None
        if show_document or edit:
            document = apply_any(step_document(trace, span), combine_patch(patch, list(sets or [])))
            if show_document:
                print_json(document)
                return
            edited = _edit_document(document)
            patch, sets = make_patch(step_document(trace, span), edited), []
            if not patch:
                print_warning("the document was saved unchanged; replaying it as recorded")
        options: dict[str, Any] = {
            "patch": patch,
            "sets": list(sets or []),
            "model": model,
            "provider": provider,
            "base_url": base_url,
            "tools": tools,
            "final_tools": list(final_tool or []),
            "max_steps": max_steps,
            "max_retries": max_retries,
            "keep_recorded_headers": keep_recorded_headers,
        }
        if on_divergence != "stop" and not (command or same_command):
            from agentdbg.replay.errors import ReplayInputError

            raise ReplayInputError(
                "--on-divergence applies only when your own program runs the replay",
                hint="give the program after --: -- python agent.py (or --same-command)",
            )
        if command or same_command:
            _replay_program(
                trace,
                start,
                _program_command(trace, command, same_command),
                patch=patch,
                sets=list(sets or []),
                output=output,
                force=force,
                on_divergence=on_divergence,
                tools=tools or "recorded",
                base_url=base_url,
                repeat=repeat,
                as_json=as_json,
            )
        if repeat is not None and not dry_run:
            stderr_console().print(f"running {repeat} forks of {span.address} …")
            summary = replay_repeat(trace, start, repeat, output=output, force=force, **options)
            if as_json:
                print_json(summary.model_dump(mode="json"))
            else:
                _print_repeat(summary)
            raise typer.Exit(summary.exit_code)
        result = run_replay(trace, start, output=output, force=force, dry_run=dry_run, **options)
        if dry_run:
            assert result.request is not None
            print_json(
                {"api": result.api, "base_url": base_url, "notes": result.notes, "request": result.request}
            )
            return
        if as_json:
            print_json(result.model_dump(mode="json"))
        else:
            _print_result(result)
        raise typer.Exit(result.exit_code)
