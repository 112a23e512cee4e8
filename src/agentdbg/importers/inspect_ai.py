"""inspect_ai eval logs (``.json`` and the zipped ``.eval``) as traces.

Each sample becomes an agent step; inspect's own spans (solvers, scorers) become
nested agent steps; ``model`` events become llm steps and ``tool`` events tool
steps with their errors. ``attachment://<hash>`` references are resolved from the
sample's ``attachments``. A model event holding ``call.request`` (the provider
request as sent) is replayable; otherwise the request is rebuilt in OpenAI chat shape.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentdbg.importers import Importer, register
from agentdbg.importers._common import (
    ImportBuilder,
    as_dict,
    as_list,
    make_usage,
    parse_time,
    read_json_file,
    sniff_json_head,
)
from agentdbg.importers._inspect_log import (
    call_error,
    chat_message,
    error_info,
    expand_refs,
    inspect_usage,
    provider_api,
    read_eval_zip,
    resolve,
    scrub,
)
from agentdbg.model.records import ErrorInfo
from agentdbg.model.trace import Trace

_CONTEXT_EVENTS = {
    "sample_init",
    "state",
    "store",
    "sandbox",
    "score",
    "logger",
    "info",
    "input",
    "approval",
    "subtask",
    "sample_limit",
}


def sniff(head: bytes, path: Path) -> bool:
    if head.startswith(b"PK\x03\x04"):
        return b"header.json" in head or b"_journal/" in head or b"samples/" in head
    text = sniff_json_head(head)
    compact = text[:2000].replace(b" ", b"").replace(b"\n", b"").replace(b"\r", b"").replace(b"\t", b"")
    # an eval log opens with its version and status, then the ``eval`` spec
    return compact.startswith(b'{"version":') and b'"eval":{' in compact


class _Sample:
    def __init__(self, b: ImportBuilder, sample: dict[str, Any], parent: str) -> None:
        self.b = b
        self.sample = sample
        self.attachments = as_dict(sample.get("attachments"))
        # inputs and provider requests stored once per sample, sliced back out by the events' refs
        pools = as_dict(sample.get("events_data"))
        self.message_pool = as_list(pools.get("messages"))
        self.call_pool = as_list(pools.get("calls"))
        self.spans: dict[str, str] = {}  # inspect span id -> our span id
        self.open_steps: list[
            str
        ] = []  # legacy ``step`` begin/end events (inspect before spans): open groups
        self.event_times: list[float] = []
        self.tool_alias: dict[
            str, str
        ] = {}  # inspect tool-span id -> tool function name (merged into the tool step)
        label = f"sample {sample.get('id')} (epoch {sample.get('epoch', 1)})"
        self.root = b.add(
            "agent",
            label,
            id=sample.get("uuid") or None,
            parent_id=parent,
            input=resolve(sample.get("input"), self.attachments),
            output=resolve(sample.get("output"), self.attachments),
            error=error_info(sample.get("error")),
            attributes={
                k: sample.get(k)
                for k in (
                    "id",
                    "epoch",
                    "target",
                    "scores",
                    "metadata",
                    "total_time",
                    "working_time",
                    "model_usage",
                )
                if k in sample
            },
        )

    def parent_of(self, event: dict[str, Any]) -> str:
        span_id = event.get("span_id")
        if span_id:
            return self.spans.get(str(span_id), self.root.id)
        return self.open_steps[-1] if self.open_steps else self.root.id

    def run(self) -> None:
        first = len(self.b.spans)
        events = self.sample.get("events")
        if isinstance(events, list) and events:
            for index, event in enumerate(events):
                if isinstance(event, dict):
                    self.event(index, event)
                else:
                    self.b.problem(
                        f"sample {self.sample.get('id')}: event {index} is not an object; skipped",
                        severity="warning",
                    )
        else:
            self.from_messages()
        mine = self.b.spans[first:]
        starts = [s.started_at for s in mine if s.started_at is not None] + self.event_times
        ends = [s.ended_at for s in mine if s.ended_at is not None] + self.event_times
        self.root.started_at = min(starts, default=None)
        self.root.ended_at = max(ends, default=self.root.started_at)

    def event(self, index: int, event: dict[str, Any]) -> None:
        kind = event.get("event")
        ts = parse_time(event.get("timestamp"))
        if ts is not None:
            self.event_times.append(ts)
        if kind == "step":
            self.legacy_step(event, ts)
        elif kind == "span_begin":
            if event.get("type") == "tool":
                self.tool_alias[str(event.get("id"))] = str(event.get("name"))
                self.spans[str(event.get("id"))] = self.parent_of({"span_id": event.get("parent_id")})
                return
            parent = (
                self.spans.get(str(event.get("parent_id")), self.root.id)
                if event.get("parent_id")
                else self.root.id
            )
            span = self.b.add(
                "agent",
                f"{event.get('type') or 'span'}: {event.get('name')}",
                parent_id=parent,
                started_at=ts,
                ended=False,
                attributes={"inspect_span": event.get("id")},
            )
            self.spans[str(event.get("id"))] = span.id
        elif kind == "span_end":
            ending = self.b.by_id.get(self.spans.get(str(event.get("id")), ""))
            if (
                ending is not None
                and ending.kind == "agent"
                and not ending.ended
                and ending.id != self.root.id
            ):
                self.b.finish(ending, ended_at=ts, output=None)
        elif kind == "model":
            self.model(event, ts, index)
        elif kind == "tool":
            self.tool(event, ts)
        elif kind == "error":
            self.b.add(
                "custom",
                "error",
                parent_id=self.parent_of(event),
                started_at=ts,
                error=error_info(event.get("error")),
                attributes={"event": event},
            )
        elif kind in _CONTEXT_EVENTS:
            holder = self.b.by_id.get(self.parent_of(event))
            if holder is not None:
                holder.attributes.setdefault("events", []).append(resolve(event, self.attachments))
        else:
            self.b.keep_unknown(f"event {kind}", index + 1)
            self.b.add(
                "custom",
                f"event {kind}",
                parent_id=self.parent_of(event),
                started_at=ts,
                attributes={"raw": event},
            )

    def legacy_step(self, event: dict[str, Any], ts: float | None) -> None:
        """A ``step`` event of a log written before inspect had spans (0.3.4x): ``begin`` opens a group
        (solver, scorer) that later events nest in; ``end`` closes the innermost open one, as inspect's
        own reader pairs them."""
        if event.get("action") == "begin":
            group = self.b.add(
                "agent",
                f"{event.get('type') or 'step'}: {event.get('name')}",
                parent_id=self.parent_of({}),
                started_at=ts,
                ended=False,
                attributes={"inspect_step": event.get("name")},
            )
            self.open_steps.append(group.id)
        elif event.get("action") == "end" and self.open_steps:
            ending = self.b.by_id.get(self.open_steps.pop())
            if ending is not None:
                self.b.finish(ending, ended_at=ts, output=None)

    def pooled(self, index: int, field: str, refs: Any, pool: list[Any]) -> list[Any]:
        """Entries of an events_data pool that a model event's refs name; a bad ref is a problem naming its field."""
        entries, trouble = expand_refs(refs, pool)
        if trouble is not None:
            self.b.problem(
                f"sample {self.sample.get('id')}: model event {field} {trouble}; "
                f"the step shows {len(entries)} of its entries",
                severity="warning",
                field=f"events[{index}].{field}",
            )
        return entries

    def model(self, event: dict[str, Any], ts: float | None, index: int = 0) -> None:
        model = str(event.get("model") or "")
        output = (
            resolve(event.get("output"), self.attachments) if isinstance(event.get("output"), dict) else {}
        )
        call = as_dict(event.get("call"))
        pooled_request = call.get("request")
        if call.get("call_refs") is not None and isinstance(pooled_request, dict):
            pooled_request = dict(pooled_request)
            key = str(call.get("call_key") or "messages")
            pooled_request[key] = self.pooled(index, "call.call_refs", call["call_refs"], self.call_pool)
        raw_request = resolve(pooled_request, self.attachments) if isinstance(pooled_request, dict) else None
        provider_error = error_info(event.get("error"))
        inputs = event.get("input") or []
        if not inputs and event.get("input_refs") is not None:
            inputs = self.pooled(index, "input_refs", event["input_refs"], self.message_pool)
        if raw_request is not None:
            request = scrub(raw_request)
            provider, api = provider_api(model, request)
            response = resolve(call.get("response"), self.attachments)
            replayable = "model" in request
            if call.get("error") and provider_error is None:
                # the provider refused the call: inspect keeps its error body as the response and turns it
                # into an output (e.g. stop_reason model_length for a context-length error)
                provider_error = call_error(response, output)
                response = None
        else:
            messages = [chat_message(m) for m in resolve(inputs, self.attachments)]
            request = {"model": model.split("/", 1)[-1], "messages": messages}
            provider, api = "openai", "chat.completions"
            choices = [
                {"index": i, "message": chat_message(c.get("message")), "finish_reason": c.get("stop_reason")}
                for i, c in enumerate(output.get("choices") or [])
                if isinstance(c, dict)
            ]
            response = {"object": "chat.completion", "model": output.get("model"), "choices": choices}
            replayable = False
        self.b.add(
            "llm",
            model or "model",
            parent_id=self.parent_of(event),
            started_at=ts,
            ended_at=parse_time(event.get("completed"))
            or ((ts + float(event["working_time"])) if ts and event.get("working_time") else ts),
            input={"provider": provider, "api": api, "request": request},
            output=response,
            error=provider_error,
            usage=inspect_usage(output.get("usage")),
            attributes={
                "replayable": replayable,
                "model": output.get("model") or model,
                "inspect_output": output,
                "config": event.get("config"),
            },
        )

    def tool(self, event: dict[str, Any], ts: float | None) -> None:
        name = str(event.get("function") or "tool")
        parent = self.parent_of(event)
        tool = self.b.add(
            "tool",
            name,
            id=event.get("id"),
            parent_id=parent,
            started_at=ts,
            ended_at=parse_time(event.get("completed")),
            input={"name": name, "arguments": event.get("arguments"), "call_id": event.get("id")},
            output=resolve(event.get("result"), self.attachments),
            error=error_info(event.get("error")),
            attributes={k: event[k] for k in ("type", "view", "truncated", "working_time") if k in event},
        )
        for alias, alias_name in list(self.tool_alias.items()):
            if alias_name == name and self.spans.get(alias) == parent:
                self.spans[alias] = tool.id  # events inside inspect's tool span land on this step
                del self.tool_alias[alias]
                break

    def from_messages(self) -> None:
        """No events: steps from the message list (assistant turns → llm, tool messages → tool)."""
        messages = [
            m for m in resolve(self.sample.get("messages") or [], self.attachments) if isinstance(m, dict)
        ]
        for position, message in enumerate(messages):
            if message.get("role") == "assistant":
                model = str(message.get("model") or "")
                self.b.add(
                    "llm",
                    model or "model",
                    parent_id=self.root.id,
                    input={
                        "provider": "openai",
                        "api": "chat.completions",
                        "request": {
                            "model": model,
                            "messages": [chat_message(m) for m in messages[:position]],
                        },
                    },
                    output={
                        "object": "chat.completion",
                        "model": model,
                        "choices": [{"index": 0, "message": chat_message(message)}],
                    },
                    attributes={"replayable": False, "model": model},
                )
            elif message.get("role") == "tool":
                name = str(message.get("function") or "tool")
                self.b.add(
                    "tool",
                    name,
                    id=message.get("id") or message.get("tool_call_id"),
                    parent_id=self.root.id,
                    input={"name": name, "arguments": None, "call_id": message.get("tool_call_id")},
                    output=message.get("content"),
                    error=error_info(message.get("error")),
                )


def load(path: Path) -> Trace:
    b = ImportBuilder(path, "inspect-ai")
    with open(path, "rb") as handle:
        is_zip = handle.read(4) == b"PK\x03\x04"
    log = read_eval_zip(path, b) if is_zip else read_json_file(path, b)
    if not isinstance(log, dict):
        if log is not None:
            b.problem(f"expected an inspect_ai log object, got {type(log).__name__}", 1, "error")
        return b.build()
    eval_info = as_dict(log.get("eval"))
    stats = as_dict(log.get("stats"))
    task = eval_info.get("task") or path.stem
    root = b.add(
        "agent",
        f"inspect eval {task}",
        id=eval_info.get("eval_id") or None,
        started_at=parse_time(stats.get("started_at")),
        ended_at=parse_time(stats.get("completed_at")),
        output=log.get("results"),
        error=error_info(log.get("error")),
        attributes={"status": log.get("status"), "eval": eval_info, "plan": log.get("plan"), "stats": stats},
    )
    samples = as_list(log.get("samples"))
    for number, sample in enumerate(samples):
        if not isinstance(sample, dict):
            b.problem("a sample is not an object; skipped", 1, "warning", f"samples[{number}]")
            continue
        _Sample(b, sample, root.id).run()
    any_usage = any(s.usage is not None for s in b.spans)
    if not any_usage:  # no per-call usage anywhere: keep the log's aggregate counts on the root
        totals = [
            u
            for u in (
                (stats.get("model_usage") or {}).values()
                if isinstance(stats.get("model_usage"), dict)
                else []
            )
            if isinstance(u, dict)
        ]
        if totals:
            root.usage = make_usage(
                sum(u.get("input_tokens") or 0 for u in totals),
                sum(u.get("output_tokens") or 0 for u in totals),
                sum(u.get("total_tokens") or 0 for u in totals),
            )
    if log.get("status") not in (None, "success"):
        root.error = root.error or ErrorInfo(type="eval_status", message=str(log.get("status")))
    return b.build(
        trace_id=eval_info.get("run_id"),
        name=f"inspect {task}",
        started_at=root.started_at,
        metadata={"model": eval_info.get("model"), "status": log.get("status")},
    )


register(
    Importer("inspect-ai", "inspect_ai eval log (.json or zipped .eval; attachment:// resolved)", sniff, load)
)
