"""The provider-neutral message form every codec reads into: plain dicts, validated by ``model.messages``.

A message is ``{role, text, tool_calls, tool_call_id, tool_name, is_error, reasoning, attachments}``
(the fields of ``agentdbg.model.Message``); a tool call is ``{id, name, arguments, arguments_raw,
arguments_valid_json}``; an attachment ``{kind, media_type, size, source}``. Content parts of any
provider are sorted here into text, attachments and reasoning.
"""

from __future__ import annotations

import json
from typing import Any

NeutralMessage = dict[str, Any]


def message(
    role: str,
    text: str = "",
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    tool_call_id: Any = None,
    tool_name: Any = None,
    is_error: bool = False,
    reasoning: list[str] | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> NeutralMessage:
    """One neutral message with every field present."""
    return {
        "role": role,
        "text": text,
        "tool_calls": tool_calls if tool_calls is not None else [],
        "tool_call_id": tool_call_id,
        "tool_name": tool_name,
        "is_error": is_error,
        "reasoning": reasoning if reasoning is not None else [],
        "attachments": attachments if attachments is not None else [],
    }


def json_text(value: Any) -> str:
    """``value`` as text: strings as they are, anything else as indented JSON."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, indent=2, default=str)
    except (TypeError, ValueError, RecursionError):
        return "(value too deeply nested to show)"


def parse_arguments(raw: Any) -> dict[str, Any]:
    """A tool call's arguments as parsed JSON (and whether they parsed) from a string or an object."""
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return {"name": "", "arguments": raw, "arguments_raw": raw, "arguments_valid_json": False}
        return {"name": "", "arguments": parsed, "arguments_raw": raw, "arguments_valid_json": True}
    return {"name": "", "arguments": raw, "arguments_raw": None, "arguments_valid_json": True}


def tool_call(call_id: Any, name: Any, raw_arguments: Any) -> dict[str, Any]:
    """A neutral tool call from the id, name and (JSON string or object) arguments on the wire."""
    call = parse_arguments(raw_arguments)
    call["id"] = str(call_id) if call_id is not None else None
    call["name"] = str(name or "")
    return call


def _data_size(data: Any) -> int | None:
    if isinstance(data, str):
        if data.startswith("data:") and "," in data:
            data = data.split(",", 1)[1]
        return len(data) * 3 // 4
    return None


def _attachment(kind: str, media_type: Any = None, size: int | None = None, source: Any = None) -> dict[str, Any]:
    return {"kind": kind, "media_type": media_type, "size": size, "source": source}


def sort_content_part(
    part: Any, texts: list[str], attachments: list[dict[str, Any]], reasoning: list[str]
) -> None:
    """Sort one content part (any provider) into text, attachment or reasoning."""
    if isinstance(part, str):
        texts.append(part)
        return
    if not isinstance(part, dict):
        texts.append(json_text(part))
        return
    kind = part.get("type")
    if kind in ("text", "input_text", "output_text") or (kind is None and "text" in part):
        texts.append(str(part.get("text", "")))
    elif kind == "refusal":
        texts.append(f"(refusal) {part.get('refusal', '')}")
    elif kind in ("thinking", "redacted_thinking"):
        reasoning.append(str(part.get("thinking") or "(redacted thinking)"))
    elif kind == "image_url":
        url = (part.get("image_url") or {}).get("url", "")
        media = url[5:].split(";", 1)[0] if url.startswith("data:") else None
        attachments.append(_attachment("image", media, _data_size(url), None if media else url[:200]))
    elif kind in ("input_image",):
        url = part.get("image_url") or ""
        media = url[5:].split(";", 1)[0] if isinstance(url, str) and url.startswith("data:") else None
        attachments.append(_attachment("image", media, _data_size(url)))
    elif kind in ("image", "document"):
        source = part.get("source") or {}
        url = source.get("url") if source.get("type") == "url" else None
        attachments.append(_attachment(kind, source.get("media_type"), _data_size(source.get("data")), url))
    elif kind in ("input_audio",):
        audio = part.get("input_audio") or {}
        attachments.append(_attachment("audio", audio.get("format"), _data_size(audio.get("data"))))
    elif kind in ("file", "input_file"):
        file = part.get("file") or part
        attachments.append(_attachment("file", file.get("filename"), _data_size(file.get("file_data"))))
    else:
        texts.append(json_text(part))


def split_content(content: Any) -> tuple[str, list[dict[str, Any]], list[str]]:
    """Text (joined by newlines), attachments and reasoning of a content value (string or parts)."""
    texts: list[str] = []
    attachments: list[dict[str, Any]] = []
    reasoning: list[str] = []
    if content is None:
        return "", attachments, reasoning
    if isinstance(content, list):
        for part in content:
            sort_content_part(part, texts, attachments, reasoning)
    else:
        sort_content_part(content, texts, attachments, reasoning)
    return "\n".join(texts), attachments, reasoning


def normalise_role(value: Any, default: str = "user") -> str:
    """A role name from the wire as one of the neutral roles (unknown ones read as ``user``)."""
    role = str(value or default)
    return role if role in ("system", "developer", "user", "assistant", "tool") else "user"


def tool_spec(name: Any, description: Any, parameters: Any) -> dict[str, Any]:
    """A tool the request offered: ``{name, description, parameters}``."""
    return {"name": str(name or ""), "description": description or "", "parameters": parameters}


def conversion_text(content: Any, where: str) -> str:
    """The text of a content value for another API; refuses parts that are not text.

    Raises:
        ConversionError: for images, files and other parts the target cannot carry.
    """
    from agentdbg.errors import ConversionError

    if content is None:
        return ""
    if isinstance(content, str):
        return content
    texts = []
    for part in content if isinstance(content, list) else [content]:
        kind = part.get("type") if isinstance(part, dict) else None
        if isinstance(part, str):
            texts.append(part)
        elif kind in ("text", "input_text", "output_text"):
            texts.append(str(part.get("text", "")))
        elif kind in ("thinking", "redacted_thinking", "reasoning"):
            continue  # provider-specific; dropped on conversion
        else:
            raise ConversionError(
                f"cannot convert {kind or type(part).__name__} content in {where} to another provider"
            )
    return "\n".join(texts)


def conversion_arguments(raw: Any) -> Any:
    """Tool-call arguments as an object for another API (unparsable JSON kept under ``_raw_arguments``)."""
    if isinstance(raw, str):
        try:
            return json.loads(raw) if raw.strip() else {}
        except ValueError:
            return {"_raw_arguments": raw}
    return raw if raw is not None else {}


def raw_usage(response: dict[str, Any]) -> dict[str, Any] | None:
    """The response's own usage object (``usage``, or ``usage_metadata`` as some proxies name it)."""
    raw = response.get("usage") or response.get("usage_metadata")
    return raw if isinstance(raw, dict) else None


def openai_usage(raw: dict[str, Any], prefix: tuple[str, str]) -> dict[str, Any]:
    """Neutral counts from an OpenAI usage object; ``prefix`` is ``("prompt", "completion")`` or ``("input", "output")``."""
    details = raw.get(f"{prefix[0]}_tokens_details") or {}
    out_details = raw.get(f"{prefix[1]}_tokens_details") or {}
    return {
        "input_tokens": raw.get(f"{prefix[0]}_tokens"),
        "output_tokens": raw.get(f"{prefix[1]}_tokens"),
        "total_tokens": raw.get("total_tokens"),
        "cached_input_tokens": details.get("cached_tokens") if isinstance(details, dict) else None,
        "reasoning_tokens": out_details.get("reasoning_tokens") if isinstance(out_details, dict) else None,
    }
