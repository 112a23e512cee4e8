"""Tool-call loops: the same call N+ times in a row, or two calls in ping-pong, with no new user turn."""

from __future__ import annotations

import difflib
import functools
from collections import Counter
from itertools import repeat
from typing import Any

from agentdbg.analysis.calls import canonical
from agentdbg.analysis.facts import PassFacts, RunContext, Step, ToolEvent
from agentdbg.analysis.findings import Finding
from agentdbg.analysis.lexical import snippet, term_set
from agentdbg.analysis.llm_facts import LlmFacts

NEAR_EQUAL = 0.9


def _near_value(a: Any, b: Any) -> bool:
    if a == b:
        return True
    if isinstance(a, str) and isinstance(b, str):
        terms_a, terms_b = term_set(a), term_set(b)
        if terms_a and terms_a == terms_b:  # "weather Paris" / "weather in Paris"
            return True
        shorter = min(len(a), len(b))
        if shorter < 12:
            return False
        lower_a, lower_b = a.lower(), b.lower()
        # the cheap upper bounds first (difflib's real_quick_ratio and quick_ratio, from lengths and cached
        # letter counts): most different strings are ruled out before a matcher indexes the second string
        length = len(lower_a) + len(lower_b)
        if 2.0 * min(len(lower_a), len(lower_b)) / length < NEAR_EQUAL:
            return False
        letters_a, letters_b = _letters(lower_a), _letters(lower_b)  # shared = (a & b).total(), in C loops
        shared = sum(map(min, letters_a.values(), map(letters_b.get, letters_a, repeat(0))))
        if 2.0 * shared / length < NEAR_EQUAL:
            return False
        return difflib.SequenceMatcher(None, lower_a, lower_b).ratio() >= NEAR_EQUAL
    return False


@functools.lru_cache(maxsize=1024)
def _letters(text: str) -> Counter[str]:
    """How often each character occurs in ``text`` (consecutive calls compare each argument twice)."""
    return Counter(text)


def near_equal(first: ToolEvent, second: ToolEvent) -> bool:
    """Same tool, and arguments equal or nearly so: same keys, each value equal, same words, or a near-identical long string."""
    return _near_call(first.name, first.arguments, second.name, second.arguments)


def _near_call(name_a: str, a: Any, name_b: str, b: Any) -> bool:
    """``near_equal`` of two calls given by name and (unpacked) arguments."""
    if name_a != name_b:
        return False
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_near_value(a[key], b[key]) for key in a)
    return canonical(a) == canonical(b) or _near_value(a, b)


class _Calls:
    """Each event's name and arguments, unpacked once (each call is compared with the one before and after)."""

    def __init__(self, events: list[ToolEvent]) -> None:
        self.names = [event.name for event in events]
        self.arguments = [event.arguments for event in events]

    def near(self, first: int, second: int) -> bool:
        names, arguments = self.names, self.arguments
        return _near_call(names[first], arguments[first], names[second], arguments[second])


def _same_turn(run: list[ToolEvent]) -> bool:
    return len({event.user_turn for event in run if event.llm_span is not None}) <= 1


def _results_identical(run: list[ToolEvent]) -> bool:
    results = {event.tool.result_digest for event in run if event.tool is not None}
    return len(results) == 1 and all(event.tool is not None for event in run)


def _repeat_runs(events: list[ToolEvent], threshold: int, calls: _Calls) -> list[list[ToolEvent]]:
    runs: list[list[ToolEvent]] = []
    current: list[ToolEvent] = []
    for at, event in enumerate(events):  # current[-1], when there is one, is events[at - 1]
        if current and calls.near(at - 1, at) and _same_turn([current[0], event]):
            current.append(event)
            continue
        if len(current) >= threshold:
            runs.append(current)
        current = [event]
    if len(current) >= threshold:
        runs.append(current)
    return runs


def _ping_pong_runs(events: list[ToolEvent], threshold: int, calls: _Calls) -> list[list[ToolEvent]]:
    runs: list[list[ToolEvent]] = []
    start = 0
    while start + 3 < len(events):
        first, second = events[start], events[start + 1]
        if first.name == second.name:
            start += 1
            continue
        end = start + 2
        while end < len(events) and calls.near(end - 2, end) and _same_turn([first, events[end]]):
            end += 1
        run = events[start:end]
        if len(run) >= max(4, threshold + 1):
            runs.append(run)
            start = end
        else:
            start += 1
    return runs


def _steps(run: list[ToolEvent]) -> list[int]:
    return [event.step for event in run]


class Detector:
    """Runs of near-equal calls in each agent's tool calls, once the run's calls are paired."""

    LIGHT = True  # reads no LlmFacts.prompt (facts.StepDetector)
    SEES = "none"  # reads only the paired calls (facts.StepDetector)

    def __init__(self, context: RunContext) -> None:
        self.threshold = context.options.loop_threshold

    def step(self, span: Step, view: LlmFacts | None) -> None:
        return None

    def finish(self, facts: PassFacts) -> list[Finding]:
        findings: list[Finding] = []
        for events in _by_agent(facts.events):
            findings.extend(_detect_in(events, self.threshold))
        return findings


def _by_agent(events: list[ToolEvent]) -> list[list[ToolEvent]]:
    """Tool calls grouped by the agent (parent span) that made them: parallel sub-agents do not interleave."""
    groups: dict[str | None, list[ToolEvent]] = {}
    for event in events:
        span = event.llm_span or event.tool_span
        groups.setdefault(span.parent_id if span else None, []).append(event)
    return list(groups.values())


def _detect_in(events: list[ToolEvent], threshold: int) -> list[Finding]:
    findings: list[Finding] = []
    calls = _Calls(events)
    repeats = _repeat_runs(events, threshold, calls)
    for run in repeats:
        first = run[0]
        identical = _results_identical(run)
        steps = _steps(run)
        evidence = (
            f"{first.name} called {len(run)} times in a row (steps {', '.join(f'step-{n}' for n in steps)}) "
            f"with the same arguments {snippet(first.canonical_arguments(), 120)}, and no new user message in between"
        )
        if identical:
            evidence += "; every call returned the same result"
        findings.append(
            Finding(
                severity="error" if identical or len(run) >= 2 * threshold else "warning",
                pattern="loop",
                step=first.step,
                span_id=first.span_id,
                title=f"tool-call loop: {first.name} ×{len(run)}",
                evidence=evidence,
                fix=(
                    "Make the tool result say plainly when there is nothing more to find, tell the model in the system "
                    "prompt not to repeat a call with the same arguments, and cap repeated calls in the agent loop."
                ),
                related_steps=steps,
                details={
                    "tool": first.name,
                    "count": len(run),
                    "results_identical": identical,
                    "kind": "repeat",
                },
            )
        )
    in_repeat = {id(event) for run in repeats for event in run}
    for run in _ping_pong_runs(events, threshold, calls):
        if all(id(event) in in_repeat for event in run):
            continue
        a, b = run[0].name, run[1].name
        steps = _steps(run)
        findings.append(
            Finding(
                severity="warning",
                pattern="loop",
                step=run[0].step,
                span_id=run[0].span_id,
                title=f"ping-pong: {a} ↔ {b} ×{len(run) // 2}",
                evidence=(
                    f"{a} and {b} alternate {len(run)} times (steps {', '.join(f'step-{n}' for n in steps)}) "
                    "with the same arguments each round, and no new user message in between"
                ),
                fix=(
                    f"Check what {a} returns that makes the model call {b} again (and back); return the information "
                    "both need in one result, or tell the model when to stop."
                ),
                related_steps=steps,
                details={"tools": [a, b], "count": len(run), "kind": "ping-pong"},
            )
        )
    return findings
