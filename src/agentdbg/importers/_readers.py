"""Reading foreign files as JSON: a whole document, documents one per line or one after another, JSONL records,
and the cheap head checks importers sniff with. Every problem goes to the importer's ``ImportBuilder`` with the
line where it is (a cut document: where it breaks), and reading goes on where it can."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from agentdbg.importers._common import ImportBuilder


def read_json_file(path: Path, builder: ImportBuilder) -> Any:
    """The parsed JSON of a whole-file format, or ``None`` with an error problem when it does not parse."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        builder.problem(f"cannot read file: {exc.strerror or exc}", severity="error")
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        try:
            return json.loads(raw.decode("utf-8", "replace"))  # NaN/Infinity and other non-strict JSON
        except json.JSONDecodeError as strict:  # says the line and column where the document breaks
            where = f"{strict.msg} (line {strict.lineno}, column {strict.colno})"
            builder.problem(f"not valid JSON (truncated or corrupt file?): {where}", strict.lineno, "error")
        except ValueError:
            builder.problem(f"not valid JSON (truncated or corrupt file?): {exc}", 1, "error")
        return None


def _concatenated(text: str, b: ImportBuilder) -> list[tuple[int, Any]]:
    """Documents written one after another (each may span lines) with the line each starts on; a broken one
    is an error at its line and reading goes on at the next line that opens a document."""
    decoder = json.JSONDecoder()
    documents: list[tuple[int, Any]] = []
    position, line, counted = 0, 1, 0
    while True:
        while position < len(text) and text[position] in " \t\r\n\ufeff":
            position += 1
        if position >= len(text):
            return documents
        line += text.count("\n", counted, position)
        counted = position
        try:
            document, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            b.problem(
                f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}); skipped",
                exc.lineno,
                "error",
            )
            following = text.find("\n{", max(exc.pos - 1, position + 1))
            if following < 0:
                return documents
            position = following + 1
            continue
        documents.append((line, document))
        position = end


def read_json_documents(path: Path, b: ImportBuilder) -> list[tuple[int, Any]]:
    """The file's JSON documents with the line each starts on: one whole (maybe indented) document, or one
    per line; an indented document that does not parse is one error where it breaks, a bad line one each."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        b.problem(f"cannot read file: {exc.strerror or exc}", severity="error")
        return []
    try:
        return [(1, orjson.loads(raw))]
    except orjson.JSONDecodeError:
        pass
    first = next((line.strip() for line in raw.splitlines() if line.strip()), b"")
    if first in (b"{", b"["):  # one indented document, not one per line: say where it breaks, once
        try:
            json.loads(raw.decode("utf-8", "replace"))
        except ValueError as exc:
            if (
                getattr(exc, "msg", None) == "Extra data"
            ):  # indented documents one after another (OTel console)
                return _concatenated(raw.decode("utf-8", "replace"), b)
            where = int(getattr(exc, "lineno", 0))
            reason = f"{getattr(exc, 'msg', exc)} (line {where}, column {getattr(exc, 'colno', '?')})"
            b.problem(f"not valid JSON (truncated or corrupt document?): {reason}", where, "error")
            return []
    documents, bad = [], 0
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            documents.append((number, orjson.loads(line)))
        except orjson.JSONDecodeError as exc:
            bad += 1
            b.problem(f"not valid JSON: {exc}", number, "error")
    if not documents and not bad:
        read_json_file(path, b)
    return documents


def read_jsonl(path: Path, builder: ImportBuilder) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for each parseable JSON-object line; bad lines become problems."""
    records: list[tuple[int, dict[str, Any]]] = []
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        builder.problem(f"cannot read file: {exc.strerror or exc}", severity="error")
        return records
    with handle:
        lines = list(enumerate(handle, start=1))
    for index, (number, raw) in enumerate(lines):
        text = raw.strip()
        if not text:
            continue
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            last = index == len(lines) - 1 and not raw.endswith(b"\n")
            reason = "truncated last line; skipped" if last else f"not valid JSON: {exc}"
            builder.problem(reason, number, "warning" if last else "error")
            continue
        if not isinstance(data, dict):
            builder.problem(f"expected a JSON object, got {type(data).__name__}; skipped", number, "error")
            continue
        records.append((number, data))
    return records


def sniff_json_head(head: bytes) -> bytes:
    """The head with leading whitespace/BOM removed, for cheap content checks."""
    return head.lstrip(b"\xef\xbb\xbf").lstrip()


def first_jsonl_objects(head: bytes, limit: int = 5) -> list[dict[str, Any]]:
    """The first complete JSON-object lines of a head (for sniffing JSONL formats)."""
    objects: list[dict[str, Any]] = []
    for raw in head.split(b"\n")[:-1] if b"\n" in head else [head]:
        if not raw.strip():
            continue
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        if isinstance(data, dict):
            objects.append(data)
        if len(objects) >= limit:
            break
    return objects


__all__ = ["first_jsonl_objects", "read_json_documents", "read_json_file", "read_jsonl", "sniff_json_head"]
