"""Suspected wrong tool choices, by word overlap between the user's request and tool names/descriptions.

This is a suspicion with its reasoning, not a verdict: a tool can be right
without sharing a word with the request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

from agentdbg.analysis.facts import Offered, PassFacts, RunContext, Step, ToolEvent
from agentdbg.analysis.findings import Finding
from agentdbg.analysis.lexical import snippet, term_set
from agentdbg.analysis.llm_facts import LlmFacts


def _tool_terms(spec: Offered) -> frozenset[str]:
    return term_set(f"{spec.name} {spec.description}")


_LOOKUP = re.compile(
    r"^(get|list|read|fetch|lookup|look_up|search|find|describe|show|query|check|view)(_|[A-Z]|$)"
)


class _Around:
    """The tools called in a user turn before (or after) one call: membership by first/last position, O(1)."""

    __slots__ = ("after", "bound", "places")

    def __init__(self, places: dict[str, int], bound: int, after: bool) -> None:
        self.places, self.bound, self.after = places, bound, after

    def __contains__(self, name: object) -> bool:
        place = self.places.get(name) if isinstance(name, str) else None
        if place is None:
            return False
        return place > self.bound if self.after else place < self.bound


def _judged_calls(events: list[ToolEvent]) -> Iterator[tuple[ToolEvent, _Around, _Around]]:
    """Calls to judge, with the tools called before and after them in the same user turn.

    A read-only lookup followed by other calls is skipped: agents gather facts first as a matter of course.
    Each turn is grouped once and each name's first and last position kept (slicing the turn's names per
    call was quadratic in the length of a turn).
    """
    asked = [event for event in events if event.llm_span is not None and event.user_request]
    first: dict[int, dict[str, int]] = {}  # per turn: each tool name's first and last position in it
    last: dict[int, dict[str, int]] = {}
    position: list[int] = []
    size: dict[int, int] = {}
    for event in asked:
        at = size.get(event.user_turn, 0)
        size[event.user_turn] = at + 1
        position.append(at)
        first.setdefault(event.user_turn, {}).setdefault(event.name, at)
        last.setdefault(event.user_turn, {})[event.name] = at
    for event, at in zip(asked, position, strict=True):  # yielded: one call's sets alive at a time
        turn = event.user_turn
        if _LOOKUP.match(event.name) and at < size[turn] - 1:
            continue
        yield event, _Around(first[turn], at, False), _Around(last[turn], at, True)


def _selection(event: ToolEvent, turn_calls: _Around, later_calls: _Around) -> Finding | None:
    if len(event.offered) < 2:
        return None
    request_terms = term_set(event.user_request)
    if len(request_terms) < 2:
        return None
    chosen = next((spec for spec in event.offered if spec.name == event.name), None)
    if chosen is None:  # unknown tool: its own detector
        return None
    scores = {spec.name: sorted(request_terms & _tool_terms(spec)) for spec in event.offered}
    if scores[event.name]:
        return None
    best = max(scores, key=lambda name: len(scores[name]))
    if len(scores[best]) < 2 and not (scores[best] and len(request_terms) <= 3):
        return None
    if best in turn_calls:  # the matching tool was used too: this call is a follow-up, not a substitute
        return None
    never = "" if best in later_calls else f"; {best} was never called for this request"
    return Finding(
        severity="warning",
        pattern="wrong-tool",
        step=event.llm_span.step if event.llm_span else event.step,
        span_id=event.llm_span.id if event.llm_span else event.span_id,
        title=f"possibly the wrong tool: {event.name} (maybe {best})",
        evidence=(
            f"the user asked {snippet(event.user_request, 90)!r}; {event.name} shares no word with it, while {best} "
            f"shares {', '.join(scores[best])}{never} (word overlap of tool name and description with the request: "
            "a suspicion, not a verdict)"
        ),
        fix=(
            f"Make the descriptions of {event.name} and {best} say when to use each (and when not to); "
            "ask for confirmation before irreversible tools; if the choice was right, ignore this."
        ),
        related_steps=[event.step] if event.tool_span else [],
        details={
            "tool": event.name,
            "suggested": best,
            "overlap": scores,
            "request_terms": sorted(request_terms),
        },
    )


def _switch_after_error(previous: ToolEvent, event: ToolEvent) -> Finding | None:
    if event.name == previous.name or not previous.failed or event.llm_span is None or not event.offered:
        return None  # without the offered tools' descriptions there is too little to judge
    related = term_set(previous.name) | term_set(previous.user_request)
    for offered in previous.offered:
        if offered.name == previous.name:
            related |= term_set(offered.description)
    spec = next((s for s in event.offered if s.name == event.name), None)
    own = term_set(event.name) | (term_set(spec.description) if spec else set())
    if own & related or not own:
        return None
    return Finding(
        severity="warning",
        pattern="wrong-tool",
        step=event.llm_span.step,
        span_id=event.llm_span.id,
        title=f"switched to an unrelated tool after {previous.name} failed",
        evidence=(
            f"{previous.name} failed at step-{previous.step} ({snippet(previous.result_snippet if previous.tool and previous.tool.has_result else (previous.tool_span.error.message if previous.tool_span and previous.tool_span.error else ''), 80)}); "
            f"the model then called {event.name}, which shares no word with {previous.name} or the user's request"
        ),
        fix=(
            f"Return an error from {previous.name} that says how to retry (which argument to change), "
            "and tell the model in the system prompt to retry or report the failure rather than switch tools."
        ),
        related_steps=[previous.step, event.step],
        details={"failed_tool": previous.name, "next_tool": event.name},
    )


class Detector:
    """Word overlap of each call with its user's request and the tools offered, once calls are paired."""

    LIGHT = True  # reads no LlmFacts.prompt (facts.StepDetector)
    SEES = "none"  # reads only the paired calls (facts.StepDetector)

    def __init__(self, context: RunContext) -> None:
        return None

    def step(self, span: Step, view: LlmFacts | None) -> None:
        return None

    def finish(self, facts: PassFacts) -> list[Finding]:
        findings = []
        for event, before, after in _judged_calls(facts.events):
            finding = _selection(event, before, after)
            if finding is not None:
                findings.append(finding)
        flagged = {finding.step for finding in findings}
        for previous, event in pairwise(facts.events):
            finding = _switch_after_error(previous, event)
            if finding is not None and finding.step not in flagged:
                findings.append(finding)
        return findings
