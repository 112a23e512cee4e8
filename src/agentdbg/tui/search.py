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


def _line_step(line: bytes, step_of_id: dict[str, int]) -> int | None:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    span_id = record.get("id") if isinstance(record, dict) else None
    return step_of_id.get(span_id) if isinstance(span_id, str) else None


def search_file(
    path: str, term: str, step_of_id: dict[str, int], worker: Cancellable | None = None
) -> list[int]:
    """Steps of a native trace file whose lines contain ``term``, scanning raw bytes (fast on big files).

    Only matching lines are parsed (to read their span id). ASCII letters match case-insensitively.
    """
    needles = [variant.encode() for variant in _variants(term)]
    hits: set[int] = set()
    carry = b""
    with open(path, "rb") as handle:
        while True:
            if worker is not None and worker.is_cancelled:
                break
            chunk = handle.read(8 << 20)
            if not chunk and not carry:
                break
            data = carry + chunk
            if chunk:
                cut = data.rfind(b"\n") + 1
                data, carry = data[:cut], data[cut:]
                if not data:
                    continue
            else:
                carry = b""
            lowered = data.lower()
            for needle in needles:
                position = lowered.find(needle)
                while position != -1:
                    start = data.rfind(b"\n", 0, position) + 1
                    end = data.find(b"\n", position)
                    end = len(data) if end == -1 else end
                    step = _line_step(data[start:end], step_of_id)
                    if step is not None:
                        hits.add(step)
                    position = lowered.find(needle, end)
    return sorted(hits)
