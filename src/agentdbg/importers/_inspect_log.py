"""Pieces of the inspect_ai log format: attachment references, messages, errors, usage, the .eval zip.

Kept apart from ``inspect_ai.py`` (which walks samples and events) so each file reads in one sitting.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import orjson

from agentdbg.importers._common import ImportBuilder, make_usage, text_of
from agentdbg.model.records import ErrorInfo, Usage

_SECRET_KEYS = {"authorization", "x-api-key", "api-key", "api_key"}
_ATTACHMENT = "attachment://"


def resolve(value: Any, attachments: dict[str, Any]) -> Any:
    """``value`` with every ``attachment://<hash>`` string replaced by the attachment's text."""
    if isinstance(value, str):
        if value.startswith(_ATTACHMENT):
            return attachments.get(value[len(_ATTACHMENT) :], value)
        return value
    if isinstance(value, list):
        return [resolve(item, attachments) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, attachments) for key, item in value.items()}
    return value


def scrub(request: dict[str, Any]) -> dict[str, Any]:
    headers = request.get("extra_headers")
    if isinstance(headers, dict):
        request = {
            **request,
            "extra_headers": {k: v for k, v in headers.items() if str(k).lower() not in _SECRET_KEYS},
        }
    return {k: v for k, v in request.items() if str(k).lower() not in _SECRET_KEYS}


def inspect_usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    return make_usage(
        raw.get("input_tokens"),
        raw.get("output_tokens"),
        raw.get("total_tokens"),
        raw.get("input_tokens_cache_read"),
        raw.get("input_tokens_cache_write"),
        raw.get("reasoning_tokens"),
    )


def chat_message(message: Any) -> dict[str, Any]:
    """An inspect ChatMessage as an OpenAI chat message."""
    if not isinstance(message, dict):
        return {"role": "user", "content": text_of(message)}
    out: dict[str, Any] = {"role": message.get("role", "user"), "content": message.get("content")}
    calls = [
        {
            "id": c.get("id"),
            "type": "function",
            "function": {"name": c.get("function"), "arguments": json.dumps(c.get("arguments"))},
        }
        for c in message.get("tool_calls") or []
        if isinstance(c, dict)
    ]
    if calls:
        out["tool_calls"] = calls
    if message.get("role") == "tool":
        out["tool_call_id"] = message.get("tool_call_id")
    return out


def error_info(raw: Any) -> ErrorInfo | None:
    if not raw:
        return None
    if isinstance(raw, dict):
        return ErrorInfo(
            type=str(raw.get("type") or "error"),
            message=text_of(raw.get("message", "")),
            traceback=raw.get("traceback"),
        )
    return ErrorInfo(type="error", message=text_of(raw))


def provider_api(model: str, request: dict[str, Any]) -> tuple[str, str]:
    provider = model.split("/", 1)[0] if "/" in model else "openai"
    if provider == "anthropic":
        return "anthropic", "messages"
    return (
        ("openai", "responses")
        if "input" in request and "messages" not in request
        else ("openai", "chat.completions")
    )


def read_eval_zip(path: Path, b: ImportBuilder) -> dict[str, Any] | None:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        b.problem(f"not a readable .eval zip: {exc}", severity="error")
        return None
    with archive:
        names = archive.namelist()
        log: dict[str, Any] = {}
        if "header.json" in names:
            try:
                log = orjson.loads(archive.read("header.json"))
            except (orjson.JSONDecodeError, zipfile.BadZipFile, OSError) as exc:
                b.problem(f"header.json: {exc}", severity="error")
        elif "_journal/start.json" in names:
            try:
                log = orjson.loads(archive.read("_journal/start.json"))
            except (orjson.JSONDecodeError, zipfile.BadZipFile, OSError) as exc:
                b.problem(f"_journal/start.json: {exc}", severity="error")
        samples = []
        for name in sorted(n for n in names if n.startswith("samples/") and n.endswith(".json")):
            try:
                samples.append(orjson.loads(archive.read(name)))
            except (orjson.JSONDecodeError, zipfile.BadZipFile, OSError) as exc:
                b.problem(f"{name}: {exc}; sample skipped", severity="error")
        log["samples"] = samples
        return log if isinstance(log, dict) else None
