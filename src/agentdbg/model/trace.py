"""The in-memory trace every feature consumes: a header plus spans in a tree."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from agentdbg.errors import StepNotFoundError
from agentdbg.model.problems import Problem
from agentdbg.model.records import TraceHeader
from agentdbg.model.span import Span

_STEP_RE = re.compile(r"^(?:step-?)?(\d+)$", re.IGNORECASE)


class Trace(BaseModel):
    """A run: its header, its spans in start order (``spans[i].step == i + 1``) and read problems."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    header: TraceHeader
    spans: list[Span] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    source: str | None = None
    format: str = "agentdbg"
    _by_id: dict[str, Span] | None = PrivateAttr(default=None)

    @property
    def by_id(self) -> dict[str, Span]:
        if self._by_id is None or len(self._by_id) != len(self.spans):
            self._by_id = {span.id: span for span in self.spans}
        return self._by_id

    @property
    def roots(self) -> list[Span]:
        """Spans without a parent, in start order."""
        return [span for span in self.spans if span.parent_id is None]

    def children_of(self, span: Span) -> list[Span]:
        by_id = self.by_id
        return [by_id[child] for child in span.children if child in by_id]

    def walk(self) -> Iterator[tuple[Span, int]]:
        """Depth-first (span, depth) pairs in tree order."""
        stack: list[tuple[Span, int]] = [(span, 0) for span in reversed(self.roots)]
        while stack:
            span, depth = stack.pop()
            yield span, depth
            stack.extend((child, depth + 1) for child in reversed(self.children_of(span)))

    def step(self, address: str | int) -> Span:
        """The span at ``step-N`` (or ``N``, or a span id).

        Raises:
            StepNotFoundError: naming the valid range.
        """
        if isinstance(address, int):
            number: int | None = address
        else:
            match = _STEP_RE.match(address.strip())
            number = int(match.group(1)) if match else None
            if number is None and address in self.by_id:
                return self.by_id[address]
        if number is not None and 1 <= number <= len(self.spans):
            return self.spans[number - 1]
        valid = f"step-1 … step-{len(self.spans)}" if self.spans else "none: the trace has no steps"
        raise StepNotFoundError(f"no step {address!r} in {self.source or 'trace'}; valid steps: {valid}")

    @property
    def llm_spans(self) -> list[Span]:
        return [span for span in self.spans if span.kind == "llm"]

    @property
    def tool_spans(self) -> list[Span]:
        return [span for span in self.spans if span.kind == "tool"]

    def totals(self) -> dict[str, Any]:
        """Summary figures: steps, tokens in/out, duration, errors, incomplete steps."""
        from agentdbg.model.usage import cached_part, input_incl_cache

        tokens_in = sum(input_incl_cache(span.usage) or 0 for span in self.spans if span.usage)
        cached_in = sum(cached_part(span.usage) for span in self.spans if span.usage)
        tokens_out = sum(span.usage.output_tokens or 0 for span in self.spans if span.usage)
        starts = [span.started_at for span in self.spans if span.started_at is not None]
        ends = [span.ended_at for span in self.spans if span.ended_at is not None]
        duration = (max(ends) - min(starts)) if starts and ends else None
        return {
            "steps": len(self.spans),
            "input_tokens": tokens_in,
            "cached_input_tokens": cached_in,
            "output_tokens": tokens_out,
            "duration": duration,
            "errors": sum(1 for span in self.spans if span.status == "error"),
            "incomplete": sum(1 for span in self.spans if span.status == "incomplete"),
        }
