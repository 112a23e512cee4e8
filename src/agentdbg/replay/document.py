"""The editable document of a step, the same shape for every API, and its way back to a request.

An ``llm`` step's document is ``{model, params, system, messages, tools}``:

- ``system`` is the system prompt wherever the API keeps it: Anthropic's ``system``,
  Responses' ``instructions``, or the content of the *first* chat message when its role
  is ``system``/``developer`` (lifted out of ``messages``; put back with its role).
  So ``[{"op": "replace", "path": "/system", "value": "..."}]`` works for every API.
  ``null`` means no system prompt.
- ``messages`` is the conversation in the API's own format: chat ``messages`` (minus the
  lifted system message), Responses ``input`` as a list (a bare string becomes one user
  message; a ``previous_response_id`` chain is rebuilt into it), Anthropic ``messages``.
- ``tools`` is the request's tool list in the API's format (``[]`` when none).
- ``params`` is every other keyword argument (``temperature``, ``max_tokens``, ...),
  without ``stream``/``stream_options``: replay never streams.

A ``tool`` step's document is ``{name, arguments, result}``.
"""

from __future__ import annotations

from typing import Any

from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.model.views import ANTHROPIC_MESSAGES, OPENAI_CHAT, OPENAI_RESPONSES, api_key
from agentdbg.providers.base import STREAM_KEYS
from agentdbg.replay.errors import ReplayInputError
from agentdbg.wire.openai_responses import input_items, strip_none

_SYSTEM_ROLES = ("system", "developer")
_CONVERSATION_KEY = {OPENAI_CHAT: "messages", OPENAI_RESPONSES: "input", ANTHROPIC_MESSAGES: "messages"}
_SYSTEM_KEY = {OPENAI_RESPONSES: "instructions", ANTHROPIC_MESSAGES: "system"}


def span_api(span: Span) -> str:
    """The API of an ``llm`` step (``openai.chat.completions``, ...)."""
    data = span.input if isinstance(span.input, dict) else {}
    return api_key(data.get("provider"), data.get("api"))


def span_request(span: Span) -> dict[str, Any]:
    """The recorded request of an ``llm`` step.

    Raises:
        ReplayInputError: when the step holds no full request (imported without one, or marked not replayable).
    """
    data = span.input if isinstance(span.input, dict) else {}
    request = data.get("request")
    if not isinstance(request, dict) or not request or span.attributes.get("replayable") is False:
        because = span.attributes.get("not_replayable_because")  # an importer's reason, when it gave one
        raise ReplayInputError(
            f"{span.address} ({span.name or 'llm'}) cannot be re-sent: {because}"
            if because
            else f"{span.address} ({span.name or 'llm'}) has no complete recorded request, so it cannot be re-sent",
            hint="replay works from steps captured with agentdbg (or imported with their full request)",
        )
    return request


def rebuild_previous_responses(trace: Trace, span: Span, request: dict[str, Any]) -> dict[str, Any]:
    """A Responses request with its ``previous_response_id`` chain folded into a stateless ``input`` list.

    Raises:
        ReplayInputError: when the response it continues is not in the trace.
    """
    previous_id = request.get("previous_response_id")
    if not previous_id:
        return request
    for earlier in trace.select(lambda s: s.kind == "llm", stop=span.step - 1):
        output = earlier.output if isinstance(earlier.output, dict) else {}
        if output.get("id") == previous_id:
            earlier_request = rebuild_previous_responses(trace, earlier, span_request(earlier))
            items = [*input_items(earlier_request.get("input"))]
            items += [strip_none(item) for item in output.get("output") or [] if isinstance(item, dict)]
            items += input_items(request.get("input"))
            rebuilt = {key: value for key, value in request.items() if key != "previous_response_id"}
            rebuilt["input"] = items
            return rebuilt
    raise ReplayInputError(
        f"{span.address} continues response {previous_id!r} (previous_response_id), which is not in this trace, "
        "so the conversation before it cannot be rebuilt for a stateless replay",
        hint="capture the whole run (every responses.create call), or fork from the step that started the chain",
    )


def request_document(api: str, request: dict[str, Any]) -> dict[str, Any]:
    """The ``{model, params, system, messages, tools}`` document of a request."""
    conversation_key = _CONVERSATION_KEY.get(api, "messages")
    system: Any = None
    if api == OPENAI_CHAT:
        messages = list(request.get("messages") or [])
        first = messages[0] if messages else None
        if isinstance(first, dict) and first.get("role") in _SYSTEM_ROLES:
            system = first.get("content")
            messages = messages[1:]
    elif api == OPENAI_RESPONSES:
        system = request.get("instructions")
        messages = input_items(request.get("input"))
    else:
        system = request.get(_SYSTEM_KEY.get(api, "system"))
        messages = list(request.get(conversation_key) or [])
    skip = {"model", "tools", conversation_key, _SYSTEM_KEY.get(api, ""), *STREAM_KEYS}
    return {
        "model": request.get("model"),
        "params": {key: value for key, value in request.items() if key not in skip},
        "system": system,
        "messages": messages,
        "tools": list(request.get("tools") or []),
    }


LLM_FIELDS = ("model", "params", "system", "messages", "tools")


def refuse_unknown_fields(patched: Any, fields: Any) -> None:
    """Refuse a top-level field a patch added that nothing reads (a typo such as ``/sytem``).

    Raises:
        ReplayInputError: naming the field and the document's own fields.
    """
    extra = [key for key in patched if key not in fields] if isinstance(patched, dict) else []
    if extra:
        names = ", ".join(f"/{key}" for key in extra)
        hint = "a request parameter goes under /params (e.g. /params/temperature); " if "params" in fields else ""
        raise ReplayInputError(
            f"the patched document has unknown field {names}: nothing reads it (its fields: {', '.join(fields)})",
            hint=f"{hint}see them with --show-document",
        )


def document_request(
    api: str, document: dict[str, Any], recorded: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The request a (patched) document stands for; ``recorded`` gives back the role of a lifted chat system message.

    Raises:
        ReplayInputError: when the document lost a part the request needs.
    """
    if not isinstance(document, dict):
        raise ReplayInputError(
            "the patched document is not an object with model, params, system, messages, tools"
        )
    refuse_unknown_fields(document, LLM_FIELDS)
    params = document.get("params") or {}
    if not isinstance(params, dict):
        raise ReplayInputError("/params must be an object of keyword arguments")
    messages = document.get("messages")
    if not isinstance(messages, list):
        raise ReplayInputError("/messages must be a list")
    if not document.get("model"):
        raise ReplayInputError("/model is empty: the request needs a model")
    request: dict[str, Any] = {"model": document["model"]}
    system = document.get("system")
    if api == OPENAI_CHAT:
        first = (recorded or {}).get("messages") or [{}]
        role = (
            first[0].get("role")
            if isinstance(first[0], dict) and first[0].get("role") in _SYSTEM_ROLES
            else "system"
        )
        request["messages"] = ([{"role": role, "content": system}] if system is not None else []) + messages
    elif api == OPENAI_RESPONSES:
        if system is not None:
            request["instructions"] = system
        request["input"] = messages
    else:
        if system is not None:
            request["system"] = system
        request["messages"] = messages
    tools = document.get("tools")
    if tools:
        request["tools"] = tools
    for key, value in params.items():
        if key not in request and key not in STREAM_KEYS:
            request[key] = value
    return request


def tool_document(span: Span) -> dict[str, Any]:
    """The ``{name, arguments, result}`` document of a tool step."""
    tool = span.tool
    assert tool is not None
    return {"name": tool.name, "arguments": tool.arguments, "result": tool.result}


def step_document(trace: Trace, span: Span) -> dict[str, Any]:
    """The editable document of any replayable step (``--show-document``).

    Raises:
        ReplayInputError: for a step kind replay cannot start from.
    """
    if span.kind == "llm":
        api = span_api(span)
        request = span_request(span)
        if api == OPENAI_RESPONSES:
            request = rebuild_previous_responses(trace, span, request)
        return request_document(api, request)
    if span.kind == "tool":
        return tool_document(span)
    raise ReplayInputError(
        f"{span.address} is {'an' if span.kind[0] in 'aeiou' else 'a'} {span.kind} step; replay starts from an llm step or a tool step",
        hint="pick one with --from first-llm, last-llm, tool:NAME or step-N",
    )
