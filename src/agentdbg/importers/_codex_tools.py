"""Codex CLI tool events of recent versions: ``exec_command_*``, ``mcp_tool_call_*``, ``patch_apply_*``, ``web_search_*``.

A call the model made as a ``function_call`` / ``custom_tool_call`` item and the event pair that
ran it share one ``call_id``: the events add to the same tool step (exit code, duration, output,
failure), they never make a second one. A ``*_begin`` without an item opens the step, an ``*_end``
closes it (or makes it whole when there was no begin). Codex 0.17x writes ``item_started`` /
``item_completed`` events holding a turn item (``CommandExecution``, ``McpToolCall``, ``FileChange``,
``WebSearch``; the item id is the call id) instead: ``item_tool_event`` turns them into the same pair.
"""

from __future__ import annotations

import re
from typing import Any

from agentdbg.importers._common import as_dict, maybe_json, text_of
from agentdbg.model.records import ErrorInfo

#: event type prefix -> tool name when the step comes only from the events
TOOL_EVENTS = {
    "exec_command": "exec_command",
    "mcp_tool_call": "mcp",
    "patch_apply": "apply_patch",
    "web_search": "web_search",
}
#: events that carry nothing a step needs (counted on the session step)
QUIET_EVENTS = {
    "exec_command_output_delta",
    "terminal_interaction",
    "turn_diff",
    "exec_approval_request",
    "apply_patch_approval_request",
    "elicitation_request",
    "background_event",
    "agent_reasoning_raw_content",
    "agent_reasoning_raw_content_delta",
    "agent_reasoning_section_break",
    "agent_message_delta",
    "agent_reasoning_delta",
    "plan_update",
    "entered_review_mode",
    "exited_review_mode",
    "item_started",
    "item_completed",
    "context_compacted",
    "mcp_list_tools_response",
    "mcp_startup_update",
    "mcp_startup_complete",
    "list_custom_prompts_response",
    "view_image_tool_call",
    "user_message_with_images",
    "deprecation_notice",
    "warning",
    "undo_started",
    "undo_completed",
    "thread_rolled_back",
    "session_configured",
    "shutdown_complete",
    "get_history_entry_response",
    "raw_response_item",
    "reasoning_content_delta",
}


#: turn item type (``CommandExecution`` in rollouts, ``commandExecution`` in the app-server protocol) -> family
_TOOL_ITEMS = {
    "commandexecution": "exec_command",
    "mcptoolcall": "mcp_tool_call",
    "filechange": "patch_apply",
    "websearch": "web_search",
}


def _field(item: dict[str, Any], snake: str) -> Any:
    """A turn item field, written snake_case in rollouts and camelCase by the app-server protocol."""
    if snake in item:
        return item[snake]
    head, *rest = snake.split("_")
    return item.get(head + "".join(part.title() for part in rest))


def item_tool_event(payload: dict[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
    """(family, ``begin``/``end``, event payload) of an ``item_started`` / ``item_completed`` event whose
    item ran a tool, in the shape of the ``*_begin`` / ``*_end`` event it replaces; else ``None``."""
    item = as_dict(payload.get("item"))
    family = _TOOL_ITEMS.get(str(item.get("type") or "").replace("_", "").lower())
    if family is None or not item.get("id"):
        return None
    phase = "end" if payload.get("type") == "item_completed" else "begin"
    status = str(item.get("status") or "")
    event: dict[str, Any] = {"call_id": item["id"], "item_type": item.get("type")}
    if status:
        event["status"] = "failed" if status in ("failed", "declined") else status
        event["item_status"] = status
    duration = item.get("duration", _field(item, "duration_ms"))
    if duration is not None:
        event["duration"] = duration
    if family == "exec_command":
        for key in ("command", "cwd", "aggregated_output", "exit_code", "process_id"):
            if _field(item, key) is not None:
                event[key] = _field(item, key)
        actions = _field(item, "parsed_cmd") or _field(item, "command_actions")
        if actions is not None:
            event["parsed_cmd"] = actions
    elif family == "mcp_tool_call":
        event["invocation"] = {k: item.get(k) for k in ("server", "tool", "arguments") if k in item}
        error = item.get("error")
        if error:
            event["result"] = {"Err": as_dict(error).get("message", error)}
        elif item.get("result") is not None:
            event["result"] = {"Ok": item["result"]}
    elif family == "patch_apply":
        event["changes"] = item.get("changes")
        event.update({k: item[k] for k in ("stdout", "stderr") if item.get(k)})
        if status:
            event["success"] = event["status"] != "failed"
    else:
        event.update({k: item[k] for k in ("query", "action") if item.get(k) is not None})
    return family, phase, event


def split_event(kind: str) -> tuple[str, str] | None:
    """(tool family, ``begin``/``end``) of a tool event type, else ``None``."""
    for family in TOOL_EVENTS:
        if kind in (f"{family}_begin", f"{family}_end"):
            return family, kind.rsplit("_", 1)[1]
    return None


def event_name(family: str, payload: dict[str, Any]) -> str:
    """The tool name a step made from events alone gets."""
    if family == "mcp_tool_call":
        invocation = as_dict(payload.get("invocation"))
        if invocation.get("server") or invocation.get("tool"):
            return f"{invocation.get('server') or 'mcp'}__{invocation.get('tool') or 'tool'}"
    return TOOL_EVENTS[family]


def event_arguments(family: str, payload: dict[str, Any]) -> Any:
    if family == "exec_command":
        return {k: payload[k] for k in ("command", "cwd", "parsed_cmd") if k in payload}
    if family == "mcp_tool_call":
        return as_dict(payload.get("invocation")).get("arguments")
    if family == "patch_apply":
        return {"changes": payload.get("changes")} if "changes" in payload else None
    return {"query": payload.get("query")} if "query" in payload else None


def seconds(value: Any) -> float | None:
    """A duration as Codex writes it (``{secs, nanos}``, a number of ms, or ``"1.2s"``) in seconds."""
    if isinstance(value, dict) and ("secs" in value or "nanos" in value):
        return float(value.get("secs") or 0) + float(value.get("nanos") or 0) / 1e9
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) / 1000.0
    if isinstance(value, str) and value.endswith("s"):
        try:
            return float(value[:-1].removesuffix("m")) / (1000.0 if value.endswith("ms") else 1.0)
        except ValueError:
            return None
    return None


def end_outcome(family: str, payload: dict[str, Any]) -> tuple[Any, ErrorInfo | None]:
    """(output, error) of an ``*_end`` event."""
    if family == "exec_command":
        output = payload.get("aggregated_output")
        if output is None:
            output = payload.get("formatted_output", payload.get("stdout"))
        exit_code = payload.get("exit_code")
        failed = (isinstance(exit_code, int) and exit_code != 0) or payload.get("status") == "failed"
        if failed:
            detail = payload.get("stderr") or output or ""
            how = (
                f"exit code {exit_code}"
                if isinstance(exit_code, int)
                else f"command {payload.get('item_status') or 'failed'}"
            )
            return output, ErrorInfo(type="exit_code", message=f"{how}: {text_of(detail)[:500]}")
        return output, None
    if family == "mcp_tool_call":
        result = payload.get("result")
        if isinstance(result, dict) and "Err" in result:
            return result["Err"], ErrorInfo(type="mcp_error", message=text_of(result["Err"])[:500])
        if isinstance(result, dict) and "Ok" in result:
            ok = as_dict(result["Ok"])
            if ok.get("isError") or ok.get("is_error"):
                return ok, ErrorInfo(type="mcp_error", message=text_of(ok.get("content", ok))[:500])
            return ok.get("content", ok), None
        if payload.get("status") in ("failed", "error"):
            return result, ErrorInfo(type="mcp_error", message=text_of(result or payload.get("status"))[:500])
        return result, None
    if family == "patch_apply":
        output = payload.get("stdout") or payload.get("changes")
        if payload.get("success") is False or payload.get("status") == "failed":
            return output, ErrorInfo(
                type="patch_failed", message=text_of(payload.get("stderr") or output or "patch failed")[:500]
            )
        return output, None
    return payload.get("query") or payload.get("action"), None


_TEXT_ERROR = re.compile(
    r"^(tool call error|error:|failed in sandbox|apply_patch verification failed)|sandbox denied|exit code: [1-9]",
    re.IGNORECASE,
)
#: the header unified exec (Codex 0.17x) puts before a command's output: "Chunk ID: …\nWall time: …\n
#: Process exited with code N\nOriginal token count: …\nOutput:\n…"
_EXEC_HEADER = re.compile(
    r"\A(?:[A-Z][\w ]*: [^\n]*\n)*?Process exited with code (-?\d+)\n(?:.*\n)*?Output:\n"
)


def _exec_header_error(text: str) -> tuple[int, ErrorInfo | None] | None:
    """(exit code, error when not 0) from a unified-exec output header; ``None`` when there is none."""
    header = _EXEC_HEADER.match(text[:2000])
    if header is None:
        return None
    code = int(header.group(1))
    if code == 0:
        return code, None
    body = text[header.end() :]
    return code, ErrorInfo(type="exit_code", message=f"exit code {code}: {body[:500]}")


def tool_output(raw: Any) -> tuple[Any, dict[str, Any], ErrorInfo | None]:
    """(output as the model saw it, extra attributes, error) for a function_call_output payload."""
    attributes: dict[str, Any] = {}
    text = raw.get("content", raw) if isinstance(raw, dict) else raw
    decoded = maybe_json(text, depth=1)
    if isinstance(decoded, dict) and "output" in decoded and isinstance(decoded.get("metadata"), dict):
        metadata = decoded["metadata"]
        attributes.update({k: v for k, v in metadata.items()})
        exit_code = metadata.get("exit_code")
        error = None
        if isinstance(exit_code, int) and exit_code != 0:
            error = ErrorInfo(
                type="exit_code", message=f"exit code {exit_code}: {text_of(decoded['output'])[:500]}"
            )
        return decoded["output"], attributes, error
    if isinstance(raw, dict) and raw.get("success") is False:
        return text, attributes, ErrorInfo(type="tool_error", message=text_of(text)[:500])
    if isinstance(decoded, list):  # MCP tools: a content-block list in a string
        return decoded, attributes, None
    exec_header = _exec_header_error(text) if isinstance(text, str) else None
    if exec_header is not None:
        attributes["exit_code"] = exec_header[0]
        return text, attributes, exec_header[1]
    if isinstance(text, str) and _TEXT_ERROR.search(text[:300]):
        return text, attributes, ErrorInfo(type="tool_error", message=text[:500])
    return text, attributes, None


def tool_event(
    imp: Any, line: int, family: str, phase: str, payload: dict[str, Any], ts: float | None
) -> None:
    """A tool event: added to the step of its ``call_id`` (from an item or a begin), else a step of its own."""
    call_id = str(payload.get("call_id") or f"{family}@{line}")
    span = imp.tools.get(call_id)
    if span is None:
        span = imp.tools[call_id] = imp.b.add(
            "tool",
            event_name(family, payload),
            id=call_id,
            parent_id=imp.parent(),
            started_at=ts,
            input={
                "name": event_name(family, payload),
                "arguments": event_arguments(family, payload),
                "call_id": call_id,
            },
            ended=False,
            line=line,
        )
    span.attributes.setdefault("events", []).append(phase)
    if phase == "begin":
        return
    output, error = end_outcome(family, payload)
    took = seconds(payload.get("duration"))
    if took is not None:
        span.attributes["duration_seconds"] = took
        if span.started_at is not None and ts is not None and span.started_at == ts:
            span.started_at = ts - took
    if "exit_code" in payload:
        span.attributes["exit_code"] = payload["exit_code"]
    if not span.ended:
        imp.b.finish(span, ended_at=ts, output=output, error=error)
        span.end_line = line
    elif error is not None and span.error is None:
        span.error = error  # the output item came first; the event says how it ended
