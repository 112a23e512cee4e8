"""The compact per-call records of a diagnose pass: what the detectors keep of a step once its payload is gone.

``StepRef`` names a step, ``ToolRun`` is a tool step, ``ToolEvent`` one tool call paired with the llm step
that asked for it; arguments are held packed (``pack``/``unpack``) and texts compared by ``digest``, so the
run's records stay small (``analysis/facts.py`` gathers them in one pass).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from agentdbg.analysis.calls import canonical
from agentdbg.model.records import ErrorInfo

if TYPE_CHECKING:
    from agentdbg.model.span import Span
    from agentdbg.store.index_pass import PassStep


@dataclass(frozen=True, slots=True)
class StepRef:
    """What a finding needs of a step once its payload is gone."""

    step: int
    id: str
    parent_id: str | None
    error: ErrorInfo | None = None

    @classmethod
    def of(cls, span: Span | PassStep, names: dict[str, str] | None = None) -> StepRef:
        """``names``: a run's table of parent ids, so each agent's id is held once, not once per step."""
        parent = span.parent_id
        if names is not None and parent is not None:
            parent = names.setdefault(parent, parent)
        return cls(span.step, span.id, parent, span.error)


class Offered(NamedTuple):
    """A tool the request offered, as the lexical detectors read it."""

    name: str
    description: str


def pack(value: Any) -> Any:
    """A tool call's arguments as held until the run's calls are paired: an object of plain strings as its
    JSON bytes (a fraction of the dict's memory; ``unpack`` gives an equal dict back), anything else as is."""
    if type(value) is dict and all(type(key) is str and type(item) is str for key, item in value.items()):
        try:
            return _Packed(orjson.dumps(value))
        except orjson.JSONEncodeError:  # a lone surrogate: kept as it is
            return value
    return value


class _Packed(bytes):
    """JSON bytes made by ``pack`` (a subclass, so packed arguments never pass for recorded bytes)."""


def unpack(value: Any) -> Any:
    return orjson.loads(memoryview(value)) if type(value) is _Packed else value


def digest(text: str) -> bytes:
    """A 16-byte digest of ``text``: equal texts compared without keeping them."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


@dataclass(slots=True)
class ToolRun:
    """A tool step, compact: the name and call id it ran under, how it ended. Its arguments are read again
    only if no llm step asked for it (``_Collector.events``): a paired call has the llm step's."""

    ref: StepRef
    name: str
    call_id: str | None
    failed: bool
    result_digest: bytes  # of the stripped result text ("" when it never ended)
    result_snippet: str  # snippet of the result text, kept only when it failed
    has_result: bool  # the result text is not empty


@dataclass(slots=True)
class ToolEvent:
    """One tool call: who asked (``llm_span``), what ran (``tool``), with which arguments."""

    name: str
    packed_arguments: Any
    llm_span: StepRef | None = None
    tool: ToolRun | None = None
    offered: tuple[Offered, ...] = ()
    user_request: str = ""
    user_turn: int = 0

    @property
    def tool_span(self) -> StepRef | None:
        return self.tool.ref if self.tool is not None else None

    @property
    def step(self) -> int:
        """The step to point at: the tool step when it ran, else the llm step that asked."""
        span = self.tool_span or self.llm_span
        return span.step if span else 0

    @property
    def span_id(self) -> str | None:
        span = self.tool_span or self.llm_span
        return span.id if span else None

    @property
    def failed(self) -> bool:
        """The tool raised, or its result reads as an error."""
        return self.tool is not None and self.tool.failed

    @property
    def result_snippet(self) -> str:
        return self.tool.result_snippet if self.tool is not None else ""

    @property
    def arguments(self) -> Any:
        return unpack(self.packed_arguments)

    def canonical_arguments(self) -> str:
        return canonical(self.arguments)


__all__ = ["Offered", "StepRef", "ToolEvent", "ToolRun", "digest", "pack", "unpack"]
