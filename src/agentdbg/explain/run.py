"""``explain(trace)``: evidence → model → validated fixes → (optionally) replayed and checked."""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agentdbg.analysis import DiagnoseOptions, Finding, diagnose
from agentdbg.errors import MissingApiKeyError
from agentdbg.explain.answer import ModelAnswer, replayable
from agentdbg.explain.ask import KEY_ENV, PROVIDERS, ask_model, choose_provider, recorded_provider
from agentdbg.explain.check import FixCheck, best_check, check_fixes, write_fix
from agentdbg.explain.errors import NoApiKeyError
from agentdbg.explain.evidence import DEFAULT_BUDGET_TOKENS, Evidence, gather_evidence
from agentdbg.model.trace import Trace
from agentdbg.replay.errors import OutputExistsError
from agentdbg.replay.options import ReplayOptions

Progress = Callable[[str], None]


class ExplainResult(BaseModel):
    """What ``explain`` found: the offline findings, the evidence sent, the model's answer and the checks."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    source: str | None = None
    findings: list[Finding] = Field(default_factory=list)
    evidence: Evidence
    provider: str | None = None
    model: str | None = None
    attempts: int = 0
    first_errors: list[str] = Field(default_factory=list)
    answer: ModelAnswer | None = None
    checks: list[FixCheck] | None = None
    best_fix: int | None = None
    fix_path: str | None = None
    replay_command: str | None = None
    notes: list[str] = Field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def exit_code(self) -> int:
        """0 with an answer (and, with checks, a verified fix written), else 1."""
        if self.answer is None:
            return 0 if self.provider is None else 1
        if self.checks is not None and self.fix_path is None:
            return 1
        return 0

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (findings with ``step-N`` addresses, patches as RFC 6902 lists)."""
        data = self.model_dump(mode="json", by_alias=True, exclude={"findings"})
        data["findings"] = [finding.to_json() for finding in self.findings]
        if self.answer is not None:
            for fix_data, fix in zip(data["answer"]["fixes"], self.answer.fixes, strict=True):
                fix_data["patch"] = fix.patch_json
        return data


def _no_key(provider: str, error: MissingApiKeyError, findings: list[Finding]) -> NoApiKeyError:
    variable = KEY_ENV.get(provider, "OPENAI_API_KEY")
    other = next(name for name in PROVIDERS if name != provider)
    return NoApiKeyError(
        f"{variable} is not set: explain asks a model from {provider} for the root cause and fixes",
        hint=(
            f"export {variable}=... (or set {KEY_ENV[other]} and pass --provider {other}); "
            "the offline diagnose findings are shown meanwhile"
        ),
        variable=variable,
        findings=findings,
    )


def _replay_command(source: str | None, step: str, path: str) -> str:
    trace = shlex.quote(source) if source else "TRACE"
    return f"agentdbg replay {trace} --from {step} --patch {shlex.quote(path)}"


def explain(
    trace: Trace | str | os.PathLike[str],
    *,
    step: str | None = None,
    model: str | None = None,
    provider: str | None = None,
    base_url: str | None = None,
    budget_tokens: int = DEFAULT_BUDGET_TOKENS,
    verify: bool = False,
    force: bool = False,
    replay_base_url: str | None = None,
    replay_model: str | None = None,
    tools: Any = None,
    max_steps: int = 10,
    max_retries: int = 2,
    options: DiagnoseOptions | None = None,
    dry_run: bool = False,
    on_progress: Progress | None = None,
) -> ExplainResult:
    """Explain why a run failed and suggest fixes as replayable patches; with ``verify``, replay and check them.

    Args:
        trace: A ``Trace`` or a path to one (any supported format).
        step: The broken step (``step-N`` or any ``--from`` selector); default: the first error/warning
            finding's step, else the first failed step.
        model, provider, base_url: The model asked (default: the recorded provider when its key is set).
        budget_tokens: Most tokens of evidence sent (~4 characters each); what was cut is reported.
        verify: Replay every fix, diagnose each fork, write the best verified one as ``fix-N.json``.
        force: Overwrite an existing ``fix-N.json``.
        replay_base_url, replay_model: Targets of the verification replays (default: ``base_url`` when the
            explaining provider is the recorded one; the recorded model).
        tools, max_steps, max_retries: Passed to ``agentdbg.replay.replay`` for the verification replays.
        options: Diagnose settings.
        dry_run: Gather the evidence and the findings only; ask no model.
        on_progress: Called with short progress messages (for a CLI spinner or a TUI worker).

    Returns:
        An ``ExplainResult``.

    Raises:
        NoApiKeyError: a needed key is missing (``.findings`` holds the offline findings).
        ExplainError: the model call failed; InvalidAnswerError: its answer did not validate twice.
        StepNotFoundError, TraceReadError: bad input.
    """
    from agentdbg.replay import load_source

    report = on_progress or (lambda message: None)
    source = load_source(trace)
    findings = diagnose(source, options)
    evidence = gather_evidence(source, findings, step=step, budget_tokens=budget_tokens)
    result = ExplainResult(source=source.source, findings=findings, evidence=evidence)
    if dry_run:
        return result
    chosen = choose_provider(source, provider)
    try:
        asked = ask_model(
            source,
            evidence,
            provider=chosen,
            model=model,
            base_url=base_url,
            max_retries=max_retries,
            on_progress=report,
        )
    except MissingApiKeyError as exc:
        raise _no_key(chosen, exc, findings) from None
    result.provider, result.model, result.answer = asked.provider, asked.model, asked.answer
    result.attempts, result.first_errors = asked.attempts, asked.first_errors
    result.input_tokens, result.output_tokens = asked.input_tokens, asked.output_tokens
    if not replayable(source):
        result.notes.append(
            "no step of this trace holds its full request (imported without one), so the fixes cannot be "
            "replayed here; apply them to your agent and record a new run"
        )
    if not verify:
        return result
    same_target = chosen == recorded_provider(source)
    report(f"replaying {len(asked.answer.fixes)} candidate fix(es)")
    try:
        result.checks = check_fixes(
            source,
            asked.answer.fixes,
            options=options,
            on_fix=lambda check: report(f"fix {check.number}: {check.status}"),
            replay_options=ReplayOptions(
                base_url=replay_base_url or (base_url if same_target else None),
                model=replay_model,
                tools=tools,
                max_steps=max_steps,
                max_retries=max_retries,
            ),
        )
    except MissingApiKeyError as exc:
        raise _no_key(recorded_provider(source) or chosen, exc, findings) from None
    best = best_check(result.checks)
    if best is None:
        result.notes.append(
            "no candidate fix was verified: none finished with fewer findings than the original"
        )
        return result
    result.best_fix = best.number
    fix = asked.answer.fixes[best.number - 1]
    try:
        path = write_fix(source, best, fix, force=force)
    except OutputExistsError as exc:
        result.notes.append(exc.message)
        return result
    result.fix_path = str(path)
    result.replay_command = _replay_command(source.source, fix.step, str(path))
    return result


__all__ = ["ExplainResult", "explain"]
