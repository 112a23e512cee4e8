"""Code-level replay: run the user's own program with recorded answers up to the fork, live after it.

``replay_program(trace, start, ["python", "agent.py"], ...)`` writes the fork spec, starts the
program with ``$AGENTDBG_REPLAY`` pointing at it (its wrapped clients and ``@tool`` functions
then play back, see ``agentdbg.replay.player``), waits for it, and summarises the fork file it
wrote the same way the built-in engine does. The exit code is the program's own (5 when it
was stopped at a divergence).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agentdbg.capture.playback import ENV_SPEC
from agentdbg.errors import MissingApiKeyError
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.replay.divergence import first_divergence
from agentdbg.replay.document import refuse_unknown_fields, span_api, step_document
from agentdbg.replay.engine import load_source, resolve_output
from agentdbg.replay.errors import ReplayInputError
from agentdbg.replay.outcome import span_signature_text
from agentdbg.replay.patches import apply_any, combine
from agentdbg.replay.player import STOP_EXIT_CODE, ForkSpec, OnDivergence, ToolsPolicy
from agentdbg.replay.repeat import run_repeats
from agentdbg.replay.result import RepeatResult, ReplayResult, StepSummary, span_signature
from agentdbg.replay.selectors import select_step

KEY_VARIABLES = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
PLACEHOLDER_KEY = "agentdbg-replay-no-key"  # lets an SDK client be built for requests that are only served


def recorded_command(trace: Trace) -> tuple[list[str], str | None] | None:
    """The command line (``python``, script, args) and working directory that produced ``trace``, if recorded."""
    extra = trace.header.model_extra or {}
    command = extra.get("command")
    if not isinstance(command, dict) or not isinstance(command.get("argv"), list) or not command["argv"]:
        return None
    argv = [str(arg) for arg in command["argv"]]
    executable = command.get("executable")
    runnable = [str(executable), *argv] if executable and argv[0].endswith(".py") else argv
    cwd = command.get("cwd")
    return runnable, str(cwd) if cwd else None


def _provider(span: Span) -> str:
    data = span.input if isinstance(span.input, dict) else {}
    return str(data.get("provider") or span_api(span).split(".", 1)[0])


def _keys_env(trace: Trace, fork: Span, on_divergence: str, environment: dict[str, str]) -> None:
    """Fail before anything runs when a provider that will be sent to live has no key; placeholders for the rest."""
    llm = trace.llm_spans
    live = {_provider(span) for span in llm if span.step >= fork.step or on_divergence == "live"}
    for provider in sorted({_provider(span) for span in llm}):
        variable = KEY_VARIABLES.get(provider)
        if variable is None or environment.get(variable):
            continue
        if provider in live:
            raise MissingApiKeyError(
                f"{variable} is not set: the fork sends {provider} requests live from {fork.address} on",
                hint=f"export {variable}=... (keys come from the environment only; any value works for a local server)",
            )
        environment[variable] = PLACEHOLDER_KEY


def summarize(
    source: Trace, fork_path: Path, fork: Span, report: dict[str, Any], exit_code: int
) -> ReplayResult:
    """The ``ReplayResult`` of one program run: status, where it diverged, old vs new answer, steps, tokens."""
    stopped = report.get("stopped")
    status = "diverged" if stopped else ("finished" if exit_code == 0 else "errored")
    result = ReplayResult(
        status=status,  # type: ignore[arg-type]
        engine="program",
        source=source.source,
        fork_step=fork.address,
        program_exit=exit_code,
        served=int(report.get("served", 0)),
        llm_calls=int(report.get("live", 0)) + int(report.get("patched", 0)),
        fork_path=str(fork_path) if fork_path.exists() else None,
    )
    if stopped:
        result.error = stopped.get("text")
    elif exit_code != 0:
        result.error = f"the program exited with status {exit_code}"
    if not report.get("fork_reached") and not stopped:
        result.notes.append(f"the program never reached {fork.address}: nothing was patched")
    result.notes.extend(
        f"diverged (let through): {d['text'].splitlines()[0]}"
        for d in report.get("divergences", [])[:3]
        if not stopped
    )
    original_llm = source.llm_spans
    result.old_answer = span_signature_text(original_llm[-1]) if original_llm else None
    if result.fork_path is None:
        return result
    forked = load_source(fork_path)
    keep = ("llm", "tool")
    originals = [span for span in source.spans if span.kind in keep]
    forks = [span for span in forked.spans if span.kind in keep]
    found = first_divergence(originals, forks)
    if found is not None:
        index, text = found
        result.divergence_step = (
            forks[index].address if index < len(forks) else f"step-{len(forked.spans) + 1}"
        )
        result.divergence = text
    fork_llm = forked.llm_spans
    result.new_answer = span_signature_text(fork_llm[-1]) if fork_llm else None
    for span in forked.spans:
        if span.kind == "llm" and span.origin != "recorded" and span.usage is not None:
            result.input_tokens += span.usage.input_tokens or 0
            result.output_tokens += span.usage.output_tokens or 0
            result.model_seconds += float(span.attributes.get("latency") or 0.0)
        result.steps.append(StepSummary.of(span))
    result.signatures = [span_signature(span) for span in forks if span.step >= fork.step]
    return result


def replay_program(
    trace: Trace | str | os.PathLike[str],
    start: str,
    command: Sequence[str],
    *,
    patch: Any = None,
    sets: Sequence[str] = (),
    output: str | os.PathLike[str] | None = None,
    force: bool = False,
    on_divergence: OnDivergence = "stop",
    tools: ToolsPolicy = "recorded",
    base_url: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    stdout: int | None = None,
    stderr: int | None = None,
    stdin: int | None = None,
) -> ReplayResult:
    """Run ``command`` (the user's program) with playback up to ``start`` and the patch applied there.

    Args:
        trace: The recorded run.
        start: The fork step (an llm or a tool step; ``--from`` selectors).
        command: The program and its arguments (``["python", "agent.py", ...]``).
        patch, sets: As ``replay``: applied to the fork step's document.
        output: The fork file every ``trace()`` of the program writes to (default ``TRACE.fork.jsonl``).
        on_divergence: ``stop`` (exit 5), ``live`` or ``serve``; tools: ``recorded`` or ``live`` before the fork.
        base_url: Where live requests go (default: the program's own client's base URL).
        env, cwd: The program's environment (default: this one) and working directory.
        stdout: A file descriptor for the program's stdout (``--json`` sends it to stderr); default: inherited.
        stderr, stdin: File descriptors for the program's stderr and stdin (the TUI sends stdout and stderr to a
            log file and gives no stdin); default: inherited.

    Raises:
        StepNotFoundError, PatchError, ReplayInputError, OutputExistsError, MissingApiKeyError: before the program starts.
    """
    started = time.perf_counter()
    if not command:
        raise ReplayInputError(
            "no program to run after --",
            hint="e.g. agentdbg replay run.jsonl --from step-3 -- python agent.py",
        )
    if on_divergence not in ("stop", "live", "serve"):
        raise ReplayInputError(f"--on-divergence must be stop, live or serve (got {on_divergence!r})")
    if tools not in ("recorded", "live"):
        raise ReplayInputError(f"with a program after --, --tools must be recorded or live (got {tools!r})")
    source = load_source(trace)
    fork = select_step(source, start)
    combined = combine(patch, list(sets))
    if fork.kind not in ("llm", "tool"):
        step_document(source, fork)  # the clear "starts from an llm step or a tool step" error
    document = step_document(source, fork)
    refuse_unknown_fields(
        apply_any(document, combined), document
    )  # a bad patch fails here, before the program runs
    environment = dict(os.environ if env is None else env)
    environment.pop("AGENTDBG_DISABLED", None)
    _keys_env(source, fork, on_divergence, environment)
    fork_path = resolve_output(source, output, force)
    fork_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="agentdbg-replay-") as scratch:
        spec_path, report_path = Path(scratch, "spec.json"), Path(scratch, "report.json")
        ForkSpec(
            trace=str(Path(str(source.source)).resolve()) if source.source else "",
            from_step=fork.address,
            patch=combined,
            out=str(fork_path.resolve()),
            on_divergence=on_divergence,
            tools=tools,
            base_url=base_url,
            report=str(report_path),
        ).write(spec_path)
        environment[ENV_SPEC] = str(spec_path)
        try:
            completed = subprocess.run(
                list(command),
                env=environment,
                cwd=cwd,
                stdin=stdin,
                stdout=stdout,
                stderr=stderr,
                check=False,
            )
        except OSError as exc:
            raise ReplayInputError(f"cannot start {command[0]!r}: {exc.strerror or exc}") from exc
        report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else {}
    exit_code = completed.returncode if completed.returncode >= 0 else 128 - completed.returncode
    if report.get("stopped"):
        exit_code = STOP_EXIT_CODE
    result = summarize(source, fork_path, fork, report, exit_code)
    result.wall_seconds = time.perf_counter() - started
    return result


def replay_program_repeat(
    trace: Trace | str | os.PathLike[str],
    start: str,
    command: Sequence[str],
    count: int,
    *,
    output: str | os.PathLike[str] | None = None,
    force: bool = False,
    **options: Any,
) -> RepeatResult:
    """Run the program ``count`` times from the same fork (``<out>.r1.jsonl`` …) and summarise the outcomes."""
    return run_repeats(
        trace,
        start,
        count,
        lambda source, path: replay_program(source, start, command, output=path, force=True, **options),
        output=output,
        force=force,
    )


__all__ = ["recorded_command", "replay_program", "replay_program_repeat", "summarize"]
