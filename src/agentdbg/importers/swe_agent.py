"""SWE-agent ``.traj`` files as traces (mini-swe-agent's trajectories are in ``mini_swe_agent``).

SWE-agent's ``history`` is the exact chat sent to the model, so each assistant
turn becomes an llm step whose request is the chat so far (OpenAI chat shape),
paired with ``trajectory[i]`` for the tool step (action → observation). Token
counts exist only in aggregate (``info.model_stats``) and go on the root step.
Errors exist only as observation text; ``OBSERVATION_ERROR`` names the patterns.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from agentdbg.importers import Importer, register
from agentdbg.importers._common import (
    ImportBuilder,
    as_dict,
    as_list,
    make_usage,
    maybe_json,
    read_json_file,
    sniff_json_head,
)
from agentdbg.model.records import ErrorInfo
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace

#: Observation text that marks a failed action: a rejected edit, a Python traceback, a missing command or file.
OBSERVATION_ERROR = re.compile(
    r"Your proposed edit has introduced new syntax error|Traceback \(most recent call last\)|: command not found"
    r"|No such file or directory|^Error: ",
    re.M,
)


def sniff(head: bytes, path: Path) -> bool:
    text = sniff_json_head(head)
    compact = text[:8192].replace(b" ", b"").replace(b"\n", b"")
    if compact.startswith(b'{"trajectory":[{"query":['):  # each step's messages first: nothing else need show
        return True
    if not (text.startswith(b"{") and b'"trajectory"' in text and b'"observation"' in text):
        return False
    if b'"history"' in text or b'"info"' in text:
        return True
    # a long run: ``history`` and ``info`` follow a trajectory longer than the head; its steps open the file
    return b'"trajectory":[{"action":' in compact


def _chat_message(message: dict[str, Any]) -> dict[str, Any]:
    """A SWE-agent history entry as an OpenAI chat message (extra SWE-agent fields dropped from the request)."""
    role = message.get("role", "user")
    out: dict[str, Any] = {"role": role, "content": message.get("content", "")}
    if message.get("tool_calls"):
        out["tool_calls"] = message["tool_calls"]
    if role == "tool":
        ids = message.get("tool_call_ids") or []
        out["tool_call_id"] = message.get("tool_call_id") or (ids[0] if ids else None)
    return out


def _observation_error(text: Any) -> ErrorInfo | None:
    if not isinstance(text, str):
        return None
    match = OBSERVATION_ERROR.search(text)
    if match is None:
        return None
    line_start = text.rfind("\n", 0, match.start()) + 1
    return ErrorInfo(type="observation_error", message=text[line_start : line_start + 300].strip())


def _tool_step(
    b: ImportBuilder, parent: str, entry: dict[str, Any], call: dict[str, Any] | None, index: int
) -> Span:
    action = entry.get("action")
    function = (call or {}).get("function") or {}
    if function:
        name = str(function.get("name") or "tool")
        arguments = maybe_json(function.get("arguments"), depth=1)
    else:
        name = str(action or "").strip().split(None, 1)[0] if str(action or "").strip() else "action"
        arguments = {"command": action}
    observation = entry.get("observation")
    state = maybe_json(entry.get("state"), depth=1)
    attributes: dict[str, Any] = {"action": action, "thought": entry.get("thought"), "state": state}
    if entry.get("execution_time") is not None:
        attributes["execution_time"] = entry.get("execution_time")
    known = {
        "action",
        "observation",
        "response",
        "thought",
        "state",
        "execution_time",
        "query",
        "messages",
        "extra_info",
    }
    extra = {k: v for k, v in entry.items() if k not in known}
    if extra:
        attributes["extra"] = extra
    return b.add(
        "tool",
        name,
        id=(call or {}).get("id") or f"action-{index + 1}",
        parent_id=parent,
        input={"name": name, "arguments": arguments, "call_id": (call or {}).get("id")},
        output=observation,
        error=_observation_error(observation),
        attributes=attributes,
        line=index + 1,
    )


def load(path: Path) -> Trace:
    b = ImportBuilder(path, "swe-agent")
    data = read_json_file(path, b)
    if not isinstance(data, dict):
        if data is not None:
            b.problem(
                f"expected a JSON object with `trajectory`, got {type(data).__name__}", 1, "error"
            )
        return b.build()
    trajectory = as_list(data.get("trajectory"))
    history = as_list(data.get("history"))
    info = as_dict(data.get("info"))
    replay = maybe_json(data.get("replay_config"), depth=1)
    agent_cfg = as_dict(as_dict(replay).get("agent"))
    model_cfg = as_dict(agent_cfg.get("model"))
    model = model_cfg.get("name") or model_cfg.get("model_name")
    stats = as_dict(info.get("model_stats"))
    exit_status = str(info.get("exit_status") or "")
    root_error = None
    if exit_status and not exit_status.startswith("submitted"):
        root_error = ErrorInfo(type="exit_status", message=exit_status)
    instance = (
        agent_cfg.get("name")
        or (data.get("environment") if isinstance(data.get("environment"), str) else "")
        or path.stem
    )
    root = b.add(
        "agent",
        f"swe-agent {instance}",
        output=info.get("submission"),
        error=root_error,
        usage=make_usage(stats.get("tokens_sent"), stats.get("tokens_received")),
        attributes={
            "exit_status": exit_status,
            "model_stats": stats,
            "environment": data.get("environment"),
            "info": info,
        },
    )
    messages = [m for m in history if isinstance(m, dict)]
    if len(messages) != len(history) or not isinstance(data.get("trajectory"), list):
        b.problem(
            "`trajectory`/`history` are missing, not lists, or hold non-objects; skipped",
            1,
            "warning",
            "trajectory" if not isinstance(data.get("trajectory"), list) else "history",
        )
    assistant_at = [
        i for i, m in enumerate(messages) if m.get("role") == "assistant" and not m.get("is_demo")
    ]
    entries = [e for e in trajectory if isinstance(e, dict)]
    if assistant_at and len(assistant_at) != len(entries):
        b.problem(
            f"{len(assistant_at)} assistant messages but {len(entries)} trajectory steps; paired in order",
            severity="warning",
        )
    for index, entry in enumerate(entries):
        if index < len(assistant_at):
            position = assistant_at[index]
            reply = messages[position]
            request_messages = [_chat_message(m) for m in messages[:position]]
        else:  # no history (or a shorter one): the step's own ``query`` is what the model was sent
            reply = {"role": "assistant", "content": entry.get("response", "")}
            query = [m for m in as_list(entry.get("query")) if isinstance(m, dict)]
            request_messages = [_chat_message(m) for m in query]
        answer = _chat_message(reply)
        request: dict[str, Any] = (
            {"model": model, "messages": request_messages} if model else {"messages": request_messages}
        )
        b.add(
            "llm",
            str(model or "model"),
            parent_id=root.id,
            input={"provider": "openai", "api": "chat.completions", "request": request},
            output={
                "object": "chat.completion",
                "model": model,
                "choices": [{"index": 0, "message": answer}],
            },
            attributes={"replayable": False, "model": model, "thought": reply.get("thought")},
            line=index + 1,
        )
        calls = reply.get("tool_calls") or [None]
        for call in calls:
            _tool_step(b, root.id, entry, call if isinstance(call, dict) else None, index)
    return b.build(name=f"swe-agent {instance}", metadata={"exit_status": exit_status, "model": model})


register(
    Importer(
        "swe-agent", "SWE-agent trajectory (.traj: function-calling and text-action variants)", sniff, load
    )
)
