"""The conversation of a Codex rollout as steps: consecutive model output items form one llm step (an
OpenAI Responses request of every item so far, and its response), calls are tool steps paired with their
outputs by ``call_id``, and ``token_count`` events give each llm step its usage.

``Conversation`` owns that state; ``codex.py`` reads the records (modern envelope or legacy) and hands it
the items, events and the step they belong under.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentdbg.importers._codex_tools import tool_event, tool_output
from agentdbg.importers._common import ImportBuilder, make_usage, maybe_json, text_of
from agentdbg.importers._shapes import replay_info
from agentdbg.model.records import ErrorInfo
from agentdbg.model.span import Span

CALL_ITEMS = ("function_call", "custom_tool_call", "local_shell_call", "web_search_call", "tool_search_call")
_OUTPUT_ITEMS = {"reasoning", *CALL_ITEMS}
_INPUT_ITEMS = {
    "function_call_output",
    "custom_tool_call_output",
    "local_shell_call_output",
    "tool_search_output",
}
_QUIET_ITEMS = {"ghost_snapshot"}  # git snapshots for /undo
_REPLAY_NOTE = (
    "Responses request rebuilt from the rollout (session instructions and the items so far); "
    "the tool definitions are not in the file, so a fork offers none"
)


class Conversation:
    """The items so far and the steps they make; ``parent()`` names the step new steps go under,
    ``session()`` the session step (if any), ``keep(line, record, label)`` keeps what is not understood,
    ``quiet`` counts bookkeeping items."""

    def __init__(
        self,
        b: ImportBuilder,
        parent: Callable[[], str | None],
        session: Callable[[], Span | None],
        keep: Callable[[int, dict[str, Any], str], None],
        quiet: dict[str, int],
    ) -> None:
        self.b = b
        self.parent = parent
        self.session = session
        self.keep = keep
        self.quiet = quiet
        self.items: list[dict[str, Any]] = []  # the conversation so far (responses input items)
        self.model: str | None = None
        self.instructions: Any = None
        self.current_llm: Span | None = None
        self.tools: dict[str, Span] = {}
        self.pending_usage: list[Span] = []
        self.sent_at: float | None = None  # time of the last input item: when the next request went out

    def compacted(self, line: int, payload: Any, ts: float | None) -> None:
        """The history was summarised: the summary is all the next request holds."""
        self.end_llm()
        self.items = [
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": text_of(payload)}],
            }
        ]
        self.b.add(
            "custom",
            "context compacted",
            parent_id=self.parent(),
            started_at=ts,
            output=payload,
            line=line,
        )

    def tool_event(
        self, line: int, family: str, phase: str, payload: dict[str, Any], ts: float | None
    ) -> None:
        tool_event(self, line, family, phase, payload, ts)

    def token_count(self, line: int, payload: dict[str, Any]) -> None:
        info = payload.get("info")
        last = info.get("last_token_usage") if isinstance(info, dict) else None
        if not isinstance(last, dict):
            return
        usage = make_usage(
            last.get("input_tokens"),
            last.get("output_tokens"),
            last.get("total_tokens"),
            last.get("cached_input_tokens"),
            None,
            last.get("reasoning_output_tokens"),
        )
        target = self.current_llm or (self.pending_usage[-1] if self.pending_usage else None)
        if target is None or target.usage is not None:
            self.b.problem(
                "token_count with no llm step to attach it to; kept on the session step", line, "info"
            )
            root = self.session()
            if root is not None:
                root.attributes.setdefault("unattached_token_counts", []).append(last)
            return
        target.usage = usage
        if target.output is not None and usage is not None:
            target.output["usage"] = last
        if target in self.pending_usage:
            self.pending_usage.remove(target)

    def usage_record(self, payload: dict[str, Any]) -> None:
        """A ``token_usage_record`` (Codex 0.17x) names the response of the call it follows; its counts
        repeat the ``token_count`` event's, which gives the usage."""
        target = self.current_llm or (self.pending_usage[-1] if self.pending_usage else None)
        response_id = payload.get("response_id")
        if target is None or not response_id:
            self.quiet["token_usage_record"] = self.quiet.get("token_usage_record", 0) + 1
            return
        target.attributes["response_id"] = response_id
        if isinstance(target.output, dict) and not target.output.get("id"):
            target.output["id"] = response_id

    def item(self, line: int, item: dict[str, Any], ts: float | None) -> None:
        kind = item.get("type", "message")
        is_output = kind in _OUTPUT_ITEMS or (kind == "message" and item.get("role") == "assistant")
        if is_output:
            llm = self.current_llm or self.start_llm(line, ts)
            llm.output["output"].append(item)
            llm.ended_at = ts or llm.ended_at
            llm.end_line = line
            if kind in CALL_ITEMS:
                self.function_call(line, item, ts)
        else:
            self.end_llm()
            self.sent_at = ts if ts is not None else self.sent_at
            if kind in _INPUT_ITEMS:
                self.function_output(line, item, ts)
            elif kind in _QUIET_ITEMS:
                self.quiet[f"item.{kind}"] = self.quiet.get(f"item.{kind}", 0) + 1
                return  # bookkeeping the model never sees: not part of the conversation
            elif kind != "message":
                self.keep(line, item, f"item.{kind}")
        self.items.append(item)

    def start_llm(self, line: int, ts: float | None) -> Span:
        request: dict[str, Any] = {"model": self.model, "input": list(self.items)}
        if self.instructions:
            request["instructions"] = self.instructions
        if request["model"] is None:
            del request["model"]
        span = self.b.add(
            "llm",
            self.model or "codex model",
            parent_id=self.parent(),
            started_at=self.sent_at
            if self.sent_at is not None and ts is not None and self.sent_at <= ts
            else ts,
            input={"provider": "openai", "api": "responses", "request": request},
            output={"object": "response", "model": self.model, "output": []},
            attributes={**replay_info(True, _REPLAY_NOTE), "model": self.model},
            line=line,
        )
        self.current_llm = span
        return span

    def end_llm(self) -> None:
        if self.current_llm is not None and self.current_llm.usage is None:
            self.pending_usage = [self.current_llm]
        self.current_llm = None

    def function_call(self, line: int, item: dict[str, Any], ts: float | None) -> None:
        kind = item.get("type")
        call_id = str(item.get("call_id") or item.get("id") or "")
        if kind == "tool_search_call" and not call_id:
            call_id = f"tool_search@{line}"
        raw_arguments = item.get("arguments", item.get("input", item.get("action")))
        arguments = maybe_json(raw_arguments, depth=1)
        span = self.b.add(
            "tool",
            str(item.get("name") or item.get("type")),
            id=call_id or None,
            parent_id=self.parent(),
            started_at=ts,
            input={"name": item.get("name") or item.get("type"), "arguments": arguments, "call_id": call_id},
            ended=False,
            line=line,
        )
        if (
            isinstance(raw_arguments, str)
            and arguments is raw_arguments
            and raw_arguments.strip().startswith("{")
        ):
            span.attributes["arguments_invalid_json"] = True
        if "__" in str(item.get("name") or ""):
            span.attributes["mcp_server"] = str(item["name"]).split("__", 1)[0]
        self.tools[call_id] = span
        if kind == "web_search_call":  # run by the API itself: no output item follows
            self.b.finish(span, ended_at=ts, output=item.get("action") or item.get("status"))
            span.name = "web_search"
            if item.get("status") == "failed":
                span.error = ErrorInfo(
                    type="web_search_failed", message=text_of(item.get("action") or "failed")
                )
        elif kind == "tool_search_call":
            span.name = "tool_search"
            span.attributes["execution"] = item.get("execution")

    def function_output(self, line: int, item: dict[str, Any], ts: float | None) -> None:
        call_id = str(item.get("call_id") or "")
        span = self.tools.get(call_id)
        if item.get("type") == "tool_search_output":
            if span is None:  # a server-side search: the call had no call_id
                span = next(
                    (s for s in reversed(self.tools.values()) if s.name == "tool_search" and not s.ended),
                    None,
                )
            if span is not None:
                self.b.finish(span, ended_at=ts, output=item.get("tools", item.get("output")))
                span.end_line = line
                return
        if span is None:
            span = self.b.unpaired_result("function_call_output", "call_id", call_id, self.parent(), ts, line)
        output, attributes, error = tool_output(item.get("output"))
        self.b.finish(span, ended_at=ts, output=output, error=error)
        span.end_line = line
        span.attributes.update(attributes)
