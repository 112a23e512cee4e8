"""History truncation: the system prompt or earlier messages missing from the next request of a conversation."""

from __future__ import annotations

from itertools import pairwise

from agentdbg.analysis.calls import RunFacts, canonical
from agentdbg.analysis.findings import DiagnoseOptions, Finding
from agentdbg.analysis.lexical import snippet
from agentdbg.model.messages import Message
from agentdbg.model.span import Span
from agentdbg.model.views import LLMView

_SYSTEM = ("system", "developer")


def message_key(message: Message) -> str:
    """What makes two messages the same message in two requests."""
    calls = ",".join(f"{call.name}:{canonical(call.arguments)}" for call in message.tool_calls)
    return f"{message.role}\x00{message.text.strip()}\x00{calls}\x00{message.tool_call_id or ''}"


def _conversations(facts: RunFacts) -> list[list[tuple[Span, LLMView]]]:
    """llm steps grouped by parent span: each agent (or sub-agent) has its own conversation."""
    groups: dict[str | None, list[tuple[Span, LLMView]]] = {}
    for span, view in facts.llm_steps():
        if view.request.get("previous_response_id") or not view.replayable:
            continue  # server-side history, or an imported step whose messages may be partial
        groups.setdefault(span.parent_id, []).append((span, view))
    return list(groups.values())


def _compare(
    before: tuple[Span, LLMView], after: tuple[Span, LLMView], old: list[str], new: set[str]
) -> Finding | None:
    """``old``: the message keys of ``before``'s prompt in order; ``new``: those of ``after``'s."""
    (before_span, before_view), (after_span, after_view) = before, after
    shared_turns = {
        key for key, m in zip(old, before_view.prompt, strict=True) if m.role not in ("system", "developer")
    } & new
    if not shared_turns:  # no turn in common: a different conversation (a side call), not a truncation
        return None
    has_system = any(m.role in _SYSTEM for m in after_view.prompt)
    # a system prompt that was replaced (an edit, a fork's patch) is not a dropped one
    missing = [
        m
        for m, key in zip(before_view.prompt, old, strict=True)
        if key not in new and not (m.role in _SYSTEM and has_system)
    ]
    if not missing:
        return None
    system_lost = any(message.role in _SYSTEM for message in missing)
    roles = ", ".join(
        f"{sum(1 for m in missing if m.role == role)} {role}"
        for role in dict.fromkeys(m.role for m in missing)
    )
    first = missing[0]
    return Finding(
        severity="warning",
        pattern="truncation",
        step=after_span.step,
        span_id=after_span.id,
        title="system prompt dropped from the history"
        if system_lost
        else f"{len(missing)} earlier message(s) dropped from the history",
        evidence=(
            f"compared with step-{before_span.step}, this request lacks {len(missing)} message(s) ({roles}) that the "
            f"conversation had, e.g. {first.role}: {snippet(first.text or '(tool call)', 80)!r}"
        ),
        fix=(
            "Keep the system prompt in every request; when trimming history to fit the window, summarise dropped turns "
            "instead of deleting them, and never split a tool call from its result."
        ),
        related_steps=[before_span.step],
        details={
            "missing": len(missing),
            "system_prompt_dropped": system_lost,
            "compared_with": f"step-{before_span.step}",
        },
    )


def detect(facts: RunFacts, options: DiagnoseOptions) -> list[Finding]:
    findings = []
    for conversation in _conversations(facts):
        keys = None  # each prompt's keys are made once, used as "after" and then as "before"
        for before, after in pairwise(conversation):
            old = keys if keys is not None else [message_key(m) for m in before[1].prompt]
            keys = [message_key(m) for m in after[1].prompt]
            finding = _compare(before, after, old, set(keys))
            if finding is not None:
                findings.append(finding)
    return findings
