"""Content parts of any provider sorted into text, attachments and reasoning."""

from __future__ import annotations

import json
from typing import Any

from agentdbg.model.messages import Attachment, ToolCallRef


def json_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, indent=2, default=str)
    except (TypeError, ValueError, RecursionError):
        return "(value too deeply nested to show)"


def parse_arguments(raw: Any) -> ToolCallRef:
    """Arguments as parsed JSON (and whether they parsed) from a string or an object."""
    if isinstance(raw, str):
        try:
            return ToolCallRef(name="", arguments=json.loads(raw) if raw.strip() else {}, arguments_raw=raw)
        except ValueError:
            return ToolCallRef(name="", arguments=raw, arguments_raw=raw, arguments_valid_json=False)
    return ToolCallRef(name="", arguments=raw)


def tool_call_ref(call_id: Any, name: Any, raw_arguments: Any) -> ToolCallRef:
    ref = parse_arguments(raw_arguments)
    ref.id = str(call_id) if call_id is not None else None
    ref.name = str(name or "")
    return ref


def _data_size(data: Any) -> int | None:
    if isinstance(data, str):
        if data.startswith("data:") and "," in data:
            data = data.split(",", 1)[1]
        return len(data) * 3 // 4
    return None


def sort_content_part(
    part: Any, texts: list[str], attachments: list[Attachment], reasoning: list[str]
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
        attachments.append(
            Attachment(
                kind="image", media_type=media, size=_data_size(url), source=None if media else url[:200]
            )
        )
    elif kind in ("input_image",):
        url = part.get("image_url") or ""
        media = url[5:].split(";", 1)[0] if isinstance(url, str) and url.startswith("data:") else None
        attachments.append(Attachment(kind="image", media_type=media, size=_data_size(url)))
    elif kind in ("image", "document"):
        source = part.get("source") or {}
        attachments.append(
            Attachment(
                kind=kind,
                media_type=source.get("media_type"),
                size=_data_size(source.get("data")),
                source=source.get("url") if source.get("type") == "url" else None,
            )
        )
    elif kind in ("input_audio",):
        audio = part.get("input_audio") or {}
        attachments.append(
            Attachment(kind="audio", media_type=audio.get("format"), size=_data_size(audio.get("data")))
        )
    elif kind in ("file", "input_file"):
        file = part.get("file") or part
        attachments.append(
            Attachment(kind="file", media_type=file.get("filename"), size=_data_size(file.get("file_data")))
        )
    else:
        texts.append(json_text(part))


def split_content(content: Any) -> tuple[str, list[Attachment], list[str]]:
    texts: list[str] = []
    attachments: list[Attachment] = []
    reasoning: list[str] = []
    if content is None:
        return "", attachments, reasoning
    if isinstance(content, list):
        for part in content:
            sort_content_part(part, texts, attachments, reasoning)
    else:
        sort_content_part(content, texts, attachments, reasoning)
    return "\n".join(texts), attachments, reasoning


def normalise_role(value: Any, default: str = "user") -> Any:
    role = str(value or default)
    return role if role in ("system", "developer", "user", "assistant", "tool") else "user"
