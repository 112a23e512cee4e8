"""Cline / Roo Code ``ui_messages.json``: token counts per API request, and the task as the UI showed it.

Entries are ``{ts, type: "say"|"ask", say|ask: <kind>, text}``. ``say: api_req_started``
opens one model request; its ``text`` is JSON with ``tokensIn``, ``tokensOut``,
``cacheReads``, ``cacheWrites`` and ``cost`` (cache counted apart from ``tokensIn``).
The entries after it until the next request are what that answer did: ``text`` /
``completion_result`` (its words), ``tool`` (a file tool, JSON), ``command`` with its
``command_output`` (a shell command), ``error`` / ``api_req_failed`` (failures).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from agentdbg.importers._common import (
    ImportBuilder,
    as_dict,
    make_usage,
    maybe_json,
    parse_time,
)
from agentdbg.importers._shapes import replay_info
from agentdbg.model.records import ErrorInfo, Usage
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace

_NOT_REPLAYABLE = "ui_messages.json holds what the UI showed, not the request sent to the model"
_ERRORS = {
    "error",
    "diff_error",
    "clineignore_error",
    "rooignore_error",
    "api_req_failed",
    "mistake_limit_reached",
}


def _request_usage(text: Any) -> Usage | None:
    info = as_dict(maybe_json(text, depth=1))
    if not info:
        return None
    cached = info.get("cacheReads")
    written = info.get("cacheWrites")
    if cached is not None and written is None:
        written = 0  # no cache writes reported; cache is counted apart from tokensIn
    return make_usage(info.get("tokensIn"), info.get("tokensOut"), None, cached, written)


def ui_usages(path: Path, b: ImportBuilder) -> list[Usage | None]:
    """The usage of each ``api_req_started`` entry of the ``ui_messages.json`` at ``path`` (none if absent)."""
    if not path.is_file():
        return []
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        b.problem(f"ui_messages.json beside it could not be read ({exc}); tokens not shown", 0, "warning")
        return []
    if not isinstance(data, list):
        return []
    return [
        _request_usage(entry.get("text"))
        for entry in data
        if isinstance(entry, dict) and entry.get("say") == "api_req_started"
    ]


def load_ui(path: Path, data: list[Any]) -> Trace:
    """A trace from a ``ui_messages.json`` opened on its own."""
    b = ImportBuilder(path, "cline")
    entries = [e for e in data if isinstance(e, dict)]
    times = [parse_time(e.get("ts")) for e in entries]
    root = b.add(
        "agent",
        "cline task (UI messages)",
        id=f"task-{path.parent.name}",
        started_at=min((t for t in times if t), default=None),
    )
    llm: Span | None = None
    command: Span | None = None
    for index, entry in enumerate(entries):
        line, ts = index + 1, times[index]
        kind = str(entry.get("say") or entry.get("ask") or "")
        text = entry.get("text")
        if entry.get("partial"):
            continue
        if kind == "api_req_started":
            info = as_dict(maybe_json(text, depth=1))
            model = as_dict(entry.get("modelInfo")).get("modelId")
            llm = b.add(
                "llm",
                str(model or "cline model"),
                parent_id=root.id,
                started_at=ts,
                ended_at=ts,
                output={"role": "assistant", "content": []},
                usage=_request_usage(text),
                attributes={"model": model, "cost": info.get("cost"), **replay_info(False, _NOT_REPLAYABLE)},
                line=line,
            )
            if info.get("cancelReason") or info.get("streamingFailedMessage"):
                reason = str(info.get("streamingFailedMessage") or info.get("cancelReason"))
                llm.error = ErrorInfo(type="api_request_failed", message=reason[:500])
        elif (
            kind in ("text", "completion_result", "reasoning")
            and llm is not None
            and entry.get("type") == "say"
        ):
            llm.output["content"].append(
                {"type": "thinking" if kind == "reasoning" else "text", "text": text}
            )
            llm.ended_at = ts
        elif kind == "tool" and entry.get("type") == "ask" or kind == "tool" and llm is not None:
            args = as_dict(maybe_json(text, depth=1))
            b.add(
                "tool",
                str(args.get("tool") or "tool"),
                parent_id=root.id,
                started_at=ts,
                input={"name": args.get("tool"), "arguments": args},
                line=line,
            )
        elif kind == "command" and entry.get("type") == "ask":
            command = b.add(
                "tool",
                "execute_command",
                parent_id=root.id,
                started_at=ts,
                input={"name": "execute_command", "arguments": {"command": text}},
                ended=False,
                line=line,
            )
        elif kind == "command_output" and command is not None:
            b.finish(command, ended_at=ts, output=text)
            command = None
        elif kind in _ERRORS:
            if kind == "api_req_failed" and llm is not None:
                llm.error = ErrorInfo(type="api_request_failed", message=str(text or "")[:500])
                continue
            b.add(
                "custom",
                f"cline {kind}",
                parent_id=root.id,
                started_at=ts,
                output=text,
                error=ErrorInfo(type=kind, message=str(text or "")[:500]),
                line=line,
            )
        else:
            root.attributes.setdefault("ui_kinds", {}).setdefault(kind, 0)
            root.attributes["ui_kinds"][kind] += 1
    if command is not None:
        b.finish(command, output=None)
    ends = [s.ended_at for s in b.spans if s.ended_at is not None]
    root.ended_at = max(ends, default=root.started_at)
    return b.build(trace_id=f"cline-ui-{path.parent.name}", name=f"cline task {path.parent.name}")
