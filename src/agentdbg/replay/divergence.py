"""The one definition of a diverged request: what differs between a recorded request and one sent now.

Volatile parts are set aside before comparing: the stream switches (playback answers in
whichever form the SDK asked for), ``user`` and other per-run identifiers. The SDK's own
headers are never compared (only the JSON body is). Code-level replay calls it for every
request before the fork, and its summary and the pytest plugin print what it finds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentdbg.model.span import Span

# Body keys that change from run to run without changing what is asked of the model.
VOLATILE_KEYS = frozenset(
    {"stream", "stream_options", "user", "safety_identifier", "prompt_cache_key", "metadata_id"}
)
_CONVERSATION_KEYS = ("messages", "input")
_MAX_SHOWN = 300


@dataclass(frozen=True)
class Difference:
    """One field that differs: its JSON path, a label a user reads, and both values."""

    path: str
    label: str
    recorded: Any
    sent: Any


def comparable(request: Any) -> Any:
    """``request`` without its volatile parts."""
    if not isinstance(request, dict):
        return request
    return {key: value for key, value in request.items() if key not in VOLATILE_KEYS}


def _label(path: list[str | int], root: Any) -> str:
    """``messages[2] (user) content`` for a path into a conversation, else the path with dots."""
    if len(path) >= 2 and path[0] in _CONVERSATION_KEYS and isinstance(path[1], int):
        items = root.get(path[0]) if isinstance(root, dict) else None
        role = ""
        if isinstance(items, list) and path[1] < len(items) and isinstance(items[path[1]], dict):
            role = str(items[path[1]].get("role") or items[path[1]].get("type") or "")
        head = f"{path[0]}[{path[1]}]" + (f" ({role})" if role else "")
        rest = ".".join(str(part) for part in path[2:])
        return f"{head} {rest}".strip()
    return ".".join(str(part) for part in path) or "(request)"


def _walk(
    recorded: Any, sent: Any, path: list[str | int], found: list[tuple[list[str | int], Any, Any]]
) -> None:
    if isinstance(recorded, dict) and isinstance(sent, dict):
        for key in list(recorded) + [key for key in sent if key not in recorded]:
            _walk(recorded.get(key, _MISSING), sent.get(key, _MISSING), [*path, key], found)
        return
    if isinstance(recorded, list) and isinstance(sent, list):
        for index in range(max(len(recorded), len(sent))):
            left = recorded[index] if index < len(recorded) else _MISSING
            right = sent[index] if index < len(sent) else _MISSING
            _walk(left, right, [*path, index], found)
        return
    if recorded != sent:
        found.append((path, recorded, sent))


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


_MISSING: Any = _Missing()


def request_difference(recorded: Any, sent: Any, *, api: str = "", sent_api: str = "") -> list[Difference]:
    """Every field where ``sent`` differs from ``recorded`` once volatile parts are set aside.

    Args:
        recorded: The request body recorded in the trace.
        sent: The request body the program sends now.
        api: The recorded step's API (``openai.chat.completions``...); a different ``sent_api`` is itself a difference.
        sent_api: The API of the request sent now.

    Returns:
        The differing fields in request order (empty when the requests are the same).
    """
    if api and sent_api and api != sent_api:
        return [Difference("/api", "api", api, sent_api)]
    left, right = comparable(recorded), comparable(sent)
    if left == right:  # the usual case, at C speed; walk only to say what differs
        return []
    found: list[tuple[list[str | int], Any, Any]] = []
    _walk(left, right, [], found)
    return [
        Difference(
            "/" + "/".join(str(part) for part in path),
            _label(path, right if right is not _MISSING else left),
            old,
            new,
        )
        for path, old, new in found
    ]


def _shown(value: Any) -> str:
    if value is _MISSING:
        return "(absent)"
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + f"… ({len(text)} chars)"


def describe(differences: list[Difference], limit: int = 8) -> str:
    """The differences as lines a user reads: the field, then the recorded and the sent value."""
    lines: list[str] = []
    for difference in differences[:limit]:
        lines.append(f"{difference.label}:")
        lines.append(f"  recorded: {_shown(difference.recorded)}")
        lines.append(f"  sent:     {_shown(difference.sent)}")
    if len(differences) > limit:
        lines.append(f"(and {len(differences) - limit} more field(s))")
    return "\n".join(lines)


def first_divergence(
    original: Sequence[Span], fork: Sequence[Span], *, requests: bool = True, edited_result: bool = False
) -> tuple[int, str] | None:
    """Where a fork first parts from the original: the index into the two step lists, and how.

    Steps are compared in order: an llm step by its request (``request_difference``, when
    ``requests``) and then by its answer and tool calls, a tool step by its result. The
    built-in engine builds every request from the fork's own answers, so it compares answers only
    (``requests=False``); ``edited_result`` skips the first step, a tool result the patch replaced.

    Returns:
        ``(index, text)``, or ``None`` when the fork did what the original did.
    """
    from agentdbg.replay.document import span_api
    from agentdbg.replay.result import span_signature

    for index, (was, now) in enumerate(zip(original, fork, strict=False)):
        if index == 0 and edited_result:
            continue
        if requests and was.kind == "llm" and now.kind == "llm":
            old = was.input.get("request") if isinstance(was.input, dict) else None
            new = now.input.get("request") if isinstance(now.input, dict) else None
            differences = request_difference(old, new, api=span_api(was), sent_api=span_api(now))
            if differences:
                return index, "request:\n" + describe(differences)
        old_signature, new_signature = span_signature(was), span_signature(now)
        if old_signature != new_signature:
            return index, f"original: {old_signature[:300]}\nfork:     {new_signature[:300]}"
    if len(original) != len(fork):
        if len(original) < len(fork):
            return len(
                original
            ), f"original: (the original ended here)\nfork:     {span_signature(fork[len(original)])[:300]}"
        return len(
            fork
        ), f"original: {span_signature(original[len(fork)])[:300]}\nfork:     (the fork ended here)"
    return None


__all__ = ["VOLATILE_KEYS", "Difference", "comparable", "describe", "first_divergence", "request_difference"]
