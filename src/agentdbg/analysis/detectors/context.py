"""Context pressure and overflow: input tokens near or over the model's window, and cut-off answers."""

from __future__ import annotations

import json
import re

from agentdbg.analysis.facts import PassFacts, RunContext, Step, StepFindings
from agentdbg.analysis.findings import Finding
from agentdbg.analysis.lexical import snippet
from agentdbg.analysis.llm_facts import LlmFacts
from agentdbg.model.records import ErrorInfo
from agentdbg.model.windows import context_window

_OVERFLOW = re.compile(
    r"context[_ ]length[_ ]exceeded|maximum context length|context window|prompt is too long|too many tokens"
    r"|input is too long|exceeds the context|reduce the length of the messages",
    re.IGNORECASE,
)
_CUT_OFF = {"length", "max_tokens", "max_output_tokens"}
CHARS_PER_TOKEN = 4


def is_overflow_error(error: ErrorInfo | None) -> bool:
    """Whether an API error says the request did not fit the context window."""
    if error is None:
        return False
    body = json.dumps(error.body, default=str) if error.body is not None else ""
    return bool(_OVERFLOW.search(f"{error.type} {error.message} {body}"))


def input_tokens(span: Step, view: LlmFacts) -> tuple[int | None, bool]:
    """Input tokens of a step and whether they are estimated (request size / 4 when usage is missing)."""
    if span.usage is not None and span.usage.input_tokens is not None:
        cached = span.usage.cache_creation_input_tokens or 0
        read = span.usage.cached_input_tokens or 0
        # Anthropic reports cache reads/writes beside input_tokens; OpenAI includes them in it.
        extra = cached + read if view.api == "anthropic.messages" else 0
        return span.usage.input_tokens + extra, False
    if not view.has_request:
        return None, False
    # from the text the model reads (attachments count as placeholders: base64 would inflate the estimate)
    size = view.prompt_facts.chars
    size += sum(
        len(t.name) + len(t.description) + len(json.dumps(t.parameters or {}, default=str))
        for t in view.tools
    )
    return size // CHARS_PER_TOKEN, True


def _finish_reason(span: Step, view: LlmFacts) -> str | None:
    reason = span.attributes.get("finish_reason")
    response = view.response if isinstance(view.response, dict) else {}
    if reason is None:
        choices = response.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            reason = choices[0].get("finish_reason")
    if reason is None:
        details = response.get("incomplete_details")
        reason = response.get("stop_reason") or (details.get("reason") if isinstance(details, dict) else None)
    return str(reason) if isinstance(reason, str) and reason else None


OVERFLOW_TITLE = "context window overflow"


def _step_overflow(span: Step) -> Finding:
    """An overflow an agent recorded on its own step (Codex fails the turn; the llm call shows no error)."""
    assert span.error is not None
    return Finding(
        severity="error",
        pattern="context",
        step=span.step,
        span_id=span.id,
        title=OVERFLOW_TITLE,
        evidence=f"{span.kind} step {snippet(span.name, 60)!r} failed: {snippet(span.error.message, 200)}",
        fix="Trim or summarise older messages and large tool results before the last call, or use a model with a larger window.",
        details={"kind": "step-overflow", "type": span.error.type},
    )


class Detector(StepFindings):
    """Each llm step's input against its model's window; pressure is reported once, at the first step."""

    SEES = "all"  # an agent's own step may be where the overflow is recorded (a Codex turn)

    def __init__(self, context: RunContext) -> None:
        super().__init__(context)
        self.pressure_seen = False
        self.step_overflows: list[Finding] = []  # on agent steps: kept unless a call inside shows it

    def step(self, span: Step, view: LlmFacts | None) -> None:
        if view is None:
            if span.kind != "llm" and is_overflow_error(span.error):
                self.step_overflows.append(_step_overflow(span))
            return
        findings, options = self.findings, self.options
        window = context_window(view.model, options.windows)
        tokens, estimated = input_tokens(span, view)
        if is_overflow_error(span.error):
            assert span.error is not None
            findings.append(
                Finding(
                    severity="error",
                    pattern="context",
                    step=span.step,
                    span_id=span.id,
                    title=OVERFLOW_TITLE,
                    evidence=(
                        f"the API refused the request: {span.error.message[:200]}"
                        + (
                            f" (about {tokens:,} input tokens{' estimated' if estimated else ''}, window {window:,})"
                            if tokens and window
                            else ""
                        )
                    ),
                    fix="Trim or summarise older messages and large tool results before this call, or use a model with a larger window.",
                    details={
                        "input_tokens": tokens,
                        "estimated": estimated,
                        "window": window,
                        "model": view.model,
                    },
                )
            )
            return
        if (
            window
            and tokens is not None
            and not self.pressure_seen
            and tokens >= options.pressure_ratio * window
        ):
            self.pressure_seen = True
            share = tokens / window
            findings.append(
                Finding(
                    severity="error" if share >= 1 else "warning",
                    pattern="context",
                    step=span.step,
                    span_id=span.id,
                    title=f"context {'overflow' if share >= 1 else 'pressure'}: {share:.0%} of the window",
                    evidence=(
                        f"{tokens:,} input tokens{' (estimated from request size)' if estimated else ''} of {view.model}'s "
                        f"{window:,}-token window ({share:.0%}, threshold {options.pressure_ratio:.0%}); later steps may lose instructions or fail"
                    ),
                    fix="Summarise or drop old turns and shorten large tool results; keep the system prompt; or raise the window with a larger model.",
                    details={
                        "input_tokens": tokens,
                        "estimated": estimated,
                        "window": window,
                        "model": view.model,
                        "share": round(share, 4),
                    },
                )
            )
        reason = _finish_reason(span, view)
        if reason in _CUT_OFF:
            findings.append(
                Finding(
                    severity="warning",
                    pattern="context",
                    step=span.step,
                    span_id=span.id,
                    title="answer cut off at the output limit",
                    evidence=f"finish reason {reason!r}: the model stopped because it hit max_tokens, not because it was done",
                    fix="Raise max_tokens (max_output_tokens) for this call, or ask for a shorter answer.",
                    details={"finish_reason": reason},
                )
            )

    def finish(self, facts: PassFacts) -> list[Finding]:
        """The findings, with an agent step's overflow only where no llm step inside it was refused for it
        (Claude Code's session step repeats its failed call's error: one finding, at the call)."""
        if not self.step_overflows:
            return self.findings
        shown: set[str] = set()
        for finding in self.findings:
            if finding.title != OVERFLOW_TITLE:
                continue
            cursor: str | None = finding.span_id
            while cursor is not None and cursor not in shown and len(shown) < 100_000:
                shown.add(cursor)
                node = self.context.node(cursor)
                cursor = node[0] if node is not None else None
        self.findings.extend(f for f in self.step_overflows if f.span_id not in shown)
        self.findings.sort(key=lambda finding: finding.step)
        return self.findings
