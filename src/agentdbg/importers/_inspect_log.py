"""Pieces of the inspect_ai log format: attachment references, messages, errors, usage, the .eval zip.

Kept apart from ``inspect_ai.py`` (which walks samples and events) so each file reads in one sitting.
"""

from __future__ import annotations

import json
import lzma
import struct
import zipfile
import zlib
from collections.abc import Iterator
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


def expand_refs(refs: Any, pool: list[Any]) -> tuple[list[Any], str | None]:
    """The pool entries that inspect's range-encoded refs (``[[start, end_exclusive], ...]``) name, and why not all.

    inspect_ai >= 0.3.2xx stores a sample's model inputs and provider requests once, in
    ``events_data.messages`` / ``events_data.calls``; each model event's ``input_refs`` and
    ``call.call_refs`` slice them back out (``inspect_ai.event._pool._expand_refs``).
    """
    if not isinstance(refs, list):
        return [], f"is {type(refs).__name__}, not a list of [start, end] ranges"
    entries: list[Any] = []
    for number, ref in enumerate(refs):
        if not (
            isinstance(ref, (list, tuple))
            and len(ref) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) for x in ref)
        ):
            return entries, f"[{number}] is {json.dumps(ref)[:80]}, not a [start, end] range of integers"
        start, end = ref
        if start < 0 or end < start or end > len(pool):
            return entries, f"[{number}] = [{start}, {end}] is outside the pool of {len(pool)} entries"
        entries.extend(pool[start:end])
    return entries, None


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


def call_error(body: Any, output: dict[str, Any]) -> ErrorInfo:
    """The error of a model call inspect marked ``call.error``: the provider's error body (OpenAI's
    ``{message, type, code}``, Anthropic's ``{type: error, error: {type, message}}``), else the output's
    stop reason."""
    detail = body if isinstance(body, dict) else {}
    if isinstance(detail.get("error"), dict):
        detail = detail["error"]
    choices = output.get("choices")
    stop = next(
        (c.get("stop_reason") for c in (choices if isinstance(choices, list) else []) if isinstance(c, dict)),
        None,
    )
    return ErrorInfo(
        type=str(detail.get("code") or detail.get("type") or stop or "provider_error"),
        message=str(detail.get("message") or text_of(body) or stop or "the provider refused the call")[:500],
        body=body,
    )


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
_MEMBER_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    RuntimeError,
    EOFError,
    OSError,
    ValueError,
    lzma.LZMAError,
    struct.error,
)
#: zip method 93, Zstandard: inspect_ai writes its ``.eval`` members with it (zipfile reads it from Python 3.14 on)
ZSTD_METHOD = 93
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, ..., file name length, extra field length


def _zstd_chunks(path: Path, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The inflated bytes of a Zstandard member, in chunks, read from its raw data; the CRC is checked at the end."""
    try:
        import zstandard
    except ImportError:
        raise NotImplementedError(
            "members are Zstandard-compressed (zip method 93, inspect_ai's default); "
            "reading them needs the 'zstandard' package (pip install zstandard) or Python 3.14+"
        ) from None
    if info.compress_size > MAX_MEMBER_BYTES:
        raise ValueError(
            f"compressed size {info.compress_size} is over the {MAX_MEMBER_BYTES // _MIB} MiB cap"
        )
    with path.open("rb") as handle:
        handle.seek(info.header_offset)
        signature, name_length, extra_length = _LOCAL_HEADER.unpack(handle.read(_LOCAL_HEADER.size))
        if signature != b"PK\x03\x04":
            raise zipfile.BadZipFile("bad local file header")
        handle.seek(name_length + extra_length, 1)
        raw = handle.read(info.compress_size)
    if len(raw) != info.compress_size:
        raise EOFError(f"member data cut short ({len(raw)} of {info.compress_size} bytes)")
    reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
    crc = 0
    try:
        while chunk := reader.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
            yield chunk
    except zstandard.ZstdError as exc:
        raise ValueError(f"bad Zstandard data ({exc})") from None
    if crc != info.CRC:
        raise zipfile.BadZipFile(f"bad CRC-32 (0x{crc:08x}, the directory says 0x{info.CRC:08x})")


def _member_chunks(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A member's inflated bytes in chunks: through zipfile, or by hand for Zstandard where zipfile has no codec."""
    try:
        member = archive.open(info)
    except NotImplementedError:
        if info.compress_type != ZSTD_METHOD:
            raise
        yield from _zstd_chunks(path, info)
        return
    with member:
        while chunk := member.read(1 << 20):
            yield chunk


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
        for chunk in _member_chunks(self.path, self.archive, info):
            size += len(chunk)
            if size > MAX_MEMBER_BYTES:
                raise self._refuse(info.filename, size, MAX_MEMBER_BYTES, "one member may hold")
            if self.total + size > MAX_ARCHIVE_BYTES:
                raise self._refuse(
                    "the archive", self.total + size, MAX_ARCHIVE_BYTES, "all members may hold"
                )
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
