"""Gemini ``contents`` (google-genai, Vertex AI, ADK's ``llm_request``) as OpenAI chat messages.

A Gemini content is ``{role: user | model | function, parts: [...]}``; a part holds ``text`` (``thought: true``
for reasoning), a ``function_call`` / ``functionCall`` ``{name, args, id?}`` or a ``function_response`` /
``functionResponse`` ``{name, response, id?}``. Calls become the assistant's ``tool_calls`` and responses
``tool`` messages; Gemini gives most calls no id, and then the id stays ``None`` (never invented), so the
request is not taken as one that can be re-sent (``_genai_request.unmatched_calls``).
"""

from __future__ import annotations

from typing import Any

from agentdbg.importers._common import as_dict, text_of
from agentdbg.importers._shapes import function_call


def is_gemini_content(item: Any) -> bool:
    """A ``{role, parts}`` content whose parts are Gemini parts (no ``type`` key, unlike GenAI semconv's)."""
    parts = item.get("parts") if isinstance(item, dict) else None
    return isinstance(parts, list) and bool(parts) and isinstance(parts[0], dict) and "type" not in parts[0]


def _field(part: dict[str, Any], snake: str, camel: str) -> dict[str, Any] | None:
    value = part.get(snake, part.get(camel))
    return value if isinstance(value, dict) else None


def gemini_messages(content: dict[str, Any], default_role: str = "user") -> list[dict[str, Any]]:
    """One Gemini content as chat messages: the text (and calls) of its role, then one tool message per
    function response, in part order."""
    role = str(content.get("role") or default_role)
    chat_role = "assistant" if role == "model" else ("tool" if role == "function" else role)
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for part in content.get("parts") or []:
        if not isinstance(part, dict):
            texts.append(text_of(part))
            continue
        call = _field(part, "function_call", "functionCall")
        response = _field(part, "function_response", "functionResponse")
        if call is not None:
            args = call.get("args")
            calls.append(
                function_call(call.get("id"), str(call.get("name") or ""), args if args is not None else {})
            )
        elif response is not None:
            results.append(
                {
                    "role": "tool",
                    "tool_call_id": response.get("id"),
                    "name": response.get("name"),
                    "content": text_of(response.get("response")),
                }
            )
        elif "text" in part:
            text = text_of(part["text"])
            texts.append(f"(reasoning) {text}" if part.get("thought") else text)
        else:  # inline data, executable code...: kept as their JSON
            texts.append(text_of(part))
    out: list[dict[str, Any]] = []
    if texts or calls or not results:
        message: dict[str, Any] = {"role": "assistant" if chat_role == "tool" and calls else chat_role}
        message["content"] = "\n".join(texts)
        if calls:
            message["tool_calls"] = calls
        if message["role"] != "tool":
            out.append(message)
    return out + results


def gemini_system(body: dict[str, Any]) -> str | None:
    """The system instruction of a Gemini request body: google-genai's ``config.system_instruction`` (text or
    a content), REST's ``systemInstruction`` / ``system_instruction``."""
    value = (
        as_dict(body.get("config")).get("system_instruction")
        or body.get("systemInstruction")
        or body.get("system_instruction")
    )
    if isinstance(value, dict) and isinstance(value.get("parts"), list):
        return "\n".join(text_of(as_dict(p).get("text", p)) for p in value["parts"]) or None
    return text_of(value) if value else None


def gemini_answer(value: Any) -> list[dict[str, Any]] | None:
    """The assistant messages of a Gemini response (``candidates``) or of ADK's ``LlmResponse``
    (``{content, finish_reason}``); ``None`` when ``value`` is neither."""
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("candidates"), list):
        contents = [as_dict(c).get("content") for c in value["candidates"]]
    elif is_gemini_content(value.get("content")):
        contents = [value["content"]]
    else:
        return None
    out: list[dict[str, Any]] = []
    for content in contents:
        if isinstance(content, dict):
            out.extend(m for m in gemini_messages(content, "model") if m["role"] == "assistant")
    return out or [{"role": "assistant", "content": ""}]


def gemini_tools(body: Any) -> list[dict[str, Any]]:
    """A Gemini request's function declarations (``config.tools`` / ``tools``, snake or camel case) as
    GenAI-semconv tool definitions."""
    body = as_dict(body)
    tools = as_dict(body.get("config")).get("tools") or body.get("tools") or []
    declared = []
    for tool in tools if isinstance(tools, list) else []:
        tool = as_dict(tool)
        for function in tool.get("function_declarations") or tool.get("functionDeclarations") or []:
            function = as_dict(function)
            if function.get("name"):
                definition = {"type": "function", "name": function["name"]}
                if function.get("description"):
                    definition["description"] = function["description"]
                schema = function.get("parameters") or function.get("parameters_json_schema")
                definition["parameters"] = (
                    schema if isinstance(schema, dict) else {"type": "object", "properties": {}}
                )
                declared.append(definition)
    return declared
