"""Export a trace as one self-contained HTML file: execution tree plus prompt/response panes.

The page needs no network and no other file: CSS and vanilla JS are inline (from
``html_template.html``) and the trace travels as JSON in a ``<script type="application/json">``
block whose ``<``, ``>`` and ``&`` are written as ``\\u003c``-style escapes, so no trace text can
close the block. The script inserts every piece of trace text with ``textContent``.
"""

from __future__ import annotations

import json
import math
import re
from importlib import resources
from typing import Any

import orjson

from agentdbg.model.messages import Message
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace

TEMPLATE_NAME = "html_template.html"
_PLACEHOLDER = re.compile(r"/\*AGENTDBG_DATA\*/")
_SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029]")
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _message(message: Message) -> dict[str, Any]:
    return {
        "role": message.role,
        "text": message.text,
        "tool_calls": [
            {
                "id": call.id,
                "name": call.name,
                "arguments": call.arguments if call.arguments_valid_json else call.arguments_raw,
            }
            for call in message.tool_calls
        ],
        "tool_call_id": message.tool_call_id,
        "tool_name": message.tool_name,
        "is_error": message.is_error,
        "reasoning": message.reasoning,
        "attachments": [attachment.label() for attachment in message.attachments],
    }


def step_data(span: Span, depth: int) -> dict[str, Any]:
    """What the page shows of one step: its place in the tree, its messages, tool call, usage, error."""
    data: dict[str, Any] = {
        "address": span.address,
        "id": span.id,
        "parent_id": span.parent_id,
        "depth": depth,
        "kind": span.kind,
        "name": span.name,
        "status": span.status,
        "origin": span.origin,
        "started_at": span.started_at,
        "duration": span.duration,
        "usage": span.usage.model_dump(exclude_none=True) if span.usage else None,
        "error": span.error.model_dump(exclude_none=True) if span.error else None,
        "attributes": span.attributes,
        "input": span.input,
        "output": span.output,
    }
    llm = span.llm
    if llm is not None:
        data["llm"] = {
            "provider": llm.provider,
            "api": llm.api,
            "model": llm.model,
            "params": llm.params,
            "prompt": [_message(m) for m in llm.prompt],
            "answer": [_message(m) for m in llm.answer],
            "tools": [tool.model_dump() for tool in llm.tools],
        }
    tool = span.tool
    if tool is not None:
        data["tool"] = tool.model_dump()
    return data


def page_data(trace: Trace) -> dict[str, Any]:
    """The JSON document embedded in the page."""
    from agentdbg import __version__

    return {
        "generator": f"agentdbg {__version__}",
        "trace": {
            "trace_id": trace.header.trace_id,
            "name": trace.header.name,
            "started_at": trace.header.started_at,
            "metadata": trace.header.metadata,
            "fork_of": trace.header.fork_of.model_dump() if trace.header.fork_of else None,
            "source": trace.source,
            "format": trace.format,
            "totals": trace.totals(),
        },
        "steps": [step_data(span, depth) for span, depth in trace.walk()],
    }


def script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` appears literally."""
    try:  # orjson writes NaN/Infinity as null, which JSON.parse accepts
        text = orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):  # lone surrogates, huge ints: ASCII-escaped stdlib JSON
        text = json.dumps(_finite_floats(value), ensure_ascii=True, default=str)
    return _SCRIPT_UNSAFE.sub(lambda m: _SCRIPT_ESCAPES[m.group()], text)


def _finite_floats(item: Any) -> Any:
    """``item`` with NaN/Infinity written as strings (``JSON.parse`` rejects the bare words)."""
    if isinstance(item, float) and not math.isfinite(item):
        return str(item)
    if isinstance(item, dict):
        return {key: _finite_floats(value) for key, value in item.items()}
    if isinstance(item, (list, tuple)):
        return [_finite_floats(value) for value in item]
    return item


def template() -> str:
    """The page template shipped with the package."""
    return resources.files("agentdbg.exporters").joinpath(TEMPLATE_NAME).read_text(encoding="utf-8")


def to_html(trace: Trace) -> str:
    """The whole page for ``trace``."""
    data = script_json(page_data(trace))
    page, count = _PLACEHOLDER.subn(lambda _: data, template(), count=1)
    if count != 1:
        raise RuntimeError(f"{TEMPLATE_NAME} lost its data placeholder")
    return page
