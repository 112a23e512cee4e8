"""Append-only, crash-safe trace writing: one ``write()`` per line, flushed at once.

The file is opened with ``O_APPEND`` and each record is encoded to one bytes
object and handed to a single ``os.write`` under a lock, so concurrent writers
never interleave within a line and a kill loses at most the line in flight.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import orjson

from agentdbg.model.records import SCHEMA_VERSION, TraceHeader
from agentdbg.secrets import mask_secret_bytes
from agentdbg.store.compact import RequestCompactor


def encode_record(record: dict[str, Any]) -> bytes:
    """One JSONL line for ``record`` (non-JSON values become strings; key-shaped strings masked)."""
    return mask_secret_bytes(orjson.dumps(record, default=str, option=orjson.OPT_NON_STR_KEYS)) + b"\n"


class TraceWriter:
    """Appends records to a trace file. Thread-safe. Raises ``OSError`` on write failure.

    With ``compact=True`` (the default, schema 2) an ``llm`` request that extends
    one this writer already wrote is stored as a reference plus what is new
    (see ``store/compact.py``); readers rebuild it exactly. ``compact=False``
    writes every request whole (schema 1). ``reuse_encodings=True`` is for callers
    that never change a request object after writing it (``write_trace``).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        compact: bool = True,
        reuse_encodings: bool = False,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (os.O_TRUNC if overwrite else 0)
        self._fd: int | None = os.open(self.path, flags, 0o644)
        self._lock = threading.Lock()
        self._compactor = RequestCompactor(reuse_encodings=reuse_encodings) if compact else None

    def write(self, record: dict[str, Any], *, encoded: bytes | None = None) -> None:
        """Write one record as one line.

        ``encoded``, when given, must be ``orjson.dumps(record, default=str,
        option=OPT_NON_STR_KEYS)`` of this very record (a caller that already
        encoded it); it is used, still masked, unless compaction changes the record.
        """
        given = record
        compactor = self._compactor
        parts = None
        if compactor is not None:
            if record.get("kind") == "llm":
                with self._lock:
                    recent = compactor.snapshot()
                record, parts = compactor.compact(record, recent)
            elif record.get("type") == "trace" and record.get("schema_version") != SCHEMA_VERSION:
                record = {**record, "schema_version": SCHEMA_VERSION}  # the lines below may be compact
        if encoded is not None and record is given:
            line = mask_secret_bytes(encoded) + b"\n"
        else:
            line = encode_record(record)
        with self._lock:
            if self._fd is None:
                raise OSError("trace writer is closed")
            written = os.write(self._fd, line)
            while written < len(line):  # short writes are rare; finish the line
                written += os.write(self._fd, line[written:])
            if parts is not None and compactor is not None and isinstance(record.get("id"), str):
                compactor.remember(record["id"], parts)  # only written lines can be referred to

    def write_header(self, header: TraceHeader) -> None:
        data = header.model_dump(mode="json", exclude_none=True)
        if self._compactor is None:
            data["schema_version"] = 1  # every request whole: any reader can read it
        self.write(data)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> TraceWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_trace(
    path: str | os.PathLike[str], trace: Any, *, overwrite: bool = False, compact: bool = True
) -> Path:
    """Write a whole ``Trace`` (header + one combined line per span); ``compact`` as for ``TraceWriter``."""
    # The trace is not modified while it is written, so shared history is encoded once.
    with TraceWriter(path, overwrite=overwrite, compact=compact, reuse_encodings=True) as writer:
        writer.write_header(trace.header)
        for span in trace.spans:
            writer.write(span.to_record())
    return Path(path)
