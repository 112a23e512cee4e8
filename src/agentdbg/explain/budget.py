"""Fit the evidence into a token budget, saying exactly what was cut.

Tokens are estimated at ~4 characters each (the JSON text sent to the model).
Long strings are cut in the middle (head and tail kept, with a marker saying how
much went), least important parts first; then whole context steps are dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

CHARS_PER_TOKEN = 4
_CAPS = (8000, 4000, 2000, 1000, 500, 250, 120)
_MAX_NOTES = 24


def estimate_tokens(value: Any) -> int:
    """Estimated tokens of ``value`` as compact JSON (~4 characters per token)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def middle_cut(text: str, cap: int) -> str:
    """``text`` cut to about ``cap`` characters: the head and the tail kept, a marker between them."""
    if len(text) <= cap:
        return text
    head = cap * 2 // 3
    tail = cap - head
    return f"{text[:head]}…[agentdbg trimmed {len(text) - cap:,} chars]…{text[len(text) - tail :]}"


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@dataclass
class Trimmer:
    """Cuts strings in labelled parts of the evidence and remembers each cut for the report."""

    cuts: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    elided: dict[str, str] = field(default_factory=dict)

    def cut(self, value: Any, cap: int, label: str, pointer: str = "") -> Any:
        """``value`` with every string longer than ``cap`` middle-cut (recorded under ``label`` + pointer)."""
        if isinstance(value, str):
            if len(value) <= cap + 40:
                return value
            original = self.cuts.get((label, pointer), (len(value), cap))[0]
            self.cuts[(label, pointer)] = (original, cap)
            return middle_cut(value, cap)
        if isinstance(value, dict):
            return {
                key: self.cut(item, cap, label, f"{pointer}/{_escape(str(key))}")
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.cut(item, cap, label, f"{pointer}/{index}") for index, item in enumerate(value)]
        return value

    def notes(self) -> list[str]:
        """What was trimmed, one line per cut string (collapsed past a couple dozen) and per dropped part."""
        lines = [
            f"{label} {pointer or '(text)'}: kept ~{cap:,} of {original:,} chars (middle cut)"
            for (label, pointer), (original, cap) in self.cuts.items()
        ]
        if len(lines) > _MAX_NOTES:
            rest = len(lines) - _MAX_NOTES
            lines = [*lines[:_MAX_NOTES], f"… and {rest} more long strings cut the same way"]
        return [*lines, *self.elided.values(), *self.dropped]


def _step_label(step: dict[str, Any]) -> str:
    return str(step.get("step", "step"))


def _elide_messages(step: dict[str, Any], keep: int, trimmer: Trimmer) -> None:
    """Keep the first two and the last ``keep - 2`` messages of an llm step's document; a marker holds the gap."""
    document = step.get("document")
    messages = document.get("messages") if isinstance(document, dict) else None
    if not isinstance(messages, list) or len(messages) <= keep + 1:
        return
    assert isinstance(document, dict)
    start = int(document.get("messages_start_index") or 0)
    omitted = len(messages) - keep
    first, last = start + 2, start + 2 + omitted - 1
    if isinstance(messages[2], dict) and "agentdbg_omitted" in messages[2]:
        first = int(messages[2]["first"])
        last = first + omitted - 1 + int(messages[2]["last"]) - int(messages[2]["first"])
        messages = [*messages[:2], *messages[3:]]
        omitted = last - first + 1
    marker = {
        "agentdbg_omitted": f"messages /messages/{first} … /messages/{last} omitted to fit the budget",
        "first": first,
        "last": last,
    }
    document["messages"] = [*messages[:2], marker, *messages[len(messages) - (keep - 2) :]]
    label = f"{step.get('step')} /document/messages"
    trimmer.elided[label] = (
        f"{label}: /messages/{first} … /messages/{last} omitted (kept the first 2 and last {keep - 2})"
    )


def fit_to_budget(evidence: dict[str, Any], budget_tokens: int) -> tuple[dict[str, Any], list[str]]:
    """A copy of ``evidence`` within ``budget_tokens`` and the list of what was trimmed (empty if nothing).

    Order: long strings of the context steps, tool schemas and outcome; then those of the
    broken step; then the middle of long conversations; then whole context steps (oldest
    first); then findings past the first five.
    """
    data = json.loads(json.dumps(evidence, default=str))
    trimmer = Trimmer()

    def over() -> bool:
        return estimate_tokens(data) > budget_tokens

    target = data.get("target_step")
    for cap in _CAPS:
        if not over():
            break
        for step in data.get("steps", []):
            if step.get("step") != target:
                step.update(
                    trimmer.cut({k: v for k, v in step.items() if k != "step"}, cap, _step_label(step))
                )
        data["tool_schemas"] = trimmer.cut(data.get("tool_schemas", []), cap, "tool schemas")
        data["outcome"] = trimmer.cut(data.get("outcome", {}), cap, "outcome")
    for cap in _CAPS:
        if not over():
            break
        for step in data.get("steps", []):
            if step.get("step") == target:
                step.update(
                    trimmer.cut({k: v for k, v in step.items() if k != "step"}, cap, _step_label(step))
                )
        data["findings"] = trimmer.cut(data.get("findings", []), cap, "findings")
    keep = 32
    while over() and keep >= 4:
        for step in data.get("steps", []):
            _elide_messages(step, keep, trimmer)
        keep //= 2
    while over():
        context = [step for step in data.get("steps", []) if step.get("step") != target]
        if not context:
            break
        data["steps"].remove(context[0])
        trimmer.dropped.append(f"{context[0].get('step')} dropped whole (context step, oldest first)")
    findings = data.get("findings", [])
    if over() and len(findings) > 5:
        data["findings"] = findings[:5]
        trimmer.dropped.append(f"findings: kept the first 5 of {len(findings)}")
    if over():
        trimmer.dropped.append(
            f"still ~{estimate_tokens(data):,} tokens after trimming (budget {budget_tokens:,}); sent as is"
        )
    return data, trimmer.notes()


__all__ = ["CHARS_PER_TOKEN", "estimate_tokens", "fit_to_budget", "middle_cut"]
