"""Pieces of the inspect_ai log format: attachment references, messages, errors, usage, the .eval zip.

Kept apart from ``inspect_ai.py`` (which walks samples and events) so each file reads in one sitting.
"""

from __future__ import annotations

import json
import lzma
import zipfile
import zlib
from pathlib import Path
from typing import Any

import orjson

from agentdbg.errors import ImportFormatError
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


MAX_MEMBER_BYTES = 64 * 1024 * 1024  # one JSON file inside a .eval, inflated
MAX_ARCHIVE_BYTES = 512 * 1024 * 1024  # every member read from one .eval, inflated
_MIB = 1024 * 1024
# What a damaged member raises: bad deflate data, encryption, an unknown compression method, a cut file.
_MEMBER_ERRORS = (zipfile.BadZipFile, zlib.error, RuntimeError, EOFError, OSError, ValueError, lzma.LZMAError)


class _Inflated:
    """Reads members of one archive within the per-member and total inflated-size caps."""

    def __init__(self, path: Path, archive: zipfile.ZipFile) -> None:
        self.path = path
        self.archive = archive
        self.total = 0

    def _refuse(self, name: str, size: int, cap: int, what: str) -> ImportFormatError:
        return ImportFormatError(
            f"{self.path}: {name} inflates to more than {size // _MIB} MiB, over the {cap // _MIB} MiB {what} "
            "(a zip bomb, or a log too large to open here)"
        )

    def read(self, info: zipfile.ZipInfo) -> bytes:
        if info.file_size > MAX_MEMBER_BYTES:  # the declared size; the read below checks the real one
            raise self._refuse(info.filename, info.file_size, MAX_MEMBER_BYTES, "one member may hold")
        chunks = []
        size = 0
        with self.archive.open(info) as member:
            while chunk := member.read(1 << 20):
                size += len(chunk)
                if size > MAX_MEMBER_BYTES:
                    raise self._refuse(info.filename, size, MAX_MEMBER_BYTES, "one member may hold")
                if self.total + size > MAX_ARCHIVE_BYTES:
                    raise self._refuse("the archive", self.total + size, MAX_ARCHIVE_BYTES, "all members may hold")
                chunks.append(chunk)
        self.total += size
        return b"".join(chunks)

    def load(self, name: str, b: ImportBuilder, skipped: str = "") -> Any:
        try:
            return orjson.loads(self.read(self.archive.getinfo(name)))
        except orjson.JSONDecodeError as exc:
            b.problem(f"{name}: not valid JSON ({exc}){skipped}", severity="error")
        except _MEMBER_ERRORS as exc:
            b.problem(f"{name}: cannot be read ({type(exc).__name__}: {exc}){skipped}", severity="error")
        return None


def read_eval_zip(path: Path, b: ImportBuilder) -> dict[str, Any] | None:
    """The log of a ``.eval`` zip: header plus samples; damaged members become problems, caps raise.

    Raises:
        ImportFormatError: a member, or all of them together, inflate past the caps.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (*_MEMBER_ERRORS, KeyError) as exc:
        b.problem(f"not a readable .eval zip: {exc}", severity="error")
        return None
    with archive:
        names = archive.namelist()
        reader = _Inflated(path, archive)
        log: Any = {}
        if "header.json" in names:
            log = reader.load("header.json", b) or {}
        elif "_journal/start.json" in names:
            log = reader.load("_journal/start.json", b) or {}
        samples = []
        for name in sorted(n for n in names if n.startswith("samples/") and n.endswith(".json")):
            sample = reader.load(name, b, "; sample skipped")
            if sample is not None:
                samples.append(sample)
        if not isinstance(log, dict):
            return None
        log["samples"] = samples
        return log
