"""The lines of a trace file (schema versions 1 and 2), as pydantic models.

A file is a header line followed by ``span_start``/``span_end`` pairs (or single
``span`` lines holding both halves). Unknown fields are kept (``extra="allow"``)
so old readers read new files and nothing is lost on a rewrite.
"""

from __future__ import annotations

from typing import Any, Literal, cast, get_args

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 2  # 2: llm requests may be stored relative to an earlier one (store/compact.py)

# The one definition of the closed vocabularies: everything else (the reader, the index's msgspec
# fast path, ``agentdbg schema``, importers) derives from these Literals.
SpanKind = Literal["llm", "tool", "retrieval", "agent", "custom"]
SPAN_KINDS: tuple[str, ...] = get_args(SpanKind)
Origin = Literal["recorded", "patched", "cached", "live"]
ORIGINS: tuple[str, ...] = get_args(Origin)
Status = Literal["ok", "error", "incomplete"]  # derived per step (``Span.status``), never stored
STATUSES: tuple[str, ...] = get_args(Status)
_KIND_SET = frozenset(SPAN_KINDS)
DEFAULT_KIND: SpanKind = "custom"
# Fields holding a step's payloads: the index skips them as raw bytes and loads them on demand.
PAYLOAD_FIELDS: tuple[str, ...] = ("input", "output")


def span_kind(value: object) -> SpanKind | None:
    """``value`` as a span kind if it names one (foreign data: importers, OTel attributes), else ``None``."""
    return cast(SpanKind, value) if type(value) is str and value in _KIND_SET else None


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Usage(_Open):
    """Token counts of one LLM call (provider-neutral names)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    cached_input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    reasoning_tokens: int | None = None


class ErrorInfo(_Open):
    """What went wrong in a step: exception type, message and, for API errors, HTTP details."""

    type: str = "Error"
    message: str = ""
    status_code: int | None = None
    body: Any = None
    traceback: str | None = None


class ForkOf(_Open):
    """Where a replayed trace came from."""

    trace_id: str
    source: str | None = None
    step: str | None = None
    patch: Any = None


class TraceHeader(_Open):
    """The first line of a trace file."""

    type: Literal["trace"] = "trace"
    schema_version: int = SCHEMA_VERSION
    trace_id: str
    name: str = ""
    started_at: float | None = Field(default=None, description="Unix time in seconds.")
    metadata: dict[str, Any] = Field(default_factory=dict)
    fork_of: ForkOf | None = None


class SpanStartRecord(_Open):
    """A step begins. ``input`` is the request as sent (llm) or ``{name, arguments, call_id}`` (tool)."""

    type: Literal["span_start"] = "span_start"
    id: str
    parent_id: str | None = None
    kind: SpanKind = DEFAULT_KIND
    name: str = ""
    started_at: float | None = Field(default=None, description="Unix time in seconds.")
    input: Any = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    origin: Origin | None = None


class SpanEndRecord(_Open):
    """A step ends, with its output, error and usage."""

    type: Literal["span_end"] = "span_end"
    id: str
    ended_at: float | None = Field(default=None, description="Unix time in seconds.")
    output: Any = None
    error: ErrorInfo | None = None
    usage: Usage | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)


class SpanRecord(SpanStartRecord):
    """A whole step on one line: both halves of a start/end pair."""

    type: Literal["span"] = "span"  # type: ignore[assignment]
    ended_at: float | None = Field(default=None, description="Unix time in seconds.")
    output: Any = None
    error: ErrorInfo | None = None
    usage: Usage | None = None


class RequestRef(_Open):
    """Schema 2: this llm request extends the request of an earlier span; readers rebuild it whole."""

    # Readers consume it before validation (store/compact.py), so no record model holds it; the
    # index's fast path and the JSON Schema take it from START_EXTENSIONS.

    base: str = Field(description="Id of an earlier llm span whose request this one extends.")
    keys: dict[str, int] = Field(
        description="Request key -> N: the base's first N items, then the list written here; -1: the base's value."
    )


# Optional fields a span start (``span_start`` or ``span``) may carry that readers consume before
# validation: name -> model of the value.
START_EXTENSIONS: dict[str, type[BaseModel]] = {"request_ref": RequestRef}

# Every record type by its ``type`` tag (taken from each model's ``type`` default).
RECORD_MODELS: dict[str, type[_Open]] = {
    model.model_fields["type"].default: model
    for model in (TraceHeader, SpanStartRecord, SpanEndRecord, SpanRecord)
}
RECORD_TYPES: tuple[str, ...] = tuple(RECORD_MODELS)
