"""History truncation: the system prompt or earlier messages missing from the next request of a conversation."""

from __future__ import annotations

from agentdbg.analysis.calls import canonical
from agentdbg.analysis.facts import RunContext, Step, StepFindings
from agentdbg.analysis.findings import Finding
from agentdbg.analysis.lexical import snippet
from agentdbg.analysis.llm_facts import LlmFacts
from agentdbg.model.messages import Message, ToolCallRef

_SYSTEM = ("system", "developer")


_CANONICAL: dict[str, str] = {}  # raw arguments -> canonical text: a conversation re-sends every call


def _canonical_arguments(call: ToolCallRef) -> str:
    """``canonical(call.arguments)``; arguments parsed from a raw string are a function of it, so memoised."""
    raw = call.arguments_raw
    if raw is None:
        return canonical(call.arguments)
    known = _CANONICAL.get(raw)
    if known is None:
        if len(_CANONICAL) > 4096:  # one conversation's calls are enough to hit
            _CANONICAL.clear()
        known = _CANONICAL[raw] = canonical(call.arguments)
    return known


def message_key(message: Message) -> str:
    """What makes two messages the same message in two requests."""
    calls = ",".join(f"{call.name}:{_canonical_arguments(call)}" for call in message.tool_calls)
    return f"{message.role}\x00{message.text.strip()}\x00{calls}\x00{message.tool_call_id or ''}"


def _compare(
    before_step: int, before: list[Message], after: Step, prompt: list[Message], old: list[str], new: set[str]
) -> Finding | None:
    """``old``: the message keys of ``before`` (step ``before_step``'s prompt) in order; ``new``: those of
    ``prompt``, the prompt of ``after``."""
    shared_turns = {
        key for key, m in zip(old, before, strict=True) if m.role not in ("system", "developer")
    } & new
    if not shared_turns:  # no turn in common: a different conversation (a side call), not a truncation
        return None
    has_system = any(m.role in _SYSTEM for m in prompt)
    # a system prompt that was replaced (an edit, a fork's patch) is not a dropped one
    missing = [
        m
        for m, key in zip(before, old, strict=True)
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
        step=after.step,
        span_id=after.id,
        title="system prompt dropped from the history"
        if system_lost
        else f"{len(missing)} earlier message(s) dropped from the history",
        evidence=(
            f"compared with step-{before_step}, this request lacks {len(missing)} message(s) ({roles}) that the "
            f"conversation had, e.g. {first.role}: {snippet(first.text or '(tool call)', 80)!r}"
        ),
        fix=(
            "Keep the system prompt in every request; when trimming history to fit the window, summarise dropped turns "
            "instead of deleting them, and never split a tool call from its result."
        ),
        related_steps=[before_step],
        details={
            "missing": len(missing),
            "system_prompt_dropped": system_lost,
            "compared_with": f"step-{before_step}",
        },
    )


def _suspect(old: list[int], roles: list[str], new: set[int], new_roles: list[str]) -> bool:
    """``_compare``'s test on hashes of the message keys: whether a finding is possible at all."""
    if not any(role not in _SYSTEM and key in new for key, role in zip(old, roles, strict=True)):
        return False
    has_system = any(role in _SYSTEM for role in new_roles)
    return any(
        key not in new and not (role in _SYSTEM and has_system) for key, role in zip(old, roles, strict=True)
    )


class Detector(StepFindings):
    """Each conversation (llm steps under one parent span) compared step by step with its previous request.

    Only the previous request's key hashes and roles are kept per conversation; when they suggest a
    dropped message, the previous step is read again and compared by its full keys, so a finding is
    always exact (a hash collision could only hide one, with odds of about 2**-60 per step). A prompt
    known to start with the previous request's whole prompt (``LlmFacts.extends``: carried along a
    compact request's chain) drops nothing, so neither is hashed; their hashes are made from the steps
    read again only if a later request needs them.
    """

    def __init__(self, context: RunContext) -> None:
        super().__init__(context)
        self.previous: dict[str | None, tuple[int, list[int] | None, list[str] | None]] = {}

    def _prompt(self, step: int) -> list[Message]:
        view = self.context.reread(step)[1]
        return view.prompt if view is not None else []

    def step(self, span: Step, view: LlmFacts | None) -> None:
        if view is None or view.request.get("previous_response_id") or not view.replayable:
            return  # server-side history, or an imported step whose messages may be partial
        before = self.previous.get(span.parent_id)
        if view.prompt is None and (before is None or view.extends == before[0]):
            self.previous[span.parent_id] = (span.step, None, None)  # nothing to compare, or nothing dropped
            return
        prompt = view.prompt if view.prompt is not None else self._prompt(span.step)
        keys = [message_key(m) for m in prompt]
        hashes = [hash(key) for key in keys]
        roles: list[str] = [m.role for m in prompt]
        self.previous[span.parent_id] = (span.step, hashes, roles)
        if before is None:
            return
        before_step, before_hashes, before_roles = before
        if before_hashes is None or before_roles is None:
            earlier = self._prompt(before_step)
            before_hashes = [hash(message_key(m)) for m in earlier]
            before_roles = [m.role for m in earlier]
        if not _suspect(before_hashes, before_roles, set(hashes), roles):
            return
        before_prompt = self._prompt(before_step)
        old = [message_key(m) for m in before_prompt]
        finding = _compare(before_step, before_prompt, span, prompt, old, set(keys))
        if finding is not None:
            self.findings.append(finding)
