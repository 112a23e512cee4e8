"""Search every step's text (name, input, output, error) for a term, case-insensitively.

Runs in a thread worker; checks the worker's cancel flag so a new search replaces an old one.
"""

from __future__ import annotations

from typing import Protocol

import orjson

from agentdbg.model.span import Span
from agentdbg.tui.steps import StepSource


class Cancellable(Protocol):
    @property
    def is_cancelled(self) -> bool: ...


def step_text(span: Span) -> str:
    """Everything searchable in a step, as one lower-cased string (JSON-encoded payloads)."""
    parts = [span.name, span.kind]
    for value in (span.input, span.output):
        if value is not None:
            parts.append(value if isinstance(value, str) else orjson.dumps(value, default=str).decode())
    if span.error is not None:
        parts.append(f"{span.error.type} {span.error.message}")
    return "\n".join(parts).lower()


def _variants(term: str) -> tuple[str, ...]:
    """The term as typed, and as it appears inside a JSON string (quotes, backslashes, newlines escaped)."""
    lowered = term.lower()
    encoded = orjson.dumps(lowered).decode()[1:-1]
    return (lowered,) if encoded == lowered else (lowered, encoded)


def search_steps(source: StepSource, count: int, term: str, worker: Cancellable | None = None) -> list[int]:
    """Step numbers (ascending) whose text contains ``term``."""
    variants = _variants(term)
    hits = []
    for step in range(1, count + 1):
        if worker is not None and step % 512 == 0 and worker.is_cancelled:
            break
        text = step_text(source.span(step))
        if any(variant in text for variant in variants):
            hits.append(step)
    return hits
