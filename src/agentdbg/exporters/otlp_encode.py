"""OTLP JSON written as bytes directly: what ``orjson.dumps`` of ``otlp_json``'s dict form gives, without the dicts.

A span's attributes turned into ``{"key": ..., "value": {"stringValue": ...}}`` dicts and lists, then
encoded, cost more than the encoding; here each value is encoded where it stands and the pieces are
joined. The bytes are the dict path's exactly; anything this encoder does not handle the same way
(subclasses of the JSON types, objects, nesting deeper than ``MAX_DEPTH``) raises ``Unusual`` and the
caller takes the dict path (``otlp_json.any_value`` / ``otlp_span``), which stays the reference.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import orjson

from agentdbg.errors import UnusualExportValue
from agentdbg.exporters.genai import span_kind, span_name

if TYPE_CHECKING:
    from agentdbg.exporters.genai import SpanLike

MAX_DEPTH = 24  # JSON levels encoded here; deeper values go the dict path (orjson's own depth limit applies there)
PLACEHOLDER = b"\x00"  # a value encoded apart (orjson escapes every control character: never in its output)

_dumps = orjson.dumps
_isfinite = math.isfinite
_KEYS: dict[str, bytes] = {}  # attribute and kvlist key -> its '{"key":...,"value":' bytes
_MAX_KEYS = 4096


Unusual = UnusualExportValue  # raised where the direct encoder gives up; the caller takes the dict path


def _key(key: Any) -> bytes:
    if type(key) is not str:
        key = str(key)  # as ``key_values`` spells a non-string key
    found = _KEYS.get(key)
    if found is None:
        if len(_KEYS) >= _MAX_KEYS:
            _KEYS.clear()
        found = _KEYS[key] = b'{"key":' + _dumps(key) + b',"value":'
    return found


def value_bytes(value: Any, depth: int = 0) -> bytes:
    """``orjson.dumps(any_value(value))``, or ``Unusual``."""
    kind = type(value)
    if kind is str:
        return b'{"stringValue":' + _dumps(value) + b"}"
    if kind is dict:
        if depth >= MAX_DEPTH:
            raise Unusual
        depth += 1
        key = _key
        return (
            b'{"kvlistValue":{"values":['
            + b",".join([key(k) + value_bytes(v, depth) + b"}" for k, v in value.items() if v is not None])
            + b"]}}"
        )
    if kind is bool:
        return b'{"boolValue":true}' if value else b'{"boolValue":false}'
    if kind is int:
        return b'{"intValue":"' + str(value).encode() + b'"}'
    if kind is float:
        if _isfinite(value):
            return b'{"doubleValue":' + _dumps(value) + b"}"
        return b'{"stringValue":' + _dumps(str(value)) + b"}"
    if kind is list or kind is tuple:
        if depth >= MAX_DEPTH:
            raise Unusual
        depth += 1
        return b'{"arrayValue":{"values":[' + b",".join([value_bytes(item, depth) for item in value]) + b"]}}"
    if value is None:
        return b"{}"
    raise Unusual


def attributes_bytes(attributes: dict[str, Any], encoded: type) -> bytes:
    """``orjson.dumps(key_values(attributes))`` with each ``encoded`` value as ``PLACEHOLDER``, or ``Unusual``."""
    key = _key
    out = []
    for name, value in attributes.items():
        if value is None:
            continue
        if type(value) is encoded:
            out.append(key(name) + PLACEHOLDER + b"}")
        else:
            out.append(key(name) + value_bytes(value) + b"}")
    return b"[" + b",".join(out) + b"]"


def _nanos(seconds: float | None) -> bytes:
    return b'"' + str(round(seconds * 1_000_000_000)).encode() + b'"' if seconds is not None else b'"0"'


def span_bytes(
    span: SpanLike,
    trace_hex: str,
    span_hex: str,
    parent_hex: str | None,
    started_at: float | None,
    attributes: bytes,
    events: list[dict[str, Any]],
) -> bytes:
    """``orjson.dumps(otlp_span(...))`` from the span's parts (``attributes``: ``attributes_bytes``), or ``Unusual``."""
    name = span_name(span)
    if type(name) is not str:
        raise Unusual
    start = span.started_at if span.started_at is not None else started_at
    end = span.ended_at if span.ended and span.ended_at is not None else start
    error = span.error
    if error is None:
        status = b'"status":{"code":0}'
    else:
        status = b'"status":{"code":2,"message":' + _dumps(error.message or error.type) + b"}"
    out = [
        b'{"traceId":"' + trace_hex.encode() + b'","spanId":"' + span_hex.encode() + b'","name":' + _dumps(name),
        b',"kind":' + str(span_kind(span)).encode() + b',"startTimeUnixNano":' + _nanos(start),
        b',"endTimeUnixNano":' + _nanos(end) + b',"attributes":',
        attributes,
        b"," + status,
    ]
    if parent_hex is not None:
        out.append(b',"parentSpanId":"' + parent_hex.encode() + b'"')
    if events:
        out.append(b',"events":' + _dumps(events, default=str, option=orjson.OPT_NON_STR_KEYS))
    out.append(b"}")
    return b"".join(out)


__all__ = ["MAX_DEPTH", "PLACEHOLDER", "Unusual", "attributes_bytes", "span_bytes", "value_bytes"]
