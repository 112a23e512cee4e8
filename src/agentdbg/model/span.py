"""A step of a run, assembled from its start and end records."""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property
from typing import TYPE_CHECKING, Any, Self

from pydantic import BaseModel, ConfigDict, Field

from agentdbg.model.records import DEFAULT_KIND, ErrorInfo, Origin, SpanKind, Status, Usage

if TYPE_CHECKING:
    from agentdbg.model.views import LLMView, ToolView

SHORT_MESSAGE = 200  # a summary keeps the first line of an error message, at most this long


def short_message(message: Any) -> str:
    """The first line of ``message``, cut to ``SHORT_MESSAGE`` characters (what summaries keep)."""
    text = message if isinstance(message, str) else str(message)
    first = text.split("\n", 1)[0]
    return first if len(first) <= SHORT_MESSAGE else first[: SHORT_MESSAGE - 1] + "…"


def model_of(attributes: dict[str, Any], kind: str, given: Any) -> str | None:
    """The model an llm step names: ``attributes.model``, else its request's ``model``."""
    model = attributes.get("model")
    if model is None and kind == "llm" and isinstance(given, dict):
        request = given.get("request")
        if isinstance(request, dict):
            model = request.get("model")
    return str(model) if model is not None else None


class StepTimes:
    """``address`` and ``duration`` of a step, for the types that carry ``step``, ``started_at``, ``ended_at``."""

    __slots__ = ()
    if TYPE_CHECKING:
        step: int
        started_at: float | None
        ended_at: float | None

    @property
    def address(self) -> str:
        """The ``step-N`` address users type."""
        return f"step-{self.step}"

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, or ``None`` if either is unknown."""
        if self.started_at is None or self.ended_at is None:
            return None
        return max(0.0, self.ended_at - self.started_at)


class StepOutcome(StepTimes):
    """``status`` and token counts of a whole step (``Span``, and the index pass's light step), from its
    ``error``, ``ended`` and ``usage``."""

    __slots__ = ()
    if TYPE_CHECKING:
        error: ErrorInfo | None
        ended: bool
        usage: Usage | None

    @property
    def status(self) -> Status:
        """``error`` if it failed, ``incomplete`` if it never ended, else ``ok``."""
        if self.error is not None:
            return "error"
        if not self.ended:
            return "incomplete"
        return "ok"

    @property
    def input_tokens(self) -> int | None:
        return self.usage.input_tokens if self.usage else None

    @property
    def output_tokens(self) -> int | None:
        return self.usage.output_tokens if self.usage else None


@dataclass(slots=True)
class StepSummary(StepTimes):
    """The small fields of one step: enough for a tree row, a listing or a diff key.

    The one summary type: ``Span.summary()`` makes it from a whole span and
    ``TraceIndex.summary(i)`` from the offset index without parsing payloads; the TUI's
    ``StepRow`` extends it with the step's place in the tree.
    """

    step: int
    id: str
    parent_id: str | None
    kind: str
    name: str
    model: str | None
    started_at: float | None
    ended_at: float | None
    status: Status
    input_tokens: int | None
    output_tokens: int | None
    error_type: str | None
    error_message: str | None
    line: int
    end_line: int | None
    origin: str | None = None

    @property
    def has_usage(self) -> bool:
        return self.input_tokens is not None or self.output_tokens is not None

    @classmethod
    def of_summary(cls, summary: StepSummary, **extra: Any) -> Self:
        """``summary``'s fields in a subclass that adds its own (``extra``): a view's row type."""
        return cls(*[getattr(summary, name) for name in _SUMMARY_FIELDS], **extra)


_SUMMARY_FIELDS = tuple(f.name for f in fields(StepSummary))


class Span(StepOutcome, BaseModel):
    """One step: an LLM call, a tool call, a retrieval, an agent grouping or a custom step.

    ``step`` is the 1-based position in start order (``step-N`` everywhere);
    ``line``/``end_line`` are where its records sit in the file (0 when not from a file).
    """

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True, ignored_types=(cached_property,))

    id: str
    parent_id: str | None = None
    kind: SpanKind = DEFAULT_KIND
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

    def summary(self) -> StepSummary:
        """This span's small fields (the same type the offset index gives)."""
        from agentdbg.model.usage import input_incl_cache

        error = self.error
        usage = self.usage
        return StepSummary(
            step=self.step,
            id=self.id,
            parent_id=self.parent_id,
            kind=self.kind,
            name=self.name,
            model=model_of(self.attributes, self.kind, self.input),
            started_at=self.started_at,
            ended_at=self.ended_at,
            status=self.status,
            input_tokens=input_incl_cache(usage),
            output_tokens=usage.output_tokens if usage else None,
            error_type=error.type if error else None,
            error_message=short_message(error.message) if error else None,
            line=self.line,
            end_line=self.end_line,
            origin=self.origin,
        )

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
