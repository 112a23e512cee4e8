"""Server-sent events: split a ``text/event-stream`` body into events, and write events back as one.

Shared by every codec; knows the SSE framing only, nothing of any API's events.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

Event = tuple[str | None, Any]  # (SSE event name or None, data object or "[DONE]")
SSEEvents = list[tuple[str | None, str]] | list[tuple[str | None, bytes]]  # data as text or as raw bytes

Loads = Callable[[Any], Any]  # a JSON parser taking str or bytes
_PIECE = re.compile(r"\S+\s*|\s+")


@dataclass
class Assembled:
    """The response rebuilt from a stream, whether the stream reached its end, and any error event."""

    response: dict[str, Any] | None
    complete: bool
    error: dict[str, Any] | None = None


def sse_events(body: bytes) -> list[tuple[str | None, bytes]]:
    """``(event, data)`` pairs of a text/event-stream body, data left as bytes (comments and empty events skipped)."""
    if b"\r" in body:
        body = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    events: list[tuple[str | None, bytes]] = []
    append = events.append
    for block in body.split(b"\n\n"):
        if block[:6] == b"data: " and b"\n" not in block:  # the common one-line event (OpenAI)
            append((None, block[6:]))
            continue
        name: str | None = None
        data: list[bytes] = []
        for line in block.split(b"\n"):
            if line[:5] == b"data:":
                data.append(line[6:] if line[5:6] == b" " else line[5:])
            elif line[:6] == b"event:":
                name = (line[7:] if line[6:7] == b" " else line[6:]).decode("utf-8", errors="replace")
        if data:
            append((name, data[0] if len(data) == 1 else b"\n".join(data)))
    return events


def parse_sse(body: bytes) -> list[tuple[str | None, str]]:
    """``(event, data)`` pairs of a text/event-stream body (comments and empty events skipped)."""
    return [(name, data.decode("utf-8", errors="replace")) for name, data in sse_events(body)]


def json_events(events: SSEEvents, loads: Loads = json.loads) -> tuple[list[tuple[str | None, Any]], bool]:
    """Parsed data of ``(event, data)`` pairs, data as str or bytes; and whether ``[DONE]`` was seen.

    ``loads`` parses JSON (capture passes a faster one than the stdlib's; it must raise ``ValueError``).
    """
    done_mark: Any = b"[DONE]" if events and isinstance(events[0][1], bytes) else "[DONE]"
    kept = [(name, data) for name, data in events if not data.startswith(done_mark)]
    done = len(kept) < len(events)
    try:  # one parse for the whole stream; fall back event by event if one is torn
        datas: list[Any] = [data for _, data in kept]
        if done_mark == b"[DONE]":
            values = loads(b"[" + b",".join(datas) + b"]")
        else:
            values = loads("[" + ",".join(datas) + "]")
        if len(values) == len(kept):
            return list(zip([name for name, _ in kept], values, strict=True)), done
    except ValueError:
        pass
    parsed: list[tuple[str | None, Any]] = []
    for name, data in kept:
        text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
        try:
            parsed.append((name, loads(text)))
        except ValueError:
            continue  # a torn last event of an abandoned stream
    return parsed, done


def stream_error(name: str | None, obj: Any) -> dict[str, Any] | None:
    """The error an ``error`` event (any API's shape) carries, as ``{type, message, body}``."""
    if not isinstance(obj, dict):
        return None
    if name == "error" or obj.get("type") == "error" or (obj.get("error") and "choices" not in obj):
        err: dict[str, Any] = obj["error"] if isinstance(obj.get("error"), dict) else obj
        return {"type": "StreamError", "message": str(err.get("message", err)), "body": obj}
    return None


def frame(name: str | None, data: Any) -> bytes:
    """One event as ``text/event-stream`` bytes (``data`` a JSON value, or a literal string like ``[DONE]``)."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return ((f"event: {name}\n" if name else "") + f"data: {text}\n\n").encode()


def encode(events: Iterable[Event]) -> bytes:
    """A whole ``text/event-stream`` body of ``events``."""
    return b"".join(frame(name, data) for name, data in events)


def split_text(text: str, words_per_piece: int = 2) -> list[str]:
    """Split text into streaming deltas of a few words each (joined they give back ``text``)."""
    words = _PIECE.findall(text)
    if not words:
        return [text] if text else []
    return ["".join(words[i : i + words_per_piece]) for i in range(0, len(words), words_per_piece)]


def split_json(raw: str, size: int = 12) -> list[str]:
    """Split a JSON string into argument deltas of ``size`` characters."""
    if not raw:
        return [""]
    return [raw[i : i + size] for i in range(0, len(raw), size)]
