"""A step of a run, assembled from its start and end records."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentdbg.model.records import ErrorInfo, Origin, SpanKind, Usage

if TYPE_CHECKING:
    from agentdbg.model.views import LLMView, ToolView

Status = Literal["ok", "error", "incomplete"]


class Span(BaseModel):
    """One step: an LLM call, a tool call, a retrieval, an agent grouping or a custom step.

    ``step`` is the 1-based position in start order (``step-N`` everywhere);
    ``line``/``end_line`` are where its records sit in the file (0 when not from a file).
    """

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True, ignored_types=(cached_property,))

    id: str
    parent_id: str | None = None
    kind: SpanKind = "custom"
    name: str = ""
    step: int = 0
    started_at: float | None = None
    ended_at: float | None = None
    input: Any = None
    output: Any = None
    error: ErrorInfo | None = None
    usage: Usage | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    origin: Origin | None = None
    ended: bool = False
    line: int = 0
    end_line: int | None = None
    children: list[str] = Field(default_factory=list)

    @property
    def address(self) -> str:
        """The ``step-N`` address users type."""
        return f"step-{self.step}"

    @property
    def status(self) -> Status:
        """``error`` if it failed, ``incomplete`` if it never ended, else ``ok``."""
        if self.error is not None:
            return "error"
        if not self.ended:
            return "incomplete"
        return "ok"

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, or ``None`` if either is unknown."""
        if self.started_at is None or self.ended_at is None:
            return None
        return max(0.0, self.ended_at - self.started_at)

    @property
    def input_tokens(self) -> int | None:
        return self.usage.input_tokens if self.usage else None

    @property
    def output_tokens(self) -> int | None:
        return self.usage.output_tokens if self.usage else None

    @property
    def llm(self) -> LLMView | None:
        """The provider-neutral view of an ``llm`` step (``None`` for other kinds)."""
        if self.kind != "llm":
            return None
        from agentdbg.model.views import LLMView

        return LLMView.of(self)

    @property
    def tool(self) -> ToolView | None:
        """The view of a ``tool`` step: name, arguments, call id, result."""
        if self.kind != "tool":
            return None
        from agentdbg.model.views import ToolView

        return ToolView.of(self)

    def to_record(self) -> dict[str, Any]:
        """This span as one combined ``span`` line (JSON-ready dict)."""
        record: dict[str, Any] = {
            "type": "span",
            "id": self.id,
            "parent_id": self.parent_id,
            "kind": self.kind,
            "name": self.name,
            "started_at": self.started_at,
            "input": self.input,
        }
        if self.attributes:
            record["attributes"] = self.attributes
        if self.origin:
            record["origin"] = self.origin
        if self.ended:
            record["ended_at"] = self.ended_at
            record["output"] = self.output
            if self.error is not None:
                record["error"] = self.error.model_dump(exclude_none=True)
            if self.usage is not None:
                record["usage"] = self.usage.model_dump(exclude_none=True)
        else:
            record["type"] = "span_start"
        extra = self.model_extra or {}
        for key, value in extra.items():
            record.setdefault(key, value)
        return record
