"""Export a trace as OTLP JSON (``resourceSpans``), ready for any OpenTelemetry collector or backend.

Follows the OTLP/JSON encoding: hex trace and span ids, nanosecond times as decimal strings,
``int64`` attribute values as strings, structured values (``gen_ai.input.messages``, tool
arguments) as ``arrayValue``/``kvlistValue``. Ids are derived from ours by hashing, so exporting
the same trace twice gives the same ids.
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import orjson

from agentdbg.exporters.genai import (
    input_message,
    resource_attributes,
    span_attributes,
    span_kind,
    span_name,
    to_json,
    tool_definitions,
)
from agentdbg.exporters.llm_chain import LlmStep, export_steps
from agentdbg.exporters.otlp_encode import Unusual, attributes_bytes, span_bytes, value_bytes
from agentdbg.exporters.otlp_history import HistoryBuffers
from agentdbg.model.messages import Message, ToolSpec
from agentdbg.model.trace import Trace
from agentdbg.model.view_memo import held as _held
from agentdbg.secrets import mask_secret_bytes
from agentdbg.store.compact import COMPACT_KEY, RequestCompactor

if TYPE_CHECKING:
    from agentdbg.exporters.genai import SpanLike

SCOPE_NAME = "agentdbg"
SCHEMA_URL = "https://opentelemetry.io/schemas/1.37.0"
STATUS_UNSET = 0
STATUS_OK = 1
STATUS_ERROR = 2
GC_THRESHOLD = 100_000  # allocations between young collections during a pass

Piece = bytes | memoryview  # a piece of the file: a memoryview is a history buffer's, lent until the next piece

_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_HEX16 = re.compile(r"^[0-9a-f]{16}$")


def otel_trace_id(trace_id: str) -> str:
    """A 32-hex-digit OTel trace id: ours if it already is one (a uuid4 hex), else a hash of it."""
    compact = trace_id.replace("-", "").lower()
    if _HEX32.match(compact) and compact != "0" * 32:
        return compact
    return hashlib.sha256(trace_id.encode("utf-8")).hexdigest()[:32]


def otel_span_id(trace_id: str, span_id: str) -> str:
    """A 16-hex-digit OTel span id: ours if it already is one, else a hash of (trace id, span id)."""
    compact = span_id.lower()
    if _HEX16.match(compact) and compact != "0" * 16:
        return compact
    digest = hashlib.sha256(f"{trace_id}\x00{span_id}".encode()).hexdigest()[:16]
    return digest if digest != "0" * 16 else "0" * 15 + "1"


def any_value(value: Any) -> dict[str, Any]:
    """``value`` as an OTLP JSON ``AnyValue`` (dicts become ``kvlistValue``, lists ``arrayValue``)."""
    kind = type(value)
    if kind is str:
        return {"stringValue": value}
    if kind is dict:
        return {"kvlistValue": {"values": key_values(value)}}
    if kind is bool:
        return {"boolValue": value}
    if kind is int:
        return {"intValue": str(value)}
    if kind is float:
        return {"doubleValue": value} if math.isfinite(value) else {"stringValue": str(value)}
    if kind is list or kind is tuple:
        return {"arrayValue": {"values": [any_value(item) for item in value]}}
    if value is None:
        return {}
    if kind is orjson.Fragment:  # an AnyValue already encoded (``SpanEncoder``)
        return value  # type: ignore[no-any-return]
    if isinstance(value, str):
        return {"stringValue": str(value)}
    if isinstance(value, bool):
        return {"boolValue": bool(value)}
    if isinstance(value, int):
        return {"intValue": str(int(value))}
    if isinstance(value, dict):
        return {"kvlistValue": {"values": key_values(value)}}
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [any_value(item) for item in value]}}
    return {"stringValue": to_json(value)}


def key_values(attributes: dict[str, Any]) -> list[dict[str, Any]]:
    """A mapping as the OTLP ``[{key, value}]`` list (``None`` values are left out)."""
    return [
        {"key": str(key), "value": any_value(value)} for key, value in attributes.items() if value is not None
    ]


def _nanos(seconds: float | None) -> str:
    return str(round(seconds * 1_000_000_000)) if seconds is not None else "0"


def _status(span: SpanLike) -> dict[str, Any]:
    if span.error is not None:
        message = span.error.message or span.error.type
        return {"code": STATUS_ERROR, "message": message}
    return {"code": STATUS_UNSET}  # an incomplete step is marked by ``agentdbg.incomplete``, not as an error


def _events(span: SpanLike) -> list[dict[str, Any]]:
    if span.error is None:
        return []
    attributes = {"exception.type": span.error.type, "exception.message": span.error.message}
    if span.error.traceback:
        attributes["exception.stacktrace"] = span.error.traceback
    return [
        {
            "timeUnixNano": _nanos(span.ended_at or span.started_at),
            "name": "exception",
            "attributes": key_values(attributes),
        }
    ]


class SpanIds:
    """The OTel ids of one trace's spans, each hashed once (a parent's id is asked for by every child)."""

    MAX = 4096

    def __init__(self, trace: Trace) -> None:
        self.trace_id = trace.header.trace_id
        self.trace_hex = otel_trace_id(self.trace_id)
        self.known = trace.by_id
        self._ids: dict[str, str] = {}

    def span(self, span_id: str) -> str:
        found = self._ids.get(span_id)
        if found is None:
            if len(self._ids) >= self.MAX:
                self._ids.clear()
            found = self._ids[span_id] = otel_span_id(self.trace_id, span_id)
        return found

    def parent(self, parent_id: str | None) -> str | None:
        """The OTel id of a parent that is in the trace (``None`` for a root or a missing parent)."""
        return self.span(parent_id) if parent_id is not None and parent_id in self.known else None


def otlp_span(
    trace: Trace, span: SpanLike, attributes: dict[str, Any] | None = None, ids: SpanIds | None = None
) -> dict[str, Any]:
    """One span in OTLP JSON form (``attributes``: ``span_attributes(span)`` when not given; ``ids``: a
    pass's ``SpanIds``)."""
    ids = ids if ids is not None else SpanIds(trace)
    start = span.started_at if span.started_at is not None else trace.header.started_at
    end = span.ended_at if span.ended and span.ended_at is not None else start
    document: dict[str, Any] = {
        "traceId": ids.trace_hex,
        "spanId": ids.span(span.id),
        "name": span_name(span),
        "kind": span_kind(span),
        "startTimeUnixNano": _nanos(start),
        "endTimeUnixNano": _nanos(end),
        "attributes": key_values(span_attributes(span) if attributes is None else attributes),
        "status": _status(span),
    }
    parent = ids.parent(span.parent_id)
    if parent is not None:
        document["parentSpanId"] = parent
    events = _events(span)
    if events:
        document["events"] = events
    return document


class _Encoded:
    """An attribute value already encoded as OTLP JSON ``AnyValue`` bytes (in pieces), secrets masked."""

    __slots__ = ("pieces",)

    def __init__(self, pieces: list[Piece]) -> None:
        self.pieces = pieces


_PLACEHOLDER = orjson.Fragment(b"\x00")  # orjson escapes every control character in strings: never in its output


class SpanEncoder:
    """One pass over a run: each span's OTLP JSON bytes with secrets masked.

    What steps repeat is converted, encoded and masked once: each re-sent message's neutral form
    (carried along the run's ``request_ref`` chains by ``llm_chain``, or memoised for an in-memory
    trace), its ``gen_ai.input.messages`` item, and the tool definitions; the history of a span is
    its items' bytes joined, never encoded again. ``agentdbg.input`` holds an llm request relative to
    an earlier one (``agentdbg.request_ref``, the trace format's own ``request_ref``, made by the
    ``RequestCompactor`` from the encodings of the request's item objects, which the chain shares):
    the history is in the file once per step, in ``gen_ai.input.messages``, as the conventions ask,
    not a second time as our JSON. The rest of a span (small) is encoded in one ``orjson`` call and
    masked in one pass.
    """

    MAX_HELD = 2048  # items held at least; a longer history keeps twice its length

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.compactor = RequestCompactor(reuse_encodings=True)
        self.ids = SpanIds(trace)
        self._items: dict[int, tuple[Any, bytes]] = {}
        self._histories = HistoryBuffers()
        self._tool_lists: dict[tuple[int, ...], tuple[list[ToolSpec], bytes]] = {}

    def _item(self, message: Message) -> bytes:
        held = self._items.get(id(message))
        if held is None or held[0] is not message:
            held = self._items[id(message)] = (message, _masked_value(input_message(message)))
        return held[1]

    def _tool_definitions(self, tools: list[ToolSpec]) -> Any:
        key = tuple(map(id, tools))
        held = self._tool_lists.get(key)
        if held is None or any(a is not b for a, b in zip(held[0], tools, strict=True)):
            if len(self._tool_lists) >= 64:
                self._tool_lists.clear()
            held = self._tool_lists[key] = (tools, _masked_value(tool_definitions(tools)))
        return _Encoded([held[1]])

    def _history(self, history: list[Message]) -> _Encoded:
        if len(self._items) >= max(self.MAX_HELD, 2 * len(history)):
            self._items.clear()
        return _Encoded([b'{"arrayValue":{"values":[', self._histories.joined(history, self._item), b"]}}"])

    def _recorded_input(self, span: SpanLike) -> tuple[Any, dict[str, Any] | None]:
        compactor = self.compactor
        request = span.input.get("request") if isinstance(span.input, dict) else None
        memo = compactor.memo
        if memo is not None and len(memo) > max(4096, 4 * _item_count(request)):
            memo.clear()  # the memo holds the items it encoded: a bound, and re-sent items stay in it
        record, parts = compactor.compact({"kind": "llm", "input": span.input}, compactor.snapshot())
        if parts is not None:
            compactor.remember(span.id, parts)
        return record["input"], record.get(COMPACT_KEY)

    def encode(self, span: SpanLike, llm: LlmStep | None = None) -> list[Piece]:
        """The span's OTLP JSON (no separator), in pieces: the history items are not copied into one string.

        ``llm``: the llm step's view from the pass (``llm_chain``); without it the span's own.
        """
        view = llm.view if llm is not None else None
        if span.kind == "llm":
            if view is None:
                view = span.llm  # type: ignore[union-attr]  # only a whole Span comes without its view
            attributes = span_attributes(
                span, view, self._history, self._recorded_input(span), self._tool_definitions
            )
        else:
            attributes = span_attributes(span)
        encoded: list[list[Piece]] = []
        for value in attributes.values():
            if type(value) is _Encoded:
                encoded.append(value.pieces)
        try:
            data = self._span_bytes(span, attributes)
        except (Unusual, TypeError, ValueError):  # what the direct encoder leaves to the dict path
            for key, value in attributes.items():
                if type(value) is _Encoded:
                    attributes[key] = _PLACEHOLDER
            try:
                data = orjson.dumps(
                    otlp_span(self.trace, span, attributes, self.ids), default=str, option=orjson.OPT_NON_STR_KEYS
                )
            except (TypeError, orjson.JSONEncodeError):  # lone surrogates, huge ints: the plain path, stdlib JSON
                return [_masked_json(otlp_span(self.trace, span, span_attributes(span, view), self.ids))]
        data = mask_secret_bytes(data)
        if not encoded:
            return [data]
        pieces = data.split(b"\x00")
        out: list[Piece] = [pieces[0]]
        for fragment, piece in zip(encoded, pieces[1:], strict=True):
            out += fragment
            out.append(piece)
        return out

    def _span_bytes(self, span: SpanLike, attributes: dict[str, Any]) -> bytes:
        """``orjson.dumps(otlp_span(...))`` written directly, each encoded value as a placeholder."""
        ids = self.ids
        return span_bytes(
            span,
            ids.trace_hex,
            ids.span(span.id),
            ids.parent(span.parent_id),
            self.trace.header.started_at,
            attributes_bytes(attributes, _Encoded),
            _events(span),
        )


def _masked_value(value: Any) -> bytes:
    """``value`` as OTLP ``AnyValue`` JSON bytes, secrets masked (what ``_masked_json(any_value(value))`` gives)."""
    try:
        return mask_secret_bytes(value_bytes(value))
    except (Unusual, TypeError, ValueError):
        return _held(_masked_json(any_value(value)))


def _item_count(request: Any) -> int:
    """How many list items a request holds (what the compactor's memo must keep for the next step)."""
    if not isinstance(request, dict):
        return 0
    return sum(len(value) for value in request.values() if type(value) is list)


def _masked_json(value: Any) -> bytes:
    """``value`` as JSON bytes, secrets masked (the stdlib writes what orjson refuses, ASCII-escaped)."""
    try:
        data = orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        data = json.dumps(value, ensure_ascii=True, separators=(",", ":"), default=str).encode()
    return mask_secret_bytes(data)


def _pieces(trace: Trace) -> Iterator[Piece]:
    """The OTLP JSON file (one line) in pieces, secrets masked; a ``memoryview`` piece is valid only until the
    next piece is asked for (a history buffer the next span extends)."""
    shell = _masked_json(_document(trace, []))
    marker = b'"spans":[]'
    if shell.count(marker) != 1:  # a header value spelled like the marker: fall back to the whole document
        ids = SpanIds(trace)
        yield _masked_json(_document(trace, [otlp_span(trace, span, None, ids) for span in trace.spans])) + b"\n"
        return
    head, tail = shell.split(marker)
    yield head + b'"spans":['
    encoder = SpanEncoder(trace)
    threshold = gc.get_threshold()
    # A pass holds a bounded set of objects and frees what it makes: collecting every 700 allocations
    # scans that set for nothing (7% of a 10k-step export). Cycles are still collected, later.
    gc.set_threshold(max(threshold[0], GC_THRESHOLD), *threshold[1:])
    try:
        for n, (span, llm) in enumerate(export_steps(trace)):
            if n:
                yield b","
            yield from encoder.encode(span, llm)
    finally:
        gc.set_threshold(*threshold)
    yield b"]" + tail + b"\n"


def otlp_json_bytes(trace: Trace) -> Iterator[bytes]:
    """The OTLP JSON file (one line) in pieces, secrets masked: one span at a time, none kept."""
    for piece in _pieces(trace):
        yield piece if type(piece) is bytes else bytes(piece)


def write_otlp_json(trace: Trace, write: Callable[[Piece], object]) -> None:
    """Write the OTLP JSON file with ``write`` (a binary stream's), each span as it is encoded: a history is
    written straight from the buffer its chat span's items are joined in, never copied."""
    for piece in _pieces(trace):
        write(piece)
        del piece  # the encoder extends the buffer a view points into


def to_otlp_json(trace: Trace) -> dict[str, Any]:
    """The whole trace as one OTLP JSON ``TracesData`` document (one resource, one scope), as exported."""
    parsed: dict[str, Any] = orjson.loads(b"".join(otlp_json_bytes(trace)))
    return parsed


def _document(trace: Trace, spans: list[dict[str, Any]]) -> dict[str, Any]:
    from agentdbg import __version__

    return {
        "resourceSpans": [
            {
                "resource": {"attributes": key_values(resource_attributes(trace.header))},
                "scopeSpans": [
                    {
                        "scope": {"name": SCOPE_NAME, "version": __version__},
                        "spans": spans,
                        "schemaUrl": SCHEMA_URL,
                    }
                ],
                "schemaUrl": SCHEMA_URL,
            }
        ]
    }
