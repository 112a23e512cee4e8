"""mini-swe-agent trajectories (a chat message list, or a ``.traj.json`` with ``info`` and ``messages``) as traces.

Three message shapes, one file each (``info.config.model_type`` says which model class wrote it):

- text actions (1.x, and 2.x's ``*_textbased`` models): the command is a ```` ```mswea_bash_command ```` (1.x:
  ```` ```bash ````) block in the assistant's text (2.x also lists it in ``extra.actions``), its output
  the next ``user`` message;
- chat tool calls (2.x default): the assistant message carries ``tool_calls``, each output is a ``tool``
  message naming its ``tool_call_id``, ``extra.returncode`` beside it;
- Responses tool calls (2.x ``*_response_toolcall`` models): the answer is the whole Response object
  (``object: response``, ``function_call`` output items) and each output a ``function_call_output`` item.

The provider's response, when kept (``extra.response``, or the Response itself), is the llm step's output
(usage, cached tokens, id, time). An answer mini-swe-agent refused (no action in it) is not in the list: the
``user`` message telling the model so keeps it (``extra.interrupt_type``, ``extra.response``), and it is an llm
step too. The run ends with an ``exit`` message (``extra.exit_status``, ``submission``): the submit command
raises it, so it is that call's result; any other status (``LimitsExceeded``, ``RepeatedFormatError``) is
the run's error. Not replayable: the
trajectory keeps the messages, not the request (tool definitions, settings).
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
    maybe_json,
    parse_time,
    read_json_file,
    sniff_json_head,
    text_of,
)
from agentdbg.model.apis import OPENAI_CHAT, OPENAI_RESPONSES
from agentdbg.model.records import ErrorInfo
from agentdbg.model.run_end import submitted
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.model.views import usage_from_response

_RETURNCODE = re.compile(r"<returncode>\s*(-?\d+)\s*</returncode>")
_ACTION = re.compile(r"```(?:mswea_bash_command|bash)\s*\n(.*?)```", re.S)
_CHAT_KEYS = ("role", "content", "tool_calls", "tool_call_id", "name", "reasoning_content")


def sniff(head: bytes, path: Path) -> bool:
    text = sniff_json_head(head)
    if text.startswith(b"{") and b'"trajectory_format"' in text and b"mini-swe-agent" in text:
        return True
    # ``trajectory_format`` is the last key, past the head of a real run: the ``info`` block opens the file
    compact = text[:8192].replace(b" ", b"").replace(b"\n", b"")
    if compact.startswith(b'{"info":{') and (b'"mini_version"' in compact or b'"minisweagent.' in compact):
        return True
    return (
        text.startswith(b"[")
        and b'"role"' in text[:2000]
        and (b"mswea_bash_command" in text or b"<returncode>" in text)
    )


def _sent(message: dict[str, Any]) -> list[dict[str, Any]]:
    """What mini-swe-agent sent the model for one message: ``extra`` dropped, a Response flattened into its
    output items (as its Responses models do before each call)."""
    if message.get("object") == "response":
        return [
            {k: v for k, v in as_dict(item).items() if k != "extra"}
            for item in as_list(message.get("output"))
        ]
    if "role" in message and "type" not in message:
        return [{k: message[k] for k in _CHAT_KEYS if k in message}]
    return [{k: v for k, v in message.items() if k != "extra"}]


def _returncode(extra: dict[str, Any], content: Any) -> int | None:
    code = extra.get("returncode")
    if isinstance(code, int) and not isinstance(code, bool):
        return code
    match = _RETURNCODE.search(content) if isinstance(content, str) else None
    return int(match.group(1)) if match else None


def _outcome(extra: dict[str, Any], content: Any) -> tuple[int | None, ErrorInfo | None]:
    """The returncode of one observation and the error it shows (non-zero code, or mini's exception)."""
    code = _returncode(extra, content)
    if extra.get("exception_info"):
        return code, ErrorInfo(type="exception", message=str(extra["exception_info"])[:500])
    if code not in (None, 0):
        return code, ErrorInfo(type="returncode", message=f"returncode {code}")
    return code, None


class _Run:
    """One pass over the messages: llm steps, their tool steps, results paired by call id (else in order)."""

    def __init__(self, b: ImportBuilder, root: Span, model: Any) -> None:
        self.b, self.root, self.model = b, root, model
        self.history: list[dict[str, Any]] = []
        self.open: dict[str, Span] = {}  # call id -> tool step awaiting its output
        self.pending_text: list[Span] = []  # text actions awaiting the next user message
        self.last_calls: list[Span] = []  # the tool steps of the latest answer (the submit call, at the end)
        self.api = OPENAI_CHAT

    def request(self) -> dict[str, Any]:
        if self.api == OPENAI_RESPONSES:
            request: dict[str, Any] = {"input": list(self.history)}
        else:
            request = {"messages": list(self.history)}
        return {"model": self.model, **request} if self.model else request

    def llm(self, line: int, output: Any, response: dict[str, Any], started: Any, ended: Any) -> Span:
        """One llm step: sent the history so far, answered at ``started`` (the provider's time), kept at
        ``ended`` (mini-swe-agent's ``extra.timestamp``, after the answer came)."""
        self.last_calls = []
        provider_api = "responses" if self.api == OPENAI_RESPONSES else "chat.completions"
        started_at, ended_at = parse_time(started), parse_time(ended)
        return self.b.add(
            "llm",
            str(self.model or response.get("model") or "model"),
            parent_id=self.root.id,
            started_at=started_at if started_at is not None else ended_at,
            ended_at=ended_at if started_at is None or (ended_at or 0) >= started_at else started_at,
            input={"provider": "openai", "api": provider_api, "request": self.request()},
            output=output,
            usage=usage_from_response(self.api, response) if response else None,
            attributes={"replayable": False, "model": self.model},
            line=line,
        )

    def call(self, line: int, call_id: Any, name: Any, arguments: Any, started: Any) -> None:
        tool_name = str(name or "bash")
        span = self.b.add(
            "tool",
            tool_name,
            id=call_id,
            parent_id=self.root.id,
            started_at=parse_time(started),
            input={"name": tool_name, "arguments": maybe_json(arguments, depth=1), "call_id": call_id},
            ended=False,
            line=line,
        )
        if call_id:
            self.open[str(call_id)] = span
        else:
            self.pending_text.append(span)
        self.last_calls.append(span)

    def result(self, line: int, call_id: Any, content: Any, extra: dict[str, Any], what: str) -> None:
        span = self.open.pop(str(call_id), None) if call_id else None
        if span is None and not call_id and self.open:  # no id: the oldest open call, in order
            span = self.open.pop(next(iter(self.open)))
        if span is None:
            span = self.b.unpaired_result(what, "call id", str(call_id), self.root.id, None, line)
        code, error = _outcome(extra, content)
        span.attributes["returncode"] = code
        self.b.finish(span, ended_at=parse_time(extra.get("timestamp")), output=content, error=error)
        span.end_line = line

    def chat_answer(self, line: int, message: dict[str, Any]) -> None:
        extra = as_dict(message.get("extra"))
        response = as_dict(extra.get("response"))
        if not isinstance(response.get("choices"), list):
            response = {}
        answer = _sent(message)[0]
        output = response or {
            "object": "chat.completion",
            "model": self.model,
            "choices": [{"index": 0, "message": answer}],
        }
        self.llm(line, output, response, response.get("created"), extra.get("timestamp"))
        calls = [as_dict(c) for c in as_list(message.get("tool_calls"))]
        for call in calls:
            function = as_dict(call.get("function"))
            self.call(
                line, call.get("id"), function.get("name"), function.get("arguments"), extra.get("timestamp")
            )
        if calls:
            return
        actions = [as_dict(a) for a in as_list(extra.get("actions"))]
        commands = [a.get("command") for a in actions if a.get("command") is not None] or [
            c.strip() for c in _ACTION.findall(text_of(message.get("content", "")))
        ]
        for command in commands:
            self.call(line, None, "bash", {"command": command}, extra.get("timestamp"))

    def refused_answer(self, line: int, message: dict[str, Any], extra: dict[str, Any]) -> None:
        """A user message saying the model's answer held no action (``interrupt_type``): that answer, kept in
        ``extra.response`` and never added to the history, as its llm step."""
        response = as_dict(extra.get("response"))
        if response.get("object") == "response":
            self.api = OPENAI_RESPONSES
        elif not isinstance(response.get("choices"), list):
            return  # the answer was not kept: nothing to show but the message itself
        created = response.get("created") or response.get("created_at")
        span = self.llm(line, response, response, created, extra.get("timestamp"))
        span.error = ErrorInfo(type="format_error", message=text_of(message.get("content", ""))[:500])
        span.attributes["interrupt_type"] = extra.get("interrupt_type")

    def response_answer(self, line: int, message: dict[str, Any]) -> None:
        self.api = OPENAI_RESPONSES
        extra = as_dict(message.get("extra"))
        response = {k: v for k, v in message.items() if k != "extra"}
        self.llm(line, response, response, message.get("created_at"), extra.get("timestamp"))
        for item in as_list(message.get("output")):
            item = as_dict(item)
            if item.get("type") == "function_call":
                call_id = item.get("call_id") or item.get("id")
                self.call(line, call_id, item.get("name"), item.get("arguments"), extra.get("timestamp"))

    def observation(self, line: int, message: dict[str, Any]) -> None:
        """A user message after text actions: the output of each (one message, as mini-swe-agent wrote it)."""
        extra = as_dict(message.get("extra"))
        content = message.get("content")
        for span in self.pending_text:
            code, error = _outcome(extra, content)
            span.attributes["returncode"] = code
            self.b.finish(span, ended_at=parse_time(extra.get("timestamp")), output=content, error=error)
            span.end_line = line
        self.pending_text = []

    def exit(self, line: int, message: dict[str, Any]) -> None:
        """The ``exit`` message: the run's status and submission; the submit command(s) it answered end."""
        extra = as_dict(message.get("extra"))
        self.root.attributes.setdefault("exit_status", extra.get("exit_status"))
        status = self.root.attributes.get("exit_status")
        if isinstance(status, str) and status and not submitted(self.root.attributes):
            content = text_of(message.get("content", ""))
            said = content[:500] if content.strip() != status else ""
            self.root.error = ErrorInfo(
                type=status, message=said or f"the run ended with exit status {status}"
            )
        if self.root.output is None and extra.get("submission") is not None:
            self.root.output = extra.get("submission")
        for span in [*self.open.values(), *self.pending_text]:
            self.b.finish(span, output=message.get("content"))
            span.attributes["exit"] = extra.get("exit_status")
            span.end_line = line
        self.open, self.pending_text = {}, []
        if submitted(
            self.root.attributes
        ):  # the interactive ``mini`` answers the submit call "action was not
            for span in self.last_calls:  # executed" (it exits instead of running it): no failure
                if span.error is not None and "not executed" in span.error.message:
                    span.error = None
                    span.attributes["exit"] = status

    def run(self, messages: list[tuple[int, dict[str, Any]]]) -> None:
        for line, message in messages:
            role, kind = message.get("role"), message.get("type")
            if message.get("object") == "response":
                self.response_answer(line, message)
            elif kind == "function_call_output":
                output = message.get("output")
                self.result(line, message.get("call_id"), output, as_dict(message.get("extra")), kind)
            elif role == "assistant" and kind is None:
                self.chat_answer(line, message)
            elif role == "tool":
                extra = as_dict(message.get("extra"))
                self.result(line, message.get("tool_call_id"), message.get("content"), extra, "tool message")
            elif role == "exit":
                self.exit(line, message)
                continue  # not part of any request
            elif role == "user" and self.pending_text:
                self.observation(line, message)
            elif role == "user" and as_dict(message.get("extra")).get("interrupt_type"):
                self.refused_answer(line, message, as_dict(message.get("extra")))
            self.history.extend(_sent(message))


def load(path: Path) -> Trace:
    b = ImportBuilder(path, "mini-swe-agent")
    data = read_json_file(path, b)
    info: dict[str, Any] = {}
    if isinstance(data, dict):
        info = as_dict(data.get("info"))
        data = data.get("messages")
    if not isinstance(data, list):
        if data is not None:
            b.problem(f"expected a list of chat messages, got {type(data).__name__}", 1, "error", "messages")
        return b.build()
    messages = [(n + 1, m) for n, m in enumerate(data) if isinstance(m, dict)]
    if len(messages) != len(data):
        b.problem(
            f"{len(data) - len(messages)} message(s) are not objects; skipped", 1, "warning", "messages"
        )
    config = as_dict(info.get("config"))
    model = as_dict(config.get("model")).get("model_name")
    root = b.add(
        "agent",
        "mini-swe-agent",
        output=info.get("submission"),
        attributes={
            "exit_status": info.get("exit_status"),
            "model_stats": as_dict(info.get("model_stats")),
            "mini_version": info.get("mini_version"),
            "model_type": config.get("model_type"),
        },
    )
    _Run(b, root, model).run(messages)
    return b.build(name="mini-swe-agent", metadata={"model": model})


register(
    Importer("mini-swe-agent", "mini-swe-agent trajectory (chat message list or .traj.json)", sniff, load)
)
