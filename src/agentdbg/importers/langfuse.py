"""Langfuse trace exports (``{trace, observations}`` as downloaded from the UI; observation lists in
``_langfuse_rows``) as traces.

Observations become steps linked by ``parentObservationId`` (GENERATION → llm,
TOOL → tool, others by their instrumentation's own kind attribute, else a
grouping step). ``metadata`` is JSON inside JSON (a string in most exports, a
dict in some) and is decoded until it is a dict; its ``attributes`` are read by
the shared GenAI/OpenInference interpreter. ``usageDetails`` give the tokens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentdbg.importers import Importer, register
from agentdbg.importers._call_links import link_call_ids
from agentdbg.importers._common import (
    ImportBuilder,
    as_dict,
    make_usage,
    maybe_json,
    parents_first,
    parse_time,
    sniff_json_head,
)
from agentdbg.importers._genai_attrs import Step, interpret
from agentdbg.importers._langfuse_rows import export_document, sniff_rows
from agentdbg.model.records import ErrorInfo, SpanKind, Usage
from agentdbg.model.trace import Trace

_KIND_HINT: dict[str, SpanKind] = {
    "GENERATION": "llm",
    "TOOL": "tool",
    "AGENT": "agent",
    "SPAN": "agent",
    "CHAIN": "agent",
    "EVENT": "custom",
    "RETRIEVER": "retrieval",
    "EMBEDDING": "retrieval",
}
_KEPT_FIELDS = (
    "model",
    "modelParameters",
    "costDetails",
    "totalCost",
    "level",
    "statusMessage",
    "version",
    "environment",
    "completionStartTime",
    "toolCalls",
    "toolCallNames",
    "promptName",
)


def sniff(head: bytes, path: Path) -> bool:
    text = sniff_json_head(head)
    if sniff_rows(text):  # observations without their trace: the UI table, the API page, the blob export
        return True
    if not text.startswith(b"{"):
        return False
    compact = text[:400].replace(b" ", b"").replace(b"\n", b"").replace(b"\r", b"")
    if b'"observations"' in text and (b'"trace"' in text or b'"projectId"' in text):
        return True
    # the key ``observations`` may come after a large input/output: decide from the opening fields
    opens_as_trace = compact.startswith(b'{"trace":{') or compact.startswith(b'{"id":')
    return opens_as_trace and b'"projectId"' in compact and b'"timestamp"' in compact


def _metadata(value: Any) -> dict[str, Any]:
    decoded = maybe_json(value, depth=4)
    return decoded if isinstance(decoded, dict) else ({"value": decoded} if decoded not in (None, "") else {})


def _attributes(metadata: dict[str, Any]) -> dict[str, Any]:
    attrs = maybe_json(metadata.get("attributes"), depth=3)
    return attrs if isinstance(attrs, dict) else {}


def _usage(observation: dict[str, Any]) -> Usage | None:
    details = observation.get("usageDetails") or observation.get("usage")  # the public API's Usage object
    if not isinstance(details, dict) or not details:
        return None
    return make_usage(
        details.get("input", details.get("promptTokens")),
        details.get("output", details.get("completionTokens")),
        details.get("total", details.get("totalTokens")),
        details.get(
            "input_cache_read",
            details.get("prompt_details.cache_read", details.get("cache_read_input_tokens")),
        ),
        details.get("input_cache_creation", details.get("cache_creation_input_tokens")),
        details.get("output_reasoning", details.get("completion_details.reasoning")),
    )


def _order(observations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Start order, parents always before their children."""
    ordered = sorted(observations, key=lambda o: parse_time(o.get("startTime")) or 0.0)
    return parents_first(
        ordered, lambda o: str(o.get("id")), lambda o: str(o.get("parentObservationId") or "") or None
    )


def _called_tool_names(b: ImportBuilder) -> set[str]:
    """Names of the tools the llm steps so far asked for."""
    return {call.name for span in b.spans if span.llm is not None for call in span.llm.tool_calls}


def _langgraph_tool(observation: dict[str, Any]) -> Step:
    """A LangChain tool run (a SPAN under LangGraph's ``tools`` node): args in, ToolMessage out."""
    name = str(observation.get("name") or "tool")
    output = maybe_json(observation.get("output"))
    message = (
        as_dict(output.get("kwargs"))
        if isinstance(output, dict) and output.get("lc") == 1
        else as_dict(output)
    )
    result = message.get("content", output) if message else output
    return Step(
        kind="tool",
        name=name,
        input={
            "name": name,
            "arguments": maybe_json(observation.get("input")),
            "call_id": message.get("tool_call_id"),
        },
        output=maybe_json(result),
        error=ErrorInfo(type="tool_error", message=str(result)[:500])
        if message.get("status") == "error"
        else None,
    )


def _named_tool(observation: dict[str, Any], attrs: dict[str, Any]) -> str | None:
    """The tool name of a plain SPAN that is a tool call by convention (Koog: ``tool.<Name>``), else ``None``."""
    if observation.get("type") != "SPAN":
        return None
    name = str(observation.get("name") or "")
    if name.startswith("tool.") and len(name) > 5:
        return str(attrs.get("gen_ai.tool.name") or name[5:])
    return None


def _aggregates_off_the_totals(b: ImportBuilder) -> None:
    """An agent/chain observation's usage that sums its generations moves to an attribute (not counted twice).

    Frameworks (Microsoft Agent Framework, Koog) report on ``invoke_agent`` the tokens of the calls
    inside it; counted as well, the trace's totals would double. Kept as ``aggregate_usage``.
    """
    children: dict[str | None, list[Any]] = {}
    for span in b.spans:
        children.setdefault(span.parent_id, []).append(span)

    def has_counted_descendant(span: Any) -> bool:
        stack = list(children.get(span.id, []))
        while stack:
            child = stack.pop()
            if child.usage is not None and child.kind == "llm":
                return True
            stack.extend(children.get(child.id, []))
        return False

    for span in b.spans:
        if span.kind != "llm" and span.usage is not None and has_counted_descendant(span):
            span.attributes["aggregate_usage"] = span.usage.model_dump(exclude_none=True)
            span.usage = None


def load(path: Path) -> Trace:
    b = ImportBuilder(path, "langfuse")
    data = export_document(path, b)
    if not isinstance(data, dict):
        if data is not None:
            b.problem(f"expected a JSON object {{trace, observations}}, got {type(data).__name__}", 1, "error")
        return b.build()
    trace = as_dict(data.get("trace")) or (
        data if "observations" in data and "id" in data else {}
    )  # API shape: the trace itself
    observations_raw = data.get("observations", trace.get("observations"))
    if not isinstance(observations_raw, list):
        b.problem("no `observations` list in the export", 1, "error", "observations")
        observations_raw = []
    observations = [o for o in observations_raw if isinstance(o, dict)]
    if len(observations) != len(observations_raw):
        b.problem(
            f"{len(observations_raw) - len(observations)} observation(s) are not objects; skipped",
            1,
            "warning",
            "observations",
        )
    trace_metadata = _metadata(trace.get("metadata"))
    known_ids = {str(o.get("id")) for o in observations}
    top = [o for o in observations if str(o.get("parentObservationId") or "") not in known_ids]
    # the trace is its own step unless a single top observation already stands for it (same name)
    trace_is_step = bool(trace) and not (len(top) == 1 and top[0].get("name") == trace.get("name"))
    root = None
    if trace_is_step:
        root = b.add(
            "agent",
            str(trace.get("name") or "langfuse trace"),
            id=f"trace-{trace.get('id')}",
            started_at=parse_time(trace.get("timestamp")),
            input=maybe_json(trace.get("input")),
            output=maybe_json(trace.get("output")),
            attributes={
                "metadata": trace_metadata,
                **{
                    k: trace[k]
                    for k in (
                        "sessionId",
                        "userId",
                        "tags",
                        "release",
                        "version",
                        "environment",
                        "scores",
                        "latency",
                    )
                    if trace.get(k) not in (None, [], "")
                },
            },
        )
    for index, observation in enumerate(_order(observations)):
        metadata = _metadata(observation.get("metadata"))
        attrs = _attributes(metadata)
        kind_hint = _KIND_HINT.get(str(observation.get("type")))
        if kind_hint is None:
            b.keep_unknown(f"observation type {observation.get('type')}", index + 1)
            kind_hint = "custom"
        level = str(observation.get("level") or "DEFAULT").upper()
        error = (
            ErrorInfo(type="ERROR", message=str(observation.get("statusMessage") or "level ERROR"))
            if level == "ERROR"
            else None
        )
        step = interpret(
            attrs,
            name=str(observation.get("name") or ""),
            kind_hint=kind_hint,
            input_value=observation.get("input"),
            output_value=observation.get("output"),
            model=observation.get("model"),
            error=error,
        )
        # the Vercel AI SDK's ai.generateText/streamText wraps its doGenerate calls: Langfuse types both GENERATION
        wrapper = step.kind == "agent" and str(attrs.get("ai.operationId") or "").startswith("ai.")
        kind = (
            "llm"
            if observation.get("type") == "GENERATION" and not wrapper
            else (
                "tool" if observation.get("type") == "TOOL" or _named_tool(observation, attrs) else step.kind
            )
        )
        if kind != step.kind:  # Langfuse's own type wins; reinterpret with it
            tool_name = _named_tool(observation, attrs) if kind == "tool" else None
            step = interpret(
                {
                    **({"gen_ai.tool.name": tool_name} if tool_name else {}),
                    **attrs,
                    "gen_ai.operation.name": "chat" if kind == "llm" else "execute_tool",
                },
                name=tool_name or step.name,
                kind_hint=kind,
                input_value=observation.get("input"),
                output_value=observation.get("output"),
                model=observation.get("model"),
                error=error,
            )
        if (
            step.kind == "agent"
            and metadata.get("langgraph_node") == "tools"
            and observation.get("name") in _called_tool_names(b)
        ):
            step = _langgraph_tool(observation)  # a LangChain tool run inside LangGraph's "tools" node
            kind = "tool"
        usage = _usage(observation) or step.usage
        if kind == "llm" and usage is not None and isinstance(step.output, dict):
            if as_dict(step.input).get("api") == "messages":  # an Anthropic message: its own usage shape
                step.output.setdefault(
                    "usage", {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens}
                )
            else:
                step.output["usage"] = {
                    "prompt_tokens": usage.input_tokens,
                    "completion_tokens": usage.output_tokens,
                    "total_tokens": usage.total_tokens,
                }
        parent = observation.get("parentObservationId")
        if parent and str(parent) not in known_ids:
            b.problem(
                f"observation {observation.get('id')} names a missing parent {parent}; shown under the trace",
                index + 1,
                "warning",
            )
            parent = None
        attributes = {**step.attributes, "langfuse_type": observation.get("type"), "otel_attributes": attrs}
        attributes.update(
            {k: observation[k] for k in _KEPT_FIELDS if observation.get(k) not in (None, "", [], {})}
        )
        other_metadata = {k: v for k, v in metadata.items() if k != "attributes"}
        if other_metadata:
            attributes["metadata"] = other_metadata
        b.add(
            kind,
            step.name or str(observation.get("name") or kind),
            id=observation.get("id"),
            parent_id=str(parent) if parent else (root.id if root else None),
            started_at=parse_time(observation.get("startTime")),
            ended_at=parse_time(observation.get("endTime")),
            input=step.input,
            output=step.output,
            error=step.error,
            usage=usage,
            attributes=attributes,
            ended=observation.get("endTime") is not None or observation.get("startTime") is None,
            line=index + 1,
        )
    if root is not None:
        ends = [s.ended_at for s in b.spans if s.ended_at is not None]
        root.ended_at = max(ends, default=root.started_at)
    _aggregates_off_the_totals(b)
    link_call_ids(b.spans)
    return b.build(
        trace_id=trace.get("id"),
        name=str(trace.get("name") or ""),
        metadata={
            "langfuse_metadata": trace_metadata,
            "langfuse_trace": {k: v for k, v in trace.items() if k not in ("observations", "metadata")},
        },
    )


register(
    Importer(
        "langfuse",
        "Langfuse trace export {trace, observations} (OTel GenAI / OpenInference / Vercel AI attributes)",
        sniff,
        load,
    )
)
